"""The music generator: the shared emotion flow model over piano-roll windows.

Shape legend: b = batch, c = 3 roll channels (onset, sustain, velocity), p = pitches, s = steps.

It is :class:`emogen.core.model.EmotionFlowModel` (shared ``EmotionEncoder`` + the ``unet2d``
backbone, emotion through the U-Net's FiLM path, Polyffusion-style) with the facts of the roll
it was trained on stored in its config, so a checkpoint says what shape it generates.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..core.model import EmotionFlowConfig, EmotionFlowModel
from . import representation as rep


def _default_backbone() -> dict:
    return {"in_channels": 3, "out_channels": 3, "block_out_channels": [32, 64, 96],
            "layers_per_block": 1, "attention_levels": [False, False, True], "norm_num_groups": 8}


@dataclass
class MusicFlowConfig(EmotionFlowConfig):
    backbone: str = "unet2d"
    backbone_config: dict = field(default_factory=_default_backbone)
    window_bars: int = 4
    """bars of 4/4 per generated window"""
    steps_per_beat: int = rep.STEPS_PER_BEAT
    low_pitch: int = rep.LOW_PITCH
    num_pitches: int = rep.NUM_PITCHES

    @property
    def window_steps(self) -> int:
        return self.window_bars * 4 * self.steps_per_beat


class MusicFlowModel(EmotionFlowModel):
    """velocity(x (b, 3, p, s), t (b,), emotion (b, d)) -> (b, 3, p, s); ``generate`` samples rolls."""

    model_type = "music_flow"
    config_class = MusicFlowConfig

    def __init__(self, config: MusicFlowConfig):
        if (config.steps_per_beat, config.low_pitch, config.num_pitches) != (
                rep.STEPS_PER_BEAT, rep.LOW_PITCH, rep.NUM_PITCHES):
            raise ValueError("this checkpoint uses a piano-roll layout this version of emogen does not read")
        super().__init__(config)

    @property
    def roll_shape(self) -> tuple[int, int, int]:
        """(3, p, s) of one generated window."""
        return (len(rep.CHANNELS), self.config.num_pitches, self.config.window_steps)
