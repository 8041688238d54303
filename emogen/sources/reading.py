"""What a recogniser read from a file, mapped into the shared emotion space.

Every reader (speech, face, video, MIDI, text) produces category probabilities, either once for
the whole file or per window of time. :func:`build_reading` turns them into what a generator
takes: probabilities -> a spec with ``emogen.text.auto.spec_from_probabilities`` (the dominant
category, or a mixture of the top two when they are close; intensity from the confidence above a
uniform guess), and, when the windows disagree, an :class:`EmotionTrajectory` with keyframes at
the windows' times in seconds, after smoothing the probabilities over time.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..emotion import EmotionSpec, EmotionTrajectory, Keyframe
from ..emotion.space import nearest_category

SMOOTHING_S = 2.0  # Gaussian smoothing of windowed probabilities over time (standard deviation, seconds)
MIN_KEYFRAME_GAP_S = 2.0  # a change shorter than this is not kept as its own keyframe


@dataclass
class EmotionReading:
    """The emotion of one file.

    Attributes:
        path: the file read.
        kind: 'speech', 'face', 'video', 'music' or 'text'.
        probabilities: category -> probability, averaged over the file (sums to 1).
        emotion: the spec or trajectory a generator should take.
        duration: seconds of the source (None for a photo or a text).
        times: (n,) window centres in seconds, when read over time (else empty).
        window_probabilities: (n, k) smoothed probabilities per window, columns in the order of
            ``probabilities`` (else empty).
        details: what else the reader measured (key, note density, faces found, ...), JSON-ready.
    """

    path: str
    kind: str
    probabilities: dict[str, float]
    emotion: EmotionSpec | EmotionTrajectory
    duration: float | None = None
    times: np.ndarray = field(default_factory=lambda: np.zeros(0))
    window_probabilities: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    details: dict = field(default_factory=dict)

    @property
    def category(self) -> str:
        """The most probable category."""
        return max(self.probabilities, key=self.probabilities.get)

    @property
    def confidence(self) -> float:
        return float(self.probabilities[self.category])

    def to_dict(self) -> dict:
        """JSON-ready, with the fields of ``emogen emotions --from-text --json``: ``emotion``
        (nearest category), ``probabilities``, ``confidence``, VAD of the spec (``valence``,
        ``arousal``, ``dominance``), ``spec`` (a string ``parse_emotion`` accepts), ``intensity``
        and ``components``; plus ``file``, ``kind``, ``duration`` and ``details``, and for a
        trajectory its ``keyframes``."""
        described = self.emotion.describe()
        out = {"file": self.path, "kind": self.kind, "emotion": self.category,
               "probabilities": {k: round(float(v), 4) for k, v in self.probabilities.items()},
               "confidence": round(self.confidence, 4),
               **{k: described[k] for k in ("valence", "arousal", "dominance", "intensity", "components")},
               "nearest": described["nearest"], "spec": str(self.emotion),
               "duration": None if self.duration is None else round(self.duration, 3), "details": self.details}
        if isinstance(self.emotion, EmotionTrajectory):
            out["keyframes"] = [{"time": k.time, "spec": str(k.spec), "nearest": k.spec.describe()["nearest"]}
                                for k in self.emotion.keyframes]
        return out

    def summary(self) -> str:
        """One line for stderr: what was read and how sure."""
        top = sorted(self.probabilities.items(), key=lambda kv: -kv[1])[:3]
        shown = ", ".join(f"{k} {v:.2f}" for k, v in top)
        over = f" over {self.duration:.1f} s" if self.duration else ""
        return f"emotion from {self.path} ({self.kind}{over}): {self.emotion} ({shown})"


def build_reading(path: str, kind: str, names: tuple[str, ...], probabilities: np.ndarray,
                  times: np.ndarray | None = None, duration: float | None = None, details: dict | None = None,
                  weights: np.ndarray | None = None, intensity: np.ndarray | None = None) -> EmotionReading:
    """A reading from probabilities (k,) for the whole file, or (n, k) per window at ``times``
    (seconds, increasing) with optional per-window ``weights`` (n,) (e.g. 0 where no face was
    seen). Windowed probabilities are smoothed over time; when their specs differ the emotion is
    a trajectory with a keyframe at each change, else one spec of the mean. ``intensity`` (one
    value, or (n,) per window): the recogniser's own measure of strength, which then replaces the
    confidence-based intensity of each spec (averaged over the windows a spec covers)."""
    from ..text.auto import spec_from_probabilities

    probs = np.atleast_2d(np.asarray(probabilities, np.float64))
    w = np.ones(len(probs)) if weights is None else np.asarray(weights, np.float64)
    mean = (probs * w[:, None]).sum(0) / max(w.sum(), 1e-9)
    overall = {n: float(p) for n, p in zip(names, mean / mean.sum())}
    strength = None if intensity is None else np.broadcast_to(np.asarray(intensity, np.float64), (len(probs),))
    spec = _with_strength(spec_from_probabilities(list(mean / mean.sum()), names=names), strength, w)
    if times is None or len(probs) < 2:
        return EmotionReading(path, kind, overall, spec, duration, details=details or {})
    times = np.asarray(times, np.float64)
    smoothed = smooth_over_time(probs, times, w)
    keyframes = _keyframes(smoothed, times, names, strength, w)
    emotion = spec if len(keyframes) < 2 else EmotionTrajectory(tuple(keyframes))
    return EmotionReading(path, kind, overall, emotion, duration, times, smoothed, details or {})


def smooth_over_time(probs: np.ndarray, times: np.ndarray, weights: np.ndarray,
                     sigma_s: float = SMOOTHING_S) -> np.ndarray:
    """(n, k) probabilities averaged with a Gaussian over time (``sigma_s`` seconds), each window
    counted by its weight; a window with weight 0 takes its neighbours' values."""
    d = times[:, None] - times[None, :]
    kernel = np.exp(-0.5 * (d / sigma_s) ** 2) * weights[None, :]
    total = kernel.sum(1, keepdims=True)
    out = kernel @ probs / np.maximum(total, 1e-12)
    out[total[:, 0] <= 1e-12] = probs.mean(0)
    return out / out.sum(1, keepdims=True)


