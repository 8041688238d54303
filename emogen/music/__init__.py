"""Emotion-conditioned symbolic (piano) music: piano rolls, the flow model, the pipeline, audio.

``MusicPipeline.from_pretrained("music-emopia")("happy", bars=16)`` returns a :class:`MusicResult`
holding a ``pretty_midi.PrettyMIDI``. Imports are lazy so ``import emogen.music`` stays light.
"""

from __future__ import annotations

__all__ = ["MusicPipeline", "MusicResult", "PianoRoll"]


def __getattr__(name):
    if name == "MusicPipeline":
        from .pipeline import MusicPipeline
        return MusicPipeline
    if name == "MusicResult":
        from .result import MusicResult
        return MusicResult
    if name == "PianoRoll":
        from .representation import PianoRoll
        return PianoRoll
    raise AttributeError(name)
