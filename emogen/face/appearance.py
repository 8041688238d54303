"""Expression appearance: what an expression does to the skin's shading and to the mouth's inside.

A warp moves the photo's pixels; a real expression also changes how the face looks: a smile lifts
and lights the cheeks, deepens the nasolabial folds, bunches the lower lids and shows the teeth; a
frown furrows the brow; surprise lines the forehead. This module holds that appearance in a
shape-normalised frame (the CANVAS: face frame, eye midpoint at ``ORIGIN``, ``SCALE`` px per
inter-ocular distance (IOD), the mean neutral face's mesh), as one LOG RATIO IMAGE per channel
(Liu, Shan & Zhang 2001, "Expression ratio image"): a face shows channel ``k`` at weight ``w`` as
``image * exp(sum_k w_k * log_ratio_k)``, computed in the rest photo before the warp, so the
shading rides on the skin and scales with the photo's own exposure (a dim selfie gets dim folds).

- ``smile`` is LEARNED from real faces: the mean over the London set's training people of
  ``log(smiling / neutral)`` luminance, both photos warped to the canvas by their own landmarks
  (same skin point, same canvas pixel), exposure difference removed, mouth opening left out.
- ``au1``, ``au2``, ``au4``, ``au7``, ``au15`` are built from the FACS descriptions of their
  appearance changes (Ekman, Friesen & Hager 2002), as there are no photos of them here: AU4's
  vertical glabellar furrows and the horizontal line at the nose root, AU1 + AU2's horizontal
  forehead lines (AU1 alone: the central ones), AU7's lower-lid bulge, AU15's shadow under the
  lip corners.
- ``broad_smile``: how much of the mean smile a broad real smile holds (the 85th percentile of the
  training people's smiles projected on their mean, about 1.6): intensity 1 shows a broad smile,
  not the average one, whose mean includes near-neutral closed-lip smiles.
- ``skin``: the training photos' mean cheek luminance. A portrait whose skin is darker (a dim
  selfie) gets its log ratios scaled up by ``skin / its own`` (at most 3x), so the shading changes
  by as many grey levels as on the photos it was learned from: a ratio alone would make every fold
  and highlight fainter in proportion to the exposure, and a dim face would hardly change.
- ``teeth_upper`` / ``teeth_lower``: the inside of the mouth of the training people's smiles
  (RGB divided by their skin's luminance), as strips measured from the upper and the lower inner
  lip in IOD, across the mouth from corner to corner; the renderer paints them under each lip at
  their real size, whatever the opening, so teeth never stretch and the lips occlude them.

``benchmarks/build_face_appearance.py`` learns the asset ``assets/face_appearance.safetensors``.
"""

from __future__ import annotations

import warnings
from importlib import resources
from pathlib import Path

import numpy as np

from . import landmarks as L
from .motion import to_face_frame

CANVAS = 320  # px
SCALE = 90.0  # px per IOD
ORIGIN = (160.0, 110.0)  # the eye midpoint on the canvas
N_MESH = 468
ASSET = "face_appearance.safetensors"
TEETH_ROWS = 24  # strip height in samples
TEETH_DEPTH = 0.16  # IOD covered by a strip, from its lip inwards
TEETH_COLS = 64  # samples from corner to corner
MAX_GAIN = 3.0  # the most a dim portrait's shading is strengthened
LEARNED = ("smile",)
FACS = ("au1", "au2", "au4", "au7", "au15")


def to_canvas(landmarks: np.ndarray) -> np.ndarray:
    """(478, 2) pixel landmarks -> their positions on the canvas (pixels)."""
    return to_face_frame(landmarks) * SCALE + np.asarray(ORIGIN, np.float32)


