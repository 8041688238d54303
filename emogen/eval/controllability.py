"""Controllability: does the emotion the user asks for come out, and does more intensity mean more?

A sweep renders every requested emotion at every intensity for a few seeds (and, for speech, a
few sentences) with the current model, measures the medium's emotion cues, and reports:

- **monotonicity**: per emotion and cue, the Spearman rank correlation between intensity and the
  cue (over the per-intensity means, and over every render), so +1 means "always more", -1
  "always less";
- **separability**: how well the emotions can be told apart at the highest intensity, as the
  accuracy of a nearest-centroid classifier on the standardised cue vectors, trained and tested
  leave-one-seed-out (the seed is the group: a test render's seed never helps build the
  centroids), and as the accuracy of the medium's own emotion classifier (speech: the RAVDESS
  SER relative to the same text's intensity-0 render; music: the EMOPIA quadrant classifier).

Speech cues are relative to the intensity-0 render of the same text and seed (every emotion at
intensity 0 is neutral, so that render is made once and shared). Music cues are absolute.

    report = controllability("music", emotions=["happy", "sad"], intensities=[0, 0.5, 1], seeds=2)
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field

import numpy as np

from ..checks import INTENSITY, check_number
from ..emotion import EmotionSpec, parse_emotion
from ..emotion.space import CATEGORY_NAMES, canonical_category, category
from ..errors import EmogenError

MODALITIES = ("tts", "music", "talk")
DEFAULT_EMOTIONS = {"tts": ("happy", "sad", "angry", "fearful"), "music": ("happy", "angry", "sad", "calm"),
                    "talk": ("happy", "sad", "angry", "surprised")}
DEFAULT_INTENSITIES = (0.0, 0.25, 0.5, 0.75, 1.0)
DEFAULT_TEXTS = ("The birch canoe slid on the smooth planks.", "Four hours of steady work faced us.")
TTS_CUES = ("f0_mean_st", "f0_range_st", "loudness_db", "rate")
MUSIC_CUES = ("note_density", "velocity_mean", "major", "pitch_mean")
TALK_CUES = ("lip_corner_height", "mouth_open", "brow_height", "inner_brow_height", "eye_open")
CUES = {"tts": TTS_CUES, "music": MUSIC_CUES, "talk": TALK_CUES}
CUE_UNITS = {"f0_mean_st": "semitones vs intensity 0", "f0_range_st": "semitones vs intensity 0",
             "loudness_db": "dB vs intensity 0", "rate": "log rate vs intensity 0", "note_density": "notes / s",
             "velocity_mean": "MIDI velocity", "major": "share in major", "pitch_mean": "MIDI pitch",
             **{c: "IOD vs intensity 0" for c in TALK_CUES}}


@dataclass
class Render:
    """One measured output: the request, its cues, and the medium classifier's probabilities."""

    emotion: str
    intensity: float
    seed: int
    item: int
    """which text (speech) or 0"""
    cues: dict[str, float]
    probabilities: dict[str, float] = field(default_factory=dict)
    """SER emotions (speech) or Q1..Q4 (music)"""


# -- the statistics ---------------------------------------------------------------------------------
def spearman(x, y) -> float | None:
    """Spearman's rho of two equal-length sequences (ties get average ranks); None when either is
    constant or shorter than 3 (rho is undefined there)."""
    from scipy.stats import rankdata

    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if len(x) != len(y):
        raise ValueError(f"spearman needs equal lengths, got {len(x)} and {len(y)}")
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return None
    rx, ry = rankdata(x), rankdata(y)
    return float(np.corrcoef(rx, ry)[0, 1])


def nearest_centroid_loso(x, labels, groups) -> tuple[float, np.ndarray, list[str]]:
    """Leave-one-group-out nearest-centroid classification.

    Args:
        x: (n, f) cue vectors.
        labels: (n,) class names.
        groups: (n,) group ids (seeds); each group in turn is the test set.

    Returns:
        (accuracy, confusion (k, k) with rows = true class and columns = predicted, class names).
        Features are standardised with the training fold's mean and standard deviation; a class
        absent from a training fold cannot be predicted in that fold.
    """
    x = np.asarray(x, dtype=float)
    labels, groups = np.asarray(labels), np.asarray(groups)
    names = sorted(set(labels.tolist()), key=labels.tolist().index)
    confusion = np.zeros((len(names), len(names)), dtype=int)
    if len(set(groups.tolist())) < 2:
        raise ValueError("leave-one-group-out needs at least two groups (seeds)")
    for g in dict.fromkeys(groups.tolist()):
        test, train = groups == g, groups != g
        mean, std = x[train].mean(axis=0), x[train].std(axis=0)
        std = np.where(std > 1e-12, std, 1.0)
        z = (x - mean) / std
        present = [c for c in names if np.any(train & (labels == c))]
        centroids = np.stack([z[train & (labels == c)].mean(axis=0) for c in present])
        for row in np.flatnonzero(test):
            guess = present[int(np.argmin(((centroids - z[row]) ** 2).sum(axis=1)))]
            confusion[names.index(labels[row]), names.index(guess)] += 1
    return float(np.trace(confusion) / confusion.sum()), confusion, names


