"""Form: a piece planned as phrases that return and vary, each ending on a cadence.

Shape legend: c = 3 roll channels, p = pitches, s = steps (sixteenth notes).

The flow model writes 4-bar windows and knows nothing of form, so left alone a piece never
returns to its opening (bar self-similarity below real clips'). The pipeline therefore plans the
form first and lets the model fill it by inpainting (``FlowSampler.sample(known=...)``):

- **phrases** of ``phrase_bars`` bars (4 in 4/4 and 3/4; the last one may be shorter), grouped
  by four as A A' B A'': the first of each group is new, the second varies it, the third is
  new, the fourth varies the piece's opening (so a long piece keeps returning to its theme);
- a **variation** (``variation_known``) keeps the accompaniment (the notes below the source
  phrase's median pitch) of its first ``VARIED_BARS`` bars and draws the melody over it, and
  the rest of the phrase, anew: the same harmony and bass return under a new line;
- every phrase ends on a **cadence** (``cadence_known``): the last ``CADENCE_BEATS`` beats hold a
  chord (bass an octave below a close triad) with nothing sounding below its top note, while the
  melody above it stays free: the dominant (a half cadence; in minor the natural minor's v,
  as real minor pieces keep to their scale) after the first phrase of a pair, the tonic after
  the second, and the dominant (V, with the leading tone) then the tonic alone over the piece's
  last bar (the ending, which the performance slows, pedals afresh and lets ring).

New phrases are sampled in one batch, then the varied ones in a second, so a piece of any length
costs two sampling passes of one window per phrase. A phrase returns only where the emotion is
near its source's (a trajectory that has moved on gets new material).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from . import representation as rep

VARIED_BARS = 2
"""bars at the start of a returning phrase whose accompaniment is copied from its source"""
CADENCE_BEATS = 2
"""beats of held chord that end a phrase"""
RETURN_DISTANCE = 0.3
"""largest VAD distance between a phrase and its source for it to return (else it is new)"""
TONIC = 0  # the model writes in C (see ``tonality``); the key is set after


@dataclass(frozen=True)
class Phrase:
    """One phrase: steps ``[start, end)`` of the piece, the phrase it varies (``source``, an index,
    or None for new material) and how it ends: 'open' (dominant), 'closed' (tonic) or 'final'."""

    start: int
    end: int
    source: int | None
    ending: str


def phrase_bars(bar_steps: int, window: int) -> int:
    """Bars per phrase: 4 (8 in 2/4, 4 bars of 4/4), fewer where a window is shorter."""
    bars = max(1, window // bar_steps)
    return min(bars, 4 * max(1, window // (4 * bar_steps)))


def plan(bars: int, bar_steps: int, window: int, vad_at=None) -> list[Phrase]:
    """The phrases of a piece of ``bars`` bars; ``vad_at(step) -> (3,)`` the emotion's VAD there
    (returns are kept only where it is within ``RETURN_DISTANCE`` of the source's)."""
    size = phrase_bars(bar_steps, window) * bar_steps
    total = bars * bar_steps
    spans = [(a, min(a + size, total)) for a in range(0, total, size)]
    phrases = []
    for i, (a, b) in enumerate(spans):
        source = {1: i - 1, 3: 0}.get(i % 4)
        if source is not None and spans[source][1] - spans[source][0] < b - a:
            source = None  # a shorter phrase cannot be varied into a longer one
        if source is not None and vad_at is not None and np.linalg.norm(
                np.subtract(vad_at(sum(spans[source]) / 2), vad_at((a + b) / 2))) > RETURN_DISTANCE:
            source = None
        ending = "final" if i == len(spans) - 1 else "open" if i % 2 == 0 else "closed"
        phrases.append(Phrase(a, b, source, ending))
    return phrases


def letters(phrases: list[Phrase]) -> str:
    """The form in letters: "A A' B A''" (a new phrase takes the next letter, a return its
    source's letter with one more prime)."""
    names: list[str] = []
    new = 0
    for phrase in phrases:
        if phrase.source is None:
            names.append(chr(ord("A") + new % 26))
            new += 1
        else:
            letter = names[phrase.source].rstrip("'")
            names.append(letter + "'" * sum(n.rstrip("'") == letter for n in names))
    return " ".join(names)


def cadence_chords(tonic: int, mode: str) -> tuple[list[int], list[int]]:
    """Pitch classes of V and of I in the key (``tonic`` 0-11, 'major' or 'minor'); V is a major
    triad in both modes (the leading tone raised in minor, as in the harmonic minor)."""
    third = 4 if mode == "major" else 3
    dominant = [(tonic + 7) % 12, (tonic + 11) % 12, (tonic + 2) % 12]
    return dominant, [tonic, (tonic + third) % 12, (tonic + 7) % 12]


def _voicing(classes: list[int], root_octave: int = 48) -> list[int]:
    """Roll pitches of a chord: its root in the octave from ``root_octave`` (C3) and a close triad
    on the root an octave above."""
    root = root_octave + classes[0] % 12
    if root > root_octave + 6:  # G2 rather than G3: keep the bass low
        root -= 12
    return [root, *(root + 12 + (pc - classes[0]) % 12 for pc in classes)]


def chords(ending: str, mode: int) -> list[list[int]]:
    """Roll pitches of the chord(s) a phrase ends on, in C (mode +1 major, -1 minor, 0 either: the
    root and fifth only, which fit both)."""
    dominant, tonic = cadence_chords(TONIC, "minor" if mode < 0 else "major")
    if mode < 0 and ending == "open":  # natural minor's v: real minor pieces keep to the scale
        dominant = [(TONIC + 7) % 12, (TONIC + 10) % 12, (TONIC + 2) % 12]
    if mode == 0:
        dominant, tonic = [dominant[0], dominant[2]], [tonic[0], tonic[2]]
    names = {"open": [dominant], "closed": [tonic], "final": [dominant, tonic]}[ending]
    return [_voicing(c) for c in names]


def cadence_known(phrase: Phrase, bar_steps: int, mode: int, values: torch.Tensor, mask: torch.Tensor) -> None:
    """Write a phrase's cadence into the (3, p, s) window ``values`` / ``mask`` that starts at the
    phrase's first step (in place): onset and sustain held at and below each chord's top note; velocity and
    everything above left to the model. 'final' fills its last bar, half dominant, half tonic
    alone."""
    groups = chords(phrase.ending, mode)
    length = min(bar_steps if phrase.ending == "final" else CADENCE_BEATS * rep.STEPS_PER_BEAT,
                 phrase.end - phrase.start)
    first = phrase.end - length
    cuts = np.linspace(first, phrase.end, len(groups) + 1).round().astype(int)
    cuts = [int(c) // rep.STEPS_PER_BEAT * rep.STEPS_PER_BEAT if 0 < k < len(groups) else int(c)
            for k, c in enumerate(cuts)]
    for k, (chord, a, b) in enumerate(zip(groups, cuts, cuts[1:])):
        a, b = a - phrase.start, b - phrase.start
        # the piece's last chord sounds alone (the ending); elsewhere the melody above stays free
        top = values.shape[1] - 1 if phrase.ending == "final" and k == len(groups) - 1 else max(chord) - rep.LOW_PITCH
        values[:2, :top + 1, a:b] = -1.0
        mask[:2, :top + 1, a:b] = 1.0
        for pitch in chord:
            values[0, pitch - rep.LOW_PITCH, a] = 1.0
            values[1, pitch - rep.LOW_PITCH, a:b] = 1.0
            if a > 0:  # no onset just before: the chord's is a peak, so a key already down is struck again
                values[0, pitch - rep.LOW_PITCH, a - 1] = -1.0
                mask[0, pitch - rep.LOW_PITCH, a - 1] = 1.0


def variation_known(source: torch.Tensor, values: torch.Tensor, mask: torch.Tensor, steps: int) -> None:
    """Copy the accompaniment of the (3, p, s) clean ``source`` phrase's first ``steps`` steps into
    the window ``values`` / ``mask`` (in place): the pitches below the median pitch of its notes,
    all channels."""
    notes = rep.decode_notes(source)
    if not notes:
        return
    split = int(np.median([p for p, _, _, _ in notes])) - rep.LOW_PITCH
    values[:, :split, :steps] = source[:, :split, :steps]
    mask[:, :split, :steps] = 1.0
