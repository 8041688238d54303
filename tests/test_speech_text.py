import pytest

from emogen.emotion import EmotionSpec, EmotionTrajectory, parse_emotion
from emogen.errors import EmogenError
from emogen.speech.text import (Segment, cardinal, check_text, has_pronounceable, normalize,
                                ordinal, parse_tagged, split_sentences, year)


@pytest.mark.parametrize("n,words", [
    (0, "zero"), (7, "seven"), (13, "thirteen"), (20, "twenty"), (42, "forty two"), (100, "one hundred"),
    (101, "one hundred one"), (999, "nine hundred ninety nine"), (1000, "one thousand"),
    (1001, "one thousand one"), (12345, "twelve thousand three hundred forty five"),
    (1_000_000, "one million"), (2_000_000_003, "two billion three"),
    (7_006_000_000_000, "seven trillion six billion"), (-15, "minus fifteen"),
])
def test_cardinal(n, words):
    assert cardinal(n) == words


def test_ordinal_and_year():
    assert [ordinal(n) for n in (1, 2, 3, 5, 8, 9, 12, 20, 21, 100, 101)] == [
        "first", "second", "third", "fifth", "eighth", "ninth", "twelfth", "twentieth", "twenty first",
        "one hundredth", "one hundred first"]
    assert year(1999) == "nineteen ninety nine" and year(1905) == "nineteen oh five"
    assert year(1900) == "nineteen hundred" and year(2005) == "two thousand five"
    assert year(2024) == "twenty twenty four" and year(1066) == "ten sixty six"


@pytest.mark.parametrize("text,expected", [
    ("I have 3 cats.", "I have three cats."),
    ("It weighs 3.5 kilos", "It weighs three point five kilos"),
    ("The 1st and the 21st, the 2nd, 3rd, 12th.", "The first and the twenty first, the second, third, twelfth."),
    ("In 1999 we met.", "In nineteen ninety nine we met."),
    ("1,234,567 people", "one million two hundred thirty four thousand five hundred sixty seven people"),
    ("It cost $5.", "It cost five dollars."),
    ("It cost $5.50!", "It cost five dollars fifty cents!"),
    ("Only $1 or $0.99", "Only one dollar or ninety nine cents"),
    ("a $2.5 million deal", "a two point five million dollars deal"),
    ("£3 and €1.01", "three pounds and one euro one cent"),
    ("Up 15% and 2.5%", "Up fifteen percent and two point five percent"),
    ("Meet at 3:30.", "Meet at three thirty."),
    ("At 3:05 pm, or at 10:00.", "At three oh five p m, or at ten o'clock."),
    ("Mr. Smith, Mrs. Jones and Dr. Who", "mister Smith, missus Jones and doctor Who"),
    ("St. Paul lives on Main St.", "saint Paul lives on Main street"),
    ("Apples, pears, etc. are fruit, e.g. these; cats vs. dogs",
     "Apples, pears, et cetera are fruit, for example, these; cats versus dogs"),
    ("Salt & pepper", "Salt and pepper"),
    ("\u201cHello,\u201d she said \u2014 \u2018twice\u2019.", "Hello, she said, twice."),
    ("spaced   out\n\ttext  !", "spaced out text!"),
    ("From 1990-1995", "From nineteen ninety to nineteen ninety five"),
    ("caf\u00e9 na\u00efve", "cafe naive"),
    ("Don't stop; keep going: now?", "Don't stop; keep going: now?"),
    ("-4 degrees", "minus four degrees"),
    ("The 1990s and the '80s.", "The nineteen nineties and the eighties."),
    ("mp3 players, 3D films, COVID-19", "mp three players, three D films, COVID nineteen"),
    ("1,2,3 go", "one, two, three go"),
    ("a 20-year-old", "a twenty year-old"),
    ("0.5 or .5", "zero point five or point five"),
    ("version 1.2.3 is out", "version one dot two dot three is out"),
    ("Agent 007", "Agent zero zero seven"),
])
def test_normalize(text, expected):
    assert normalize(text) == expected


def test_normalize_output_is_plain_words_and_punctuation():
    out = normalize("#1 (top!) <b>bold</b> 100% ~ *stars* | pipes \u2026 50\u00b0")
    assert set(out) <= set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ '-.,!?;:")
    assert "one hundred percent" in out and "bold" in out


def test_pronounceable_and_check_text():
    assert has_pronounceable("42") and has_pronounceable("hi") and not has_pronounceable(" ... !? ")
    assert check_text("I'm 30.") == "I'm thirty." and check_text("[sad] Bye [happy] now") == "Bye now"
    assert has_pronounceable("[happy] hi") and not has_pronounceable("[happy] [sad:0.5] ...")
    for bad in ("", "   ", "?!", "$", "[happy]"):
        with pytest.raises(EmogenError, match="has nothing to pronounce"):
            check_text(bad)


def test_split_sentences():
    text = ("Dr. Smith paid $3.50 for it. Then he left! Did J. R. R. Tolkien write it? Mr. Brown "
            "said yes.   The U.S. Army agreed.\n\nA new paragraph with no end")
    assert split_sentences(text) == [
        "Dr. Smith paid $3.50 for it.", "Then he left!", "Did J. R. R. Tolkien write it?",
        "Mr. Brown said yes.", "The U.S. Army agreed.", "A new paragraph with no end"]
    assert split_sentences("He said \"Stop!\" Then silence.") == ['He said "Stop!"', "Then silence."]
    assert split_sentences("It was 3.5 m long. ok then.") == ["It was 3.5 m long. ok then."]
    assert split_sentences("   ") == []


def test_parse_tagged():
    segs = parse_tagged("Hello. [happy] We won! [sad:0.8] But the trophy broke.", default=None)
    assert [s.text for s in segs] == ["Hello.", "We won!", "But the trophy broke."]
    assert segs[0].emotion is None
    assert segs[1].emotion == parse_emotion("happy")
    assert isinstance(segs[2].emotion, EmotionSpec) and segs[2].emotion.intensity == pytest.approx(0.8)


def test_parse_tagged_default_and_rich_specs():
    calm = parse_emotion("calm")
    segs = parse_tagged("Before [happy:0.6+surprised:0.4] mix [v=0.5,a=-0.2] vad [neutral>sad] fade", calm)
    assert segs[0] == Segment("Before", calm)
    assert {c.emotion for c in segs[1].emotion.components} == {"happy", "surprised"}
    assert segs[2].emotion.is_dimensional
    assert isinstance(segs[3].emotion, EmotionTrajectory)
    assert parse_tagged("no tags at all", calm) == [Segment("no tags at all", calm)]
    assert parse_tagged("[happy][sad] only sad", None) == [Segment("only sad", parse_emotion("sad"))]


@pytest.mark.parametrize("text,match", [
    ("[hapy] typo", r"emotion tag '\[hapy\]'"),
    ("[] empty", r"emotion tag '\[\]'"),
    ("[sad:2] too much", r"emotion tag '\[sad:2\]'"),
    ("[happy unclosed", "unmatched square bracket"),
    ("closed] only", "unmatched square bracket"),
    ("[happy] fine [then broken", "unmatched square bracket"),
])
def test_parse_tagged_errors(text, match):
    with pytest.raises(EmogenError, match=match):
        parse_tagged(text, None)
