"""The face-motion model: flow matching over per-frame motion coefficients (emogen.face.motion),
conditioned on the shared emotion vector (per frame, so trajectories work) and on frame-aligned
audio features (emogen.face.data.audio_features).

Long clips are generated in overlapping windows; each window's first frames are held to the end of
the previous one (the core sampler's inpainting), so motion runs on without seams. When the mouth is
known (text input: visemes from the TTS phone timings) those channels are held too and the model
fills in expression, head motion and blinks around them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from ..core.backbones.sequence import SequenceBackbone, SequenceConfig
from ..core.checkpoint import PretrainedModel
from ..core.config import from_dict
from ..core.flow import FlowSampler, Guidance, flow_matching_loss
from ..emotion import EmotionBatch, EmotionEncoder, EmotionEncoderConfig
from . import motion
from .data import AUDIO_DIM

# fixed standardisation of the coefficients (their rough training ranges), so that every channel
# is about unit scale for the flow
_MEAN = np.array([0.3, 0.12, 0.12] + [0.1] * len(motion.ACTION_UNITS) + [0.0, 0.15, 0.0] + [0.05], np.float32)
_STD = np.array([0.3, 0.15, 0.2] + [0.25] * len(motion.ACTION_UNITS) + [0.4, 0.4, 0.4] + [0.25], np.float32)
MOUTH_CHANNELS = slice(0, len(motion.MOUTH))


@dataclass
class FaceMotionConfig:
    emotion: EmotionEncoderConfig = field(default_factory=lambda: EmotionEncoderConfig(dim=64))
    backbone_config: dict = field(default_factory=dict)
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

    @torch.no_grad()
    def generate(self, emotion: EmotionBatch, audio: torch.Tensor, mouth: torch.Tensor | None = None,
                 steps: int = 10, guidance_scale: float = 1.0, negative: EmotionBatch | None = None,
                 negative_scale: float = 1.0, generator: torch.Generator | None = None,
                 progress: bool = False) -> torch.Tensor:
        """Motion coefficients (n, channels) for one clip.

        Args:
            emotion: n rows (one per frame); negative: n rows or None (steer away from it).
            audio: (n, AUDIO_DIM) features. mouth: (n, 3) known mouth coefficients or None.
        """
        device, dtype = self.mean.device, self.mean.dtype
        n = audio.shape[0]
        vectors = self.emotion_encoder(emotion.to(device))
        negatives = [] if negative is None else [(self.emotion_encoder(negative.to(device)), negative_scale)]
        channels = len(motion.CHANNELS)
        out = torch.zeros(channels, n, device=device, dtype=dtype)
        known_mouth = None
        if mouth is not None:
            m = self.mean[MOUTH_CHANNELS]
            known_mouth = (mouth.to(device).T - m) / self.std[MOUTH_CHANNELS]
        sampler = FlowSampler(steps)
        window, overlap = self.config.window, self.config.overlap
        start, held = 0, 0
        while True:
            end = min(start + window, n)
            values = torch.zeros(channels, end - start, device=device, dtype=dtype)
            known = torch.zeros_like(values)
            values[:, :held], known[:, :held] = out[:, start:start + held], 1.0
            if known_mouth is not None:
                values[MOUTH_CHANNELS], known[MOUTH_CHANNELS] = known_mouth[:, start:end], 1.0
            noise = torch.randn((1, channels, end - start), generator=generator).to(device, dtype)
            guidance = Guidance(guidance_scale, self.emotion_encoder.null_embedding,
                                [(v[start:end][None], s) for v, s in negatives])
            x = sampler.sample(self, noise, vectors[start:end][None], guidance,
                               known=(values[None], known[None]) if known.any() else None,
                               audio=audio[start:end][None].to(device))
            out[:, start:end] = x[0]
            if end == n:
                break
            start, held = end - overlap, overlap
        return self.denormalize(out[None])[0]
