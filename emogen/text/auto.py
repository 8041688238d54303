"""``--emotion auto``: turn per-sentence text predictions into emotion specs.

Three steps, per paragraph (runs of non-empty lines; an empty line is a paragraph break and stays
neutral):

1. Smoothing: each sentence's probabilities are averaged with its neighbours', weighted
   ``smoothing ** distance`` (distance <= ``window``), by the neighbour's confidence and by the
   sentence's own doubt (1 - confidence), so an ambiguous sentence does not flip the paragraph's
   emotion while a clear change still shows.
2. Mixture: when the second most probable category is within ``mix_margin`` of the first, the spec
   is a mixture of both, shares proportional to their probabilities; when one of the two is
   neutral, the spec is the other category alone (neutral has no direction to mix in).
3. Intensity from confidence: ``scale * (p - 1/7) / (1 - 1/7)`` for the chosen non-neutral
   components' total probability ``p`` (a uniform guess gives 0, certainty 1). A clear neutral
   winner is neutral.

``parse_auto('auto:0.5')`` gives the scale (0.5): generators accept ``--emotion auto[:SCALE]``.
Every front end resolves ``auto`` with the functions here: :func:`auto_scale` (is it ``auto``, and
at what scale), then :func:`infer_specs` (one spec per sentence, as speech needs) or
:func:`resolve_auto` (one spec or a trajectory for a whole piece, as music and scenes need).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..emotion.spec import EmotionSpec, EmotionTrajectory, Keyframe
from ..errors import EmogenError
from .data import TEXT_CATEGORIES

if TYPE_CHECKING:  # the classifier imports torch: parse_auto must stay cheap (CLI validation)
    from .pipeline import TextPrediction

_AUTO = re.compile(r"^\s*auto\s*(?::\s*([^\s]*)\s*)?$", re.IGNORECASE)


def parse_auto(text: str | None) -> float | None:
    """The intensity scale of an ``auto`` / ``auto:SCALE`` emotion, or None if ``text`` is another spec.

    ``auto`` is 1.0; ``auto:0.5`` halves the inferred intensity. SCALE must be in [0, 1].
    """
    if text is None:
        return None
    m = _AUTO.match(text)
    if not m:
        return None
    if m.group(1) is None:
        return 1.0
    try:
        scale = float(m.group(1))
    except ValueError:
        scale = float("nan")
    if not 0.0 <= scale <= 1.0:
        raise EmogenError(f"'{text.strip()}': the scale after 'auto:' must be a number in [0, 1] (e.g. auto:0.5)")
    return scale


def auto_scale(emotion, intensity: float | None = None) -> float | None:
    """The scale of ``emotion`` if it is ``auto`` / ``auto:SCALE`` (a string), else None; with
    ``auto`` an ``intensity`` is refused (the scale takes its place)."""
    scale = parse_auto(emotion) if isinstance(emotion, str) else None
    if scale is not None and intensity is not None:
        raise EmogenError("with emotion 'auto', scale the inferred intensity as auto:SCALE (e.g. auto:0.5), "
                          "not with --intensity")
    return scale


@dataclass
class AutoConfig:
    scale: float = 1.0
    """multiplies the inferred intensity (``auto:SCALE``)"""
    smoothing: float = 0.5
    """neighbour weight per sentence of distance (0 = no smoothing)"""
    window: int = 2
    """sentences on each side that take part in smoothing"""
    mix_margin: float = 0.15
    """mix the top two categories when their probabilities differ by less than this"""


def smooth(predictions: list[TextPrediction], smoothing: float = 0.5, window: int = 2) -> list[list[float]]:
    """Per prediction, probabilities (7, TEXT_CATEGORIES order) averaged over its paragraph
    neighbours; empty lines (confidence 0) are paragraph breaks and keep their own values."""
    probs = [[p.probabilities[c] for c in TEXT_CATEGORIES] for p in predictions]
    breaks = [p.note == "empty line" for p in predictions]
    out = []
    for i, own in enumerate(probs):
        if breaks[i] or smoothing <= 0:
            out.append(own)
            continue
        total, acc = 0.0, [0.0] * len(own)
        for d in range(-window, window + 1):
            j = i + d
            if not 0 <= j < len(probs):
                continue
            if any(breaks[min(i, j):max(i, j) + 1]):
                continue  # never smooth across a paragraph break
            # A sure neighbour counts more than an unsure one, and an unsure sentence listens more than
            # a sure one: ambiguous lines follow their paragraph, clear ones keep their own emotion.
            w = 1.0 if d == 0 else (smoothing ** abs(d)) * predictions[j].confidence * (1 - predictions[i].confidence)
            total += w
            acc = [a + w * x for a, x in zip(acc, probs[j])]
        out.append([a / total for a in acc])
    return out


def spec_from_probabilities(probs: list[float], scale: float = 1.0, mix_margin: float = 0.15,
                            names: tuple[str, ...] = TEXT_CATEGORIES) -> EmotionSpec:
    """One spec from probabilities (k, in the order of ``names``: by default the 7 TEXT_CATEGORIES;
    other recognisers pass their own categories); see the module docstring (1/k replaces 1/7)."""
    order = sorted(range(len(probs)), key=lambda k: -probs[k])
    first, second = order[0], order[1]
    chosen = [first]
    if probs[first] - probs[second] < mix_margin:
        chosen.append(second)
    p = sum(probs[k] for k in chosen)
    k = len(names)
    intensity = max(0.0, min(1.0, scale * (p - 1.0 / k) / (1.0 - 1.0 / k)))
    picked = [names[c] for c in chosen]
    if "neutral" in picked and len(picked) == 2:
        # Neutral has no direction: mixing it in only dilutes the other category, so say that directly.
        other = chosen[picked.index("neutral") ^ 1]
        picked, chosen = [names[other]], [other]
        intensity = max(0.0, min(1.0, scale * (probs[other] - 1.0 / k) / (1.0 - 1.0 / k)))
    intensity = round(intensity, 3)  # specs are shown to users; 3 decimals are plenty
    if picked == ["neutral"] or intensity == 0.0:
        return EmotionSpec.neutral()
    if len(picked) == 1:
        return EmotionSpec.category(picked[0], intensity)
    shares = [round(intensity * probs[c] / p, 3) for c in chosen]
    return EmotionSpec.mixture(dict(zip(picked, shares)))


def specs_from_predictions(predictions: list[TextPrediction], config: AutoConfig | None = None) -> list[EmotionSpec]:
    """One spec per prediction (e.g. per line of a text file), smoothed across neighbours."""
    config = config or AutoConfig()
    smoothed = smooth(predictions, config.smoothing, config.window)
    return [EmotionSpec.neutral() if pred.note == "empty line" else
            spec_from_probabilities(p, config.scale, config.mix_margin)
            for pred, p in zip(predictions, smoothed)]


def infer_specs(texts: list[str], scale: float = 1.0, model: str | None = None,
                classifier=None) -> tuple[list[EmotionSpec], list[TextPrediction]]:
    """``--emotion auto`` in one call: classify ``texts`` (one sentence or line each) and return
    their specs and the raw predictions. ``model`` is a checkpoint name or directory (default: the
    shipped ``text-emotion-goemotions``), loaded once per process (``TextEmotionClassifier.shared``);
    or pass ``classifier``."""
    from .pipeline import DEFAULT_MODEL, TextEmotionClassifier

    classifier = classifier or TextEmotionClassifier.shared(model or DEFAULT_MODEL)
    predictions = classifier.predict(list(texts))
    return specs_from_predictions(predictions, AutoConfig(scale=scale)), predictions


def resolve_auto(texts: list[str], scale: float = 1.0, classifier=None) -> EmotionSpec | EmotionTrajectory:
    """``--emotion auto`` for a whole piece: the specs of ``texts`` (sentences or lines, smoothed
    across neighbours; empty ones are paragraph breaks and are then dropped), as one spec when
    there is one, else a trajectory through them in order (keyframes spread evenly over the
    piece)."""
    specs, _ = infer_specs(texts, scale, classifier=classifier)
    specs = [spec for spec, text in zip(specs, texts) if text.strip()]
    if len(specs) == 1:
        return specs[0]
    return EmotionTrajectory(tuple(Keyframe(spec) for spec in specs))
