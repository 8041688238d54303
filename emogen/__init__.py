"""emogen: speech, talking-head video and symbolic music with one controllable emotion space."""

__version__ = "0.1.0"

from .emotion import EmotionSpec, EmotionTrajectory, parse_emotion  # noqa: E402
from .errors import EmogenError  # noqa: E402

# The pipelines import torch, so they load on first attribute access: ``import emogen`` stays fast.
_LAZY = {
    "TTSPipeline": "emogen.speech.pipeline",
    "MusicPipeline": "emogen.music.pipeline",
    "TalkPipeline": "emogen.face",
    "ScenePipeline": "emogen.scene",
    "make_scene": "emogen.scene",
    "run_batch": "emogen.batch",
    "read_emotion": "emogen.sources",
}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'emogen' has no attribute {name!r}")


__all__ = ["EmogenError", "EmotionSpec", "EmotionTrajectory", "MusicPipeline", "ScenePipeline", "TTSPipeline",
           "TalkPipeline", "__version__", "make_scene", "parse_emotion", "read_emotion", "run_batch"]
