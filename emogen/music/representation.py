"""Piano rolls as images for flow matching, and their exact round trip to and from MIDI.

Shape legend: c = channels (onset, sustain, velocity), p = pitches (``LOW_PITCH`` .. ``HIGH_PITCH``),
s = time steps (``STEPS_PER_BEAT`` per beat, i.e. sixteenth notes).

A roll is a (3, p, s) float tensor on the -1..+1 scale the flow model works in (Polyffusion's
onset / sustain image, plus a velocity plane):

- onset: +1 on the step a note starts, -1 elsewhere;
- sustain: +1 on every step a note sounds (its onset included), -1 elsewhere;
- velocity: ``2 * velocity / 127 - 1`` on every sounding step, -1 elsewhere.

Decoding (``decode_notes``) reads a generated, soft image with hysteresis and onset peaks, and
maps it to notes with no zero-length and no overlapping duplicates by construction. ``roll -> MIDI -> roll`` is exact; ``MIDI -> roll``
quantises note starts and ends to the grid (EMOPIA's transcriptions sit on a 120 BPM grid).
The roll carries tempo (BPM) and time signature beside the tensor; ``to_midi`` writes both.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from ..checks import DEFAULT_TEMPO, TEMPO
from ..errors import EmogenError

STEPS_PER_BEAT = 4
LOW_PITCH = 28  # E1: with HIGH_PITCH, 98% of EMOPIA's notes; others fold in by octaves
HIGH_PITCH = 91  # G6
NUM_PITCHES = HIGH_PITCH - LOW_PITCH + 1  # 64
CHANNELS = ("onset", "sustain", "velocity")
MIN_TEMPO, MAX_TEMPO = TEMPO
TIME_SIGNATURES = {"2/4": (2, 4), "3/4": (3, 4), "4/4": (4, 4), "6/8": (6, 8)}


def beats_per_bar(time_signature: tuple[int, int]) -> float:
    """Quarter-note beats in one bar (6/8 is 3)."""
    numerator, denominator = time_signature
    return numerator * 4.0 / denominator


def parse_time_signature(text: str | tuple[int, int] | None) -> tuple[int, int]:
    if text is None:
        return (4, 4)
    if isinstance(text, tuple):
        text = f"{text[0]}/{text[1]}"
    key = str(text).strip()
    if key not in TIME_SIGNATURES:
        raise EmogenError(f"unknown time signature '{text}'; accepted: {', '.join(TIME_SIGNATURES)}")
    return TIME_SIGNATURES[key]


def check_tempo(tempo: float) -> float:
    tempo = float(tempo)
    if not MIN_TEMPO <= tempo <= MAX_TEMPO:
        raise EmogenError(f"tempo {tempo:g} BPM is out of range; accepted: {MIN_TEMPO:g} to {MAX_TEMPO:g} BPM")
    return tempo


@dataclass
class PianoRoll:
    """A piano roll and the facts MIDI needs to play it.

    Attributes:
        values: (3, p, s) onset, sustain and velocity planes, -1..+1.
        tempo: beats (quarter notes) per minute.
        time_signature: (numerator, denominator).
        program: General MIDI program (0 = acoustic grand piano).
    """

    values: torch.Tensor
    tempo: float = DEFAULT_TEMPO
    time_signature: tuple[int, int] = (4, 4)
    program: int = 0
    extra: dict = field(default_factory=dict)

    @property
    def steps(self) -> int:
        return self.values.shape[-1]

    @property
    def steps_per_bar(self) -> int:
        return int(round(beats_per_bar(self.time_signature) * STEPS_PER_BEAT))

    @property
    def seconds_per_step(self) -> float:
        return 60.0 / self.tempo / STEPS_PER_BEAT

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.steps * self.seconds_per_step

    def notes(self) -> list[tuple[int, int, int, int]]:
        """(pitch, start step, end step, velocity) of every note the roll decodes to."""
        return decode_notes(self.values)

    def to_midi(self):
        """A ``pretty_midi.PrettyMIDI`` with one piano track, this tempo and time signature."""
        import pretty_midi

        pm = pretty_midi.PrettyMIDI(initial_tempo=self.tempo)
        pm.time_signature_changes.append(pretty_midi.TimeSignature(*self.time_signature, 0.0))
        track = pretty_midi.Instrument(program=self.program, name="piano")
        dt = self.seconds_per_step
        for pitch, start, end, velocity in self.notes():
            track.notes.append(pretty_midi.Note(velocity, pitch, start * dt, end * dt))
        track.notes.sort(key=lambda n: (n.start, n.pitch))
        pm.instruments.append(track)
        return pm

    @classmethod
    def from_midi(cls, midi, steps: int | None = None, fold_octaves: bool = True) -> "PianoRoll":
        """Quantise a ``PrettyMIDI`` (or a path) to the grid of its first tempo.

        Drum tracks are skipped; all other tracks are merged onto one piano. Notes outside the
        pitch range move by octaves into it (or are dropped with ``fold_octaves=False``).
        ``steps`` pads or cuts the roll to that many steps (default: up to the last note's end).
        """
        import pretty_midi

        pm = midi if isinstance(midi, pretty_midi.PrettyMIDI) else pretty_midi.PrettyMIDI(str(midi))
        _, tempi = pm.get_tempo_changes()
        # MIDI stores whole microseconds per beat: round off what that adds (97 BPM reads as 97.0001)
        tempo = round(float(tempi[0]), 2) if len(tempi) else DEFAULT_TEMPO
        tempo = min(MAX_TEMPO, max(MIN_TEMPO, tempo))
        sig = pm.time_signature_changes[0] if pm.time_signature_changes else None
        time_signature = (sig.numerator, sig.denominator) if sig else (4, 4)
        dt = 60.0 / tempo / STEPS_PER_BEAT
        notes = []
        for inst in pm.instruments:
            if inst.is_drum:
                continue
            for n in inst.notes:
                pitch = n.pitch
                while fold_octaves and pitch < LOW_PITCH:
                    pitch += 12
                while fold_octaves and pitch > HIGH_PITCH:
                    pitch -= 12
                if not LOW_PITCH <= pitch <= HIGH_PITCH:
                    continue
                start = int(round(n.start / dt))
                end = max(start + 1, int(round(n.end / dt)))
                notes.append((pitch, start, end, int(n.velocity)))
        total = steps if steps is not None else max([e for _, _, e, _ in notes], default=0)
        return cls(encode_notes(notes, total), tempo, time_signature)


def metric_context(steps: int, time_signature: tuple[int, int] = (4, 4), offset: int = 0) -> torch.Tensor:
    """(4, steps) where each step sits in the metre: cos/sin of its phase in the bar and in the beat.

    The generator reads this as context, which is how it knows where bars start (and how a 3/4
    request gets 3/4 bars); ``offset`` is the first step's index from the start of the piece.
    """
    bar = beats_per_bar(time_signature) * STEPS_PER_BEAT
    index = torch.arange(offset, offset + steps, dtype=torch.float32)
    bar_phase = 2 * torch.pi * (index % bar) / bar
    beat_phase = 2 * torch.pi * (index % STEPS_PER_BEAT) / STEPS_PER_BEAT
    return torch.stack([bar_phase.cos(), bar_phase.sin(), beat_phase.cos(), beat_phase.sin()])


def encode_notes(notes, steps: int) -> torch.Tensor:
    """Notes ``(pitch, start step, end step, velocity)`` -> (3, p, steps) roll on -1..+1.

    Where two notes of one pitch overlap, the later onset cuts the earlier note (a piano key
    cannot sound twice); notes past ``steps`` are cut at the end.
    """
    onset = np.zeros((NUM_PITCHES, steps), np.float32)
    sustain = np.zeros((NUM_PITCHES, steps), np.float32)
    velocity = np.zeros((NUM_PITCHES, steps), np.float32)
    for pitch, start, end, vel in sorted(notes, key=lambda n: n[1]):
        if start >= steps or end <= start:
            continue
        row = pitch - LOW_PITCH
        onset[row, start] = 1.0
        sustain[row, start:end] = 1.0
        velocity[row, start:end] = vel / 127.0
    roll = np.stack([onset, sustain, velocity]) * 2.0 - 1.0
    return torch.from_numpy(roll)


# Decoding thresholds (roll scale -1..+1). A generated roll is soft: the flow model writes onsets
# faintly and sustain as a continuum, so thresholding sustain at 0 alone decodes a run that dips for
# one step as two notes and every stray positive step as a sixteenth (measured on the shipped model:
# 85% of decoded notes had no onset mark, half of all notes lasted one step: scattered sixteenths).
# As in Onsets and Frames (Hawthorne et al. 2018), a note is found with hysteresis and onsets:
SUSTAIN_ON = 0.0  # a note starts where sustain rises above this ...
SUSTAIN_OFF = -0.3  # ... and holds while sustain stays above this
ONSET_ON = -0.5  # an onset peak above this inside a held run re-strikes the key (a new note)
WEAK_STEP = 0.6  # a lone step with no onset peak and sustain at most this is noise, not a note


def decode_notes(values: torch.Tensor) -> list[tuple[int, int, int, int]]:
    """(3, p, s) roll -> notes ``(pitch, start, end, velocity)``, sorted by start then pitch.

    Per pitch: a run starts where sustain exceeds ``SUSTAIN_ON`` and holds while it exceeds
    ``SUSTAIN_OFF``; a one-step dip with no onset peak after it is bridged; an onset peak above
    ``ONSET_ON`` inside a run starts a new note there; a one-step note with neither an onset peak
    nor sustain above ``WEAK_STEP`` is dropped. Velocity: the mean of the velocity plane over the
    note's steps, clamped to 1..127. On an encoded roll (every value +-1, every note with its
    onset) this reads back exactly the notes ``encode_notes`` wrote.
    """
    v = values.detach().float().cpu().numpy()
    onset, sustain, vel = v[0], v[1], (v[2] + 1.0) * 0.5 * 127.0
    p, s = sustain.shape
    previous = np.concatenate([np.full((p, 1), -np.inf), onset[:, :-1]], 1)
    following = np.concatenate([onset[:, 1:], np.full((p, 1), -np.inf)], 1)
    peak = (onset > ONSET_ON) & (onset >= previous) & (onset >= following)
    notes = []
    for row in np.flatnonzero((sustain > SUSTAIN_ON).any(1)):
        runs, t = [], 0
        while t < s:  # hysteresis runs, bridging one-step dips not followed by an onset peak
            if sustain[row, t] <= SUSTAIN_ON:
                t += 1
                continue
            start = t
            while t < s and (sustain[row, t] > SUSTAIN_OFF or (
                    t + 1 < s and sustain[row, t + 1] > SUSTAIN_OFF and not peak[row, t + 1] and t > start)):
                t += 1
            runs.append((start, t))
        for start, end in runs:
            cuts = [start] + [k for k in range(start + 1, end) if peak[row, k]] + [end]
            for a, b in zip(cuts, cuts[1:]):
                if b - a == 1 and not peak[row, a] and sustain[row, a] <= WEAK_STEP:
                    continue
                velocity = int(np.clip(round(float(vel[row, a:b].mean())), 1, 127))
                notes.append((row + LOW_PITCH, int(a), int(b), velocity))
    notes.sort(key=lambda n: (n[1], n[0]))
    return notes


def transpose(values: torch.Tensor, semitones: int) -> torch.Tensor:
    """Shift a (..., 3, p, s) roll up by ``semitones``; notes pushed out of range are dropped."""
    if semitones == 0:
        return values
    out = torch.full_like(values, -1.0)
    if semitones > 0:
        out[..., semitones:, :] = values[..., :-semitones, :]
    else:
        out[..., :semitones, :] = values[..., -semitones:, :]
    return out
