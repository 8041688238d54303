"""Emotion specs: what a user asks for, parsed from one string or built in Python.

Grammar (whitespace ignored, case-insensitive)::

    trajectory := spec ('>' spec)+                  segments, spread evenly over the output
                | spec '@' seconds (',' spec '@' seconds)+    keyframes at times
    spec       := term ('+' term)*                  a mixture (Daisy-TTS)
                | 'v=' num [',a=' num] [',d=' num]  a point on the -1..+1 VAD scale
    term       := ['-' | 'not:'] name [':' weight]  '-'/'not:' flips polarity
    name       := category | synonym | any word in the VAD lexicon

A single term's weight is its intensity (``sad:0.7``). In a mixture the weights are the share of
each component and their sum is the spec's intensity (``happy:0.3+sad:0.3`` is an even mix at
intensity 0.6); unweighted terms share what the weighted ones leave. Intensity is a distance
along each emotion's direction from neutral (EmoReg), so 0 is neutral whatever the names.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace

from ..errors import EmogenError
from . import lexicon as _lexicon
from .space import (
    AXES,
    CATEGORY_NAMES,
    NEUTRAL,
    canonical_category,
    category,
    is_category,
    nearest_category,
    unknown_message,
)

EXAMPLES = "e.g. 'happy', 'sad:0.7', 'happy:0.6+surprised:0.4', 'v=0.6,a=-0.2,d=0.1', '-happy', 'wistful', 'neutral>sad', 'happy@0,sad@3.5'"
_NAME = re.compile(r"^[a-z][a-z'\-]*$")


@dataclass(frozen=True)
class Component:
    """One category in a spec. ``weight`` is its signed share: negative means opposite polarity."""

    emotion: str
    weight: float


@dataclass(frozen=True)
class EmotionSpec:
    """A static emotion: categories with shares and an intensity, or a point in VAD space.

    Attributes:
        components: the categories and their signed shares (absolute values sum to 1); empty for
            a dimensional spec.
        intensity: distance from neutral along the components' directions, in [0, 1].
        point: an explicit (valence, arousal, dominance) target on the -1..+1 scale, for
            dimensional specs (typed values or a lexicon word); ``None`` for categorical ones.
        word: the lexicon word a dimensional spec came from, if any.
        explicit_intensity: whether the text fixed the intensity (then ``--intensity`` conflicts).
    """

    components: tuple[Component, ...] = ()
    intensity: float = 1.0
    point: tuple[float, float, float] | None = None
    word: str | None = None
    explicit_intensity: bool = False

    def __post_init__(self):
        if not (0.0 <= self.intensity <= 1.0) or math.isnan(self.intensity):
            raise EmogenError(f"intensity {self.intensity:g} is outside [0, 1]; 0 is neutral, 1 full strength")
        if self.point is None and not self.components:
            raise EmogenError(f"empty emotion spec; expected {EXAMPLES}")

    # construction -------------------------------------------------------------------------
    @classmethod
    def category(cls, name: str, intensity: float = 1.0) -> "EmotionSpec":
        return cls((Component(canonical_category(name), 1.0),), float(intensity))

    @classmethod
    def mixture(cls, weights: dict[str, float]) -> "EmotionSpec":
        """``{"happy": 0.6, "surprised": 0.4}``: shares summing to the intensity (at most 1)."""
        return _mixture([(canonical_category(k), float(v), True) for k, v in weights.items()], str(weights))

    @classmethod
    def vad(cls, valence: float | None, arousal: float | None = None, dominance: float | None = None,
            intensity: float = 1.0) -> "EmotionSpec":
        """A point on the -1..+1 scale; axes left out take neutral's value."""
        neutral = category(NEUTRAL).vad
        values = [neutral[i] if x is None else float(x) for i, x in enumerate((valence, arousal, dominance))]
        for axis, x in zip(AXES, values):
            if not -1.0 <= x <= 1.0 or math.isnan(x):
                raise EmogenError(f"{axis} {x:g} is outside [-1, 1]; the VAD scale runs from -1 to +1")
        return cls(point=tuple(values), intensity=float(intensity))

    @classmethod
    def neutral(cls) -> "EmotionSpec":
        return cls.category(NEUTRAL, 0.0)

    def with_intensity(self, intensity: float | None) -> "EmotionSpec":
        """The same emotion at another intensity; an error if the text already fixed a different one."""
        if intensity is None:
            return self
        intensity = float(intensity)
        if self.explicit_intensity and not math.isclose(intensity, self.intensity):
            raise EmogenError(
                f"intensity given twice ({self.intensity:g} in the spec and {intensity:g} separately); give it once"
            )
        return replace(self, intensity=intensity, explicit_intensity=True)

    # resolution ---------------------------------------------------------------------------
    @property
    def is_dimensional(self) -> bool:
        return self.point is not None

    @property
    def is_neutral(self) -> bool:
        return self.intensity == 0.0 or all(c.emotion == NEUTRAL for c in self.components) and not self.point

    def vad_offset(self) -> tuple[float, float, float]:
        """Where this spec sits relative to neutral in VAD, before clipping (affine in the spec).

        Categories move from neutral toward their own point: ``intensity * sum(w_i * (vad_i -
        neutral))``; opposite polarity reflects through neutral. Dimensional specs move from
        neutral toward their point by the intensity.
        """
        neutral = category(NEUTRAL).vad
        if self.point is not None:
            offset = [p - n for p, n in zip(self.point, neutral)]
        else:
            offset = [0.0, 0.0, 0.0]
            for comp in self.components:
                target = category(comp.emotion).vad
                for i in range(3):
                    offset[i] += comp.weight * (target[i] - neutral[i])
        return tuple(self.intensity * o for o in offset)

    def resolve_vad(self) -> tuple[float, float, float]:
        """The (valence, arousal, dominance) this spec stands for, clipped to -1..+1."""
        neutral = category(NEUTRAL).vad
        return tuple(max(-1.0, min(1.0, n + o)) for n, o in zip(neutral, self.vad_offset()))

    def describe(self) -> dict:
        """A JSON-ready summary: valence, arousal, dominance, intensity, components, nearest."""
        v, a, d = self.resolve_vad()
        out = {
            "kind": "vad" if self.point is not None and self.word is None else "word" if self.word else
            "mixture" if len(self.components) > 1 else "category",
            "valence": round(v, 4), "arousal": round(a, 4), "dominance": round(d, 4),
            "intensity": round(self.intensity, 4),
            "components": [{"emotion": c.emotion, "weight": round(c.weight, 4)} for c in self.components],
            "nearest": nearest_category((v, a, d)),
        }
        if self.word:
            out["word"] = self.word
        return out

    def __str__(self) -> str:
        if self.point is not None:
            body = self.word or ",".join(f"{ax[0]}={x:g}" for ax, x in zip(AXES, self.point))
            return body if self.intensity == 1 else f"{body}:{self.intensity:g}"
        if len(self.components) == 1:
            c = self.components[0]
            name = f"{'-' if c.weight < 0 else ''}{c.emotion}"
            return name if self.intensity == 1 or c.emotion == NEUTRAL else f"{name}:{self.intensity:g}"
        return "+".join(f"{'-' if c.weight < 0 else ''}{c.emotion}:{abs(c.weight) * self.intensity:g}"
                        for c in self.components)


