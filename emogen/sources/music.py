"""The emotion of a MIDI file, read by the EMOPIA quadrant classifier (``emogen.eval.music``).

The classifier reads the symbolic features music psychology ties to emotion: mode and key
clarity (Krumhansl-Kessler profiles) for valence, note and onset density, loudness and register
for arousal. Its four quadrants are categories of the shared space: Q1 happy (high valence, high
arousal), Q2 angry (low, high), Q3 sad (low, low), Q4 calm (high, low). A piece longer than
``2 * WINDOW_S`` is read in windows of ``WINDOW_S`` seconds (every ``WINDOW_S / 2``), which
become a trajectory when they differ.

An extra valence term from the key's mode (major / minor margin of the Krumhansl-Kessler
correlations) on top of the classifier was tried: on EMOPIA's validation split it lowered
accuracy at every strength (0.632 without; 0.605-0.614 with weights 2-10), so the classifier's
own use of mode, density and loudness stands alone. The key and note density are reported.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from ..errors import EmogenError
from .reading import EmotionReading, build_reading

QUADRANT_CATEGORIES = ("happy", "angry", "sad", "calm")  # Q1..Q4
WINDOW_S = 16.0


@lru_cache(maxsize=1)
def quadrant_classifier():
    from ..eval.music import QuadrantClassifier

    return QuadrantClassifier.from_pretrained("music-quadrant-classifier")


def _window(pm, start: float, end: float):
    """A PrettyMIDI of the notes sounding in [start, end), shifted to start at 0."""
    import pretty_midi

    out = pretty_midi.PrettyMIDI(initial_tempo=float(pm.get_tempo_changes()[1][0]))  # always one (default 120)
    piano = pretty_midi.Instrument(0)
    for inst in pm.instruments:
        if inst.is_drum:
            continue
        for n in inst.notes:
            if n.end > start and n.start < end:
                piano.notes.append(pretty_midi.Note(n.velocity, n.pitch, max(n.start, start) - start,
                                                    min(n.end, end) - start))
    out.instruments.append(piano)
    return out


def quadrant_probabilities(midi, start: float | None = None, end: float | None = None) -> np.ndarray:
    """(4,) probabilities of Q1..Q4 for a ``PrettyMIDI`` (the span [start, end) seconds of it if given)."""
    if start is not None:
        midi = _window(midi, start, end)
    return quadrant_classifier().predict_proba([midi])[0]


def read_midi_file(path: str | Path) -> EmotionReading:
    from ..eval.music import symbolic_features
    from ..music.tonality import estimate_key, midi_notes, read_midi

    path = Path(path)
    if not path.is_file():
        raise EmogenError(f"MIDI file '{path}' not found")
    try:
        pm = read_midi(path)
    except Exception as e:  # noqa: BLE001 - mido / pretty_midi raise many kinds on a damaged file
        raise EmogenError(f"cannot read MIDI file '{path}' ({type(e).__name__}: {e}); give a standard MIDI file "
                          "(.mid, .midi)") from None
    notes = midi_notes(pm)
    if not len(notes):
        raise EmogenError(f"MIDI file '{path}' has no notes")
    duration = float(notes[:, 2].max())
    features = symbolic_features(pm)
    key = estimate_key(pm)
    details = {"key": key.name,
               "notes_per_second": round(features["note_density"], 3),
               "velocity_mean": round(features["velocity_mean"], 1),
               "quadrants": "Q1 happy, Q2 angry, Q3 sad, Q4 calm"}
    if duration < 2 * WINDOW_S:
        return build_reading(str(path), "music", QUADRANT_CATEGORIES, quadrant_probabilities(pm), None, duration,
                             details)
    starts = np.arange(0.0, duration - WINDOW_S / 2, WINDOW_S / 2)
    probs = np.array([quadrant_probabilities(pm, s, s + WINDOW_S) for s in starts])
    times = np.minimum(starts + WINDOW_S / 2, duration)
    return build_reading(str(path), "music", QUADRANT_CATEGORIES, probs, times, duration, details)
