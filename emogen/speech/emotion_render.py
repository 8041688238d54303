"""Render a neutral utterance's WORLD frames with an emotion's prosody and voice quality.

Sizes come from RAVDESS (``prosody_profile.py``: median change per emotion at "normal" and
"strong" intensity, relative to each actor's neutral). Acted RAVDESS speech disagrees with the
perception literature in a few directions (its actors slow down for almost every emotion, and
"strong" sadness is sobbing: higher and louder). Where it does, the direction follows the
literature table (Murray & Arnott 1993; Juslin & Laukka 2003; ``docs/research.md``) and RAVDESS
gives only the size; every size is clamped to what the vocoded voice carries intelligibly.
Changes grow linearly with intensity, so every cue is monotone in intensity by construction.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import lru_cache

import numpy as np

from ..emotion import EmotionSpec
from . import acoustic
from .prosody_profile import CUES, load_profile

# +1 / -1: the literature's direction of each cue relative to neutral; 0: no stated direction
# (RAVDESS's own sign is kept). calm is not in the table; RAVDESS's measurement stands.
LITERATURE_DIRECTIONS = {
    "angry": {"rate": +1, "f0_mean_st": +1, "f0_range_st": +1, "loudness_db": +1},
    "happy": {"rate": +1, "f0_mean_st": +1, "f0_range_st": +1, "loudness_db": +1},
    "sad": {"rate": -1, "f0_mean_st": -1, "f0_range_st": -1, "loudness_db": -1, "spectral_tilt_db": -1},
    "fearful": {"rate": +1, "f0_mean_st": +1, "f0_range_st": +1, "loudness_db": 0},
    "disgusted": {"rate": -1, "f0_mean_st": -1, "f0_range_st": +1, "loudness_db": -1},
    "surprised": {"rate": +1, "f0_mean_st": +1, "f0_range_st": +1, "loudness_db": +1},
}
# The most any emotion may change each cue at intensity 1 (what the vocoded voice carries
# intelligibly), and the least a cue with a stated direction changes. Sizes are scaled per cue by
# one factor across emotions, so the differences between emotions that RAVDESS shows survive.
CUE_CEILINGS = {"f0_mean_st": 6.0, "f0_range_st": 4.0, "loudness_db": 9.0, "rate": 0.25, "spectral_tilt_db": 4.0}
CUE_FLOORS = {"f0_mean_st": 1.0, "f0_range_st": 0.8, "loudness_db": 1.5, "rate": 0.08, "spectral_tilt_db": 0.3}


@dataclass
class CueChanges:
    """Changes relative to neutral: semitones, semitones, dB, log rate (+ faster), dB."""

    f0_mean_st: float = 0.0
    f0_range_st: float = 0.0
    loudness_db: float = 0.0
    rate: float = 0.0
    spectral_tilt_db: float = 0.0

    def scaled(self, k: float) -> "CueChanges":
        return CueChanges(*(k * getattr(self, f.name) for f in fields(self)))

    def __add__(self, other: "CueChanges") -> "CueChanges":
        return CueChanges(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))


@lru_cache(maxsize=1)
def _cue_scales() -> dict[str, float]:
    emotions = load_profile()["emotions"].values()
    return {cue: min(1.0, CUE_CEILINGS[cue] / max(abs(e["strong"][cue]) for e in emotions)) for cue in CUES}


@lru_cache(maxsize=None)
def full_intensity_changes(emotion: str) -> CueChanges:
    """The cue changes of ``emotion`` at intensity 1: RAVDESS "strong", scaled per cue (see
    module doc), with the literature's direction where it states one."""
    if emotion == "neutral":
        return CueChanges()
    measured = load_profile()["emotions"][emotion]["strong"]
    directions = LITERATURE_DIRECTIONS.get(emotion, {})
    values = {}
    for cue in CUES:
        size = abs(measured[cue]) * _cue_scales()[cue]
        direction = directions.get(cue)
        if direction == 0:  # the literature says "normal"
            values[cue] = 0.0
        elif direction:
            values[cue] = float(direction * max(size, CUE_FLOORS[cue]))
        else:
            values[cue] = float(np.sign(measured[cue]) * size)
    return CueChanges(**values)


