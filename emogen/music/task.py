"""``emogen train music``: the emotion flow model on EMOPIA + VGMIDI piano-roll windows."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from ..core.trainer import TrainConfig, TrainingTask, default_model_card
from ..emotion import EmotionBatch
from ..emotion.space import NEUTRAL, category
from . import representation as rep
from .data import RollWindows, data_root, load_emopia, load_vgmidi
from .model import MusicFlowConfig, MusicFlowModel


@dataclass
class MusicDataConfig:
    root: str = ""
    """data folder holding music/emopia and music/vgmidi; empty: $EMOGEN_DATA or ../shared/data"""
    vgmidi: bool = True
    """add VGMIDI's labelled phrases (valence/arousal) to EMOPIA's train split"""
    hop_steps: int = 16
    """steps between the starts of consecutive training windows (16 = 1 bar)"""
    shifts: list[int] = field(default_factory=lambda: [-1, 0, 1])
    """transpositions (semitones) each window is shown at: augmentation that keeps the mode"""
    min_notes: int = 4
    """windows with fewer onsets are left out"""
    val_clips: int = 80
    """EMOPIA validation-split clips used for the validation loss"""
    weak_labels: bool = True
    """continuous valence/arousal per window: quadrant signs, magnitudes from the window's mode,
    note density and loudness (``data.weak_vad``); False gives every clip its quadrant's one point"""
    weak_label_power: float = 2.0
    """weak-label magnitude ``0.1 + 0.9 * rank ** power`` (see ``data.weak_vad``)"""
    mode_weight: float = 0.5
    """with weak labels: share of each window's valence taken from its mode alone (``data.weak_vad``)"""
    random_dominance: bool = True
    """draw each example's dominance uniformly from -1..+1 (neither dataset labels it), so that
    the model ignores it and ``v=..,a=..`` means the same at any dominance"""
    skip_silent_bars: bool = True
    """leave out training windows with a bar in which nothing sounds"""
    tonic_to_c: bool = True
    """move every clip to C major / C minor before ``shifts`` (the model then writes near C;
    ``--key`` transposes the result)"""


@dataclass
class MusicConfig:
    model: MusicFlowConfig = field(default_factory=MusicFlowConfig)
    data: MusicDataConfig = field(default_factory=MusicDataConfig)
    train: TrainConfig = field(default_factory=lambda: TrainConfig(
        output_dir="runs/music-emopia", max_steps=3000, learning_rate=6e-4, warmup_steps=200, mixed_precision="no",
        cpu=True, log_every=50, val_every=1000, save_every=250))


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
        self.random_dominance = config.data.random_dominance
        options = dict(min_notes=config.data.min_notes, weak_labels=config.data.weak_labels,
                       skip_silent_bars=config.data.skip_silent_bars, tonic_to_c=config.data.tonic_to_c,
                       weak_label_power=config.data.weak_label_power, mode_weight=config.data.mode_weight)
        train = RollWindows(clips, window, config.data.hop_steps, config.data.shifts, **options)
        val_clips = load_emopia(root, "val")[: config.data.val_clips]
        val = RollWindows(val_clips, window, window, [0], **options)
        return train, val

    def collate(self, items):
        x = torch.stack([it["x"] for it in items])
        # every window starts on a bar line of 4/4 (hop_steps is a whole number of bars)
        context = rep.metric_context(x.shape[-1])[None].expand(len(items), -1, -1).contiguous()
        return {"x": x, "emotion": EmotionBatch.collate([it["emotion"] for it in items]), "context": context}

    def loss(self, model, batch, generator):
        emotion = batch["emotion"]
        if getattr(self, "random_dominance", False):
            emotion = with_random_dominance(emotion, generator)
        return model.loss(batch["x"], emotion, generator=generator, context=batch["context"])

    def model_card(self, config: MusicConfig, summary: dict) -> str:
        return MUSIC_CARD_HEADER + data_notes(config.data) + "\n" + default_model_card(self.name, config, summary)


def with_random_dominance(emotion: EmotionBatch, generator: torch.Generator | None) -> EmotionBatch:
    """The batch with each row's dominance drawn uniformly from -1..+1 (the VAD scale)."""
    vad = emotion.vad_offset.clone()
    d = torch.rand(vad.shape[:-1], generator=generator) * 2.0 - 1.0
    vad[..., 2] = d.to(vad) - category(NEUTRAL).vad[2]
    return EmotionBatch(emotion.weights, vad, emotion.category_gate, emotion.null)


MUSIC_CARD_HEADER = """# emogen music generator (piano, emotion-conditioned)

Flow matching over 4-bar piano-roll windows (onset, sustain, velocity; 16th-note grid; MIDI
28-91), conditioned on emogen's shared emotion vector (categories and continuous valence /
arousal / dominance). Used by `emogen music` / `emogen.music.MusicPipeline`, which decodes its
soft rolls with hysteresis and onset peaks and plays the score as a pianist would
(`emogen.music.performance`: pedal, timing, touch and tempo fitted from EMOPIA's performances;
the velocity map in `emogen/music/assets/performance.json` is fitted to this checkpoint, so refit
it with `python -m emogen.music.performance_fit` after retraining).

## Data and licence

- EMOPIA 1.0 (Hung et al., ISMIR 2021), official train split, quadrant labels Q1-Q4 given as
  happy / angry / sad / calm. **CC BY-NC-SA 4.0: this model is for non-commercial use only, and
  derivatives must be shared alike.**
- VGMIDI labelled phrases (Ferreira & Whitehead, "Learning to Generate Music with Sentiment",
  ISMIR 2019), valence/arousal signs given as dimensional specs. No licence is stated by the
  dataset; cite the paper.
"""


def data_notes(data: MusicDataConfig) -> str:
    """The card's lines on conditioning targets and augmentation, as configured."""
    lines = []
    if data.weak_labels:
        lines.append("- Conditioning targets (`data.weak_labels`): every 4-bar window keeps its label's signs of "
                     "valence and arousal; the magnitudes are weak labels from the window itself (arousal: rank in "
                     "onset count and velocity; valence: rank in Krumhansl-Kessler mode margin; both within the "
                     f"windows of the same sign, 0.1 + 0.9 * rank^{data.weak_label_power:g}).")
        if data.mode_weight:
            lines.append(f"- Valence mixes in the window's mode (`data.mode_weight` {data.mode_weight:g}): that share "
                         "comes from its mode margin's rank over all windows (-1 most minor, +1 most major), so "
                         "minor windows of happy clips and major windows of sad clips sit near neutral valence.")
    else:
        lines.append("- Conditioning targets: each quadrant's category VAD point (happy, angry, sad, calm).")
    if data.random_dominance:
        lines.append("- Dominance is unlabelled and drawn at random per example (`data.random_dominance`).")
    if data.skip_silent_bars:
        lines.append("- Windows with a silent bar are left out (`data.skip_silent_bars`).")
    if data.tonic_to_c:
        lines.append("- Every clip moved to C major / C minor by its Krumhansl-Schmuckler key (`data.tonic_to_c`).")
    lines.append(f"- Augmentation: every window at {len(data.shifts)} transpositions "
                 f"({min(data.shifts):+d}..{max(data.shifts):+d} semitones).")
    return "\n".join(lines) + "\n"
