"""Pieces every backbone uses: a sinusoidal time embedding and the conditioning MLP."""

from __future__ import annotations

import math

import torch
from torch import nn


def timestep_embedding(t: torch.Tensor, dim: int, max_period: float = 10000.0) -> torch.Tensor:
    """(b,) times in [0, 1] -> (b, dim) sinusoidal features (scaled by 1000 like diffusion steps)."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, device=t.device, dtype=torch.float32) / half)
    args = 1000.0 * t.float()[:, None] * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


class ConditionEmbedding(nn.Module):
    """Time and emotion into one conditioning vector per example, or per frame.

    Args (forward):
        t: (b,) flow time.
        emotion: (b, e) or (b, n, e) emotion vectors (per frame when the emotion changes over time).
    Returns: (b, h) or (b, n, h).
    """

    def __init__(self, emotion_dim: int, hidden: int, time_features: int = 128):
        super().__init__()
        self.time_features = time_features
        self.time = nn.Sequential(nn.Linear(time_features, hidden), nn.SiLU(), nn.Linear(hidden, hidden))
        self.emotion = nn.Sequential(nn.Linear(emotion_dim, hidden), nn.SiLU(), nn.Linear(hidden, hidden))

    def forward(self, t: torch.Tensor, emotion: torch.Tensor) -> torch.Tensor:
        time = self.time(timestep_embedding(t, self.time_features).to(emotion.dtype))
        if emotion.ndim == 3:
            time = time[:, None, :]
        return time + self.emotion(emotion)
