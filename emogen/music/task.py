"""``emogen train music``: the emotion flow model on EMOPIA + VGMIDI piano-roll windows."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from ..core.trainer import TrainConfig, TrainingTask, default_model_card
from ..emotion import EmotionBatch
from . import representation as rep
from .data import RollWindows, data_root, load_emopia, load_vgmidi
from .model import MusicFlowConfig, MusicFlowModel


@dataclass
class MusicDataConfig:
    root: str = ""
    """data folder holding music/emopia and music/vgmidi; empty: $EMOGEN_DATA or ../shared/data"""
    vgmidi: bool = True
    """add VGMIDI's labelled phrases (valence/arousal) to EMOPIA's train split"""
    hop_steps: int = 32
    """steps between the starts of consecutive training windows (32 = 2 bars)"""
    shifts: list[int] = field(default_factory=lambda: list(range(-5, 7)))
    """transpositions (semitones) each window is shown at: augmentation that keeps the mode"""
    min_notes: int = 4
    """windows with fewer onsets are left out"""
    val_clips: int = 80
    """EMOPIA validation-split clips used for the validation loss"""


@dataclass
class MusicConfig:
    model: MusicFlowConfig = field(default_factory=MusicFlowConfig)
    data: MusicDataConfig = field(default_factory=MusicDataConfig)
    train: TrainConfig = field(default_factory=TrainConfig)


class MusicTask(TrainingTask):
    name = "music"
    config_class = MusicConfig

    def build_model(self, config: MusicConfig) -> MusicFlowModel:
        return MusicFlowModel(config.model)

    def build_datasets(self, config: MusicConfig):
        root = config.data.root or data_root()
        window = config.model.window_steps
        clips = load_emopia(root, "train", progress=True)
        if config.data.vgmidi:
            clips += load_vgmidi(root, progress=True)
        train = RollWindows(clips, window, config.data.hop_steps, config.data.shifts, config.data.min_notes)
        val_clips = load_emopia(root, "val")[: config.data.val_clips]
        val = RollWindows(val_clips, window, window, [0], config.data.min_notes)
        return train, val

    def collate(self, items):
        x = torch.stack([it["x"] for it in items])
        # every window starts on a bar line of 4/4 (hop_steps is a whole number of bars)
        context = rep.metric_context(x.shape[-1])[None].expand(len(items), -1, -1).contiguous()
        return {"x": x, "emotion": EmotionBatch.collate([it["emotion"] for it in items]), "context": context}

    def loss(self, model, batch, generator):
        return model.loss(batch["x"], batch["emotion"], generator=generator, context=batch["context"])

    def model_card(self, config: MusicConfig, summary: dict) -> str:
        return MUSIC_CARD_HEADER + "\n" + default_model_card(self.name, config, summary)


MUSIC_CARD_HEADER = """# emogen music generator (piano, emotion-conditioned)

Flow matching over 4-bar piano-roll windows (onset, sustain, velocity; 16th-note grid; MIDI
28-91), conditioned on emogen's shared emotion vector (categories and continuous valence /
arousal / dominance). Used by `emogen music` / `emogen.music.MusicPipeline`.

## Data and licence

- EMOPIA 1.0 (Hung et al., ISMIR 2021), official train split, quadrant labels Q1-Q4 given as
  happy / angry / sad / calm. **CC BY-NC-SA 4.0: this model is for non-commercial use only, and
  derivatives must be shared alike.**
- VGMIDI labelled phrases (Ferreira & Whitehead, "Learning to Generate Music with Sentiment",
  ISMIR 2019), valence/arousal signs given as points in VAD space. No licence is stated by the
  dataset; cite the paper.
- Augmentation: every window at 12 transpositions (-5..+6 semitones).
"""