def emotion_quadrant(emotion: str) -> int:
    """Circumplex quadrant (1..4) of a category from the signs of its valence and arousal."""
    from ..music.data import quadrant_of

    v, a, _ = category(emotion).vad
    return quadrant_of(v, a)


# -- the sweeps ------------------------------------------------------------------------------------------
def check_request(modality: str, emotions, intensities, seeds: int) -> tuple[list[str], list[float]]:
    """Fail early with one readable line; returns canonical emotion names and sorted intensities."""
    if modality not in MODALITIES:
        raise EmogenError(f"unknown modality '{modality}'; accepted: {', '.join(MODALITIES)}")
    names = list(dict.fromkeys(canonical_category(e) for e in (emotions or DEFAULT_EMOTIONS[modality])))
    if "neutral" in names:
        raise EmogenError("neutral has no intensity to sweep; accepted emotions: "
                          + ", ".join(c for c in CATEGORY_NAMES if c != "neutral"))
    if len(set(names)) < 2:
        raise EmogenError("give at least two different emotions to compare, e.g. --emotions happy,sad")
    levels = sorted({check_number(i, "intensity", *INTENSITY)
                     for i in (DEFAULT_INTENSITIES if intensities is None else intensities)})
    if len(levels) < 2 or levels[0] < 0 or levels[-1] > 1:
        raise EmogenError("give at least two different intensities in [0, 1], e.g. --intensities 0,0.5,1")
    if not isinstance(seeds, int) or not 2 <= seeds <= 100:
        raise EmogenError(f"--seeds must be a whole number from 2 to 100 (separability leaves one seed out), "
                          f"got {seeds}")
    return names, levels


def sweep_tts(emotions, intensities, seeds: int, texts=DEFAULT_TEXTS, checkpoint: str | None = None,
              ser: str | None = None, *, steps: int) -> tuple[list[Render], str]:
    """Render every (emotion, intensity, seed, text) with the TTS voice and measure it.

    ``checkpoint``: a voice of ``emogen voices`` or an acoustic checkpoint (None: the default voice);
    ``ser``: the speech-emotion classifier (None: ``emogen eval speech``'s default).
    Returns the renders and the classifier's name."""
    from tqdm.auto import tqdm

    from ..speech import TTSPipeline
    from ..ser.pipeline import SERPipeline
    from ..speech.cues import measure, relative_cues

    tts = TTSPipeline.from_pretrained(checkpoint)
    classifier = SERPipeline.from_pretrained(ser)
    jobs = [(e, i, s, t) for s in range(seeds) for t in range(len(texts)) for e in emotions for i in intensities]
    renders, reference = [], {}
    for emotion, level, seed, t in tqdm(jobs, desc="tts sweep", unit="render"):
        key = (seed, t)
        if key not in reference:  # intensity 0 is neutral for every emotion: render it once
            audio, sr = tts(texts[t], "neutral", seed=seed, steps=steps)
            feats0 = classifier.reference(audio, sr)
            reference[key] = (measure(audio, sr), feats0, classifier(audio, sr, feats0))
        cues0, feats0, probs0 = reference[key]
        if level == 0:
            cues, probs = {c: 0.0 for c in TTS_CUES}, probs0
        else:
            audio, sr = tts(texts[t], f"{emotion}:{level:g}", seed=seed, steps=steps)
            rel = relative_cues(measure(audio, sr), cues0)
            cues = {c: float(rel[c]) for c in TTS_CUES}
            probs = classifier(audio, sr, feats0)
        renders.append(Render(emotion, level, seed, t, cues, {k: float(v) for k, v in probs.items()}))
    return renders, classifier.name


def sweep_music(emotions, intensities, seeds: int, bars: int = 4, checkpoint: str = "music-emopia",
                classifier: str = "music-quadrant-classifier", steps: int = 12) -> list[Render]:
    """Generate every (emotion, intensity, seed) piece and measure its symbolic features."""
    from tqdm.auto import tqdm

    from ..music.pipeline import MusicPipeline
    from .music import QuadrantClassifier, symbolic_features

    pipe = MusicPipeline.from_pretrained(checkpoint)
    quadrants = QuadrantClassifier.from_pretrained(classifier)
    jobs = [(e, i, s) for s in range(seeds) for e in emotions for i in intensities]
    renders, neutral = [], {}
    for emotion, level, seed in tqdm(jobs, desc="music sweep", unit="piece"):
        if level == 0 and seed in neutral:
            cues, probs = neutral[seed]
        else:
            result = pipe(emotion, intensity=level, bars=bars, seed=seed, steps=steps)
            f = symbolic_features(result.midi)
            cues = {"note_density": f["note_density"], "velocity_mean": f["velocity_mean"], "major": f["mode"],
                    "pitch_mean": f["pitch_mean"]}
            probs = {f"Q{q + 1}": float(p) for q, p in enumerate(quadrants.predict_proba([result.midi])[0])}
            if level == 0:
                neutral[seed] = (cues, probs)
        renders.append(Render(emotion, level, seed, 0, {k: float(v) for k, v in cues.items()}, probs))
    return renders


