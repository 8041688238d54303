"""Argument-parsing glue shared by every ``emogen`` command: numeric option types that refuse
NaN, infinities and out-of-range values at parse time (before any model loads), a parser whose
errors are one ``error:`` line, the ``--emotion -happy`` form, and the ``--progress`` switch."""

from __future__ import annotations

import argparse
import re
import sys

from . import checks
from .errors import EmogenError


class OneLineParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose mistakes are one ``error: ...`` line (exit status 2), like
    every other user error of emogen, instead of a usage block."""

    def error(self, message: str):
        self.exit(2, f"error: {message} (see '{self.prog} --help')\n")


def number(low: float, high: float, integer: bool = False):
    """An argparse ``type=``: the text as a finite number in ``[low, high]`` (an int when ``integer``)."""

    def parse(text: str):
        try:
            value = int(text) if integer else float(text)
        except ValueError:
            value = text.strip()
        try:
            return checks.check_number(value, "", low, high, integer)
        except EmogenError as e:
            raise argparse.ArgumentTypeError(str(e).strip()) from None

    parse.__name__ = "whole number" if integer else "number"  # what argparse calls the type
    return parse


STEPS = number(*checks.STEPS, integer=True)
GUIDANCE = number(*checks.GUIDANCE)
NEGATIVE_SCALE = number(*checks.NEGATIVE_SCALE)
SPEED = number(*checks.SPEED)
SEED = number(*checks.SEED, integer=True)
INTENSITY = number(*checks.INTENSITY)
SAMPLE_RATE = number(8000, 192000, integer=True)

# '-happy' (the opposite of happy) is a spec, yet argparse takes it for an option
_DASH_SPEC = re.compile(r"^-[A-Za-z][\w:.,+=>@-]+$")
_SPEC_OPTIONS = ("--emotion", "--negative")
_EMOTIONS_VALUE_OPTIONS = ("--intensity", "--from-text", "--from-text-file", "--model")


def prepare_argv(argv: list[str]) -> list[str]:
    """Let a spec start with '-': ``--emotion -happy`` becomes ``--emotion=-happy``, and
    ``emotions -happy`` passes the spec after ``--`` (a single short option such as ``-o`` is
    never taken for a spec)."""
    out: list[str] = []
    rest = list(argv)
    while rest:
        token = rest.pop(0)
        if token == "--":
            out += [token, *rest]
            break
        if token in _SPEC_OPTIONS and rest and _DASH_SPEC.match(rest[0]):
            out.append(f"{token}={rest.pop(0)}")
        else:
            out.append(token)
    if out[:1] == ["emotions"] and "--" not in out:
        specs = [i for i in range(1, len(out))
                 if _DASH_SPEC.match(out[i]) and out[i - 1] not in _EMOTIONS_VALUE_OPTIONS]
        if specs:
            out = [t for i, t in enumerate(out) if i not in specs] + ["--", *(out[i] for i in specs)]
    return out


def add_emotion_from_option(parser) -> None:
    """``--emotion-from FILE`` (and its ``--emotion-reference``): take the emotion from a file
    instead of ``--emotion``. ``emogen.cli`` reads the file (``emogen.sources``) before the command runs."""
    parser.add_argument("--emotion-from", metavar="FILE",
                        help="take the emotion from a file: speech audio (.wav .flac .ogg .mp3), a face photo (.jpg "
                             ".png), a video (.mp4 .mov .webm .mkv), MIDI (.mid) or text (.txt); see `emogen emotions "
                             "--from FILE`")
    parser.add_argument("--emotion-reference", metavar="FILE", nargs="+",
                        help="with --emotion-from speech or video: neutral recordings of the same speaker, one or "
                             "more (averaged; otherwise the built-in average neutral voice is the reference)")


def add_progress_option(parser) -> None:
    parser.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                        help="progress bars on stderr (default: only when stderr is a terminal)")


def show_progress(args) -> bool:
    """Whether to draw progress bars: ``--progress`` / ``--no-progress``, else when stderr is a terminal."""
    flag = getattr(args, "progress", None)
    return sys.stderr.isatty() if flag is None else bool(flag)
