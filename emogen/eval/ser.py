"""A speech-emotion classifier trained on real human speech, for judging generated speech.

Features are acoustic cues *relative to the same speaker's neutral speech* (RAVDESS actors:
their neutral clips of the same statement; emogen's voice: its neutral rendering of the same
text), so the classifier is speaker-independent by construction: F0 level, range and spread,
loudness, rate, spectral tilt, voicing, and the mean MFCCs. A linear classifier on them is trained with
emogen's own trainer and evaluated on actors it never saw.

    emogen train ser --config configs/eval/ser-ravdess.yaml
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.utils.data import Dataset

from ..core.checkpoint import PretrainedModel
from ..core.trainer import TrainConfig, TrainingTask, default_model_card
from ..errors import EmogenError
from .speech import measure

SER_EMOTIONS = ("happy", "sad", "angry", "fearful")
N_MFCC = 13


def clip_features(audio: np.ndarray, sr: int) -> np.ndarray:
    """Absolute features of one clip (subtract a neutral reference's to use them)."""
    import librosa

    cues = measure(audio, sr)
    y = librosa.resample(np.asarray(audio, dtype=np.float32), orig_sr=sr, target_sr=16000) if sr != 16000 else audio
    mfcc = librosa.feature.mfcc(y=np.asarray(y, dtype=np.float32), sr=16000, n_mfcc=N_MFCC)
    rms = librosa.feature.rms(y=np.asarray(y, dtype=np.float32))[0]
    active = mfcc[:, rms > 0.1 * rms.max()] if rms.max() > 0 else mfcc
    return np.concatenate([
        [cues.f0_mean_st, cues.f0_range_st, cues.loudness_db, np.log(cues.duration_s), cues.spectral_tilt_db,
         cues.voiced_fraction],
        active.mean(axis=1)[1:], active.std(axis=1)[1:],
    ]).astype(np.float32)


FEATURE_NAMES = (["f0_mean_st", "f0_range_st", "loudness_db", "log_duration", "spectral_tilt_db", "voiced_fraction"]
                 + [f"mfcc{i}_mean" for i in range(1, N_MFCC)] + [f"mfcc{i}_std" for i in range(1, N_MFCC)])


def relative(features: np.ndarray, neutral: np.ndarray) -> np.ndarray:
    """Features minus the speaker's neutral reference (log duration becomes log rate, faster > 0)."""
    out = features - neutral
    out[..., 3] = -out[..., 3]
    return out


@dataclass
class SERModelConfig:
    n_features: int = len(FEATURE_NAMES)
    hidden: int = 0
    """0: linear (logistic regression); > 0: one hidden layer"""
    dropout: float = 0.2
    emotions: list[str] = field(default_factory=lambda: list(SER_EMOTIONS))
    feature_mean: list[float] = field(default_factory=list)
    feature_std: list[float] = field(default_factory=list)


class SERModel(PretrainedModel):
    """Relative features (b, n_features) -> logits (b, emotions)."""

    model_type = "ser_mlp"
    config_class = SERModelConfig

    def __init__(self, config: SERModelConfig):
        super().__init__(config)
        n = config.n_features
        self.register_buffer("mean", torch.tensor(config.feature_mean or [0.0] * n))
        self.register_buffer("std", torch.tensor(config.feature_std or [1.0] * n).clamp_min(1e-6))
        k = len(config.emotions)
        # hidden=0: multinomial logistic regression, which generalises best to unseen speakers here
        self.net = (nn.Linear(n, k) if config.hidden == 0 else
                    nn.Sequential(nn.Linear(n, config.hidden), nn.GELU(), nn.Dropout(config.dropout),
                                  nn.Linear(config.hidden, k)))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.net((features - self.mean) / self.std)

    @torch.no_grad()
    def probabilities(self, features: np.ndarray) -> list[dict[str, float]]:
        logits = self(torch.as_tensor(np.atleast_2d(features), dtype=torch.float32))
        probs = logits.softmax(-1).numpy()
        return [{e: float(p) for e, p in zip(self.config.emotions, row)} for row in probs]


# -- RAVDESS features -----------------------------------------------------------------------------
def ravdess_features(root: Path, cache: Path | None = None) -> tuple[np.ndarray, list[str], list[int]]:
    """Relative features, emotion names and actor ids of every non-neutral RAVDESS clip.

    The neutral reference is the mean of the actor's neutral clips of the same statement."""
    import soundfile as sf
    from tqdm.auto import tqdm

    if cache is not None and cache.is_file():
        data = np.load(cache, allow_pickle=False)
        return data["x"], list(data["emotion"]), list(data["actor"])
    manifest = root / "manifest.csv"
    if not manifest.is_file():
        raise EmogenError(f"RAVDESS not found at '{root}' (expected manifest.csv)")
    rows = list(csv.DictReader(manifest.open()))
    feats = []
    for row in tqdm(rows, desc="SER features", unit="clip"):
        audio, sr = sf.read(root / row["path"], dtype="float32")
        feats.append(clip_features(audio, sr))
    neutral = defaultdict(list)
    for row, f in zip(rows, feats):
        if row["emotion"] == "neutral":
            neutral[(row["actor"], row["statement_id"])].append(f)
    x, emotions, actors = [], [], []
    for row, f in zip(rows, feats):
        if row["emotion"] == "neutral":
            continue
        x.append(relative(f, np.mean(neutral[(row["actor"], row["statement_id"])], axis=0)))
        emotions.append({"disgust": "disgusted"}.get(row["emotion"], row["emotion"]))
        actors.append(int(row["actor"]))
    x = np.stack(x)
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.savez(cache, x=x, emotion=np.array(emotions), actor=np.array(actors))
    return x, emotions, actors


# -- training task ---------------------------------------------------------------------------------
@dataclass
class SERDataConfig:
    ravdess: str = "../shared/data/speech/ravdess"
    cache: str = "runs/ser-features.npz"
    test_actors: list[int] = field(default_factory=lambda: [17, 18, 19, 20])
    """held out: the classifier never sees these speakers"""


@dataclass
class SERTrainConfig:
    model: SERModelConfig = field(default_factory=SERModelConfig)
    data: SERDataConfig = field(default_factory=SERDataConfig)
    train: TrainConfig = field(default_factory=lambda: TrainConfig(
        max_steps=1500, batch_size=64, learning_rate=3e-3, warmup_steps=50, ema_decay=0.99, val_every=250,
        save_every=500, mixed_precision="no", output_dir="runs/ser-ravdess"))


class _Rows(Dataset):
    def __init__(self, x: np.ndarray, y: np.ndarray):
        self.x, self.y = torch.as_tensor(x, dtype=torch.float32), torch.as_tensor(y)

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        return {"x": self.x[i], "y": self.y[i]}


class SERTask(TrainingTask):
    name = "ser"
    config_class = SERTrainConfig

    def _split(self, config: SERTrainConfig):
        x, emotions, actors = ravdess_features(Path(config.data.ravdess), Path(config.data.cache))
        keep = np.array([e in config.model.emotions for e in emotions])
        y = np.array([config.model.emotions.index(e) if e in config.model.emotions else -1 for e in emotions])
        test = np.isin(np.array(actors), config.data.test_actors)
        return x[keep & ~test], y[keep & ~test], x[keep & test], y[keep & test]

    def build_model(self, config: SERTrainConfig) -> SERModel:
        x, _, _, _ = self._split(config)
        config.model.feature_mean = x.mean(0).astype(float).tolist()
        config.model.feature_std = x.std(0).astype(float).tolist()
        return SERModel(config.model)

    def build_datasets(self, config):
        x, y, xt, yt = self._split(config)
        return _Rows(x, y), _Rows(xt, yt)

    def loss(self, model, batch, generator):
        return nn.functional.cross_entropy(model(batch["x"]), batch["y"])

    @torch.no_grad()
    def evaluate(self, model, dataset, config):
        logits = model(dataset.x.to(next(model.parameters()).device))
        return {"loss": float(nn.functional.cross_entropy(logits, dataset.y)),
                "accuracy_unseen_actors": float((logits.argmax(-1).cpu() == dataset.y).float().mean())}

    def model_card(self, config, summary):
        return ("# emogen speech-emotion classifier (RAVDESS)\n\n"
                f"Classes: {', '.join(config.model.emotions)}. Features: acoustic cues relative to the speaker's "
                "neutral speech (see `emogen/eval/ser.py`). Trained on RAVDESS actors other than "
                f"{config.data.test_actors}, evaluated on those unseen actors.\n\n"
                "Data licence: RAVDESS, CC BY-NC-SA 4.0 (Livingstone & Russo 2018): non-commercial.\n\n"
                + default_model_card(self.name, config, summary).split("\n", 2)[2])
