"""The TTS text front end: normalisation, sentence splitting and inline emotion tags.

``normalize`` turns written English into words a phonemizer can say ("$5.50" -> "five dollars fifty
cents", "Dr. Smith" -> "doctor Smith"), keeping the sentence punctuation ``. , ! ? ; :`` that
becomes pauses. The number speller is our own: the PyPI spellers (num2words, inflect) cover far
more than TTS needs and would be one more dependency for about sixty lines.

Inline tags pick the emotion of the text after them::

    parse_tagged("[happy] We won! [sad:0.8] But the trophy broke.", default=None)
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from ..emotion import EmotionSpec, EmotionTrajectory, parse_emotion
from ..errors import EmogenError

# ---------------------------------------------------------------- number speller
_ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
         "fifteen sixteen seventeen eighteen nineteen").split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_SCALES = ("", "thousand", "million", "billion", "trillion", "quadrillion")
_ORDINAL_WORDS = {"one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth",
                  "nine": "ninth", "twelve": "twelfth"}


def _below_thousand(n: int) -> list[str]:
    words = []
    if n >= 100:
        words += [_ONES[n // 100], "hundred"]
        n %= 100
    if n >= 20:
        words.append(_TENS[n // 10])
        n %= 10
        if n:
            words.append(_ONES[n])
    elif n or not words:
        words.append(_ONES[n])
    return words


def spell_digits(digits: str) -> str:
    """Digit by digit: "0705" -> "zero seven zero five"."""
    return " ".join(_ONES[int(d)] for d in digits)


def cardinal(n: int) -> str:
    """American cardinal: 1234567 -> "one million two hundred thirty four thousand five hundred
    sixty seven". Negative numbers get "minus"; beyond the quadrillions, digit by digit."""
    if n < 0:
        return "minus " + cardinal(-n)
    if n >= 1000 ** len(_SCALES):
        return spell_digits(str(n))
    if n == 0:
        return "zero"
    parts, scale = [], 0
    while n:
        n, chunk = divmod(n, 1000)
        if chunk:
            parts.insert(0, " ".join(_below_thousand(chunk) + ([_SCALES[scale]] if scale else [])))
        scale += 1
    return " ".join(parts)


def ordinal(n: int) -> str:
    """21 -> "twenty first", 12 -> "twelfth", 100 -> "one hundredth"."""
    words = cardinal(n).split()
    last = words[-1]
    if last in _ORDINAL_WORDS:
        last = _ORDINAL_WORDS[last]
    elif last.endswith("y"):
        last = last[:-1] + "ieth"
    else:
        last += "th"
    return " ".join(words[:-1] + [last])


def year(n: int) -> str:
    """How a year is said: 1999 -> "nineteen ninety nine", 1905 -> "nineteen oh five", 1900 ->
    "nineteen hundred", 2005 -> "two thousand five", 2024 -> "twenty twenty four"."""
    hi, lo = divmod(n, 100)
    if n < 1000 or n % 1000 < 10:  # 1000-1009, 2000-2009: "two thousand five"
        return cardinal(n)
    if lo == 0:
        return cardinal(hi) + " hundred"
    return cardinal(hi) + " " + (f"oh {_ONES[lo]}" if lo < 10 else cardinal(lo))


def decimal(integer: str, fraction: str | None) -> str:
    """ "3", "5" -> "three point five"; the fraction is read digit by digit."""
    words = cardinal(int(integer.replace(",", "") or 0))
    return words + (" point " + spell_digits(fraction) if fraction else "")


# ---------------------------------------------------------------- normalisation rules
_UNICODE = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
                          "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2033": '"', "\u00ab": '"',
                          "\u00bb": '"', "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-",
                          "\u2014": " - ", "\u2015": " - ", "\u2212": "-", "\u00a0": " "})
