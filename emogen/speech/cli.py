"""``emogen tts`` and ``emogen data`` (corpus building): argument parsing and calls into the
speech package. Heavy imports happen inside the ``run_*`` functions so ``emogen --help`` is fast."""

from __future__ import annotations

import sys
from pathlib import Path

from .. import cli_args as A
from ..errors import EmogenError
from ..io import check_writable, ensure_dir, shared_data_root, write_text_atomic
from .result import AUDIO_FORMATS, audio_format


def add_tts_parser(commands) -> None:
    p = commands.add_parser(
        "tts", help="speak text with an emotion",
        description="Synthesize speech. TEXT, --text-file or stdin; inline tags like "
                    "'[happy] We won! [sad:0.8] But it broke.' set the emotion per phrase.")
    p.add_argument("text", nargs="?", help="the text (or use --text-file, or pipe it on stdin)")
    p.add_argument("--text-file", help="read the text from this file; with --out-dir, one output per line")
    p.add_argument("--emotion", default="neutral", help="an emotion spec (see `emogen emotions`)")
    p.add_argument("--intensity", type=A.INTENSITY, help="intensity in [0, 1]")
    A.add_emotion_from_option(p)
    p.add_argument("-o", "--output", help="output audio file (.wav, .flac or .ogg)")
    p.add_argument("--out-dir", help="batch mode: one file per line of --text-file, 0000.wav, 0001.wav, ...")
    add_voice_option(p)
    p.add_argument("--checkpoint", help="an acoustic checkpoint directory or shipped name, spoken through the "
                                         "WORLD vocoder (instead of --voice)")
    add_speech_sampling_options(p)
    p.add_argument("--text-guidance", type=A.GUIDANCE,
                   help="classifier-free guidance on the text, 1 = none (default: the checkpoint's, 2 for the shipped voice)")
    p.add_argument("--sample-rate", type=A.number(8000, 96000, integer=True),
                   help="resample the output to this rate, 8000-96000 Hz")
    p.add_argument("--format", choices=sorted(AUDIO_FORMATS), help="audio format (default: from the file name)")
    A.add_progress_option(p)
    p.set_defaults(run=run_tts)


def add_voice_option(p) -> None:
    """``--voice NAME`` for everything that speaks (``tts``, ``talk``, ``scene``)."""
    p.add_argument("--voice", help="the voice (see `emogen voices`; default: joe)")


def check_voice(name: str | None) -> str | None:
    """``name`` if it is a registered voice (None: the default), else an EmogenError listing them."""
    from .voices import get_voice

    if name is not None:
        get_voice(name)
    return name


def add_voices_parser(commands) -> None:
    p = commands.add_parser("voices", help="list the voices", description="The voices `--voice` takes.")
    p.add_argument("--json", action="store_true", help="a JSON list of objects (name, sex, sample_rate, ...)")
    p.set_defaults(run=run_voices)


def run_voices(args) -> int:
    import json

    from .voices import DEFAULT_VOICE, VOICES

    if args.json:
        print(json.dumps([{**v.as_dict(), "default": v.name == DEFAULT_VOICE, "installed": not v.missing()}
                          for v in VOICES.values()], indent=1))
        return 0
    rows = [("name", "sex", "sample rate", "data licence", "")]
    rows += [(v.name + (" (default)" if v.name == DEFAULT_VOICE else "") + (" (not installed)" if v.missing() else ""),
              v.sex, f"{v.sample_rate} Hz", v.data_licence, v.description) for v in VOICES.values()]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for r in rows:
        print(("  ".join(c.ljust(w) for c, w in zip(r[:4], widths)) + "  " + r[4]).rstrip())
    return 0


def add_speech_sampling_options(p) -> None:
    """The sampling options of everything that speaks (``tts``, ``talk``)."""
    p.add_argument("--steps", type=A.STEPS, help="flow-matching ODE steps, 1-200 (default: tts 3, talk 10)")
    p.add_argument("--guidance", type=A.GUIDANCE, default=1.0, help="emotion guidance scale, 0-10 (1 = none)")
    p.add_argument("--negative", help="an emotion to steer away from (EmoDubber-style negative guidance)")
    p.add_argument("--negative-scale", type=A.NEGATIVE_SCALE, default=1.0, help="strength of --negative, 0-10")
    p.add_argument("--speed", type=A.SPEED, default=1.0, help="speaking-rate factor, > 1 faster (0.25-4)")
    p.add_argument("--seed", type=A.SEED, default=0, help="random seed, 0 to 2^32-1")


def speech_sampling_kwargs(args) -> dict:
    """The options of :func:`add_speech_sampling_options` as pipeline keyword arguments; ``steps``
    only when given, so each pipeline keeps its own default (the voice's, the face model's)."""
    kwargs = dict(guidance_scale=args.guidance, negative=args.negative, negative_scale=args.negative_scale,
                  speed=args.speed, seed=args.seed)
    if args.steps is not None:
        kwargs["steps"] = args.steps
    return kwargs


