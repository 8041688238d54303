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
}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        try:
            module = importlib.import_module(_LAZY[name])
        except ModuleNotFoundError as e:
            if not _LAZY[name].startswith(str(e.name)):
                raise  # a missing third-party package: keep its own message
            module = None
        if module is None or not hasattr(module, name):
            raise AttributeError(f"emogen.{name} is not available in this installation ({_LAZY[name]})")
        return getattr(module, name)
    raise AttributeError(f"module 'emogen' has no attribute {name!r}")


__all__ = ["EmogenError", "EmotionSpec", "EmotionTrajectory", "MusicPipeline", "ScenePipeline", "TTSPipeline",
           "TalkPipeline", "__version__", "make_scene", "parse_emotion", "run_batch"]
