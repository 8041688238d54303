"""Scenes: one emotion drives speech, a talking head and a music bed, mixed into one mp4.

Names load on first use, so building the command line imports no torch."""

from __future__ import annotations

_EXPORTS = {"duck_gain": "mix", "fade": "mix", "mix_music_under_speech": "mix", "music_bed_gain": "mix",
            "SceneResult": "pipeline", "ScenePipeline": "pipeline", "make_scene": "pipeline",
            "music_bars_for": "pipeline"}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module 'emogen.scene' has no attribute {name!r}")
