"""Emotion from text: a GoEmotions-trained classifier mapped into emogen's emotion space, and the
``auto`` specs (``--emotion auto[:SCALE]``) built from its per-sentence predictions.

    from emogen.text import TextEmotionClassifier, infer_specs
    specs, predictions = infer_specs(["What a lovely day!", "Then the storm came."])

Imports are lazy (the classifier imports torch), so ``emogen emotions`` and the other commands
build their parsers without it.
"""

from __future__ import annotations

_EXPORTS = {"AutoConfig": "auto", "infer_specs": "auto", "parse_auto": "auto", "resolve_auto": "auto",
            "specs_from_predictions": "auto", "DEFAULT_MODEL": "pipeline", "TextEmotionClassifier": "pipeline",
            "TextPrediction": "pipeline", "TEXT_CATEGORIES": "data"}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module 'emogen.text' has no attribute {name!r}")
