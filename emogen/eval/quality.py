"""Speech quality as listeners would rate it: DNSMOS (Reddy et al. 2022), offline.

The ``speechmos`` wheel ships Microsoft's DNSMOS ONNX models: P.808 (a predictor of
crowd-sourced ITU-T P.808 absolute category ratings) and the P.835 heads (signal, background,
overall). Both take 16 kHz audio in 9.01 s windows; speechmos repeats shorter clips to fill one.
A measure only, never a training loss: a model optimised against it learns its blind spots.
"""

from __future__ import annotations

import numpy as np

from .asr import ASR_RATE, INSTALL_HINT, MissingJudge, to_asr_rate


def dnsmos(audio: np.ndarray, sr: int) -> dict[str, float]:
    """DNSMOS of one mono utterance (float samples, any rate): ``p808`` and the P.835 ``ovrl``,
    ``sig``, ``bak`` mean opinion scores (1-5, higher = better).

    Raises :class:`~emogen.eval.asr.MissingJudge` when ``speechmos`` (or its ``onnxruntime``) is
    not installed."""
    try:
        from speechmos import dnsmos as _dnsmos
    except ImportError as e:
        raise MissingJudge(f"DNSMOS needs the 'speechmos' package and onnxruntime ({e}); {INSTALL_HINT}") from None
    x = np.clip(to_asr_rate(audio, sr), -1.0, 1.0)  # speechmos refuses samples outside [-1, 1]
    scores = _dnsmos.run(x, sr=ASR_RATE)
    return {"p808": float(scores["p808_mos"]), "ovrl": float(scores["ovrl_mos"]),
            "sig": float(scores["sig_mos"]), "bak": float(scores["bak_mos"])}