@dataclass(frozen=True)
class Keyframe:
    spec: EmotionSpec
    time: float | None = None  # seconds; None for '>' segments spread evenly


@dataclass(frozen=True)
class EmotionTrajectory:
    """Emotion over time: keyframes at given seconds, or segments spread evenly (``neutral>sad``).

    Between keyframes the emotion moves linearly (every spec maps affinely into the conditioning
    space, so interpolating there is interpolating the specs themselves).
    """

    keyframes: tuple[Keyframe, ...] = field(default_factory=tuple)

    def __post_init__(self):
        if len(self.keyframes) < 2:
            raise EmogenError("a trajectory needs at least two emotions, e.g. 'neutral>sad' or 'happy@0,sad@3.5'")
        times = [k.time for k in self.keyframes]
        if any(t is None for t in times) and any(t is not None for t in times):
            raise EmogenError("give a time to every keyframe ('happy@0,sad@3.5') or to none ('happy>sad')")
        if times[0] is not None:
            if any(t < 0 for t in times):
                raise EmogenError("keyframe times must be >= 0 seconds")
            if any(b <= a for a, b in zip(times, times[1:])):
                raise EmogenError(f"keyframe times must increase; got {', '.join(f'{t:g}' for t in times)}")

    def times(self, duration: float) -> list[float]:
        """Keyframe times in seconds for an output lasting ``duration`` seconds."""
        if self.keyframes[0].time is not None:
            return [k.time for k in self.keyframes]
        n = len(self.keyframes)
        return [duration * i / (n - 1) for i in range(n)]

    def weights_at(self, t: float, duration: float) -> list[tuple[EmotionSpec, float]]:
        """The (spec, weight) pairs whose blend is the emotion at time ``t`` (at most two)."""
        times = self.times(duration)
        if t <= times[0]:
            return [(self.keyframes[0].spec, 1.0)]
        for i in range(len(times) - 1):
            if t <= times[i + 1]:
                alpha = (t - times[i]) / (times[i + 1] - times[i])
                return [(self.keyframes[i].spec, 1.0 - alpha), (self.keyframes[i + 1].spec, alpha)]
        return [(self.keyframes[-1].spec, 1.0)]

    def with_intensity(self, intensity: float | None) -> "EmotionTrajectory":
        if intensity is None:
            return self
        return EmotionTrajectory(tuple(
            Keyframe(k.spec if k.spec.explicit_intensity or k.spec.is_neutral else k.spec.with_intensity(intensity), k.time)
            for k in self.keyframes
        ))

    def describe(self) -> dict:
        first = self.keyframes[0].spec.describe()
        first.update(kind="trajectory", keyframes=[
            {"time": k.time, "spec": str(k.spec), **k.spec.describe()} for k in self.keyframes
        ])
        return first

    def __str__(self) -> str:
        if self.keyframes[0].time is None:
            return ">".join(str(k.spec) for k in self.keyframes)
        return ",".join(f"{k.spec}@{k.time:g}" for k in self.keyframes)


