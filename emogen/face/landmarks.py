"""The 478-point MediaPipe face mesh: named index groups and a lazy detector.

Every landmark array in emogen.face is ``(478, 2)`` float32 PIXEL coordinates ``(x, y)`` (x to the
right, y down) of the image it was found in. "Right" and "left" are the subject's: the subject's
right eye is on the image's left. Points 468-472 are the right iris (468 its centre), 473-477 the
left iris (473 its centre); they exist because the mesh runs with ``refine_landmarks=True``.

MediaPipe (Apache-2.0) ships its face detection and mesh models inside the 0.10.21 wheel, so
detection works offline. It pins numpy<2 and is heavy, so it sits behind the ``face`` extra and is
imported only when a detector is built.
"""

from __future__ import annotations

import contextlib
import os

import numpy as np

from ..errors import EmogenError

N_LANDMARKS = 478

# --- mouth
LIP_CORNERS = (61, 291)  # right corner (image left), left corner
UPPER_LIP_INNER_CENTRE, LOWER_LIP_INNER_CENTRE = 13, 14
UPPER_LIP_OUTER = (61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291)
LOWER_LIP_OUTER = (61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291)
UPPER_LIP_INNER = (78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308)
LOWER_LIP_INNER = (78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308)
OUTER_LIPS = UPPER_LIP_OUTER + LOWER_LIP_OUTER[-2:0:-1]  # closed polygon, clockwise on screen
INNER_LIPS = UPPER_LIP_INNER + LOWER_LIP_INNER[-2:0:-1]
LIPS = tuple(sorted(set(OUTER_LIPS + INNER_LIPS)))

# --- eyes: upper and lower lids listed from the outer to the inner corner, paired point by point
RIGHT_EYE_CORNERS = (33, 133)  # outer, inner
LEFT_EYE_CORNERS = (263, 362)
RIGHT_UPPER_LID = (246, 161, 160, 159, 158, 157, 173)
RIGHT_LOWER_LID = (7, 163, 144, 145, 153, 154, 155)
LEFT_UPPER_LID = (466, 388, 387, 386, 385, 384, 398)
LEFT_LOWER_LID = (249, 390, 373, 374, 380, 381, 382)
RIGHT_EYE = (33,) + RIGHT_UPPER_LID + (133,) + RIGHT_LOWER_LID[::-1]  # closed contour
LEFT_EYE = (263,) + LEFT_UPPER_LID + (362,) + LEFT_LOWER_LID[::-1]

# --- brows: lower and upper edge from the outer to the inner end
RIGHT_BROW_LOWER, RIGHT_BROW_UPPER = (46, 53, 52, 65, 55), (70, 63, 105, 66, 107)
LEFT_BROW_LOWER, LEFT_BROW_UPPER = (276, 283, 282, 295, 285), (300, 293, 334, 296, 336)
RIGHT_BROW = RIGHT_BROW_LOWER + RIGHT_BROW_UPPER
LEFT_BROW = LEFT_BROW_LOWER + LEFT_BROW_UPPER
INNER_BROWS = (65, 55, 66, 107, 295, 285, 296, 336)  # the two points nearest the nose on each edge
OUTER_BROWS = (46, 53, 70, 63, 276, 283, 300, 293)
BROWS = RIGHT_BROW + LEFT_BROW

# --- outline and irises
FACE_OVAL = (10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377,
             152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109)
FOREHEAD_TOP, CHIN = 10, 152
RIGHT_IRIS, LEFT_IRIS = (468, 469, 470, 471, 472), (473, 474, 475, 476, 477)
IRISES = RIGHT_IRIS + LEFT_IRIS
NOSE_TIP = 1


