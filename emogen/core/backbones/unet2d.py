"""A 2-D U-Net velocity network for image-like data (piano rolls, motion maps): diffusers' U-Net.

diffusers' ``UNet2DModel`` is used as is; emotion enters through its class-embedding path
(``class_embed_type="identity"``): our projection of the emotion vector is added to the time
embedding, which every ResNet block applies as scale and shift (``resnet_time_scale_shift=
"scale_shift"``), i.e. FiLM conditioning, with no fork of diffusers code.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn


@dataclass
class UNet2DConfig:
    in_channels: int = 2
    out_channels: int = 2
    block_out_channels: list[int] = field(default_factory=lambda: [32, 64, 128])
    layers_per_block: int = 1
    attention_levels: list[bool] = field(default_factory=lambda: [False, False, True])
    """self-attention at each resolution (costly at high resolution)"""
    norm_num_groups: int = 8
    emotion_dim: int = 128
    dropout: float = 0.0


class UNet2DBackbone(nn.Module):
    """velocity(x (b, c, height, width), t (b,), emotion (b, e)) -> (b, c, height, width).
    Height and width must be divisible by 2 ** (len(block_out_channels) - 1)."""

    def __init__(self, config: UNet2DConfig):
        super().__init__()
        if len(config.attention_levels) != len(config.block_out_channels):
            raise ValueError("attention_levels needs one entry per block_out_channels entry")
        self.config = config
        time_dim = 4 * config.block_out_channels[0]
        from diffusers import UNet2DModel  # here, not at import: diffusers' models take a second to import

        self.unet = UNet2DModel(
            in_channels=config.in_channels,
            out_channels=config.out_channels,
            block_out_channels=tuple(config.block_out_channels),
            layers_per_block=config.layers_per_block,
            down_block_types=tuple("AttnDownBlock2D" if a else "DownBlock2D" for a in config.attention_levels),
            up_block_types=tuple("AttnUpBlock2D" if a else "UpBlock2D" for a in reversed(config.attention_levels)),
            norm_num_groups=config.norm_num_groups,
            attention_head_dim=8,
            resnet_time_scale_shift="scale_shift",
            class_embed_type="identity",
            dropout=config.dropout,
        )
        self.emotion_proj = nn.Sequential(nn.Linear(config.emotion_dim, time_dim), nn.SiLU(),
                                          nn.Linear(time_dim, time_dim))

    def forward(self, x: torch.Tensor, t: torch.Tensor, emotion: torch.Tensor) -> torch.Tensor:
        if emotion.ndim == 3:  # per-column emotion: the U-Net takes one vector per image
            emotion = emotion.mean(dim=1)
        return self.unet(x, t * 1000.0, class_labels=self.emotion_proj(emotion)).sample
