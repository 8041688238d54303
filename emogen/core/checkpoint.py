"""Checkpoints: a directory with ``config.json``, ``model.safetensors`` and a ``README.md`` model card.

``from_pretrained(name_or_path)`` accepts a directory, the name of a checkpoint shipped with the
package (``emogen/checkpoints``, or the folder ``$EMOGEN_CHECKPOINTS`` names instead), or, for
users with internet and ``huggingface_hub`` installed, a Hub repository id (``owner/name``). Never pickle: weights are
safetensors, configs JSON.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, ClassVar

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from ..errors import EmogenError
from ..io import atomic_dir
from .config import from_dict, to_dict

CONFIG_NAME = "config.json"
WEIGHTS_NAME = "model.safetensors"
CARD_NAME = "README.md"
MODEL_TYPES: dict[str, type["PretrainedModel"]] = {}
"""Every ``PretrainedModel`` subclass defined so far, by ``model_type``: a class registers itself when
its module is imported (core names no medium; the media import core)."""


def shipped_checkpoints_dir() -> Path:
    """Where checkpoints are found by name: ``$EMOGEN_CHECKPOINTS`` when set, else the package's
    ``emogen/checkpoints`` (package data in a wheel; in a source checkout a link to the top-level
    ``checkpoints/``, which is used directly where the link was checked out as a plain file)."""
    env = os.environ.get("EMOGEN_CHECKPOINTS")
    if env:
        return Path(env).expanduser()
    package = Path(__file__).resolve().parents[1]
    shipped = package / "checkpoints"
    return shipped if shipped.is_dir() else package.parent / "checkpoints"


def shipped_names() -> list[str]:
    root = shipped_checkpoints_dir()
    return sorted(p.name for p in root.iterdir() if (p / CONFIG_NAME).is_file()) if root.is_dir() else []


def resolve_checkpoint(name_or_path: str | os.PathLike) -> Path:
    """The local directory behind a path, a shipped name or a Hub id."""
    path = Path(name_or_path).expanduser()
    if path.is_dir():
        return path
    shipped = shipped_checkpoints_dir() / str(name_or_path)
    if shipped.is_dir():
        return shipped
    text = str(name_or_path)
    if text.count("/") == 1 and not path.exists() and not text.startswith((".", "/")):
        try:
            from huggingface_hub import snapshot_download
        except ImportError:
            pass
        else:
            try:
                return Path(snapshot_download(text, allow_patterns=[CONFIG_NAME, WEIGHTS_NAME, CARD_NAME]))
            except Exception as e:  # offline, missing repo, ...: say what was tried
                raise EmogenError(f"checkpoint '{text}' is not a local directory and the Hub gave: {e}") from None
    names = shipped_names()
    raise EmogenError(
        f"checkpoint '{name_or_path}' not found; give a directory with {CONFIG_NAME} and {WEIGHTS_NAME}"
        + (f", or a shipped name: {', '.join(names)}" if names else "")
    )


class PretrainedModel(nn.Module):
    """Base for every emogen network that is saved and loaded.

    Subclasses set ``model_type`` (a unique name) and ``config_class`` (a dataclass) and take the
    config as the only argument of ``__init__``.
    """

    model_type: ClassVar[str]
    config_class: ClassVar[type]

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "model_type" in cls.__dict__:
            MODEL_TYPES[cls.model_type] = cls

    def __init__(self, config):
        super().__init__()
        self.config = config

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def save_pretrained(self, directory: str | os.PathLike, model_card: str | None = None,
                        state_dict: dict[str, torch.Tensor] | None = None, metadata: dict | None = None) -> Path:
        """Write the checkpoint directory atomically (an existing one is replaced only on success).

        Args:
            state_dict: weights to save instead of the module's own (e.g. EMA weights).
            metadata: extra JSON-able facts stored in config.json (training steps, metrics).
        """
        from .. import __version__

        state = {k: v.detach().to("cpu").contiguous() for k, v in (state_dict or self.state_dict()).items()}
        config = {"model_type": self.model_type, "emogen_version": __version__, "config": to_dict(self.config)}
        if metadata:
            config["metadata"] = metadata
        directory = Path(directory)
        with atomic_dir(directory) as tmp:
            save_file(state, str(tmp / WEIGHTS_NAME), metadata={"format": "pt", "model_type": self.model_type})
            (tmp / CONFIG_NAME).write_text(json.dumps(config, indent=2) + "\n")
            (tmp / CARD_NAME).write_text(model_card or f"# {self.model_type}\n\nNo model card was written.\n")
        return directory

    @classmethod
    def from_pretrained(cls, name_or_path: str | os.PathLike, device: str | torch.device = "cpu",
                        dtype: torch.dtype | None = None) -> "PretrainedModel":
        directory = resolve_checkpoint(name_or_path)
        raw = read_checkpoint_config(directory)
        model_type = raw.get("model_type")
        target = cls
        if cls is PretrainedModel or getattr(cls, "model_type", None) is None:
            if model_type not in MODEL_TYPES:
                raise EmogenError(f"checkpoint '{directory}' holds an unknown model type {model_type!r}: no loaded module "
                                  f"defines it (loaded: {', '.join(sorted(MODEL_TYPES))}); load it with its medium's "
                                  "class, e.g. emogen.speech.model.TTSModel.from_pretrained(...)")
            target = MODEL_TYPES[model_type]
        elif model_type != cls.model_type:
            raise EmogenError(f"checkpoint '{directory}' holds a {model_type!r} model, not {cls.model_type!r}")
        config = from_dict(target.config_class, raw.get("config"), "config")
        model = target(config)
        model.load_state_dict(load_weights(directory), strict=True, where=directory)
        model.eval()
        return model.to(device=device, dtype=dtype) if dtype else model.to(device)

    def load_state_dict(self, state_dict: dict[str, Any], strict: bool = True, assign: bool = False,
                        where: Any = "weights", allow_missing: bool = False):
        """Like ``nn.Module.load_state_dict``, but a mismatch is one readable :class:`EmogenError`.
        ``allow_missing``: parameters absent from ``state_dict`` keep their current values (growing
        a model); unexpected or wrongly shaped ones are still an error."""
        own = self.state_dict()
        missing = [] if allow_missing else [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        wrong = [f"{k} {tuple(state_dict[k].shape)} vs {tuple(v.shape)}" for k, v in own.items()
                 if k in state_dict and state_dict[k].shape != v.shape]
        if strict and (missing or unexpected or wrong):
            parts = []
            for label, keys in (("missing", missing), ("unexpected", unexpected), ("wrong shape", wrong)):
                if keys:
                    parts.append(f"{label}: {', '.join(keys[:3])}{' ...' if len(keys) > 3 else ''} ({len(keys)})")
            raise EmogenError(f"checkpoint '{where}' does not match this {self.model_type} model: " + "; ".join(parts))
        return super().load_state_dict(state_dict, strict=strict and not allow_missing, assign=assign)


def read_checkpoint_config(directory: Path) -> dict:
    path = directory / CONFIG_NAME
    if not path.is_file():
        raise EmogenError(f"checkpoint '{directory}' has no {CONFIG_NAME}")
    try:
        raw = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise EmogenError(f"checkpoint '{directory}' is corrupt: {CONFIG_NAME} is not valid JSON ({e})") from None
    if not isinstance(raw, dict) or "model_type" not in raw:
        raise EmogenError(f"checkpoint '{directory}' is corrupt: {CONFIG_NAME} has no model_type")
    return raw


def load_weights(directory: Path) -> dict[str, torch.Tensor]:
    path = directory / WEIGHTS_NAME
    if not path.is_file():
        raise EmogenError(f"checkpoint '{directory}' has no {WEIGHTS_NAME}")
    try:
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError, RuntimeError) as e:
        raise EmogenError(f"checkpoint '{directory}' is corrupt: {WEIGHTS_NAME} cannot be read ({e})") from None


def load_pretrained(name_or_path: str | os.PathLike, **kwargs) -> PretrainedModel:
    """Load an emogen checkpoint whose class is already imported (see :data:`MODEL_TYPES`); its
    ``model_type`` picks the class."""
    return PretrainedModel.from_pretrained(name_or_path, **kwargs)
