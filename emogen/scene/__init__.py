"""Scenes: one emotion drives speech, a talking head and a music bed, mixed into one mp4."""

from .mix import duck_gain, fade, mix_music_under_speech, music_bed_gain
from .pipeline import SceneResult, ScenePipeline, make_scene, music_bars_for

__all__ = ["SceneResult", "ScenePipeline", "duck_gain", "fade", "make_scene",
           "mix_music_under_speech", "music_bars_for", "music_bed_gain"]
