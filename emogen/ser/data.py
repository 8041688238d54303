"""RAVDESS as rows of relative features for the speech-emotion classifier, and folds of actors.

The features of each clip (:func:`emogen.speech.cues.clip_features`, cached by
:func:`emogen.speech.cues.absolute_features`) are taken relative to a neutral reference of the same
actor (:data:`REFERENCES`), so the classifier is speaker-independent by construction.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from ..errors import EmogenError
from ..speech.cues import absolute_features, each_ravdess_clip, relative, save_npz

REFERENCES = {
    "statement": "the mean of the actor's neutral clips of the same statement",
    "statement_clips": "each of the actor's neutral clips of the same statement on its own (one row per pair)",
    "clips": "each of the actor's neutral clips, of either statement, on its own (one row per pair)",
    "actor": "the mean of all the actor's neutral clips",
}
"""How the neutral reference of an emotional clip is formed. A judge given one neutral recording
meets the noise of a single clip ("statement_clips", "clips"); several recordings averaged are
steadier ("statement", "actor")."""


def encoder_features(root: Path, cache: Path | None, encoder: str) -> np.ndarray:
    """The speech ``encoder``'s features (:mod:`emogen.ser.encoder`) of every RAVDESS clip at
    ``root``, in manifest order: (clips, features); cached in ``cache`` (an .npz, recomputed when the
    encoder changes)."""
    from .encoder import speech_encoder

    if cache is not None and cache.is_file():
        data = dict(np.load(cache, allow_pickle=False))
        if str(data.get("encoder", "")) == encoder:
            return data["x"]
    x, _ = each_ravdess_clip(root, speech_encoder(encoder), f"{encoder} features")
    if cache is not None:
        save_npz(cache, x=x, encoder=np.array(encoder))
    return x


def ravdess_features(root: Path, cache: Path | None = None, references: str = "statement",
                     encoder: str = "") -> tuple[np.ndarray, list[str], list[int]]:
    """Relative features (rows, features), emotion names and actor ids of every non-neutral RAVDESS
    clip against its neutral reference(s) (``references``: a key of :data:`REFERENCES`; a clip gives
    one row per reference). Features: the acoustic cues (``FEATURE_NAMES``), then ``encoder``'s if
    one is named. The absolute features of every clip are cached in ``cache`` (recomputed when the
    feature set changes), the encoder's beside it (``NAME-ENCODER.npz``)."""
    if references not in REFERENCES:
        raise EmogenError(f"unknown neutral reference '{references}'; accepted: {', '.join(REFERENCES)}")
    absolute = absolute_features(root, cache)
    feats, emotions = absolute["x"], np.array([str(e) for e in absolute["emotion"]])
    if encoder:
        encoder_cache = None if cache is None else cache.with_name(f"{cache.stem}-{encoder}.npz")
        feats = np.concatenate([feats, encoder_features(root, encoder_cache, encoder)], axis=1)
    actors, statements = np.array([int(a) for a in absolute["actor"]]), np.array([str(s) for s in absolute["statement"]])
    rows, names, ids = [], [], []
    for i in np.flatnonzero(emotions != "neutral"):
        neutral = (actors == actors[i]) & (emotions == "neutral")
        if references.startswith("statement"):
            neutral &= statements == statements[i]
        if not neutral.any():
            raise EmogenError(f"RAVDESS actor {actors[i]} has no neutral clip to take as reference")
        refs = feats[neutral].mean(0, keepdims=True) if references in ("statement", "actor") else feats[neutral]
        rows.append(relative(feats[i][None], refs))
        names += [{"disgust": "disgusted"}.get(emotions[i], str(emotions[i]))] * len(refs)
        ids += [int(actors[i])] * len(refs)
    return np.concatenate(rows), names, ids


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
