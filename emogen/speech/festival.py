"""Debian's Festival with the CMU SLT HTS voice: the base voice of the TTS corpus, and the source
of the ``slt`` voice.

- :func:`render` builds training data (``emogen data build-tts-corpus``): one Festival process
  renders a batch of sentences and writes, per sentence, the waveform, the phone segments (end
  times) and the word end times.
- :class:`FestivalVoice` is the ``slt`` voice's natural source at run time (``voices.py``):
  Festival's neutral audio, which the emotion model's prosody then moves (``natural.py``).

    apt-get install festival festvox-us-slt-hts
"""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import tempfile
import threading
import weakref
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import EmogenError

VOICE = "voice_cmu_us_slt_arctic_hts"
INSTALL = "apt-get install festival festvox-us-slt-hts"
# The RMS a source's neutral audio is brought to before the natural stage: Piper's joe renders
# neutral Harvard sentences near it (0.05), and ``natural.BASE_GAIN`` leaves angry's +9 dB
# headroom from there. At Festival's own level (peaks near full scale, 11 dB hotter) angry's
# loudness ran into the peak limiter and the classifier read it as angry in 0.5-0.7 of 20 sentences
# against 0.8 at this level.
SOURCE_RMS = 0.05
_DONE = "emogen-festival-done"


@dataclass
class Rendering:
    """Festival's output for one sentence."""

    wav: Path
    phones: list[tuple[str, float]]  # (phone, end time in seconds), 'pau' for pauses
    words: list[tuple[str, float]]  # (word, end time in seconds)


def available() -> bool:
    return shutil.which("festival") is not None


def require() -> None:
    """An EmogenError naming the apt packages where Festival is not installed."""
    if not available():
        raise EmogenError(f"Festival is not installed; run: {INSTALL}")


def _scheme_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _read_marks(path: Path) -> list[tuple[str, float]]:
    """Festival's label files: a header ending with '#', then 'end_time colour label' lines."""
    marks, body = [], False
    for line in path.read_text().splitlines():
        if line.strip() == "#":
            body = True
            continue
        parts = line.split()
        if body and len(parts) >= 3:
            marks.append((parts[2], float(parts[0])))
    return marks


def render(sentences: list[str], out_dir: Path, prefix: str = "utt", start_index: int = 0,
           timeout_per_sentence: float = 20.0) -> list[Rendering]:
    """Render ``sentences`` (already normalised: words and punctuation only) into ``out_dir``."""
    require()
    out_dir.mkdir(parents=True, exist_ok=True)
    lines = [f"({VOICE})"]
    stems = []
    for i, text in enumerate(sentences):
        stem = out_dir / f"{prefix}{start_index + i:05d}"
        stems.append(stem)
        lines.append(
            f"(set! utt (SynthText {_scheme_string(text)}))"
            f'(utt.save.wave utt "{stem}.wav" \'riff)'
            f'(utt.save.segs utt "{stem}.segs")'
            f'(utt.save.words utt "{stem}.words")'
        )
    with tempfile.NamedTemporaryFile("w", suffix=".scm", delete=False) as f:
        f.write("\n".join(lines) + "\n")
        script = f.name
    try:
        subprocess.run(["festival", "-b", script], check=True, capture_output=True,
                       timeout=30 + timeout_per_sentence * len(sentences))
    except subprocess.CalledProcessError as e:
        raise EmogenError(f"Festival failed: {e.stderr.decode(errors='replace').strip()[-300:]}") from None
    finally:
        Path(script).unlink(missing_ok=True)
    out = []
    for stem in stems:
        if not Path(f"{stem}.wav").is_file():
            raise EmogenError(f"Festival wrote no audio for {stem.name}")
        out.append(Rendering(Path(f"{stem}.wav"), _read_marks(Path(f"{stem}.segs")), _read_marks(Path(f"{stem}.words"))))
    return out


class FestivalVoice:
    """Festival's SLT HTS voice as a natural source: text -> float32 samples at ``sample_rate``
    Hz, at :data:`SOURCE_RMS`. One Festival process in pipe mode serves every call: it starts in
    about 0.2 s, and then renders a sentence in about 0.04 s. Festival is a Debian program with no
    PyPI wheel; without it the constructor raises an EmogenError naming the apt packages.

    Thread-safe (one sentence at a time): the pipeline calls it from its side thread.
    """

    threads = 1  # Festival's HTS engine runs on one core (the pipeline's core sharing counts it)

    def __init__(self, voice: str = VOICE, sample_rate: int = 22050, timeout: float = 30.0):
        require()
        self.voice, self.sample_rate, self.timeout = voice, sample_rate, timeout
        self._dir = tempfile.TemporaryDirectory(prefix="emogen-festival-")
        self._lock = threading.Lock()
        self._process = subprocess.Popen(["festival", "--pipe"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=subprocess.DEVNULL)
        weakref.finalize(self, _stop, self._process)
        listed = " ".join(self._run("(print (voice.list))"))
        if voice.removeprefix("voice_") not in listed.replace("(", " ").replace(")", " ").split():
            _stop(self._process)
            raise EmogenError(f"Festival has no voice {voice}; run: {INSTALL}")
        self._run(f"({voice})")

    def _run(self, command: str) -> list[str]:
        """Send one Scheme command and wait until Festival has done it (it prints a marker after);
        returns the lines it printed before the marker."""
        process, out = self._process, b""
        try:
            process.stdin.write(f'{command}\n(print "{_DONE}")(fflush nil)\n'.encode())  # its stdout is block-buffered
            process.stdin.flush()
            while _DONE.encode() not in out:  # raw reads: a buffered reader would hide lines from select
                ready, _, _ = select.select([process.stdout], [], [], self.timeout)
                chunk = os.read(process.stdout.fileno(), 65536) if ready else None
                if not chunk:  # timed out, or Festival exited (end of its output)
                    raise OSError("no answer" if chunk is None else "it exited")
                out += chunk
        except OSError as e:
            _stop(process)
            raise EmogenError(f"Festival stopped working ({e}); check that `{INSTALL}` installed the voice "
                              f"{self.voice}") from None
        return out.decode(errors="replace").split(_DONE)[0].splitlines()

    def __call__(self, text: str) -> tuple[np.ndarray, int]:
        """(samples,) float32 at :data:`SOURCE_RMS`, and the sample rate (Hz)."""
        import librosa
        import soundfile as sf

        wav = Path(self._dir.name) / "sentence.wav"
        with self._lock:
            wav.unlink(missing_ok=True)
            self._run(f"(utt.save.wave (SynthText {_scheme_string(text)}) \"{wav}\" 'riff)")
            if not wav.is_file():
                raise EmogenError(f"Festival wrote no audio for: {text[:60]}")
            audio, sr = sf.read(wav, dtype="float32")
        if sr != self.sample_rate:
            audio = librosa.resample(audio, orig_sr=sr, target_sr=self.sample_rate)  # soxr_hq, as soxr's HQ
        rms = float(np.sqrt(np.mean(np.square(audio)))) if audio.size else 0.0
        if rms < 1e-6:
            raise EmogenError(f"Festival rendered silence for: {text[:60]}")
        return (audio * (SOURCE_RMS / rms)).astype(np.float32), self.sample_rate


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.kill()
        process.wait()
