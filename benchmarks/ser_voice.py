"""The speech-emotion classifier on one voice: the SER part of ``benchmarks/tts.py`` alone.

    python benchmarks/ser_voice.py [--voice joe] [--sentences 50] [--ser ser-ravdess] [--cues]

Each Harvard sentence of ``benchmarks/tts.py`` is spoken neutrally and as happy / sad / angry /
fearful at intensity 1; the classifier judges each emotional rendering against the voice's neutral
rendering of the same sentence, as ``tts.py`` does (floor: >= 0.75 per emotion). ``--cues`` also
prints the mean cue changes relative to neutral (``emogen.speech.cues.measure``: F0 median and
5-95 % range, loudness, rate), the listener-side check of what the judge reads. Prints JSON; writes
nothing (``tts.py`` writes the published results).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tts import CUES, HARVARD, JUDGED, tally  # noqa: E402

from emogen.speech.cues import measure, relative_cues  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--voice", default=None, help="a name from `emogen voices` (default: the default voice)")
    parser.add_argument("--ser", default="ser-ravdess")
    parser.add_argument("--sentences", type=int, default=50)
    parser.add_argument("--steps", type=int, default=None, help="ODE steps (default: the pipeline's)")
    parser.add_argument("--cues", action="store_true", help="also the mean cue changes relative to neutral")
    args = parser.parse_args()
    from emogen.ser.pipeline import SERPipeline
    from emogen.speech import TTSPipeline
    from emogen.speech.pipeline import DEFAULT_STEPS

    tts = TTSPipeline.from_pretrained(args.voice)  # None: the default voice
    ser = SERPipeline.from_pretrained(args.ser)
    steps = args.steps or DEFAULT_STEPS
    confusion = {e: {k: 0 for k in ser.emotions} for e in JUDGED}
    cues = {e: [] for e in JUDGED}
    sentences = HARVARD[: args.sentences]
    for s in sentences:
        neutral, sr = tts(s, "neutral", steps=steps)
        reference = ser.reference(neutral, sr)
        neutral_cues = measure(neutral, sr) if args.cues else None
        for e in JUDGED:
            audio, sr = tts(s, f"{e}:1", steps=steps)
            tally(ser, confusion, e, audio, sr, reference)
            if args.cues:
                cues[e].append(relative_cues(measure(audio, sr), neutral_cues))
    out = {"voice": args.voice or "default", "sentences": len(sentences), "steps": steps,
           "ser_per_emotion": {e: confusion[e][e] / len(sentences) for e in JUDGED}, "confusion": confusion}
    if args.cues:
        out["cue_changes"] = {e: {c: round(float(np.mean([r[c] for r in rows])), 2) for c in CUES}
                              for e, rows in cues.items()}
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