Emotion = EmotionSpec | EmotionTrajectory


# parsing ------------------------------------------------------------------------------------
def parse_emotion(text: "str | Emotion", intensity: float | None = None) -> Emotion:
    """Parse a spec string (see the module docstring); ``intensity`` is the separate ``--intensity``."""
    if isinstance(text, (EmotionSpec, EmotionTrajectory)):
        return text.with_intensity(intensity)
    if intensity is not None:
        intensity = _number(str(intensity), "intensity", 0.0, 1.0, "a number in [0, 1]")
    if text is None or not str(text).strip():
        raise EmogenError(f"empty emotion spec; expected {EXAMPLES}")
    source = re.sub(r"\s+", "", str(text)).lower()
    if ">" in source:
        parts = source.split(">")
        specs = [_parse_spec(p, source) for p in parts]
        return EmotionTrajectory(tuple(Keyframe(s) for s in specs)).with_intensity(intensity)
    if "@" in source:
        return EmotionTrajectory(tuple(_parse_keyframes(source))).with_intensity(intensity)
    return _parse_spec(source, source).with_intensity(intensity)


def _parse_keyframes(source: str) -> list[Keyframe]:
    # Commas separate keyframes but also VAD axes, so gather parts until one carries '@'.
    frames, pending = [], []
    for part in source.split(","):
        pending.append(part)
        if "@" in part:
            body, _, time = ",".join(pending).rpartition("@")
            frames.append(Keyframe(_parse_spec(body, source), _number(time, body + "@", 0.0, math.inf, "a time in seconds")))
            pending = []
    if pending:
        raise EmogenError(f"'{','.join(pending)}' in '{source}' has no time; write keyframes as 'happy@0,sad@3.5'")
    return frames


