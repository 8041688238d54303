"""A residual MLP velocity network for fixed-size vectors (toy data, per-frame features)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .common import ConditionEmbedding


@dataclass
class MLPConfig:
    dim: int = 2
    """size of the vectors generated"""
    hidden: int = 128
    layers: int = 3
    emotion_dim: int = 128
    dropout: float = 0.0


class FiLMBlock(nn.Module):
    def __init__(self, hidden: int, dropout: float):
        super().__init__()
        self.norm = nn.LayerNorm(hidden, elementwise_affine=False)
        self.film = nn.Linear(hidden, 2 * hidden)
        self.ff = nn.Sequential(nn.Linear(hidden, hidden), nn.SiLU(), nn.Dropout(dropout), nn.Linear(hidden, hidden))

    def forward(self, h: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        scale, shift = self.film(cond).chunk(2, dim=-1)
        return h + self.ff(self.norm(h) * (1 + scale) + shift)


class MLPBackbone(nn.Module):
    """velocity(x (b, dim), t (b,), emotion (b, e)) -> (b, dim), FiLM-conditioned."""

    def __init__(self, config: MLPConfig):
        super().__init__()
        self.config = config
        self.cond = ConditionEmbedding(config.emotion_dim, config.hidden)
        self.proj_in = nn.Linear(config.dim, config.hidden)
        self.blocks = nn.ModuleList(FiLMBlock(config.hidden, config.dropout) for _ in range(config.layers))
        self.proj_out = nn.Sequential(nn.LayerNorm(config.hidden), nn.Linear(config.hidden, config.dim))

    def forward(self, x: torch.Tensor, t: torch.Tensor, emotion: torch.Tensor) -> torch.Tensor:
        cond = self.cond(t, emotion)
        h = self.proj_in(x)
        for block in self.blocks:
            h = block(h, cond)
        return self.proj_out(h)
