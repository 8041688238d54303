"""What ``TTSPipeline`` returns: the speech (audio + sample rate) and, per sentence, its phone timings."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np

from ..emotion import Emotion
from ..errors import EmogenError
from .. import io
from ..io import check_writable

SENTENCE_GAP_S = 0.25  # silence between sentences, seconds
AUDIO_FORMATS = {"wav": "PCM_16", "flac": "PCM_16", "ogg": "VORBIS"}  # format -> soundfile subtype


@dataclass
class SentenceAudio:
    """One synthesised sentence: audio, its emotion, and phone timings (for lip sync)."""

    text: str
    audio: np.ndarray  # (samples,) float32 at the pipeline's sample rate
    phones: list[str]
    phone_frames: np.ndarray  # (phones,) frames per phone (10 ms each)
    start_s: float  # where it starts in the whole utterance, seconds
    emotion: Emotion | None = None  # what it was spoken with (tags and 'auto' vary it by sentence)


@dataclass
class SpeechResult:
    """Synthesised speech.

    Attributes:
        audio: (samples,) float32 mono in [-1, 1].
        sample_rate: Hz.
        sentences: each sentence's text, audio, phones, phone durations, start time and emotion.

    It unpacks like the ``(audio, sample_rate)`` pair the pipeline used to return, so
    ``audio, sr = tts("Hello there.")`` still works.
    """

    audio: np.ndarray
    sample_rate: int
    sentences: list[SentenceAudio] = field(default_factory=list)

    @classmethod
    def join(cls, sentences: list[SentenceAudio], sample_rate: int) -> "SpeechResult":
        """The sentences one after another, ``SENTENCE_GAP_S`` of silence between them."""
        audio = join_sentences([s.audio for s in sentences], sample_rate)
        return cls(audio.astype(np.float32, copy=False), int(sample_rate), list(sentences))

    def __iter__(self) -> Iterator:
        """``audio, sample_rate = result`` (the pipeline's return value before results existed)."""
        return iter((self.audio, self.sample_rate))

    @property
    def duration(self) -> float:
        """Seconds."""
        return len(self.audio) / self.sample_rate

    def save(self, path: str | os.PathLike, sample_rate: int | None = None, format: str | None = None) -> Path:
        """Write the audio to ``path`` atomically: WAV or FLAC (16-bit) or OGG Vorbis, chosen by
        ``format`` or the file's suffix; ``sample_rate`` (Hz) resamples it first."""
        return write_audio(path, self.audio, self.sample_rate, sample_rate, format)


def audio_format(path: str | os.PathLike, format: str | None = None) -> str:
    """The audio format for ``path`` ('wav', 'flac' or 'ogg'): ``format`` or the suffix, checked."""
    fmt = (format or Path(path).suffix.lstrip(".")).lower()
    if fmt not in AUDIO_FORMATS:
        raise EmogenError(f"unknown audio format '{fmt}' for '{path}'; accepted: {', '.join(sorted(AUDIO_FORMATS))}")
    return fmt


def write_audio(path: str | os.PathLike, audio: np.ndarray, sample_rate: int, target_rate: int | None = None,
                format: str | None = None) -> Path:
    """Write (samples,) float audio at ``sample_rate`` Hz to ``path`` atomically, clipped to [-1, 1];
    ``target_rate`` resamples it (librosa) first."""
    fmt = audio_format(path, format)
    check_writable(path)
    audio = np.asarray(audio, np.float32)
    if target_rate and target_rate != sample_rate:
        if not 8000 <= target_rate <= 96000:
            raise EmogenError(f"sample rate {target_rate} is out of range; accepted: 8000 to 96000 Hz")
        import librosa

        audio, sample_rate = librosa.resample(audio, orig_sr=sample_rate, target_sr=target_rate), target_rate
    # emogen.io's writer refuses NaN audio, devices and FIFOs, and cleans up on a full disk
    return io.write_audio(path, np.clip(audio, -1.0, 1.0), int(sample_rate), fmt.upper(), AUDIO_FORMATS[fmt])


def join_sentences(audio: list[np.ndarray], sample_rate: int) -> np.ndarray:
    """Sentences' float32 audio (e.g. ``SentenceAudio.audio`` of :meth:`TTSPipeline.stream`) as one
    track, ``SENTENCE_GAP_S`` of silence between them: what ``SpeechResult.join`` holds."""
    gap = np.zeros(int(SENTENCE_GAP_S * sample_rate), dtype=np.float32)
    return np.concatenate([x for part in audio for x in (part, gap)][:-1])
