"""How much each emotion changes the voice, measured on real emotional speech (RAVDESS).

For every clip, prosodic cues (F0 level and range, loudness, rate) and voice quality (the
level-free shape of a 16-band mel spectrum, as the speech-emotion classifier (``emogen.ser``)
measures it, and D4C aperiodicity in 1-4 kHz) are measured relative to the same actor's neutral
clips of the same statement; the profile is the median change per emotion and RAVDESS intensity
(normal, strong) across the 20 actors. ``emotion_prosody`` renders
the TTS corpus's base voice with these changes, so the sizes of the emotional effects in the
shipped voice come from human speech rather than from guesses.

    emogen data measure-ravdess --ravdess ../shared/data/speech/ravdess -o emogen/speech/assets/ravdess_profile.json
"""

from __future__ import annotations

import json
from collections import defaultdict
from importlib import resources
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from ..emotion.space import canonical_category
from .corpora import read_ravdess_manifest
from .cues import FEATURE_NAMES, N_MEL, SpeechCues, absolute_features, measure, relative_cues

CUES = ("f0_mean_st", "f0_range_st", "loudness_db", "rate")


def measure_clips(root: Path, rows: list[dict], cache: Path | None = None) -> tuple[list[SpeechCues], np.ndarray]:
    """Prosodic cues and the speech-emotion classifier's absolute features of every clip (the
    latter shared with ``emogen train ser`` through its feature ``cache``)."""
    import soundfile as sf

    features = absolute_features(root, cache)["x"]
    cues = []
    for row in tqdm(rows, desc="measuring RAVDESS", unit="clip"):
        audio, sr = sf.read(root / row["path"], dtype="float64", always_2d=False)
        cues.append(measure(audio if audio.ndim == 1 else audio.mean(axis=1), sr))
    return cues, features


def voice_quality_change(features: np.ndarray, neutral: np.ndarray) -> dict:
    """Aperiodicity change (dB; D4C's coding is 20 log10) and mel-shape change (dB per band) of one
    clip's ``clip_features`` relative to its neutral reference's."""
    ap = FEATURE_NAMES.index("aperiodicity_1k_4k")
    shape = [FEATURE_NAMES.index(f"mel{i}_shape") for i in range(N_MEL)]
    return {"aperiodicity_db": 20.0 * np.log10(max(features[ap], 1e-4) / max(neutral[ap], 1e-4)),
            # the shape is in natural log power: 10 log10(e) dB per unit
            "spectral_shape_db": 10.0 * np.log10(np.e) * (features[shape] - neutral[shape])}


def mel_band_centres_hz() -> list[float]:
    """Centre frequencies of the mel bands of ``spectral_shape_db`` (16 kHz analysis, 0-8 kHz)."""
    import librosa

    return [round(float(f), 1) for f in librosa.mel_frequencies(N_MEL + 2, fmin=0.0, fmax=8000.0)[1:-1]]


def build_profile(root: str | Path, cache: str | Path | None = None) -> dict:
    """Measure every clip and aggregate the per-emotion, per-intensity changes (``cache``: the
    classifier's feature cache, read if present and written if not)."""
    root = Path(root)
    rows = read_ravdess_manifest(root)
    cues, features = measure_clips(root, rows, Path(cache) if cache else None)
    neutral_cues: dict[tuple[str, str], list[SpeechCues]] = defaultdict(list)
    neutral_features: dict[tuple[str, str], list[np.ndarray]] = defaultdict(list)
    for row, c, f in zip(rows, cues, features):
        if row["emotion"] == "neutral":
            neutral_cues[(row["actor"], row["statement_id"])].append(c)
            neutral_features[(row["actor"], row["statement_id"])].append(f)
    reference = {key: SpeechCues(**{f: float(np.mean([getattr(c, f) for c in cs])) for f in SpeechCues.__dataclass_fields__})
                 for key, cs in neutral_cues.items()}
    changes: dict[tuple[str, str], dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for row, c, f in zip(rows, cues, features):
        if row["emotion"] == "neutral":
            continue
        key = (row["actor"], row["statement_id"])
        per_clip = {**{cue: v for cue, v in relative_cues(c, reference[key]).items() if cue in CUES},
                    **voice_quality_change(f, np.mean(neutral_features[key], axis=0))}
        for cue, value in per_clip.items():
            changes[(canonical_category(row["emotion"]), row["intensity"])][cue].append(value)
    profile = {"source": "RAVDESS speech, actors 01-20 (Livingstone & Russo 2018, CC BY-NC-SA 4.0)",
               "method": "median over clips of the change relative to the same actor's neutral clips of the same statement",
               "units": {"f0_mean_st": "semitones", "f0_range_st": "semitones", "loudness_db": "dB",
                         "rate": "log(neutral duration / duration)",
                         "aperiodicity_db": "dB change of D4C aperiodicity, 1-4 kHz, voiced frames",
                         "spectral_shape_db": "dB change per mel band of the level-free spectral shape"},
               "spectral_shape_hz": mel_band_centres_hz(),
               "emotions": {}}
    for (emotion, label), values in sorted(changes.items()):
        entry = profile["emotions"].setdefault(emotion, {})
        entry[label] = {cue: round(float(np.median(v)), 4) for cue, v in values.items() if cue != "spectral_shape_db"}
        entry[label]["spectral_shape_db"] = [round(float(x), 3) for x in np.median(values["spectral_shape_db"], axis=0)]
        entry[label]["clips"] = len(values["rate"])
    return profile


def load_profile(path: str | Path | None = None) -> dict:
    """The shipped profile (``emogen/speech/assets/ravdess_profile.json``) or another file."""
    if path is None:
        text = resources.files("emogen.speech").joinpath("assets/ravdess_profile.json").read_text()
    else:
        text = Path(path).read_text()
    return json.loads(text)