def _parse_spec(text: str, source: str) -> EmotionSpec:
    if not text:
        raise EmogenError(f"empty emotion in '{source}'; expected {EXAMPLES}")
    if text.startswith(("v=", "a=", "d=")):
        return _parse_vad(text)
    terms = text.split("+")
    parsed = [_parse_term(t, source) for t in terms]
    if len(parsed) == 1:
        name, weight, explicit = parsed[0]
        if isinstance(name, tuple):  # a lexicon word
            if weight < 0:
                raise EmogenError(f"'{text}': opposite polarity applies to categories, not lexicon words")
            return EmotionSpec(point=name[1], word=name[0], intensity=abs(weight), explicit_intensity=explicit)
        return EmotionSpec((Component(name, math.copysign(1.0, weight)),), abs(weight), explicit_intensity=explicit)
    for name, _, _ in parsed:
        if isinstance(name, tuple):
            raise EmogenError(f"'{name[0]}' is a lexicon word; mixtures take categories ({', '.join(CATEGORY_NAMES)})")
    return _mixture(parsed, text)


def _mixture(parsed: list[tuple[str, float, bool]], text: str) -> EmotionSpec:
    names = [p[0] for p in parsed]
    if len(set(names)) != len(names):
        raise EmogenError(f"'{text}' names an emotion twice; give each once")
    given = sum(abs(w) for _, w, explicit in parsed if explicit)
    free = [i for i, (_, _, explicit) in enumerate(parsed) if not explicit]
    if given > 1.0 + 1e-6:
        raise EmogenError(f"mixture weights in '{text}' sum to {given:g}; they must sum to at most 1")
    share = (1.0 - given) / len(free) if free else 0.0
    weights = [w if explicit else math.copysign(share, w) for _, w, explicit in parsed]
    total = sum(abs(w) for w in weights)
    if total == 0:
        return EmotionSpec.neutral()
    comps = tuple(Component(n, w / total) for n, w in zip(names, weights))
    return EmotionSpec(comps, min(1.0, total), explicit_intensity=not free)


def _parse_term(term: str, source: str):
    """-> (category name or (word, vad), signed weight, weight given explicitly)"""
    sign = 1.0
    if term.startswith("not:"):
        sign, term = -1.0, term[4:]
    elif term.startswith("-"):
        sign, term = -1.0, term[1:]
    name, sep, weight_text = term.partition(":")
    if not name:
        raise EmogenError(f"missing emotion name in '{source}'; expected {EXAMPLES}")
    weight = _number(weight_text, name, 0.0, 1.0, "an intensity or weight in [0, 1]") if sep else 1.0
    if is_category(name):
        return canonical_category(name), sign * weight, bool(sep)
    if _NAME.match(name):
        point = _lexicon.lookup(name)
        if point is not None:
            return (name, point), sign * weight, bool(sep)
    raise EmogenError(unknown_message(name))


def _parse_vad(text: str) -> EmotionSpec:
    values: dict[str, float] = {}
    intensity = None
    body = text
    # an optional ':intensity' after the point, e.g. 'v=0.6,a=0.2:0.5'
    if ":" in body:
        body, _, itext = body.rpartition(":")
        intensity = _number(itext, text, 0.0, 1.0, "an intensity in [0, 1]")
    for item in body.split(","):
        key, sep, value = item.partition("=")
        axis = {"v": "valence", "a": "arousal", "d": "dominance"}.get(key, key)
        if not sep or axis not in AXES:
            raise EmogenError(f"'{item}' in '{text}' is not an axis; write v=..,a=..,d=.. with numbers in [-1, 1]")
        if axis in values:
            raise EmogenError(f"{axis} given twice in '{text}'")
        values[axis] = _number(value, f"{key}=", -1.0, 1.0, "a number in [-1, 1]")
    spec = EmotionSpec.vad(values.get("valence"), values.get("arousal"), values.get("dominance"))
    return spec if intensity is None else replace(spec, intensity=intensity, explicit_intensity=True)


def _number(text: str, where: str, lo: float, hi: float, accepted: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise EmogenError(f"malformed number '{text}' after '{where}'; expected {accepted}") from None
    if not math.isfinite(value) or not lo <= value <= hi:
        raise EmogenError(f"{value:g} after '{where}' is out of range; expected {accepted}")
    return value
