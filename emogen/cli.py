"""The ``emogen`` command line. It only parses arguments and calls the library.

A mistake the user can fix (:class:`EmogenError`, or a bad option) becomes one ``error: ...`` line
on stderr and exit status 2. Anything else is a bug in emogen: it too is one ``error:`` line and
status 2, with the traceback shown by ``--debug`` or ``EMOGEN_DEBUG=1``. Ctrl-C exits with 130.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback

from . import __version__
from .cli_args import INTENSITY
from .errors import EmogenError


def main(argv: list[str] | None = None) -> int:
    """Run one command; returns the exit status. ``--debug`` (anywhere) or ``EMOGEN_DEBUG=1``
    shows the traceback of an unexpected error instead of the one-line summary."""
    from .cli_args import prepare_argv

    argv = list(sys.argv[1:] if argv is None else argv)
    cut = argv.index("--") if "--" in argv else len(argv)
    debug = "--debug" in argv[:cut] or os.environ.get("EMOGEN_DEBUG", "") not in ("", "0")
    argv = [a for a in argv[:cut] if a != "--debug"] + argv[cut:]
    try:
        return _run(prepare_argv(argv))
    except SystemExit as e:  # argparse: --help, --version, or a usage error it has printed
        return e.code if isinstance(e.code, int) else (0 if e.code is None else 2)
    except EmogenError as e:
        print(f"error: {_one_line(e)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # every writer has removed its temporary files on the way out
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and closed early
        sys.stderr.close()
        return 0
    except Exception as e:  # noqa: BLE001 - a bug in emogen: one line, the traceback on request
        if debug:
            traceback.print_exc()
        else:
            print(f"error: unexpected {type(e).__name__}: {_one_line(e)} (a bug in emogen; run again with --debug "
                  "or EMOGEN_DEBUG=1 for the traceback)", file=sys.stderr)
        return 2


def _one_line(e: BaseException) -> str:
    return " ".join(str(e).split()) or type(e).__name__


def _run(argv: list[str]) -> int:
    parser = build_parser()
    # KEY=VALUE overrides may follow options (``train toy2d --config f.yaml train.max_steps=5``),
    # which argparse alone does not gather into one positional list.
    args, extra = parser.parse_known_args(argv)
    if extra:
        if getattr(args, "run", None) is not run_train or any("=" not in x or x.startswith("-") for x in extra):
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
        args.overrides = [*args.overrides, *extra]
    if not getattr(args, "run", None):
        parser.print_help()
        return 0
    return args.run(args) or 0


def build_parser() -> argparse.ArgumentParser:
    from .cli_args import OneLineParser

    parser = OneLineParser(
        prog="emogen", description="Speech, talking heads and music with controllable emotion.")
    parser.add_argument("--version", action="version", version=f"emogen {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help="show the traceback of an unexpected error (also EMOGEN_DEBUG=1; accepted anywhere)")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

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
    emotions.set_defaults(run=run_emotions)

    train = commands.add_parser(
        "train", help="train a model from a YAML config",
        description="Train TASK with the settings in --config; KEY=VALUE pairs override them "
                    "(e.g. train.max_steps=2000 train.mixed_precision=no). Several GPUs: "
                    "accelerate launch -m emogen train TASK --config FILE.")
    train.add_argument("task", nargs="?", help="what to train (--list shows the choices)")
    train.add_argument("--config", help="YAML file under configs/")
    train.add_argument("overrides", nargs="*", metavar="KEY=VALUE")
    train.add_argument("--list", action="store_true", help="list the training tasks")
    train.set_defaults(run=run_train)
    from .music.cli import add_music_parser; add_music_parser(commands)  # noqa: E702
    from .speech.cli import add_data_parser, add_tts_parser
    add_tts_parser(commands)
    data_commands = add_data_parser(commands)
    from .face.cli import add_face_data_parser, add_talk_parser
    add_talk_parser(commands)
    add_face_data_parser(data_commands)
    from .eval.cli import add_eval_parser
    add_eval_parser(commands)
    from .app import add_demo_parser; add_demo_parser(commands)  # noqa: E702
    from .scene.cli import add_scene_parser; add_scene_parser(commands)  # noqa: E702
    from .batch import add_batch_parser; add_batch_parser(commands)  # noqa: E702
    return parser


def run_emotions(args) -> int:
    from .emotion import CATEGORIES, parse_emotion
    from .emotion.preview import category_table, describe_text

    if args.from_text is not None or args.from_text_file is not None:
        from .text.auto import parse_auto
        from .text.report import classify_lines, empty_line_note, format_table, read_lines

        scale = 1.0 if args.spec is None else parse_auto(args.spec)
        if scale is None or args.intensity is not None:
            raise EmogenError("with --from-text the only SPEC accepted is auto or auto:SCALE (SCALE in [0, 1]), "
                              "and --intensity is not used")
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


def run_train(args) -> int:
    from .core.config import load_config
    from .core.tasks import TASKS, get_task
    from .core.trainer import Trainer

    if args.list or not args.task:
        for name, (_, text) in TASKS.items():
            print(f"{name:14s} {text}")
        return 0
    task = get_task(args.task)
    config = load_config(task.config_class, args.config, args.overrides)
    result = Trainer(task, config).run()
    if result.model_dir is not None:
        print(f"model written to {result.model_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