def piecewise_warp(image: np.ndarray, src: np.ndarray, dst: np.ndarray, box: tuple[int, int, int, int],
                   simplices: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Move ``image`` from mesh ``src`` to mesh ``dst`` (piecewise affine on the 468 mesh points).

    Args:
        image: ``(h, w)`` or ``(h, w, c)`` float32 in ``src``'s pixels.
        src, dst: ``(>= 468, 2)`` corresponding points (pixels of the input and the output).
        box: ``(x0, y0, x1, y1)`` of the output pixels to fill.
        simplices: triangles over the points (default: Delaunay of ``dst``).
    Returns:
        ``(warped (y1 - y0, x1 - x0[, c]) float32, inside (y1 - y0, x1 - x0) bool)``; outside the
        mesh the output is 0.
    """
    import cv2
    from scipy.spatial import Delaunay

    src, dst = np.asarray(src, np.float64)[:N_MESH], np.asarray(dst, np.float64)[:N_MESH]
    x0, y0, x1, y1 = box
    gy, gx = np.mgrid[y0:y1, x0:x1]
    pix = np.stack([gx.ravel(), gy.ravel()], axis=1).astype(np.float64)
    tri = Delaunay(dst) if simplices is None else None
    if tri is not None:
        found = tri.find_simplex(pix)
        vertices = tri.simplices[found]
    else:  # the given triangles, found by rasterising them
        index = np.full((y1 - y0, x1 - x0), -1, np.int32)
        for j, t in enumerate(simplices):
            cv2.fillConvexPoly(index, np.round((dst[t] - [x0, y0]) * 4).astype(np.int32), j, shift=2)
        found = index.ravel()
        vertices = simplices[found]
    inside = found >= 0
    a, b, c = (dst[vertices[:, k]] for k in range(3))
    e0, e1, rel = a - c, b - c, pix - c
    det = e0[:, 0] * e1[:, 1] - e1[:, 0] * e0[:, 1]
    inside &= np.abs(det) > 1e-9
    det = np.where(inside, det, 1.0)
    w0 = (rel[:, 0] * e1[:, 1] - e1[:, 0] * rel[:, 1]) / det
    w1 = (e0[:, 0] * rel[:, 1] - rel[:, 0] * e0[:, 1]) / det
    mapped = w0[:, None] * src[vertices[:, 0]] + w1[:, None] * src[vertices[:, 1]] + \
        (1 - w0 - w1)[:, None] * src[vertices[:, 2]]
    mapped[~inside] = -1e4
    shape = (y1 - y0, x1 - x0)
    mx = mapped[:, 0].reshape(shape).astype(np.float32)
    my = mapped[:, 1].reshape(shape).astype(np.float32)
    out = cv2.remap(np.ascontiguousarray(image, np.float32), mx, my, cv2.INTER_LINEAR,
                    borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    inside = inside.reshape(shape)
    out[~inside] = 0
    return out, inside


def luminance(rgb: np.ndarray) -> np.ndarray:
    return np.asarray(rgb, np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)


def _polygon(points: np.ndarray, shape, value=1.0, dilate: int = 0) -> np.ndarray:
    import cv2

    mask = np.zeros(shape, np.uint8)
    cv2.fillPoly(mask, [np.round(points).astype(np.int32)], 1)
    if dilate:
        mask = cv2.dilate(mask, np.ones((2 * dilate + 1, 2 * dilate + 1), np.uint8))
    return mask.astype(np.float32) * value


def skin_luminance(image: np.ndarray, landmarks: np.ndarray) -> float:
    """Median luminance of the cheeks (points 50, 280, 205, 425 and around), 0..255."""
    lm = np.asarray(landmarks)
    pts = np.concatenate([lm[[50, 280, 205, 425]] + d for d in ([0, 0], [3, 0], [-3, 0], [0, 3], [0, -3])])
    pts = np.round(pts).astype(int).clip(0, np.array(image.shape[1::-1]) - 1)
    return float(np.median(luminance(image[pts[:, 1], pts[:, 0]])))


# ---------------------------------------------------------------------------------- learning
def mouth_strips(image: np.ndarray, landmarks: np.ndarray, skin: float) -> tuple[np.ndarray, np.ndarray] | None:
    """The inside of one open mouth as two strips ``(TEETH_ROWS, TEETH_COLS, 3)`` float32 (RGB / skin
    luminance): rows go from the upper (resp. lower) inner lip TEETH_DEPTH IOD into the mouth,
    columns from the right to the left inner corner. None when the mouth is not open enough."""
    import cv2

    lm = np.asarray(landmarks, np.float64)
    iod = L.inter_ocular_distance(lm)
    upper, lower = lm[list(L.UPPER_LIP_INNER)], lm[list(L.LOWER_LIP_INNER)]
    gap = float(np.mean(lower[3:8, 1] - upper[3:8, 1]))
    if gap < 0.05 * iod:
        return None
    left, right = lm[L.UPPER_LIP_INNER[0]], lm[L.UPPER_LIP_INNER[-1]]
    xs = np.linspace(left[0], right[0], TEETH_COLS + 2)[1:-1]
    ou, ol = np.argsort(upper[:, 0]), np.argsort(lower[:, 0])
    top = np.interp(xs, upper[ou, 0], upper[ou, 1])
    bottom = np.interp(xs, lower[ol, 0], lower[ol, 1])
    depth = np.linspace(0, TEETH_DEPTH * iod, TEETH_ROWS)[:, None]
    limit = (bottom - top)[None, :]  # never sample past the other lip
    strips = []
    for edge, sign in ((top, 1.0), (bottom, -1.0)):
        my = (edge[None, :] + sign * np.minimum(depth, limit)).astype(np.float32)
        mx = np.broadcast_to(xs[None, :], my.shape).astype(np.float32)
        strips.append(cv2.remap(image.astype(np.float32), mx, my, cv2.INTER_LINEAR) / max(skin, 1.0))
    return strips[0], strips[1]


def learn(pairs) -> dict[str, np.ndarray]:
    """Learn the smile's log ratio image and the teeth strips from neutral/smiling photo pairs.

    Args:
        pairs: list of ``(neutral (S, S, 3) uint8, neutral (478, 2), smiling (S, S, 3), smiling (478, 2))``
            of the same person.
    Returns:
        the arrays of the asset (see the module doc); ``teeth_*`` only when some smile is open.
    """
    import cv2

    canon = np.mean([to_canvas(n_lm) for _, n_lm, _, _ in pairs], axis=0).astype(np.float32)
    box = (0, 0, CANVAS, CANVAS)
    mouth = _polygon(canon[list(L.INNER_LIPS)], (CANVAS, CANVAS), dilate=3) > 0
    face = _polygon(canon[list(L.FACE_OVAL)], (CANVAS, CANVAS)) > 0
    logs, uppers, lowers = [], [], []
    for n_img, n_lm, s_img, s_lm in pairs:
        n_c, n_in = piecewise_warp(luminance(n_img), n_lm, canon, box)
        s_c, s_in = piecewise_warp(luminance(s_img), s_lm, canon, box)
        n_c, s_c = cv2.GaussianBlur(n_c, (0, 0), 1.0), cv2.GaussianBlur(s_c, (0, 0), 1.0)
        log = np.log((s_c + 8.0) / (n_c + 8.0))
        valid = n_in & s_in & face & ~mouth
        log -= np.median(log[valid])  # the two photos' exposures differ a little
        log[~valid] = np.nan
        logs.append(log)
        strips = mouth_strips(s_img, s_lm, skin_luminance(s_img, s_lm))
        if strips is not None:
            uppers.append(strips[0])
            lowers.append(strips[1])
    moves = np.array([(to_face_frame(s_lm) - to_face_frame(n_lm))[:N_MESH].ravel() for _, n_lm, _, s_lm in pairs])
    mean_move = moves.mean(axis=0)
    broad = np.percentile(moves @ mean_move / (mean_move @ mean_move), 85)
    with warnings.catch_warnings():  # pixels no photo covers stay NaN, then 0
        warnings.simplefilter("ignore", RuntimeWarning)
        smile = np.nanmean(logs, axis=0)
    count = np.isfinite(np.array(logs)).sum(axis=0)
    smile = np.where(count >= len(pairs) // 2, smile, 0.0).astype(np.float32)
    smile = cv2.GaussianBlur(smile, (0, 0), 1.0) * cv2.GaussianBlur(face.astype(np.float32), (0, 0), 4.0)
    skin = np.mean([skin_luminance(n_img, n_lm) for n_img, n_lm, _, _ in pairs])
    out = {"canon": canon, "smile": smile.astype(np.float32), "broad_smile": np.array([broad], np.float32),
           "skin": np.array([skin], np.float32)}
    if uppers:  # the teeth need open smiles
        out["teeth_upper"] = np.mean(uppers, axis=0).astype(np.float32)
        out["teeth_lower"] = np.mean(lowers, axis=0).astype(np.float32)
    return out


def save(arrays: dict[str, np.ndarray], path: str | Path, people: int) -> None:
    from safetensors.numpy import save_file

    if "teeth_upper" not in arrays:
        raise ValueError("no open smile among the photos: the teeth cannot be learned")
    save_file({k: np.ascontiguousarray(v) for k, v in arrays.items()}, str(path),
              metadata={"people": str(people), "canvas": f"{CANVAS} px, {SCALE} px/IOD, eyes at {ORIGIN}"})


def load_asset(path: str | Path | None = None) -> dict[str, np.ndarray]:
    """The appearance asset's arrays (default: the shipped one), read once per path."""
    from safetensors.numpy import load_file

    key = str(path or Path(str(resources.files("emogen.face") / "assets" / ASSET)))
    if key not in _ASSETS:
        _ASSETS[key] = load_file(key)
    return _ASSETS[key]


_ASSETS: dict[str, dict[str, np.ndarray]] = {}


def broad_smile() -> float:
    """The smile coefficient's scale: intensity 1 is a broad real smile (see the module doc)."""
    return float(load_asset()["broad_smile"][0])


SMILE_AT_REST_FLOOR = 0.3  # projections below this are face shape, not a smile (held-out neutrals: -0.25..0.31)


def rest_smile(landmarks: np.ndarray, smile: np.ndarray) -> float:
    """How much of the broad smile ``smile`` ((478, 2) face-frame IOD, intensity 1's field) the
    portrait ``landmarks`` ((478, 2) px) already shows, 0 (neutral) .. 1: its lips' offset from the
    training people's mean neutral face (the mouth's own position removed) projected on the smile,
    less SMILE_AT_REST_FLOOR, rescaled. A smiling photo has to lose its smile to look sad or angry."""
    idx = list(L.LIPS)
    neutral = (load_asset()["canon"] - np.asarray(ORIGIN, np.float32)) / SCALE
    d = (to_face_frame(landmarks) - neutral)[idx]
    d -= d.mean(axis=0)
    f = np.asarray(smile, np.float32)[idx]
    projection = float((d * f).sum() / max(float((f * f).sum()), 1e-9))
    return float(np.clip((projection - SMILE_AT_REST_FLOOR) / (1 - SMILE_AT_REST_FLOOR), 0.0, 1.0))


# ---------------------------------------------------------------------------------- FACS appearance
def _line(x, y, x_from, x_to, y_at, width, depth):
    """A soft dark line (log ratio) along x in [x_from, x_to] at height y_at(x), in IOD."""
    t = np.clip((x - x_from) / (x_to - x_from), 0, 1)
    along = np.clip(np.sin(np.pi * t), 0, 1) ** 0.7 * ((x >= x_from) & (x <= x_to))
    return -depth * along * np.exp(-0.5 * ((y - y_at(x)) / width) ** 2)


def facs_maps(canon: np.ndarray) -> dict[str, np.ndarray]:
    """Log ratio images of the action units without photos, on the canvas of the mean face ``canon``."""
    gy, gx = np.mgrid[0:CANVAS, 0:CANVAS].astype(np.float32)
    x, y = (gx - ORIGIN[0]) / SCALE, (gy - ORIGIN[1]) / SCALE  # IOD, face frame
    f = (canon - np.asarray(ORIGIN, np.float32)) / SCALE
    brow_top = float(f[list(L.RIGHT_BROW_UPPER + L.LEFT_BROW_UPPER), 1].mean())
    hairline = float(f[L.FOREHEAD_TOP, 1])
    inner_brow = f[[55, 285]]
    lower_lid = f[list(L.RIGHT_LOWER_LID + L.LEFT_LOWER_LID)]
    corners = f[list(L.LIP_CORNERS)]

    def forehead(half_width):
        lines = np.zeros_like(x)
        for k, frac in enumerate((0.3, 0.52, 0.74)):
            base = brow_top + frac * (hairline - brow_top)
            lines += _line(x, y, -half_width, half_width, lambda u, b=base: b + 0.06 * u ** 2, 0.018, 0.22 - 0.03 * k)
        return lines

    au4 = np.zeros_like(x)
    for side in (-1, 1):  # vertical glabellar furrows, slightly oblique, between the inner brows
        cx = side * 0.6 * abs(float(inner_brow[0, 0]))
        top, bottom = float(inner_brow[:, 1].mean()) - 0.22, float(inner_brow[:, 1].mean()) + 0.08
        t = np.clip((y - top) / (bottom - top), 0, 1)
        along = np.sin(np.pi * t) * ((y >= top) & (y <= bottom))
        au4 -= 0.32 * along * np.exp(-0.5 * ((x - cx - side * 0.04 * t) / 0.028) ** 2)
    root = float(inner_brow[:, 1].mean()) + 0.12  # the procerus' horizontal line at the nose root
    au4 += _line(x, y, -0.1, 0.1, lambda u: root, 0.03, 0.15)
    au7 = np.zeros_like(x)
    for lid in (lower_lid[:7], lower_lid[7:]):  # lower-lid bulge: lit ridge, shadow under it
        c = lid.mean(axis=0)
        spread = np.exp(-0.5 * ((x - c[0]) / 0.16) ** 2)
        au7 += spread * (0.1 * np.exp(-0.5 * ((y - c[1] - 0.04) / 0.025) ** 2)
                         - 0.16 * np.exp(-0.5 * ((y - c[1] - 0.1) / 0.025) ** 2))
    au15 = np.zeros_like(x)
    for corner in corners:  # shadow where the depressed corner folds the skin below it
        au15 -= 0.2 * np.exp(-0.5 * (((x - corner[0]) / 0.06) ** 2 + ((y - corner[1] - 0.1) / 0.09) ** 2))
    return {"au1": forehead(0.35), "au2": forehead(0.7) - forehead(0.35), "au4": au4.astype(np.float32),
            "au7": au7.astype(np.float32), "au15": au15.astype(np.float32)}


# ---------------------------------------------------------------------------------- one face
class Appearance:
    """The appearance maps of one portrait, precomputed once: ``log_ratio(weights)`` per frame.

    Args:
        rest: ``(478, 2)`` the portrait's landmarks (pixels).
        box: ``(x0, y0, x1, y1)`` the renderer's region of interest.
        image: ``(S, S, 3)`` uint8, the portrait (its skin luminance scales the teeth).
        path: the asset (default: the shipped one).
    """

    CHANNELS = LEARNED + FACS

    def __init__(self, rest: np.ndarray, box: tuple[int, int, int, int], image: np.ndarray,
                 path: str | Path | None = None):
        asset = load_asset(path)
        canon = asset["canon"]
        maps = {"smile": asset["smile"], **facs_maps(canon)}
        stack = np.stack([maps[k] for k in self.CHANNELS], axis=-1)
        warped, _ = piecewise_warp(stack, canon, rest, box)
        # keep only the rows and columns where something happens: per-frame work stays small
        active = np.abs(warped).max(axis=-1) > 1e-3
        ys, xs = np.nonzero(active)
        if len(ys):
            self.sub = (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
        else:
            self.sub = (0, 0, 1, 1)
        sx0, sy0, sx1, sy1 = self.sub
        skin = skin_luminance(image, rest)
        self.gain = float(np.clip(asset["skin"][0] / max(skin, 1.0), 1.0, MAX_GAIN))  # see the module doc
        # (channels, pixels): a frame sums only the channels it uses
        self.maps = np.ascontiguousarray(np.moveaxis(warped[sy0:sy1, sx0:sx1], -1, 0).reshape(len(self.CHANNELS), -1)
                                         * self.gain)
        self.shape = (sy1 - sy0, sx1 - sx0)
        self.teeth_upper = asset["teeth_upper"] * skin
        self.teeth_lower = asset["teeth_lower"] * skin

    def apply(self, roi: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """``roi`` ((h, w, 3) uint8, the rest photo's region of interest) with the appearance of
        ``weights`` (``len(CHANNELS)``, each 0..1.5) applied; returns ``roi`` itself when all are 0."""
        weights = np.asarray(weights, np.float32)
        if not np.any(weights):
            return roi
        sx0, sy0, sx1, sy1 = self.sub
        log = sum(weights[k] * self.maps[k] for k in np.flatnonzero(weights))
        gain = np.exp(log).reshape(*self.shape, 1)
        out = roi.copy()
        out[sy0:sy1, sx0:sx1] = np.clip(roi[sy0:sy1, sx0:sx1] * gain + 0.5, 0, 255).astype(np.uint8)
        return out
