from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from emogen.emotion import EmotionSpec, parse_emotion
from emogen.errors import EmogenError
from emogen.speech.corpora import (Utterance, detect_kind, load_corpus, load_crema_d, load_emov_db, load_esd,
                                    load_metadata, load_ravdess)


def wav(path: Path) -> Path:
    """A short silent clip (0.05 s at 16 kHz) in the corpus's place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, np.zeros(800, dtype=np.float32), 16000)
    return path


def label(u: Utterance) -> tuple[str, float]:
    return (u.emotion.components[0].emotion if not u.emotion.is_neutral else "neutral", round(u.emotion.intensity, 2))


# ---------------------------------------------------------------- ESD
def make_esd(root: Path, encoding="utf-8", nested=False) -> Path:
    base = root / "Emotion Speech Dataset" if nested else root
    lines = {"0011": ["0011_000001\tHello there.\tNeutral", "0011_000351\tI won the prize!\tSurprise",
                      "0011_000701\tGo away, caf\u00e9 owner.\tAngry", ""],
             "0001": ["0001_000001\t\u6253\u8fdc\u4e00\u770b\t\u4e2d\u7acb"]}
    for speaker, text in lines.items():
        (base / speaker).mkdir(parents=True)
        (base / speaker / f"{speaker}.txt").write_bytes("\n".join(text).encode(encoding if speaker == "0011" else "gb2312"))
    wav(base / "0011/Neutral/train/0011_000001.wav")
    wav(base / "0011/Surprise/evaluation/0011_000351.wav")
    wav(base / "0011/Angry/0011_000701.wav")  # the flat (Kaggle) layout too
    wav(base / "0001/Neutral/0001_000001.wav")
    return root


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "latin-1"])
def test_esd(tmp_path, encoding):
    utts = load_esd(make_esd(tmp_path, encoding))
    assert [(u.text, label(u), u.speaker) for u in utts] == [
        ("Go away, caf\u00e9 owner.", ("angry", 1.0), "esd-0011"), ("Hello there.", ("neutral", 0.0), "esd-0011"),
        ("I won the prize!", ("surprised", 1.0), "esd-0011")]
    assert all(u.path.is_file() and u.corpus == "esd" for u in utts)


def test_esd_nested_mandarin_and_detection(tmp_path):
    root = make_esd(tmp_path, nested=True)
    assert detect_kind(root) == "esd"
    utts = load_corpus(None, root, english_only=False)
    assert len(utts) == 4 and "esd-0001" in {u.speaker for u in utts}
    assert [u.text for u in utts if u.speaker == "esd-0001"] == ["\u6253\u8fdc\u4e00\u770b"]


def test_esd_errors(tmp_path):
    root = make_esd(tmp_path)
    (root / "0011" / "0011.txt").write_text("0011_000001\tHello.\tNeutral\nthis line is broken\n")
    with pytest.raises(EmogenError, match=r"0011\.txt:2: expected 'utt_id<TAB>text<TAB>emotion'"):
        load_esd(root)
    (root / "0011" / "0011.txt").unlink()
    with pytest.raises(EmogenError, match="no transcript file '0011.txt'"):
        load_esd(root)
    with pytest.raises(EmogenError, match="does not exist"):
        load_esd(tmp_path / "nowhere")


# ---------------------------------------------------------------- RAVDESS
def test_ravdess_native_layout(tmp_path):
    wav(tmp_path / "Actor_01/03-01-01-01-01-01-01.wav")
    wav(tmp_path / "Actor_01/03-01-05-02-02-01-01.wav")
    wav(tmp_path / "Actor_02/03-01-02-01-02-02-02.wav")
    wav(tmp_path / "Actor_02/03-02-05-02-01-01-02.wav")  # song: skipped
    assert detect_kind(tmp_path) == "ravdess"
    utts = load_corpus("ravdess", tmp_path)
    assert [(u.text, label(u), u.speaker, u.intensity_label) for u in utts] == [
        ("Kids are talking by the door", ("neutral", 0.0), "ravdess-01", "normal"),
        ("Dogs are sitting by the door", ("angry", 1.0), "ravdess-01", "strong"),
        ("Dogs are sitting by the door", ("calm", 0.5), "ravdess-02", "normal")]
    bad = wav(tmp_path / "Actor_02/03-01-09-01-01-01-02.wav")
    with pytest.raises(EmogenError, match="03-01-09-01-01-01-02.wav': emotion 09"):
        load_ravdess(tmp_path)
    bad.unlink()
    wav(tmp_path / "Actor_03/happy_clip.wav")
    with pytest.raises(EmogenError, match="happy_clip.wav' is not named"):
        load_ravdess(tmp_path)


def test_ravdess_manifest_errors(tmp_path):
    wav(tmp_path / "Actor_01/a.flac")
    head = "path,actor,gender,emotion,intensity,statement_id,text,repetition,sample_rate,duration_s\n"
    (tmp_path / "manifest.csv").write_text(head + "Actor_01/a.flac,1,male,disgust,strong,01,Kids are talking by the door,1,24000,3.3\n"
                                           "Actor_01/a.flac,1,male,grumpy,strong,01,Kids,1,24000,3.3\n")
    with pytest.raises(EmogenError, match=r"manifest\.csv:3: bad row"):
        load_ravdess(tmp_path)
    (tmp_path / "manifest.csv").write_text(head + "Actor_01/b.flac,1,male,sad,normal,01,Kids,1,24000,3.3\n")
    with pytest.raises(EmogenError, match=r"manifest\.csv:2: audio file .*b\.flac' does not exist"):
        load_ravdess(tmp_path)
    (tmp_path / "manifest.csv").write_text(head + "Actor_01/a.flac,1,male,disgust,strong,01,Kids,1,24000,3.3\n")
    assert [label(u) for u in load_ravdess(tmp_path)] == [("disgusted", 1.0)]


def test_real_ravdess_manifest(shared_data):
    root = shared_data / "speech" / "ravdess"
    if not (root / "manifest.csv").is_file():
        pytest.skip("RAVDESS manifest not in the shared data")
    utts = load_corpus(None, root)
    assert len(utts) == 1200 and len({u.speaker for u in utts}) == 20
    counts = {}
    for u in utts:
        counts[label(u)] = counts.get(label(u), 0) + 1
    assert counts[("neutral", 0.0)] == 80 and counts[("surprised", 1.0)] == 80 and counts[("calm", 0.5)] == 80
    assert {u.text for u in utts} == {"Kids are talking by the door", "Dogs are sitting by the door"}
    # the file names tell the same story as the manifest
    native = load_ravdess(root, use_manifest=False)
    key = lambda u: (u.path, u.text, label(u), u.speaker, u.intensity_label)  # noqa: E731
    assert sorted(map(key, native)) == sorted(map(key, utts))


# ---------------------------------------------------------------- CREMA-D
def test_crema_d(tmp_path):
    for name in ("1001_DFA_ANG_XX", "1001_IEO_HAP_LO", "1002_TSI_SAD_HI", "1091_WSI_NEU_XX", "1003_IOM_FEA_MD"):
        wav(tmp_path / "AudioWAV" / f"{name}.wav")
    assert detect_kind(tmp_path) == "crema-d"
    utts = load_corpus("CREMA-D", tmp_path)
    assert [(u.text, label(u), u.speaker, u.intensity_label) for u in utts] == [
        ("Don't forget a jacket", ("angry", 1.0), "crema-d-1001", "XX"),
        ("It's eleven o'clock", ("happy", 0.33), "crema-d-1001", "LO"),
        ("The surface is slick", ("sad", 1.0), "crema-d-1002", "HI"),
        ("I'm on my way to the meeting", ("fearful", 0.66), "crema-d-1003", "MD"),
        ("We'll stop in a couple of minutes", ("neutral", 0.0), "crema-d-1091", "XX")]
    assert len(load_crema_d(tmp_path / "AudioWAV")) == 5
    wav(tmp_path / "AudioWAV" / "1001_XYZ_ANG_XX.wav")
    with pytest.raises(EmogenError, match="1001_XYZ_ANG_XX.wav' is not named"):
        load_crema_d(tmp_path)


# ---------------------------------------------------------------- EmoV-DB
ARCTIC = ('( arctic_a0001 "Author of the danger trail, Philip Steels, etc." )\n'
          '( arctic_a0002 "Not at this particular case, Tom, apologized Whittemore." )\n'
          '( arctic_b0001 "Will we ever forget it." )\n')


def test_emov_db(tmp_path):
    (tmp_path / "cmuarctic.data").write_text(ARCTIC)
    wav(tmp_path / "bea_Amused/amused_1-15_0001.wav")
    wav(tmp_path / "josh_sleepy/sleepy_1-28_0002.wav")
    wav(tmp_path / "sam_Disgust/disgust_57-84_0001.wav")
    assert detect_kind(tmp_path) == "emov-db"
    utts = load_corpus(None, tmp_path)
    assert [(u.text, label(u), u.speaker, u.intensity_label) for u in utts] == [
        ("Author of the danger trail, Philip Steels, etc.", ("happy", 1.0), "emov-db-bea", "amused"),
        ("Not at this particular case, Tom, apologized Whittemore.", ("calm", 1.0), "emov-db-josh", "sleepy"),
        ("Author of the danger trail, Philip Steels, etc.", ("disgusted", 1.0), "emov-db-sam", "disgust")]
    wav(tmp_path / "bea_Amused/amused_1-15_0009.wav")
    with pytest.raises(EmogenError, match="arctic_a0009 is not in"):
        load_emov_db(tmp_path)
    (tmp_path / "cmuarctic.data").write_text(ARCTIC + "arctic_a0009 no parentheses\n")
    with pytest.raises(EmogenError, match=r"cmuarctic\.data:4: expected"):
        load_emov_db(tmp_path)
    (tmp_path / "cmuarctic.data").unlink()
    with pytest.raises(EmogenError, match="needs the CMU Arctic prompts"):
        load_emov_db(tmp_path)


# ---------------------------------------------------------------- metadata.csv
def test_metadata(tmp_path):
    wav(tmp_path / "clips/a.wav")
    wav(tmp_path / "clips/b.wav")
    (tmp_path / "metadata.csv").write_text("path|text|emotion|speaker\nclips/a.wav|Hello there.|sad:0.7|anna\n"
                                           "\nclips/b.wav|Good news!|happy:0.6+surprised:0.4|bob\n")
    assert detect_kind(tmp_path) == "metadata"
    utts = load_corpus(None, tmp_path)
    assert [(u.path.name, u.text, u.speaker) for u in utts] == [("a.wav", "Hello there.", "anna"), ("b.wav", "Good news!", "bob")]
    assert utts[0].emotion == parse_emotion("sad:0.7") and isinstance(utts[1].emotion, EmotionSpec)
    assert {c.emotion for c in utts[1].emotion.components} == {"happy", "surprised"}
    assert load_metadata(tmp_path / "metadata.csv") == utts


@pytest.mark.parametrize("line,match", [
    ("clips/a.wav|Hello|sad", r"metadata\.csv:1: expected 'path\|text\|emotion\|speaker'"),
    ("clips/a.wav||sad|anna", r"metadata\.csv:1: expected"),
    ("clips/a.wav|Hello|grumpyish|anna", r"metadata\.csv:1: bad emotion 'grumpyish'"),
    ("clips/a.wav|Hello|neutral>sad|anna", r"metadata\.csv:1: emotion 'neutral>sad' is a trajectory"),
    ("clips/zzz.wav|Hello|sad|anna", r"metadata\.csv:1: audio file .*zzz\.wav' does not exist"),
])
def test_metadata_errors(tmp_path, line, match):
    wav(tmp_path / "clips/a.wav")
    (tmp_path / "metadata.csv").write_text(line + "\n")
    with pytest.raises(EmogenError, match=match):
        load_metadata(tmp_path)


def test_dispatch_errors(tmp_path):
    with pytest.raises(EmogenError, match="unknown corpus kind 'timit'; accepted: esd, ravdess"):
        load_corpus("timit", tmp_path)
    (tmp_path / "random").mkdir()
    with pytest.raises(EmogenError, match="cannot tell which corpus"):
        load_corpus(None, tmp_path)
    with pytest.raises(EmogenError, match="does not exist"):
        load_corpus(None, tmp_path / "missing")
    (tmp_path / "AudioWAV").mkdir()
    with pytest.raises(EmogenError, match="not a CREMA-D folder"):
        load_corpus("crema_d", tmp_path)
