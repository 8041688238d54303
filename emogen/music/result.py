"""What ``MusicPipeline`` returns: the piece as MIDI, with audio and a piano-roll picture on demand;
``save(path)`` writes whichever the suffix names."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import EmogenError
from ..io import atomic_path
from . import representation as rep


@dataclass
class MusicResult:
    """A generated piece.

    Attributes:
        midi: the ``pretty_midi.PrettyMIDI`` (one piano track, tempo, time and key signature).
        roll: the generated piano roll before any transposition.
        emotion: the resolved spec or trajectory.
        key: the key the finished piece analyses as (Krumhansl-Kessler), e.g. 'A minor'.
        transposed: semitones the piece was moved by to meet a requested key (0 if none).
        silent_bars: bars with no note (empty unless every retry still had one).
    """

    midi: object
    roll: rep.PianoRoll
    emotion: object
    bars: int
    seed: int
    key: str
    transposed: int = 0
    silent_bars: list[int] = field(default_factory=list)
    form: str = ""
    """the phrases in letters, e.g. "A A' B A''" (``emogen.music.form``)"""

    @classmethod
    def build(cls, roll: rep.PianoRoll, emotion, key_request, bars: int, silent_bars, seed: int,
              tempi=None, quadrants=None, quantize: bool = False, form: str = "") -> "MusicResult":
        """Perform ``roll`` (``emogen.music.performance.perform``) in the requested key, or in a tonic
        drawn by the seed; ``tempi`` / ``quadrants``: (beats,) BPM and quadrant (default: the roll's
        tempo, happy)."""
        import pretty_midi

        from .performance import PerformanceStyle, perform
        from .tonality import estimate_key

        style = PerformanceStyle.load()
        beats = int(np.ceil(roll.steps / rep.STEPS_PER_BEAT))
        tempi = np.full(beats, roll.tempo) if tempi is None else np.asarray(tempi, np.float64)
        quadrants = np.ones(beats, int) if quadrants is None else np.asarray(quadrants)
        notes = roll.notes()
        shift = 0
        if notes:
            found = estimate_key(roll.to_midi())
            if key_request is None:  # the tonic as often as real clips of this mode have it
                tonic = int(np.random.default_rng([seed, 1]).choice(12, p=style.tonics[found.mode]))
                key_request = (tonic, None)
            shift = key_shift(found, *key_request)
            notes = [(fold_pitch(p + shift), s, e, v) for p, s, e, v in notes]
        midi = perform(notes, roll.steps, tempi, roll.time_signature, quadrants, style, seed, quantize, roll.program)
        found = estimate_key(midi)
        midi.key_signature_changes.append(
            pretty_midi.KeySignature(found.tonic + (12 if found.mode == "minor" else 0), 0.0))
        return cls(midi, roll, emotion, bars, seed, found.name, shift, list(silent_bars), form)

    @property
    def duration(self) -> float:
        """Seconds (to the last bar line)."""
        return float(self.midi.get_end_time())

    @property
    def tempo(self) -> float:
        """BPM at the start."""
        return self.roll.tempo

    def notes(self) -> list:
        return [n for inst in self.midi.instruments for n in inst.notes]

    def describe(self) -> dict:
        emotion = self.emotion.describe() if hasattr(self.emotion, "describe") else str(self.emotion)
        return {"bars": self.bars, "seconds": round(self.duration, 3), "tempo": self.tempo,
                "time_signature": f"{self.roll.time_signature[0]}/{self.roll.time_signature[1]}",
                "key": self.key, "transposed": self.transposed, "notes": len(self.notes()),
                "seed": self.seed, "emotion": emotion, "silent_bars": self.silent_bars, "form": self.form}

    def save(self, path: str | os.PathLike, **options) -> Path:
        """Write the piece to ``path`` atomically, in the format its suffix names: ``.mid`` /
        ``.midi`` (:meth:`save_midi`), ``.wav`` (rendered audio, :meth:`save_wav`; ``options``:
        ``sample_rate``, ``soundfont``, ``backend``) or ``.png`` (piano roll, :meth:`save_png`;
        ``options``: ``scale``)."""
        suffix = Path(path).suffix.lower()
        writers = {".mid": self.save_midi, ".midi": self.save_midi, ".wav": self.save_wav, ".png": self.save_png}
        if suffix not in writers:
            raise EmogenError(f"cannot save a piece as '{path}'; accepted suffixes: .mid, .midi, .wav, .png")
        return writers[suffix](path, **options)

    def save_midi(self, path: str | os.PathLike) -> Path:
        with atomic_path(path) as tmp:
            self.midi.write(str(tmp))
        return Path(path)

    def render_audio(self, sample_rate: int = 44100, soundfont=None, backend: str = "auto") -> np.ndarray:
        """(samples,) float32 mono audio at ``sample_rate`` Hz (General MIDI piano, see ``render``)."""
        from .synth import render_audio

        return render_audio(self.midi, sample_rate, soundfont, backend)

    def save_wav(self, path: str | os.PathLike, sample_rate: int = 44100, soundfont=None,
                 backend: str = "auto") -> Path:
        from .synth import save_wav

        return save_wav(self.render_audio(sample_rate, soundfont, backend), path, sample_rate)

    def save_png(self, path: str | os.PathLike, scale: int = 4) -> Path:
        """A piano-roll picture: time left to right, pitch bottom to top, brightness = velocity,
        onsets marked darker, bar lines grey."""
        from PIL import Image

        image = piano_roll_image(self.midi, self.roll.steps, self.roll.steps_per_bar)
        image = np.repeat(np.repeat(image, scale, axis=0), scale, axis=1)
        with atomic_path(path) as tmp:
            Image.fromarray(image).save(str(tmp), format="PNG")
        return Path(path)


def piano_roll_image(midi, steps: int, steps_per_bar: int) -> np.ndarray:
    """(pitches, steps, 3) uint8 RGB picture of the notes (after any transposition), on the grid
    of the MIDI's own tempo marks (a performed note may start between steps)."""
    ticks_per_step = midi.resolution / rep.STEPS_PER_BEAT
    notes = [n for inst in midi.instruments for n in inst.notes]
    low = min([rep.LOW_PITCH] + [n.pitch for n in notes])
    high = max([rep.HIGH_PITCH] + [n.pitch for n in notes])
    image = np.full((high - low + 1, steps, 3), 250, np.uint8)
    image[:, ::steps_per_bar] = 200
    for n in notes:
        row = high - n.pitch
        start = min(steps - 1, int(round(midi.time_to_tick(n.start) / ticks_per_step)))
        end = max(start + 1, int(round(midi.time_to_tick(n.end) / ticks_per_step)))
        shade = int(200 - 1.4 * n.velocity)
        image[row, start:end] = (shade, shade + 20, 235)
        image[row, start] = (20, 20, 120)
    return image


def key_shift(found, tonic: int, mode: str | None) -> int:
    """Semitones (-6..+5) that move a piece in key ``found`` to ``tonic``; when the requested mode
    differs from the piece's, to the requested key's relative key (the emotion keeps its mode)."""
    target = tonic
    if mode is not None and mode != found.mode:
        target = tonic + 3 if found.mode == "major" else tonic - 3
    return (target - found.tonic + 6) % 12 - 6


def fold_pitch(pitch: int) -> int:
    """Keep a transposed pitch on the 88 piano keys (21-108) by octaves."""
    while pitch < 21:
        pitch += 12
    while pitch > 108:
        pitch -= 12
    return pitch
