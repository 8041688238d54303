"""The shared emotion space: parse what users ask for and turn it into conditioning vectors."""

from .space import AXES, CATEGORIES, CATEGORY_NAMES, NEUTRAL, canonical_category, nearest_category
from .spec import Component, Emotion, EmotionSpec, EmotionTrajectory, Keyframe, parse_emotion

_TORCH_PARTS = ("EmotionBatch", "EmotionEncoder", "EmotionEncoderConfig")


def __getattr__(name):
    # The torch module is imported on first use, so that parsing specs (and `emogen --help`)
    # does not pay for importing torch.
    if name in _TORCH_PARTS:
        from . import encoder

        return getattr(encoder, name)
    raise AttributeError(f"module 'emogen.emotion' has no attribute {name!r}")


__all__ = [
    "AXES", "CATEGORIES", "CATEGORY_NAMES", "NEUTRAL", "Component", "Emotion", "EmotionBatch",
    "EmotionEncoder", "EmotionEncoderConfig", "EmotionSpec", "EmotionTrajectory", "Keyframe",
    "canonical_category", "nearest_category", "parse_emotion",
]
