"""Emotion from text: a GoEmotions-trained classifier mapped into emogen's emotion space, and the
``auto`` specs (``--emotion auto[:SCALE]``) built from its per-sentence predictions.

    from emogen.text import TextEmotionClassifier, infer_specs
    specs, predictions = infer_specs(["What a lovely day!", "Then the storm came."])

Heavy modules (torch models, transformers) load only when a classifier is built.
"""

from .auto import AutoConfig, infer_specs, parse_auto, specs_from_predictions
from .data import TEXT_CATEGORIES

_CLASSIFIER = ("DEFAULT_MODEL", "TextEmotionClassifier", "TextPrediction")  # torch: loaded on first use


def __getattr__(name):
    if name in _CLASSIFIER:
        from . import classifier

        return getattr(classifier, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = ["AutoConfig", "DEFAULT_MODEL", "TEXT_CATEGORIES", "TextEmotionClassifier", "TextPrediction",
           "infer_specs", "parse_auto", "specs_from_predictions"]
