"""GoEmotions (Demszky et al., ACL 2020, CC BY 4.0) read into emogen's categories.

Files are ``text<TAB>comma-separated label ids<TAB>comment id``; the ids index ``labels.txt``
(27 emotions + neutral). The dataset authors' Ekman grouping folds those 28 labels into 7 groups,
which map one-to-one onto emogen categories (joy -> happy, sadness -> sad, ...). Calm has no
counterpart in GoEmotions, so text models never predict it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import EmogenError
from ..io import shared_data_root

# The 7 categories a text model predicts, in output order (emogen names).
TEXT_CATEGORIES = ("neutral", "happy", "sad", "angry", "fearful", "surprised", "disgusted")

# Ekman grouping from the GoEmotions authors (data README), keyed by emogen category.
EKMAN_GROUPS = {
    "neutral": ("neutral",),
    "happy": ("joy", "amusement", "approval", "excitement", "gratitude", "love", "optimism", "relief", "pride",
              "admiration", "desire", "caring"),
    "sad": ("sadness", "disappointment", "embarrassment", "grief", "remorse"),
    "angry": ("anger", "annoyance", "disapproval"),
    "fearful": ("fear", "nervousness"),
    "surprised": ("surprise", "realization", "confusion", "curiosity"),
    "disgusted": ("disgust",),
}
# Ekman names as the dataset and most Hugging Face emotion models spell them.
EKMAN_TO_EMOGEN = {"neutral": "neutral", "joy": "happy", "sadness": "sad", "anger": "angry", "fear": "fearful",
                   "surprise": "surprised", "disgust": "disgusted"}


def goemotions_dir(root: str | os.PathLike | None = None) -> Path:
    """``$EMOGEN_DATA/text/goemotions`` (default ``../shared/data`` beside the repository)."""
    if root is None:
        root = shared_data_root() / "text" / "goemotions"
    root = Path(root)
    if not (root / "labels.txt").is_file():
        raise EmogenError(f"GoEmotions not found at '{root}' (expected labels.txt, train.tsv, dev.tsv); "
                          "set EMOGEN_DATA or data.root")
    return root


def read_labels(root: Path) -> list[str]:
    """The 28 fine label names in id order."""
    return [line.strip() for line in (root / "labels.txt").read_text().splitlines() if line.strip()]


@dataclass(frozen=True)
class Example:
    """One comment: its text, fine label ids (indices into labels.txt) and emogen category ids
    (indices into :data:`TEXT_CATEGORIES`, sorted, unique)."""

    text: str
    fine: tuple[int, ...]
    categories: tuple[int, ...]
    id: str


def fine_to_category(labels: list[str]) -> list[int]:
    """For each fine label id, the index of its emogen category in :data:`TEXT_CATEGORIES`."""
    owner = {fine: TEXT_CATEGORIES.index(cat) for cat, fines in EKMAN_GROUPS.items() for fine in fines}
    missing = [name for name in labels if name not in owner]
    if missing:
        raise EmogenError(f"labels.txt has labels outside the Ekman grouping: {', '.join(missing)}")
    return [owner[name] for name in labels]


def read_split(root: Path, split: str) -> list[Example]:
    """Read ``{split}.tsv``; lines without a valid label are an error naming the line."""
    path = root / f"{split}.tsv"
    if not path.is_file():
        raise EmogenError(f"GoEmotions split '{split}' not found at '{path}'; accepted: train, dev, test")
    labels = read_labels(root)
    owner = fine_to_category(labels)
    examples = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) < 2:
            raise EmogenError(f"{path}:{n}: expected text<TAB>label ids<TAB>id")
        try:
            fine = tuple(sorted({int(x) for x in parts[1].split(",")}))
        except ValueError:
            raise EmogenError(f"{path}:{n}: label ids must be comma-separated integers, got {parts[1]!r}") from None
        if not fine or min(fine) < 0 or max(fine) >= len(labels):
            raise EmogenError(f"{path}:{n}: label ids must be in 0..{len(labels) - 1}, got {parts[1]!r}")
        cats = tuple(sorted({owner[f] for f in fine}))
        examples.append(Example(parts[0], fine, cats, parts[2] if len(parts) > 2 else str(n)))
    return examples


def single_label(examples: list[Example]) -> list[Example]:
    """Comments whose labels all fall in one emogen category (the benchmark's evaluation set)."""
    return [ex for ex in examples if len(ex.categories) == 1]
