"""The shared emotion space: parse what users ask for and turn it into conditioning vectors."""

from .encoder import EmotionBatch, EmotionEncoder, EmotionEncoderConfig
from .space import AXES, CATEGORIES, CATEGORY_NAMES, NEUTRAL, canonical_category, nearest_category
from .spec import Component, Emotion, EmotionSpec, EmotionTrajectory, Keyframe, parse_emotion

__all__ = [
    "AXES", "CATEGORIES", "CATEGORY_NAMES", "NEUTRAL", "Component", "Emotion", "EmotionBatch",
    "EmotionEncoder", "EmotionEncoderConfig", "EmotionSpec", "EmotionTrajectory", "Keyframe",
    "canonical_category", "nearest_category", "parse_emotion",
]
