"""Intelligibility: word error rate of speech as heard by an offline recogniser.

pocketsphinx ships an English acoustic model, language model and dictionary in its wheel, so
intelligibility is measured with no download. Its absolute WER is high even for natural speech;
compare systems on the same sentences (Festival's SLT voice is the reference here).
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np

ASR_RATE = 16000


@lru_cache(maxsize=1)
def _decoder():
    from pocketsphinx import Decoder

    return Decoder(samprate=ASR_RATE, loglevel="FATAL")


def transcribe(audio: np.ndarray, sr: int) -> str:
    """pocketsphinx's best hypothesis for mono float audio."""
    import librosa

    x = np.asarray(audio, dtype=np.float32)
    if sr != ASR_RATE:
        x = librosa.resample(x, orig_sr=sr, target_sr=ASR_RATE)
    peak = float(np.max(np.abs(x))) or 1.0
    pcm = (np.clip(x / peak * 0.9, -1, 1) * 32767).astype(np.int16).tobytes()
    decoder = _decoder()
    decoder.start_utt()
    decoder.process_raw(pcm, full_utt=True)
    decoder.end_utt()
    hyp = decoder.hyp()
    return hyp.hypstr if hyp is not None else ""


def words(text: str) -> list[str]:
    return re.sub(r"[^a-z' ]+", " ", text.lower()).split()


def word_errors(reference: str, hypothesis: str) -> tuple[int, int]:
    """(edit distance in words, reference length)."""
    ref, hyp = words(reference), words(hypothesis)
    d = np.arange(len(hyp) + 1)
    for i, r in enumerate(ref, 1):
        prev, d = d, np.empty_like(d)
        d[0] = i
        for j, h in enumerate(hyp, 1):
            d[j] = min(prev[j] + 1, d[j - 1] + 1, prev[j - 1] + (r != h))
    return int(d[-1]), len(ref)


def wer(references: list[str], hypotheses: list[str]) -> float:
    """Corpus word error rate: total edits / total reference words."""
    errors = [word_errors(r, h) for r, h in zip(references, hypotheses)]
    return sum(e for e, _ in errors) / max(1, sum(n for _, n in errors))
