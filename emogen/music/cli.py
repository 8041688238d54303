"""``emogen music``: emotion-conditioned piano pieces as MIDI, with optional WAV and PNG."""

from __future__ import annotations

import json
from pathlib import Path

from .. import cli_args as A
from ..checks import BARS, DEFAULT_TEMPO, MODE_GUIDANCE, MUSIC_GUIDANCE, MUSIC_STEPS, TEMPO
from ..errors import EmogenError
from ..io import all_or_nothing, check_writable, ensure_dir

SUFFIXES = {"midi": (".mid", ".midi"), "wav": (".wav",), "png": (".png",)}


def add_music_parser(commands) -> None:
    p = commands.add_parser(
        "music", help="generate piano music with an emotion (MIDI, WAV, PNG)",
        description="Generate a piano piece whose emotion follows --emotion: a category ('happy', "
                    "'sad:0.7'), a valence/arousal point ('v=-0.7,a=-0.5'), a word, or a trajectory "
                    "('calm>angry'). Key, tempo and time signature are applied as asked; the emotion "
                    "comes from the trained model, its mode (major for positive valence, minor for "
                    "negative) steered while sampling. Trained on EMOPIA (CC BY-NC-SA 4.0): non-commercial use.")
    p.add_argument("--emotion", help="emotion spec (see `emogen emotions`); or --emotion-from / --from-video")
    p.add_argument("--intensity", type=A.INTENSITY, help="0..1 (0 = neutral)")
    A.add_emotion_from_option(p)
    p.add_argument("--from-video", metavar="CLIP",
                   help="score a video: its emotion over time, its length (whole bars, tempo fitted), a cadence at the end")
    p.add_argument("--mux", metavar="OUT.mp4", help="with --from-video: the video with the score mixed under its sound")
    p.add_argument("--prompt", help="with --emotion auto: text whose emotion the piece takes "
                                    "(e.g. 'a rainy funeral in the hills')")
    p.add_argument("--prompt-file", help="with --emotion auto: a text file (a script); one line = one "
                                         "emotion, several lines make the piece move through them")
    p.add_argument("--bars", type=A.number(*BARS, integer=True), default=16,
                   help=f"length in bars, {BARS[0]}-{BARS[1]} (default 16)")
    p.add_argument("--seed", type=A.SEED, default=0, help="random seed (batch: first seed)")
    p.add_argument("-o", "--output", help="MIDI file to write (.mid)")
    p.add_argument("--wav", nargs="?", const=True, help="also render audio (a .wav path; with --out-dir no value)")
    p.add_argument("--png", nargs="?", const=True, help="also draw the piano roll (a .png path; with --out-dir no value)")
    p.add_argument("--key", help="key of the piece, e.g. 'C', 'F# minor', 'Bb major' (a mode given here "
                                 "replaces the one the emotion's valence asks for)")
    p.add_argument("--tempo", type=A.number(*TEMPO),
                   help=f"BPM, {TEMPO[0]:g}-{TEMPO[1]:g} (default: from the arousal, {DEFAULT_TEMPO:g} at neutral)")
    p.add_argument("--time-signature", help="4/4 (default), 3/4, 2/4 or 6/8")
    p.add_argument("--quantize", action="store_true",
                   help="write the score: onsets and note ends on the sixteenth grid, no sustain pedal, no "
                        "chord spread (for editing in a DAW); default: as a pianist plays it")
    p.add_argument("--n", type=A.number(1, 1000, integer=True), default=1,
                   help="batch: number of pieces, 1-1000 (seeds seed, seed+1, ...)")
    p.add_argument("--out-dir", help="batch: folder for piece_SEED.mid (and .wav/.png)")
    p.add_argument("--steps", type=A.number(*MUSIC_STEPS, integer=True), default=12,
                   help=f"sampling steps per window, {MUSIC_STEPS[0]}-{MUSIC_STEPS[1]} (default 12)")
    p.add_argument("--guidance", type=A.number(*MUSIC_GUIDANCE), default=3.0,
                   help=f"emotion guidance scale, {MUSIC_GUIDANCE[0]:g}-{MUSIC_GUIDANCE[1]:g} (default 3; 1 = none)")
    p.add_argument("--negative", help="an emotion to steer away from, e.g. 'happy'")
    p.add_argument("--negative-scale", type=A.NEGATIVE_SCALE, default=0.5,
                   help="strength of --negative, 0-10 (default 0.5)")
    p.add_argument("--mode-guidance", type=A.number(*MODE_GUIDANCE),
                   help="strength of the steering toward the mode (major / minor) the valence or --key "
                        "asks for (default 0.15, the pipeline's DEFAULT_MODE_GUIDANCE; 0 leaves the mode "
                        "to the model)")
    p.add_argument("--checkpoint", default="music-emopia", help="checkpoint name or directory (default music-emopia)")
    p.add_argument("--sample-rate", type=A.SAMPLE_RATE, default=44100,
                   help="audio sample rate, 8000-192000 Hz (default 44100)")
    p.add_argument("--json", action="store_true", help="print a JSON description of each piece")
    p.set_defaults(run=run_music)


