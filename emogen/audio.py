"""Output level: every generated waveform passes :func:`limit_peak` before it leaves a pipeline.

Strong emotions, guidance and negative guidance push the vocoder's level far past full scale
(angry speech peaked at 3.2, ``--guidance 2 --negative calm`` at 60). Plain clipping at +-1 then
squares the waveform off; scaling a whole utterance down would also erase the loudness
difference between a shout and a murmur. A look-ahead peak limiter does neither: only the samples
around a peak are turned down, smoothly, and quiet passages keep their level.

The gain is computed in two passes over the whole signal (no state, so results are reproducible):
the gain each sample needs, ``min(1, ceiling / |x|)``, is spread to its neighbours with a running
minimum over +-``window_s`` (look-ahead and hold), then smoothed with a running mean over the
same span. Every sample inside a mean's span lies inside its neighbours' minimum windows, so the
smoothed gain never exceeds what any sample needs: the output peak is at most ``ceiling``, with
no overshoot. pedalboard's Limiter would do this too, but is a large native dependency for one
function, and its compressor is not guaranteed to stay under the ceiling.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .errors import EmogenError

CEILING = 0.99  # output peak, linear full scale
WINDOW_S = 0.01  # look-ahead / hold and smoothing half-width (seconds): longer than one voice period


def check_finite(audio: np.ndarray, what: str = "the generated audio") -> np.ndarray:
    """``audio`` unchanged if every sample is finite, else an EmogenError (NaN would be written as noise)."""
    if not np.isfinite(audio).all():
        raise EmogenError(f"{what} contains NaN or infinite samples (the guidance or negative scale may be "
                          "too strong); nothing was written")
    return audio


def limit_peak(audio: np.ndarray, sample_rate: int, ceiling: float = CEILING, window_s: float = WINDOW_S) -> np.ndarray:
    """Look-ahead peak limiter (see the module doc).

    Args:
        audio: (samples,) float mono, any level; must be finite.
        sample_rate: Hz.
        ceiling: the largest ``|sample|`` of the result (linear, <= 1).
        window_s: seconds each side over which the gain is held and smoothed.
    Returns:
        (samples,) float32 with ``max |sample| <= ceiling``; unchanged where the level is below it.
    """
    from scipy.ndimage import minimum_filter1d, uniform_filter1d

    x = np.asarray(check_finite(np.asarray(audio, np.float32)), np.float64)
    peak = np.abs(x)
    if x.size == 0 or peak.max() <= ceiling:
        return x.astype(np.float32)
    need = np.minimum(1.0, ceiling / np.maximum(peak, 1e-12))
    half = max(1, int(round(window_s * sample_rate)))
    gain = minimum_filter1d(need, 2 * half + 1, mode="nearest")
    gain = uniform_filter1d(gain, 2 * half + 1, mode="nearest")
    out = x * np.minimum(gain, need)  # the mean is already <= need; min() only absorbs rounding
    return out.astype(np.float32)


def read_speech(path: str | Path, what: str = "audio") -> tuple[np.ndarray, int]:
    """A speech recording (WAV, FLAC, OGG or MP3) as mono float samples (n,) in [-1, 1] and its
    sample rate (Hz); a missing, unreadable, non-finite, empty or silent file is an
    :class:`EmogenError` naming it (``what``: how the message calls it)."""
    import soundfile as sf

    if not Path(path).is_file():
        raise EmogenError(f"cannot read {what} '{path}': no such file")
    try:
        audio, sr = sf.read(str(path), dtype="float32", always_2d=True)
    except Exception as e:  # noqa: BLE001 - soundfile reports unknown formats and damaged files alike
        raise EmogenError(f"cannot read {what} '{path}' ({str(e).splitlines()[0] if str(e) else type(e).__name__}); "
                          "accepted: WAV, FLAC, OGG, MP3") from None
    audio = audio.mean(axis=1)
    if len(audio) == 0 or not np.isfinite(audio).all() or np.sqrt(np.mean(audio ** 2)) < 1e-4:
        raise EmogenError(f"{what} '{path}' is silent or empty; give speech audio")
    return audio, int(sr)
