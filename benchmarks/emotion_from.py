"""Emotion from a file (``--emotion-from``): speech takes carried into TTS, and smiling photos.

    EMOGEN_DATA=../shared/data python benchmarks/emotion_from.py [--actors 17-20] [--london] [--write]

Speech (floor >= 0.6): every happy, sad, angry and fearful RAVDESS take of ``--actors`` (both
intensities, both sentences, first repetition) is read by ``emogen.sources`` with the same
actor's two neutral takes of the same sentence as reference (``--emotion-reference N1 N2``); the
TTS voice then speaks the controllability texts with the emotion read (as ``tts --emotion-from``
does), and the speech-emotion classifier judges each rendering against the voice's neutral
rendering of the same text. A case counts when the judged emotion is the take's. Also reported:
how often the reading itself names the take's emotion, with the reference and with the shipped
average neutral voice instead. Note: the shipped classifier was trained on all 20 actors, so no
actor is unseen by it; the default actors 17-20 are the last cross-validation fold.

Faces (floor >= 0.7 of the photos the real-face classifier reads as happy): the London set's
smiling photos of the people the face norms never saw (the second half by id) are read; a photo
counts when happy has the largest probability. Also
reported: the share of those people's neutral photos read as happy (should be near 0) and as
anything but neutral, and the floor's own measure: the share among the smiling photos that the
real-face classifier (``emogen.face.expression``) itself reads as happy.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

EMOTIONS = ("happy", "sad", "angry", "fearful")


def speech(root: Path, actors: range, steps: int) -> tuple[str, dict]:
    from emogen.eval.controllability import DEFAULT_TEXTS
    from emogen.sources import read_emotion
    from emogen.sources.speech import recogniser
    from emogen.speech import TTSPipeline

    rows = list(csv.DictReader((root / "manifest.csv").open()))
    neutral: dict[tuple, list[Path]] = {}  # both neutral takes: the classifier learned against their mean
    for r in rows:
        if r["emotion"] == "neutral":
            neutral.setdefault((r["actor"], r["statement_id"]), []).append(root / r["path"])
    takes = [r for r in rows if r["emotion"] in EMOTIONS and int(r["actor"]) in actors and r["repetition"] == "1"]
    tts, ser = TTSPipeline.from_pretrained(), recogniser()
    references = {}
    for t, text in enumerate(DEFAULT_TEXTS):
        audio, sr = tts(text, "neutral", seed=t, steps=steps)
        references[t] = ser.reference(audio, sr)
    cases, read_ok, generic_ok, spoken_ok = 0, 0, 0, 0
    per_emotion = {e: [0, 0] for e in EMOTIONS}
    for r in takes:
        reading = read_emotion(root / r["path"], neutral[(r["actor"], r["statement_id"])])
        read_ok += reading.category == r["emotion"]
        generic_ok += read_emotion(root / r["path"]).category == r["emotion"]
        for t, text in enumerate(DEFAULT_TEXTS):
            audio, sr = tts(text, reading.emotion, seed=t, steps=steps)
            probs = ser(audio, sr, references[t])
            hit = max(probs, key=probs.get) == r["emotion"]
            spoken_ok += hit
            cases += 1
            per_emotion[r["emotion"]][0] += hit
            per_emotion[r["emotion"]][1] += 1
        print(f"{r['path']}: read {reading.emotion} -> spoken as source {per_emotion[r['emotion']]}", flush=True)
    n = len(takes)
    data = {"takes": n, "cases": cases, "spoken_as_source": spoken_ok / cases, "read_with_reference": read_ok / n,
            "read_with_generic_reference": generic_ok / n,
            "per_emotion": {e: a / max(b, 1) for e, (a, b) in per_emotion.items()}}
    table = "\n".join([
        "| measure | value | floor |", "|---|---|---|",
        f"| takes read then spoken by `tts --emotion-from`, judged as the take's emotion ({cases} renderings) | "
        f"{data['spoken_as_source']:.3f} | >= 0.6 |",
        *[f"| &nbsp; {e} | {v:.2f} | |" for e, v in data["per_emotion"].items()],
        f"| reading names the take's emotion, actor's neutral takes as reference ({n} takes) | "
        f"{data['read_with_reference']:.3f} | |",
        f"| the same with the shipped average neutral voice | {data['read_with_generic_reference']:.3f} | |"])
    return table, data


def faces(root: Path) -> tuple[str, dict]:
    from emogen.face.analysis import load_image
    from emogen.face.expression import ExpressionClassifier
    from emogen.face.landmarks import FaceMeshDetector
    from emogen.sources.face import london_ids, read_face_emotion

    folder = root / "faces" / "london"
    people = london_ids(root)[len(london_ids(root)) // 2:]
    smiling, neutral_happy, neutral_moved, judged = [], [], [], []
    with FaceMeshDetector(max_faces=1) as detector:
        for person in people:
            image = load_image(folder / f"{person}_smiling.jpg")
            probs = read_face_emotion(image)
            happy = probs is not None and max(probs, key=probs.get) == "happy"
            smiling.append(happy)
            faces = detector.detect(image)
            if faces:
                real = ExpressionClassifier.shared()(image, faces[0])
                if max(real, key=real.get) == "happy":
                    judged.append(happy)
            probs = read_face_emotion(folder / f"{person}_neutral.jpg")
            top = max(probs, key=probs.get) if probs is not None else None
            neutral_happy.append(top == "happy")
            neutral_moved.append(top != "neutral")
    data = {"people": len(people), "smiling_read_happy": float(np.mean(smiling)),
            "neutral_read_happy": float(np.mean(neutral_happy)),
            "neutral_read_not_neutral": float(np.mean(neutral_moved)),
            "smiling_read_happy_among_classifier_happy": float(np.mean(judged)) if judged else None,
            "classifier_happy_photos": len(judged)}
    table = "\n".join([
        "| measure | value | floor |", "|---|---|---|",
        f"| smiling photos the real-face classifier reads as happy ({len(judged)} of {len(people)}), "
        f"read happy-dominant | {data['smiling_read_happy_among_classifier_happy']:.3f} | >= 0.7 |",
        f"| all smiling photos read happy-dominant ({len(people)} people the norms never saw) | "
        f"{data['smiling_read_happy']:.3f} | |",
        f"| neutral photos of the same people read happy | {data['neutral_read_happy']:.3f} | |",
        f"| neutral photos of the same people read as anything but neutral | "
        f"{data['neutral_read_not_neutral']:.3f} | |"])
    return table, data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--actors", default="17-20", help="RAVDESS actors, FIRST-LAST")
    parser.add_argument("--steps", type=int, default=10, help="TTS sampling steps")
    parser.add_argument("--no-speech", action="store_true")
    parser.add_argument("--no-faces", action="store_true")
    parser.add_argument("--write", action="store_true", help="write results/emotion_from.md and the docs block")
    args = parser.parse_args()
    from emogen.io import shared_data_root

    root = shared_data_root()
    first, last = (int(x) for x in args.actors.split("-"))
    tables, data = [], {}
    if not args.no_faces:
        table, data["faces"] = faces(root)
        tables.append(table)
        print(table, flush=True)
    if not args.no_speech:
        table, data["speech"] = speech(root / "speech" / "ravdess", range(first, last + 1), args.steps)
        tables.append(table)
        print(table, flush=True)
    if args.write:
        from common import write_results

        write_results("emotion_from", "Emotion from a file (--emotion-from)", "\n\n".join(tables), data,
                      notes=f"RAVDESS actors {args.actors}; TTS steps {args.steps}; "
                            "`python benchmarks/emotion_from.py --write` reproduces this.")


if __name__ == "__main__":
    main()
