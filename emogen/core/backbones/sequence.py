"""A 1-D transformer velocity network over sequences (mel frames, motion frames), DiT-style.

Shape legend: b = batch, c = channels, n = frames, h = hidden size.
Conditioning: time + emotion through adaptive layer norm with zero-initialised gates (DiT's
adaLN-Zero); the emotion may change per frame. Other per-frame conditioning (text encodings
expanded to frames, audio features) is concatenated to the input channels. Positions come from a
depthwise convolution, so any length works.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import nn

from .common import ConditionEmbedding


@dataclass
class SequenceConfig:
    in_channels: int = 80
    out_channels: int = 80
    context_channels: int = 0
    """per-frame conditioning channels concatenated to the input (0 for none)"""
    hidden: int = 256
    layers: int = 6
    heads: int = 4
    ff_mult: int = 4
    emotion_dim: int = 128
    dropout: float = 0.0
    conv_kernel: int = 15
    """depthwise convolution in each block (local context, positions)"""


class TransformerBlock(nn.Module):
    def __init__(self, c: SequenceConfig):
        super().__init__()
        self.heads = c.heads
        self.norm1 = nn.LayerNorm(c.hidden, elementwise_affine=False)
        self.qkv = nn.Linear(c.hidden, 3 * c.hidden)
        self.attn_out = nn.Linear(c.hidden, c.hidden)
        self.conv = nn.Conv1d(c.hidden, c.hidden, c.conv_kernel, padding=c.conv_kernel // 2, groups=c.hidden)
        self.norm2 = nn.LayerNorm(c.hidden, elementwise_affine=False)
        self.ff = nn.Sequential(nn.Linear(c.hidden, c.ff_mult * c.hidden), nn.GELU(approximate="tanh"),
                                nn.Dropout(c.dropout), nn.Linear(c.ff_mult * c.hidden, c.hidden))
        self.modulation = nn.Linear(c.hidden, 6 * c.hidden)
        nn.init.zeros_(self.modulation.weight)
        nn.init.zeros_(self.modulation.bias)
        self.dropout = c.dropout

    def forward(self, h: torch.Tensor, cond: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        # cond: (b, 1, h) or (b, n, h)
        shift1, scale1, gate1, shift2, scale2, gate2 = self.modulation(F.silu(cond)).chunk(6, dim=-1)
        x = self.norm1(h) * (1 + scale1) + shift1
        x = x + rearrange(self.conv(rearrange(x, "b n h -> b h n")), "b h n -> b n h")
        q, k, v = rearrange(self.qkv(x), "b n (three heads d) -> three b heads n d", three=3, heads=self.heads)
        attn_mask = None if mask is None else mask[:, None, None, :]
        x = F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask,
                                           dropout_p=self.dropout if self.training else 0.0)
        h = h + gate1 * self.attn_out(rearrange(x, "b heads n d -> b n (heads d)"))
        return h + gate2 * self.ff(self.norm2(h) * (1 + scale2) + shift2)


class SequenceBackbone(nn.Module):
    """velocity(x (b, c_in, n), t (b,), emotion (b, e) or (b, n, e), context (b, c_ctx, n),
    mask (b, n) bool, True = real frame) -> (b, c_out, n)."""

    def __init__(self, config: SequenceConfig):
        super().__init__()
        self.config = config
        self.cond = ConditionEmbedding(config.emotion_dim, config.hidden)
        self.proj_in = nn.Linear(config.in_channels + config.context_channels, config.hidden)
        self.blocks = nn.ModuleList(TransformerBlock(config) for _ in range(config.layers))
        self.norm_out = nn.LayerNorm(config.hidden, elementwise_affine=False)
        self.out_modulation = nn.Linear(config.hidden, 2 * config.hidden)
        self.proj_out = nn.Linear(config.hidden, config.out_channels)
        nn.init.zeros_(self.proj_out.weight)
        nn.init.zeros_(self.proj_out.bias)

    def forward(self, x: torch.Tensor, t: torch.Tensor, emotion: torch.Tensor,
                context: torch.Tensor | None = None, mask: torch.Tensor | None = None) -> torch.Tensor:
        if self.config.context_channels:
            if context is None:
                raise ValueError(f"this backbone expects {self.config.context_channels} context channels")
            x = torch.cat([x, context.to(x.dtype)], dim=1)
        cond = self.cond(t, emotion)
        if cond.ndim == 2:
            cond = cond[:, None, :]
        h = self.proj_in(rearrange(x, "b c n -> b n c"))
        for block in self.blocks:
            h = block(h, cond, mask)
        shift, scale = self.out_modulation(F.silu(cond)).chunk(2, dim=-1)
        out = self.proj_out(self.norm_out(h) * (1 + scale) + shift)
        if mask is not None:
            out = out * mask[..., None].to(out.dtype)
        return rearrange(out, "b n c -> b c n")


class SequenceEncoder(nn.Module):
    """A non-generative transformer over sequences, conditioned on emotion by adaptive layer norm:
    ``(x (b, c_in, n), emotion (b, e) or (b, n, e), mask (b, n)) -> (b, c_out, n)``. Text encoders
    and duration predictors of the generators use it; its blocks are the flow backbone's."""

    def __init__(self, config: SequenceConfig):
        super().__init__()
        self.config = config
        self.cond = nn.Sequential(nn.Linear(config.emotion_dim, config.hidden), nn.SiLU(),
                                  nn.Linear(config.hidden, config.hidden))
        self.proj_in = nn.Linear(config.in_channels, config.hidden)
        self.blocks = nn.ModuleList(TransformerBlock(config) for _ in range(config.layers))
        self.norm_out = nn.LayerNorm(config.hidden)
        self.proj_out = nn.Linear(config.hidden, config.out_channels)

    def forward(self, x: torch.Tensor, emotion: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        cond = self.cond(emotion)
        if cond.ndim == 2:
            cond = cond[:, None, :]
        h = self.proj_in(rearrange(x, "b c n -> b n c"))
        for block in self.blocks:
            h = block(h, cond, mask)
        out = self.proj_out(self.norm_out(h))
        if mask is not None:
            out = out * mask[..., None].to(out.dtype)
        return rearrange(out, "b n c -> b c n")
