"""emogen.speech.cues: the F0 tracker on voices with a known contour, and the feature cache's key."""

import numpy as np
import pytest

pytest.importorskip("parselmouth")  # praat-parselmouth: the speech extra

from emogen.speech import cues  # noqa: E402

SR = 22050


def low_voice(start_hz: float = 100.0, end_hz: float = 85.0, seconds: float = 2.0,
              highpass_hz: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """A male-like vowel on a falling contour (glottal pulses, 3 Hz vibrato, formant resonators),
    and its true F0 per sample (Hz). ``highpass_hz`` removes the fundamental, as a telephone band
    or a thin voice does: then WORLD's DIO, the tracker before, jumped an octave on a third of
    the frames."""
    from scipy.signal import butter, lfilter, sosfilt

    t = np.arange(int(SR * seconds)) / SR
    f0 = np.geomspace(start_hz, end_hz, len(t)) * (1 + 0.03 * np.sin(2 * np.pi * 3 * t))
    source = np.maximum(np.sin(2 * np.pi * np.cumsum(f0) / SR), 0) ** 8
    x = np.diff(source + 0.003 * np.random.default_rng(0).normal(size=len(t)), prepend=0.0)
    for freq, bw in [(500, 80), (1500, 90), (2500, 120), (3500, 150)]:
        r = np.exp(-np.pi * bw / SR)
        x = lfilter([1 - r], [1, -2 * r * np.cos(2 * np.pi * freq / SR), r * r], x)
    if highpass_hz:
        x = sosfilt(butter(4, highpass_hz, "highpass", fs=SR, output="sos"), x)
    return 0.5 * x / np.abs(x).max(), f0


@pytest.mark.parametrize("highpass_hz", [None, 200.0])
def test_f0_track_follows_a_low_voice_without_octave_jumps(highpass_hz):
    x, truth = low_voice(highpass_hz=highpass_hz)
    f0 = cues.f0_track(x, SR)
    assert f0.shape == (int(len(x) / SR / 0.005) + 1,)  # WORLD's frame count, frame k at k * 5 ms
    at = np.interp(np.arange(len(f0)) * 0.005, np.arange(len(x)) / SR, truth)
    voiced = f0 > 0
    assert voiced.mean() > 0.9
    error = 12 * np.log2(f0[voiced] / at[voiced])
    assert np.abs(error).max() < 1.0  # semitones: no octave (12 st) or fifth jumps anywhere
    measured = cues.measure(x, SR)
    true_st = 12 * np.log2(truth / 100.0)
    assert measured.f0_mean_st == pytest.approx(np.median(true_st), abs=0.3)
    assert measured.f0_range_st == pytest.approx(np.percentile(true_st, 95) - np.percentile(true_st, 5), abs=0.5)


def test_an_octave_up_reads_as_twelve_semitones():
    low, _ = low_voice(93.0, 93.0)
    high, _ = low_voice(186.0, 186.0)
    change = cues.relative_cues(cues.measure(high, SR), cues.measure(low, SR))
    assert change["f0_mean_st"] == pytest.approx(12.0, abs=0.3)
    assert abs(change["f0_range_st"]) < 0.5


def test_f0_track_of_short_or_unvoiced_audio_is_unvoiced():
    assert not cues.f0_track(np.zeros(SR // 2), SR).any()
    assert not cues.f0_track(low_voice()[0][: SR // 50], SR).any()  # 20 ms: under Praat's window
    noise = np.random.default_rng(1).normal(0, 0.1, SR)
    assert (cues.f0_track(noise, SR) > 0).mean() < 0.2


def test_feature_cache_is_recomputed_when_the_tracker_changes(tmp_path, monkeypatch):
    import soundfile as sf

    root = tmp_path / "ravdess"
    (root / "Actor_01").mkdir(parents=True)
    sf.write(root / "Actor_01" / "a.wav", low_voice(seconds=0.6)[0].astype(np.float32), SR)
    (root / "manifest.csv").write_text("path,actor,gender,emotion,intensity,statement_id,text,repetition\n"
                                       "Actor_01/a.wav,1,male,neutral,normal,01,Kids,1\n")
    cache = tmp_path / "features.npz"
    first = cues.absolute_features(root, cache)
    assert str(first["f0_tracker"]) == cues.F0_TRACKER and first["x"].shape == (1, len(cues.FEATURE_NAMES))
    calls = []
    monkeypatch.setattr(cues, "clip_features", lambda audio, sr: calls.append(sr) or np.zeros(len(cues.FEATURE_NAMES)))
    cues.absolute_features(root, cache)
    assert calls == []  # same features, same tracker: read from the cache
    monkeypatch.setattr(cues, "F0_TRACKER", "another-tracker")
    again = cues.absolute_features(root, cache)
    assert calls == [SR] and not again["x"].any()  # recomputed, and the cache now names the new tracker
    assert str(np.load(cache)["f0_tracker"]) == "another-tracker"
