"""English words to ARPAbet phones, through espeak-ng (phonemizer) and an IPA -> ARPAbet table.

The acoustic model's symbols are the lower-case ARPAbet phones of Festival's
``cmu_us_slt_arctic_hts`` voice plus ``pau``. espeak-ng gives IPA; :data:`IPA_TO_ARPABET` maps each
IPA unit espeak emits for ordinary English to one or more phones. An IPA unit the table does not
know is split greedily into known units; a character left over is logged once and dropped, so odd
input never crashes the front end.

espeak-ng is the library shipped inside the ``espeakng-loader`` wheel (no system package); it is
located and loaded lazily on the first call, once per process, because creating the backend is
slow (about 0.1 s) and importing this module must have no side effects.

Symbol inventory (:data:`SYMBOLS`): ``<pad>`` (id 0), ``<bos>``, ``<eos>``, ``<unk>``, the phones,
the word boundary ``|``, and one token per sentence punctuation mark ``, . ! ? ; :``. Punctuation is
kept as its own token (not folded into ``pau``) because ``?`` and ``.`` end with different prosody;
in :class:`Phonemized` every punctuation mark is a ``pau`` phone that remembers its mark.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Iterable, Sequence

from ..errors import EmogenError

log = logging.getLogger(__name__)

PHONES: tuple[str, ...] = tuple(
    "aa ae ah ao aw ax axr ay b ch d dh eh el em en er ey f g hh ih iy jh k l m n ng ow oy p r s sh "
    "t th uh uw v w y z zh pau".split())
SPECIALS: tuple[str, ...] = ("<pad>", "<bos>", "<eos>", "<unk>")
WORD_BOUNDARY = "|"
PUNCTUATION: tuple[str, ...] = (",", ".", "!", "?", ";", ":")
SYMBOLS: tuple[str, ...] = SPECIALS + PHONES + (WORD_BOUNDARY,) + PUNCTUATION
symbol_to_id: dict[str, int] = {s: i for i, s in enumerate(SYMBOLS)}
PAD_ID = symbol_to_id["<pad>"]

# the flap is a placeholder, resolved to t or d from the spelling in _resolve_flaps
_FLAP = "FLAP"
IPA_TO_ARPABET: dict[str, tuple[str, ...]] = {
    # vowels
    "ɑ": ("aa",), "ɑː": ("aa",), "a": ("aa",), "aː": ("aa",), "ɒ": ("aa",), "ɒː": ("aa",),
    "æ": ("ae",), "ʌ": ("ah",), "ɐ": ("ah",), "ɐː": ("ah",), "ə": ("ax",), "ɚ": ("er",),
    "ɜ": ("er",), "ɜː": ("er",), "ɝ": ("er",), "ɔ": ("ao",), "ɔː": ("ao",), "ɛ": ("eh",),
    "ɛː": ("eh",), "e": ("eh",), "eː": ("ey",), "ɪ": ("ih",), "ᵻ": ("ih",), "ɨ": ("ih",),
    "i": ("iy",), "iː": ("iy",), "ɪː": ("iy",), "ʊ": ("uh",), "u": ("uw",), "uː": ("uw",),
    "ʉ": ("uw",), "ʉː": ("uw",), "o": ("ow",), "oː": ("ow",), "y": ("uw",), "yː": ("uw",),
    "ø": ("er",), "øː": ("er",), "œ": ("eh",),
    # diphthongs
    "aɪ": ("ay",), "eɪ": ("ey",), "oʊ": ("ow",), "əʊ": ("ow",), "aʊ": ("aw",), "ɔɪ": ("oy",),
    "ɑɪ": ("ay",), "ɑʊ": ("aw",), "ɪə": ("ih", "r"), "eə": ("eh", "r"), "ʊə": ("uh", "r"),
    "iə": ("iy", "ax"), "aɪə": ("ay", "er"), "aɪɚ": ("ay", "er"), "aʊə": ("aw", "er"),
    "aʊɚ": ("aw", "er"), "juː": ("y", "uw"),
    # r-coloured vowels
    "ɑːɹ": ("aa", "r"), "ɑɹ": ("aa", "r"), "ɔːɹ": ("ao", "r"), "ɔɹ": ("ao", "r"),
    "oːɹ": ("ao", "r"), "oɹ": ("ao", "r"), "ɛɹ": ("eh", "r"), "eɹ": ("eh", "r"),
    "ɪɹ": ("ih", "r"), "iɹ": ("ih", "r"), "ʊɹ": ("uh", "r"), "uɹ": ("uh", "r"),
    "ɜːɹ": ("er",), "ɚɹ": ("er",), "əɹ": ("er",),
    # syllabic consonants
    "n̩": ("en",), "l̩": ("el",), "m̩": ("em",), "əl": ("el",), "əm": ("ax", "m"), "ən": ("ax", "n"),
    # consonants
    "b": ("b",), "d": ("d",), "f": ("f",), "g": ("g",), "ɡ": ("g",), "h": ("hh",), "k": ("k",),
    "l": ("l",), "ɫ": ("l",), "m": ("m",), "n": ("n",), "p": ("p",), "s": ("s",), "t": ("t",),
    "v": ("v",), "w": ("w",), "z": ("z",), "ɹ": ("r",), "r": ("r",), "ɾ": (_FLAP,), "ɽ": (_FLAP,),
    "j": ("y",), "ŋ": ("ng",), "θ": ("th",), "ð": ("dh",), "ʃ": ("sh",), "ʒ": ("zh",),
    "tʃ": ("ch",), "dʒ": ("jh",), "ʔ": ("t",), "x": ("k",), "ç": ("hh",), "ʍ": ("w",),
    "ɬ": ("l",), "ɲ": ("n", "y"), "ʎ": ("l", "y"), "β": ("v",), "ɣ": ("g",), "ts": ("t", "s"),
    "dz": ("d", "z"), "ɕ": ("sh",), "ʑ": ("zh",), "c": ("k",), "ɟ": ("g",), "q": ("k",),
}
# marks espeak may attach that carry no phone identity here (stress, tie, nasalisation, palatalisation)
_IGNORED = dict.fromkeys(map(ord, "ˈˌ\u0361\u035c-ˑ\u0303ʲ"), None)
_LONGEST_KEY = max(map(len, IPA_TO_ARPABET))
_warned: set[str] = set()


@dataclass(frozen=True)
class Phonemized:
    """One sentence as phones.

    ``phones[i]`` is an ARPAbet phone or ``pau``; ``word_index[i]`` is the index into ``words`` of
    the word it belongs to (-1 for ``pau``); ``marks[i]`` is the punctuation mark a ``pau`` stands
    for ("" for the leading/trailing silence and for every non-pause phone). ``pau`` is placed at
    the start, after every ``, . ! ? ; :`` and at the end (never twice in a row).
    """

    words: list[str]
    phones: list[str]
    word_index: list[int]
    marks: list[str] = field(default_factory=list)

    def symbols(self, boundaries: bool = True) -> list[str]:
        """Model tokens: a ``pau`` from punctuation becomes its mark; with ``boundaries``, ``|``
        goes between two words that no pause separates (then tokens are no longer 1:1 with
        ``phones``; without it they are, which keeps alignment with phone durations trivial)."""
        out: list[str] = []
        for i, (phone, w, mark) in enumerate(zip(self.phones, self.word_index, self.marks)):
            if boundaries and i and w >= 0 and self.word_index[i - 1] >= 0 and self.word_index[i - 1] != w:
                out.append(WORD_BOUNDARY)
            out.append(mark or phone)
        return out

    def ids(self, boundaries: bool = True) -> list[int]:
        return ids_for(self.symbols(boundaries))


def ids_for(symbols: Iterable[str], bos_eos: bool = False) -> list[int]:
    """Symbol ids (indices into :data:`SYMBOLS`); ``bos_eos`` wraps them in ``<bos>`` / ``<eos>``."""
    ids = []
    for s in symbols:
        if s not in symbol_to_id:
            raise EmogenError(f"unknown phone symbol '{s}'; accepted: {' '.join(SYMBOLS)}")
        ids.append(symbol_to_id[s])
    if bos_eos:
        ids = [symbol_to_id["<bos>"], *ids, symbol_to_id["<eos>"]]
    return ids


# ---------------------------------------------------------------- espeak backend (lazy, shared)
_lock = threading.RLock()
_backend = None


def _espeak():
    """The espeak-ng backend, created on first use from the library in the espeakng-loader wheel."""
    global _backend
    with _lock:
        if _backend is None:
            try:
                import espeakng_loader
                from phonemizer.backend import EspeakBackend
                from phonemizer.backend.espeak.wrapper import EspeakWrapper
            except ImportError as e:  # pragma: no cover - both are dependencies of emogen
                raise EmogenError(f"phonemizing needs 'phonemizer' and 'espeakng-loader' ({e}); "
                                  "pip install phonemizer espeakng-loader") from e
            # the wheel's library must read the wheel's data (another espeak's data may not match)
            EspeakWrapper.set_library(espeakng_loader.get_library_path())
            EspeakWrapper.set_data_path(espeakng_loader.get_data_path())
            os.environ["ESPEAK_DATA_PATH"] = espeakng_loader.get_data_path()
            quiet = logging.getLogger("phonemizer.quiet")
            quiet.setLevel(logging.ERROR)
            _backend = EspeakBackend("en-us", preserve_punctuation=False, with_stress=False,
                                     language_switch="remove-flags", logger=quiet)
        return _backend


def _espeak_lines(lines: list[str]) -> list[list[list[str]]]:
    """espeak IPA for each line: per line a list of words, per word its IPA units."""
    if not lines:
        return []
    from phonemizer.separator import Separator

    with _lock:  # the espeak-ng library keeps global state: one caller at a time
        out = _espeak().phonemize(lines, separator=Separator(phone=" ", word="|", syllable=""), strip=True)
    return [[w.split() for w in line.split("|") if w.strip()] for line in out]


# ---------------------------------------------------------------- IPA -> ARPAbet
def _map_unit(unit: str) -> list[str]:
    unit = unit.translate(_IGNORED)
    if unit in IPA_TO_ARPABET:
        return list(IPA_TO_ARPABET[unit])
    phones, i = [], 0
    while i < len(unit):  # greedy longest match over the table's keys
        for size in range(min(_LONGEST_KEY, len(unit) - i), 0, -1):
            piece = unit[i:i + size]
            if piece in IPA_TO_ARPABET:
                phones.extend(IPA_TO_ARPABET[piece])
                i += size
                break
        else:
            if unit[i] not in _warned:
                _warned.add(unit[i])
                log.warning("no ARPAbet phone for espeak IPA symbol %r (U+%04X); dropped", unit[i], ord(unit[i]))
            i += 1
    return phones


def _resolve_flaps(phones: list[str], word: str) -> list[str]:
    """espeak writes the American flap for both /t/ and /d/ ("butter", "ladder"); the spelling
    decides: d when the word has a d and no t, t otherwise."""
    if _FLAP not in phones:
        return phones
    spelled = word.lower()
    flap = "d" if "d" in spelled and "t" not in spelled else "t"
    return [flap if p == _FLAP else p for p in phones]


def _cleanup(phones: list[str]) -> list[str]:
    """er already carries the r colour: "er r" (espeak's linking r) becomes er."""
    out: list[str] = []
    for p in phones:
        if p == "r" and out and out[-1] == "er":
            continue
        out.append(p)
    return out


def ipa_to_arpabet(units: Sequence[str], word: str = "") -> list[str]:
    """ARPAbet phones for espeak IPA units (``["k", "æ", "t"]`` -> ``["k", "ae", "t"]``)."""
    phones = [p for unit in units for p in _map_unit(unit)]
    return _cleanup(_resolve_flaps(phones, word))


# ---------------------------------------------------------------- words and sentences
_WORD_RE = re.compile(r"[A-Za-z0-9]+(?:'[A-Za-z]+)*|[,.!?;:]")
_cache: OrderedDict[str, tuple[str, ...]] = OrderedDict()
_CACHE_SIZE = 50_000


def clean_word(word: str) -> str:
    """Lower-case letters, digits and inner apostrophes only ("Don't!" -> "don't")."""
    return " ".join(m.group(0) for m in _WORD_RE.finditer(word.lower()) if m.group(0) not in PUNCTUATION)


def phonemize_words(words: list[str]) -> list[list[str]]:
    """ARPAbet phones for each word, in isolation (citation form).

    Args:
        words: normalised words (``normalize`` from :mod:`emogen.speech.text` first); case and
            punctuation are ignored. A word with nothing pronounceable gives ``[]``.

    Returns:
        one list of phones (members of :data:`PHONES`, never ``pau``) per word.
    """
    cleaned = [clean_word(w) for w in words]
    todo = sorted({w for w in cleaned if w and w not in _cache})
    for word, ipa_words in zip(todo, _espeak_lines(todo) if todo else []):
        _remember(word, tuple(ipa_to_arpabet([u for w in ipa_words for u in w], word)))
    # a word espeak returns nothing for (rare) gets no entry in zip; treat as silent
    out = []
    for w in cleaned:
        if w and w not in _cache:
            _remember(w, ())
        out.append(list(_cache[w]) if w else [])
        if w:
            _cache.move_to_end(w)
    return out


def _remember(word: str, phones: tuple[str, ...]) -> None:
    _cache[word] = phones
    if len(_cache) > _CACHE_SIZE:
        _cache.popitem(last=False)


def _split(text: str) -> list[str]:
    return [m.group(0) for m in _WORD_RE.finditer(text)]


def phonemize_batch(texts: list[str]) -> list[Phonemized]:
    """:func:`phonemize` for many sentences with one espeak call (much faster than one by one).

    Each sentence's words are phonemized together, so espeak sees their context (the weak "to"
    in "to be", linking r). espeak sometimes runs words together ("could have" -> one chunk);
    such chunks are split back onto our words by aligning the phones with the words' citation
    forms, so ``word_index`` always matches ``words``. Where that would leave a word with no
    phone, the sentence falls back to citation forms word by word.
    """
    tokens = [_split(t) for t in texts]
    words = [[clean_word(t) for t in toks if t not in PUNCTUATION] for toks in tokens]
    lines = [" ".join(ws) for ws in words]
    espeak = _espeak_lines([ln for ln in lines if ln])
    ipa_iter = iter(espeak)
    results = []
    for toks, ws, line in zip(tokens, words, lines):
        ipa = next(ipa_iter) if line else []
        if len(ipa) == len(ws):
            per_word = [ipa_to_arpabet(units, w) for units, w in zip(ipa, ws)]
        else:
            per_word = _split_chunks(ipa, ws)
        results.append(_assemble(toks, ws, per_word))
    return results


def _edit(a: list[str], b: list[str]) -> tuple[float, list[int]]:
    """Edit distance from ``a`` to ``b`` and, for each phone of ``a``, the index of the phone of
    ``b`` it is aligned with (an inserted phone goes with the phone before it)."""
    n, m = len(a), len(b)
    d = [[float(i + j) if not i or not j else 0.0 for j in range(m + 1)] for i in range(n + 1)]
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            d[i][j] = min(d[i - 1][j - 1] + (a[i - 1] != b[j - 1]) * 0.8, d[i - 1][j] + 1, d[i][j - 1] + 1)
    owner, i, j = [0] * n, n, m
    while i > 0:
        if j > 0 and d[i][j] == d[i - 1][j - 1] + (a[i - 1] != b[j - 1]) * 0.8:
            owner[i - 1], i, j = j - 1, i - 1, j - 1
        elif j > 0 and d[i][j] == d[i][j - 1] + 1:
            j -= 1
        else:
            owner[i - 1], i = max(j - 1, 0), i - 1
    return d[n][m], owner


def _split_chunks(ipa: list[list[str]], words: list[str]) -> list[list[str]]:
    """Phones per word when espeak's chunks (``ipa``) do not map one to one onto ``words``: the
    spoken phones are aligned with the words' citation forms and each goes to the word whose
    citation phone it aligns with. If a word would be left with no phone, the whole sentence
    uses citation forms instead."""
    citation = phonemize_words(words)
    # flaps stay unresolved until we know which word (spelling) they belong to
    spoken = [p for units in ipa for p in _cleanup([q for unit in units for q in _map_unit(unit)])]
    owners_of = [w for w, phones in enumerate(citation) for _ in phones]
    if not spoken or not owners_of:
        return citation
    _, owner = _edit(spoken, [p for phones in citation for p in phones])
    per_word: list[list[str]] = [[] for _ in words]
    for p, o in zip(spoken, owner):
        per_word[owners_of[o]].append(p)
    if any(citation[w] and not per_word[w] for w in range(len(words))):
        return citation
    return [_resolve_flaps(phones, word) for phones, word in zip(per_word, words)]


def phonemize(text: str) -> Phonemized:
    """Phones for one normalised sentence, with word boundaries and a ``pau`` at punctuation.

    >>> phonemize("cat, pig.").phones
    ['pau', 'k', 'ae', 't', 'pau', 'p', 'ih', 'g', 'pau']
    """
    return phonemize_batch([text])[0]


def _assemble(tokens: list[str], words: list[str], per_word: list[list[str]]) -> Phonemized:
    phones, index, marks = ["pau"], [-1], [""]
    w = 0
    for tok in tokens:
        if tok in PUNCTUATION:
            if phones[-1] == "pau":
                if not marks[-1] and len(phones) > 1:
                    marks[-1] = tok
                continue
            phones.append("pau"), index.append(-1), marks.append(tok)
            continue
        for p in per_word[w]:
            phones.append(p), index.append(w), marks.append("")
        w += 1
    if phones[-1] != "pau":
        phones.append("pau"), index.append(-1), marks.append("")
    return Phonemized(words=words, phones=phones, word_index=index, marks=marks)