def sweep_talk(emotions, intensities, seeds: int, texts=DEFAULT_TEXTS[:1], checkpoint: str = "face-motion",
               steps: int = 10) -> list[Render]:
    """Animate the built-in portrait saying each text for every (emotion, intensity, seed) and
    measure the generated landmark motion (emogen.face.measure, in inter-ocular distances): each
    cue is the clip's mean minus that of the intensity-0 clip of the same text and seed. The
    landmarks are those the renderer is asked to draw, so no face detector judges the pixels."""
    if importlib.util.find_spec("emogen.face") is None or importlib.util.find_spec("emogen.face.pipeline") is None:
        raise EmogenError("controllability of talking heads is not available yet (emogen.face.pipeline is not "
                          "part of this version); use --modality tts or music")
    from tqdm.auto import tqdm

    from ..face.measure import measure_landmarks
    from ..face.pipeline import TalkPipeline

    talk = TalkPipeline.from_pretrained(checkpoint)

    def mean_measures(emotion: str, seed: int, text: str) -> dict[str, float]:
        clip = talk(text=text, emotion=emotion, seed=seed, steps=steps)  # the built-in portrait
        rows = [measure_landmarks(lm) for lm in clip.landmarks()]
        return {c: float(np.mean([r[c] for r in rows])) for c in TALK_CUES}

    jobs = [(e, i, s, t) for s in range(seeds) for t in range(len(texts)) for e in emotions for i in intensities]
    renders, reference = [], {}
    for emotion, level, seed, t in tqdm(jobs, desc="talk sweep", unit="clip"):
        if (seed, t) not in reference:
            reference[(seed, t)] = mean_measures("neutral", seed, texts[t])
        base = reference[(seed, t)]
        now = base if level == 0 else mean_measures(f"{emotion}:{level:g}", seed, texts[t])
        renders.append(Render(emotion, level, seed, t, {c: now[c] - base[c] for c in TALK_CUES}))
    return renders


# -- the report ------------------------------------------------------------------------------------------
def summarize(modality: str, renders: list[Render], emotions, intensities, ser: str | None = None) -> dict:
    """Monotonicity, separability and classifier accuracy of a sweep (JSON-ready); ``ser``: the
    speech-emotion classifier's name (speech sweeps)."""
    cues = list(CUES[modality])
    top = max(intensities)
    out = {"modality": modality, "emotions": list(emotions), "intensities": list(intensities), "cues": cues,
           "cue_units": {c: CUE_UNITS[c] for c in cues}, "level_means": {}, "level_std": {}, "monotonicity": {},
           "monotonicity_all_renders": {}}
    for e in emotions:
        mine = [r for r in renders if r.emotion == e]
        out["level_means"][e], out["level_std"][e] = {}, {}
        out["monotonicity"][e], out["monotonicity_all_renders"][e] = {}, {}
        for c in cues:
            by_level = [[r.cues[c] for r in mine if r.intensity == lv] for lv in intensities]
            means = [float(np.mean(v)) for v in by_level]
            out["level_means"][e][c] = means
            out["level_std"][e][c] = [float(np.std(v)) for v in by_level]
            out["monotonicity"][e][c] = spearman(intensities, means)
            out["monotonicity_all_renders"][e][c] = spearman([r.intensity for r in mine], [r.cues[c] for r in mine])
    # separability at the top intensity: cue vectors, seed = group
    at_top = [r for r in renders if r.intensity == top]
    accuracy, confusion, names = nearest_centroid_loso([[r.cues[c] for c in cues] for r in at_top],
                                                       [r.emotion for r in at_top], [r.seed for r in at_top])
    out["separability"] = {"intensity": top, "nearest_centroid_accuracy": accuracy, "chance": 1.0 / len(names),
                           "labels": names, "confusion": confusion.tolist(), "renders": len(at_top)}
    out["classifier"] = _classifier_accuracy(modality, at_top, ser)
    out["va"] = _va_points(modality, renders, emotions, intensities)
    return out


