"""An ending: the last bar of a generated piece becomes a perfect cadence in its own key.

The flow model writes windows with no notion of where the piece stops, so a piece cut to a
video's length would end mid-phrase. :func:`end_with_cadence` replaces the notes that start in
the last bar by a dominant chord (V, with the leading tone raised in minor, as in the harmonic
minor) for the first half and the tonic chord (I or i) held to the end, voiced around the
piece's own register at the loudness of its last bars, slightly softer on the tonic.
"""

from __future__ import annotations

import numpy as np

from .tonality import estimate_key


def cadence_chords(tonic: int, mode: str) -> tuple[list[int], list[int]]:
    """Pitch classes of V and of I in the key (``tonic`` 0-11, 'major' or 'minor')."""
    third = 4 if mode == "major" else 3
    dominant = [(tonic + 7) % 12, (tonic + 11) % 12, (tonic + 2) % 12]  # V: major triad in both modes
    return dominant, [tonic, (tonic + third) % 12, (tonic + 7) % 12]


def _voicing(classes: list[int], centre: float) -> list[int]:
    """A close chord around MIDI pitch ``centre`` plus its root an octave below."""
    root = classes[0] + 12 * round((centre - 3 - classes[0]) / 12)
    chord = [root]
    for pc in classes[1:]:
        p = root + (pc - root) % 12
        chord.append(p)
    return sorted({max(21, root - 12), *[min(108, p) for p in chord]})


def end_with_cadence(midi, bar_seconds: float, end: float) -> None:
    """Rewrite the last bar (``[end - bar_seconds, end)``) of the ``PrettyMIDI`` in place as V-I."""
    import pretty_midi

    piano = midi.instruments[0]
    start = end - bar_seconds
    key = estimate_key(midi)
    recent = [n for n in piano.notes if n.start >= start - 2 * bar_seconds]
    centre = float(np.mean([n.pitch for n in recent])) if recent else 60.0
    velocity = int(np.clip(np.mean([n.velocity for n in recent]) if recent else 64, 30, 110))
    kept = []
    for n in piano.notes:
        if n.start >= start:
            continue
        n.end = min(n.end, start)  # nothing rings into the cadence
        kept.append(n)
    dominant, tonic = cadence_chords(key.tonic, key.mode)
    middle = start + bar_seconds / 2
    for pitch in _voicing(dominant, centre):
        kept.append(pretty_midi.Note(velocity, pitch, start, middle))
    for pitch in _voicing(tonic, centre):
        kept.append(pretty_midi.Note(max(1, int(velocity * 0.85)), pitch, middle, end))
    piano.notes = sorted(kept, key=lambda n: (n.start, n.pitch))
