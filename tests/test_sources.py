"""Emotion from a file (``emogen.sources``): the mapping into the shared space, the face measures'
reading, the score's length, and the command line (``--emotion-from``,
``emotions --from``, ``music --from-video``). Tests marked slow read real files with the shipped
recognisers; those that need real data skip without it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from emogen.cli import main
from emogen.emotion import EmotionSpec, EmotionTrajectory, parse_emotion


def run(capsys, *args):
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


# -- the mapping ------------------------------------------------------------------------------
def test_steady_probabilities_give_one_spec_and_changes_a_trajectory():
    from emogen.sources.reading import build_reading

    names = ("neutral", "happy", "sad")
    happy = np.tile([0.1, 0.8, 0.1], (10, 1))
    steady = build_reading("x", "video", names, happy, np.arange(10) + 0.5, 10.0)
    assert isinstance(steady.emotion, EmotionSpec) and steady.category == "happy"
    assert steady.emotion.components[0].emotion == "happy" and 0.5 < steady.emotion.intensity < 1

    sad = np.tile([0.1, 0.1, 0.8], (10, 1))
    blip = np.tile([0.1, 0.1, 0.8], (1, 1))  # one second of sadness in the happy half: too short to keep
    moving = build_reading("x", "video", names, np.vstack([happy[:5], blip, happy[:4], sad]), np.arange(20) + 0.5,
                           20.0)
    assert isinstance(moving.emotion, EmotionTrajectory)
    frames = moving.emotion.keyframes
    assert [k.spec.components[0].emotion for k in frames] == ["happy", "happy", "sad", "sad"]
    assert frames[0].time == 0 and 9 <= frames[1].time < frames[2].time <= 11
    assert parse_emotion(str(moving.emotion)).keyframes[-1].time == frames[-1].time  # the string round-trips


def test_reading_json_has_the_fields_of_from_text():
    from emogen.sources.reading import build_reading

    reading = build_reading("take.wav", "speech", ("happy", "sad", "angry", "fearful"), np.array([0.7, 0.1, 0.1, 0.1]))
    d = reading.to_dict()
    assert {"emotion", "probabilities", "confidence", "valence", "arousal", "dominance", "spec", "intensity",
            "components"} <= set(d)
    assert d["emotion"] == "happy" and d["confidence"] == 0.7
    assert parse_emotion(d["spec"]).components[0].emotion == "happy"
    assert "happy" in reading.summary() and "take.wav" in reading.summary()


def test_face_measures_at_rest_read_neutral_and_a_smile_reads_happy():
    from emogen.face.measure import MEASURES
    from emogen.sources.face import FACE_CATEGORIES, _norms, landmark_probabilities

    mean, std = _norms()
    rest = dict(zip(MEASURES, mean))
    probs = landmark_probabilities(rest)
    assert tuple(probs) == FACE_CATEGORIES and abs(sum(probs.values()) - 1) < 1e-9 and probs["disgusted"] == 0
    assert max(probs, key=probs.get) == "neutral"
    smile = dict(rest, lip_corner_height=rest["lip_corner_height"] + 3 * std[0],
                 mouth_width=rest["mouth_width"] + 3 * std[1])
    probs = landmark_probabilities(smile)
    assert max(probs, key=probs.get) == "happy" and probs["happy"] > 0.6
    frown = dict(rest, brow_height=rest["brow_height"] - 3 * std[3], inner_brow_height=rest["inner_brow_height"]
                 - 3 * std[4])
    assert max(landmark_probabilities(frown).items(), key=lambda kv: kv[1])[0] == "angry"


def test_face_reading_mixes_the_classifier_and_the_landmarks(monkeypatch):
    """read_face_emotion averages the expression classifier's probabilities (all seven
    categories, disgust included) with the landmark reader's, weighted CLASSIFIER_WEIGHT."""
    import emogen.sources.face as face
    from emogen.face.expression import LABELS, ExpressionClassifier

    class Detector:
        def detect(self, image):
            return [np.zeros((478, 2))] if image.any() else []

    seen = dict(zip(LABELS, (0.0, 0.7, 0.0, 0.1, 0.0, 0.0, 0.2)))  # classifier: mostly disgust
    marks = dict.fromkeys(face.FACE_CATEGORIES, 0.0) | {"neutral": 0.5, "sad": 0.5}
    monkeypatch.setattr(face, "_detector", lambda: Detector())
    monkeypatch.setattr(ExpressionClassifier, "shared", classmethod(lambda cls: lambda image, lm: seen))
    monkeypatch.setattr("emogen.face.measure.measure_landmarks", lambda lm: {})
    monkeypatch.setattr(face, "landmark_probabilities", lambda m: marks)
    probs = face.read_face_emotion(np.ones((8, 8, 3), np.uint8))
    w = face.CLASSIFIER_WEIGHT
    assert tuple(probs) == face.FACE_CATEGORIES and abs(sum(probs.values()) - 1) < 1e-9
    assert probs["disgusted"] == pytest.approx(0.7 * w) and probs["sad"] == pytest.approx(0.5 * (1 - w))
    assert probs["neutral"] == pytest.approx(0.2 * w + 0.5 * (1 - w)) and probs["happy"] == pytest.approx(0.1 * w)
    assert face.read_face_emotion(np.zeros((8, 8, 3), np.uint8)) is None
    from emogen.sources.reading import build_reading, dominant

    disgust = np.array([0.1, 0.0, 0.0, 0.1, 0.0, 0.0, 0.8])
    reading = build_reading("face.jpg", "face", face.FACE_CATEGORIES, disgust)
    assert reading.category == "disgusted" and dominant(reading.emotion) == "disgusted"