def add_data_parser(commands):
    """The ``emogen data`` command; returns its subcommands, so other media can add theirs."""
    p = commands.add_parser("data", help="build training corpora")
    sub = p.add_subparsers(title="data commands", metavar="WHAT")
    corpus = sub.add_parser("build-tts-corpus", help="the emotional TTS corpus (needs Festival; see docs/speech.md)")
    corpus.add_argument("--out", default="data/tts-corpus")
    corpus.add_argument("--data", default=None, help="the shared data folder (default $EMOGEN_DATA or ../shared/data)")
    corpus.add_argument("--sentences", type=A.number(1, 10**6, integer=True), default=1600)
    corpus.add_argument("--seed", type=A.SEED, default=0)
    corpus.add_argument("--workers", type=A.number(1, 1024, integer=True), default=None,
                        help="processes for the WORLD analysis (default: all cores)")
    corpus.set_defaults(run=run_build_corpus)
    measure = sub.add_parser("measure-ravdess", help="measure per-emotion prosody and voice-quality changes on RAVDESS")
    measure.add_argument("--ravdess", default=None, help="RAVDESS folder with manifest.csv")
    measure.add_argument("--cache", default="runs/ser-features.npz",
                         help="the speech-emotion classifier's feature cache (shared with emogen train ser)")
    measure.add_argument("-o", "--output", default="emogen/speech/assets/ravdess_profile.json")
    measure.set_defaults(run=run_measure_ravdess)
    return sub


def data_root(given: str | None) -> Path:
    root = Path(given) if given else shared_data_root()
    if not root.is_dir():
        raise EmogenError(f"data folder '{root}' not found; pass --data or set EMOGEN_DATA")
    return root


def _read_text(args) -> str:
    if args.text is not None and args.text_file:
        raise EmogenError("give the text once: as TEXT or with --text-file, not both")
    if args.text_file:
        try:
            return Path(args.text_file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise EmogenError(f"cannot read text file '{args.text_file}': {e}") from None
    if args.text is not None:
        return args.text
    if not sys.stdin.isatty():
        return sys.stdin.read()
    raise EmogenError("no text given; pass TEXT, --text-file FILE, or pipe text on stdin")


def run_tts(args) -> int:
    from ..emotion import parse_emotion
    from ..text.auto import parse_auto
    from .text import check_text

    if args.sample_rate is not None and not 8000 <= args.sample_rate <= 96000:
        raise EmogenError(f"sample rate {args.sample_rate} is out of range; accepted: 8000 to 96000 Hz")
    if args.voice is not None and args.checkpoint is not None:
        raise EmogenError("give either --voice or --checkpoint, not both")
    voice = args.checkpoint or check_voice(args.voice)
    text = _read_text(args)
    # fail on a bad spec before loading anything; 'auto' is resolved per sentence by the pipeline
    emotion = args.emotion if parse_auto(args.emotion) is not None else parse_emotion(args.emotion, args.intensity)
    if parse_auto(args.emotion) is not None and args.intensity is not None:
        raise EmogenError("with --emotion auto, scale the inferred intensity as auto:SCALE, not --intensity")
    options = speech_sampling_kwargs(args)
    progress = A.show_progress(args)
    if args.text_guidance is not None:
        options["text_guidance"] = args.text_guidance
    if args.out_dir:
        if args.output:
            raise EmogenError("give either -o FILE or --out-dir DIR, not both")
        lines = [line for line in text.splitlines()]
        if not any(line.strip() for line in lines):
            raise EmogenError("the text file has no lines to speak")
        out_dir = ensure_dir(args.out_dir)
        fmt = args.format or "wav"
        from .pipeline import TTSPipeline  # torch: only once the arguments are known to be good

        tts = TTSPipeline.shared(voice)
        per_line = {}
        if parse_auto(args.emotion) is not None:  # one classification pass, smoothed across lines
            from ..text.auto import infer_specs

            spoken = [i for i, line in enumerate(lines) if line.strip()]
            specs, _ = infer_specs([lines[i] for i in spoken], parse_auto(args.emotion))
            per_line = dict(zip(spoken, specs))
        for i, line in enumerate(lines):
            if not line.strip():
                print(f"line {i + 1}: empty, skipped", file=sys.stderr)
                continue
            path = out_dir / f"{i:04d}.{fmt}"
            tts(line, per_line.get(i, emotion), progress=progress, **options).save(path, args.sample_rate, fmt)
            print(path)
        return 0
    if not args.output:
        raise EmogenError("no output given; use -o out.wav (or --out-dir DIR with --text-file)")
    path = check_writable(args.output)
    fmt = audio_format(path, args.format)
    check_text(text)
    from .pipeline import TTSPipeline  # torch: only once the arguments are known to be good

    speech = TTSPipeline.shared(voice)(text, emotion, progress=progress, **options)
    speech.save(path, args.sample_rate, fmt)
    print(f"wrote {path} ({speech.duration:.2f} s)")
    return 0


def run_build_corpus(args) -> int:
    from .data import build_corpus

    info = build_corpus(Path(args.out), data_root(args.data), args.sentences, args.seed, workers=args.workers)
    print(f"corpus: {info['utterances']} utterances, {info['hours']} h in {args.out}")
    return 0


def run_measure_ravdess(args) -> int:
    import json

    from .prosody_profile import build_profile

    root = Path(args.ravdess) if args.ravdess else data_root(None) / "speech" / "ravdess"
    profile = build_profile(root, args.cache)
    write_text_atomic(args.output, json.dumps(profile, indent=1))
    print(f"wrote {args.output}")
    return 0
