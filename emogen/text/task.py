"""``emogen train text-emotion``: the GoEmotions text-emotion classifier on the shared trainer.

Only GoEmotions' train.tsv is read: either cut once (seeded) into training comments and a small
validation set, or used whole, with the per-category logit offsets then fitted by cross-fitting
(``data.calibration_folds``). ``dev.tsv`` is never read here, so the benchmark measures text the
model has not seen. The loss is a class-weighted cross-entropy against each comment's distribution over its
Ekman groups (mapped to emogen categories) plus an auxiliary multi-label BCE on the 28 fine labels.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.utils.data import Dataset

from ..core.trainer import TrainConfig, TrainingTask, default_model_card
from ..errors import EmogenError
from .data import TEXT_CATEGORIES, Example, fine_to_category, goemotions_dir, read_labels, read_split
from .model import TextEmotionConfig, TextEmotionModel, pad_batch
from .tokenizer import TOKENIZER_NAME, encode, train_tokenizer


@dataclass
class TextDataConfig:
    root: str | None = None
    """GoEmotions folder; default ``$EMOGEN_DATA/text/goemotions``"""
    val_fraction: float = 0.0
    """share of train.tsv held out as the trainer's validation set; 0 = none, every comment trains
    (then the category offsets come from ``calibration_folds``)"""
    min_frequency: int = 2
    """words seen fewer times become [UNK]"""
    class_weight_power: float = 0.5
    """category weight = (mean count / count) ** power; 0 = unweighted, 1 = fully balanced"""
    fine_weight: float = 0.5
    """weight of the auxiliary 28-label BCE"""
    calibrate: bool = True
    """fit per-category logit offsets that maximise macro-F1 on held-out comments (the validation
    split, or all of train.tsv with ``calibration_folds``); they are saved in the model
    (``category_bias``) and used at inference"""
    calibration_resamples: int = 16
    """0: fit the offsets once on the held-out comments; N: average the offsets fitted on N
    bootstrap resamples of them (steadier: a single fit chases the noise of a few hundred rare-class comments)"""
    calibration_folds: int = 5
    """K >= 2: fit the offsets by cross-fitting instead of on the validation split. After the main
    run, the same recipe is trained K more times (``OUTPUT_DIR/calibration/fold_K``), each with one
    of K folds of train.tsv held out, and the offsets are fitted on every comment's logits from the
    fold model that did not see it: all of train.tsv to fit on instead of a validation split"""
    limit: int = 0
    """use only the first N comments of train.tsv (0 = all): for smoke runs"""
    split_seed: int | None = 0
    """seed of the training/validation cut (and so of the vocabulary); None = ``train.seed``. Fix it
    to train several ``train.seed`` members on the same comments (see ``model.members``)"""
    folds: int = 0
    """0: hold out ``val_fraction`` of train.tsv; K >= 2: cut the (seeded) comments into K equal
    folds and hold out fold ``fold`` instead (the fold runs of ``calibration_folds`` set these)"""
    fold: int = 0
    """which of the ``folds`` is held out (0-based)"""

    def __post_init__(self):
        if not 0.0 <= self.val_fraction < 0.5:
            raise EmogenError(f"data.val_fraction must be in [0, 0.5), got {self.val_fraction}")
        if self.calibration_folds == 1 or self.calibration_folds < 0:
            raise EmogenError(f"data.calibration_folds must be 0 (off) or >= 2, got {self.calibration_folds}")
        if self.calibrate and self.val_fraction == 0 and self.folds == 0 and not self.calibration_folds:
            raise EmogenError("data.calibrate needs held-out comments: set data.val_fraction > 0 or "
                              "data.calibration_folds >= 2 (or data.calibrate=false)")
        if self.folds == 1 or self.folds < 0 or not 0 <= self.fold < max(1, self.folds):
            raise EmogenError(f"data.folds must be 0 (no folds) or >= 2 with 0 <= data.fold < folds, "
                              f"got folds={self.folds}, fold={self.fold}")
        if self.calibration_resamples < 0:
            raise EmogenError("data.calibration_resamples must be 0 (one fit) or a positive count, "
                              f"got {self.calibration_resamples}")


@dataclass
class TextEmotionTaskConfig:
    model: TextEmotionConfig = field(default_factory=TextEmotionConfig)
    data: TextDataConfig = field(default_factory=TextDataConfig)
    train: TrainConfig = field(default_factory=lambda: TrainConfig(
        output_dir="runs/text-emotion-goemotions", max_steps=1500, batch_size=64, learning_rate=1e-3,
        weight_decay=0.05, warmup_steps=150, ema_decay=0.998, mixed_precision="no", cpu=True, seed=3, log_every=50,
        val_every=500, save_every=500))


class TextEmotionDataset(Dataset):
    """Items: ``{"ids": list[int], "categories": (7,) distribution, "fine": (28,) multi-hot}``."""

    def __init__(self, examples: list[Example], ids: list[list[int]], num_fine: int):
        self.examples, self.ids = examples, ids
        self.targets = torch.zeros(len(examples), len(TEXT_CATEGORIES))
        self.fine = torch.zeros(len(examples), num_fine)
        for i, ex in enumerate(examples):
            self.targets[i, list(ex.categories)] = 1.0 / len(ex.categories)
            self.fine[i, list(ex.fine)] = 1.0

    @classmethod
    def encoded(cls, examples: list[Example], tokenizer, num_fine: int) -> "TextEmotionDataset":
        return cls(examples, encode(tokenizer, [ex.text for ex in examples]), num_fine)

    def __len__(self) -> int:
        return len(self.examples)

    def __getitem__(self, i: int) -> dict:
        return {"ids": self.ids[i], "categories": self.targets[i], "fine": self.fine[i]}


def split_train(examples: list[Example], val_fraction: float, seed: int, folds: int = 0,
                fold: int = 0) -> tuple[list[Example], list[Example]]:
    """(training, validation) comments: the first ``val_fraction`` of a seeded permutation, or its
    ``fold``-th of ``folds`` equal parts when ``folds`` >= 2 (the folds of one seed partition the comments)."""
    order = torch.randperm(len(examples), generator=torch.Generator().manual_seed(seed)).tolist()
    if folds:
        start, stop = fold * len(order) // folds, (fold + 1) * len(order) // folds
    else:
        start, stop = 0, max(1, int(len(examples) * val_fraction)) if val_fraction > 0 else 0
    held = set(order[start:stop])
    return ([examples[i] for i in order if i not in held], [examples[i] for i in order[start:stop]])


def macro_f1(true: torch.Tensor, pred: torch.Tensor, classes: int) -> float:
    """Unweighted mean over ``classes`` of per-class F1 (a class absent from both counts 0)."""
    scores = []
    for c in range(classes):
        tp = int(((pred == c) & (true == c)).sum())
        fp = int(((pred == c) & (true != c)).sum())
        fn = int(((pred != c) & (true == c)).sum())
        scores.append(2 * tp / max(1, 2 * tp + fp + fn))
    return sum(scores) / classes


def fit_category_bias(logits: torch.Tensor, labels: torch.Tensor, span: float = 1.5, step: float = 0.1,
                      rounds: int = 3) -> torch.Tensor:
    """Per-category logit offsets (k,) that maximise macro-F1 of ``argmax(logits + bias)``.

    Coordinate ascent on a grid in [-span, span]; neutral (index 0) stays at 0, since only
    differences matter. Class weighting in the loss balances recall; this trims what is left, which
    matters most for the rare categories (fearful, disgusted) that macro-F1 weighs as much as the rest.
    """
    k = logits.shape[1]
    bias = torch.zeros(k)
    grid = torch.arange(-span, span + step / 2, step)
    best = macro_f1(labels, logits.argmax(-1), k)
    for _ in range(rounds):
        for c in range(1, k):
            for value in grid:
                trial = bias.clone()
                trial[c] = value
                score = macro_f1(labels, (logits + trial).argmax(-1), k)
                if score > best + 1e-9:
                    best, bias = score, trial
    return bias


def bagged_category_bias(logits: torch.Tensor, labels: torch.Tensor, resamples: int, seed: int = 0) -> torch.Tensor:
    """Mean of :func:`fit_category_bias` over ``resamples`` bootstrap resamples of (logits (m, k), labels (m,))."""
    generator = torch.Generator().manual_seed(seed)
    fits = [fit_category_bias(logits[pick], labels[pick])
            for pick in (torch.randint(len(labels), (len(labels),), generator=generator) for _ in range(resamples))]
    return torch.stack(fits).mean(0)


def cross_fit(config: TextEmotionTaskConfig, show_progress: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """Logits and labels of every single-label train.tsv comment from a model that did not see it.

    Trains ``config``'s recipe once per fold of ``data.calibration_folds`` (split by
    ``data.split_seed``), with that fold held out, into ``OUTPUT_DIR/calibration/fold_K``; a
    finished fold is reused and an interrupted one resumes (``train.resume``)."""
    from ..core.trainer import Trainer

    k_folds, outputs, labels = config.data.calibration_folds, [], []
    for k in range(k_folds):
        fold = copy.deepcopy(config)
        fold.data.folds, fold.data.fold, fold.data.calibration_folds, fold.data.calibrate = k_folds, k, 0, False
        fold.train.output_dir = str(Path(config.train.output_dir) / "calibration" / f"fold_{k}")
        fold.train.val_every = fold.train.max_steps
        task = TextEmotionTask()
        result = Trainer(task, fold, show_progress=show_progress).run()
        model = TextEmotionModel.from_pretrained(result.model_dir).eval()
        held_out = TextEmotionDataset.encoded(task._data(fold)[1], model.tokenizer, fold.model.num_fine)
        logits, truth = task.single_label_logits(model, held_out)
        outputs.append(logits)
        labels.append(truth)
    return torch.cat(outputs), torch.cat(labels)


class TextEmotionTask(TrainingTask):
    name = "text-emotion"
    config_class = TextEmotionTaskConfig

    def __init__(self):
        self._splits = None
        self.class_weights = None
        self.fine_weight = 0.5

    def _data(self, config: TextEmotionTaskConfig):
        if self._splits is None:
            root = goemotions_dir(config.data.root)
            examples = read_split(root, "train")
            if config.data.limit:
                examples = examples[:config.data.limit]
            seed = config.train.seed if config.data.split_seed is None else config.data.split_seed
            self._splits = split_train(examples, config.data.val_fraction, seed, config.data.folds, config.data.fold)
        return self._splits

    def build_model(self, config: TextEmotionTaskConfig) -> TextEmotionModel:
        from tokenizers import Tokenizer

        from ..emotion.lexicon import default_lexicon

        train, _ = self._data(config)
        # Cached in the run folder so that a resumed run uses the very same vocabulary.
        cached = Path(config.train.output_dir) / TOKENIZER_NAME
        if cached.is_file():
            tokenizer = Tokenizer.from_file(str(cached))
        else:
            tokenizer = train_tokenizer((ex.text for ex in train), config.model.vocab_size,
                                        config.data.min_frequency, config.model.max_length)
            cached.parent.mkdir(parents=True, exist_ok=True)
            cached.write_text(tokenizer.to_str())
        model = TextEmotionModel(config.model)
        if config.model.fine_mix > 0:
            labels = read_labels(goemotions_dir(config.data.root))
            model.fine_owner.copy_(torch.tensor(fine_to_category(labels)))
        return model.attach_tokenizer(tokenizer, default_lexicon() if config.model.use_lexicon else None)

    def build_datasets(self, config: TextEmotionTaskConfig):
        from tokenizers import Tokenizer

        train, val = self._data(config)
        tokenizer = Tokenizer.from_file(str(Path(config.train.output_dir) / TOKENIZER_NAME))
        sets = [TextEmotionDataset.encoded(part, tokenizer, config.model.num_fine) for part in (train, val)]
        counts = sets[0].targets.sum(0).clamp(min=1.0)
        self.class_weights = (counts.mean() / counts) ** config.data.class_weight_power
        self.fine_weight = config.data.fine_weight
        return sets[0], (sets[1] if len(val) else None)

    def collate(self, items: list[dict]) -> dict:
        ids, mask = pad_batch([it["ids"] for it in items])
        return {"ids": ids, "mask": mask, "categories": torch.stack([it["categories"] for it in items]),
                "fine": torch.stack([it["fine"] for it in items])}

    def loss(self, model, batch, generator):
        outs = model.member_logits(batch["ids"], batch["mask"])
        weights = self.class_weights.to(outs[0]["fused"].device)
        # Weighted soft-target cross-entropy, normalised by the weight of each comment's targets so
        # the loss scale does not depend on the batch's class mix.
        norm = (batch["categories"] * weights).sum()

        def category_loss(logits):
            return -(batch["categories"] * weights * F.log_softmax(logits.float(), -1)).sum() / norm

        # Each ensemble member trains on its own loss; the sum keeps them independent.
        total, logged = 0.0, {}
        for out in outs:
            fused = category_loss(out["fused"])
            fine_loss = F.binary_cross_entropy_with_logits(out["fine"].float(), batch["fine"])
            total = total + fused + self.fine_weight * fine_loss
            parts = {"category_loss": fused, "fine_loss": fine_loss}
            for name in ("encoder", "bag"):
                if name in out:
                    parts[f"{name}_loss"] = category_loss(out[name])
                    total = total + parts[f"{name}_loss"]
            for k, v in parts.items():  # logged: the members' mean
                logged[k] = logged.get(k, 0.0) + v.detach() / len(outs)
        return total, logged

    @torch.no_grad()
    def single_label_logits(self, model, dataset: TextEmotionDataset) -> tuple[torch.Tensor, torch.Tensor]:
        """The network's own category logits (``category_bias`` reset to zero) and labels for the comments
        of ``dataset`` whose labels fall in one category, as the benchmark judges them."""
        model.category_bias.zero_()
        outputs, true = [], []
        for start in range(0, len(dataset), 256):
            batch = self.collate([dataset[i] for i in range(start, min(len(dataset), start + 256))])
            logits, _ = model(batch["ids"].to(model.lexicon_vad.device), batch["mask"].to(model.lexicon_vad.device))
            outputs.append(logits.float().cpu())
            true.append(batch["categories"])
        logits, target = torch.cat(outputs), torch.cat(true)
        single = target.max(-1).values == 1.0
        return logits[single], target[single].argmax(-1)

    def calibrate(self, model, logits: torch.Tensor, labels: torch.Tensor, config) -> float:
        """Fit ``model.category_bias`` on held-out (logits, labels); returns the calibrated macro-F1
        on them (optimistic: fitted there; benchmarks/text_emotion.py measures unseen text)."""
        resamples = config.data.calibration_resamples
        bias = bagged_category_bias(logits, labels, resamples) if resamples else fit_category_bias(logits, labels)
        model.category_bias.copy_(bias.to(model.category_bias.device))
        return macro_f1(labels, (logits + bias).argmax(-1), len(TEXT_CATEGORIES))

    @torch.no_grad()
    def evaluate(self, model, dataset: TextEmotionDataset, config) -> dict[str, float]:
        metrics = super().evaluate(model, dataset, config)
        logits, labels = self.single_label_logits(model, dataset)
        pred = logits.argmax(-1)
        metrics["macro_f1_single"] = macro_f1(labels, pred, len(TEXT_CATEGORIES))
        metrics["accuracy_single"] = float((pred == labels).float().mean())
        if config.data.calibrate and not config.data.calibration_folds:
            metrics["macro_f1_single_calibrated"] = self.calibrate(model, logits, labels, config)
        return metrics

    def export_trains_models(self, config):
        return "data.calibration_folds" if config.data.calibrate and config.data.calibration_folds else None

    def before_export(self, model, dataset, config) -> dict[str, float]:
        """With ``data.calibration_folds``: the cross-fitted category offsets (see :func:`cross_fit`)."""
        if not self.export_trains_models(config):
            return {}
        logits, labels = cross_fit(config)
        calibrated = self.calibrate(model, logits, labels, config)
        return {"crossfit_comments": len(labels),
                "crossfit_macro_f1_single": macro_f1(labels, logits.argmax(-1), len(TEXT_CATEGORIES)),
                "crossfit_macro_f1_single_calibrated": calibrated}

    def model_card(self, config, summary: dict) -> str:
        k = config.data.calibration_folds
        calibration = (f"- Calibration: per-category logit offsets fitted (macro-F1) on {k}-fold cross-fitted "
                       f"logits of train.tsv: the same recipe trained {k} more times, each with one fold held out "
                       "(`calibration/fold_K` in the run folder), so every single-label comment was judged by a "
                       "model that had not seen it.\n" if config.data.calibrate and k else "")
        card = default_model_card(self.name, config, summary)
        return card.replace("Trained by emogen's own trainer.", (
            "Text -> emotion classifier over emogen's 7 text categories (neutral, happy, sad, angry, "
            "fearful, surprised, disgusted; calm is never predicted). Trained by emogen's own trainer "
            "from scratch (no pretrained weights): a small BERT encoder (transformers `BertModel`), a "
            "word-level tokenizer trained with `tokenizers` (tokenizer.json), a hashed bag of word "
            "n-grams and NRC VAD lexicon features.\n\n"
            "- Data: GoEmotions train.tsv (Demszky et al., ACL 2020), licence CC BY 4.0; 28 labels "
            "folded into Ekman groups by the dataset authors' mapping. dev.tsv was not used in training.\n"
            + calibration +
            "- Lexicon: NRC VAD Lexicon v1 (Mohammad 2018): research use; commercial use needs the "
            "consent of the National Research Council Canada."))
