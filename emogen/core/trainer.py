"""The one training loop every emogen model uses, on accelerate.

It runs on one CPU, one GPU, or many (``accelerate launch -m emogen train ...``), in fp32, fp16
or bf16 autocast, with gradient accumulation and clipping, an EMA of the weights (diffusers'
``EMAModel``), a warm-up + decay schedule (diffusers' ``get_scheduler``), periodic validation and
samples, resumable checkpoints and a CSV metrics log. What is trained is a :class:`TrainingTask`.

Exact resume: every random draw of step ``s`` (batch order, noise, dropout) comes from seeds
derived from ``(seed, s)``, so a run resumed from the checkpoint of step ``s`` takes the same
step ``s + 1`` as the run that never stopped.
"""

from __future__ import annotations

import contextlib
import csv
import json
import math
import os
import platform
import shlex
import shutil
import sys
import time
import warnings
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, ClassVar, Literal

import torch
import yaml
from torch.profiler import record_function
from torch.utils.data import Dataset, default_collate
from tqdm.auto import tqdm

from ..cpu import cpu_has_bf16_units
from ..errors import EmogenError
from .checkpoint import PretrainedModel
from .config import to_dict


@dataclass
class TrainConfig:
    output_dir: str = "runs/experiment"
    max_steps: int = 1000
    """optimizer steps"""
    batch_size: int = 32
    """examples per micro-batch and process"""
    grad_accum_steps: int = 1
    learning_rate: float = 3e-4
    weight_decay: float = 0.01
    betas: list[float] = field(default_factory=lambda: [0.9, 0.99])
    lr_schedule: Literal["constant", "cosine", "linear"] = "cosine"
    warmup_steps: int = 100
    max_grad_norm: float = 1.0
    ema_decay: float = 0.999
    """0 turns EMA off; the exported model uses EMA weights when on"""
    mixed_precision: Literal["auto", "no", "fp16", "bf16"] = "auto"
    """'auto': bf16 autocast on a GPU that supports it and on a CPU with bf16 matrix units (AMX,
    AVX512-BF16), else fp32 (``resolve_mixed_precision``). fp16 gives NaN losses in several TTS
    trainers; where bf16 is not supported the trainer falls back to fp16 on GPU and fp32 on CPU,
    and says so"""
    cpu: bool = False
    """train on the CPU even when a GPU is present"""
    seed: int = 0
    log_every: int = 20
    val_every: int = 200
    sample_every: int = 0
    save_every: int = 200
    keep_checkpoints: int = 2
    resume: str = "auto"
    """'auto': continue from the newest checkpoint in output_dir if there is one; 'never'; or a
    checkpoint directory"""
    init_from: str | None = None
    """fine-tuning: start from the weights of this exported model (a directory or a shipped
    checkpoint name) instead of a fresh initialisation; the optimizer and schedule start fresh"""
    init_grow: bool = False
    """with ``init_from``: parameters the source lacks (e.g. the blocks a larger
    ``model.decoder_layers`` adds) keep their fresh initialisation instead of being an error. A
    transformer block's gates start at zero, so appended blocks start as the identity and the
    grown model begins exactly where its source was"""

    def __post_init__(self):
        for name in ("max_steps", "batch_size", "grad_accum_steps"):
            if getattr(self, name) < 1:
                raise EmogenError(f"train.{name} must be >= 1, got {getattr(self, name)}")
        if not 0.0 <= self.ema_decay < 1.0:
            raise EmogenError(f"train.ema_decay must be in [0, 1), got {self.ema_decay}")
        if self.learning_rate <= 0:
            raise EmogenError(f"train.learning_rate must be > 0, got {self.learning_rate}")


