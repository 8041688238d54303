"""The face-motion model: flow matching over per-frame motion coefficients (emogen.face.motion),
conditioned on the shared emotion vector (per frame, so trajectories work) and on frame-aligned
audio features (emogen.face.features.audio_features). The network returns velocities; sampling
(:func:`emogen.face.pipeline.sample_motion`) runs the shared sampler over it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from ..core.backbones.sequence import SequenceBackbone, SequenceConfig
from ..core.checkpoint import PretrainedModel
from ..core.config import from_dict
from ..core.flow import flow_matching_loss
from ..emotion import EmotionBatch, EmotionEncoder, EmotionEncoderConfig
from . import motion
from .features import AUDIO_DIM

# fixed standardisation of the coefficients (their rough training ranges), so that every channel
# is about unit scale for the flow
_MEAN = np.array([0.3, 0.12, 0.12] + [0.1] * len(motion.ACTION_UNITS) + [0.0, 0.15, 0.0] + [0.05], np.float32)
_STD = np.array([0.3, 0.15, 0.2] + [0.25] * len(motion.ACTION_UNITS) + [0.4, 0.4, 0.4] + [0.25], np.float32)
MOUTH_CHANNELS = slice(0, len(motion.MOUTH))


@dataclass
class FaceMotionConfig:
    emotion: EmotionEncoderConfig = field(default_factory=lambda: EmotionEncoderConfig(dim=64, category_dropout=0.3))
    backbone_config: dict = field(default_factory=lambda: dict(hidden=128, layers=4, heads=4, conv_kernel=9))
    """SequenceConfig fields (hidden, layers, heads, conv_kernel, ...); channels are set here"""
    audio_channels: int = 64
    """audio features are projected to this many context channels"""
    window: int = 100
    """frames per generated window (4 s at 25 fps), as in training"""
    overlap: int = 20
    """frames each window shares with the previous one"""
    time_scheme: str = "logit_normal"


class FaceMotionModel(PretrainedModel):
    model_type = "face_motion"
    config_class = FaceMotionConfig

    def __init__(self, config: FaceMotionConfig):
        super().__init__(config)
        channels = len(motion.CHANNELS)
        backbone = from_dict(SequenceConfig, {**config.backbone_config, "in_channels": channels,
                                              "out_channels": channels, "context_channels": config.audio_channels,
                                              "emotion_dim": config.emotion.dim}, "backbone_config")
        self.emotion_encoder = EmotionEncoder(config.emotion)
        self.audio_proj = nn.Sequential(nn.Linear(AUDIO_DIM, config.audio_channels), nn.SiLU(),
                                        nn.Linear(config.audio_channels, config.audio_channels))
        self.backbone = SequenceBackbone(backbone)
        self.register_buffer("mean", torch.from_numpy(_MEAN)[:, None])
        self.register_buffer("std", torch.from_numpy(_STD)[:, None])
        # the mean neutral -> smiling landmark displacement measured on real faces (motion.measure_smile)
        self.register_buffer("smile", torch.zeros(478, 2))

    def normalize(self, coefficients: torch.Tensor) -> torch.Tensor:
        """(b, n, channels) coefficients -> (b, channels, n) standardised."""
        return (coefficients.transpose(1, 2) - self.mean) / self.std

    def denormalize(self, x: torch.Tensor) -> torch.Tensor:
        return (x * self.std + self.mean).transpose(1, 2)

    def forward(self, x, t, emotion, audio, frame_mask=None):
        """Velocity for x (b, channels, n) at t (b,), emotion (b, n, d), audio (b, n, AUDIO_DIM),
        frame_mask (b, n) True on real frames."""
        context = self.audio_proj(audio.to(x.dtype)).transpose(1, 2)
        return self.backbone(x, t, emotion, context=context, mask=frame_mask)

    def loss(self, coefficients, emotion: EmotionBatch, audio, mask, generator=None):
        cfg = self.config.emotion
        vectors = self.emotion_encoder(emotion.dropped(cfg.null_dropout, cfg.category_dropout, generator)
                                       .to(coefficients.device))
        return flow_matching_loss(self, self.normalize(coefficients), vectors, mask=mask[:, None, :],
                                  time_scheme=self.config.time_scheme, generator=generator, audio=audio,
                                  frame_mask=mask)
