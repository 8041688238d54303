"""The music generator: the shared emotion flow model over piano-roll windows.

Shape legend: b = batch, c = 3 roll channels (onset, sustain, velocity), p = pitches, s = steps,
e = emotion vector size.

It is :class:`emogen.core.model.EmotionFlowModel` (the shared ``EmotionEncoder`` + a backbone from
``emogen.core.backbones``) with two choices of its own:

- the backbone is the 1-D ``sequence`` transformer over time steps, each step's column of the roll
  (3 x p values) being one token. A 2-D U-Net over the (p, s) image (Polyffusion) was measured
  ten times slower per training step and per sample on one CPU core, which would break both the
  one-hour training budget and the 2-second generation target; pitch invariance is taught instead
  by transposition augmentation.
- the metre (bar and beat phase of each step, ``representation.metric_context``) is the sequence's
  context, so bars can be 3/4 as well as 4/4, and inpainted continuations know where they start.

The config stores the roll layout, so a checkpoint says what shape it generates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import torch
from einops import rearrange

from ..core.model import EmotionFlowConfig, EmotionFlowModel
from ..emotion import EmotionEncoderConfig
from . import representation as rep

CONTEXT_CHANNELS = 4


def _default_backbone() -> dict:
    return {"in_channels": len(rep.CHANNELS) * rep.NUM_PITCHES, "out_channels": len(rep.CHANNELS) * rep.NUM_PITCHES,
            "context_channels": CONTEXT_CHANNELS, "hidden": 256, "layers": 4, "heads": 4, "conv_kernel": 9}


@dataclass
class MusicFlowConfig(EmotionFlowConfig):
    emotion: EmotionEncoderConfig = field(
        default_factory=lambda: EmotionEncoderConfig(dim=64, null_dropout=0.15, category_dropout=0.3))
    backbone: str = "sequence"
    backbone_config: dict = field(default_factory=_default_backbone)
    time_scheme: Literal["uniform", "logit_normal"] = "uniform"
    window_steps: int = 64
    """time steps per generated window (64 = 4 bars of 4/4)"""
    steps_per_beat: int = rep.STEPS_PER_BEAT
    low_pitch: int = rep.LOW_PITCH
    num_pitches: int = rep.NUM_PITCHES


class MusicFlowModel(EmotionFlowModel):
    """velocity(x (b, 3, p, s), t (b,), emotion (b, e) or (b, s, e), context (b, 4, s)) -> (b, 3, p, s)."""

    model_type = "music_flow"
    config_class = MusicFlowConfig

    def __init__(self, config: MusicFlowConfig):
        if (config.steps_per_beat, config.low_pitch, config.num_pitches) != (
                rep.STEPS_PER_BEAT, rep.LOW_PITCH, rep.NUM_PITCHES):
            raise ValueError("this checkpoint uses a piano-roll layout this version of emogen does not read")
        if config.backbone != "sequence":
            raise ValueError("the music model runs on the 'sequence' backbone")
        super().__init__(config)

    @property
    def roll_shape(self) -> tuple[int, int, int]:
        """(3, p, s) of one generated window."""
        return (len(rep.CHANNELS), self.config.num_pitches, self.config.window_steps)

    def forward(self, x: torch.Tensor, t: torch.Tensor, emotion: torch.Tensor,
                context: torch.Tensor | None = None) -> torch.Tensor:
        if context is None:  # a window starting on a 4/4 downbeat
            context = rep.metric_context(x.shape[-1]).to(x)[None].expand(x.shape[0], -1, -1)
        v = self.backbone(rearrange(x, "b c p s -> b (c p) s"), t, emotion, context=context)
        return rearrange(v, "b (c p) s -> b c p s", c=x.shape[1])