class TrainingTask(ABC):
    """What to train: the model, the data, the loss, and how to judge and show progress.

    ``config_class`` is a dataclass with at least a ``train: TrainConfig`` field.
    """

    name: ClassVar[str]
    config_class: ClassVar[type]

    @abstractmethod
    def build_model(self, config) -> PretrainedModel: ...

    @abstractmethod
    def build_datasets(self, config) -> tuple[Dataset, Dataset | None]: ...

    @abstractmethod
    def loss(self, model, batch, generator: torch.Generator) -> torch.Tensor | tuple[torch.Tensor, dict]:
        """Scalar loss of one batch (and optional extra values to log). ``model`` is the plain
        model (never a distributed wrapper), so its own methods may be called."""

    def collate(self, items: list) -> Any:
        return default_collate(items)

    @torch.no_grad()
    def evaluate(self, model, dataset: Dataset, config) -> dict[str, float]:
        """Validation metrics; by default the loss on the whole validation set with fixed noise."""
        losses = []
        generator = torch.Generator().manual_seed(1234)
        bs = config.train.batch_size
        for start in range(0, len(dataset), bs):
            batch = self.collate([dataset[i] for i in range(start, min(len(dataset), start + bs))])
            out = self.loss(model, move_to(batch, next(model.parameters()).device), generator)
            losses.append(float(out[0] if isinstance(out, tuple) else out))
        return {"loss": sum(losses) / max(1, len(losses))}

    def write_samples(self, model, directory: Path, config) -> None:
        """Write a few generated examples to ``directory`` (optional)."""

    def before_export(self, model, dataset: Dataset | None, config) -> dict[str, float]:
        """Last adjustments to the final (EMA) model before it is saved, e.g. calibrations
        measured on the validation set; returns values to report in the model card."""
        return {}

    def export_trains_models(self, config) -> str | None:
        """The config option (e.g. ``data.cv_folds``) when ``before_export`` trains further models
        with this trainer, else None. Those runs happen in the main process alone, so the trainer
        refuses a multi-process launch for such a config before training starts."""
        return None

    def model_card(self, config, summary: dict) -> str:
        return default_model_card(self.name, config, summary)


class TrainingStep(torch.nn.Module):
    """The model and the task's loss as one module, so that the distributed wrapper's forward
    (which synchronises gradients across processes) runs on every step while tasks keep calling
    the plain model's own methods."""

    def __init__(self, task: "TrainingTask", model: torch.nn.Module):
        super().__init__()
        self.task, self.model = task, model

    def forward(self, batch, generator):
        return self.task.loss(self.model, batch, generator)


def move_to(batch: Any, device) -> Any:
    if torch.is_tensor(batch):
        return batch.to(device)
    if isinstance(batch, dict):
        return {k: move_to(v, device) for k, v in batch.items()}
    if isinstance(batch, (list, tuple)):
        return type(batch)(move_to(v, device) for v in batch)
    if hasattr(batch, "to"):
        return batch.to(device)
    return batch


class BatchIndexStream:
    """Endless shuffled batches whose ``k``-th batch depends only on (seed, k): resumable exactly.

    Each epoch is a permutation seeded by (seed, epoch); process ``rank`` of ``world`` takes every
    ``world``-th batch.
    """

    def __init__(self, n: int, batch_size: int, seed: int, rank: int = 0, world: int = 1):
        if n < 1:
            raise EmogenError("the training set is empty")
        self.n, self.batch_size, self.seed, self.rank, self.world = n, batch_size, seed, rank, world
        self._epoch, self._perm = -1, None

    def __call__(self, k: int) -> list[int]:
        start = (k * self.world + self.rank) * self.batch_size
        return [self._index(start + i) for i in range(self.batch_size)]

    def _index(self, position: int) -> int:
        epoch, offset = divmod(position, self.n)
        if epoch != self._epoch:
            self._perm = torch.randperm(self.n, generator=torch.Generator().manual_seed(self.seed * 100_003 + epoch))
            self._epoch = epoch
        return int(self._perm[offset])


def step_seed(seed: int, step: int, micro: int = 0, rank: int = 0) -> int:
    return (seed * 1_000_003 + step * 1_009 + micro * 17 + rank) % (2**63 - 1)


def resolve_mixed_precision(requested: str, on_gpu: bool) -> str:
    """The precision accelerate runs: 'no', 'fp16' or 'bf16'."""
    if requested == "auto":
        supported = torch.cuda.is_bf16_supported() if on_gpu else cpu_has_bf16_units()
        return "bf16" if supported else "no"
    if requested == "bf16":
        if on_gpu and not torch.cuda.is_bf16_supported():
            warnings.warn("bf16 is not supported on this GPU; training in fp16")
            return "fp16"
    if requested == "fp16" and not on_gpu:
        warnings.warn("fp16 autocast needs a GPU; training in fp32 on the CPU")
        return "no"
    return requested


