"""The pipelines by name, for the front ends that pick one from a job or a request (app, batch).

    from emogen.pipelines import load_pipeline
    tts = load_pipeline("tts")                          # TTSPipeline.shared(): loaded once per process
    talk = load_pipeline("talk", device="cuda")         # speaks with TTSPipeline.shared(device="cuda")

Every kind comes from the one process-wide cache of ``emogen.core.pipeline`` (``XPipeline.shared``).
"""

from __future__ import annotations

import importlib

from .errors import EmogenError

PIPELINES = {  # kind -> (module, class)
    "tts": ("emogen.speech.pipeline", "TTSPipeline"),
    "talk": ("emogen.face.pipeline", "TalkPipeline"),
    "music": ("emogen.music.pipeline", "MusicPipeline"),
}


def load_pipeline(kind: str, name_or_path: str | None = None, device=None, dtype=None):
    """The shared pipeline of ``kind`` ('tts', 'talk' or 'music') for checkpoint ``name_or_path``
    (default: the shipped one) on ``device`` (default CPU) in ``dtype`` (default float32)."""
    if kind not in PIPELINES:
        raise EmogenError(f"unknown pipeline kind {kind!r}; accepted: {', '.join(PIPELINES)}")
    module, name = PIPELINES[kind]
    return getattr(importlib.import_module(module), name).shared(name_or_path, device, dtype)

