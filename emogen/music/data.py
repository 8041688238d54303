"""Emotion-labelled piano music as training windows: EMOPIA (quadrants) and VGMIDI (valence/arousal).

Shape legend: c = 3 roll channels, p = pitches, s = steps (see ``representation``).

Both datasets label the four quadrants of the valence/arousal circumplex. Each quadrant becomes
an emogen spec: the category whose VAD point lies in it (Q1 happy, Q2 angry, Q3 sad, Q4 calm).
EMOPIA clips are given as those categories (the encoder's category dropout also shows them by
their VAD point alone); VGMIDI's independent valence and arousal signs are given as dimensional
specs, so that the model learns continuous VAD conditioning from both (CAGE, midi-emotion).

Continuous VAD targets (``weak_labels``): a quadrant gives only the *signs* of valence and
arousal. Giving every clip its quadrant category's single VAD point leaves four training points
on which arousal and dominance rise together, so ``v=0,a=X`` (dominance at neutral) lies far off
them and the encoder's affine map extrapolates it (measured: density fell as arousal rose). With
weak labels each window keeps its quadrant's signs, and the magnitudes come from its own music:
arousal from its rank in onset count and loudness, valence from its rank in mode (Krumhansl-
Kessler major minus minor correlation), each within the windows of the same sign (``weak_vad``).
Dominance is not labelled in either dataset; the training task draws it at random per example
(``MusicDataConfig.random_dominance``) so that the model learns not to read it.
Data root: ``$EMOGEN_DATA`` or ``../shared/data`` beside the repository.

Licences: EMOPIA is CC BY-NC-SA 4.0 (Hung et al., ISMIR 2021); VGMIDI states none (cite Ferreira
& Whitehead, ISMIR 2019). Models trained on them inherit the non-commercial terms.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from scipy.stats import rankdata
from torch.utils.data import Dataset
from tqdm.auto import tqdm

from ..emotion import EmotionBatch, EmotionSpec
from ..emotion.space import NEUTRAL, category
from ..errors import EmogenError
from ..io import shared_data_root
from . import representation as rep
from .representation import PianoRoll, transpose
from .tonality import key_correlations

QUADRANT_EMOTIONS = {1: "happy", 2: "angry", 3: "sad", 4: "calm"}


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


QUADRANT_SIGNS = {1: (1.0, 1.0), 2: (-1.0, 1.0), 3: (-1.0, -1.0), 4: (1.0, -1.0)}
"""(valence sign, arousal sign) of each quadrant"""


def window_cues(piece: torch.Tensor) -> tuple[float, float, float]:
    """(mode margin, onsets, mean onset velocity 1..127) of a (3, p, s) roll: the weak-label cues.

    The mode margin is the best major minus the best minor Krumhansl-Kessler correlation of the
    duration-weighted pitch-class profile (> 0 leans major), as ``tonality.estimate_key`` measures it.
    """
    onset, sustain = piece[0] > 0, piece[1] > 0
    profile = np.zeros(12)
    np.add.at(profile, (np.arange(piece.shape[1]) + rep.LOW_PITCH) % 12, sustain.sum(1).numpy().astype(float))
    corr = key_correlations(profile / max(profile.sum(), 1.0))
    velocity = float(((piece[2] + 1.0) * 63.5)[onset].mean()) if onset.any() else 0.0
    return float(corr[0].max() - corr[1].max()), float(onset.sum()), velocity


def _signed_magnitude(score: np.ndarray, sign: np.ndarray, floor: float, power: float) -> np.ndarray:
    """``sign * (floor + (1 - floor) * u ** power)``, ``u`` the 0..1 rank of ``score`` among the items
    of the same sign, oriented so that the result rises with ``score`` across both signs."""
    out = np.zeros(len(score))
    for s in (-1.0, 1.0):
        m = sign == s
        if not m.any():
            continue
        u = (rankdata(score[m]) - 0.5) / m.sum()
        out[m] = s * (floor + (1.0 - floor) * (u if s > 0 else 1.0 - u) ** power)
    return out


def weak_vad(quadrants, cues, floor: float = 0.1, power: float = 1.0, mode_weight: float = 0.0) -> torch.Tensor:
    """(n, 2) valence and arousal of n windows: their quadrant's signs, magnitudes from their cues.

    Args:
        quadrants: (n,) quadrant 1-4 of each window.
        cues: (n, 3) ``window_cues`` of each window.
        floor: smallest magnitude, so that no window crosses to the other side of an axis.
        power: magnitude ``floor + (1 - floor) * u ** power`` of a window at rank ``u`` (0..1,
            toward its side) of its sign group. With 2, a category's point (sad: valence -0.55)
            sits at rank 0.71, so a category asks for clearer-than-median examples of its quadrant.
        mode_weight: share of valence taken from the window's mode alone (its mode margin's rank
            over all windows, -1..+1), the rest from its quadrant as above. Mode is the strongest
            valence cue in music, but the clip-level labels hold many minor happy and major sad
            windows (EMOPIA: 23% of Q1 windows minor, 42% of Q3 windows major); with a weight those
            land near neutral valence instead of teaching that happy may be minor.
    Arousal rises with the mean of the window's ranks in onset count and in velocity, valence with
    its mode margin; both run -1..-floor for the quadrant's negative side and floor..1 for the other.
    """
    cues = np.asarray(cues, dtype=np.float64).reshape(-1, 3)
    signs = np.array([QUADRANT_SIGNS[int(q)] for q in quadrants]).reshape(-1, 2)
    arousal_score = rankdata(cues[:, 1]) + rankdata(cues[:, 2])
    valence = _signed_magnitude(cues[:, 0], signs[:, 0], floor, power)
    if mode_weight:
        by_mode = 2.0 * (rankdata(cues[:, 0]) - 0.5) / len(cues) - 1.0
        valence = (1.0 - mode_weight) * valence + mode_weight * by_mode
    arousal = _signed_magnitude(arousal_score, signs[:, 1], floor, power)
    return torch.tensor(np.stack([valence, arousal], 1), dtype=torch.float32)


def tonic_shift(roll: PianoRoll) -> int:
    """Semitones (-5..+6) that move the clip's Krumhansl-Schmuckler tonic to C (its mode kept)."""
    sustain = roll.values[1] > 0
    profile = np.zeros(12)
    np.add.at(profile, (np.arange(roll.values.shape[1]) + rep.LOW_PITCH) % 12, sustain.sum(1).numpy().astype(float))
    corr = key_correlations(profile / max(profile.sum(), 1.0))
    tonic = int(np.unravel_index(int(np.argmax(corr)), corr.shape)[1])
    return (-tonic + 5) % 12 - 5


