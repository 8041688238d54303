"""``emogen eval speech|music --plot``: figures are written, are valid PNGs, and are listed."""

import numpy as np
import pytest
import soundfile as sf

from emogen.cli import main
from emogen.eval.plots import confusion_matrix, va_plane

SR = 16000


def assert_png(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 2000
    import matplotlib.image

    image = matplotlib.image.imread(path)
    assert image.ndim == 3 and min(image.shape[:2]) > 100 and float(image[..., :3].std()) > 0.01


def tone(f0: float, amplitude: float = 0.3) -> np.ndarray:
    t = np.arange(SR) / SR
    wave = sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 8))
    pad = np.zeros(SR // 4)
    return np.concatenate([pad, amplitude * wave / np.abs(wave).max(), pad]).astype(np.float32)


def test_eval_speech_plot(tmp_path, capsys, tiny_ser):
    pytest.importorskip("pyworld")
    sf.write(tmp_path / "neutral.wav", tone(200.0), SR)
    sf.write(tmp_path / "up.wav", tone(260.0, 0.6), SR)
    sf.write(tmp_path / "down.wav", tone(160.0, 0.15), SR)
    figs = tmp_path / "figs"
    assert main(["eval", "speech", str(tmp_path / "up.wav"), str(tmp_path / "down.wav"), "--reference-neutral",
                 str(tmp_path / "neutral.wav"), "--ser", str(tiny_ser), "--plot", str(figs)]) == 0
    out = capsys.readouterr().out
    for name in ("speech_emotion_probabilities.png", "speech_va_plane.png"):
        assert_png(figs / name)
        assert f"figure: {figs / name}" in out
    # without a neutral reference there are no probabilities to draw: refused before any work
    assert main(["eval", "speech", str(tmp_path / "up.wav"), "--plot", str(tmp_path / "other")]) == 2
    assert "--reference-neutral" in capsys.readouterr().err and not (tmp_path / "other").exists()


def test_eval_music_plot(tmp_path, capsys, tiny_quadrant_classifier):
    pretty_midi = pytest.importorskip("pretty_midi")
    for name, pitches, velocity in (("major.mid", [60, 64, 67, 72], 100), ("minor.mid", [57, 60, 64, 69], 40)):
        pm = pretty_midi.PrettyMIDI(initial_tempo=120)
        piano = pretty_midi.Instrument(0)
        for i in range(32):
            piano.notes.append(pretty_midi.Note(velocity, pitches[i % 4], i * 0.25, i * 0.25 + 0.2))
        pm.instruments.append(piano)
        pm.write(str(tmp_path / name))
    figs = tmp_path / "figs"
    assert main(["eval", "music", str(tmp_path / "major.mid"), str(tmp_path / "minor.mid"), "--json",
                 "--classifier", str(tiny_quadrant_classifier), "--plot", str(figs)]) == 0
    captured = capsys.readouterr()
    assert captured.out.lstrip().startswith("[")  # stdout stays pure JSON; figures listed on stderr
    for name in ("music_quadrant_probabilities.png", "music_va_plane.png"):
        assert_png(figs / name)
        assert str(figs / name) in captured.err
    (tmp_path / "a_file").write_text("x")
    assert main(["eval", "music", str(tmp_path / "major.mid"), "--plot", str(tmp_path / "a_file")]) == 2


def test_figure_helpers_write_atomically(tmp_path):
    path = confusion_matrix([[3, 1], [0, 4]], ["happy", "sad"], tmp_path / "c.png")
    assert_png(path)
    path = va_plane([{"label": "x", "estimated": (0.5, -0.2), "requested": (0.9, 0.1)}], tmp_path / "va.png")
    assert_png(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.png", "va.png"]  # no temporary files left
    with pytest.raises(Exception):
        confusion_matrix([[1]], ["a"], tmp_path / "missing" / "c.png")
    assert not (tmp_path / "missing").exists()