def dominant(spec: EmotionSpec) -> str:
    """The category with the largest share of a spec ('neutral' for a neutral one); a weak
    'happy:0.2' is still happy, though its VAD point lies nearest to neutral."""
    if spec.is_neutral or not spec.components:
        return "neutral" if spec.is_neutral else nearest_category(spec.resolve_vad())
    return max(spec.components, key=lambda c: abs(c.weight)).emotion


def _with_strength(spec: EmotionSpec, strength: np.ndarray | None, weights: np.ndarray) -> EmotionSpec:
    """``spec`` at the weighted mean of ``strength`` (its shares kept), or as it is."""
    if strength is None or spec.is_neutral or weights.sum() <= 0:
        return spec
    value = round(float(np.clip((strength * weights).sum() / weights.sum(), 0.0, 1.0)), 3)
    if value == 0:
        return EmotionSpec.neutral()
    if len(spec.components) == 1:
        return EmotionSpec.category(spec.components[0].emotion, value)
    return EmotionSpec.mixture({c.emotion: round(c.weight * value, 3) for c in spec.components})


def _keyframes(probs: np.ndarray, times: np.ndarray, names: tuple[str, ...], strength: np.ndarray | None = None,
               weights: np.ndarray | None = None) -> list[Keyframe]:
    """A piecewise-steady trajectory: runs of windows with the same dominant category (a run
    shorter than ``MIN_KEYFRAME_GAP_S`` joins the one before it), each held at the spec of its
    mean probabilities from its first window to its last; the emotion moves between runs in the
    gap between them. Empty when there is only one run."""
    from ..text.auto import spec_from_probabilities

    labels = [dominant(spec_from_probabilities(list(p), names=names)) for p in probs]
    runs: list[list] = []  # [first window, last window, category]
    for i, label in enumerate(labels):
        if runs and runs[-1][2] == label:
            runs[-1][1] = i
        else:
            runs.append([i, i, label])

    def length(run) -> float:
        return times[run[1]] - times[run[0]] + (times[1] - times[0])

    while len(runs) > 1:  # the shortest blip joins its longer neighbour, until none is left
        short = min(range(len(runs)), key=lambda r: length(runs[r]))
        if length(runs[short]) >= MIN_KEYFRAME_GAP_S:
            break
        neighbours = [r for r in (short - 1, short + 1) if 0 <= r < len(runs)]
        into = max(neighbours, key=lambda r: length(runs[r]))
        lo, hi = sorted((short, into))
        runs[lo:hi + 1] = [[runs[lo][0], runs[hi][1], runs[into][2]]]
        merged = [runs[0]]  # neighbours of one category become one run
        for run in runs[1:]:
            if run[2] == merged[-1][2]:
                merged[-1][1] = run[1]
            else:
                merged.append(run)
        runs = merged
    if len(runs) < 2:
        return []
    frames = []
    for a, b, _ in runs:
        spec = spec_from_probabilities(list(probs[a:b + 1].mean(0)), names=names)
        if strength is not None:
            spec = _with_strength(spec, strength[a:b + 1], weights[a:b + 1])
        frames.append(Keyframe(spec, round(float(times[a]), 2) if frames else 0.0))
        if b > a:
            frames.append(Keyframe(spec, round(float(times[b]), 2)))
    return frames
