"""The generic emotion-conditioned flow model: the shared emotion encoder plus a configurable
backbone. Generators with richer conditioning (text, audio) compose the same two parts.

The network returns velocities; :func:`sample` draws from it with the shared sampler
(``FlowSampler``), as the media pipelines do for their own models."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import torch

from ..emotion import EmotionBatch, EmotionEncoder, EmotionEncoderConfig
from .backbones import BACKBONES
from .checkpoint import PretrainedModel
from .config import from_dict
from .flow import FlowSampler, Guidance, flow_matching_loss


@dataclass
class EmotionFlowConfig:
    emotion: EmotionEncoderConfig = field(default_factory=EmotionEncoderConfig)
    backbone: Literal["mlp", "sequence", "unet2d"] = "mlp"
    backbone_config: dict = field(default_factory=dict)
    """fields of the chosen backbone's config (MLPConfig, SequenceConfig, UNet2DConfig);
    ``emotion_dim`` is taken from ``emotion.dim``"""
    time_scheme: Literal["uniform", "logit_normal"] = "logit_normal"


class EmotionFlowModel(PretrainedModel):
    """Flow matching over tensors of a fixed shape, conditioned on the shared emotion vector."""

    model_type = "emotion_flow"
    config_class = EmotionFlowConfig

    def __init__(self, config: EmotionFlowConfig):
        super().__init__(config)
        backbone_cls, backbone_config_cls = BACKBONES[config.backbone]
        backbone_config = from_dict(backbone_config_cls, {**config.backbone_config, "emotion_dim": config.emotion.dim},
                                    "backbone_config")
        self.emotion_encoder = EmotionEncoder(config.emotion)
        self.backbone = backbone_cls(backbone_config)

    def forward(self, x: torch.Tensor, t: torch.Tensor, emotion: torch.Tensor, **context) -> torch.Tensor:
        """Velocity at ``x`` (b, ...) and time ``t`` (b,) for emotion vectors (b, d)."""
        return self.backbone(x, t, emotion, **context)

    def loss(self, x1: torch.Tensor, emotion: EmotionBatch, generator: torch.Generator | None = None,
             **context) -> torch.Tensor:
        """Training loss: emotion dropout (null for guidance, category for VAD-only), then flow matching."""
        cfg = self.config.emotion
        vectors = self.emotion_encoder(emotion.dropped(cfg.null_dropout, cfg.category_dropout, generator).to(x1.device))
        return flow_matching_loss(self, x1, vectors, time_scheme=self.config.time_scheme, generator=generator, **context)


@torch.no_grad()
def sample(model: EmotionFlowModel, emotion: EmotionBatch, shape: tuple[int, ...], steps: int = 16,
           guidance_scale: float = 1.0, negative: EmotionBatch | None = None, negative_scale: float = 1.0,
           generator: torch.Generator | None = None, **context) -> torch.Tensor:
    """Sample ``len(emotion)`` tensors of ``shape`` (without the batch dimension) from ``model``."""
    device = next(model.parameters()).device
    vectors = model.emotion_encoder(emotion.to(device))
    guidance = Guidance(guidance_scale, model.emotion_encoder.null_embedding,
                        [] if negative is None else [(model.emotion_encoder(negative.to(device)), negative_scale)])
    noise = torch.randn((len(emotion), *shape), generator=generator).to(device)
    return FlowSampler(steps).sample(model, noise, vectors, guidance, **context)
