"""A toy task that exercises the whole core in seconds: 2-D points placed by emotion.

Each example is an emotion spec and a point near ``scale * (valence, arousal)`` of that spec. A
model that learned the conditioning puts samples for each emotion in that emotion's mode, moves
them from neutral's mode toward the emotion's as intensity grows, and, with negative guidance,
away from the avoided emotion. Used by the tests and as the smallest example of a training task.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch.utils.data import Dataset

from ..emotion import EmotionBatch, EmotionEncoderConfig, EmotionSpec
from .model import EmotionFlowConfig, EmotionFlowModel, sample
from .trainer import TrainConfig, TrainingTask


@dataclass
class Toy2DDataConfig:
    emotions: list[str] = field(default_factory=lambda: ["happy", "sad", "angry", "calm"])
    intensities: list[float] = field(default_factory=lambda: [0.25, 0.5, 0.75, 1.0])
    examples: int = 8192
    noise: float = 0.1
    scale: float = 2.0
    val_examples: int = 256


@dataclass
class Toy2DConfig:
    model: EmotionFlowConfig = field(default_factory=lambda: EmotionFlowConfig(
        emotion=EmotionEncoderConfig(dim=32), backbone="mlp", backbone_config={"dim": 2, "hidden": 128, "layers": 3}))
    data: Toy2DDataConfig = field(default_factory=Toy2DDataConfig)
    train: TrainConfig = field(default_factory=lambda: TrainConfig(
        output_dir="runs/toy2d", max_steps=1500, batch_size=256, learning_rate=2e-3, warmup_steps=50,
        mixed_precision="no", log_every=50, val_every=500, save_every=500))


def mode_of(spec: EmotionSpec, scale: float) -> torch.Tensor:
    """(2,) the centre of ``spec``'s mode: scaled valence and arousal."""
    v, a, _ = spec.resolve_vad()
    return torch.tensor([v, a]) * scale


class Toy2DDataset(Dataset):
    def __init__(self, config: Toy2DDataConfig, examples: int, seed: int):
        g = torch.Generator().manual_seed(seed)
        specs = [EmotionSpec.category(e, i) for e in config.emotions for i in config.intensities]
        choice = torch.randint(len(specs), (examples,), generator=g)
        self.specs = [specs[int(c)] for c in choice]
        centres = torch.stack([mode_of(s, config.scale) for s in self.specs])
        self.points = centres + config.noise * torch.randn(examples, 2, generator=g)
        self.emotions = EmotionBatch.from_specs(self.specs)

    def __len__(self) -> int:
        return len(self.specs)

    def __getitem__(self, i: int):
        return {"x": self.points[i], "emotion": self.emotions.row(i)}


class Toy2DTask(TrainingTask):
    name = "toy2d"
    config_class = Toy2DConfig

    def build_model(self, config: Toy2DConfig) -> EmotionFlowModel:
        return EmotionFlowModel(config.model)

    def build_datasets(self, config: Toy2DConfig):
        return (Toy2DDataset(config.data, config.data.examples, config.train.seed),
                Toy2DDataset(config.data, config.data.val_examples, config.train.seed + 1))

    def collate(self, items):
        return {"x": torch.stack([it["x"] for it in items]),
                "emotion": EmotionBatch.collate([it["emotion"] for it in items])}

    def loss(self, model, batch, generator):
        return model.loss(batch["x"], batch["emotion"], generator=generator)

    def write_samples(self, model, directory, config):
        """``samples.csv``: generated points for each emotion at intensities 0.5 and 1."""
        directory.mkdir(parents=True, exist_ok=True)
        rows = ["emotion,intensity,x,y"]
        for e in config.data.emotions:
            for intensity in (0.5, 1.0):
                spec = EmotionSpec.category(e, intensity)
                points = sample(model, EmotionBatch.from_specs([spec] * 16), (2,), steps=8,
                                generator=torch.Generator().manual_seed(0))
                rows += [f"{e},{intensity},{x:.4f},{y:.4f}" for x, y in points.tolist()]
        (directory / "samples.csv").write_text("\n".join(rows) + "\n")

    def evaluate(self, model, dataset, config):
        metrics = super().evaluate(model, dataset, config)
        metrics["mode_accuracy"] = mode_accuracy(model, config.data)
        return metrics


@torch.no_grad()
def mode_accuracy(model: EmotionFlowModel, data: Toy2DDataConfig, samples: int = 64, steps: int = 8) -> float:
    """Share of samples, over the data's emotions at full intensity, nearest their own mode."""
    specs = [EmotionSpec.category(e) for e in data.emotions]
    centres = torch.stack([mode_of(s, data.scale) for s in specs])
    correct = 0
    for k, spec in enumerate(specs):
        x = sample(model, EmotionBatch.from_specs([spec] * samples), (2,), steps=steps,
                   generator=torch.Generator().manual_seed(k))
        nearest = torch.cdist(x.float().cpu(), centres).argmin(dim=1)
        correct += int((nearest == k).sum())
    return correct / (samples * len(specs))
