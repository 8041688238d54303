"""Talking head: portrait analysis, face motion from audio and emotion (flow matching), a
landmark-driven warp of the real photo, video I/O, measures. Start with ``TalkPipeline``.

Imports are lazy: importing ``emogen.face`` loads neither mediapipe nor OpenCV.
"""

# The photo suffixes ``load_image`` (Pillow) reads; here rather than in ``analysis`` so that the
# file checks of the front ends (``emogen.sources``, ``emogen eval face``) import no numpy.
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")

_EXPORTS = {
    "TalkPipeline": "pipeline",
    "TalkClip": "pipeline",
    "MotionBasis": "motion",
    "FaceMeshDetector": "landmarks",
    "inter_ocular_distance": "landmarks",
    "Portrait": "analysis",
    "analyze_portrait": "analysis",
    "default_portrait": "analysis",
    "load_image": "analysis",
    "PortraitRenderer": "warp",
    "VideoWriter": "video",
    "read_video": "video",
    "measure_landmarks": "measure",
    "measure_video": "measure",
    "lip_sync": "measure",
}


def __getattr__(name):
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = sorted(_EXPORTS)