@dataclass
class TrainResult:
    step: int
    output_dir: Path
    model_dir: Path | None
    metrics: dict[str, float]


class Trainer:
    """Runs a :class:`TrainingTask` under a config (see :class:`TrainConfig`).

    ``command``: the command line that reproduces this run, written into the model card
    (``emogen train`` passes its own; by default the process's arguments). ``on_step(step,
    metrics)`` is called after every optimizer step (benchmarks time and profile steps with it:
    ``benchmarks/profile_precision.py``).
    """

    def __init__(self, task: TrainingTask, config, show_progress: bool = True, command: str | None = None,
                 on_step: Callable[[int, dict[str, float]], None] | None = None):
        self.task, self.config, self.tc = task, config, config.train
        self.show_progress, self.on_step = show_progress, on_step
        self.command = command if command is not None else shlex.join(["emogen", *sys.argv[1:]])

    def run(self, max_steps: int | None = None) -> TrainResult:
        """Train up to ``max_steps`` (default: ``train.max_steps``); stopping early leaves a
        resumable checkpoint but exports no model unless ``train.max_steps`` was reached."""
        from accelerate import Accelerator
        from accelerate.state import AcceleratorState
        from accelerate.utils import set_seed
        from diffusers.optimization import get_scheduler
        from diffusers.training_utils import EMAModel

        tc = self.tc
        on_gpu = torch.cuda.is_available() and not tc.cpu
        precision = resolve_mixed_precision(tc.mixed_precision, on_gpu)
        # accelerate keeps one global state per process; a second run in the same process (API
        # users, tests) may ask for another precision, so forget the last run's choice.
        AcceleratorState._reset_state()
        accelerator = Accelerator(mixed_precision=precision, cpu=tc.cpu)
        option = self.task.export_trains_models(self.config)
        if option and accelerator.num_processes > 1:
            raise EmogenError(f"{option} trains further models after the main run, in one process: start "
                              f"`emogen train {self.task.name}` without `accelerate launch`, or turn {option} off")
        set_seed(tc.seed)
        model = self.task.build_model(self.config)
        if tc.init_from:  # a resumed run then replaces these weights with its own
            from .checkpoint import load_weights, resolve_checkpoint

            source = resolve_checkpoint(tc.init_from)
            model.load_state_dict(load_weights(source), strict=True, where=source, allow_missing=tc.init_grow)
        train_set, val_set = self.task.build_datasets(self.config)
        optimizer = torch.optim.AdamW(model.parameters(), lr=tc.learning_rate, betas=tuple(tc.betas),
                                      weight_decay=tc.weight_decay)
        schedule = get_scheduler(tc.lr_schedule, optimizer, num_warmup_steps=tc.warmup_steps,
                                 num_training_steps=tc.max_steps)
        # foreach: a few multi-tensor kernels per step instead of three per parameter
        ema = EMAModel(model.parameters(), decay=tc.ema_decay, foreach=True) if tc.ema_decay > 0 else None
        step_module, optimizer = accelerator.prepare(TrainingStep(self.task, model), optimizer)
        accelerator.register_for_checkpointing(schedule)
        if ema is not None:
            ema.to(accelerator.device)
            accelerator.register_for_checkpointing(ema)
        raw_model = accelerator.unwrap_model(step_module).model

        out = Path(tc.output_dir)
        out.mkdir(parents=True, exist_ok=True)
        step = self._resume(accelerator, out)
        if accelerator.is_main_process:
            (out / "config.yaml").write_text(yaml.safe_dump(to_dict(self.config), sort_keys=False))
        stream = BatchIndexStream(len(train_set), tc.batch_size, tc.seed, accelerator.process_index,
                                  accelerator.num_processes)
        log = MetricsLog(out / "metrics.csv", enabled=accelerator.is_main_process)
        target = min(tc.max_steps, max_steps or tc.max_steps)
        bar = tqdm(total=tc.max_steps, initial=step, desc=f"train {self.task.name}", dynamic_ncols=True,
                   disable=not (self.show_progress and accelerator.is_main_process))
        started, metrics, last_log = time.perf_counter(), {}, (step, time.perf_counter())
        while step < target:
            step_module.train()
            total = 0.0
            extras: dict[str, float] = {}
            for micro in range(tc.grad_accum_steps):
                seed = step_seed(tc.seed, step, micro, accelerator.process_index)
                torch.manual_seed(seed)  # data augmentation and dropout
                generator = torch.Generator().manual_seed(seed)
                with record_function("train.data"):
                    indices = stream(step * tc.grad_accum_steps + micro)
                    batch = move_to(self.task.collate([train_set[i] for i in indices]), accelerator.device)
                sync = (contextlib.nullcontext() if micro == tc.grad_accum_steps - 1
                        else accelerator.no_sync(step_module))
                with sync:
                    with record_function("train.forward"), accelerator.autocast():
                        out_loss = step_module(batch, generator)
                    loss, logged = out_loss if isinstance(out_loss, tuple) else (out_loss, {})
                    with record_function("train.backward"):
                        accelerator.backward(loss / tc.grad_accum_steps)
                # one wait for the device per micro-batch, for the loss and the logged values together
                values = torch.stack([loss.detach().float(), *(torch.as_tensor(v).detach().float().to(loss.device)
                                                               for v in logged.values())]).tolist()
                if not math.isfinite(values[0]):
                    raise FloatingPointError(f"loss became {values[0]} at step {step}; "
                                             "lower the learning rate or use mixed_precision=bf16/no")
                total += values[0] / tc.grad_accum_steps
                for k, v in zip(logged, values[1:]):
                    extras[k] = extras.get(k, 0.0) + v / tc.grad_accum_steps
            with record_function("train.optimizer"):
                grad_norm = accelerator.clip_grad_norm_(step_module.parameters(), tc.max_grad_norm)
                optimizer.step()
                schedule.step()
                optimizer.zero_grad(set_to_none=True)
            if ema is not None:
                with record_function("train.ema"):
                    ema.step(raw_model.parameters())
            step += 1
            bar.update(1)
            metrics = {"loss": total, **extras}
            if self.on_step is not None:
                self.on_step(step, metrics)
            if step % tc.log_every == 0 or step == target:
                now = time.perf_counter()
                rate = (step - last_log[0]) / max(1e-9, now - last_log[1])
                last_log = (step, now)
                log.write(step, {**metrics, "lr": schedule.get_last_lr()[0], "grad_norm": float(grad_norm),
                                 "steps_per_sec": rate})
                bar.set_postfix(loss=f"{total:.4f}", lr=f"{schedule.get_last_lr()[0]:.2e}")
            if val_set is not None and tc.val_every and (step % tc.val_every == 0 or step == tc.max_steps):
                with self._ema_weights(ema, raw_model):
                    raw_model.eval()
                    val = self.task.evaluate(raw_model, val_set, self.config)
                log.write(step, {f"val_{k}": v for k, v in val.items()})
                metrics.update({f"val_{k}": v for k, v in val.items()})
            if accelerator.is_main_process and tc.sample_every and step % tc.sample_every == 0:
                with self._ema_weights(ema, raw_model):
                    raw_model.eval()
                    self.task.write_samples(raw_model, out / "samples" / f"step_{step:07d}", self.config)
            if (tc.save_every and step % tc.save_every == 0) or step == target:
                self._save(accelerator, out, step)
        bar.close()
        model_dir = None
        if step >= tc.max_steps and accelerator.is_main_process:
            if val_set is not None and not any(k.startswith("val_") for k in metrics):
                with self._ema_weights(ema, raw_model):
                    raw_model.eval()
                    metrics.update({f"val_{k}": v for k, v in self.task.evaluate(raw_model, val_set, self.config).items()})
            model_dir = out / "model"
            with self._ema_weights(ema, raw_model):
                raw_model.eval()
                metrics.update(self.task.before_export(raw_model, val_set, self.config))
            state = self._ema_state_dict(ema, raw_model)
            summary = {"steps": step, "metrics": metrics, "train_seconds": round(time.perf_counter() - started, 1),
                       "hardware": hardware_summary(accelerator), "mixed_precision": precision,
                       "command": self.command,
                       "parameters": raw_model.num_parameters()}
            raw_model.save_pretrained(model_dir, self.task.model_card(self.config, summary), state_dict=state,
                                      metadata={"steps": step, "metrics": metrics})
        accelerator.wait_for_everyone()
        return TrainResult(step, out, model_dir, metrics)

    # -- helpers ------------------------------------------------------------------------------
    def _resume(self, accelerator, out: Path) -> int:
        tc = self.tc
        if tc.resume == "never":
            return 0
        if tc.resume == "auto":
            found = sorted((out / "checkpoints").glob("step_*"))
            if not found:
                return 0
            path = found[-1]
        else:
            path = Path(tc.resume)
            if not (path / "trainer_state.json").is_file():
                raise EmogenError(f"cannot resume from '{path}': not a training checkpoint (no trainer_state.json)")
        accelerator.load_state(str(path))
        state = json.loads((path / "trainer_state.json").read_text())
        accelerator.print(f"resumed from {path} at step {state['step']}")
        return int(state["step"])

    def _save(self, accelerator, out: Path, step: int) -> None:
        path = out / "checkpoints" / f"step_{step:07d}"
        accelerator.save_state(str(path))
        if accelerator.is_main_process:
            (path / "trainer_state.json").write_text(json.dumps({"step": step, "task": self.task.name}))
            old = sorted((out / "checkpoints").glob("step_*"))[:-self.tc.keep_checkpoints or None]
            for stale in old:
                if stale != path:
                    shutil.rmtree(stale, ignore_errors=True)

    @staticmethod
    @contextlib.contextmanager
    def _ema_weights(ema, model):
        if ema is None:
            yield
            return
        ema.store(model.parameters())
        ema.copy_to(model.parameters())
        try:
            yield
        finally:
            ema.restore(model.parameters())

    @staticmethod
    def _ema_state_dict(ema, model) -> dict[str, torch.Tensor]:
        state = dict(model.state_dict())
        if ema is not None:
            for (name, _), shadow in zip(model.named_parameters(), ema.shadow_params):
                state[name] = shadow.detach().clone()
        return state


