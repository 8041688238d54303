"""Symbolic music features and a 4-quadrant emotion classifier on them (offline, no pretrained weights).

Features follow what the literature ties to musical emotion: valence to mode (major/minor by the
Krumhansl-Kessler key profiles, Krumhansl 1990), arousal to note density, loudness (velocity)
and tempo (EMOPIA's dataset analysis, Hung et al. 2021; Music FaderNets), plus pitch register
and spread and note durations. The classifier is a multinomial logistic regression on
standardised features (scikit-learn), stored as plain JSON so that it loads with numpy alone.

Usage::

    feats = symbolic_features(midi)                   # dict name -> float
    clf = QuadrantClassifier.from_pretrained("music-quadrant-classifier")
    clf.predict([midi_a, midi_b])                    # quadrants 1..4
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from ..errors import EmogenError
from ..music.tonality import estimate_key, midi_notes, read_midi

FEATURE_NAMES = (
    "mode",            # 1 major, 0 minor (best-correlating KK profile)
    "mode_margin",     # best major minus best minor correlation
    "key_clarity",     # correlation of the best key
    "note_density",    # notes per second
    "onset_density",   # distinct onset times per second
    "polyphony",       # mean notes sounding while anything sounds
    "velocity_mean",   # MIDI velocity 1..127
    "velocity_std",
    "tempo",           # BPM of the first tempo mark
    "pitch_mean",      # MIDI pitch, duration weighted
    "pitch_std",
    "pitch_range",     # 95th minus 5th percentile of pitch
    "duration_mean",   # seconds
    "duration_std",
    "ioi_mean",        # seconds between consecutive distinct onsets
)
CLASSIFIER_FILE = "classifier.json"


def symbolic_features(midi) -> dict[str, float]:
    """The features in :data:`FEATURE_NAMES` of a ``PrettyMIDI`` or MIDI path (all 0 if silent)."""
    pm = read_midi(midi)
    notes = midi_notes(pm)
    if len(notes) == 0:
        return {name: 0.0 for name in FEATURE_NAMES}
    key = estimate_key(pm)
    pitch, start, end, vel = notes.T
    dur = np.maximum(end - start, 1e-3)
    span = max(float(end.max() - start.min()), 1e-3)
    onsets = np.unique(np.round(start, 3))
    sounding = _sounding_time(start, end)
    _, tempi = pm.get_tempo_changes()
    w = dur / dur.sum()
    mean_pitch = float((pitch * w).sum())
    return {
        "mode": 1.0 if key.mode == "major" else 0.0,
        "mode_margin": key.margin,
        "key_clarity": key.correlation,
        "note_density": len(notes) / span,
        "onset_density": len(onsets) / span,
        "polyphony": float(dur.sum() / max(sounding, 1e-3)),
        "velocity_mean": float(vel.mean()),
        "velocity_std": float(vel.std()),
        "tempo": float(tempi[0]),  # pretty_midi always has one (MIDI's default: 120)
        "pitch_mean": mean_pitch,
        "pitch_std": float(np.sqrt((w * (pitch - mean_pitch) ** 2).sum())),
        "pitch_range": float(np.percentile(pitch, 95) - np.percentile(pitch, 5)),
        "duration_mean": float(dur.mean()),
        "duration_std": float(dur.std()),
        "ioi_mean": float(np.diff(onsets).mean()) if len(onsets) > 1 else span,
    }


def _sounding_time(start: np.ndarray, end: np.ndarray) -> float:
    """Seconds during which at least one note sounds (union of the note intervals)."""
    order = np.argsort(start)
    total, cur_s, cur_e = 0.0, None, None
    for s, e in zip(start[order], end[order]):
        if cur_e is None or s > cur_e:
            if cur_e is not None:
                total += cur_e - cur_s
            cur_s, cur_e = s, e
        else:
            cur_e = max(cur_e, e)
    return total + (cur_e - cur_s if cur_e is not None else 0.0)


def feature_matrix(midis) -> np.ndarray:
    """(n, len(FEATURE_NAMES)) features of several pieces."""
    return np.array([[symbolic_features(m)[k] for k in FEATURE_NAMES] for m in midis], dtype=np.float64)


class QuadrantClassifier:
    """Standardise, then multinomial logistic regression over quadrants 1..4.

    Attributes:
        features: names of the features used, in order.
        mean, scale: (f,) standardisation.
        coef: (4, f) and intercept: (4,) of the logistic regression; row k is quadrant k + 1.
    """

    def __init__(self, features, mean, scale, coef, intercept, info: dict | None = None):
        self.features = tuple(features)
        self.mean, self.scale = np.asarray(mean, float), np.asarray(scale, float)
        self.coef, self.intercept = np.asarray(coef, float), np.asarray(intercept, float)
        self.info = dict(info or {})

    @classmethod
    def fit(cls, x: np.ndarray, quadrants, features=FEATURE_NAMES, c: float = 1.0) -> "QuadrantClassifier":
        """Fit on (n, f) features and quadrant labels 1..4 (scikit-learn's LogisticRegression)."""
        from sklearn.linear_model import LogisticRegression

        mean, scale = x.mean(axis=0), x.std(axis=0)
        scale = np.where(scale > 1e-9, scale, 1.0)  # constant features (EMOPIA's tempo) do nothing
        model = LogisticRegression(C=c, max_iter=5000).fit((x - mean) / scale, np.asarray(quadrants))
        if list(model.classes_) != [1, 2, 3, 4]:
            raise EmogenError("the training labels must cover quadrants 1, 2, 3 and 4")
        return cls(features, mean, scale, model.coef_, model.intercept_)

    def predict_proba_features(self, x: np.ndarray) -> np.ndarray:
        """(n, f) features -> (n, 4) quadrant probabilities."""
        logits = ((np.atleast_2d(x) - self.mean) / self.scale) @ self.coef.T + self.intercept
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        return p / p.sum(axis=1, keepdims=True)

    def predict_proba(self, midis) -> np.ndarray:
        """(n, 4) quadrant probabilities of ``PrettyMIDI`` objects or paths."""
        return self.predict_proba_features(feature_matrix(midis)[:, [FEATURE_NAMES.index(f) for f in self.features]])

    def predict(self, midis) -> np.ndarray:
        """(n,) most likely quadrant, 1..4."""
        return self.predict_proba(midis).argmax(axis=1) + 1

    def to_dict(self) -> dict:
        return {"kind": "emogen.music.quadrant_classifier", "features": list(self.features),
                "mean": self.mean.tolist(), "scale": self.scale.tolist(), "coef": self.coef.tolist(),
                "intercept": self.intercept.tolist(), "quadrants": [1, 2, 3, 4], "info": self.info}

    def save(self, directory: str | os.PathLike, card: str) -> Path:
        """Write ``classifier.json`` and a ``README.md`` card atomically."""
        from ..io import atomic_dir

        directory = Path(directory)
        with atomic_dir(directory) as tmp:
            (tmp / CLASSIFIER_FILE).write_text(json.dumps(self.to_dict(), indent=1) + "\n")
            (tmp / "README.md").write_text(card)
        return directory

    @classmethod
    def from_pretrained(cls, name_or_path: str | os.PathLike = "music-quadrant-classifier") -> "QuadrantClassifier":
        """Load from a directory or a name under ``checkpoints/``."""
        from ..core.checkpoint import shipped_checkpoints_dir

        path = Path(name_or_path)
        if not path.is_dir():
            path = shipped_checkpoints_dir() / str(name_or_path)
        file = path / CLASSIFIER_FILE
        if not file.is_file():
            raise EmogenError(f"quadrant classifier '{name_or_path}' not found (no {CLASSIFIER_FILE} there)")
        try:
            raw = json.loads(file.read_text())
            return cls(raw["features"], raw["mean"], raw["scale"], raw["coef"], raw["intercept"], raw.get("info"))
        except (json.JSONDecodeError, KeyError, TypeError) as e:
            raise EmogenError(f"quadrant classifier '{file}' is corrupt ({e})") from None


def train_emopia_classifier(root: str | os.PathLike | None = None, cs=(0.03, 0.1, 0.3, 1.0, 3.0)):
    """Fit the classifier on EMOPIA's official train clips, choose C on the val clips, and measure
    accuracy on the test clips (songs in neither). Returns (classifier, report dict)."""
    from ..music.data import data_root, emopia_split

    root = Path(root) if root else data_root()
    sets = {}
    for split in ("train", "val", "test"):
        items = emopia_split(root, split)
        sets[split] = (feature_matrix([root / "music" / "emopia" / "midis" / n for n, _ in items]),
                       np.array([q for _, q in items]))
    scores = {}
    for c in cs:
        clf = QuadrantClassifier.fit(*sets["train"], c=c)
        scores[c] = float((clf.predict_proba_features(sets["val"][0]).argmax(1) + 1 == sets["val"][1]).mean())
    best = max(scores, key=scores.get)
    clf = QuadrantClassifier.fit(*sets["train"], c=best)
    pred = clf.predict_proba_features(sets["test"][0]).argmax(1) + 1
    truth = sets["test"][1]
    report = {"C": best, "val_accuracy": scores[best], "test_accuracy": float((pred == truth).mean()),
              "test_clips": int(len(truth)), "train_clips": int(len(sets["train"][1])),
              "test_accuracy_by_quadrant": {int(q): float((pred[truth == q] == q).mean()) for q in (1, 2, 3, 4)},
              "confusion": [[int(((truth == t) & (pred == p)).sum()) for p in (1, 2, 3, 4)] for t in (1, 2, 3, 4)]}
    clf.info = report
    return clf, report


def classifier_card(report: dict) -> str:
    rows = "\n".join(f"| Q{t} | " + " | ".join(str(x) for x in row) + " |" for t, row in
                     zip((1, 2, 3, 4), report["confusion"]))
    return f"""# EMOPIA 4-quadrant classifier on symbolic features

Multinomial logistic regression (scikit-learn, C={report['C']}) on standardised symbolic
features ({', '.join(FEATURE_NAMES)}; see `emogen/eval/music.py`). Mode comes from
Krumhansl-Kessler key profiles. Plain JSON parameters (`{CLASSIFIER_FILE}`), loaded with numpy.

- Trained on EMOPIA 1.0's official train split ({report['train_clips']} clips); C chosen on the
  val split (accuracy {report['val_accuracy']:.3f}).
- **Accuracy on the {report['test_clips']} clips of the official test split (songs not seen in
  training): {report['test_accuracy']:.3f}** (chance 0.25). Per quadrant:
  {', '.join(f"Q{q} {a:.2f}" for q, a in report['test_accuracy_by_quadrant'].items())}.

Confusion on the test clips (rows: true quadrant, columns: predicted Q1-Q4):

| true | Q1 | Q2 | Q3 | Q4 |
|---|---|---|---|---|
{rows}

Quadrants: Q1 high valence / high arousal (happy), Q2 low / high (angry), Q3 low / low (sad),
Q4 high / low (calm). EMOPIA's clips all carry a 120 BPM tempo mark, so tempo carries no weight.

Rebuild: `python -m emogen.eval.music --out checkpoints/music-quadrant-classifier`

Data licence: EMOPIA (Hung et al., ISMIR 2021) is CC BY-NC-SA 4.0; this classifier is fitted on
it, so use it for non-commercial purposes only.
"""


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="Fit the EMOPIA quadrant classifier and write it with its card.")
    parser.add_argument("--out", default="checkpoints/music-quadrant-classifier")
    parser.add_argument("--data", default=None, help="data root (default $EMOGEN_DATA or ../shared/data)")
    args = parser.parse_args()
    classifier, summary = train_emopia_classifier(args.data)
    classifier.save(args.out, classifier_card(summary))
    print(json.dumps(summary, indent=1))