def _check_suffix(path: str, kind: str) -> Path:
    if not path.lower().endswith(SUFFIXES[kind]):
        raise EmogenError(f"'{path}' should end in {' or '.join(SUFFIXES[kind])} for {kind} output")
    return check_writable(path)


def _plan(args) -> list[tuple[int, Path, Path | None, Path | None]]:
    """(seed, midi path, wav path, png path) of every piece, checked before any work."""
    if args.out_dir is None:
        if args.n != 1:
            raise EmogenError("--n needs --out-dir DIR")
        if not args.output:
            raise EmogenError("give -o FILE.mid (or --out-dir DIR for a batch)")
        for flag in ("wav", "png"):
            if getattr(args, flag) is True:
                raise EmogenError(f"--{flag} needs a file name unless --out-dir is given")
        return [(args.seed, _check_suffix(args.output, "midi"),
                 _check_suffix(args.wav, "wav") if args.wav else None,
                 _check_suffix(args.png, "png") if args.png else None)]
    if args.output:
        raise EmogenError("give either -o FILE (one piece) or --out-dir DIR (a batch), not both")
    for flag in ("wav", "png"):
        if getattr(args, flag) not in (None, True):
            raise EmogenError(f"with --out-dir, give --{flag} without a file name")
    out = ensure_dir(args.out_dir)
    plan = []
    for seed in range(args.seed, args.seed + args.n):
        stem = out / f"piece_{seed:04d}"
        plan.append((seed, check_writable(stem.with_suffix(".mid")),
                     stem.with_suffix(".wav") if args.wav else None, stem.with_suffix(".png") if args.png else None))
    return plan


def _prompt(args) -> str | None:
    """The text of --prompt or --prompt-file (None if neither), read before any work."""
    if args.prompt is not None and args.prompt_file is not None:
        raise EmogenError("give either --prompt TEXT or --prompt-file FILE, not both")
    if args.prompt_file is None:
        return args.prompt
    try:
        return Path(args.prompt_file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise EmogenError(f"cannot read --prompt-file '{args.prompt_file}': {e}") from None


def run_music(args) -> int:
    from ..text.auto import auto_scale
    from .pipeline import MusicPipeline, check_inputs, check_prompt

    if args.emotion is None:
        raise EmogenError("give the emotion: --emotion SPEC, --emotion-from FILE or --from-video CLIP")
    prompt = _prompt(args)
    auto = auto_scale(args.emotion, args.intensity) is not None
    if auto:
        check_prompt(prompt)
    elif prompt is not None:
        raise EmogenError("--prompt / --prompt-file are read only with --emotion auto")
    mode = {} if args.mode_guidance is None else {"mode_guidance": args.mode_guidance}  # else the pipeline's default
    check_inputs("neutral" if auto else args.emotion, args.intensity, args.bars, args.key, args.tempo,
                 args.time_signature, args.steps, args.guidance, args.negative, negative_scale=args.negative_scale,
                 **mode)  # before the model loads
    plan = _plan(args)  # last: with --out-dir it makes the folder
    pipe = MusicPipeline.shared(args.checkpoint)
    emotion = pipe.resolve_emotion(args.emotion, args.intensity, prompt)  # 'auto': read the prompt once
    if auto and not args.json:
        print(f"emotion from the prompt: {emotion}")
    for seed, midi_path, wav_path, png_path in plan:
        result = pipe(emotion, intensity=None if auto else args.intensity, bars=args.bars, seed=seed, key=args.key,
                      tempo=args.tempo, time_signature=args.time_signature, steps=args.steps,
                      guidance_scale=args.guidance, negative=args.negative, negative_scale=args.negative_scale,
                      quantize=args.quantize, **mode)
        audio = result.render_audio(args.sample_rate) if wav_path else None  # before any file is written
        with all_or_nothing():  # the .mid, .wav and .png of a piece appear together or not at all
            result.save_midi(midi_path)
            if wav_path:
                from .synth import save_wav

                save_wav(audio, wav_path, args.sample_rate)
            if png_path:
                result.save_png(png_path)
        written = [str(p) for p in (midi_path, wav_path, png_path) if p]
        if args.json:
            print(json.dumps({"files": written, **result.describe()}))
        else:
            d = result.describe()
            print(f"{', '.join(written)}: {d['bars']} bars, {d['seconds']:.1f} s, {d['key']}, {d['notes']} notes, "
                  f"form {d['form']}")
    return 0
