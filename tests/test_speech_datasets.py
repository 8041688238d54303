from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from emogen.errors import EmogenError
from emogen.speech.corpora import Utterance, load_ravdess


def wav(path: Path) -> Path:
    """A short silent clip (0.05 s at 16 kHz) in the corpus's place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, np.zeros(800, dtype=np.float32), 16000)
    return path


def label(u: Utterance) -> tuple[str, float]:
    return (u.emotion.components[0].emotion if not u.emotion.is_neutral else "neutral", round(u.emotion.intensity, 2))


# ---------------------------------------------------------------- RAVDESS
def test_ravdess_native_layout(tmp_path):
    wav(tmp_path / "Actor_01/03-01-01-01-01-01-01.wav")
    wav(tmp_path / "Actor_01/03-01-05-02-02-01-01.wav")
    wav(tmp_path / "Actor_02/03-01-02-01-02-02-02.wav")
    wav(tmp_path / "Actor_02/03-02-05-02-01-01-02.wav")  # song: skipped
    utts = load_ravdess(tmp_path)
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
    with pytest.raises(EmogenError, match="RAVDESS folder .* does not exist"):
        load_ravdess(tmp_path / "nowhere")


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
    utts = load_ravdess(root)
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


def test_select_sentences_reads_the_split_asked_for(tmp_path):
    from emogen.speech.data import select_sentences

    (tmp_path / "train.tsv").write_text("The cat sat on the warm mat today.\t1\tx\n")
    (tmp_path / "dev.tsv").write_text("We walked home along the river slowly.\t2\ty\n"
                                      "lol\t2\tz\nThis one has a number 42 in it.\t3\tw\n")
    assert select_sentences(tmp_path, 1) == ["The cat sat on the warm mat today."]
    assert select_sentences(tmp_path, 1, split="dev") == ["We walked home along the river slowly."]
    with pytest.raises(EmogenError, match="only 1 usable"):
        select_sentences(tmp_path, 2, split="dev")
    with pytest.raises(EmogenError, match="test.tsv"):
        select_sentences(tmp_path, 1, split="test")