# -- the score --------------------------------------------------------------------------------
@pytest.mark.parametrize("seconds", [30.0, 31.3, 7.9])
def test_score_length_fits_the_video_in_whole_bars(seconds):
    from emogen.sources.score import beat_lengths, fit_tempo

    bars, tempo = fit_tempo(seconds)
    lengths = beat_lengths(bars)
    assert len(lengths) == bars * 4 and lengths[-1] > 1.2 and np.allclose(lengths[:-4], 1.0)  # the last bar slows
    assert abs(lengths.sum() * 60 / tempo - seconds) < 1e-9 and 100 <= tempo <= 145


def test_score_follows_at_full_strength_and_in_music_steps():
    from emogen.sources.score import full_strength, retime

    trajectory = parse_emotion("happy:0.4@0,happy:0.4@10,neutral@12,sad:0.3@30")
    strong = full_strength(trajectory)
    assert [k.spec.intensity for k in strong.keyframes if not k.spec.is_neutral] == [1.0, 1.0, 1.0]
    assert strong.keyframes[2].spec.is_neutral
    steps = retime(strong, 30.0, 240)
    assert [k.time for k in steps.keyframes] == [0, 80, 96, 240]


# -- the command line: bad input --------------------------------------------------------------
def test_unsupported_missing_or_bad_files_are_one_error_line(capsys, tmp_path):
    (tmp_path / "notes.xyz").write_text("x")
    (tmp_path / "take.wav").write_text("not audio")
    for args in (["emotions", "--from", tmp_path / "notes.xyz"], ["emotions", "--from", tmp_path / "gone.wav"],
                 ["emotions", "--from", tmp_path / "take.wav"],
                 ["tts", "Hello.", "--emotion-from", tmp_path / "take.wav", "-o", tmp_path / "out.wav"],
                 ["music", "--emotion-from", tmp_path / "notes.xyz", "-o", tmp_path / "out.mid"],
                 ["tts", "Hello.", "--emotion", "sad", "--emotion-from", tmp_path / "take.wav", "-o",
                  tmp_path / "out.wav"],
                 ["tts", "Hello.", "--emotion-reference", tmp_path / "take.wav", "-o", tmp_path / "out.wav"],
                 ["music", "--emotion", "happy", "--mux", tmp_path / "out.mp4", "-o", tmp_path / "out.mid"],
                 ["music", "--from-video", tmp_path / "take.wav", "-o", tmp_path / "out.mid"],
                 ["music", "-o", tmp_path / "out.mid"]):
        code, out, err = run(capsys, *args)
        assert code == 2 and err.startswith("error: ") and len(err.strip().splitlines()) == 1, (args, err)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.xyz", "take.wav"]
    code, _, err = run(capsys, "emotions", "--from", tmp_path / "notes.xyz")
    assert "accepted:" in err and ".mid" in err and ".jpg" in err


# -- real files, shipped recognisers ----------------------------------------------------------
def minor_and_slow(path: Path) -> Path:
    """A MIDI of soft A-minor chords, one every two seconds (16 s)."""
    import pretty_midi

    pm = pretty_midi.PrettyMIDI(initial_tempo=60)
    piano = pretty_midi.Instrument(0)
    chords = [[45, 57, 60, 64], [50, 57, 62, 65], [52, 56, 59, 64], [45, 57, 60, 64]] * 2
    for i, chord in enumerate(chords):
        piano.notes += [pretty_midi.Note(40, p, 2.0 * i, 2.0 * i + 2.0) for p in chord]
    pm.instruments.append(piano)
    pm.write(str(path))
    return path


@pytest.mark.slow
def test_minor_slow_midi_reads_sad_or_calm(capsys, tmp_path):
    code, out, err = run(capsys, "emotions", "--from", minor_and_slow(tmp_path / "minor.mid"), "--json")
    reading = json.loads(out)
    assert code == 0 and reading["kind"] == "music" and reading["details"]["key"] == "A minor"
    assert reading["emotion"] in ("sad", "calm") and reading["arousal"] < 0
    assert reading["probabilities"]["sad"] + reading["probabilities"]["calm"] > 0.8