def _classifier_accuracy(modality: str, at_top: list[Render], ser: str | None) -> dict:
    """The medium's own emotion classifier on the top-intensity renders it has a class for."""
    if modality == "talk":
        return {"name": "no emotion classifier for faces", "labels": [], "confusion": [], "scored": 0,
                "accuracy": None, "skipped_emotions": sorted({r.emotion for r in at_top})}
    if modality == "tts":
        classes = list(at_top[0].probabilities) if at_top else []
        truth_of = {e: e for e in classes}
        name = f"{ser} (relative to the intensity-0 render)"
    else:
        classes = ["Q1", "Q2", "Q3", "Q4"]
        truth_of = {r.emotion: f"Q{emotion_quadrant(r.emotion)}" for r in at_top}
        name = "EMOPIA quadrant classifier (emotion -> quadrant by valence/arousal sign)"
    scored = [r for r in at_top if r.emotion in truth_of]
    confusion = np.zeros((len(classes), len(classes)), dtype=int)
    for r in scored:
        guess = max(r.probabilities, key=r.probabilities.get)
        confusion[classes.index(truth_of[r.emotion]), classes.index(guess)] += 1
    n = int(confusion.sum())
    return {"name": name, "labels": classes, "confusion": confusion.tolist(), "scored": n,
            "accuracy": float(np.trace(confusion) / n) if n else None,
            "skipped_emotions": sorted({r.emotion for r in at_top} - set(truth_of))}


def estimate_va(probabilities: dict[str, float]) -> tuple[float, float]:
    """(valence, arousal) on emogen's -1..+1 scale from classifier probabilities: SER emotions
    weighted by their category coordinates (emogen.emotion.space), quadrants by their signs."""
    v = a = 0.0
    for label, p in probabilities.items():
        if label.startswith("Q") and label[1:].isdigit():
            qv, qa = {"Q1": (1, 1), "Q2": (-1, 1), "Q3": (-1, -1), "Q4": (1, -1)}[label]
        else:
            qv, qa, _ = category(label).vad
        v, a = v + p * qv, a + p * qa
    return float(v), float(a)


def _va_points(modality, renders, emotions, intensities) -> list[dict]:
    """Requested (the spec's resolved VAD) and estimated (classifier) valence/arousal per emotion
    and intensity, estimates averaged over seeds and texts."""
    points = []
    for e in emotions:
        for lv in intensities:
            mine = [r for r in renders if r.emotion == e and r.intensity == lv and r.probabilities]
            if not mine:
                continue
            spec = parse_emotion(e, lv)
            rv, ra, _ = spec.resolve_vad() if isinstance(spec, EmotionSpec) else (0.0, 0.0, 0.0)
            est = np.mean([estimate_va(r.probabilities) for r in mine], axis=0)
            points.append({"emotion": e, "intensity": lv, "requested": [round(rv, 4), round(ra, 4)],
                           "estimated": [round(float(est[0]), 4), round(float(est[1]), 4)]})
    return points


def controllability(modality: str, emotions=None, intensities=None, seeds: int = 2, texts=None, bars: int = 4,
                    checkpoint: str | None = None, steps: int | None = None, ser: str | None = None) -> dict:
    """Sweep and summarise in one call (see the module docstring); returns the JSON-ready report
    with every render under ``renders``."""
    emotions, intensities = check_request(modality, emotions, intensities, seeds)
    if modality == "tts":
        texts = list(texts or DEFAULT_TEXTS)
        if not texts or not all(t.strip() for t in texts):
            raise EmogenError("--text must not be empty")
        from ..speech.pipeline import DEFAULT_STEPS
        from ..speech.voices import DEFAULT_VOICE

        steps = steps or DEFAULT_STEPS
        renders, ser = sweep_tts(emotions, intensities, seeds, texts, checkpoint, ser, steps=steps)
        settings = {"texts": texts, "steps": steps, "checkpoint": checkpoint or DEFAULT_VOICE, "ser": ser}
    elif modality == "music":
        if not isinstance(bars, int) or not 1 <= bars <= 64:
            raise EmogenError(f"--bars must be a whole number from 1 to 64, got {bars}")
        renders = sweep_music(emotions, intensities, seeds, bars, checkpoint or "music-emopia", steps=steps or 12)
        settings = {"bars": bars, "steps": steps or 12, "checkpoint": checkpoint or "music-emopia"}
    else:
        texts = list(texts or DEFAULT_TEXTS[:1])
        if not all(t.strip() for t in texts):
            raise EmogenError("--text must not be empty")
        renders = sweep_talk(emotions, intensities, seeds, texts, checkpoint or "face-motion", steps=steps or 10)
        settings = {"texts": texts, "steps": steps or 10, "checkpoint": checkpoint or "face-motion"}
    report = summarize(modality, renders, emotions, intensities, ser)
    report["settings"] = {"seeds": seeds, **settings}
    report["renders"] = [r.__dict__ for r in renders]
    return report
