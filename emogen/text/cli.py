"""``emogen emotions``: the emotion categories, how a spec resolves, and the emotion of text
(``--from-text`` / ``--from-text-file``, with the text-emotion model of this package)."""

from __future__ import annotations

import json
import sys

from ..cli_args import INTENSITY
from ..errors import EmogenError


def add_emotions_parser(commands) -> None:
    emotions = commands.add_parser(
        "emotions", help="list the emotion categories, or show how a spec resolves",
        description="Without SPEC: the categories and their valence/arousal/dominance (-1..+1). "
                    "With SPEC: how it resolves (e.g. 'sad:0.7', 'happy:0.6+surprised:0.4', "
                    "'v=0.6,a=-0.2,d=0.1', '-happy', 'wistful', 'neutral>sad', 'happy@0,sad@3.5').")
    emotions.add_argument("spec", nargs="?", help="an emotion spec")
    emotions.add_argument("--intensity", type=INTENSITY, help="intensity in [0, 1] (0 = neutral)")
    emotions.add_argument("--json", action="store_true", help="print JSON instead of a table")
    emotions.add_argument("--from-text", metavar="TEXT",
                          help="infer the emotion of TEXT (one result per line); SPEC may then be auto:SCALE")
    emotions.add_argument("--from-text-file", metavar="FILE",
                          help="infer the emotion of each line of a UTF-8 text file (empty lines stay neutral)")
    emotions.add_argument("--model", metavar="PATH",
                          help="text-emotion model for --from-text: a checkpoint name or directory, or a local "
                               "Hugging Face text-classification directory (default: text-emotion-goemotions)")
    emotions.add_argument("--from", dest="from_file", metavar="FILE",
                          help="the emotion a file gives --emotion-from (speech, face photo, video, MIDI, text), "
                               "with confidence")
    emotions.add_argument("--emotion-reference", metavar="FILE", nargs="+",
                          help="with --from speech or video: neutral recordings of the same speaker (averaged)")
    emotions.set_defaults(run=run_emotions)


def run_emotions(args) -> int:
    from ..emotion import CATEGORIES, parse_emotion
    from ..emotion.preview import category_table, describe_text

    if args.from_text is not None or args.from_text_file is not None:
        from .auto import parse_auto

        scale = 1.0 if args.spec is None else parse_auto(args.spec)
        if scale is None or args.intensity is not None:
            raise EmogenError("with --from-text the only SPEC accepted is auto or auto:SCALE (SCALE in [0, 1]), "
                              "and --intensity is not used")
        from .report import classify_lines, empty_line_note, format_table, read_lines  # torch: after the checks
        rows = classify_lines(read_lines(args.from_text, args.from_text_file), args.model, scale)
        print(json.dumps(rows, indent=2, ensure_ascii=False) if args.json else format_table(rows))
        if empty_line_note(rows):
            print(empty_line_note(rows), file=sys.stderr)
        return 0
    if args.model is not None:
        raise EmogenError("--model is used only with --from-text or --from-text-file")
    if args.spec is None:
        if args.intensity is not None:
            raise EmogenError("--intensity needs a SPEC")
        if args.json:
            print(json.dumps([{"emotion": c.name, "valence": c.vad[0], "arousal": c.vad[1], "dominance": c.vad[2],
                               "synonyms": list(c.synonyms)} for c in CATEGORIES], indent=2))
        else:
            print(category_table())
        return 0
    emotion = parse_emotion(args.spec, args.intensity)
    if args.json:
        print(json.dumps({"spec": str(emotion), **emotion.describe()}, indent=2))
    else:
        print(describe_text(emotion))
    return 0
