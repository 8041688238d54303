"""``emogen eval face VIDEO...``: expression, lip sync and identity stability of talking-head videos.

Everything is measured with MediaPipe's face mesh (``emogen.face.measure``), no learned weights
of our own: per-file face detection rate, mean expression measures in inter-ocular distances
(and their frame-aligned differences from a neutral reference), lip-sync correlation and lag
against the video's own audio, and identity stability (PSNR of the last frame against the first,
outside the face region).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..cli_args import number
from ..errors import EmogenError


def add_face_parser(sub) -> None:
    """Register ``face`` under ``emogen eval``."""
    face = sub.add_parser("face", help="detection rate, expression measures, lip sync, identity stability of videos")
    face.add_argument("files", nargs="+", metavar="VIDEO")
    face.add_argument("--reference-neutral", metavar="VIDEO",
                      help="the same clip rendered neutral: adds frame-aligned differences of every measure")
    face.add_argument("--max-lag", type=number(0, 250, integer=True), default=10,
                      help="lip-sync lags searched, 0-250 frames (default 10)")
    face.add_argument("--json", action="store_true")
    face.add_argument("--plot", metavar="DIR", help="write one PNG of the measures over time per video")
    face.set_defaults(run=run_eval_face)


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


def run_eval_face(args) -> int:
    from ..face.landmarks import FaceMeshDetector
    from ..face.measure import MEASURES
    from .cli import _print

    plot_folder = None
    if args.plot:  # checked before any work
        from .plots import plot_dir

        plot_folder = plot_dir(args.plot)
    detector = FaceMeshDetector()
    reference = None
    if args.reference_neutral:
        reference = analyse_video(args.reference_neutral, detector, args.max_lag)["series"]
    rows, analysed = [], []
    for path in args.files:
        result = analyse_video(path, detector, args.max_lag)
        series = result.pop("series")
        row = dict(result)
        for k in MEASURES:
            row[k] = _mean(series[k])
        if reference is not None:
            n = min(len(series[k]), len(reference[k]))
            row["relative"] = {k: _mean(series[k][:n] - reference[k][:n]) for k in MEASURES}
        rows.append(row)
        analysed.append((path, series))
    _print(rows, args.json, ["file", "frames", "detection_rate", "lip_corner_height", "mouth_width", "mouth_open",
                             "brow_height", "eye_open", "lip_sync_corr", "lip_sync_lag", "identity_psnr_db"])
    if plot_folder is not None:
        from .plots import announce

        announce(_plot(analysed, reference, plot_folder), args.json)
    return 0


def _mean(x: np.ndarray) -> float | None:
    x = np.asarray(x, dtype=np.float64)
    return round(float(np.nanmean(x)), 4) if np.isfinite(x).any() else None


def _plot(analysed, reference, folder) -> list[Path]:
    """One PNG per video: every measure over time, the neutral reference dashed."""
    from ..face.measure import MEASURES
    from .plots import _pyplot, _save

    plt = _pyplot()
    written, used = [], set()
    for path, series in analysed:
        stem = Path(path).stem
        name = stem if stem not in used else f"{stem}_{len(used)}"
        used.add(name)
        fig, axes = plt.subplots(len(MEASURES), 1, figsize=(8, 1.5 * len(MEASURES)), sharex=True)
        for ax, k in zip(axes, MEASURES):
            ax.plot(series[k], lw=1.2, label=stem)
            if reference is not None:
                ax.plot(reference[k], lw=1.0, ls="--", color="gray", label="neutral reference")
            ax.set_ylabel(k.replace("_", " "), fontsize=8)
            ax.grid(alpha=0.3)
        axes[0].legend(fontsize=7, loc="upper right")
        axes[-1].set_xlabel("frame")
        fig.suptitle(f"{stem}: expression measures (inter-ocular distances)", fontsize=10)
        fig.tight_layout()
        written.append(_save(fig, Path(folder) / f"{name}_face.png"))
    return written
