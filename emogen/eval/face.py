"""Expression, lip sync and identity stability of talking-head videos (``emogen eval face VIDEO...``).

Geometry is measured with MediaPipe's face mesh (``emogen.face.measure``): per-file face
detection rate, mean expression measures in inter-ocular distances (and their frame-aligned
differences from a neutral reference), lip-sync correlation and lag against the video's own audio,
and identity stability (PSNR of the last frame against the first, outside the face region).
How the face reads is judged by an expression classifier trained on real faces
(``emogen.face.expression``, FER2013 mini-Xception): its mean probabilities per clip and, against
a neutral clip or photo of the same face, the lift of each emotion.
"""

from __future__ import annotations

import numpy as np

from ..errors import EmogenError


class _Ends:
    """Pass frames through, remembering the first and the last."""

    def __init__(self, frames):
        self.frames, self.first, self.last = frames, None, None

    def __iter__(self):
        for frame in self.frames:
            if self.first is None:
                self.first = frame.copy()
            self.last = frame
            yield frame


def analyse_video(path: str, detector=None, max_lag: int = 10, classifier=None) -> dict:
    """Measure one video; returns the summary and ``series``, the per-frame measures (with a
    classifier, ``series["expression"]`` holds its ``(n_frames, 7)`` probabilities)."""
    from ..face.measure import face_region_mask, lip_sync, measure_video, psnr
    from ..face.video import read_video

    frames, fps, audio, sr = read_video(path)
    ends = _Ends(frames)
    series = measure_video(ends, detector, classifier=classifier)
    if series["n_frames"] == 0:
        raise EmogenError(f"video '{path}' has no frames")
    result = {"file": str(path), "frames": series["n_frames"], "fps": round(fps, 3),
              "detection_rate": round(series["detection_rate"], 4), "series": series}
    sync = None
    if audio is not None and len(audio) and float(np.abs(audio).max()) > 1e-4 and series["detected"].any():
        sync = lip_sync(series["mouth_open"], audio, sr, fps, max_lag=max_lag)
    result["lip_sync_corr"] = None if sync is None or not np.isfinite(sync[0]) else round(sync[0], 4)
    result["lip_sync_lag"] = None if result["lip_sync_corr"] is None else int(sync[1])
    identity = None
    if series["first_landmarks"] is not None:
        h, w = ends.first.shape[:2]
        face = face_region_mask(series["first_landmarks"], (h, w)) | face_region_mask(series["last_landmarks"], (h, w))
        if not face.all():
            identity = round(psnr(ends.first, ends.last, ~face), 3)
    result["identity_psnr_db"] = identity
    return result


def photo_expression(path: str, detector, classifier) -> np.ndarray:
    """The classifier's ``(1, 7)`` probabilities of the one face of a neutral reference photo
    (``emogen.face.IMAGE_SUFFIXES``; a reference video is scored by :func:`analyse_video`)."""
    from ..face.analysis import load_image
    from ..face.expression import face_crop

    image = load_image(path)
    faces = detector.detect(image)
    if not faces:
        raise EmogenError(f"no face found in the reference '{path}'")
    return classifier.probabilities(face_crop(image, faces[0])[None])


def expression_summary(probabilities: np.ndarray, reference: np.ndarray | None) -> dict:
    """Mean probability per label, and with a neutral reference the lift per label and the
    emotion (among happy, sad, angry, surprised) with the largest lift."""
    from ..face.expression import LABELS, lift, recognised

    p = np.asarray(probabilities, float)
    if not np.isfinite(p).any():
        return {"expression": None}
    out = {"expression": {k: round(float(v), 4) for k, v in zip(LABELS, np.nanmean(p, axis=0))}}
    if reference is not None:
        lifts = lift(p, reference)
        out["lift"] = {k: round(v, 4) for k, v in lifts.items()}
        out["recognised"] = recognised(lifts)
    return out
