"""How much each emotion changes the voice, measured on real emotional speech (RAVDESS).

For every clip, cues (F0 level and range, loudness, rate, spectral tilt) are measured relative to
the same actor's neutral clips of the same statement; the profile is the median change per
emotion and RAVDESS intensity (normal, strong) across the 20 actors. ``emotion_render`` renders
the TTS corpus's base voice with these changes, so the sizes of the emotional effects in the
shipped voice come from human speech rather than from guesses.

    emogen data measure-ravdess --ravdess ../shared/data/speech/ravdess -o emogen/speech/data/ravdess_profile.json
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from importlib import resources
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from ..emotion.space import canonical_category
from ..errors import EmogenError
from ..eval.speech import SpeechCues, measure, relative_cues

CUES = ("f0_mean_st", "f0_range_st", "loudness_db", "rate", "spectral_tilt_db")


def read_manifest(root: Path) -> list[dict]:
    manifest = root / "manifest.csv"
    if not manifest.is_file():
        raise EmogenError(f"'{root}' is not the RAVDESS folder emogen expects (no manifest.csv)")
    with manifest.open() as f:
        return list(csv.DictReader(f))


def measure_clips(root: Path, rows: list[dict]) -> list[SpeechCues]:
    import soundfile as sf

    cues = []
    for row in tqdm(rows, desc="measuring RAVDESS", unit="clip"):
        audio, sr = sf.read(root / row["path"], dtype="float64", always_2d=False)
        cues.append(measure(audio if audio.ndim == 1 else audio.mean(axis=1), sr))
    return cues


def build_profile(root: str | Path) -> dict:
    """Measure every clip and aggregate the per-emotion, per-intensity cue changes."""
    root = Path(root)
    rows = read_manifest(root)
    cues = measure_clips(root, rows)
    neutral: dict[tuple[str, str], list[SpeechCues]] = defaultdict(list)
    for row, c in zip(rows, cues):
        if row["emotion"] == "neutral":
            neutral[(row["actor"], row["statement_id"])].append(c)
    reference = {key: SpeechCues(**{f: float(np.mean([getattr(c, f) for c in cs])) for f in SpeechCues.__dataclass_fields__})
                 for key, cs in neutral.items()}
    changes: dict[tuple[str, str], dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for row, c in zip(rows, cues):
        if row["emotion"] == "neutral":
            continue
        emotion = canonical_category(row["emotion"])
        per_actor = relative_cues(c, reference[(row["actor"], row["statement_id"])])
        for cue, value in per_actor.items():
            changes[(emotion, row["intensity"])][cue].append(value)
    profile = {"source": "RAVDESS speech, actors 01-20 (Livingstone & Russo 2018, CC BY-NC-SA 4.0)",
               "method": "median over clips of the change relative to the same actor's neutral clips of the same statement",
               "units": {"f0_mean_st": "semitones", "f0_range_st": "semitones", "loudness_db": "dB",
                         "rate": "log(neutral duration / duration)", "spectral_tilt_db": "dB"},
               "emotions": {}}
    for (emotion, label), values in sorted(changes.items()):
        entry = profile["emotions"].setdefault(emotion, {})
        entry[label] = {cue: round(float(np.median(v)), 4) for cue, v in values.items()}
        entry[label]["clips"] = len(values["rate"])
    return profile


def load_profile(path: str | Path | None = None) -> dict:
    """The shipped profile (``emogen/speech/data/ravdess_profile.json``) or another file."""
    if path is None:
        text = resources.files("emogen.speech").joinpath("data/ravdess_profile.json").read_text()
    else:
        text = Path(path).read_text()
    return json.loads(text)
