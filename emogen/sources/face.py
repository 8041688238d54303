"""The emotion of a face: a real-face expression classifier and face-mesh landmark measures, mixed.

:func:`read_face_emotion` is the one place that turns a face into category probabilities; photos
and video frames both go through it.

Two readers see the largest face. The FER2013 mini-Xception (``emogen.face.expression``, trained
on real faces) gives probabilities of all seven categories. The landmark reader
(:func:`landmark_probabilities`) turns the six measures of the face (``emogen.face.measure``:
lip-corner height, mouth width and opening, brow and inner brow height, eye opening; in
inter-ocular distances) into z-scores against the neutral faces of the London set
(``assets/face_norms.json``: the first 45 people by id, so the other 45 stay unseen for the
benchmark), and each category scores the movements the Facial Action Coding System gives it
(Ekman & Friesen 1978): happy raises and widens the lip corners (AU12); surprised raises the
brows (AU1+2), opens the eyes (AU5) and the jaw (AU26); sad raises the inner brows against the
outer ones (AU1) and lowers the corners (AU15); angry lowers the brows (AU4) and narrows the lips
(AU23); fearful raises the inner brows, opens the eyes and stretches the mouth (AU1+5+20).
Neutral scores a constant: a face must move clearly away from the neutral norms to read as an
emotion. A softmax makes the scores probabilities (disgusted gets none). No library reads emotion
from landmarks, so this is ours; the weights are the FACS signs, the two scales were set on the
first 45 people.

The two are averaged, the classifier weighted ``CLASSIFIER_WEIGHT``. On the first 45 London
people the classifier alone misses closed-mouth smiles (0.47 of smiling photos read happy) and
the landmarks alone read 0.16 of neutral photos as an emotion; 0.4 was the smallest weight
with the best mean of the two hit rates there that reads every smile the classifier sees as happy
as happy.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..errors import EmogenError

FACE_CATEGORIES = ("neutral", "happy", "sad", "angry", "fearful", "surprised", "disgusted")
CLASSIFIER_WEIGHT = 0.4  # of the expression classifier in the mix; the landmarks get the rest
NORMS_ASSET = Path(__file__).parent / "assets" / "face_norms.json"
# measures: lip_corner_height, mouth_width, mouth_open, brow_height, inner_brow_height, eye_open
_WEIGHTS = np.array([
    [1.0, 1.0, 0.5, 0.0, 0.0, -0.5],    # happy: AU12, AU25 (lips part), AU6 (cheeks narrow the eyes)
    [-1.0, 0.0, 0.0, -1.0, 1.0, 0.0],   # sad: AU1 (inner brows up against outer), AU15
    [0.0, -0.5, 0.0, -1.0, -1.0, -0.5],  # angry: AU4, AU7, AU23
    [-0.5, 0.5, 0.5, 0.0, 1.0, 1.0],    # fearful: AU1, AU5, AU20, AU26
    [0.0, 0.0, 0.5, 1.0, 0.5, 1.0],     # surprised: AU1+2, AU5, AU26
])
NEUTRAL_SCORE = 2.0  # in z units: how far a face must move before an emotion outweighs neutral
GAIN = 1.5  # softmax sharpness per z unit
MIN_STD = 0.02  # IOD: neutral mouths are all closed (spread 0.004), yet a mouth open by 0.02 is no expression


@lru_cache(maxsize=1)
def _norms() -> tuple[np.ndarray, np.ndarray]:
    from ..face.measure import MEASURES

    table = json.loads(NORMS_ASSET.read_text())
    return (np.array([table["mean"][m] for m in MEASURES]),
            np.maximum(np.array([table["std"][m] for m in MEASURES]), MIN_STD))


def landmark_probabilities(measures: dict[str, float]) -> dict[str, float]:
    """Category probabilities (FACE_CATEGORIES, disgusted 0) of one face's measures (``measure_landmarks``)."""
    from ..face.measure import MEASURES

    mean, std = _norms()
    z = (np.array([measures[m] for m in MEASURES]) - mean) / std
    scores = np.concatenate([[NEUTRAL_SCORE], _WEIGHTS @ z / np.abs(_WEIGHTS).sum(1) * 2.0])
    p = np.exp(GAIN * (scores - scores.max()))
    return dict({c: float(x) for c, x in zip(FACE_CATEGORIES, p / p.sum())}, disgusted=0.0)


@lru_cache(maxsize=1)
def _detector():
    from ..face.landmarks import FaceMeshDetector

    return FaceMeshDetector(max_faces=4)


def read_face_emotion(image) -> dict[str, float] | None:
    """Category probabilities (FACE_CATEGORIES) of the largest face in ``image`` (an ``(h, w, 3)``
    uint8 RGB array or an image path), or None when no face is found: the expression classifier's
    and the landmark measures', averaged (``CLASSIFIER_WEIGHT``)."""
    from ..face.expression import EMOTION_LABEL, ExpressionClassifier
    from ..face.measure import measure_landmarks

    if not isinstance(image, np.ndarray):
        from ..face.analysis import load_image

        image = load_image(image)
    faces = _detector().detect(image)
    if not faces:
        return None
    seen = ExpressionClassifier.shared()(image, faces[0])
    marks = landmark_probabilities(measure_landmarks(faces[0]))
    w = CLASSIFIER_WEIGHT
    return {c: w * seen[EMOTION_LABEL[c]] + (1.0 - w) * marks[c] for c in FACE_CATEGORIES}


def read_photo(path: str | Path):
    """The :class:`EmotionReading` of the face in a photo."""
    from .reading import build_reading

    probs = read_face_emotion(path)
    if probs is None:
        raise EmogenError(f"no face found in '{path}'; give a photo with a clearly visible face (frontal, "
                          "at least 64 px wide)")
    return build_reading(str(path), "face", FACE_CATEGORIES, np.array([probs[c] for c in FACE_CATEGORIES]))


def london_ids(root: Path) -> list[str]:
    """The London set's people ids ('001', ...), sorted."""
    return sorted(p.name[:3] for p in (root / "faces" / "london").glob("*_neutral.jpg"))


def build_norms(root: Path) -> dict:
    """Mean and spread of the measures over the neutral photos of the London set's first half
    of people (by id; the second half stays unseen for the benchmark)."""
    from ..face.analysis import load_image
    from ..face.landmarks import FaceMeshDetector
    from ..face.measure import MEASURES, measure_landmarks

    ids = london_ids(root)
    people = ids[:len(ids) // 2]
    rows = []
    with FaceMeshDetector(max_faces=1) as detector:
        for n in people:
            faces = detector.detect(load_image(root / "faces" / "london" / f"{n}_neutral.jpg"))
            if faces:
                rows.append(measure_landmarks(faces[0]))
    x = np.array([[r[m] for m in MEASURES] for r in rows])
    return {"source": f"Face Research Lab London Set (DeBruine & Jones 2017, CC BY 4.0), neutral photos of people "
                      f"{people[0]}-{people[-1]} (the first half by id)", "faces": len(rows),
            "mean": dict(zip(MEASURES, x.mean(0).round(5).tolist())),
            "std": dict(zip(MEASURES, x.std(0).round(5).tolist()))}


if __name__ == "__main__":
    from ..io import shared_data_root, write_text_atomic

    table = build_norms(shared_data_root())
    write_text_atomic(NORMS_ASSET, json.dumps(table, indent=1) + "\n")
    print(f"wrote {NORMS_ASSET} ({table['faces']} faces)")
