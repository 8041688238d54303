"""The emotion space every emogen generator shares: categories, synonyms and the VAD scale.

Scale: valence, arousal and dominance each run from -1 to +1, a linear map of the NRC VAD
Lexicon's 0-1 ratings (``x = 2 * rating - 1``), so 0 is the middle of the lexicon's range, not
neutral. Neutral sits where the word "neutral" is rated: v=-0.06, a=-0.63, d=-0.29. Every
category's coordinates are the lexicon ratings of its own name (Mohammad 2018), except
``fearful``, which takes the ratings of "fear": the word "fearful" is rated at middling arousal
(0.48), at odds with fear being one of the most aroused emotions in every circumplex study.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from ..errors import EmogenError

AXES = ("valence", "arousal", "dominance")


def from_unit_scale(value: float) -> float:
    """Map a 0-1 lexicon rating to emogen's -1..+1 scale."""
    return 2.0 * float(value) - 1.0


@dataclass(frozen=True)
class Category:
    name: str
    vad: tuple[float, float, float]  # on emogen's -1..+1 scale
    synonyms: tuple[str, ...] = ()


_UNIT_RATINGS = {
    # name: (V, A, D) on the lexicon's 0-1 scale, synonyms
    "neutral": ((0.469, 0.184, 0.357), ("none", "flat", "plain", "default")),
    "happy": ((1.000, 0.735, 0.772), ("joy", "joyful", "happiness", "glad", "cheerful", "amused")),
    "sad": ((0.225, 0.333, 0.149), ("sadness", "unhappy", "sorrow", "sorrowful", "grief")),
    "angry": ((0.122, 0.830, 0.604), ("anger", "mad", "rage", "annoyed")),
    "fearful": ((0.073, 0.840, 0.293), ("fear", "afraid", "scared", "anxious", "frightened")),
    "surprised": ((0.784, 0.855, 0.539), ("surprise", "amazed", "astonished")),
    "disgusted": ((0.051, 0.773, 0.274), ("disgust", "revulsion")),
    "calm": ((0.875, 0.100, 0.282), ("calmness", "relaxed", "tranquil")),
}

CATEGORIES: tuple[Category, ...] = tuple(
    Category(name, tuple(from_unit_scale(x) for x in vad), synonyms)
    for name, (vad, synonyms) in _UNIT_RATINGS.items()
)
CATEGORY_NAMES: tuple[str, ...] = tuple(c.name for c in CATEGORIES)
NEUTRAL = "neutral"
_BY_NAME = {c.name: c for c in CATEGORIES}
_ALIASES = {alias: c.name for c in CATEGORIES for alias in (c.name, *c.synonyms)}


def category(name: str) -> Category:
    return _BY_NAME[canonical_category(name)]


def canonical_category(word: str) -> str:
    """The category a name or synonym stands for; :class:`EmogenError` if it is none."""
    key = word.strip().lower()
    if key in _ALIASES:
        return _ALIASES[key]
    raise EmogenError(unknown_message(word))


def is_category(word: str) -> bool:
    return word.strip().lower() in _ALIASES


def unknown_message(word: str) -> str:
    close = difflib.get_close_matches(word.strip().lower(), list(_ALIASES), n=3, cutoff=0.6)
    names = []
    for alias in close:
        name = _ALIASES[alias]
        label = name if alias == name else f"{alias} (= {name})"
        if label not in names:
            names.append(label)
    hint = "did you mean " + " or ".join(f"'{n}'" for n in names) + "?" if names else (
        "accepted: " + ", ".join(CATEGORY_NAMES)
        + ", their synonyms, any English word in the VAD lexicon, or v=..,a=..,d=.."
    )
    return f"unknown emotion '{word}'; {hint}"


def nearest_category(vad: tuple[float, float, float], include_neutral: bool = True) -> str:
    """The category whose VAD point is closest (Euclidean) to ``vad``."""
    best, best_d = NEUTRAL, float("inf")
    for c in CATEGORIES:
        if c.name == NEUTRAL and not include_neutral:
            continue
        d = sum((a - b) ** 2 for a, b in zip(c.vad, vad))
        if d < best_d:
            best, best_d = c.name, d
    return best
