"""Expression, lip sync and identity stability of talking-head videos (``emogen eval face VIDEO...``).

Everything is measured with MediaPipe's face mesh (``emogen.face.measure``), no learned weights
of our own: per-file face detection rate, mean expression measures in inter-ocular distances
(and their frame-aligned differences from a neutral reference), lip-sync correlation and lag
against the video's own audio, and identity stability (PSNR of the last frame against the first,
outside the face region).
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


def analyse_video(path: str, detector=None, max_lag: int = 10) -> dict:
    """Measure one video; returns the per-frame series and the summary (see :func:`summarise`)."""
    from ..face.measure import face_region_mask, lip_sync, measure_video, psnr
    from ..face.video import read_video

    frames, fps, audio, sr = read_video(path)
    ends = _Ends(frames)
    series = measure_video(ends, detector)
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