# titles and units (case matters: "Dr." before a name is "doctor", elsewhere "drive")
_ABBREVIATIONS = [(re.compile(p), r) for p, r in [
    (r"\bMrs\.", "missus"), (r"\bMr\.", "mister"), (r"\bMs\.", "miz"), (r"\bDr\.(?=\s+[A-Z])", "doctor"),
    (r"\bDr\.", "drive"), (r"\bSt\.(?=\s+[A-Z])", "saint"), (r"\bSt\.", "street"), (r"\bJr\.", "junior"),
    (r"\bSr\.", "senior"), (r"\bProf\.", "professor"), (r"\bCapt\.", "captain"), (r"\bGen\.", "general"),
    (r"\bLt\.", "lieutenant"), (r"\bCol\.", "colonel"), (r"\bSgt\.", "sergeant"), (r"\bMt\.", "mount"),
    (r"\bAve\.", "avenue"), (r"\bRd\.", "road"), (r"\bBlvd\.", "boulevard"), (r"\bNo\.(?=\s*\d)", "number"),
    (r"\bInc\.", "incorporated"), (r"\bLtd\.", "limited"), (r"\bCo\.", "company"), (r"\bDept\.", "department"),
    (r"\bJan\.", "January"), (r"\bFeb\.", "February"), (r"\bAug\.", "August"), (r"\bSept?\.", "September"),
    (r"\bOct\.", "October"), (r"\bNov\.", "November"), (r"\bDec\.", "December"),
]] + [(re.compile(p, re.IGNORECASE), r) for p, r in [
    (r"\bvs\.?(?=\s)", "versus"), (r"\be\.g\.,?", "for example,"), (r"\bi\.e\.,?", "that is,"),
    (r"\betc\.(?=\s+(?-i:[A-Z])|\s*$)", "et cetera."), (r"\betc\.", "et cetera"), (r"\bapprox\.", "approximately"),
]]
_CURRENCY = {"$": ("dollar", "dollars", "cent", "cents"), "£": ("pound", "pounds", "penny", "pence"),
             "€": ("euro", "euros", "cent", "cents")}
_NUM = r"\d{1,3}(?:,\d{3})+|\d+"
_MONEY_RE = re.compile(rf"([$£€])\s?({_NUM})(?:\.(\d+))?(?:\s+(thousand|million|billion|trillion)\b)?", re.I)
_PERCENT_RE = re.compile(rf"(-?)({_NUM})(?:\.(\d+))?\s?%")
# "p.m." keeps its final dot when it ends the sentence
_AMPM = r"([ap])\.?\s?m\b(?:\.(?!\s+(?-i:[A-Z])|\s*$))?"
_TIME_RE = re.compile(rf"\b(\d{{1,2}}):(\d{{2}})\b(?:\s*{_AMPM})?", re.I)
_AMPM_RE = re.compile(rf"\b(\d{{1,2}})\s?{_AMPM}", re.I)
_ORDINAL_RE = re.compile(r"\b(\d{1,3}(?:,\d{3})+|\d+)(st|nd|rd|th)\b", re.I)
_RANGE_RE = re.compile(r"\b(\d+)\s?-\s?(\d+)\b")
# a minus sign only where a word cannot end before it ("COVID-19" is not minus nineteen)
_NUMBER_RE = re.compile(rf"((?<![\w-])-(?=\d))?(?<![\d.])({_NUM})(?:\.(\d+))?(?!\d)")
_DECADE_RE = re.compile(r"(?<![\w.])'?(\d{2}|\d{4})s\b")
_INITIALISM_RE = re.compile(r"\b((?:[A-Za-z]\.){2,})")


def _money(m: re.Match) -> str:
    one, many, sub_one, sub_many = _CURRENCY[m.group(1)]
    whole, frac, scale = m.group(2).replace(",", ""), m.group(3), m.group(4)
    if scale:  # "$1.5 million" -> "one point five million dollars"
        return f"{decimal(whole, frac)} {scale.lower()} {many}"
    units = int(whole)
    cents = int((frac or "0")[:2].ljust(2, "0"))
    parts = [f"{cardinal(units)} {one if units == 1 else many}"] if units or not cents else []
    if cents:
        parts.append(f"{cardinal(cents)} {sub_one if cents == 1 else sub_many}")
    return " ".join(parts)


def _time(m: re.Match) -> str:
    hours, minutes, half = int(m.group(1)), int(m.group(2)), m.group(3)
    if hours > 24 or minutes > 59:
        return f"{cardinal(hours)} {cardinal(minutes)}"
    words = [cardinal(hours)]
    if minutes == 0:
        words.append("" if half else "o'clock")
    else:
        words.append(f"oh {_ONES[minutes]}" if minutes < 10 else cardinal(minutes))
    if half:
        words.append(f"{half.lower()} m")
    return " ".join(w for w in words if w)


def _initialism(m: re.Match) -> str:
    """ "U.S." -> "U S"; the last dot stays when the text ends there (it ends the sentence)."""
    letters = " ".join(m.group(1).replace(".", " ").split())
    return letters + ("." if not m.string[m.end():].strip() else " ")


def _number(m: re.Match) -> str:
    """Padded with spaces so that "3D" or "mp3" keep the number a word of its own."""
    sign, whole, frac = m.group(1), m.group(2), m.group(3)
    if frac is None and not sign and "," not in whole and len(whole) == 4 and 1100 <= int(whole) <= 2099:
        words = year(int(whole))
    elif whole.startswith("0") and len(whole) > 1 and frac is None:
        words = spell_digits(whole)  # codes like "007"
    elif len(whole.replace(",", "")) > 18:
        words = spell_digits(whole.replace(",", ""))
    else:
        words = ("minus " if sign else "") + decimal(whole, frac)
    return f" {words} "


