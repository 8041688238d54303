"""``emogen eval controllability --modality talk`` on a tiny random-initialised motion model."""

import json

import numpy as np
import pytest

pytest.importorskip("mediapipe")

from emogen.cli import main  # noqa: E402
from emogen.core.checkpoint import shipped_checkpoints_dir  # noqa: E402


@pytest.mark.slow
@pytest.mark.skipif(not (shipped_checkpoints_dir() / "tts-slt-emotion").is_dir(), reason="TTS voice not shipped")
def test_talk_sweep_measures_landmark_motion(tmp_path, capsys):
    import torch

    from emogen.face.measure import MEASURES
    from emogen.face.model import FaceMotionConfig, FaceMotionModel

    torch.manual_seed(0)
    config = FaceMotionConfig(backbone_config=dict(hidden=32, layers=1, heads=2, conv_kernel=3), audio_channels=8,
                              window=16, overlap=4)
    FaceMotionModel(config).save_pretrained(tmp_path / "face", "tiny test model")
    assert main(["eval", "controllability", "--modality", "talk", "--checkpoint", str(tmp_path / "face"),
                 "--emotions", "happy,sad", "--intensities", "0,1", "--seeds", "2", "--steps", "2",
                 "--text", "Hello there.", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report["cues"]) <= set(MEASURES) and len(report["renders"]) == 2 * 2 * 2
    for r in report["renders"]:
        assert all(np.isfinite(v) for v in r["cues"].values())
        if r["intensity"] == 0:  # the neutral clip of that seed is the reference
            assert all(v == 0.0 for v in r["cues"].values())
    assert report["classifier"]["scored"] == 0 and report["separability"]["renders"] == 4
