"""Emotion-labelled piano music as training windows: EMOPIA (quadrants) and VGMIDI (valence/arousal).

Shape legend: c = 3 roll channels, p = pitches, s = steps (see ``representation``).

Both datasets label the four quadrants of the valence/arousal circumplex. Each quadrant becomes
an emogen spec: the category whose VAD point lies in it (Q1 happy, Q2 angry, Q3 sad, Q4 calm).
EMOPIA clips are given as those categories (the encoder's category dropout also shows them by
their VAD point alone); VGMIDI's independent valence and arousal signs are given as dimensional
specs at the same points, so that the model learns continuous VAD conditioning from both (CAGE,
midi-emotion). Data root: ``$EMOGEN_DATA`` or ``../shared/data`` beside the repository.

Licences: EMOPIA is CC BY-NC-SA 4.0 (Hung et al., ISMIR 2021); VGMIDI states none (cite Ferreira
& Whitehead, ISMIR 2019). Models trained on them inherit the non-commercial terms.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

import torch
from torch.utils.data import Dataset
from tqdm.auto import tqdm

from ..emotion import EmotionBatch, EmotionSpec
from ..emotion.space import category
from ..errors import EmogenError
from ..io import shared_data_root
from .representation import PianoRoll, transpose

QUADRANT_EMOTIONS = {1: "happy", 2: "angry", 3: "sad", 4: "calm"}
EMOTION_QUADRANTS = {v: k for k, v in QUADRANT_EMOTIONS.items()}


def data_root() -> Path:
    return shared_data_root()


def quadrant_of(valence: float, arousal: float) -> int:
    """Circumplex quadrant (1-4) of a valence/arousal pair (signs; 0 counts as positive)."""
    if arousal >= 0:
        return 1 if valence >= 0 else 2
    return 4 if valence >= 0 else 3


def quadrant_spec(quadrant: int, dimensional: bool = False) -> EmotionSpec:
    """The emogen spec of a quadrant: its category, or (``dimensional``) that category's VAD point."""
    name = QUADRANT_EMOTIONS[int(quadrant)]
    return EmotionSpec.vad(*category(name).vad) if dimensional else EmotionSpec.category(name)


@dataclass
class Clip:
    """One labelled piece: its roll, quadrant, spec, and where it came from."""

    roll: PianoRoll
    quadrant: int
    spec: EmotionSpec
    source: str
    song: str


def emopia_split(root: Path, split: str) -> list[tuple[str, int]]:
    """``(file name, quadrant)`` of EMOPIA's official ``train`` / ``val`` / ``test`` clip split."""
    path = root / "music" / "emopia" / "split" / f"{split}_clip.csv"
    if not path.is_file():
        raise EmogenError(f"EMOPIA split '{path}' not found (set EMOGEN_DATA to the shared data folder)")
    with path.open() as f:
        names = [row["clip_name"] for row in csv.DictReader(f)]
    return [(name, int(name[1])) for name in names]


def load_emopia(root: Path | None = None, split: str = "train", progress: bool = False) -> list[Clip]:
    """EMOPIA clips of one official split, as rolls with their quadrant label."""
    root = Path(root) if root else data_root()
    clips = []
    for name, quadrant in tqdm(emopia_split(root, split), desc=f"EMOPIA {split}", disable=not progress):
        roll = PianoRoll.from_midi(root / "music" / "emopia" / "midis" / name)
        song = name[3:].rsplit("_", 1)[0]
        clips.append(Clip(roll, quadrant, quadrant_spec(quadrant), f"emopia:{name}", song))
    return clips


def load_vgmidi(root: Path | None = None, progress: bool = False) -> list[Clip]:
    """VGMIDI's labelled phrases (valence and arousal each -1/+1), read from ``phrases.zip``."""
    import pretty_midi

    root = Path(root) if root else data_root()
    folder = root / "music" / "vgmidi"
    if not (folder / "phrases.zip").is_file():
        raise EmogenError(f"VGMIDI phrases not found in '{folder}' (set EMOGEN_DATA to the shared data folder)")
    clips = []
    with (folder / "vgmidi_labelled.csv").open() as f, zipfile.ZipFile(folder / "phrases.zip") as archive:
        members = {Path(n).name: n for n in archive.namelist() if n.startswith("phrases/") and n.endswith(".mid")}
        for row in tqdm(list(csv.DictReader(f)), desc="VGMIDI", disable=not progress):
            member = members.get(Path(row["midi"]).name)
            if member is None:
                continue
            pm = pretty_midi.PrettyMIDI(io.BytesIO(archive.read(member)))
            quadrant = quadrant_of(float(row["valence"]), float(row["arousal"]))
            clips.append(Clip(PianoRoll.from_midi(pm), quadrant, quadrant_spec(quadrant, dimensional=True),
                              f"vgmidi:{row['id']}", row["piece"]))
    return clips


class RollWindows(Dataset):
    """Fixed-length windows of labelled rolls, each at every transposition in ``shifts``.

    Item ``i`` is window ``i // len(shifts)`` transposed by ``shifts[i % len(shifts)]``
    semitones, so the augmentation is part of the index and training resumes exactly.
    Items: ``{"x": (3, p, window) roll, "emotion": one-row EmotionBatch}``.
    """

    def __init__(self, clips: list[Clip], window: int, hop: int, shifts: list[int] = (0,),
                 min_notes: int = 4):
        self.shifts = list(shifts)
        self.rolls, specs = [], []
        for clip in clips:
            values = clip.roll.values
            if values.shape[-1] < window:  # short phrase: pad with silence at the end
                values = torch.cat([values, torch.full((*values.shape[:2], window - values.shape[-1]), -1.0)], -1)
            for start in range(0, values.shape[-1] - window + 1, hop):
                piece = values[:, :, start:start + window]
                if int((piece[0] > 0).sum()) >= min_notes:
                    self.rolls.append(piece.clone())
                    specs.append(clip.spec)
        if not self.rolls:
            raise EmogenError("no training windows: the clips are empty or shorter than the window")
        self.rolls = torch.stack(self.rolls)
        self.emotions = EmotionBatch.from_specs(specs)

    def __len__(self) -> int:
        return len(self.rolls) * len(self.shifts)

    def __getitem__(self, i: int):
        window, shift = divmod(i, len(self.shifts))
        return {"x": transpose(self.rolls[window], self.shifts[shift]), "emotion": self.emotions.row(window)}
