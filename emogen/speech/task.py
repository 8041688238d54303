"""``emogen train tts``: the emotional acoustic model on the built corpus (``corpus.py``).

Each example is one corpus utterance rendered on the fly with a random emotion, intensity (and
sometimes a two-emotion mixture) by ``emotion_render``; the random draws come from the trainer's
per-step seed, so runs and resumes are reproducible.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from ..core.checkpoint import read_checkpoint_config, resolve_checkpoint
from ..core.trainer import TrainConfig, TrainingTask, default_model_card
from ..emotion import EmotionBatch, EmotionSpec
from ..errors import EmogenError
from .corpus import load_arrays
from .emotion_render import changes_for, render
from .model import TTSModel, TTSModelConfig, calibrate_durations
from .phonemes import PAD_ID

EMOTIONS = ("neutral", "happy", "sad", "angry", "fearful", "surprised", "disgusted", "calm")


@dataclass
class TTSDataConfig:
    corpus: str = "data/tts-corpus"
    """a folder written by ``emogen data build-tts-corpus``"""
    val_utterances: int = 48
    """utterances held out (the last ones) for validation"""
    neutral_share: float = 0.15
    mixture_share: float = 0.1
    intensity_min: float = 0.1
    max_frames: int = 900


@dataclass
class TTSTrainConfig:
    model: TTSModelConfig = field(default_factory=TTSModelConfig)
    data: TTSDataConfig = field(default_factory=TTSDataConfig)
    train: TrainConfig = field(default_factory=TrainConfig)


class TTSCorpusDataset(Dataset):
    """Utterances ``indices`` of a built corpus, each rendered with a drawn emotion.

    With ``fixed=True`` (validation) utterance k gets emotion ``EMOTIONS[k % 8]`` at intensity 1,
    so the validation loss is comparable across runs.
    """

    def __init__(self, arrays: dict[str, np.ndarray], indices: list[int], config: TTSDataConfig, fixed: bool = False):
        self.a, self.indices, self.config, self.fixed = arrays, indices, config, fixed

    def __len__(self) -> int:
        return len(self.indices)

    def utterance(self, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        a, u = self.a, self.indices[k]
        f0, f1 = a["frame_offsets"][u], a["frame_offsets"][u + 1]
        p0, p1 = a["phone_offsets"][u], a["phone_offsets"][u + 1]
        return a["phone_ids"][p0:p1], a["durations"][p0:p1], a["frames"][f0:f1]

    def draw_emotion(self, k: int) -> EmotionSpec:
        if self.fixed:
            return EmotionSpec.category(EMOTIONS[k % len(EMOTIONS)], 1.0)
        c = self.config
        r = float(torch.rand(()))
        if r < c.neutral_share:
            return EmotionSpec.neutral()
        intensity = c.intensity_min + (1 - c.intensity_min) * float(torch.rand(()))
        names = EMOTIONS[1:]
        first = names[int(torch.randint(len(names), ()))]
        if r < c.neutral_share + c.mixture_share:
            second = names[int(torch.randint(len(names), ()))]
            if second != first:
                share = float(torch.rand(()))
                return EmotionSpec.mixture({first: share * intensity, second: (1 - share) * intensity})
        return EmotionSpec.category(first, intensity)

    def __getitem__(self, k: int) -> dict:
        ids, durations, frames = self.utterance(k)
        spec = self.draw_emotion(k)
        frames, durations = render(frames, durations, changes_for(spec))
        limit = self.config.max_frames
        if len(frames) > limit:  # keep whole phones up to the limit
            keep = int(np.searchsorted(np.cumsum(durations), limit, side="right"))
            ids, durations = ids[:keep], durations[:keep]
            frames = frames[: int(durations.sum())]
        return {"phone_ids": torch.as_tensor(ids), "durations": torch.as_tensor(durations),
                "frames": torch.as_tensor(frames), "emotion": EmotionBatch.from_specs([spec]).row(0)}


def collate(items: list[dict]) -> dict:
    b = len(items)
    p = max(len(it["phone_ids"]) for it in items)
    n = max(len(it["frames"]) for it in items)
    f = items[0]["frames"].shape[1]
    out = {"phone_ids": torch.full((b, p), PAD_ID, dtype=torch.long), "durations": torch.zeros(b, p, dtype=torch.long),
           "phone_mask": torch.zeros(b, p, dtype=torch.bool), "frames": torch.zeros(b, n, f),
           "frame_mask": torch.zeros(b, n, dtype=torch.bool)}
    for i, it in enumerate(items):
        k, m = len(it["phone_ids"]), len(it["frames"])
        out["phone_ids"][i, :k] = it["phone_ids"]
        out["durations"][i, :k] = it["durations"]
        out["phone_mask"][i, :k] = True
        out["frames"][i, :m] = it["frames"]
        out["frame_mask"][i, :m] = True
    out["emotion"] = EmotionBatch.collate([it["emotion"] for it in items])
    return out


class TTSTask(TrainingTask):
    name = "tts"
    config_class = TTSTrainConfig

    def __init__(self):
        self._arrays = None

    def arrays(self, config: TTSTrainConfig) -> dict[str, np.ndarray]:
        if self._arrays is None:
            self._arrays = load_arrays(Path(config.data.corpus))
        return self._arrays

    def build_model(self, config: TTSTrainConfig) -> TTSModel:
        a = self.arrays(config)
        model_config = config.model
        if a["frames"].shape[1] != model_config.feature_dims:
            raise EmogenError(f"corpus frames have {a['frames'].shape[1]} features, model.feature_dims is "
                              f"{model_config.feature_dims}")
        if not model_config.feature_mean and config.train.init_from:
            # fine-tuning keeps the normalisation its starting weights were trained with
            source = read_checkpoint_config(resolve_checkpoint(config.train.init_from))["config"]
            model_config.feature_mean, model_config.feature_std = source["feature_mean"], source["feature_std"]
        if not model_config.feature_mean:
            model_config.feature_mean = a["frames"].mean(0).astype(float).tolist()
            model_config.feature_std = a["frames"].std(0).astype(float).tolist()
        return TTSModel(model_config)

    def build_datasets(self, config: TTSTrainConfig):
        a = self.arrays(config)
        n = len(a["frame_offsets"]) - 1
        held = min(config.data.val_utterances, max(1, n // 10)) if n > 1 else 0
        return (TTSCorpusDataset(a, list(range(n - held)), config.data),
                TTSCorpusDataset(a, list(range(n - held, n)), config.data, fixed=True) if held else None)

    def collate(self, items):
        return collate(items)

    def loss(self, model, batch, generator):
        return model.loss(batch, generator)

    def before_export(self, model, dataset, config):
        if dataset is None:
            return {}
        batches = [collate([dataset[i] for i in range(k, min(len(dataset), k + 8))]) for k in range(0, len(dataset), 8)]
        return {"duration_scale": calibrate_durations(model, batches)}

    def model_card(self, config: TTSTrainConfig, summary: dict) -> str:
        corpus = Path(config.data.corpus) / "corpus.json"
        info = json.loads(corpus.read_text()) if corpus.is_file() else {}
        header = f"""# emogen emotional TTS voice (WORLD features, flow matching)

- Training data: {info.get('utterances', '?')} sentences ({info.get('hours', '?')} h) from
  {info.get('sentences_source', 'GoEmotions')}, spoken by {info.get('base_voice', 'Festival SLT')},
  rendered on the fly with emotion-specific prosody and voice quality (mel-band spectral shape,
  aperiodicity) sized from RAVDESS (Livingstone & Russo 2018).
- Licence: the weights inherit RAVDESS's CC BY-NC-SA 4.0 (non-commercial, share-alike) through the
  emotion profile; GoEmotions text CC BY 4.0; the CMU SLT voice's licence is BSD-style.
- Acoustic features: {info.get('features', 'WORLD')} (100 frames/s).
- Corpus command: `emogen data build-tts-corpus --out {config.data.corpus} --sentences {info.get('utterances', '?')}`

"""
        return header + default_model_card(self.name, config, summary).split("\n", 2)[2]
