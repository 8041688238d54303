"""MIDI to audio offline with a General MIDI soundfont.

The default soundfont is ``TimGM6mb.sf2``, which ships inside pretty_midi. The synthesiser is
tinysoundfont (a Python wheel with no system library; install with ``pip install --no-deps
tinysoundfont``, its declared pyaudio dependency is only for live playback), or FluidSynth
through pretty_midi where the ``fluidsynth`` library and pyfluidsynth are installed.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..errors import EmogenError

BACKENDS = ("auto", "tinysoundfont", "fluidsynth")


def default_soundfont() -> Path:
    import pretty_midi

    return Path(pretty_midi.__file__).parent / "TimGM6mb.sf2"


def render_audio(midi, sample_rate: int = 44100, soundfont: str | os.PathLike | None = None,
                 backend: str = "auto", tail: float = 1.0) -> np.ndarray:
    """Render a ``PrettyMIDI`` to audio.

    Args:
        sample_rate: Hz.
        soundfont: an .sf2 file (default: pretty_midi's TimGM6mb.sf2).
        backend: 'tinysoundfont', 'fluidsynth', or 'auto' (tinysoundfont, else fluidsynth).
        tail: seconds of release kept after the last note.
    Returns:
        (samples,) float32 mono in [-1, 1].
    """
    if backend not in BACKENDS:
        raise EmogenError(f"unknown audio backend '{backend}'; accepted: {', '.join(BACKENDS)}")
    soundfont = Path(soundfont) if soundfont else default_soundfont()
    if not soundfont.is_file():
        raise EmogenError(f"soundfont '{soundfont}' not found; give an .sf2 file")
    if backend in ("auto", "tinysoundfont"):
        try:
            import tinysoundfont  # noqa: F401
        except ImportError:
            if backend == "tinysoundfont":
                raise EmogenError("audio rendering needs tinysoundfont: pip install --no-deps tinysoundfont") from None
        else:
            return _normalise(_render_tinysoundfont(midi, sample_rate, soundfont, tail))
    try:
        audio = midi.fluidsynth(fs=sample_rate, sf2_path=str(soundfont))
    except (ImportError, OSError, AttributeError) as e:
        raise EmogenError("audio rendering needs tinysoundfont (pip install --no-deps tinysoundfont) or "
                          f"FluidSynth with pyfluidsynth ({e})") from None
    return _normalise(np.asarray(audio, dtype=np.float32))


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


def _normalise(audio: np.ndarray, peak: float = 0.9) -> np.ndarray:
    """Scale the whole piece down so its peak is at most ``peak`` (a synthesiser's level has no
    emotional meaning to keep, unlike speech's: see ``emogen.audio``); NaN is an error."""
    from ..audio import check_finite

    audio = check_finite(audio.astype(np.float32), "the rendered music")
    top = float(np.abs(audio).max()) if audio.size else 0.0
    return audio * (peak / top) if top > peak else audio


def save_wav(audio: np.ndarray, path: str | os.PathLike, sample_rate: int) -> Path:
    """Write mono float audio as 16-bit WAV, atomically (``emogen.io.write_audio``)."""
    from ..io import write_audio

    return write_audio(path, audio, sample_rate, "WAV")
