"""The contract every emogen pipeline keeps (as diffusers' pipelines do).

    pipe = XPipeline.from_pretrained(name_or_path, device=None, dtype=None)   # load once
    pipe.to("cuda", torch.bfloat16)                                          # returns the pipeline
    result = pipe(...)                                                       # writes no file
    result.save("out.wav")                                                   # atomic, via emogen.io

A pipeline owns loading, device and dtype, pre- and post-processing; its network (``model``)
only maps tensors to velocities and the shared ``FlowSampler`` integrates them. Calling returns a
result object (speech: audio + sample rate, face: a clip, music: a piece) that holds everything
made and writes it only when ``save`` is called.

``XPipeline.shared(name_or_path, device, dtype)`` is the process-wide instance: loaded on the
first request, then the same object for every caller and thread (the app serves requests
concurrently; ``emogen batch``, ``emogen scene`` and the CLIs ask for it too), so no front end
loads a model twice. Shared pipelines must not be moved with ``.to()``: ask for the device and
dtype wanted instead.
"""

from __future__ import annotations

import threading
from typing import Callable, ClassVar, TypeVar

import torch

from ..errors import EmogenError
from .checkpoint import PretrainedModel, resolve_checkpoint

T = TypeVar("T")
_cache: dict[tuple, object] = {}
_key_locks: dict[tuple, threading.Lock] = {}
_lock = threading.Lock()  # guards the two dicts above; never held while something loads


def cached(key: tuple, load: Callable[[], T]) -> T:
    """``load()`` once per ``key`` in this process, thread-safely: the first caller loads while
    later callers with the same key wait and then share its object; other keys load in parallel."""
    with _lock:
        if key in _cache:
            return _cache[key]
        key_lock = _key_locks.setdefault(key, threading.Lock())
    with key_lock:
        with _lock:
            if key in _cache:
                return _cache[key]
        value = load()
        with _lock:
            _cache[key] = value
    return value


def clear_cache() -> None:
    """Forget every shared pipeline (tests; freeing memory)."""
    with _lock:
        _cache.clear()
        _key_locks.clear()


class Pipeline:
    """Base of the speech, face and music pipelines: ``from_pretrained``, ``to``, ``device``, ``dtype``.

    Subclasses set ``model_class`` (the network loaded from a checkpoint) and
    ``default_checkpoint`` (the shipped name used when none is given), and define ``__call__``.
    """

    model_class: ClassVar[type[PretrainedModel]]
    default_checkpoint: ClassVar[str]

    def __init__(self, model: PretrainedModel, device: str | torch.device | None = None,
                 dtype: torch.dtype | None = None):
        self.model = model.eval()
        self.device, self.dtype = torch.device("cpu"), torch.float32
        self.to(device, dtype)

    @classmethod
    def from_pretrained(cls, name_or_path: str | None = None, device: str | torch.device | None = None,
                        dtype: torch.dtype | None = None, **components):
        """Load the checkpoint ``name_or_path`` (a directory, a shipped name, or a Hub id; default
        ``default_checkpoint``) onto ``device`` (default CPU) in ``dtype`` (default float32).
        ``components`` go to ``__init__`` (e.g. a speech pipeline for the talking head to share)."""
        model = cls.model_class.from_pretrained(name_or_path or cls.default_checkpoint)
        return cls(model, device=device, dtype=dtype, **components)

    @classmethod
    def shared(cls, name_or_path: str | None = None, device: str | torch.device | None = None,
               dtype: torch.dtype | None = None):
        """The process-wide pipeline for this checkpoint, device and dtype (defaults as in
        :meth:`from_pretrained`), loaded on the first request (see the module doc)."""
        name_or_path = name_or_path or cls.default_checkpoint
        device, dtype = torch.device(device or "cpu"), dtype or torch.float32
        key = (cls, cls.shared_key(name_or_path), str(device), dtype)

        def load():
            pipe = cls._load_shared(name_or_path, device, dtype)
            pipe._shared = True  # from now on .to() refuses to move it under the other users
            return pipe

        return cached(key, load)

    @classmethod
    def shared_key(cls, name_or_path: str) -> str:
        """What identifies the model ``name_or_path`` loads (two spellings of one checkpoint share it)."""
        return str(resolve_checkpoint(name_or_path).resolve())

    @classmethod
    def _load_shared(cls, name_or_path: str, device: torch.device, dtype: torch.dtype):
        return cls.from_pretrained(name_or_path, device, dtype)

    def to(self, device: str | torch.device | torch.dtype | None = None, dtype: torch.dtype | None = None):
        """Move the networks to ``device`` and/or cast them to ``dtype`` (``None`` keeps the current
        one; ``pipe.to(torch.bfloat16)`` casts only). Returns the pipeline."""
        if isinstance(device, torch.dtype):
            device, dtype = None, device
        if dtype is not None and not dtype.is_floating_point:
            raise EmogenError(f"dtype {dtype} is not a floating-point type; accepted: torch.float32, "
                              "torch.float16, torch.bfloat16")
        moves = (device is not None and torch.device(device) != self.device) or (dtype not in (None, self.dtype))
        if moves and getattr(self, "_shared", False):
            name = type(self).__name__
            raise RuntimeError(f"this {name} is shared by every caller ({name}.shared); ask for "
                               f"{name}.shared(name_or_path, device, dtype) instead of moving it")
        if device is not None:
            self.device = torch.device(device)
        if dtype is not None:
            self.dtype = dtype
        self.model.to(self.device, self.dtype)
        return self


def refuse_output(pipeline, output) -> None:
    """Calling a pipeline never writes a file: the old ``output=`` argument gets a clear message."""
    if output is not None:
        name = type(pipeline).__name__
        raise TypeError(f"{name}(...) no longer writes a file (output=...): it returns a result; "
                        f"write it with result.save({str(output)!r})")
