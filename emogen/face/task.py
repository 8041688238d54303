"""``emogen train face``: the face-motion model on the corpus of ``emogen data build-face-corpus``.

The smile basis is measured here, before training, on the London set's neutral/smiling pairs
(the people listed in ``data.smile_people``; the rest stay unseen for the benchmark), and saved in
the checkpoint with the weights.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from ..core.trainer import TrainConfig, TrainingTask, default_model_card
from ..emotion import EmotionBatch
from ..io import shared_data_root
from . import motion
from .data import MotionWindows, load_corpus
from .model import FaceMotionConfig, FaceMotionModel


@dataclass
class FaceDataConfig:
    corpus: str = "data/face-corpus/corpus.npz"
    """written by ``emogen data build-face-corpus``"""
    root: str = ""
    """shared data folder (faces/london for the smile); empty: $EMOGEN_DATA or ../shared/data"""
    smile_people: int = 80
    """the first N London people (by number) measure the smile; the others are left for testing"""
    examples_per_clip: int = 8
    val_clips: int = 40


@dataclass
class FaceTrainConfig:
    model: FaceMotionConfig = field(default_factory=FaceMotionConfig)
    data: FaceDataConfig = field(default_factory=FaceDataConfig)
    train: TrainConfig = field(default_factory=lambda: TrainConfig(
        output_dir="runs/face-motion", max_steps=6000, batch_size=16, learning_rate=5e-4, warmup_steps=200,
        mixed_precision="no", cpu=True, log_every=50, val_every=500, save_every=250))


def london_pairs(root: Path, people: int):
    """Landmarks (neutral, smiling) of the first ``people`` London faces, detected with the mesh."""
    from .analysis import load_image
    from .landmarks import FaceMeshDetector

    folder = Path(root) / "faces" / "london"
    names = sorted(p.name[:3] for p in folder.glob("*_neutral.jpg"))[:people]
    with FaceMeshDetector(max_faces=1) as detector:
        for name in tqdm(names, desc="smile pairs", leave=False):
            found = [detector.detect(load_image(folder / f"{name}_{kind}.jpg")) for kind in ("neutral", "smiling")]
            if all(found):
                yield found[0][0], found[1][0]


class FaceTask(TrainingTask):
    name = "face"
    config_class = FaceTrainConfig

    def build_model(self, config: FaceTrainConfig) -> FaceMotionModel:
        model = FaceMotionModel(config.model)
        root = Path(config.data.root) if config.data.root else shared_data_root()
        smile = motion.measure_smile(london_pairs(root, config.data.smile_people))
        model.smile.copy_(torch.from_numpy(smile))
        return model

    def build_datasets(self, config: FaceTrainConfig):
        clips = load_corpus(Path(config.data.corpus))
        rng = np.random.default_rng(0)
        order = rng.permutation(len(clips))
        val = [clips[i] for i in order[: config.data.val_clips]]
        train = [clips[i] for i in order[config.data.val_clips:]]
        window = config.model.window
        return (MotionWindows(train, window, config.data.examples_per_clip, seed=config.train.seed),
                MotionWindows(val, window, 1, seed=12345))

    def collate(self, items):
        return {"x": torch.stack([it["x"] for it in items]), "audio": torch.stack([it["audio"] for it in items]),
                "mask": torch.stack([it["mask"] for it in items]),
                "emotion": EmotionBatch.collate([it["emotion"] for it in items])}

    def loss(self, model, batch, generator):
        return model.loss(batch["x"], batch["emotion"], batch["audio"], batch["mask"], generator)

    def model_card(self, config: FaceTrainConfig, summary: dict) -> str:
        corpus = Path(config.data.corpus)
        info = {}
        if corpus.is_file():
            info = json.loads(str(np.load(corpus)["info"]))
        header = f"""# emogen face-motion model (flow matching over face-motion coefficients)

- Training data: {info.get('clips', '?')} speech clips ({info.get('hours', '?')} h): {info.get('description', '')}
  Mouth targets: visemes from phone timings; expression: FACS prototypes (Ekman) with the smile
  measured on {config.data.smile_people} people of the Face Research Lab London Set (DeBruine & Jones 2017, CC BY 4.0);
  head motion and blinks drawn per example (arousal-dependent).
- Licence: RAVDESS audio is CC BY-NC-SA 4.0, so these weights are for non-commercial use, share-alike.
- Corpus command: `{info.get('command', 'emogen data build-face-corpus')}`

"""
        return header + default_model_card(self.name, config, summary).split("\n", 2)[2]
