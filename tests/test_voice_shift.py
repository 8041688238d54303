"""emogen.speech.voice_shift: pitch lands on the target, length and level stay, bad input is refused."""

import numpy as np
import pytest

from emogen.errors import EmogenError
from emogen.speech.voice_shift import FEMALE, VoiceShift, shift_voice

pytest.importorskip("parselmouth")  # praat-parselmouth: the speech extra

SR = 22050


def male_vowel(seconds: float = 1.5, f0: float = 110.0, seed: int = 0) -> np.ndarray:
    """A male-like voiced vowel: a glottal pulse train with 4 % vibrato through /a/ formant resonators."""
    from scipy.signal import lfilter

    t = np.arange(int(seconds * SR)) / SR
    phase = 2 * np.pi * np.cumsum(f0 * (1 + 0.04 * np.sin(2 * np.pi * 3 * t))) / SR
    source = np.maximum(np.sin(phase), 0) ** 8 + 0.003 * np.random.default_rng(seed).normal(size=len(t))
    x = np.diff(source, prepend=0.0)
    for freq, bw in [(730, 80), (1090, 90), (2440, 120), (3400, 150)]:
        r = np.exp(-np.pi * bw / SR)
        x = lfilter([1 - r], [1, -2 * r * np.cos(2 * np.pi * freq / SR), r * r], x)
    return (0.5 * x / np.abs(x).max()).astype(np.float32)


def median_f0(audio: np.ndarray) -> float:
    import parselmouth

    f0 = parselmouth.Sound(audio.astype(np.float64), SR).to_pitch(pitch_floor=60, pitch_ceiling=500)
    f0 = f0.selected_array["frequency"]
    return float(np.median(f0[f0 > 0]))


@pytest.mark.parametrize("target", [FEMALE.pitch_median_hz, 160.0])
def test_pitch_moves_to_the_target_and_length_and_level_hold(target):
    x = male_vowel()
    assert abs(12 * np.log2(median_f0(x) / 110.0)) < 0.5  # the fixture is what it claims
    y = shift_voice(x, SR, VoiceShift(FEMALE.formant_ratio, target, FEMALE.pitch_range))
    assert abs(12 * np.log2(median_f0(y) / target)) < 1.0  # within a semitone
    assert abs(len(y) - len(x)) <= 0.01 * len(x)
    assert y.dtype == np.float32 and np.isfinite(y).all() and np.abs(y).max() < 1.0
    rms = lambda a: np.sqrt(np.mean(a**2))  # noqa: E731
    assert abs(20 * np.log10(rms(y) / rms(x))) < 3.0


def test_formants_rise_by_the_ratio():
    """The spectral centroid of the voiced vowel rises by about the formant ratio (not by the F0 ratio)."""
    x = male_vowel()
    centroid = lambda a: np.sum(np.abs(np.fft.rfft(a)) ** 2 * np.fft.rfftfreq(len(a), 1 / SR)) / np.sum(  # noqa: E731
        np.abs(np.fft.rfft(a)) ** 2)
    ratio = 1.2
    y = shift_voice(x, SR, VoiceShift(ratio, 0.0))  # 0: keep the median pitch
    assert abs(12 * np.log2(median_f0(y) / median_f0(x))) < 0.5
    assert ratio * 0.9 < centroid(y) / centroid(x) < ratio * 1.1


def test_duration_setting_changes_length():
    x = male_vowel()
    y = shift_voice(x, SR, VoiceShift(1.1, 200.0, duration=1.25))
    assert abs(len(y) - 1.25 * len(x)) <= 0.01 * len(x)


@pytest.mark.parametrize("bad", [np.zeros(0, np.float32), np.full(1000, np.nan, np.float32), np.zeros((2, 100))])
def test_bad_audio_is_refused(bad):
    with pytest.raises(EmogenError):
        shift_voice(bad, SR, FEMALE)
