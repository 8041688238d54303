"""Face motion as a few named coefficients per frame, and the landmark displacements they make.

In the spirit of EDTalk's orthogonal mouth / expression / pose bases, every video frame is a vector
of :data:`CHANNELS` coefficients:

- mouth (speech): ``jaw`` (opening), ``spread`` (lips wide, "ee"), ``round`` (lips pursed, "oo");
- expression: FACS action units (``au1`` inner brow raise ... ``au26`` jaw drop) and ``smile``, the
  mean neutral-to-smiling displacement measured on real faces (the London set), so that happiness
  has a real smile's geometry;
- head pose: ``roll``, ``nod``, ``turn`` (small; the renderer keeps hair and background still);
- ``blink`` (0 open, 1 closed).

:class:`MotionBasis` turns coefficients into displacements of the 478 MediaPipe landmarks of one
portrait: each channel's field is built from that face's own geometry in a face frame (origin
between the eye centres, x along the eye line, unit = inter-ocular distance, IOD), so the same
coefficients mean the same movement on any face. Displacement is linear in the coefficients.
"""

from __future__ import annotations

import numpy as np

from . import landmarks as L

MOUTH = ("jaw", "spread", "round")
ACTION_UNITS = ("au1", "au2", "au4", "au5", "au6", "au7", "au9", "au15", "au16", "au20", "au23", "au26", "smile")
POSE = ("roll", "nod", "turn")
CHANNELS: tuple[str, ...] = MOUTH + ACTION_UNITS + POSE + ("blink",)
INDEX = {name: i for i, name in enumerate(CHANNELS)}

# Ekman/FACS prototypes (research.md), as action-unit weights at intensity 1. Happiness uses the
# measured smile (which carries AU6 + AU12) instead of hand-made AU fields.
EXPRESSIONS: dict[str, dict[str, float]] = {
    "neutral": {},
    "happy": {"smile": 1.0, "au6": 0.3},
    "sad": {"au1": 1.0, "au4": 0.5, "au15": 1.0},
    "surprised": {"au1": 1.0, "au2": 1.0, "au5": 1.0, "au26": 0.6},
    "fearful": {"au1": 1.0, "au2": 0.7, "au4": 0.6, "au5": 1.0, "au7": 0.4, "au20": 1.0, "au26": 0.3},
    "angry": {"au4": 1.2, "au5": 0.5, "au7": 1.0, "au23": 1.0},
    "disgusted": {"au9": 1.0, "au15": 0.6, "au16": 0.6, "au4": 0.4},
    "calm": {"smile": 0.25},
}

# sizes in IOD per unit coefficient
JAW_OPENING = 0.5  # inner-lip gap of a wide, loud "aa" (about 3 cm on an adult face)
POSE_ROLL_RAD = 0.035
POSE_SHIFT = 0.03


def smoothstep(x: np.ndarray) -> np.ndarray:
    """``3x^2 - 2x^3`` of ``x`` clipped to 0..1 (same shape and dtype): an ease with flat ends,
    for fading motion in and out and for soft mask edges."""
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def expression_vector(weights: dict[str, float]) -> np.ndarray:
    """Action-unit coefficients (len(ACTION_UNITS),) of a mixture ``{category: share x intensity}``.

    Linear in the weights, so mixtures and intensities combine as the emotion space does; negative
    shares (opposite polarity) are clipped to 0, since a face has no "anti-frown".
    """
    out = np.zeros(len(ACTION_UNITS), dtype=np.float32)
    for name, w in weights.items():
        for au, v in EXPRESSIONS.get(name, {}).items():
            out[ACTION_UNITS.index(au)] += w * v
    return np.clip(out, 0.0, 1.5)