def _decade(m: re.Match) -> str:
    """ "1990s" -> "nineteen nineties", "'80s" -> "eighties"."""
    n = int(m.group(1))
    *head, last = (year(n) if len(m.group(1)) == 4 else cardinal(n)).split()
    last = last[:-1] + "ies" if last.endswith("y") else last + ("es" if last.endswith("x") else "s")
    return " ".join(head + [last])


def normalize(text: str) -> str:
    """Written English -> words to say, keeping ``. , ! ? ; :``.

    Numbers become words (cardinals to the quadrillions, "3.5" -> "three point five", "21st" ->
    "twenty first", "1999" -> "nineteen ninety nine", "$5.50", "15%", "3:30"), common abbreviations
    are expanded, "&" becomes "and", unicode quotes and dashes become ASCII, accents are dropped,
    symbols with nothing to say are removed and whitespace is collapsed. Case is kept.
    """
    text = unicodedata.normalize("NFKC", text).translate(_UNICODE)
    # drop accents ("café" -> "cafe") so espeak's English voice reads the word, not letter names
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    for pattern, replacement in _ABBREVIATIONS:
        text = pattern.sub(replacement, text)
    text = _TIME_RE.sub(_time, text)
    text = _AMPM_RE.sub(lambda m: f"{cardinal(int(m.group(1)))} {m.group(2).lower()} m", text)
    text = _INITIALISM_RE.sub(_initialism, text)
    text = text.replace("&", " and ").replace("@", " at ").replace("+", " plus ").replace("=", " equals ")
    text = _MONEY_RE.sub(_money, text)
    text = _PERCENT_RE.sub(lambda m: ("minus " if m.group(1) else "") + decimal(m.group(2), m.group(3)) + " percent", text)
    text = _DECADE_RE.sub(_decade, text)
    text = _ORDINAL_RE.sub(lambda m: ordinal(int(m.group(1).replace(",", ""))), text)
    text = _RANGE_RE.sub(r"\1 to \2", text)
    text = re.sub(r"\b\d+(?:\.\d+){2,}\b", lambda m: " dot ".join(cardinal(int(x)) for x in m.group(0).split(".")), text)
    text = re.sub(r"(?<![\w.])\.(\d+)", lambda m: " point " + spell_digits(m.group(1)), text)  # ".5"
    text = _NUMBER_RE.sub(_number, text)
    text = re.sub(r"\d+", lambda m: f" {spell_digits(m.group(0))} ", text)  # anything left ("v1.2.3")
    text = re.sub(r"(?<=\w)-\s+|\s+-(?=\w)", " ", text)  # "COVID- nineteen", "twenty -year-old"
    text = re.sub(r"(?<!\w)-+(?!\w)|--+", ",", text)  # a free-standing dash is a pause
    text = re.sub(r"[^A-Za-z'\-.,!?;:\s]", " ", text)
    text = re.sub(r"(?<![A-Za-z])'|'(?![A-Za-z])", " ", text)  # quote marks, not apostrophes
    text = re.sub(r"\s+([.,!?;:])", r"\1", text)
    text = re.sub(r"^[\s,;:]+|(?<=[.!?;:,])[,;:]+", "", text.strip())
    return re.sub(r"\s+", " ", text).strip()


_ANY_TAG = re.compile(r"\[[^\[\]]*\]")


def has_pronounceable(text: str) -> bool:
    """True when ``normalize(text)`` has at least one letter (digits have become words).
    Inline emotion tags (``[happy]``) are not text to say and do not count."""
    return re.search(r"[A-Za-z]", normalize(_ANY_TAG.sub(" ", text))) is not None


def check_text(text: str) -> str:
    """The normalised text with any emotion tags left out, or an :class:`EmogenError` when there
    is nothing to say."""
    if not isinstance(text, str) or not has_pronounceable(text):
        shown = text if isinstance(text, str) and len(text) <= 40 else f"{str(text)[:40]}..."
        raise EmogenError(f"text {shown!r} has nothing to pronounce; give at least one word or number")
    return normalize(_ANY_TAG.sub(" ", text))


# The shipped voice speaks 12-20 characters of normalised text a second at speed 1 (sentence
# pauses included); no voice says more than this many, so a text longer than
# FASTEST_CHARS_PER_S * speed * limit characters is certainly over a length limit.
FASTEST_CHARS_PER_S = 30.0


