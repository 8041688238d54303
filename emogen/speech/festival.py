"""The base voice of the TTS corpus: Debian's Festival with the CMU SLT HTS voice.

Festival is used only to build training data (``emogen data build-tts-corpus``), never at run
time. One Festival process renders a batch of sentences and writes, per sentence, the waveform,
the phone segments (end times) and the word end times.

    apt-get install festival festvox-us-slt-hts
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import EmogenError

VOICE = "voice_cmu_us_slt_arctic_hts"


@dataclass
class Rendering:
    """Festival's output for one sentence."""

    wav: Path
    phones: list[tuple[str, float]]  # (phone, end time in seconds), 'pau' for pauses
    words: list[tuple[str, float]]  # (word, end time in seconds)


def available() -> bool:
    return shutil.which("festival") is not None


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
    if not available():
        raise EmogenError("Festival is not installed; run: apt-get install festival festvox-us-slt-hts")
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
