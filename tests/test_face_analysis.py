"""Portrait analysis on awkward inputs: every image form a user may give, and the bad ones."""

import numpy as np
import pytest

from emogen.errors import EmogenError

pytest.importorskip("cv2")


@pytest.fixture(scope="module")
def face_rgb():
    from emogen.face.analysis import default_portrait_path, load_image

    return load_image(default_portrait_path())  # (512, 384, 3)


@pytest.fixture(scope="module")
def detector():
    pytest.importorskip("mediapipe")
    from emogen.face.landmarks import FaceMeshDetector

    with FaceMeshDetector() as d:
        yield d


def _save(array, path, **kw):
    from PIL import Image

    Image.fromarray(array).save(path, **kw)
    return path


def _assert_level_face(portrait):
    from emogen.face import landmarks as L

    right, left = L.eye_centres(portrait.landmarks)
    assert abs(left[1] - right[1]) < 0.05 * (left[0] - right[0])  # eyes level in the crop
    x0, _, x1, _ = portrait.face_box
    assert 0.38 < (x1 - x0) / portrait.size < 0.62  # face about half the width


def test_default_portrait(detector):
    from emogen.face.analysis import default_portrait

    p = default_portrait(detector=detector)
    assert p.image.shape == (512, 512, 3) and p.image.dtype == np.uint8
    assert p.landmarks.shape == (478, 2) and p.landmarks.dtype == np.float32
    assert p.source_size == (384, 512)
    _assert_level_face(p)


def test_exif_rotation_is_applied(tmp_path, face_rgb, detector):
    from PIL import Image

    from emogen.face.analysis import analyze_portrait, load_image

    stored = np.ascontiguousarray(np.rot90(face_rgb, 1))  # pixels stored turned left...
    exif = Image.Exif()
    exif[0x0112] = 6  # ...with the tag "rotate 90 degrees clockwise to display"
    path = _save(stored, tmp_path / "rotated.jpg", exif=exif, quality=95)
    upright = load_image(path)
    assert upright.shape == face_rgb.shape
    assert np.abs(upright.astype(int) - face_rgb).mean() < 4
    _assert_level_face(analyze_portrait(path, detector=detector))


def test_grayscale(tmp_path, face_rgb, detector):
    from PIL import Image

    from emogen.face.analysis import analyze_portrait, load_image

    path = tmp_path / "gray.png"
    Image.fromarray(face_rgb).convert("L").save(path)
    rgb = load_image(path)
    assert rgb.shape == face_rgb.shape and (rgb[..., 0] == rgb[..., 2]).all()
    analyze_portrait(path, detector=detector)


def test_rgba_is_composited_on_white(tmp_path, face_rgb, detector):
    from emogen.face.analysis import analyze_portrait, load_image

    rgba = np.dstack([face_rgb, np.full(face_rgb.shape[:2], 255, np.uint8)])
    rgba[:40, :40, 3] = 0  # a transparent corner
    path = _save(rgba, tmp_path / "alpha.png")
    rgb = load_image(path)
    assert rgb.shape == face_rgb.shape
    assert (rgb[:40, :40] == 255).all() and (rgb[100:, 100:] == face_rgb[100:, 100:]).all()
    analyze_portrait(path, detector=detector)


def test_16_bit_png(tmp_path, face_rgb, detector):
    from PIL import Image

    from emogen.face.analysis import analyze_portrait, load_image

    gray = np.asarray(Image.fromarray(face_rgb).convert("L"), dtype=np.uint16) * 257
    path = tmp_path / "deep.png"
    Image.fromarray(gray).save(path)  # uint16 -> mode I;16
    rgb = load_image(path)
    assert rgb.dtype == np.uint8
    assert np.abs(rgb[..., 0].astype(int) - gray // 257).max() <= 1
    analyze_portrait(path, detector=detector)


def test_huge_image_is_downscaled(tmp_path, face_rgb, detector):
    import cv2

    from emogen.face.analysis import MAX_SIDE, analyze_portrait, load_image

    big = cv2.resize(face_rgb, None, fx=9, fy=9, interpolation=cv2.INTER_LINEAR)  # 3456 x 4608
    path = _save(big, tmp_path / "huge.jpg", quality=80)
    rgb = load_image(path)
    assert max(rgb.shape[:2]) <= MAX_SIDE and rgb.shape[0] > rgb.shape[1]
    p = analyze_portrait(path, detector=detector)
    assert p.source_size[1] <= MAX_SIDE
    _assert_level_face(p)


def test_unreadable_and_missing_files(tmp_path):
    from emogen.face.analysis import load_image

    junk = tmp_path / "junk.jpg"
    junk.write_bytes(np.random.default_rng(0).bytes(3000))
    with pytest.raises(EmogenError, match="cannot read image"):
        load_image(junk)
    with pytest.raises(EmogenError, match="not found"):
        load_image(tmp_path / "missing.png")


def test_truncated_jpeg(tmp_path, face_rgb):
    from emogen.face.analysis import load_image

    good = _save(face_rgb, tmp_path / "good.jpg", quality=90)
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(good.read_bytes()[:2000])
    with pytest.raises(EmogenError, match="cannot read image"):
        load_image(cut)


def test_no_face(tmp_path, detector):
    from emogen.face.analysis import analyze_portrait

    path = _save(np.full((300, 300, 3), 180, np.uint8), tmp_path / "blank.png")
    with pytest.raises(EmogenError, match="no face found in .*blank.png"):
        analyze_portrait(path, detector=detector)


def test_tiny_face(face_rgb, detector):
    import cv2

    from emogen.face.analysis import analyze_portrait

    small = cv2.resize(face_rgb, None, fx=0.22, fy=0.22, interpolation=cv2.INTER_AREA)  # face ~48 px wide
    canvas = np.full((240, 240, 3), 200, np.uint8)
    canvas[:small.shape[0], :small.shape[1]] = small
    with pytest.raises(EmogenError, match="too small"):
        analyze_portrait(canvas, detector=detector)


def test_two_faces_largest_wins(face_rgb, detector):
    import cv2

    from emogen.face.analysis import analyze_portrait

    h, w = face_rgb.shape[:2]
    small = cv2.resize(face_rgb, (w * 3 // 5, h * 3 // 5), interpolation=cv2.INTER_AREA)
    canvas = np.full((h, w + small.shape[1], 3), 128, np.uint8)
    canvas[:, small.shape[1]:] = face_rgb  # the large face on the right
    canvas[h // 4:h // 4 + small.shape[0], :small.shape[1]] = small
    p = analyze_portrait(canvas, detector=detector)
    # the crop's centre comes from the right-hand (large) face
    m = p.source_transform.astype(np.float64)
    centre_in_source = np.linalg.solve(m[:, :2], np.array([256.0, 256.0]) - m[:, 2])
    assert centre_in_source[0] > small.shape[1]
    x0, _, x1, _ = p.face_box
    assert (x1 - x0) > 0.38 * p.size


def test_array_input_is_checked():
    from emogen.face.analysis import analyze_portrait

    with pytest.raises(EmogenError, match="uint8 RGB"):
        analyze_portrait(np.zeros((10, 10), np.float32))
