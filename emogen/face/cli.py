"""``emogen talk`` and ``emogen data build-face-corpus``: argument parsing and calls into
emogen.face. Heavy imports happen inside the ``run_*`` functions so ``emogen --help`` stays fast."""

from __future__ import annotations

from pathlib import Path

from .. import cli_args as A
from ..errors import EmogenError
from ..io import check_writable
from ..speech.cli import add_speech_sampling_options, add_voice_option, check_voice, data_root, speech_sampling_kwargs


def add_talk_parser(commands) -> None:
    p = commands.add_parser(
        "talk", help="make a portrait speak text or audio with an emotion (mp4)",
        description="Animate a portrait photo: with --text the speech is synthesised and its phone "
                    "timings drive the mouth; with --audio the motion comes from the audio alone. "
                    "Writes H.264 + AAC mp4, 25 fps, 512 x 512.")
    p.add_argument("--image", help="portrait photo (JPEG, PNG, ...); default: the built-in portrait")
    p.add_argument("--text", help="what the portrait says (synthesised with `emogen tts`)")
    p.add_argument("--text-file", help="read the text from this UTF-8 file")
    p.add_argument("--audio", help="speech to lip-sync (WAV, FLAC, OGG, MP3)")
    p.add_argument("--emotion", default="neutral",
                   help="an emotion spec (see `emogen emotions`), e.g. sad, 'neutral>happy', auto (with --text)")
    p.add_argument("--intensity", type=A.INTENSITY, help="intensity in [0, 1]")
    A.add_emotion_from_option(p)
    p.add_argument("-o", "--output", required=True, help="output video (.mp4)")
    add_voice_option(p)
    p.add_argument("--checkpoint", default="face-motion", help="a face-motion checkpoint directory or shipped name")
    add_speech_sampling_options(p)
    p.add_argument("--max-seconds", type=A.number(1, 3600), default=120.0,
                   help="longest speech accepted, 1-3600 s (default 120 s)")
    A.add_progress_option(p)
    p.set_defaults(run=run_talk)


def add_face_data_parser(data_commands) -> None:
    corpus = data_commands.add_parser("build-face-corpus", help="the talking-head motion corpus (TTS + RAVDESS)")
    corpus.add_argument("--out", default="data/face-corpus")
    corpus.add_argument("--data", default=None, help="the shared data folder (default $EMOGEN_DATA or ../shared/data)")
    corpus.add_argument("--sentences", type=A.number(1, 10**6, integer=True), default=2400,
                        help="sentences spoken by the TTS voice")
    corpus.add_argument("--no-ravdess", action="store_true", help="leave out the RAVDESS recordings")
    corpus.add_argument("--seed", type=A.SEED, default=0)
    corpus.set_defaults(run=run_build_face_corpus)


def run_talk(args) -> int:
    from ..emotion import parse_emotion
    from ..speech.text import check_speech_length
    from ..text.auto import parse_auto

    if args.text is not None and args.text_file:
        raise EmogenError("give the text once: with --text or --text-file, not both")
    text = args.text
    if args.text_file:
        try:
            text = Path(args.text_file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise EmogenError(f"cannot read text file '{args.text_file}': {e}") from None
    if (text is None) == (args.audio is None):
        raise EmogenError("give the speech with --text (or --text-file) or with --audio, exactly one")
    if not args.output.lower().endswith(".mp4"):
        raise EmogenError(f"output '{args.output}' must be an .mp4 file")
    if parse_auto(args.emotion) is None:  # fail on a bad spec before loading anything
        parse_emotion(args.emotion, args.intensity)
    elif args.intensity is not None:
        raise EmogenError("with --emotion auto, scale the inferred intensity as auto:SCALE, not --intensity")
    check_writable(args.output)
    if args.image is not None:  # an unreadable or huge photo fails before the models load
        from .analysis import load_image

        load_image(args.image)
    from .pipeline import TalkPipeline, load_speech  # torch: only once the arguments are known to be good

    if args.audio is not None:
        load_speech(args.audio, None, args.max_seconds)
    if text is not None:  # an over-long text fails now, not after minutes of synthesis
        check_speech_length(text, args.speed, args.max_seconds)
    check_voice(args.voice)
    talk = TalkPipeline.shared(args.checkpoint)
    progress = A.show_progress(args)
    clip = talk(image=args.image, text=text, audio=args.audio, emotion=args.emotion, intensity=args.intensity,
                max_seconds=args.max_seconds, progress=progress, voice=args.voice, **speech_sampling_kwargs(args))
    clip.save(args.output, progress=progress)
    print(args.output)
    return 0


def run_build_face_corpus(args) -> int:
    from .data import build_face_corpus

    info = build_face_corpus(Path(args.out), data_root(args.data), args.sentences, not args.no_ravdess, args.seed)
    print(f"{info['clips']} clips, {info['hours']} h -> {Path(args.out) / 'corpus.npz'}")
    return 0