def face_frame(landmarks: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """(origin (2,), rotation (2, 2) whose rows are the frame's x and y axes, IOD in pixels)."""
    right, left = L.eye_centres(landmarks)
    axis = left - right
    iod = float(np.hypot(*axis))
    x = axis / iod
    return (right + left) / 2, np.stack([x, np.array([-x[1], x[0]])]), iod


def to_face_frame(landmarks: np.ndarray) -> np.ndarray:
    """Landmarks (478, 2) in pixels -> face-frame coordinates in IOD (x right, y down)."""
    origin, rot, iod = face_frame(landmarks)
    return ((np.asarray(landmarks, np.float64) - origin) @ rot.T / iod).astype(np.float32)


def _bump(points: np.ndarray, centre: np.ndarray, sigma: float) -> np.ndarray:
    return np.exp(-((points - centre) ** 2).sum(-1) / (2 * sigma ** 2))


class MotionBasis:
    """Displacement fields of one face: ``displacements(coefficients) -> landmarks``.

    Args:
        rest: (478, 2) the portrait's landmarks in pixels.
        smile: (478, 2) mean smile displacement in face-frame IOD units (from the checkpoint).
    """

    def __init__(self, rest: np.ndarray, smile: np.ndarray):
        self.rest = np.asarray(rest, np.float32)
        origin, self.rotation, self.iod = face_frame(self.rest)
        p = to_face_frame(self.rest)
        fields = np.zeros((len(CHANNELS), len(p), 2), np.float32)
        for name, build in _FIELDS.items():
            fields[INDEX[name]] = build(p)
        fields[INDEX["smile"]] = smile
        fields[INDEX["au26"]] = 0.9 * fields[INDEX["jaw"]] + _corner_field(p, -0.05, 0.0, sigma=0.14)
        # face frame -> pixels: rotate back and scale by the IOD
        self.fields = (fields @ self.rotation * self.iod).astype(np.float32)  # (channels, 478, 2)

    def landmarks(self, coefficients: np.ndarray) -> np.ndarray:
        """Coefficients (frames, channels) or (channels,) -> landmark positions in pixels."""
        return self.rest + np.tensordot(np.asarray(coefficients, np.float32), self.fields, axes=(-1, 0))


# ---------------------------------------------------------------------------------- the fields
def _mouth_geometry(p):
    upper, lower = p[list(L.UPPER_LIP_INNER)], p[list(L.LOWER_LIP_INNER)]
    corners = p[list(L.LIP_CORNERS)]
    centre = (upper.mean(0) + lower.mean(0)) / 2
    half_width = abs(corners[1, 0] - corners[0, 0]) / 2
    return centre, half_width, corners


def _jaw(p):
    """Lower lip, chin and jaw swing down; the upper lip lifts a little."""
    centre, half_width, _ = _mouth_geometry(p)
    chin = p[L.CHIN]
    lateral = np.clip(1 - ((p[:, 0] - centre[0]) / (2.6 * half_width)) ** 2, 0, 1)
    below = np.clip((p[:, 1] - centre[1]) / 0.08, 0, 1)  # points under the mouth line move fully
    fade_down = np.clip(1 - (p[:, 1] - chin[1]) / 0.3, 0, 1)  # nothing under the chin (neck) moves
    d = np.zeros_like(p)
    d[:, 1] = JAW_OPENING * below * lateral * fade_down
    lower = list(L.LOWER_LIP_INNER[1:-1] + L.LOWER_LIP_OUTER[1:-1])
    d[lower, 1] = JAW_OPENING
    upper = list(L.UPPER_LIP_INNER[1:-1] + L.UPPER_LIP_OUTER[1:-1])
    d[upper, 1] = -0.08 * JAW_OPENING
    corners = list(L.LIP_CORNERS) + [L.UPPER_LIP_INNER[0], L.UPPER_LIP_INNER[-1]]
    d[corners, 1] = 0.45 * JAW_OPENING
    return d


def _corner_field(p, dx_out: float, dy: float, sigma: float = 0.16):
    _, _, corners = _mouth_geometry(p)
    d = np.zeros_like(p)
    for corner in corners:
        side = np.sign(corner[0] - corners.mean(0)[0])
        d += _bump(p, corner, sigma)[:, None] * np.array([side * dx_out, dy], np.float32)
    return d


def _spread(p):
    return _corner_field(p, 0.05, -0.005)


def _round(p):
    return _corner_field(p, -0.07, 0.0, sigma=0.14)


def _brow_field(p, groups, vector_for_side, sigma):
    d = np.zeros_like(p)
    for indices in groups:
        centre = p[list(indices)].mean(0)
        side = np.sign(centre[0])  # -1: subject's right brow (image left)
        d += _bump(p, centre, sigma)[:, None] * np.asarray(vector_for_side(side), np.float32)
    return d


def _au1(p):  # inner brow raiser
    return _brow_field(p, [(65, 55, 66, 107), (295, 285, 296, 336)], lambda s: (0.0, -0.15), 0.13)


def _au2(p):  # outer brow raiser
    return _brow_field(p, [(46, 53, 70, 63), (276, 283, 300, 293)], lambda s: (0.0, -0.2), 0.15)


def _au4(p):  # brow lowerer: down and together
    inner = _brow_field(p, [(65, 55, 66, 107), (295, 285, 296, 336)], lambda s: (-s * 0.06, 0.15), 0.12)
    middle = _brow_field(p, [(52, 105), (282, 334)], lambda s: (0.0, 0.03), 0.14)
    return inner + middle


def _lids(p, upper_dy: float, lower_dy: float, sigma: float = 0.08):
    """Upper lids (and the skin above them) by ``upper_dy``, lower lids (and below) by ``lower_dy``;
    each lid moves whole, its neighbours fade with distance, the other lid stays."""
    d = np.zeros_like(p)
    for lid, dy, above in ((L.RIGHT_UPPER_LID, upper_dy, True), (L.LEFT_UPPER_LID, upper_dy, True),
                           (L.RIGHT_LOWER_LID, lower_dy, False), (L.LEFT_LOWER_LID, lower_dy, False)):
        if not dy:
            continue
        line = p[list(lid)]
        side = (p[:, 1] < line[:, 1].mean()) if above else (p[:, 1] > line[:, 1].mean())
        d[:, 1] += dy * _bump(p, line.mean(0), sigma) * side
        d[list(lid), 1] = dy
    return d


def _au5(p):  # upper lid raiser
    return _lids(p, -0.08, 0.0)


def _au6(p):  # cheek raiser: cheeks and lower lids up
    d = _lids(p, 0.0, -0.015)
    for side in (-1, 1):
        d[:, 1] += -0.03 * _bump(p, np.array([side * 0.45, 0.4], np.float32), 0.18)
    return d


def _au7(p):  # lid tightener
    return _lids(p, 0.008, -0.022)


def _au9(p):  # nose wrinkler: nose wings and upper lip up
    d = np.zeros_like(p)
    for side in (-1, 1):
        d[:, 1] += -0.03 * _bump(p, np.array([side * 0.17, 0.5], np.float32), 0.11)
    centre, _, _ = _mouth_geometry(p)
    d[:, 1] += -0.015 * _bump(p, centre - np.array([0, 0.05], np.float32), 0.1)
    return d


def _au15(p):
    """Lip corner depressor, with the chin raise (AU17) that comes with it in sadness: the corners
    go down, the middle of the lower lip and the chin push up into a pout."""
    d = _corner_field(p, -0.01, 0.12, sigma=0.14)
    centre, half_width, _ = _mouth_geometry(p)
    chin = p[L.CHIN]
    below = (p[:, 1] > centre[1] + 0.02) & (p[:, 1] < chin[1] + 0.05)
    across = np.clip(1 - ((p[:, 0] - centre[0]) / (1.1 * half_width)) ** 2, 0, 1)
    d[:, 1] -= 0.04 * below * across
    return d


def _au16(p):  # lower lip depressor
    d = np.zeros_like(p)
    d[list(L.LOWER_LIP_OUTER[2:-2] + L.LOWER_LIP_INNER[2:-2]), 1] = 0.03
    return d


def _au20(p):  # lip stretcher
    return _corner_field(p, 0.05, 0.012)


def _au23(p):  # lip tightener: narrower, thinner lips
    d = _corner_field(p, -0.02, 0.0, sigma=0.12)
    d[list(L.UPPER_LIP_OUTER[2:-2]), 1] += 0.01
    d[list(L.LOWER_LIP_OUTER[2:-2]), 1] -= 0.01
    return d


def _roll(p):
    pivot = np.array([0.0, 0.6], np.float32)  # about the nose: the head turns on the neck
    r = p - pivot
    return POSE_ROLL_RAD * np.stack([-r[:, 1], r[:, 0]], -1)


def _nod(p):
    d = np.zeros_like(p)
    d[:, 1] = POSE_SHIFT
    return d


def _turn(p):
    d = np.zeros_like(p)
    d[:, 0] = POSE_SHIFT
    return d


def _blink(p):
    """Upper lid onto the lower lid; points inside the eye (iris) squeeze with it, so the mesh never folds."""
    d = np.zeros_like(p)
    for upper, lower, iris in ((L.RIGHT_UPPER_LID, L.RIGHT_LOWER_LID, L.RIGHT_IRIS),
                               (L.LEFT_UPPER_LID, L.LEFT_LOWER_LID, L.LEFT_IRIS)):
        up, low = p[list(upper)], p[list(lower)]
        d[list(upper), 1] = low[:, 1] - up[:, 1]
        gap = float((low[:, 1] - up[:, 1]).max())
        top, bottom = float(up[:, 1].min()), float(low[:, 1].max())
        for i in iris:
            f = np.clip((p[i, 1] - top) / max(bottom - top, 1e-6), 0, 1)
            d[i, 1] = (1 - f) * gap
        centre = up.mean(0)
        above = (p[:, 1] < centre[1]) & ~np.isin(np.arange(len(p)), list(upper) + list(iris))
        d[above, 1] += 0.35 * gap * _bump(p[above], centre, 0.06)
    return d


_FIELDS = {"jaw": _jaw, "spread": _spread, "round": _round, "au1": _au1, "au2": _au2, "au4": _au4,
           "au5": _au5, "au6": _au6, "au7": _au7, "au9": _au9, "au15": _au15, "au16": _au16, "au20": _au20,
           "au23": _au23, "roll": _roll, "nod": _nod, "turn": _turn, "blink": _blink}


def measure_smile(pairs) -> np.ndarray:
    """Mean neutral -> smiling displacement (478, 2) in face-frame IOD units.

    ``pairs`` yields (neutral landmarks, smiling landmarks) in pixels of the same person.
    """
    fields = [to_face_frame(smiling) - to_face_frame(neutral) for neutral, smiling in pairs]
    if not fields:
        raise ValueError("no neutral/smiling pairs to measure a smile from")
    return np.mean(fields, axis=0).astype(np.float32)