def check_speech_length(text: str, speed: float, max_seconds: float) -> None:
    """Refuse, before any synthesis, a text whose speech would certainly last over ``max_seconds``
    at ``speed``: its normalised characters at :data:`FASTEST_CHARS_PER_S`. (A text under this
    bound can still be over the limit; the exact check follows synthesis.)"""
    chars = len(normalize(_ANY_TAG.sub(" ", text)))
    shortest = chars / (FASTEST_CHARS_PER_S * speed)
    if shortest > max_seconds:
        raise EmogenError(f"the text ({chars} characters) would last at least {shortest:.0f} s of speech, over the "
                          f"limit of {max_seconds:g} s; shorten it or raise --max-seconds")


# ---------------------------------------------------------------- sentences
_NO_SPLIT = {"mr", "mrs", "ms", "dr", "st", "jr", "sr", "prof", "capt", "gen", "lt", "col", "sgt", "mt",
             "ave", "rd", "blvd", "no", "vs", "etc", "approx", "inc", "ltd", "co", "dept", "fig", "jan",
             "feb", "mar", "apr", "aug", "sep", "sept", "oct", "nov", "dec"}
_END_RE = re.compile(r"[.!?]+[\"')\]]*(?=\s)")


def _is_boundary(text: str, end: int) -> bool:
    """Whether the sentence punctuation ending at ``end`` (exclusive) ends a sentence."""
    rest = text[end:].lstrip()
    if not rest or rest[0].islower():
        return False
    word = re.search(r"(\S+)$", text[:end]).group(1).rstrip("\"')]")
    if word.endswith(".") and not word.endswith(".."):
        stem = word[:-1].lstrip("\"'([").lower()
        if stem in _NO_SPLIT and stem != "etc" or re.fullmatch(r"(?:[a-z]\.)*[a-z]", stem):
            return False  # a title or an initial ("J. R. R. Tolkien", "U.S. Army")
    return True


def _split_complete(text: str) -> tuple[list[str], str]:
    """Sentences surely complete in ``text`` and the unfinished rest."""
    sentences, start = [], 0
    for m in _END_RE.finditer(text):
        if _is_boundary(text, m.end()):
            sentences.append(text[start:m.end()].strip())
            start = m.end()
    return [s for s in sentences if s], text[start:]


def split_sentences(text: str) -> list[str]:
    """Sentences of ``text``: split after ``. ! ?`` followed by space and a word that is not lower
    case, never after a title ("Dr."), an initial ("J.") or inside a number ("3.5"); a blank line
    also ends a sentence. Whitespace inside a sentence is collapsed."""
    out = []
    for paragraph in re.split(r"\n\s*\n", text):
        done, rest = _split_complete(paragraph)
        out += done + ([rest.strip()] if rest.strip() else [])
    return [re.sub(r"\s+", " ", s) for s in out]


# ---------------------------------------------------------------- inline emotion tags
@dataclass(frozen=True)
class Segment:
    """A stretch of text and the emotion to say it with (``None``: the caller's default)."""

    text: str
    emotion: EmotionSpec | EmotionTrajectory | None


_TAG_RE = re.compile(r"\[([^\[\]]*)\]")


def parse_tagged(text: str, default: EmotionSpec | EmotionTrajectory | None = None) -> list[Segment]:
    """Split ``text`` at inline emotion tags: ``"[happy] We won! [sad:0.8] But the trophy broke."``.

    A tag holds anything :func:`emogen.parse_emotion` accepts (``[happy:0.6+surprised:0.4]``,
    ``[v=0.5,a=0.3]``, ``[wistful]``, ``[neutral>sad]``); text before the first tag uses
    ``default``. Square brackets are reserved for tags: a bracketed text that is not a valid spec,
    an empty ``[]`` or an unmatched bracket raises :class:`EmogenError` naming it. Segments with
    no text (two tags in a row) are dropped.
    """
    segments, emotion, pos = [], default, 0
    for m in _TAG_RE.finditer(text):
        _check_brackets(text[pos:m.start()])
        segments.append(Segment(text[pos:m.start()].strip(), emotion))
        try:
            emotion = parse_emotion(m.group(1))
        except EmogenError as e:
            raise EmogenError(f"emotion tag '[{m.group(1)}]' is not an emotion spec: {e}") from None
        pos = m.end()
    _check_brackets(text[pos:])
    segments.append(Segment(text[pos:].strip(), emotion))
    return [s for s in segments if s.text]


def _check_brackets(piece: str) -> None:
    if "[" in piece or "]" in piece:
        raise EmogenError(f"unmatched square bracket in {piece.strip()!r}; brackets are for emotion "
                          "tags like '[happy]' or '[sad:0.8]'")
