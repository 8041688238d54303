"""The ``emogen`` command line. It only parses arguments and calls the library.

A mistake the user can fix (:class:`EmogenError`) becomes one ``error: ...`` line on stderr and
exit status 2; anything else is a bug and keeps its traceback.

Start-up matters here (a bad value should be reported in well under a second): this module and the
parsers import no torch, and each command imports its library only when it runs. The CPU threads
are chosen before that (:mod:`emogen.cpu`).
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

from . import __version__
from .cpu import configure_threads
from .errors import EmogenError


def main(argv: list[str] | None = None) -> int:
    configure_threads()  # before anything imports torch
    # A library warning (e.g. music audio without a SoundFont synthesizer) is one line, not a source excerpt.
    warnings.formatwarning = lambda message, *_, **__: f"warning: {message}\n"
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
    try:
        return args.run(args) or 0
    except EmogenError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and closed early
        sys.stderr.close()
        return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="emogen", description="Speech, talking heads and music with controllable emotion.")
    parser.add_argument("--version", action="version", version=f"emogen {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    emotions = commands.add_parser(
        "emotions", help="list the emotion categories, or show how a spec resolves",
        description="Without SPEC: the categories and their valence/arousal/dominance (-1..+1). "
                    "With SPEC: how it resolves (e.g. 'sad:0.7', 'happy:0.6+surprised:0.4', "
                    "'v=0.6,a=-0.2,d=0.1', '-happy', 'wistful', 'neutral>sad', 'happy@0,sad@3.5').")
    emotions.add_argument("spec", nargs="?", help="an emotion spec")
    emotions.add_argument("--intensity", type=float, help="intensity in [0, 1] (0 = neutral)")
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
    train.add_argument("--config", help="YAML file (a path, or a recipe shipped under configs/)")
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

        scale = 1.0 if args.spec is None else parse_auto(args.spec)
        if scale is None or args.intensity is not None:
            raise EmogenError("with --from-text the only SPEC accepted is auto or auto:SCALE (SCALE in [0, 1]), "
                              "and --intensity is not used")
        from .text.report import classify_lines, empty_line_note, format_table, read_lines  # torch
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
    config = load_config(task.config_class, find_config(args.config), args.overrides)
    result = Trainer(task, config).run()
    if result.model_dir is not None:
        print(f"model written to {result.model_dir}")
    return 0


def find_config(path: str | None) -> Path | None:
    """``--config`` as given (relative to the working directory) where that file exists, else the
    recipe shipped inside the package: ``configs/tts/slt-emotion.yaml`` (or ``tts/slt-emotion.yaml``)
    -> ``emogen/configs/tts/slt-emotion.yaml``, so an installed package trains from any folder."""
    if path is None or Path(path).is_file():
        return None if path is None else Path(path)
    parts = Path(path).parts
    shipped = Path(__file__).resolve().parent / "configs" / Path(*parts[parts[0] == "configs":] or ".")
    return shipped if shipped.is_file() else Path(path)


if __name__ == "__main__":
    sys.exit(main())
