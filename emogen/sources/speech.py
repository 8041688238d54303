"""The emotion of a speech recording, read by the speech-emotion recogniser (``emogen.ser``).

The recogniser judges speech against a neutral reference (its cues are changes from the
speaker's neutral voice). Give one (a neutral take of the same speaker, best of the same words)
for an accurate reading; without it the reference is the mean neutral voice of the RAVDESS
speakers of the nearer pitch range (``assets/neutral_reference.json``), with the speaking rate
left out (it cannot be compared across sentences). A recording longer than ``WINDOW_S * 2`` is
read in windows of ``WINDOW_S`` seconds every ``HOP_S`` seconds, which :func:`build_reading`
turns into a trajectory when they differ.

The recogniser knows happy, sad, angry and fearful (no neutral), so the reading is a mixture of
those. Its intensity, with a speaker reference, is how far the voice moved from the neutral
take: the distance of the relative features (in the recogniser's feature spreads) mapped so
that ``NEUTRAL_DISTANCE`` (the median distance between two neutral takes of one actor) is 0 and
``FULL_DISTANCE`` (the median over acted happy / sad / angry / fearful takes, both RAVDESS
intensities) is 1, both measured on actors 1-16. Without a reference that distance also holds
the speaker's difference from the average voice, so the intensity is the confidence above a
uniform guess (1/4) instead.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..audio import read_speech as read_recording
from ..errors import EmogenError
from .reading import EmotionReading, build_reading

WINDOW_S, HOP_S = 3.0, 1.5
MAX_SECONDS = 3600.0
ANALYSIS_RATE = 24000  # Hz, RAVDESS's rate in emogen's copy
NEUTRAL_DISTANCE, FULL_DISTANCE = 2.61, 5.94  # see the module doc
REFERENCE_ASSET = Path(__file__).parent / "assets" / "neutral_reference.json"


def load_audio(path: str | Path, what: str = "audio") -> tuple[np.ndarray, int]:
    """(float32 mono samples, rate) of a speech recording (``emogen.audio.read_speech``: WAV,
    FLAC, OGG or MP3; EmogenError if missing, unreadable, empty or silent), at most ``MAX_SECONDS`` long."""
    samples, rate = read_recording(path, what)
    if len(samples) / rate > MAX_SECONDS:
        raise EmogenError(f"{what} '{path}' lasts {len(samples) / rate:.0f} s, over the limit of {MAX_SECONDS:g} s")
    return samples, rate


def recogniser(name: str | None = None):
    """The speech-emotion pipeline, loaded once per process."""
    from ..ser.pipeline import CUES_CHECKPOINT, SERPipeline

    # the cues alone: the generic neutral reference (a mean RAVDESS voice) and the intensity scale
    # below are measured in their space
    return SERPipeline.from_pretrained(name or CUES_CHECKPOINT)


def features(audio: np.ndarray, rate: int, what: str) -> np.ndarray:
    """The recogniser's absolute features of ``audio``; EmogenError when it holds no speech."""
    from ..speech.cues import clip_features

    try:
        return clip_features(audio, rate)
    except ValueError as e:  # no speech found
        raise EmogenError(f"{what}: {e}") from None


def generic_reference(absolute: np.ndarray) -> np.ndarray:
    """The shipped neutral reference (mean neutral RAVDESS voice) of the pitch range nearer to
    ``absolute``'s, with the speaking rate taken from ``absolute`` itself (so it counts as 0)."""
    from ..speech.cues import F0_TRACKER, FEATURE_NAMES

    table = json.loads(REFERENCE_ASSET.read_text())
    if table["feature_names"] != list(FEATURE_NAMES) or table.get("f0_tracker") != F0_TRACKER:
        raise EmogenError("the shipped neutral voice reference was measured with other speech features than this "
                          "emogen computes; give a neutral take of the same speaker (--emotion-reference FILE), "
                          "or rebuild it: python -m emogen.sources.speech")
    groups = {g: np.asarray(v, np.float32) for g, v in table["groups"].items()}
    pitch = FEATURE_NAMES.index("f0_mean_st")
    nearest = min(groups, key=lambda g: abs(groups[g][pitch] - absolute[pitch]))
    reference = groups[nearest].copy()
    reference[FEATURE_NAMES.index("log_duration")] = absolute[FEATURE_NAMES.index("log_duration")]
    return reference


