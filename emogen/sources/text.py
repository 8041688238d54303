"""The emotion of a text file, read by the text-emotion classifier (``emogen.text``): each line
is classified and smoothed across its neighbours (``emogen.text.auto``); the file's emotion is
one spec when the lines agree, else a trajectory through them in order (spread evenly)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .reading import EmotionReading


def read_text_file(path: str | Path) -> EmotionReading:
    from ..text.auto import resolve_auto
    from ..text.data import TEXT_CATEGORIES
    from ..text.pipeline import DEFAULT_MODEL, TextEmotionClassifier
    from ..text.report import read_lines

    lines = [line.strip() for line in read_lines(path=str(path)) if line.strip()]
    if not lines:
        from ..errors import EmogenError

        raise EmogenError(f"text file '{path}' has no words to read an emotion from")
    classifier = TextEmotionClassifier.shared(DEFAULT_MODEL)
    predictions = classifier.predict(lines)
    mean = np.mean([[p.probabilities[c] for c in TEXT_CATEGORIES] for p in predictions], axis=0)
    emotion = resolve_auto(lines, classifier=classifier)
    return EmotionReading(str(path), "text", dict(zip(TEXT_CATEGORIES, (mean / mean.sum()).tolist())), emotion,
                          details={"lines": len(lines)})