class MetricsLog:
    """Long-format CSV (``step,metric,value``) that survives resumes by appending."""

    def __init__(self, path: Path, enabled: bool = True):
        self.path, self.enabled = path, enabled
        if enabled and not path.exists():
            path.write_text("step,metric,value\n")

    def write(self, step: int, values: dict[str, float]) -> None:
        if not self.enabled:
            return
        with self.path.open("a", newline="") as f:
            writer = csv.writer(f)
            for k, v in values.items():
                if isinstance(v, (int, float)) and math.isfinite(v):
                    writer.writerow([step, k, f"{v:.6g}"])


def hardware_summary(accelerator=None) -> str:
    device = "CPU"
    if accelerator is not None and accelerator.device.type == "cuda":
        device = torch.cuda.get_device_name(accelerator.device)
    procs = accelerator.num_processes if accelerator is not None else 1
    return (f"{device} x{procs}, {os.cpu_count()} CPU cores, {platform.machine()}, "
            f"torch {torch.__version__}, Python {platform.python_version()}")


def default_model_card(name: str, config, summary: dict) -> str:
    metrics = "\n".join(f"| {k} | {v:,} |" if isinstance(v, int) else f"| {k} | {v:.4g} |"
                         for k, v in summary.get("metrics", {}).items())
    return f"""# emogen {name} model

Trained by emogen's own trainer.

- Steps: {summary.get('steps')}
- Parameters: {summary.get('parameters', 0):,}
- Mixed precision: {summary.get('mixed_precision')}
- Hardware: {summary.get('hardware')}
- Training time: {summary.get('train_seconds')} s
- Command: `{summary.get('command')}`

## Metrics at the end of training

| metric | value |
|---|---|
{metrics}

## Configuration

```yaml
{yaml.safe_dump(to_dict(config), sort_keys=False)}```
"""
