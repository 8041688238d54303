"""RAVDESS, the emotional speech corpus emogen measures (the prosody profile, the speech-emotion
classifier's features, the talking head's audio), as a list of :class:`Utterance`.

Layouts: ``Actor_XX/03-01-EE-II-SS-RR-AA.wav`` (speech only; song "03-02-..." and video files
are skipped), or the flat copy with a ``manifest.csv`` (emogen's shared data). Labels are mapped
onto emogen's categories (``emogen.emotion.CATEGORY_NAMES``), neutral clips get
``EmotionSpec.neutral()``; intensity normal -> 0.5, strong -> 1.0, the same scale as
``prosody_profile``. :func:`read_ravdess_manifest` is the one reader of ``manifest.csv``.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from ..emotion import EmotionSpec, canonical_category
from ..errors import EmogenError

AUDIO_SUFFIXES = (".wav", ".flac")


@dataclass(frozen=True)
class Utterance:
    """One recorded sentence: audio file, transcript, emotion label and speaker."""

    path: Path
    text: str
    emotion: EmotionSpec
    speaker: str
    intensity_label: str | None = None
    corpus: str = ""


def _spec(category: str, intensity: float) -> EmotionSpec:
    return EmotionSpec.neutral() if category == "neutral" else EmotionSpec.category(category, intensity)


def _require_dir(path: Path, what: str) -> Path:
    if not path.is_dir():
        raise EmogenError(f"{what} folder '{path}' does not exist")
    return path


def _audio_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in AUDIO_SUFFIXES and p.is_file())


# ---------------------------------------------------------------- RAVDESS
RAVDESS_EMOTIONS = {1: "neutral", 2: "calm", 3: "happy", 4: "sad", 5: "angry", 6: "fearful", 7: "disgusted",
                    8: "surprised"}
RAVDESS_STATEMENTS = {1: "Kids are talking by the door", 2: "Dogs are sitting by the door"}
RAVDESS_INTENSITY = {"normal": 0.5, "strong": 1.0}
_RAVDESS_NAME = re.compile(r"^(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)$")


def load_ravdess(root: str | Path, use_manifest: bool = True) -> list[Utterance]:
    """RAVDESS speech clips, from ``manifest.csv`` when there is one (and ``use_manifest``), else
    from the file names."""
    root = _require_dir(Path(root), "RAVDESS")
    if use_manifest and (root / "manifest.csv").is_file():
        return _ravdess_manifest(root)
    actors = sorted(p for p in root.iterdir() if p.is_dir() and p.name.startswith("Actor_"))
    if not actors:
        raise EmogenError(f"'{root}' is not a RAVDESS folder: no manifest.csv and no Actor_XX folders")
    out = []
    for actor in actors:
        for path in _audio_files(actor):
            m = _RAVDESS_NAME.match(path.stem)
            if not m:
                raise EmogenError(f"RAVDESS file '{path}' is not named MM-VV-EE-II-SS-RR-AA (e.g. 03-01-06-01-02-01-12.wav)")
            modality, channel, emotion, level, statement, _, actor_id = map(int, m.groups())
            if channel != 1:  # song: the same statements sung, not speech
                continue
            if emotion not in RAVDESS_EMOTIONS or level not in (1, 2) or statement not in RAVDESS_STATEMENTS:
                raise EmogenError(f"RAVDESS file '{path}': emotion {emotion:02d}, intensity {level:02d} or "
                                  f"statement {statement:02d} is out of range (01-08, 01-02, 01-02)")
            label = "normal" if level == 1 else "strong"
            out.append(Utterance(path, RAVDESS_STATEMENTS[statement],
                                 _spec(RAVDESS_EMOTIONS[emotion], RAVDESS_INTENSITY[label]),
                                 f"ravdess-{actor_id:02d}", label, "ravdess"))
    return out


RAVDESS_COLUMNS = ("path", "actor", "emotion", "intensity", "statement_id", "text")


def read_ravdess_manifest(root: str | Path) -> list[dict[str, str]]:
    """The rows of RAVDESS's ``manifest.csv`` (emogen's shared copy), as read: one dict of strings
    per clip with at least :data:`RAVDESS_COLUMNS` (``emotion`` is RAVDESS's own word, e.g.
    ``disgust``; ``intensity`` is ``normal`` or ``strong``; ``path`` is relative to ``root``).
    The one reader of that file: the corpus loader, the prosody profile and the speech-emotion
    classifier's features all go through it."""
    manifest = Path(root) / "manifest.csv"
    if not manifest.is_file():
        raise EmogenError(f"'{root}' is not the RAVDESS folder emogen expects (no manifest.csv)")
    with manifest.open(newline="") as f:
        reader = csv.DictReader(f)
        if not set(RAVDESS_COLUMNS) <= set(reader.fieldnames or ()):
            raise EmogenError(f"{manifest}: needs columns {', '.join(sorted(RAVDESS_COLUMNS))}; has {reader.fieldnames}")
        return list(reader)


def _ravdess_manifest(root: Path) -> list[Utterance]:
    manifest = root / "manifest.csv"
    out = []
    for number, row in enumerate(read_ravdess_manifest(root), 2):
        try:
            category = canonical_category(row["emotion"])
            intensity = RAVDESS_INTENSITY[row["intensity"]]
            actor = int(row["actor"])
        except (EmogenError, KeyError, ValueError):
            raise EmogenError(f"{manifest}:{number}: bad row (emotion {row.get('emotion')!r}, intensity "
                              f"{row.get('intensity')!r} (normal|strong), actor {row.get('actor')!r})") from None
        path = root / row["path"]
        if not path.is_file():
            raise EmogenError(f"{manifest}:{number}: audio file '{path}' does not exist")
        out.append(Utterance(path, row["text"], _spec(category, intensity), f"ravdess-{actor:02d}",
                             row["intensity"], "ravdess"))
    return out
