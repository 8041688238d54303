"""Portrait analysis: read any image, find the face, crop it square, level and padded.

``analyze_portrait`` is what the talking-head pipeline calls on the user's photo. When a photo
holds several faces the LARGEST one (widest face oval) is used; a face narrower than 64 px in the
source image is refused because nothing useful can be animated at that size.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from ..errors import EmogenError
from . import landmarks as L

MAX_SIDE = 2048  # longer images are downscaled before detection
MAX_PIXELS = 100_000_000  # larger images are refused (10000 x 10000 is accepted)
MIN_FACE_PX = 64  # face-oval width in the source image
FACE_FRACTION = 0.5  # face-oval width / crop width
CENTRE_RAISE = 0.04  # crop centre above the oval's centre, in crop widths: more hair, less neck


@dataclass
class Portrait:
    """An aligned portrait crop and its landmarks.

    Attributes:
        image: ``(S, S, 3)`` uint8 RGB crop, eyes level, face about half the width.
        landmarks: ``(478, 2)`` float32 face-mesh points in crop pixels.
        face_box: ``(x0, y0, x1, y1)`` bounding box of the face oval in crop pixels.
        source_size: ``(width, height)`` of the image as read (after EXIF rotation and downscaling).
        source_transform: ``(2, 3)`` affine mapping source pixels ``(x, y, 1)`` to crop pixels.
    """

    image: np.ndarray
    landmarks: np.ndarray
    face_box: tuple[float, float, float, float]
    source_size: tuple[int, int]
    source_transform: np.ndarray

    @property
    def size(self) -> int:
        return int(self.image.shape[0])


def load_image(path: str | os.PathLike, max_side: int = MAX_SIDE) -> np.ndarray:
    """Read an image file as ``(h, w, 3)`` uint8 RGB.

    Handles EXIF orientation, grayscale, alpha (composited on white), palette, CMYK and 16-bit or
    float images. Images longer than ``max_side`` px are downscaled (aspect kept) as they are
    decoded: JPEGs at a reduced scale directly (``Image.draft``), others by ``Image.thumbnail``
    before any conversion, so memory stays near one decoded copy. Images over ``MAX_PIXELS`` are
    refused from their header, before decoding.
    Raises EmogenError for a missing, unreadable, corrupt or absurdly large file.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    path = Path(path)
    if not path.is_file():
        raise EmogenError(f"image '{path}' not found")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as img:
                width, height = img.size
                if width * height > MAX_PIXELS:
                    raise EmogenError(f"image '{path}' is {width} x {height} pixels, over the limit of "
                                      f"{MAX_PIXELS // 1_000_000} megapixels; downscale it first")
                if img.format == "JPEG":  # decode huge JPEGs at a reduced scale directly
                    img.draft("RGB", (max_side, max_side))
                img.load()
                if max(img.size) > max_side:
                    img.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
                img = ImageOps.exif_transpose(img)
    except Image.DecompressionBombError:
        raise EmogenError(f"image '{path}' is over the limit of {MAX_PIXELS // 1_000_000} megapixels; "
                          "downscale it first") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
        if isinstance(e, EmogenError):
            raise
        raise EmogenError(f"cannot read image '{path}': {e}; give a JPEG, PNG, WebP, BMP or TIFF file") from None
    return np.ascontiguousarray(_to_rgb8(img))


def _to_rgb8(img) -> np.ndarray:
    """Any PIL mode -> uint8 RGB; alpha is composited on white."""
    from PIL import Image

    if img.mode == "P":
        img = img.convert("RGBA" if "transparency" in img.info else "RGB")
    if img.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        a = np.asarray(img, dtype=np.float64)
        top = 1.0 if img.mode == "F" and a.max() <= 1.0 else (255.0 if a.max() <= 255 else 65535.0)
        return np.repeat(np.clip(a / top * 255.0 + 0.5, 0, 255).astype(np.uint8)[..., None], 3, axis=2)
    if img.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        img = img.convert("RGBA")
        white = Image.new("RGBA", img.size, (255, 255, 255, 255))
        img = Image.alpha_composite(white, img)
    return np.asarray(img.convert("RGB"), dtype=np.uint8)


def _alignment(lm: np.ndarray, size: int) -> np.ndarray:
    """The (2, 3) similarity transform source -> crop that levels the eyes and frames the face."""
    right, left = L.eye_centres(lm)
    angle = float(np.arctan2(left[1] - right[1], left[0] - right[0]))  # eye line vs horizontal
    c, s = np.cos(-angle), np.sin(-angle)
    rot = np.array([[c, -s], [s, c]])
    oval = lm[list(L.FACE_OVAL)].astype(np.float64) @ rot.T  # levelled coordinates
    lo, hi = oval.min(axis=0), oval.max(axis=0)
    width = float(hi[0] - lo[0])
    side = width / FACE_FRACTION
    centre = (lo + hi) / 2 - np.array([0.0, CENTRE_RAISE * side])
    scale = size / side
    m = np.zeros((2, 3))
    m[:, :2] = scale * rot
    m[:, 2] = size / 2 - scale * centre
    return m


def face_box(landmarks: np.ndarray) -> tuple[float, float, float, float]:
    """``(x0, y0, x1, y1)`` of the face oval, pixels."""
    oval = np.asarray(landmarks)[list(L.FACE_OVAL)]
    x0, y0 = oval.min(axis=0)
    x1, y1 = oval.max(axis=0)
    return float(x0), float(y0), float(x1), float(y1)


