"""Expression measures from face-mesh landmarks, lip sync, and identity stability.

Every measure is taken in a face-aligned frame (rotated so that the line through the two eye
centres is horizontal, origin at their midpoint) and expressed in inter-ocular distances (IOD),
so that it does not depend on image size, head roll or distance to the camera. Larger always
means "more": higher lip corners, wider or more open mouth, higher brows, more open eyes.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np

from . import landmarks as L

MEASURES = ("lip_corner_height", "mouth_width", "mouth_open", "brow_height", "inner_brow_height", "eye_open")
_INNER_UPPER = list(L.UPPER_LIP_INNER[3:8])  # the central five inner-lip pairs: the opening, not the corners
_INNER_LOWER = list(L.LOWER_LIP_INNER[3:8])
_UPPER_LIDS = list(L.RIGHT_UPPER_LID + L.LEFT_UPPER_LID)
_LOWER_LIDS = list(L.RIGHT_LOWER_LID + L.LEFT_LOWER_LID)


def align_landmarks(landmarks: np.ndarray) -> np.ndarray:
    """Landmarks in the face frame: eye-centre midpoint at the origin, eye line along +x, y down,
    unit = one inter-ocular distance. ``(478, 2)`` -> ``(478, 2)`` float64."""
    lm = np.asarray(landmarks, dtype=np.float64)
    right, left = L.eye_centres(lm)
    axis = left - right
    iod = float(np.hypot(*axis))
    if iod <= 0:
        raise ValueError("degenerate landmarks: the two eye centres coincide")
    c, s = axis / iod
    rot = np.array([[c, s], [-s, c]])  # rotates the eye line onto +x
    return (lm - (right + left) / 2) @ rot.T / iod


def measure_landmarks(landmarks: np.ndarray) -> dict[str, float]:
    """The six expression measures of one face, in IOD.

    - ``lip_corner_height``: eye line minus the mean lip-corner height (negative; rises in a smile).
    - ``mouth_width``: corner-to-corner distance.
    - ``mouth_open``: mean gap between the central upper and lower inner-lip points.
    - ``brow_height``: mean height of all brow points above the eye line.
    - ``inner_brow_height``: the same for the inner (nasal) brow points only.
    - ``eye_open``: mean gap between paired upper- and lower-lid points, both eyes.
    """
    a = align_landmarks(landmarks)
    y = a[:, 1]  # down is positive, so "height above the eye line" is -y
    corners = a[list(L.LIP_CORNERS)]
    return {
        "lip_corner_height": float(-corners[:, 1].mean()),
        "mouth_width": float(np.hypot(*(corners[1] - corners[0]))),
        "mouth_open": float(np.mean(y[_INNER_LOWER] - y[_INNER_UPPER])),
        "brow_height": float(-y[list(L.BROWS)].mean()),
        "inner_brow_height": float(-y[list(L.INNER_BROWS)].mean()),
        "eye_open": float(np.mean(y[_LOWER_LIDS] - y[_UPPER_LIDS])),
    }


def measure_video(frames: Iterable[np.ndarray], detector: L.FaceMeshDetector | None = None,
                  progress: bool = False, classifier=None) -> dict:
    """Track the face through a video and measure every frame.

    Args:
        frames: ``(h, w, 3)`` uint8 RGB frames.
        detector: reused when given (its tracking state is reset first).
        classifier: an :class:`emogen.face.expression.ExpressionClassifier` to score every frame.
    Returns:
        a dict with one ``(n_frames,)`` float64 array per measure (NaN where no face was found),
        ``detected`` (bool array), ``detection_rate`` (share of frames with a face), ``n_frames``,
        ``first_landmarks`` / ``last_landmarks`` (``(478, 2)`` or None), and with a classifier
        ``expression``: ``(n_frames, 7)`` probabilities of its labels (NaN rows without a face).
    """
    detector = detector or L.FaceMeshDetector()
    detector.reset_tracking()
    if classifier is not None:
        from .expression import LABELS, SIZE, face_crop
    rows, detected, crops = [], [], []
    first = last = None
    iterator = frames
    if progress:
        from tqdm import tqdm

        iterator = tqdm(frames, desc="measuring", unit="frame", leave=False)
    for frame in iterator:
        lm = detector.track(frame)
        detected.append(lm is not None)
        if lm is None:
            rows.append({k: np.nan for k in MEASURES})
            continue
        rows.append(measure_landmarks(lm))
        if classifier is not None:
            crops.append(face_crop(frame, lm))
        first = lm if first is None else first
        last = lm
    n = len(rows)
    out: dict = {k: np.array([r[k] for r in rows], dtype=np.float64) for k in MEASURES}
    out["detected"] = np.array(detected, dtype=bool)
    out["detection_rate"] = float(np.mean(detected)) if n else 0.0
    out["n_frames"] = n
    out["first_landmarks"], out["last_landmarks"] = first, last
    if classifier is not None:
        out["expression"] = np.full((n, len(LABELS)), np.nan)
        out["expression"][out["detected"]] = classifier.probabilities(np.reshape(crops, (-1, SIZE, SIZE)))
    return out


def energy_envelope(audio: np.ndarray, sample_rate: int, fps: float, n_frames: int | None = None) -> np.ndarray:
    """RMS energy of the audio in windows centred on each video frame, ``(n_frames,)``.

    Frame ``i`` covers ``[i / fps, (i + 1) / fps)`` seconds, the span the video frame is shown.
    """
    audio = np.asarray(audio, dtype=np.float64).reshape(-1)
    hop = sample_rate / fps
    n = int(np.floor(len(audio) / hop)) if n_frames is None else n_frames
    env = np.zeros(n)
    for i in range(n):
        seg = audio[int(round(i * hop)):int(round((i + 1) * hop))]
        env[i] = np.sqrt(np.mean(seg ** 2)) if len(seg) else 0.0
    return env


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    ok = np.isfinite(a) & np.isfinite(b)
    a, b = a[ok], b[ok]
    if len(a) < 3 or a.std() == 0 or b.std() == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def lip_sync(mouth_open: np.ndarray, audio: np.ndarray, sample_rate: int, fps: float,
             max_lag: int = 10) -> tuple[float, int]:
    """How well the mouth follows the speech.

    Pearson correlation between the mouth opening per frame and the audio's RMS energy per frame,
    at every lag in ``[-max_lag, max_lag]`` frames; returns the best ``(correlation, lag)``.
    A POSITIVE lag means the mouth FOLLOWS the audio (mouth at frame ``t`` matches audio at
    ``t - lag``); negative means the mouth leads. Frames without a face (NaN) are skipped.
    Returns ``(nan, 0)`` when either signal is constant or the clip is too short (under 3 frames).
    """
    mouth = np.asarray(mouth_open, dtype=np.float64).reshape(-1)
    env = energy_envelope(audio, sample_rate, fps, n_frames=len(mouth))
    best = (float("nan"), 0)
    max_lag = min(max_lag, len(mouth) - 3)  # a correlation needs 3 frames of overlap
    for lag in range(-max_lag, max_lag + 1):
        if lag >= 0:
            a, b = mouth[lag:], env[:len(env) - lag]
        else:
            a, b = mouth[:lag], env[-lag:]
        r = _pearson(a, b)
        if np.isfinite(r) and (not np.isfinite(best[0]) or r > best[0]):
            best = (r, lag)
    return best


def psnr(a: np.ndarray, b: np.ndarray, mask: np.ndarray | None = None, peak: float = 255.0) -> float:
    """Peak signal-to-noise ratio in dB between two images of the same shape, over ``mask``
    (``(h, w)`` bool, True = compared) when given. Identical images give 100 dB (the cap)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"psnr needs equal shapes, got {a.shape} and {b.shape}")
    diff = (a - b) ** 2
    if mask is not None:
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            raise ValueError("psnr: the mask selects no pixels")
        diff = diff[mask]
    mse = float(diff.mean())
    return 100.0 if mse <= peak ** 2 * 1e-10 else float(10 * np.log10(peak ** 2 / mse))


def face_region_mask(landmarks: np.ndarray, size: int | tuple[int, int], margin: float = 0.25) -> np.ndarray:
    """True inside the face oval grown by ``margin`` (a fraction of the oval's width) on each side.

    The default margin covers the skin the renderer may stretch beyond the oval (its fixed anchor
    ring is the oval scaled by 1.35 about its centre: jaw, cheeks, forehead);
    identity is measured OUTSIDE this mask. ``size`` is the image side or ``(height, width)``.
    Returns an ``(h, w)`` bool array.
    """
    import cv2

    h, w = (size, size) if isinstance(size, int) else size
    oval = np.asarray(landmarks, dtype=np.float64)[list(L.FACE_OVAL)]
    centre = oval.mean(axis=0)
    width = float(np.ptp(oval[:, 0]))
    radius = np.hypot(*(oval - centre).T)
    grown = centre + (oval - centre) * ((radius + margin * width) / np.maximum(radius, 1e-6))[:, None]
    mask = np.zeros((h, w), np.uint8)
    cv2.fillPoly(mask, [np.round(grown).astype(np.int32)], 1)
    return mask.astype(bool)
