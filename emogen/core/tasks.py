"""Names for ``emogen train <name>``: each maps to the TrainingTask that trains it.

Imported lazily so that ``emogen train toy2d`` does not import the speech or music stacks.
"""

from __future__ import annotations

import importlib

from ..errors import EmogenError
from .trainer import TrainingTask

TASKS = {
    "toy2d": ("emogen.core.toy:Toy2DTask", "2-D points whose place depends on the emotion: a check of the core"),
    "ser": ("emogen.eval.ser:SERTask", "speech-emotion classifier on RAVDESS, for judging generated speech"),
    "tts": ("emogen.speech.task:TTSTask", "emotional text-to-speech acoustic model on the built corpus (emogen.speech)"),
    "text-emotion": ("emogen.text.task:TextEmotionTask", "text -> emotion classifier on GoEmotions (emogen.text)"),
    "music": ("emogen.music.task:MusicTask", "emotion-conditioned piano music (EMOPIA + VGMIDI piano rolls)"),
    "face": ("emogen.face.task:FaceTask", "talking-head motion from audio and emotion (emogen.face)"),
}


def get_task(name: str) -> TrainingTask:
    if name not in TASKS:
        raise EmogenError(f"unknown training task '{name}'; accepted: {', '.join(TASKS)}")
    module, _, cls = TASKS[name][0].partition(":")
    return getattr(importlib.import_module(module), cls)()
