"""emogen: speech, talking-head video and symbolic music with one controllable emotion space."""

__version__ = "0.1.0"

from .emotion import EmotionSpec, EmotionTrajectory, parse_emotion  # noqa: E402
from .errors import EmogenError  # noqa: E402

__all__ = ["EmogenError", "EmotionSpec", "EmotionTrajectory", "__version__", "parse_emotion"]
