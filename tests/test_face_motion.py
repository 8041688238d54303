"""Face motion: visemes, the motion basis, audio features, the flow model and the talk pipeline."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from emogen.emotion import EmotionBatch, parse_emotion
from emogen.errors import EmogenError
from emogen.face import data as D
from emogen.face.features import AUDIO_DIM, audio_features
from emogen.face.measure import measure_landmarks
from emogen.face.model import FaceMotionConfig, FaceMotionModel
from emogen.face.motion import ACTION_UNITS, CHANNELS, INDEX, JAW_OPENING, MotionBasis, expression_vector
from emogen.face.pipeline import emotion_rows, load_speech, sample_motion, settle_ends
from emogen.face.visemes import follow_loudness, mouth_track


def portrait_landmarks() -> np.ndarray:
    """The 478 mesh points of the built-in portrait (needs MediaPipe; skipped without it)."""
    pytest.importorskip("mediapipe")
    from emogen.face.analysis import default_portrait

    return default_portrait().landmarks


@pytest.fixture(scope="module")
def rest():
    return portrait_landmarks()


def test_visemes_open_on_vowels_and_close_on_bilabials():
    # "pau m aa m pau": 20 ms of silence, then m, aa, m of 100 ms each
    track = mouth_track(["pau", "m", "aa", "m", "pau"], np.array([2, 10, 10, 10, 2]), fps=100)
    jaw = track[:, 0]
    assert track.shape == (34, 3)
    assert jaw[17] > 0.7  # middle of "aa"
    assert jaw[7] < 0.25 and jaw[27] < 0.25  # middles of the m's
    assert jaw[0] < 0.05 and jaw[-1] < 0.05


def test_mouth_track_offsets_and_length():
    track = mouth_track(["aa"], np.array([20]), fps=25, num_frames=50, start_s=1.0)
    assert track.shape == (50, 3)
    assert track[:20, 0].max() < 0.05  # nothing before the phone starts
    assert track[25:30, 0].max() > 0.5


def test_jaw_follows_loudness():
    mouth = np.full((9, 3), 0.8, np.float32)
    energy = np.array([0, 0, 0, 1, 1, 1, 0.5, 0.5, 0.5])
    out = follow_loudness(mouth, energy)
    assert out[1, 0] == pytest.approx(0.8 * 0.1)  # silence: the mouth (nearly) closes
    assert out[4, 0] == pytest.approx(0.8)  # full voice: the viseme's own opening
    assert out[0, 0] < out[7, 0] < out[4, 0]
    np.testing.assert_array_equal(out[:, 1:], mouth[:, 1:])  # lip shape is the viseme's


def test_basis_zero_is_rest_and_jaw_opens_by_its_size(rest):
    basis = MotionBasis(rest, np.zeros((478, 2), np.float32))
    np.testing.assert_allclose(basis.landmarks(np.zeros(len(CHANNELS))), rest, atol=1e-4)
    before = measure_landmarks(rest)
    coef = np.zeros(len(CHANNELS))
    coef[INDEX["jaw"]] = 1.0
    after = measure_landmarks(basis.landmarks(coef))
    assert after["mouth_open"] - before["mouth_open"] == pytest.approx(JAW_OPENING * 1.08, rel=0.1)


def test_blink_closes_the_eyes_and_expressions_move_the_right_way(rest):
    basis = MotionBasis(rest, np.zeros((478, 2), np.float32))
    base = measure_landmarks(rest)

    def shift(**channels):
        coef = np.zeros(len(CHANNELS))
        for name, value in channels.items():
            coef[INDEX[name]] = value
        after = measure_landmarks(basis.landmarks(coef))
        return {k: after[k] - base[k] for k in base}

    assert shift(blink=1.0)["eye_open"] == pytest.approx(-base["eye_open"], abs=1e-3)
    assert shift(au1=1.0)["inner_brow_height"] > 0.05
    assert shift(au4=1.0)["brow_height"] < -0.03
    assert shift(au15=1.0)["lip_corner_height"] < -0.03
    assert shift(au5=1.0)["eye_open"] > 0.02
    assert shift(spread=1.0)["mouth_width"] > 0.05


def test_expression_vector_is_linear_in_the_mixture():
    happy, sad = expression_vector({"happy": 1.0}), expression_vector({"sad": 1.0})
    np.testing.assert_allclose(expression_vector({"happy": 0.3, "sad": 0.7}), 0.3 * happy + 0.7 * sad, atol=1e-6)
    np.testing.assert_allclose(expression_vector({"happy": 0.5}), 0.5 * happy, atol=1e-6)
    assert happy[ACTION_UNITS.index("smile")] == 1.0
    assert not expression_vector({"happy": -1.0}).any()  # no anti-smile


def test_audio_features_shape_and_level_independence():
    sr = 16000
    t = np.arange(sr) / sr
    noise = 1e-2 * np.random.default_rng(0).standard_normal(sr)  # a room's noise floor
    tone = (0.1 * np.sin(2 * np.pi * 220 * t) * (t > 0.5) + noise).astype(np.float32)
    f = audio_features(tone, sr)
    assert f.shape == (25, AUDIO_DIM)
    np.testing.assert_allclose(audio_features(tone * 5, sr)[:, :-1], f[:, :-1], atol=2e-2)  # per-clip normalisation
    assert f[:10, -1].mean() < f[15:, -1].mean()  # the loudness channel sees the tone start


def test_transfer_timings_on_identical_audio_is_identity():
    rng = np.random.default_rng(0)
    sr = 16000
    audio = np.concatenate([rng.standard_normal(sr // 4) * a for a in (0.01, 0.3, 0.05, 0.4)]).astype(np.float32)
    durations = np.array([25, 25, 25, 25])
    got = D.transfer_timings(audio, sr, durations, audio, sr)
    assert got.sum() == pytest.approx(100, abs=2)
    assert np.abs(got - durations).max() <= 2


def test_motion_targets_follow_the_emotion():
    rng = np.random.default_rng(0)
    n = 100
    mouth = np.zeros((n, 3), np.float32)
    energy = np.zeros(n, np.float32)
    happy = EmotionBatch.from_specs([parse_emotion("happy")]).expand(n)
    target = D.motion_targets(mouth, energy, happy.weights.numpy(), np.full(n, 0.5), rng)
    assert target.shape == (n, len(CHANNELS))
    assert target[:, INDEX["smile"]].mean() == pytest.approx(1.0, abs=0.1)
    assert target[:, INDEX["au15"]].max() == 0.0


def tiny_model() -> FaceMotionModel:
    torch.manual_seed(0)
    cfg = FaceMotionConfig(backbone_config=dict(hidden=32, layers=1, heads=2, conv_kernel=3), audio_channels=8,
                           window=16, overlap=4)
    return FaceMotionModel(cfg)


def test_model_trains_and_generates_long_clips_with_known_mouth(tmp_path):
    model = tiny_model()
    b, n = 2, 16
    x = torch.rand(b, n, len(CHANNELS))
    audio = torch.randn(b, n, AUDIO_DIM)
    mask = torch.ones(b, n, dtype=torch.bool)
    mask[1, 12:] = False
    emotion = EmotionBatch.collate([EmotionBatch.from_specs(["happy"]).expand(n)] * b)
    loss = model.loss(x, emotion, audio, mask, torch.Generator().manual_seed(0))
    loss.backward()
    assert torch.isfinite(loss)

    frames = 40  # three windows of 16 with overlap 4
    mouth = torch.rand(frames, 3)
    rows = EmotionBatch.from_specs(["sad"]).expand(frames)
    out = sample_motion(model, rows, torch.randn(frames, AUDIO_DIM), mouth=mouth, steps=2,
                        generator=torch.Generator().manual_seed(1))
    assert out.shape == (frames, len(CHANNELS))
    torch.testing.assert_close(out[:, :3], mouth, atol=1e-5, rtol=1e-5)
    model.save_pretrained(tmp_path / "m", "card")
    loaded = FaceMotionModel.from_pretrained(tmp_path / "m")
    a = sample_motion(model, rows, torch.zeros(frames, AUDIO_DIM), steps=2, generator=torch.Generator().manual_seed(5))
    c = sample_motion(loaded, rows, torch.zeros(frames, AUDIO_DIM), steps=2, generator=torch.Generator().manual_seed(5))
    torch.testing.assert_close(a, c)


def test_emotion_rows_follow_sentences():
    rows = emotion_rows([(0.0, parse_emotion("happy")), (1.0, parse_emotion("sad"))], 50)
    assert len(rows) == 50
    happy, sad = 1, 2  # CATEGORY_NAMES order: neutral, happy, sad, ...
    assert rows.weights[10, happy] == 1.0 and rows.weights[10, sad] == 0.0
    assert rows.weights[40, sad] == 1.0
    ramp = emotion_rows([(0.0, parse_emotion("neutral>sad"))], 50)
    assert ramp.weights[0, sad] < 0.1 < 0.9 < ramp.weights[-1, sad]


def test_settle_ends_brings_pose_and_blinks_to_rest():
    coef = np.ones((100, len(CHANNELS)), np.float32)
    out = settle_ends(coef)
    for name in ("roll", "nod", "turn", "blink"):
        assert out[0, INDEX[name]] < 0.02 and out[-1, INDEX[name]] < 0.02 and out[50, INDEX[name]] == 1.0
    assert (out[:, INDEX["smile"]] == 1.0).all()


def test_load_speech_rejects_bad_audio(tmp_path):
    import soundfile as sf

    with pytest.raises(EmogenError, match="empty"):
        load_speech((np.zeros(0, np.float32), 16000), None, 60)
    with pytest.raises(EmogenError, match="silent"):
        load_speech((np.zeros(16000, np.float32), 16000), None, 60)
    with pytest.raises(EmogenError, match="max-seconds"):
        load_speech((np.full(16000 * 3, 0.1, np.float32), 16000), None, 2)
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF not really a wav")
    with pytest.raises(EmogenError, match="cannot read audio"):
        load_speech(str(bad), None, 60)
    good = tmp_path / "ok.wav"
    sf.write(good, np.full((8000, 2), 0.1, np.float32), 8000)
    samples, sr = load_speech(str(good), None, 60)
    assert sr == 8000 and samples.shape == (8000,)


@pytest.mark.parametrize("argv, message", [
    (["talk", "-o", "x.mp4"], "exactly one"),
    (["talk", "--text", "Hi there.", "--audio", "a.wav", "-o", "x.mp4"], "exactly one"),
    (["talk", "--text", "Hi there.", "--emotion", "grumpyish", "-o", "x.mp4"], "emotion"),
    (["talk", "--text", "Hi there.", "--intensity", "2", "-o", "x.mp4"], "intensity"),
    (["talk", "--text", "Hi there.", "-o", "x.avi"], ".mp4"),
    (["talk", "--text", "Hi there.", "--image", "missing.jpg", "-o", "x.mp4"], "not found"),
])
def test_talk_cli_rejects_bad_input(argv, message, tmp_path, monkeypatch, capsys):
    from emogen.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x.mp4").exists()


def shipped_face_model():
    from emogen.core.checkpoint import shipped_checkpoints_dir

    if not (shipped_checkpoints_dir() / "face-motion" / "model.safetensors").is_file():
        pytest.skip("the face-motion checkpoint is not shipped in this checkout")
    pytest.importorskip("mediapipe")
    from emogen.face.pipeline import TalkPipeline

    return TalkPipeline.from_pretrained()


@pytest.mark.slow
def test_shipped_model_smiles_when_happy_and_frowns_when_sad():
    talk = shipped_face_model()
    text = "I can't believe you remembered my birthday."
    measures = {}
    for emotion in ("neutral", "happy", "sad"):
        clip = talk(text=text, emotion=emotion, seed=0)
        lms = list(clip.landmarks())
        measures[emotion] = {k: np.mean([measure_landmarks(lm)[k] for lm in lms]) for k in
                             ("lip_corner_height", "inner_brow_height", "mouth_open")}
    assert measures["happy"]["lip_corner_height"] - measures["neutral"]["lip_corner_height"] > 0.02
    assert measures["sad"]["lip_corner_height"] < measures["neutral"]["lip_corner_height"] - 0.01
    assert measures["sad"]["inner_brow_height"] > measures["neutral"]["inner_brow_height"] + 0.01
    assert measures["neutral"]["mouth_open"] > 0.01  # it talks


def test_talk_cli_leaves_steps_to_the_pipeline_unless_given():
    from emogen.cli import build_parser
    from emogen.speech.cli import speech_sampling_kwargs

    default = speech_sampling_kwargs(build_parser().parse_args(["talk", "--text", "Hi.", "-o", "x.mp4"]))
    given = speech_sampling_kwargs(build_parser().parse_args(["talk", "--text", "Hi.", "--steps", "6", "-o", "x.mp4"]))
    assert "steps" not in default and given["steps"] == 6 and default["guidance_scale"] == 1.0


@pytest.mark.slow
def test_shipped_talk_cli_writes_an_mp4(tmp_path):
    shipped_face_model()
    from emogen.cli import main

    out = tmp_path / "out.mp4"
    assert main(["talk", "--text", "Hello there.", "--emotion", "happy", "--steps", "4", "-o", str(out)]) == 0
    from emogen.face.video import read_video

    frames, fps, audio, sr = read_video(out)
    frames = list(frames)
    assert fps == 25 and frames[0].shape == (512, 512, 3) and len(audio) > sr * 0.5
    assert abs(len(frames) / fps - len(audio) / sr) < 0.1


def test_an_analysed_portrait_is_reused_as_is():
    pytest.importorskip("mediapipe")
    from emogen.face.pipeline import TalkPipeline

    talk = TalkPipeline(tiny_model())
    portrait = talk.portrait(None)
    assert talk.portrait(portrait) is portrait
    clip = talk(image=portrait, audio=(np.full(8000, 0.1, np.float32), 16000), steps=2)
    assert clip.portrait is portrait and clip.num_frames == 13
