"""``emogen eval controllability --modality talk`` on tiny random-initialised motion and speech models."""

import json

import numpy as np
import pytest

pytest.importorskip("mediapipe")
pytest.importorskip("pyworld")
pytest.importorskip("phonemizer")

from emogen.cli import main  # noqa: E402


def test_talk_sweep_measures_landmark_motion(tmp_path, capsys, monkeypatch):
    """Each render's cue is its clip's mean landmark measure minus that of the neutral clip of the
    same seed, as measured here independently; the emotion reaches the motion; the summary's
    per-level means are those of the renders."""
    import torch

    from emogen.emotion import EmotionEncoderConfig
    from emogen.face.measure import MEASURES, measure_landmarks
    from emogen.face.model import FaceMotionConfig, FaceMotionModel
    from emogen.face.pipeline import TalkPipeline
    from emogen.speech import acoustic
    from emogen.speech.model import TTSModel, TTSModelConfig
    from emogen.speech.pipeline import TTSPipeline

    torch.manual_seed(0)
    config = FaceMotionConfig(backbone_config=dict(hidden=32, layers=1, heads=2, conv_kernel=3), audio_channels=8,
                              window=16, overlap=4)
    face = FaceMotionModel(config)
    with torch.no_grad():  # the zero-initialised output layer would make every velocity, whatever the emotion, zero
        for p in face.parameters():
            p.normal_(0.0, 0.1)
    face.save_pretrained(tmp_path / "face", "tiny test model")
    voice = TTSPipeline(TTSModel(TTSModelConfig(
        emotion=EmotionEncoderConfig(dim=16), feature_dims=acoustic.feature_dims(), encoder_hidden=32,
        encoder_layers=1, duration_hidden=16, duration_layers=1, decoder_hidden=32, decoder_layers=1, dropout=0.0)))
    monkeypatch.setattr(TTSPipeline, "from_pretrained", classmethod(lambda cls, *a, **k: voice))  # no shipped voice

    text = "Hello there."
    assert main(["eval", "controllability", "--modality", "talk", "--checkpoint", str(tmp_path / "face"),
                 "--emotions", "happy,sad", "--intensities", "0,1", "--seeds", "2", "--steps", "2",
                 "--text", text, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    cues = report["cues"]
    assert set(cues) <= set(MEASURES) and len(report["renders"]) == 2 * 2 * 2
    assert report["classifier"]["scored"] == 0 and report["separability"]["renders"] == 4

    talk = TalkPipeline.from_pretrained(tmp_path / "face")

    def measured(emotion, seed):
        rows = [measure_landmarks(lm) for lm in talk(text=text, emotion=emotion, seed=seed, steps=2).landmarks()]
        return {c: float(np.mean([r[c] for r in rows])) for c in cues}

    neutral = measured("neutral", 0)
    for r in report["renders"]:
        if r["intensity"] == 0:  # the neutral clip of that seed is the reference
            assert all(v == 0.0 for v in r["cues"].values())
            continue
        assert max(abs(v) for v in r["cues"].values()) > 1e-5  # the emotion moves the face (exactly 0 if cut off)
        if r["seed"] == 0:
            now = measured(f"{r['emotion']}:1", 0)
            assert r["cues"] == pytest.approx({c: now[c] - neutral[c] for c in cues}, abs=1e-6)
    for emotion in ("happy", "sad"):
        for c in cues:
            by_level = [[r["cues"][c] for r in report["renders"] if r["emotion"] == emotion and r["intensity"] == lv]
                        for lv in (0, 1)]
            assert report["level_means"][emotion][c] == pytest.approx([np.mean(v) for v in by_level])