def silent_bar(piece: torch.Tensor, bar_steps: int = 4 * rep.STEPS_PER_BEAT) -> bool:
    """True if some whole bar of the (3, p, s) roll has no sounding note."""
    sounding = (piece[1] > 0).any(0)
    return any(not bool(sounding[b:b + bar_steps].any()) for b in range(0, len(sounding), bar_steps))


class RollWindows(Dataset):
    """Fixed-length windows of labelled rolls, each at every transposition in ``shifts``.

    Item ``i`` is window ``i // len(shifts)`` transposed by ``shifts[i % len(shifts)]``
    semitones, so the augmentation is part of the index and training resumes exactly.
    Items: ``{"x": (3, p, window) roll, "emotion": one-row EmotionBatch}``.

    ``weak_labels``: each window's valence and arousal come from ``weak_vad`` (its quadrant's
    signs, magnitudes from its mode, density and loudness) instead of its spec's fixed point;
    categorical specs keep their category. ``skip_silent_bars``: leave out windows with a bar
    (16 steps, 4/4) in which nothing sounds, so the model does not learn to write one.
    ``tonic_to_c``: first move every clip to C major / C minor (``tonic_shift``), so that mode is
    the same pitch rows in every example (E vs E-flat, A vs A-flat) and ``shifts`` then spread it
    only a little.
    """

    def __init__(self, clips: list[Clip], window: int, hop: int, shifts: list[int] = (0,),
                 min_notes: int = 4, weak_labels: bool = False, skip_silent_bars: bool = False,
                 tonic_to_c: bool = False, weak_label_power: float = 1.0, mode_weight: float = 0.0):
        self.shifts = list(shifts)
        self.rolls, specs, quadrants = [], [], []
        for clip in clips:
            values = clip.roll.values
            if tonic_to_c:
                values = transpose(values, tonic_shift(clip.roll))
            if values.shape[-1] < window:  # short phrase: pad with silence at the end
                values = torch.cat([values, torch.full((*values.shape[:2], window - values.shape[-1]), -1.0)], -1)
            for start in range(0, values.shape[-1] - window + 1, hop):
                piece = values[:, :, start:start + window]
                if int((piece[0] > 0).sum()) < min_notes or (skip_silent_bars and silent_bar(piece)):
                    continue
                self.rolls.append(piece.clone())
                specs.append(clip.spec)
                quadrants.append(clip.quadrant)
        if not self.rolls:
            raise EmogenError("no training windows: the clips are empty or shorter than the window")
        self.rolls = torch.stack(self.rolls)
        self.emotions = EmotionBatch.from_specs(specs)
        if weak_labels:
            va = weak_vad(quadrants, [window_cues(r) for r in self.rolls], power=weak_label_power,
                          mode_weight=mode_weight)
            neutral = torch.tensor(category(NEUTRAL).vad[:2])
            self.emotions.vad_offset[:, :2] = va - neutral
            self.emotions.vad_offset[:, 2] = 0.0  # dominance at neutral; see random_dominance

    def __len__(self) -> int:
        return len(self.rolls) * len(self.shifts)

    def __getitem__(self, i: int):
        window, shift = divmod(i, len(self.shifts))
        return {"x": transpose(self.rolls[window], self.shifts[shift]), "emotion": self.emotions.row(window)}