def ravdess(shared_data: Path, emotion: str, actor: int, statement: str = "02") -> Path:
    codes = {"neutral": "01", "happy": "03"}
    name = f"03-01-{codes[emotion]}-01-{statement}-01-{actor:02d}.flac"
    path = shared_data / "speech" / "ravdess" / f"Actor_{actor:02d}" / name
    if not path.is_file():
        pytest.skip(f"RAVDESS clip {path} not found")
    return path


@pytest.mark.slow
def test_happy_take_steers_tts_towards_happy(capsys, tmp_path, shared_data):
    from emogen.sources.speech import recogniser
    from emogen.speech import TTSPipeline

    take, neutral = ravdess(shared_data, "happy", 17), ravdess(shared_data, "neutral", 17)
    out = tmp_path / "line.wav"
    code, stdout, err = run(capsys, "tts", "The birch canoe slid on the smooth planks.", "--emotion-from", take,
                            "--emotion-reference", neutral, "-o", out)
    assert code == 0 and out.is_file()
    assert len(err.strip().splitlines()) == 1 and err.startswith(f"emotion from {take}") and "happy" in err
    import soundfile as sf

    tts, ser = TTSPipeline.shared(), recogniser()
    plain, sr = tts("The birch canoe slid on the smooth planks.", "neutral")
    reference = ser.reference(plain, sr)
    spoken, rate = sf.read(out, dtype="float32")
    probs = ser(spoken, rate, reference)
    assert max(probs, key=probs.get) == "happy", probs


@pytest.mark.slow
def test_smiling_photo_reads_happy(capsys, shared_data):
    photo = shared_data / "faces" / "london" / "100_smiling.jpg"
    if not photo.is_file():
        pytest.skip("London set not found")
    code, out, _ = run(capsys, "emotions", "--from", photo, "--json")
    reading = json.loads(out)
    assert code == 0 and reading["kind"] == "face" and reading["emotion"] == "happy"
    assert reading["components"][0]["emotion"] == "happy" and reading["valence"] > 0.5


@pytest.mark.slow
def test_music_scored_to_a_video(capsys, tmp_path, shared_data):
    """A 6 s clip (a smiling photo over a happy take) scored: length within a beat, muxed."""
    from emogen.face.analysis import load_image
    from emogen.face.video import VideoWriter, probe

    photo = shared_data / "faces" / "london" / "100_smiling.jpg"
    if not photo.is_file():
        pytest.skip("London set not found")
    import soundfile as sf

    voice, sr = sf.read(ravdess(shared_data, "happy", 17), dtype="float32")
    seconds = 6.0
    audio = np.zeros(int(seconds * sr), np.float32)
    audio[sr // 2:sr // 2 + len(voice)] = voice[:len(audio) - sr // 2]
    image = load_image(photo)
    clip = tmp_path / "clip.mp4"
    with VideoWriter(clip, fps=25, size=(image.shape[1], image.shape[0]), audio=audio, sample_rate=sr,
                     preset="ultrafast") as writer:
        for _ in range(int(seconds * 25)):
            writer.write(image)
    score, wav, mux = tmp_path / "score.mid", tmp_path / "score.wav", tmp_path / "scored.mp4"
    code, out, err = run(capsys, "music", "--from-video", clip, "-o", score, "--wav", wav, "--mux", mux, "--steps", 4)
    assert code == 0, err
    assert err.startswith(f"emotion from {clip} (video") and "happy" in err.splitlines()[0]
    import pretty_midi

    pm = pretty_midi.PrettyMIDI(str(score))
    tempo = pm.get_tempo_changes()[1][0]
    assert abs(pm.get_end_time() - seconds) <= 60.0 / tempo
    facts = probe(mux)
    assert facts["audio_codec"] == "aac" and facts["video_codec"] == "h264" and wav.is_file()


def test_batch_jobs_take_emotion_from_instead_of_emotion(tmp_path):
    from emogen.batch import check_job
    from emogen.errors import EmogenError

    (tmp_path / "script.txt").write_text("What a day!\n")
    source = str(tmp_path / "script.txt")
    assert check_job({"kind": "tts", "text": "Hi.", "emotion_from": source}, 1) == ("tts", "0001-tts")
    for extra in ({"emotion": "sad"}, {"intensity": 0.5}, {"emotion_from": str(tmp_path / "x.xyz")},
                  {"emotion_from": str(tmp_path / "gone.wav")}, {"emotion_reference": str(tmp_path / "n.wav")}):
        job = {"kind": "tts", "text": "Hi.", "emotion_from": source, **extra}
        with pytest.raises(EmogenError):
            check_job(job, 1)


@pytest.mark.slow
def test_batch_job_reads_its_emotion_from_a_text_file(tmp_path):
    from emogen.batch import run_batch

    (tmp_path / "script.txt").write_text("We won the cup, I am so happy!\n")
    results = run_batch([{"kind": "tts", "text": "Hello there.", "emotion_from": str(tmp_path / "script.txt"),
                          "name": "hello"}], tmp_path / "out", progress=False)
    assert [r.status for r in results] == ["ok"] and (tmp_path / "out" / "hello.wav").is_file()
