"""Acoustic emotion cues of speech, measured without pretrained weights.

The cues are those of the emotional-speech literature (Murray & Arnott 1993; Juslin & Laukka
2003): F0 level and range, loudness, speaking rate, and voice quality (spectral tilt). They are
used three ways: to measure real emotional speech (RAVDESS) and size the emotional renderings of
the TTS corpus, to check generated speech moves the right way, and as features of the
speech-emotion classifier.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

F0_FLOOR, F0_CEIL = 60.0, 700.0
FRAME_PERIOD_MS = 5.0


@dataclass
class SpeechCues:
    """Cues of one utterance.

    Attributes:
        f0_mean_st: median F0 of voiced frames, semitones relative to 100 Hz.
        f0_range_st: 5th-95th percentile span of voiced F0, semitones.
        loudness_db: RMS level of the active (non-silent) part, dB re full scale.
        duration_s: length of the active part (leading/trailing silence trimmed), seconds.
        spectral_tilt_db: energy 1-5 kHz minus energy 50 Hz-1 kHz in voiced frames, dB
            (higher = tenser, brighter voice; lower = breathier, softer).
        voiced_fraction: share of active frames with F0.
    """

    f0_mean_st: float
    f0_range_st: float
    loudness_db: float
    duration_s: float
    spectral_tilt_db: float
    voiced_fraction: float

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def pyworld_module():
    """pyworld, imported without the pkg_resources deprecation warning its 0.3.5 release prints
    (it would break the CLI's one-line error output)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pyworld
    return pyworld


def f0_track(audio: np.ndarray, sr: int, frame_period_ms: float = FRAME_PERIOD_MS) -> np.ndarray:
    """F0 in Hz per frame (0 where unvoiced), WORLD's DIO refined by StoneMask."""
    pyworld = pyworld_module()

    x = np.ascontiguousarray(audio, dtype=np.float64)
    f0, t = pyworld.dio(x, sr, f0_floor=F0_FLOOR, f0_ceil=F0_CEIL, frame_period=frame_period_ms)
    return pyworld.stonemask(x, f0, t, sr)


def active_region(audio: np.ndarray, top_db: float = 35.0) -> tuple[int, int]:
    """Sample range of the audio without leading and trailing silence."""
    import librosa

    if not np.any(audio):
        return 0, 0
    _, (start, end) = librosa.effects.trim(audio, top_db=top_db, frame_length=1024, hop_length=256)
    return int(start), int(end)


def measure(audio: np.ndarray, sr: int) -> SpeechCues:
    """The cues of one mono utterance (float samples in [-1, 1])."""
    audio = np.asarray(audio, dtype=np.float64)
    start, end = active_region(audio)
    speech = audio[start:end]
    if len(speech) < sr // 20:
        raise ValueError("no speech found (silent or empty audio)")
    f0 = f0_track(speech, sr)
    voiced = f0 > 0
    semitones = 12.0 * np.log2(f0[voiced] / 100.0) if voiced.any() else np.array([np.nan])
    rms = np.sqrt(np.mean(speech**2))
    return SpeechCues(
        f0_mean_st=float(np.median(semitones)),
        f0_range_st=float(np.percentile(semitones, 95) - np.percentile(semitones, 5)) if voiced.sum() > 2 else 0.0,
        loudness_db=float(20.0 * np.log10(rms + 1e-9)),
        duration_s=len(speech) / sr,
        spectral_tilt_db=spectral_tilt(speech, sr, voiced),
        voiced_fraction=float(voiced.mean()),
    )


def spectral_tilt(speech: np.ndarray, sr: int, voiced: np.ndarray | None = None) -> float:
    """Alpha ratio: energy in 1-5 kHz minus energy in 50 Hz-1 kHz, dB, over voiced frames."""
    hop = int(sr * FRAME_PERIOD_MS / 1000)
    n_fft = 1024 if sr <= 24000 else 2048
    frames = np.lib.stride_tricks.sliding_window_view(np.pad(speech, (n_fft // 2, n_fft // 2)), n_fft)[::hop]
    power = np.abs(np.fft.rfft(frames * np.hanning(n_fft), axis=1)) ** 2
    if voiced is not None:
        n = min(len(power), len(voiced))
        power, mask = power[:n], voiced[:n]
        if mask.sum() >= 5:
            power = power[mask]
    freqs = np.fft.rfftfreq(n_fft, 1.0 / sr)
    low = power[:, (freqs >= 50) & (freqs < 1000)].sum()
    high = power[:, (freqs >= 1000) & (freqs < min(5000, sr / 2))].sum()
    return float(10.0 * np.log10((high + 1e-12) / (low + 1e-12)))


def relative_cues(cues: SpeechCues, neutral: SpeechCues) -> dict[str, float]:
    """Cue changes relative to a neutral rendering of the same text by the same speaker.

    ``rate`` is log(neutral duration / duration): positive = faster.
    """
    return {
        "f0_mean_st": cues.f0_mean_st - neutral.f0_mean_st,
        "f0_range_st": cues.f0_range_st - neutral.f0_range_st,
        "loudness_db": cues.loudness_db - neutral.loudness_db,
        "rate": float(np.log(neutral.duration_s / cues.duration_s)),
        "spectral_tilt_db": cues.spectral_tilt_db - neutral.spectral_tilt_db,
    }