def eye_centres(landmarks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(right, left) eye centres in pixels: the midpoints of each eye's two corners.

    Corners rather than irises or lid contours, so that gaze and blinks do not move them.
    """
    lm = np.asarray(landmarks, dtype=np.float64)
    return lm[list(RIGHT_EYE_CORNERS)].mean(axis=0), lm[list(LEFT_EYE_CORNERS)].mean(axis=0)


def inter_ocular_distance(landmarks: np.ndarray) -> float:
    """Distance between the two eye centres (see :func:`eye_centres`), in pixels."""
    right, left = eye_centres(landmarks)
    return float(np.hypot(*(left - right)))


def _quiet_mediapipe_logs() -> None:
    # mediapipe's C++ side logs through glog and TFLite; these variables must be set before import
    os.environ.setdefault("GLOG_minloglevel", "2")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    try:
        from absl import logging as absl_logging

        absl_logging.set_verbosity(absl_logging.ERROR)
    except ImportError:
        pass


@contextlib.contextmanager
def _quiet_stderr():
    """Silence the C++ side's start-up chatter (TFLite delegate, absl pre-init warnings), which
    goes straight to file descriptor 2 and would break the CLI's one-line error output."""
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _face_mesh_module():
    _quiet_mediapipe_logs()
    try:
        from mediapipe.python.solutions import face_mesh
    except ImportError:
        raise EmogenError("face analysis needs mediapipe: pip install 'emogen[face]'") from None
    return face_mesh


class FaceMeshDetector:
    """MediaPipe face mesh with iris refinement, built lazily and reused.

    Two graphs are kept: a static one (every image detected from scratch, several faces) for
    portraits, and a tracking one (landmarks of the previous frame seed the next) for video frames.

    Args:
        max_faces: how many faces :meth:`detect` may return.
        min_confidence: detection confidence threshold in [0, 1].
    """

    def __init__(self, max_faces: int = 4, min_confidence: float = 0.5):
        self.max_faces = max_faces
        self.min_confidence = min_confidence
        self._static = None
        self._tracking = None

    def _graph(self, tracking: bool):
        face_mesh = _face_mesh_module()
        if tracking:
            if self._tracking is None:
                self._tracking = face_mesh.FaceMesh(static_image_mode=False, max_num_faces=1, refine_landmarks=True,
                                                    min_detection_confidence=self.min_confidence,
                                                    min_tracking_confidence=0.5)
            return self._tracking
        if self._static is None:
            self._static = face_mesh.FaceMesh(static_image_mode=True, max_num_faces=self.max_faces,
                                              refine_landmarks=True, min_detection_confidence=self.min_confidence)
        return self._static

    def detect(self, rgb: np.ndarray) -> list[np.ndarray]:
        """All faces in one image, largest first.

        Args:
            rgb: ``(h, w, 3)`` uint8 RGB image.
        Returns:
            a list of ``(478, 2)`` float32 landmark arrays in pixels (empty when no face).
        """
        return self._run(rgb, tracking=False)

    def track(self, rgb: np.ndarray) -> np.ndarray | None:
        """The one face of a video frame, using the previous frame's landmarks as a prior.

        Returns ``(478, 2)`` float32 pixel landmarks, or None when no face is found.
        """
        faces = self._run(rgb, tracking=True)
        return faces[0] if faces else None

    def reset_tracking(self) -> None:
        """Forget the previous frame (call between videos)."""
        if self._tracking is not None:
            self._tracking.close()
            self._tracking = None

    def _run(self, rgb: np.ndarray, tracking: bool) -> list[np.ndarray]:
        rgb = np.asarray(rgb)
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise ValueError(f"expected an (h, w, 3) uint8 RGB image, got {rgb.shape} {rgb.dtype}")
        h, w = rgb.shape[:2]
        first = (self._tracking if tracking else self._static) is None
        if first:  # building a graph and its first run print the start-up chatter
            with _quiet_stderr():
                result = self._graph(tracking).process(np.ascontiguousarray(rgb))
        else:
            result = self._graph(tracking).process(np.ascontiguousarray(rgb))
        faces = []
        for face in result.multi_face_landmarks or []:
            xy = np.array([(p.x * w, p.y * h) for p in face.landmark], dtype=np.float32)
            if len(xy) == N_LANDMARKS:
                faces.append(xy)
        faces.sort(key=lambda lm: -float(np.ptp(lm[list(FACE_OVAL), 0])))
        return faces

    def close(self) -> None:
        for graph in (self._static, self._tracking):
            if graph is not None:
                graph.close()
        self._static = self._tracking = None

    def __enter__(self) -> "FaceMeshDetector":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
