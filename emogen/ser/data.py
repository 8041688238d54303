"""RAVDESS as rows of relative features for the speech-emotion classifier, and folds of actors.

The features of each clip (:func:`emogen.speech.cues.clip_features`, cached by
:func:`emogen.speech.cues.absolute_features`) are taken relative to the mean of the same actor's
neutral clips of the same statement, so the classifier is speaker-independent by construction.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from ..errors import EmogenError
from ..speech.cues import absolute_features, relative


def ravdess_features(root: Path, cache: Path | None = None) -> tuple[np.ndarray, list[str], list[int]]:
    """Relative features (n, len(FEATURE_NAMES)), emotion names and actor ids of every non-neutral
    RAVDESS clip.

    The neutral reference is the mean of the actor's neutral clips of the same statement. The
    absolute features of every clip are cached in ``cache`` (recomputed when the feature set
    changes)."""
    absolute = absolute_features(root, cache)
    feats, emotions, actors, statements = (absolute["x"], list(absolute["emotion"]), list(absolute["actor"]),
                                           list(absolute["statement"]))
    neutral = defaultdict(list)
    for f, e, a, s in zip(feats, emotions, actors, statements):
        if e == "neutral":
            neutral[(a, s)].append(f)
    keep = [i for i, e in enumerate(emotions) if e != "neutral"]
    x = np.stack([relative(feats[i], np.mean(neutral[(actors[i], statements[i])], axis=0)) for i in keep])
    return (x, [{"disgust": "disgusted"}.get(emotions[i], emotions[i]) for i in keep],
            [int(actors[i]) for i in keep])


def actor_folds(actors, k: int) -> list[list[int]]:
    """Split the sorted actor ids into ``k`` contiguous groups (RAVDESS alternates male and female
    ids, so groups of 4 of 20 actors hold 2 of each); every actor is in exactly one fold."""
    ids = sorted(set(int(a) for a in actors))
    if not 2 <= k <= len(ids):
        raise EmogenError(f"data.cv_folds must be 0 (off) or 2..{len(ids)} (the number of actors), got {k}")
    return [[int(a) for a in group] for group in np.array_split(ids, k)]


class FeatureRows(Dataset):
    """Relative features ``x`` (n, features) and class indices ``y`` (n,), one dict per row."""

    def __init__(self, x: np.ndarray, y: np.ndarray):
        self.x, self.y = torch.as_tensor(x, dtype=torch.float32), torch.as_tensor(y)

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        return {"x": self.x[i], "y": self.y[i]}
