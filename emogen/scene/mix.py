"""A music bed under speech: level set relative to the voice, ducked while it speaks, faded in and out.

Pure numpy, so it can be tested without any model. All signals are float32 mono at one sample rate.

The ducking envelope follows the speech energy: frames whose RMS is within ``threshold_db`` of
the loudest frame count as voiced; the voiced mask is widened (a short look-ahead so the music
dips *before* the first syllable, a longer hold so it does not pump between words), then smoothed
with a Hann window, so the gain moves between 1 and ``10 ** (duck_db / 20)`` without clicks.
"""

from __future__ import annotations

import numpy as np

from ..errors import EmogenError

FRAME_S = 0.02  # analysis hop for the speech energy (seconds)


def voice_activity(speech: np.ndarray, sample_rate: int, threshold_db: float = -35.0) -> np.ndarray:
    """(frames,) bool: frames of ``FRAME_S`` seconds whose RMS is within ``threshold_db`` of the loudest."""
    hop = max(1, int(round(FRAME_S * sample_rate)))
    n = int(np.ceil(len(speech) / hop))
    padded = np.zeros(n * hop, np.float64)
    padded[:len(speech)] = speech
    rms = np.sqrt(np.mean(padded.reshape(n, hop) ** 2, axis=1))
    peak = float(rms.max()) if n else 0.0
    if peak <= 1e-8:
        return np.zeros(n, bool)
    return rms >= peak * 10.0 ** (threshold_db / 20.0)


def duck_gain(speech: np.ndarray, sample_rate: int, duck_db: float = -10.0, lookahead_s: float = 0.1,
              hold_s: float = 0.25, smooth_s: float = 0.15) -> np.ndarray:
    """(samples,) gain in [10 ** (duck_db / 20), 1] for the music: low while the voice speaks."""
    if duck_db > 0:
        raise EmogenError(f"duck_db must be <= 0 dB (how far the music dips under the voice), got {duck_db:g}")
    active = voice_activity(speech, sample_rate).astype(np.float64)
    hop = max(1, int(round(FRAME_S * sample_rate)))
    if active.any():
        ahead, hold = int(round(lookahead_s / FRAME_S)), int(round(hold_s / FRAME_S))
        widened = active.copy()
        for shift in range(1, ahead + 1):  # voiced at t+shift -> already ducked at t
            widened[:-shift] = np.maximum(widened[:-shift], active[shift:])
        for shift in range(1, hold + 1):  # voiced at t-shift -> still ducked at t
            widened[shift:] = np.maximum(widened[shift:], active[:-shift])
        width = max(3, int(round(smooth_s / FRAME_S)) | 1)
        window = np.hanning(width + 2)[1:-1]
        edge = np.pad(widened, width, mode="edge")
        active = np.convolve(edge, window / window.sum(), mode="same")[width:-width]
    low = 10.0 ** (duck_db / 20.0)
    frame_gain = 1.0 - (1.0 - low) * np.clip(active, 0.0, 1.0)
    centres = (np.arange(len(frame_gain)) + 0.5) * hop
    return np.interp(np.arange(len(speech)), centres, frame_gain).astype(np.float32)


def fade(n: int, sample_rate: int, fade_in_s: float = 0.5, fade_out_s: float = 1.0) -> np.ndarray:
    """(n,) raised-cosine fade-in / fade-out envelope (0 at both ends, 1 in the middle)."""
    env = np.ones(n, np.float32)
    for seconds, at_start in ((fade_in_s, True), (fade_out_s, False)):
        k = min(n // 2, int(round(max(0.0, seconds) * sample_rate)))
        if k <= 0:
            continue
        ramp = (0.5 - 0.5 * np.cos(np.pi * np.arange(k) / k)).astype(np.float32)
        if at_start:
            env[:k] *= ramp
        else:
            env[n - k:] *= ramp[::-1]
    return env


def speech_level(speech: np.ndarray, sample_rate: int) -> float:
    """RMS of the voiced part of ``speech`` (0 for silence)."""
    active = voice_activity(speech, sample_rate)
    if not active.any():
        return 0.0
    hop = max(1, int(round(FRAME_S * sample_rate)))
    mask = np.repeat(active, hop)[:len(speech)]
    return float(np.sqrt(np.mean(np.asarray(speech, np.float64)[mask] ** 2)))


def music_bed_gain(speech: np.ndarray, music: np.ndarray, sample_rate: int, music_volume: float = 0.25,
                   duck_db: float = -10.0, fade_in_s: float = 0.5, fade_out_s: float = 1.0) -> np.ndarray:
    """(len(speech),) the gain applied to the music: level x ducking x fades.

    The level makes the un-ducked music's RMS ``music_volume`` times the voiced speech RMS (a
    linear ratio: 0.25 is 12 dB under the voice before ducking)."""
    if not 0.0 <= music_volume <= 4.0 or np.isnan(music_volume):
        raise EmogenError(f"music volume {music_volume:g} is out of range; "
                          "accepted: 0 to 4 (linear gain re the speech)")
    n = len(speech)
    music = _fit(music, n)
    music_rms = float(np.sqrt(np.mean(np.asarray(music, np.float64) ** 2))) if n else 0.0
    voice = speech_level(speech, sample_rate)
    if music_rms <= 1e-8 or voice <= 0.0:
        level = music_volume if voice <= 0.0 else 0.0
    else:
        level = music_volume * voice / music_rms
    gain = level * duck_gain(speech, sample_rate, duck_db) * fade(n, sample_rate, fade_in_s, fade_out_s)
    return gain.astype(np.float32)


def mix_music_under_speech(speech: np.ndarray, music: np.ndarray, sample_rate: int, music_volume: float = 0.25,
                           duck_db: float = -10.0, fade_in_s: float = 0.5, fade_out_s: float = 1.0,
                           headroom: float = 0.98) -> np.ndarray:
    """Speech with a music bed under it.

    Args:
        speech: (samples,) float32 mono; sets the length of the result.
        music: (any,) float32 mono at the same rate; cut or zero-padded to the speech's length.
        sample_rate: Hz.
        music_volume: linear gain of the music re the voiced speech RMS, before ducking.
        duck_db: how far the music dips while the voice speaks (dB, <= 0).
        fade_in_s / fade_out_s: raised-cosine fades of the music (seconds).
        headroom: the mix's peak never exceeds this; a louder mix is scaled down as a whole
            (never clipped, and the speech / music balance is kept).
    Returns:
        (len(speech),) float32.
    """
    speech = np.asarray(speech, np.float32).reshape(-1)
    music = np.asarray(music, np.float32).reshape(-1)
    if not np.isfinite(speech).all() or not np.isfinite(music).all():
        raise EmogenError("the speech or the music contains NaN or infinite samples")
    gain = music_bed_gain(speech, music, sample_rate, music_volume, duck_db, fade_in_s, fade_out_s)
    mix = speech.astype(np.float64) + gain * _fit(music, len(speech))
    peak = float(np.abs(mix).max()) if len(mix) else 0.0
    if peak > headroom:
        mix *= headroom / peak
    return mix.astype(np.float32)


def _fit(x: np.ndarray, n: int) -> np.ndarray:
    x = np.asarray(x, np.float32).reshape(-1)[:n]
    return np.pad(x, (0, n - len(x))) if len(x) < n else x