def analyze_portrait(image, size: int = 512, detector: L.FaceMeshDetector | None = None,
                     name: str | None = None) -> Portrait:
    """Find the face in a photo and return the aligned ``size`` x ``size`` crop with its landmarks.

    Args:
        image: a path, or an ``(h, w, 3)`` uint8 RGB array.
        size: crop side in pixels.
        detector: a detector to reuse (one is built otherwise).
        name: how to call the image in error messages (default: the path, or "the image").
    Raises:
        EmogenError: unreadable image, no face, or a face narrower than 64 px.
    """
    import cv2

    if isinstance(image, (str, os.PathLike)):
        name = name or str(image)
        rgb = load_image(image)
    else:
        rgb = np.asarray(image)
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise EmogenError(f"expected an (h, w, 3) uint8 RGB image, got shape {rgb.shape} {rgb.dtype}")
        name = name or "the image"
    detector = detector or L.FaceMeshDetector()
    faces = detector.detect(rgb)
    if not faces:
        raise EmogenError(f"no face found in {name}; give a photo with a clearly visible, roughly frontal face")
    lm = faces[0]  # largest first
    width = np.ptp(lm[list(L.FACE_OVAL), 0])
    if width < MIN_FACE_PX:
        raise EmogenError(f"the face in {name} is too small ({int(width)} px wide; at least {MIN_FACE_PX} px "
                          f"is needed): use a closer or larger photo")
    m = _alignment(lm, size)
    scale = float(np.hypot(m[0, 0], m[0, 1]))
    source, m_src = rgb, m
    if scale < 0.7:  # warpAffine does not average: shrink with INTER_AREA first so the crop is not aliased
        source = cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        m_src = m.copy()
        m_src[:, :2] /= scale
    crop = warp_with_fill(source, m_src, size)
    found = detector.detect(crop)
    if found:
        crop_lm = found[0]
    else:  # the crop is the same face; moving the source landmarks is the next best thing
        crop_lm = (lm.astype(np.float64) @ m[:, :2].T + m[:, 2]).astype(np.float32)
    return Portrait(image=crop, landmarks=crop_lm, face_box=face_box(crop_lm),
                    source_size=(int(rgb.shape[1]), int(rgb.shape[0])), source_transform=m.astype(np.float32))


def warp_with_fill(source: np.ndarray, m: np.ndarray, size: int) -> np.ndarray:
    """``source`` ((h, w, 3) uint8) warped by the (2, 3) affine ``m`` into a ``size`` x ``size`` crop.

    Where the crop reaches past the photo (a tightly cropped portrait), the gap is filled by
    pull-push interpolation (:func:`fill_outside`): the photo's edge colours spread outward, ever
    smoother with distance, so the fill reads as out-of-focus background with no seam. A mirrored
    border would repeat the face's own features (a second ear, hair or shoulder: "ghosts"), a
    constant one would be a visible frame.
    """
    import cv2

    crop = cv2.warpAffine(source, m, (size, size), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
    inside = cv2.warpAffine(np.ones(source.shape[:2], np.float32), m, (size, size), flags=cv2.INTER_LINEAR,
                            borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    if inside.min() >= 1.0:
        return crop
    fill = fill_outside(crop, inside)
    # fade the photo into the fill over its outer size/40 pixels, so its edge is no hard line
    distance = cv2.distanceTransform((inside > 0.5).astype(np.uint8), cv2.DIST_L2, 3)
    alpha = np.clip(distance / (size / 40), 0.0, 1.0)[..., None]
    return np.clip(alpha * crop + (1 - alpha) * fill + 0.5, 0, 255).astype(np.uint8)


def fill_outside(image: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Pull-push hole filling (Gortler et al. 1996): ``image`` ((h, w, 3) uint8) where ``weight``
    ((h, w), 1 = photo, 0 = empty) is 1, and elsewhere colours interpolated from an image pyramid
    of the known pixels (premultiplied by ``weight``), each level composited over the next coarser."""
    import cv2

    premultiplied = [image.astype(np.float32) * weight[..., None]]
    weights = [weight.astype(np.float32)]
    while min(weights[-1].shape) > 4:
        premultiplied.append(cv2.pyrDown(premultiplied[-1]))
        weights.append(cv2.pyrDown(weights[-1]))
    colour = premultiplied[-1] / np.maximum(weights[-1], 1e-6)[..., None]
    for level in range(len(weights) - 2, -1, -1):
        pm, w = premultiplied[level], weights[level]
        up = cv2.pyrUp(colour, dstsize=(w.shape[1], w.shape[0]))
        # a coarse pixel a quarter covered by the photo already takes the photo's colour there, so
        # the fill continues the nearest edge colours instead of fading to the image's mean
        alpha = np.clip(w if level == 0 else 4.0 * w, 0.0, 1.0)[..., None]
        colour = alpha * (pm / np.maximum(w, 1e-6)[..., None]) + (1.0 - alpha) * up
    return np.clip(colour + 0.5, 0, 255).astype(np.uint8)


def default_portrait_path() -> Path:
    """The built-in portrait (lisa1.jpg from webmorphR.stim, CC0)."""
    return Path(str(resources.files("emogen.face") / "assets" / "default_portrait.jpg"))


def default_portrait(size: int = 512, detector: L.FaceMeshDetector | None = None) -> Portrait:
    """The built-in portrait, analysed like a user's photo."""
    return analyze_portrait(default_portrait_path(), size=size, detector=detector, name="the built-in portrait")
