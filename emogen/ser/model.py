"""The speech-emotion classifier's network: relative acoustic features -> emotion logits
(``pipeline.SERPipeline`` computes the features from audio)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from ..core.checkpoint import PretrainedModel
from ..errors import EmogenError
from ..speech.cues import FEATURE_NAMES

SER_EMOTIONS = ("happy", "sad", "angry", "fearful")


@dataclass
class SERModelConfig:
    n_features: int = len(FEATURE_NAMES)
    """the acoustic cues (``FEATURE_NAMES``), then the encoder's features if one is named"""
    encoder: str = ""
    """a pretrained speech encoder whose features follow the cues (``emogen.ser.encoder.ENCODERS``);
    "" for the cues alone"""
    hidden: int = 0
    """0: linear (logistic regression); > 0: one hidden layer"""
    dropout: float = 0.2
    emotions: list[str] = field(default_factory=lambda: list(SER_EMOTIONS))
    feature_mean: list[float] = field(default_factory=list)
    feature_std: list[float] = field(default_factory=list)


class SERModel(PretrainedModel):
    """Relative features (b, n_features) -> logits (b, emotions)."""

    model_type = "ser_mlp"
    config_class = SERModelConfig

    def __init__(self, config: SERModelConfig):
        super().__init__(config)
        n = config.n_features
        self.register_buffer("mean", torch.tensor(config.feature_mean or [0.0] * n))
        self.register_buffer("std", torch.tensor(config.feature_std or [1.0] * n).clamp_min(1e-6))
        k = len(config.emotions)
        # hidden=0: multinomial logistic regression, which generalises best to unseen speakers here
        self.net = (nn.Linear(n, k) if config.hidden == 0 else
                    nn.Sequential(nn.Linear(n, config.hidden), nn.GELU(), nn.Dropout(config.dropout),
                                  nn.Linear(config.hidden, k)))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.net((features - self.mean) / self.std)

    @torch.no_grad()
    def probabilities(self, features: np.ndarray) -> list[dict[str, float]]:
        """Emotion probabilities of relative features (n_features,) or (b, n_features)."""
        features = np.atleast_2d(features)
        if features.shape[-1] != self.config.n_features:
            raise EmogenError(f"this speech-emotion checkpoint takes {self.config.n_features} features but emogen "
                              f"computes {features.shape[-1]}; retrain it: emogen train ser --config "
                              "configs/ser/ser-ravdess.yaml")
        probs = self(torch.as_tensor(features, dtype=self.mean.dtype, device=self.mean.device)).softmax(-1)
        probs = probs.float().cpu().numpy()
        return [{e: float(p) for e, p in zip(self.config.emotions, row)} for row in probs]
