"""``emogen scene``: speech + talking head + music bed for one script, in one mp4."""

from __future__ import annotations

import sys

from .. import cli_args as A
from ..speech.cli import add_voice_option, check_voice
from ..checks import BARS
from ..errors import EmogenError
from ..io import check_writable


def add_scene_parser(commands) -> None:
    p = commands.add_parser(
        "scene", help="speech, a talking head and a music bed with one emotion, in one mp4",
        description="One emotion spec (or trajectory, or auto) drives the voice, the face and the music; "
                    "the music is ducked under the voice and faded in and out.")
    p.add_argument("text", nargs="?", help="the script (or use --text)")
    p.add_argument("--text", dest="text_option", metavar="TEXT", help="the script")
    p.add_argument("--emotion", default="neutral", help="an emotion spec, a trajectory, or auto[:SCALE]")
    p.add_argument("--intensity", type=A.INTENSITY, help="intensity in [0, 1]")
    A.add_emotion_from_option(p)
    p.add_argument("--image", help="a face photo (default: the built-in portrait)")
    p.add_argument("--no-music", action="store_true", help="speech and face only")
    p.add_argument("--music-volume", type=A.number(0, 4), default=0.25,
                   help="music level re the voice, linear, before ducking, 0-4 (default 0.25)")
    p.add_argument("--bars", type=A.number(*BARS, integer=True),
                   help="music length in bars (default: covers the speech)")
    p.add_argument("--steps", type=A.STEPS, default=10, help="speech sampling steps, 1-200 (default 10)")
    p.add_argument("--guidance", type=A.GUIDANCE, default=1.0, help="emotion guidance scale, 0-10 (1 = none)")
    p.add_argument("--speed", type=A.SPEED, default=1.0, help="speaking-rate factor (0.25-4)")
    p.add_argument("--seed", type=A.SEED, default=0, help="random seed, 0 to 2^32-1")
    add_voice_option(p)
    A.add_progress_option(p)
    p.add_argument("-o", "--output", required=True, help="the mp4 to write")
    p.set_defaults(run=run_scene)


def run_scene(args) -> int:
    from ..emotion import parse_emotion
    from ..face.pipeline import MAX_SECONDS
    from ..speech.text import check_speech_length
    from ..text.auto import parse_auto
    from .pipeline import ScenePipeline

    if args.text and args.text_option:
        raise EmogenError("give the script once: as TEXT or with --text")
    text = args.text_option or args.text
    if not text or not text.strip():
        raise EmogenError("no script given; use --text \"...\"")
    if not str(args.output).lower().endswith(".mp4"):
        raise EmogenError(f"output '{args.output}' must be an .mp4 file")
    check_writable(args.output)
    if parse_auto(args.emotion) is None:  # a bad spec fails before any model loads
        parse_emotion(args.emotion, args.intensity)
    check_speech_length(text, args.speed, MAX_SECONDS)
    check_voice(args.voice)
    scene = ScenePipeline.from_pretrained()
    progress = A.show_progress(args)
    result = scene(text, args.emotion, args.intensity, image=args.image, music=not args.no_music,
                   music_volume=args.music_volume, bars=args.bars, seed=args.seed, steps=args.steps,
                   guidance_scale=args.guidance, speed=args.speed, progress=progress, voice=args.voice)
    result.save(args.output, progress=progress)
    print(f"wrote {args.output} ({len(result.audio) / result.sample_rate:.2f} s, emotion {result.emotion})",
          file=sys.stdout)
    return 0
