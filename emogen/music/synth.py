"""MIDI to audio offline.

The SoundFont renderer is tinysoundfont with the General MIDI soundfont ``TimGM6mb.sf2`` that ships
inside pretty_midi (or FluidSynth through pretty_midi where the ``fluidsynth`` library and
pyfluidsynth are installed). tinysoundfont is optional: its wheel needs no system library, but it
declares pyaudio (live playback only, which does not build without PortAudio's headers), so it is
installed apart with ``pip install --no-deps tinysoundfont``. Without either, audio comes from
pretty_midi's additive synthesis (``sine``: each note a sine at its pitch, drums left out), so a
one-step install still renders every piece at the right pitches and length, with a note saying so.

Why not symusic's SoundFont synthesizer (a wheel with no such dependency): with TimGM6mb it plays
piano and guitar notes 20 semitones sharp and bass an octave low (symusic 0.5.9, its issue #55),
and 0.6.0's ``render`` cannot return its buffer; its built-in soundfonts download at run time.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np

from ..errors import EmogenError

BACKENDS = ("auto", "tinysoundfont", "fluidsynth", "sine")
INSTALL_HINT = "pip install --no-deps tinysoundfont"


def default_soundfont() -> Path:
    import pretty_midi

    return Path(pretty_midi.__file__).parent / "TimGM6mb.sf2"


def render_audio(midi, sample_rate: int = 44100, soundfont: str | os.PathLike | None = None,
                 backend: str = "auto", tail: float = 1.0) -> np.ndarray:
    """Render a ``PrettyMIDI`` to audio.

    Args:
        sample_rate: Hz.
        soundfont: an .sf2 file (default: pretty_midi's TimGM6mb.sf2).
        backend: 'tinysoundfont', 'fluidsynth', 'sine', or 'auto' (the first of tinysoundfont,
            FluidSynth and sine that is installed; sine with a warning).
        tail: seconds of release kept after the last note.
    Returns:
        (samples,) float32 mono in [-1, 1], ``tail`` seconds longer than the piece.
    """
    if backend not in BACKENDS:
        raise EmogenError(f"unknown audio backend '{backend}'; accepted: {', '.join(BACKENDS)}")
    if backend == "sine":
        return _render_sine(midi, sample_rate, tail)
    soundfont = Path(soundfont) if soundfont else default_soundfont()
    if not soundfont.is_file():
        raise EmogenError(f"soundfont '{soundfont}' not found; give an .sf2 file")
    if backend in ("auto", "tinysoundfont"):
        try:
            import tinysoundfont  # noqa: F401
        except ImportError:
            if backend == "tinysoundfont":
                raise EmogenError(f"audio backend tinysoundfont is not installed: {INSTALL_HINT}") from None
        else:
            return _normalise(_render_tinysoundfont(midi, sample_rate, soundfont, tail))
    try:
        audio = midi.fluidsynth(fs=sample_rate, sf2_path=str(soundfont))
    except (ImportError, OSError, AttributeError) as e:
        if backend == "fluidsynth":
            raise EmogenError(f"audio backend fluidsynth needs the FluidSynth library and pyfluidsynth ({e})") from None
        warnings.warn(f"no SoundFont synthesizer is installed, so the audio is plain sine tones; for instruments: "
                      f"{INSTALL_HINT}", stacklevel=2)
        return _render_sine(midi, sample_rate, tail)
    return _normalise(np.asarray(audio, dtype=np.float32))


def _render_sine(midi, sample_rate: int, tail: float) -> np.ndarray:
    """pretty_midi's additive synthesis (a sine per note, drums silent), padded to the piece's end
    plus ``tail`` seconds like the SoundFont renderers."""
    audio = np.asarray(midi.synthesize(fs=sample_rate), dtype=np.float32)
    length = int(round((midi.get_end_time() + tail) * sample_rate))
    audio = np.pad(audio[:length], (0, max(0, length - len(audio))))
    return _normalise(audio, peak=0.5, always=True)  # sines at full scale are harsh


def _render_tinysoundfont(midi, sample_rate: int, soundfont: Path, tail: float) -> np.ndarray:
    import tinysoundfont

    synth = tinysoundfont.Synth(samplerate=sample_rate, gain=-6.0)
    sfid = synth.sfload(str(soundfont))
    events = []  # (time s, order, kind, channel, a, b): note-offs sort before note-ons at a tie
    melodic = iter([c for c in range(16) if c != 9] * 8)  # channel 10 (index 9) is General MIDI's drums
    for inst in midi.instruments:
        chan = 9 if inst.is_drum else next(melodic)
        synth.program_select(chan, sfid, 128 if inst.is_drum else 0, 0 if inst.is_drum else inst.program,
                             is_drums=inst.is_drum)
        for n in inst.notes:
            events.append((n.start, 1, "on", chan, n.pitch, n.velocity))
            events.append((n.end, 0, "off", chan, n.pitch, 0))
        for cc in inst.control_changes:
            events.append((cc.time, 0, "cc", chan, cc.number, cc.value))
    events.sort(key=lambda e: (e[0], e[1]))
    end = (events[-1][0] if events else 0.0) + tail
    out = np.zeros((int(round(end * sample_rate)), 2), np.float32)
    pos = 0
    for time, _, kind, chan, a, b in events:
        target = min(len(out), int(round(time * sample_rate)))
        if target > pos:
            out[pos:target] = np.frombuffer(synth.generate_simple(target - pos), np.float32).reshape(-1, 2)
            pos = target
        if kind == "on":
            synth.noteon(chan, a, b)
        elif kind == "off":
            synth.noteoff(chan, a)
        else:
            synth.control_change(chan, a, b)
    if len(out) > pos:
        out[pos:] = np.frombuffer(synth.generate_simple(len(out) - pos), np.float32).reshape(-1, 2)
    return out.mean(axis=1)


def _normalise(audio: np.ndarray, peak: float = 0.9, always: bool = False) -> np.ndarray:
    """Scale the whole piece down so its peak is at most ``peak`` (or to ``peak`` exactly with
    ``always``; a synthesiser's level has no emotional meaning to keep, unlike speech's: see
    ``emogen.audio``); NaN is an error."""
    from ..audio import check_finite

    audio = check_finite(audio.astype(np.float32), "the rendered music")
    top = float(np.abs(audio).max()) if audio.size else 0.0
    return audio * (peak / top) if top > peak or (always and top > 0) else audio


def save_wav(audio: np.ndarray, path: str | os.PathLike, sample_rate: int) -> Path:
    """Write mono float audio as 16-bit WAV, atomically (``emogen.io.write_audio``)."""
    from ..io import write_audio

    return write_audio(path, audio, sample_rate, "WAV")