def changes_for(spec: EmotionSpec) -> CueChanges:
    """Affine in the spec, like the conditioning vector: components add with their signed
    shares, scaled by the intensity. Dimensional specs use their nearest categories' changes
    weighted by closeness in VAD space."""
    total = CueChanges()
    if spec.is_dimensional:
        from ..emotion.space import CATEGORIES, NEUTRAL

        point = np.array(spec.resolve_vad())
        weights = {c.name: 1.0 / (1e-3 + np.linalg.norm(point - np.array(c.vad))) ** 2
                   for c in CATEGORIES if c.name != NEUTRAL}
        z = sum(weights.values())
        for name, w in weights.items():
            total = total + full_intensity_changes(name).scaled(w / z)
        return total.scaled(spec.intensity)
    for comp in spec.components:
        total = total + full_intensity_changes(comp.emotion).scaled(comp.weight)
    return total.scaled(spec.intensity)


@lru_cache(maxsize=1)
def _gain_vectors() -> tuple[np.ndarray, np.ndarray]:
    n_bins = acoustic.fft_size() // 2 + 1
    freqs = np.linspace(0, acoustic.SAMPLE_RATE / 2, n_bins)
    flat = acoustic.spectral_gain_vector(np.ones(n_bins))
    tilt = acoustic.spectral_gain_vector(np.clip((freqs - 500.0) / 500.0, 0.0, 1.0))
    return flat, tilt


def render(frames: np.ndarray, durations: np.ndarray, changes: CueChanges) -> tuple[np.ndarray, np.ndarray]:
    """Apply ``changes`` to a neutral utterance.

    Args:
        frames: (n, feature_dims) WORLD frames (``acoustic.WorldFrames.stack()`` layout).
        durations: (p,) frames per phone, summing to n.
    Returns: the new frames (m, feature_dims) and durations (p,) summing to m.
    """
    w = acoustic.WorldFrames.unstack(frames)
    lf0 = w.lf0.copy()
    voiced = w.vuv > 0.5
    semitones = 12.0 * (lf0 - np.log(100.0)) / np.log(2.0)
    if voiced.sum() > 2:
        centre = float(np.median(semitones[voiced]))
        span = float(np.percentile(semitones[voiced], 95) - np.percentile(semitones[voiced], 5))
        k = float(np.clip((span + changes.f0_range_st) / max(span, 1e-3), 0.3, 3.0))
        semitones = centre + changes.f0_mean_st + (semitones - centre) * k
    lf0 = np.log(100.0) + semitones * np.log(2.0) / 12.0
    flat, tilt = _gain_vectors()
    sp = w.sp + changes.loudness_db * flat + changes.spectral_tilt_db * tilt
    out = acoustic.WorldFrames(lf0, w.vuv, sp, w.ap).stack()
    return stretch(out, durations, float(np.exp(-changes.rate)))


def stretch(frames: np.ndarray, durations: np.ndarray, factor: float) -> tuple[np.ndarray, np.ndarray]:
    """Time-stretch every phone by ``factor`` (> 1 slower), interpolating frames linearly
    (the voicing flag is rounded)."""
    if abs(factor - 1.0) < 1e-6:
        return frames, durations
    ends = np.round(np.cumsum(durations) * factor).astype(int)
    new_durations = np.maximum(np.diff(np.concatenate([[0], ends])), 1)
    m = int(new_durations.sum())
    source = (np.arange(m) + 0.5) * (len(frames) / m) - 0.5
    source = np.clip(source, 0, len(frames) - 1)
    lo = np.floor(source).astype(int)
    hi = np.minimum(lo + 1, len(frames) - 1)
    a = (source - lo)[:, None]
    out = (1 - a) * frames[lo] + a * frames[hi]
    out[:, 1] = np.round(out[:, 1])
    return out.astype(np.float32), new_durations
