"""The ``emogen`` command line. It only parses arguments and calls the library.

A mistake the user can fix (:class:`EmogenError`, or a bad option) becomes one ``error: ...`` line
on stderr and exit status 2. Anything else is a bug in emogen: it too is one ``error:`` line and
status 2, with the traceback shown by ``--debug`` or ``EMOGEN_DEBUG=1``. Ctrl-C exits with 130.

Start-up matters here (a bad value should be reported in well under a second): this module and the
parsers import no torch, and each command imports its library only when it runs. The CPU threads
are chosen before that (:mod:`emogen.cpu`).
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import traceback
import warnings
from pathlib import Path

from . import __version__
from .cpu import configure_threads
from .errors import EmogenError


def main(argv: list[str] | None = None) -> int:
    """Run one command; returns the exit status. ``--debug`` (anywhere) or ``EMOGEN_DEBUG=1``
    shows the traceback of an unexpected error instead of the one-line summary."""
    from .cli_args import prepare_argv

    configure_threads()  # before anything imports torch
    # A library warning (e.g. music audio without a SoundFont synthesizer) is one line, not a source excerpt.
    warnings.formatwarning = lambda message, *_, **__: f"warning: {message}\n"
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
    from .sources.cli import run_with_source, wants_source  # no heavy imports

    if wants_source(args):  # reading a file needs the recognisers, which sit above the media commands
        return run_with_source(args) or 0
    return args.run(args) or 0


def build_parser() -> argparse.ArgumentParser:
    from .cli_args import OneLineParser

    parser = OneLineParser(
        prog="emogen", description="Speech, talking heads and music with controllable emotion.")
    parser.add_argument("--version", action="version", version=f"emogen {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help="show the traceback of an unexpected error (also EMOGEN_DEBUG=1; accepted anywhere)")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    from .text.cli import add_emotions_parser; add_emotions_parser(commands)  # noqa: E702

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
    from .speech.cli import add_data_parser, add_tts_parser, add_voices_parser
    add_tts_parser(commands)
    add_voices_parser(commands)
    data_commands = add_data_parser(commands)
    from .face.cli import add_face_data_parser, add_talk_parser
    add_talk_parser(commands)
    add_face_data_parser(data_commands)
    from .ser.cli import add_ser_parser; add_ser_parser(commands)  # noqa: E702
    from .eval.cli import add_eval_parser
    add_eval_parser(commands)
    from .app import add_demo_parser; add_demo_parser(commands)  # noqa: E702
    from .scene.cli import add_scene_parser; add_scene_parser(commands)  # noqa: E702
    from .batch import add_batch_parser; add_batch_parser(commands)  # noqa: E702
    return parser


# ``emogen train NAME``: each name's TrainingTask ("module:class", imported only when chosen, so that
# ``emogen train toy2d`` does not import the speech or music stacks) and its line in ``--list``.
TASKS = {
    "toy2d": ("emogen.core.toy:Toy2DTask", "2-D points whose place depends on the emotion: a check of the core"),
    "ser": ("emogen.ser.task:SERTask", "speech-emotion classifier on RAVDESS, for judging generated speech"),
    "tts": ("emogen.speech.task:TTSTask", "emotional text-to-speech acoustic model on the built corpus (emogen.speech)"),
    "text-emotion": ("emogen.text.task:TextEmotionTask", "text -> emotion classifier on GoEmotions (emogen.text)"),
    "music": ("emogen.music.task:MusicTask", "emotion-conditioned piano music (EMOPIA + VGMIDI piano rolls)"),
    "face": ("emogen.face.task:FaceTask", "talking-head motion from audio and emotion (emogen.face)"),
}


def get_task(name: str):
    """A fresh TrainingTask for ``emogen train NAME``."""
    import importlib

    if name not in TASKS:
        raise EmogenError(f"unknown training task '{name}'; accepted: {', '.join(TASKS)}")
    module, _, cls = TASKS[name][0].partition(":")
    return getattr(importlib.import_module(module), cls)()


def run_train(args) -> int:
    from .core.config import load_config
    from .core.trainer import Trainer

    if args.list or not args.task:
        for name, (_, text) in TASKS.items():
            print(f"{name:14s} {text}")
        return 0
    task = get_task(args.task)
    config = load_config(task.config_class, find_config(args.config), args.overrides)
    command = shlex.join(["emogen", "train", args.task, *(["--config", args.config] if args.config else []),
                          *args.overrides])
    result = Trainer(task, config, command=command).run()
    if result.model_dir is not None:
        print(f"model written to {result.model_dir}")
    return 0


def find_config(path: str | None) -> Path | None:
    """``--config`` as given (relative to the working directory) where that file exists, else the
    recipe shipped inside the package: ``configs/tts/slt-emotion-stage1.yaml`` (or ``tts/slt-emotion-stage1.yaml``)
    -> ``emogen/configs/tts/slt-emotion-stage1.yaml``, so an installed package trains from any folder."""
    if path is None or Path(path).is_file():
        return None if path is None else Path(path)
    parts = Path(path).parts
    shipped = Path(__file__).resolve().parent / "configs" / Path(*parts[parts[0] == "configs":] or ".")
    return shipped if shipped.is_file() else Path(path)


if __name__ == "__main__":
    sys.exit(main())
