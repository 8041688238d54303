"""``emogen train tts``: the emotional acoustic model on the built corpus (``data.py``).

Each example is one corpus utterance rendered on the fly with a random emotion, intensity (and
sometimes a two-emotion mixture) by ``emotion_prosody`` (:class:`~emogen.speech.data.TTSCorpusDataset`);
the random draws come from the trainer's per-step seed, so runs and resumes are reproducible.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..core.checkpoint import read_checkpoint_config, resolve_checkpoint
from ..core.trainer import TrainConfig, TrainingTask, default_model_card
from ..errors import EmogenError
from .data import TTSCorpusDataset, TTSDataConfig, collate, load_arrays
from .model import TTSModel, TTSModelConfig, calibrate_durations


@dataclass
class TTSTrainConfig:
    model: TTSModelConfig = field(default_factory=TTSModelConfig)
    data: TTSDataConfig = field(default_factory=TTSDataConfig)
    train: TrainConfig = field(default_factory=lambda: TrainConfig(
        output_dir="runs/tts-slt-emotion", max_steps=4800, batch_size=16, learning_rate=1e-3, warmup_steps=200,
        mixed_precision="no", log_every=25, val_every=500, save_every=250))


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
