"""Phones -> mouth shapes over time (visemes with coarticulation), for text-driven lip sync and
as the mouth targets the motion model learns from.

Each ARPAbet phone (emogen.speech.phonemes.PHONES) has a target (jaw, spread, round) reached at
its middle; between middles the mouth moves linearly, then a short Gaussian smoothing blends
neighbours (coarticulation). Bilabials (p, b, m) close the lips.
"""

from __future__ import annotations

import numpy as np

# (jaw opening 0..1, lip spread 0..1, lip rounding 0..1)
VISEMES: dict[str, tuple[float, float, float]] = {
    "pau": (0.0, 0.0, 0.0),
    "p": (0.0, 0.0, 0.0), "b": (0.0, 0.0, 0.0), "m": (0.0, 0.0, 0.0), "em": (0.0, 0.0, 0.0),
    "f": (0.1, 0.15, 0.0), "v": (0.1, 0.15, 0.0),
    "th": (0.18, 0.1, 0.0), "dh": (0.18, 0.1, 0.0),
    "t": (0.2, 0.2, 0.0), "d": (0.2, 0.2, 0.0), "n": (0.2, 0.2, 0.0), "en": (0.2, 0.2, 0.0),
    "l": (0.25, 0.15, 0.0), "el": (0.3, 0.1, 0.0), "s": (0.12, 0.3, 0.0), "z": (0.12, 0.3, 0.0),
    "sh": (0.18, 0.0, 0.5), "zh": (0.18, 0.0, 0.5), "ch": (0.18, 0.0, 0.5), "jh": (0.18, 0.0, 0.5),
    "k": (0.28, 0.1, 0.0), "g": (0.28, 0.1, 0.0), "ng": (0.25, 0.1, 0.0), "hh": (0.35, 0.1, 0.0),
    "y": (0.2, 0.4, 0.0), "r": (0.22, 0.0, 0.4), "w": (0.12, 0.0, 0.9),
    "aa": (0.95, 0.1, 0.0), "ae": (0.75, 0.4, 0.0), "ah": (0.6, 0.15, 0.0), "ax": (0.45, 0.1, 0.0),
    "ao": (0.8, 0.0, 0.5), "aw": (0.8, 0.0, 0.3), "ay": (0.85, 0.2, 0.0), "eh": (0.55, 0.35, 0.0),
    "er": (0.35, 0.0, 0.4), "axr": (0.35, 0.0, 0.4), "ey": (0.5, 0.45, 0.0), "ih": (0.4, 0.4, 0.0),
    "iy": (0.28, 0.6, 0.0), "ow": (0.6, 0.0, 0.7), "oy": (0.65, 0.0, 0.5), "uh": (0.4, 0.0, 0.6),
    "uw": (0.28, 0.0, 0.9),
}
FRAME_S = 0.01  # phone durations come in 10 ms frames (emogen.speech.acoustic)
COARTICULATION_S = 0.03


def mouth_track(phones: list[str], durations: np.ndarray, fps: float, num_frames: int | None = None,
                start_s: float = 0.0) -> np.ndarray:
    """(num_frames, 3) mouth coefficients at ``fps`` for phones with ``durations`` in 10 ms frames,
    the first phone starting at ``start_s`` seconds. Unknown phones count as a neutral vowel."""
    durations = np.asarray(durations, np.float64)
    ends = start_s + np.cumsum(durations) * FRAME_S
    middles = ends - durations * FRAME_S / 2
    targets = np.array([VISEMES.get(p, VISEMES["ax"]) for p in phones], np.float64)
    total = num_frames if num_frames is not None else int(np.ceil(ends[-1] * fps)) if len(ends) else 0
    # interpolate at 100 Hz, smooth, then average into video frames
    fine = np.arange(0, total / fps, FRAME_S) + FRAME_S / 2
    knots = np.concatenate([[start_s], middles, [ends[-1] if len(ends) else start_s]])
    values = np.concatenate([np.zeros((1, 3)), targets, np.zeros((1, 3))]) if len(targets) else np.zeros((2, 3))
    curve = np.stack([np.interp(fine, knots, values[:, c], left=0.0, right=0.0) for c in range(3)], -1)
    curve = _gaussian_smooth(curve, COARTICULATION_S / FRAME_S)
    frame_of = np.minimum((fine * fps).astype(int), max(total - 1, 0))
    out = np.zeros((total, 3))
    np.add.at(out, frame_of, curve)
    counts = np.bincount(frame_of, minlength=total)[:, None]
    return (out / np.maximum(counts, 1)).astype(np.float32)


def _gaussian_smooth(x: np.ndarray, sigma: float) -> np.ndarray:
    radius = int(3 * sigma)
    if radius < 1 or len(x) == 0:
        return x
    k = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    k /= k.sum()
    padded = np.pad(x, ((radius, radius), (0, 0)), mode="edge")
    return np.stack([np.convolve(padded[:, c], k, mode="valid") for c in range(x.shape[1])], -1)


def follow_loudness(mouth: np.ndarray, energy: np.ndarray, floor: float = 0.1) -> np.ndarray:
    """The jaw opens with the voice: jaw x (floor + (1 - floor) x loudness), loudness (n,) in 0..1
    per video frame (lightly smoothed). Visemes alone know which shape, not how loud: stressed,
    loud syllables open wider, fading words close, and silence shuts the mouth."""
    loud = np.convolve(np.clip(np.asarray(energy, np.float64), 0, 1), np.ones(3) / 3, mode="same")
    out = np.array(mouth, np.float32, copy=True)
    out[:, 0] *= (floor + (1 - floor) * loud).astype(np.float32)
    return out
