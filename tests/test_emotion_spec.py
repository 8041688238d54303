import json

import pytest

from emogen import EmogenError, EmotionSpec, EmotionTrajectory, parse_emotion
from emogen.emotion import CATEGORY_NAMES
from emogen.emotion.space import category


def test_every_category_and_synonym_parses():
    for name in CATEGORY_NAMES:
        spec = parse_emotion(name)
        assert spec.components[0].emotion == name and spec.intensity == 1.0
    assert parse_emotion("JOY").components[0].emotion == "happy"
    assert parse_emotion("anger").components[0].emotion == "angry"
    assert parse_emotion(" fear ").components[0].emotion == "fearful"
    assert parse_emotion("surprise").components[0].emotion == "surprised"
    assert parse_emotion("disgust").components[0].emotion == "disgusted"


def test_intensity_inline_and_separate():
    assert parse_emotion("sad:0.7").intensity == pytest.approx(0.7)
    assert parse_emotion("sad", intensity=0.7).intensity == pytest.approx(0.7)
    assert parse_emotion("sad:0.7", intensity=0.7).intensity == pytest.approx(0.7)
    with pytest.raises(EmogenError, match="intensity given twice"):
        parse_emotion("sad:0.7", intensity=0.2)


def test_intensity_moves_vad_linearly_from_neutral():
    neutral = category("neutral").vad
    sad = category("sad").vad
    half = parse_emotion("sad:0.5").resolve_vad()
    for n, s, h in zip(neutral, sad, half):
        assert h == pytest.approx(n + 0.5 * (s - n))
    assert parse_emotion("sad:0").resolve_vad() == pytest.approx(neutral)


def test_mixture_weights_and_intensity():
    spec = parse_emotion("happy:0.6+surprised:0.4")
    assert [(c.emotion, c.weight) for c in spec.components] == [("happy", 0.6), ("surprised", 0.4)]
    assert spec.intensity == pytest.approx(1.0)
    even = parse_emotion("happy:0.3+sad:0.3")
    assert [c.weight for c in even.components] == pytest.approx([0.5, 0.5])
    assert even.intensity == pytest.approx(0.6)
    unweighted = parse_emotion("happy+sad")
    assert [c.weight for c in unweighted.components] == pytest.approx([0.5, 0.5])
    mix = EmotionSpec.mixture({"happy": 0.6, "surprised": 0.4})
    assert mix.resolve_vad() == pytest.approx(spec.resolve_vad())


def test_vad_point():
    spec = parse_emotion("v=0.6,a=-0.2,d=0.1")
    assert spec.resolve_vad() == pytest.approx((0.6, -0.2, 0.1))
    partial = parse_emotion("v=-0.7,a=-0.5")
    assert partial.resolve_vad()[:2] == pytest.approx((-0.7, -0.5))
    assert partial.resolve_vad()[2] == pytest.approx(category("neutral").vad[2])


def test_negation_reflects_through_neutral():
    for text in ("-happy", "not:happy"):
        spec = parse_emotion(text)
        assert spec.components[0].weight == -1.0
    n = category("neutral").vad
    half = parse_emotion("-happy:0.3").resolve_vad()
    pos = parse_emotion("happy:0.3").resolve_vad()
    for a, b, c in zip(half, pos, n):
        assert a - c == pytest.approx(-(b - c))


def test_lexicon_words():
    for word in ("wistful", "furious", "serene"):
        spec = parse_emotion(word)
        assert spec.word == word and spec.is_dimensional
    assert parse_emotion("furious").resolve_vad()[1] > parse_emotion("serene").resolve_vad()[1]
    assert parse_emotion("serene").resolve_vad()[0] > parse_emotion("wistful").resolve_vad()[0]


def test_trajectories():
    seg = parse_emotion("neutral>sad")
    assert isinstance(seg, EmotionTrajectory)
    assert seg.times(4.0) == [0.0, 4.0]
    assert [s for s, _ in seg.weights_at(2.0, 4.0)][1].components[0].emotion == "sad"
    assert [w for _, w in seg.weights_at(1.0, 4.0)] == pytest.approx([0.75, 0.25])
    keys = parse_emotion("happy@0,sad@3.5")
    assert keys.times(10.0) == [0.0, 3.5]
    assert keys.weights_at(9.0, 10.0)[0][0].components[0].emotion == "sad"
    vad_keys = parse_emotion("v=0.2,a=0.1@0,sad:0.5@2")
    assert vad_keys.keyframes[0].spec.is_dimensional and vad_keys.keyframes[1].time == 2.0
    assert parse_emotion("calm>angry", intensity=0.5).keyframes[1].spec.intensity == 0.5


@pytest.mark.parametrize("text, message", [
    ("hapy", "unknown emotion 'hapy'; did you mean 'happy'"),
    ("xyzzy", "accepted: neutral, happy"),
    ("", "empty emotion spec"),
    ("   ", "empty emotion spec"),
    ("sad:1.5", "out of range"),
    ("sad:-0.1", "out of range"),
    ("sad:abc", "malformed number 'abc'"),
    ("happy:0.8+sad:0.5", "sum to 1.3"),
    ("happy+happy", "names an emotion twice"),
    ("v=2", "out of range; expected a number in [-1, 1]"),
    ("v=0.1,q=0.3", "is not an axis"),
    ("v=0.1,v=0.3", "valence given twice"),
    ("v=abc", "malformed number"),
    ("sad@2,happy@1", "must increase"),
    ("sad@2,happy", "has no time"),
    ("neutral>", "empty emotion"),
    ("+sad", "empty|missing"),
    ("wistful+sad", "lexicon word"),
])
def test_errors_say_what_is_accepted(text, message):
    with pytest.raises(EmogenError, match=message.replace("[", r"\[").replace("]", r"\]").replace("(", r"\(")):
        parse_emotion(text)


def test_separate_intensity_out_of_range():
    with pytest.raises(EmogenError, match=r"out of range; expected a number in \[0, 1\]"):
        parse_emotion("sad", intensity=1.2)


def test_describe_is_json_ready():
    info = parse_emotion("happy:0.6+surprised:0.4").describe()
    json.dumps(info)
    assert {"valence", "arousal", "dominance", "intensity", "components"} <= set(info)
    assert info["components"][0] == {"emotion": "happy", "weight": 0.6}


def test_round_trip_through_str():
    for text in ("sad:0.7", "happy:0.6+surprised:0.4", "-happy:0.5", "wistful", "neutral>sad", "happy@0,sad@3.5",
                 "v=0.6,a=-0.2,d=0.1"):
        spec = parse_emotion(text)
        again = parse_emotion(str(spec))
        assert str(again) == str(spec)