def read_speech(path: str | Path, reference=None, audio: tuple[np.ndarray, int] | None = None,
                kind: str = "speech", hop: float = HOP_S) -> EmotionReading:
    """The emotion of the speech in ``path`` (or of ``audio`` = (samples, rate), e.g. a video's
    track), judged against the neutral ``reference`` recording (or the mean of several: the
    classifier learned against the mean of an actor's neutral takes) when given; a long recording
    in windows every ``hop`` seconds."""
    from ..speech.cues import FEATURE_NAMES, relative

    samples, rate = audio if audio is not None else load_audio(path, "speech recording")
    if rate > ANALYSIS_RATE:  # the recogniser learned from 24 kHz speech; WORLD's analysis is faster there
        import librosa

        samples, rate = librosa.resample(samples, orig_sr=rate, target_sr=ANALYSIS_RATE), ANALYSIS_RATE
    ser = recogniser()
    ref = None
    from . import references

    given = references(reference)
    if given:
        ref = np.mean([features(*load_audio(r, "neutral reference"), f"neutral reference '{r}'") for r in given],
                      axis=0)
    names = tuple(ser.emotions)
    duration = len(samples) / rate
    starts = [0.0] if duration < 2 * WINDOW_S else list(np.arange(0.0, duration - WINDOW_S + 1e-6, hop))
    rows, times, weights, strength = [], [], [], []
    for start in starts:
        piece = samples[int(start * rate):int((start + WINDOW_S) * rate)] if len(starts) > 1 else samples
        try:
            absolute = features(piece, rate, f"'{path}'")
        except EmogenError:
            if len(starts) == 1:
                raise
            rows.append(np.full(len(names), 1.0 / len(names)))  # a pause: no evidence either way
            times.append(start + WINDOW_S / 2)
            weights.append(0.0)
            strength.append(0.0)
            continue
        own = ref if ref is not None else generic_reference(absolute)
        if len(starts) > 1 and ref is not None:  # a window is not the reference's sentence: no rate
            own = own.copy()
            own[FEATURE_NAMES.index("log_duration")] = absolute[FEATURE_NAMES.index("log_duration")]
        moved = relative(absolute, own)
        probs = ser.model.probabilities(moved)[0]
        distance = float(np.linalg.norm(moved / ser.model.std.float().cpu().numpy()))
        strength.append((distance - NEUTRAL_DISTANCE) / (FULL_DISTANCE - NEUTRAL_DISTANCE))
        rows.append(np.array([probs[n] for n in names]))
        times.append(start + min(WINDOW_S, duration) / 2)
        weights.append(1.0)
    if not any(weights):
        raise EmogenError(f"no speech found in '{path}'")
    details = {"reference": ", ".join(given) if given else "generic (mean neutral RAVDESS voice)",
               "windows": len(rows)}
    return build_reading(str(path), kind, names, np.array(rows), np.array(times) if len(rows) > 1 else None,
                         duration, details, np.array(weights),
                         intensity=np.array(strength) if ref is not None else None)


def build_reference(root: Path) -> dict:
    """Mean absolute features of RAVDESS's neutral clips, per pitch group (the actors' gender
    in the manifest), for :func:`generic_reference`."""
    import soundfile as sf

    from ..speech.corpora import read_ravdess_manifest
    from ..speech.cues import F0_TRACKER, FEATURE_NAMES, clip_features

    groups: dict[str, list[np.ndarray]] = {}
    for row in read_ravdess_manifest(root):
        if row["emotion"] == "neutral":
            audio, sr = sf.read(root / row["path"], dtype="float32")
            groups.setdefault(row["gender"], []).append(clip_features(audio if audio.ndim == 1 else audio.mean(1), sr))
    return {"source": "RAVDESS neutral clips (Livingstone & Russo 2018, CC BY-NC-SA 4.0), mean per gender",
            "feature_names": list(FEATURE_NAMES), "f0_tracker": F0_TRACKER,
            "clips": {g: len(v) for g, v in groups.items()},
            "groups": {g: np.mean(v, axis=0).round(5).tolist() for g, v in groups.items()}}


if __name__ == "__main__":
    from ..io import shared_data_root, write_text_atomic

    table = build_reference(shared_data_root() / "speech" / "ravdess")
    write_text_atomic(REFERENCE_ASSET, json.dumps(table, indent=1) + "\n")
    print(f"wrote {REFERENCE_ASSET} ({table['clips']})")
