"""The command-line side of emotion from a file: ``--emotion-from FILE`` on ``tts``, ``talk``,
``music`` and ``scene``, ``emogen emotions --from FILE``, and ``emogen music --from-video CLIP``.

The options are declared by each command's parser (``cli_args.add_emotion_from_option``), but
reading a file needs the recognisers, which sit above the media packages; so ``emogen.cli``
hands any command that names a source to :func:`run_with_source`, which reads it, prints one
line on stderr, and runs the command with the emotion it read.
"""

from __future__ import annotations

import json
import sys

from ..errors import EmogenError


def wants_source(args) -> bool:
    """Whether the parsed command names an emotion source (or a score to a video)."""
    return any(getattr(args, name, None) is not None
               for name in ("emotion_from", "emotion_reference", "from_file", "from_video", "mux"))


def run_with_source(args) -> int:
    if getattr(args, "from_file", None) is not None:
        return run_emotions_from(args)
    if getattr(args, "from_video", None) is not None:
        return run_score_video(args)
    if getattr(args, "mux", None) is not None:
        raise EmogenError("--mux lays a score under a video: use it with --from-video CLIP")
    if getattr(args, "emotion_from", None) is None:
        raise EmogenError("--emotion-reference is the neutral voice for --emotion-from; give --emotion-from FILE too")
    if getattr(args, "emotion", None) not in (None, "neutral"):
        raise EmogenError("give the emotion once: --emotion SPEC or --emotion-from FILE, not both")
    if getattr(args, "intensity", None) is not None:
        raise EmogenError("with --emotion-from the intensity is read from the file; --intensity is not used")
    music = hasattr(args, "bars") and hasattr(args, "prompt")
    args.emotion = str(emotion_from_file(args.emotion_from, args.emotion_reference,
                                         args.bars if music else None, getattr(args, "time_signature", None)))
    return args.run(args)


def emotion_from_file(path, reference=None, bars: int | None = None, time_signature: str | None = None):
    """The emotion a generator takes from the file at ``path`` (``read_emotion``, which checks it
    first), its reading's one-line summary printed on stderr. ``bars``: for a music piece of this
    many bars, its keyframe times in sixteenth steps (``score.for_music``)."""
    from . import read_emotion

    reading = read_emotion(path, reference)
    print(reading.summary(), file=sys.stderr)
    if bars is None:
        return reading.emotion
    from .score import for_music

    return for_music(reading, bars, time_signature)


def run_emotions_from(args) -> int:
    """``emogen emotions --from FILE [--json]``: what would be used, with confidence."""
    from . import check_source, read_emotion

    if args.spec is not None or args.intensity is not None or args.from_text is not None \
            or args.from_text_file is not None or args.model is not None:
        raise EmogenError("--from FILE reads the emotion of a file; give no SPEC, --intensity, --from-text or --model "
                          "with it")
    check_source(args.from_file, args.emotion_reference)
    reading = read_emotion(args.from_file, args.emotion_reference)
    if args.json:
        print(json.dumps(reading.to_dict(), indent=2, ensure_ascii=False))
        return 0
    print(format_reading(reading))
    return 0


def format_reading(reading) -> str:
    """A readable report: kind, emotion and confidence, probabilities, the spec and its VAD."""
    d = reading.to_dict()
    length = f", {d['duration']:.1f} s" if d["duration"] else ""
    lines = [f"{d['file']} ({d['kind']}{length})",
             f"  emotion     {d['emotion']} (confidence {d['confidence']:.2f})",
             "  probabilities " + ", ".join(f"{k} {v:.2f}" for k, v in
                                            sorted(d["probabilities"].items(), key=lambda kv: -kv[1])),
             f"  spec        {d['spec']}",
             f"  VAD         valence {d['valence']:+.2f}, arousal {d['arousal']:+.2f}, dominance {d['dominance']:+.2f}"
             f" (nearest: {d['nearest']})"]
    for k, v in d["details"].items():
        lines.append(f"  {k:11s} {v}")
    return "\n".join(lines)


def run_score_video(args) -> int:
    """``emogen music --from-video CLIP -o score.mid [--wav score.wav] [--mux out.mp4]``."""
    from pathlib import Path

    from ..io import all_or_nothing, check_writable
    from . import check_source

    given = [flag for flag, value in (("--emotion", args.emotion), ("--emotion-from", args.emotion_from),
                                      ("--intensity", args.intensity), ("--prompt", args.prompt),
                                      ("--prompt-file", args.prompt_file), ("--tempo", args.tempo),
                                      ("--time-signature", args.time_signature), ("--out-dir", args.out_dir),
                                      ("--negative", args.negative)) if value is not None]
    given += (["--n"] if args.n != 1 else []) + (["--bars"] if args.bars != 16 else [])
    if given:
        raise EmogenError(f"--from-video sets the emotion, length and tempo from the video; drop {', '.join(given)}")
    if check_source(args.from_video, args.emotion_reference) != "video":
        raise EmogenError(f"--from-video takes a video (.mp4, .mov, .webm, .mkv), not '{args.from_video}'")
    if not args.output:
        raise EmogenError("give -o FILE.mid for the score")
    outputs = {"midi": args.output, "wav": args.wav, "png": args.png, "mux": args.mux}
    for kind, suffixes in (("midi", (".mid", ".midi")), ("wav", (".wav",)), ("png", (".png",)), ("mux", (".mp4",))):
        value = outputs[kind]
        if value is True:
            raise EmogenError(f"--{kind} needs a file name with --from-video")
        if value is not None:
            if not str(value).lower().endswith(suffixes):
                raise EmogenError(f"'{value}' should end in {' or '.join(suffixes)} for the {kind} output")
            check_writable(value)
    from .score import score_video
    from .video import read_video

    reading = read_video(args.from_video, args.emotion_reference)
    print(reading.summary(), file=sys.stderr)
    mode = {} if args.mode_guidance is None else {"mode_guidance": args.mode_guidance}
    score = score_video(args.from_video, seed=args.seed, steps=args.steps, guidance_scale=args.guidance,
                        key=args.key, checkpoint=args.checkpoint, reading=reading, **mode)
    audio = score.piece.render_audio(args.sample_rate) if args.wav or args.mux else None
    with all_or_nothing():  # the score's files appear together or not at all
        score.piece.save_midi(args.output)
        if args.wav:
            from ..music.synth import save_wav

            save_wav(audio, args.wav, args.sample_rate)
        if args.png:
            score.piece.save_png(args.png)
        if args.mux:
            score.save_mux(args.from_video, args.mux, sample_rate=args.sample_rate, audio=audio)
    written = [str(Path(p)) for p in outputs.values() if p]
    d = score.piece.describe()
    if args.json:
        print(json.dumps({"files": written, "video_seconds": round(score.duration, 3), **d}))
    else:
        print(f"{', '.join(written)}: {d['bars']} bars at {d['tempo']:.1f} BPM, {d['seconds']:.1f} s "
              f"(video {score.duration:.1f} s), {d['key']}, {d['notes']} notes")
    return 0
