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
    float images; images longer than ``max_side`` px are downscaled (aspect kept).
    Raises EmogenError for a missing, unreadable or corrupt file.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    path = Path(path)
    if not path.is_file():
        raise EmogenError(f"image '{path}' not found")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as img:
                if img.format == "JPEG":  # decode huge JPEGs at a reduced scale directly
                    img.draft("RGB", (max_side, max_side))
                img.load()
                img = ImageOps.exif_transpose(img)
    except Image.DecompressionBombError:
        raise EmogenError(f"image '{path}' is too large to read safely (over {Image.MAX_IMAGE_PIXELS * 2} "
                          f"pixels); downscale it first") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
        raise EmogenError(f"cannot read image '{path}': {e}; give a JPEG, PNG, WebP, BMP or TIFF file") from None
    rgb = _to_rgb8(img)
    h, w = rgb.shape[:2]
    if max(h, w) > max_side:
        import cv2

        scale = max_side / max(h, w)
        rgb = cv2.resize(rgb, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(rgb)


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
    # a reflected border reads as more background/hair, where a constant one would be a visible frame
    crop = cv2.warpAffine(source, m_src, (size, size), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT_101)
    found = detector.detect(crop)
    if found:
        crop_lm = found[0]
    else:  # the crop is the same face; moving the source landmarks is the next best thing
        crop_lm = (lm.astype(np.float64) @ m[:, :2].T + m[:, 2]).astype(np.float32)
    return Portrait(image=crop, landmarks=crop_lm, face_box=face_box(crop_lm),
                    source_size=(int(rgb.shape[1]), int(rgb.shape[0])), source_transform=m.astype(np.float32))


def default_portrait_path() -> Path:
    """The built-in portrait (lisa1.jpg from webmorphR.stim, CC0)."""
    return Path(str(resources.files("emogen.face") / "assets" / "default_portrait.jpg"))


def default_portrait(size: int = 512, detector: L.FaceMeshDetector | None = None) -> Portrait:
    """The built-in portrait, analysed like a user's photo."""
    return analyze_portrait(default_portrait_path(), size=size, detector=detector, name="the built-in portrait")
