"""``emogen eval controllability``: sweep emotion x intensity with the current model and report
monotonicity and separability (see ``emogen.eval.controllability``)."""

from __future__ import annotations

import json

from .. import cli_args as A
from ..checks import BARS
from ..errors import EmogenError


def add_controllability_parser(sub) -> None:
    p = sub.add_parser(
        "controllability", help="sweep emotion x intensity: monotonicity (Spearman) and separability",
        description="Render every emotion at every intensity for a few seeds with the current model, measure the "
                    "medium's cues and report, per emotion and cue, the Spearman rho over intensities, and how "
                    "well the emotions separate at the top intensity (nearest centroid on the cues, leave one "
                    "seed out; and the medium's emotion classifier).")
    p.add_argument("--modality", required=True, help="tts, music or talk")
    p.add_argument("--emotions", help="comma-separated (default tts: happy,sad,angry,fearful; "
                                      "music: happy,angry,sad,calm)")
    p.add_argument("--intensities", help="comma-separated in [0, 1] (default 0,0.25,0.5,0.75,1)")
    p.add_argument("--seeds", type=A.number(2, 100, integer=True), default=2,
                   help="seeds per condition, 2-100 (default 2)")
    p.add_argument("--text", action="append", help="tts: a sentence to speak (repeatable; default two Harvard "
                                                   "sentences)")
    p.add_argument("--bars", type=A.number(*BARS, integer=True), default=4, help="music: bars per piece (default 4)")
    p.add_argument("--steps", type=A.STEPS, help="sampling steps, 1-200 (default: the pipeline's, tts 3, music 12, "
                                                 "talk 10)")
    p.add_argument("--checkpoint", help="model checkpoint name or directory (default: the shipped one); tts: a voice "
                                        "of `emogen voices` (default: the default voice) or an acoustic checkpoint")
    p.add_argument("--ser", help="tts: speech-emotion classifier checkpoint (default: as `emogen eval speech`)")
    p.add_argument("--json", action="store_true", help="print the whole report, every render included, as JSON")
    p.add_argument("--plot", metavar="DIR", help="write PNG figures (cue curves, confusion matrices, "
                                                 "valence-arousal plane) here")
    p.set_defaults(run=run_eval_controllability)


def _numbers(text: str | None, flag: str) -> list[float] | None:
    if text is None:
        return None
    try:
        return [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise EmogenError(f"{flag} must be comma-separated numbers, e.g. 0,0.5,1; got '{text}'") from None


def run_eval_controllability(args) -> int:
    from .controllability import check_request, controllability

    emotions = [e.strip() for e in args.emotions.split(",") if e.strip()] if args.emotions else None
    intensities = _numbers(args.intensities, "--intensities")
    check_request(args.modality, emotions, intensities, args.seeds)  # before any model loads
    if args.plot:
        from .plots import plot_dir

        plot_dir(args.plot, create=False)
    report = controllability(args.modality, emotions, intensities, args.seeds, texts=args.text, bars=args.bars,
                             checkpoint=args.checkpoint, steps=args.steps, ser=args.ser)
    if args.json:
        print(json.dumps(report, indent=1))
    else:
        print(format_report(report))
    if args.plot:
        from .plots import announce, controllability_figures

        announce(controllability_figures(report, args.plot), args.json)
    return 0


def format_report(report: dict) -> str:
    """The terminal table: per emotion, each cue's change at the top intensity and its rho."""
    cues, top = report["cues"], report["intensities"][-1]
    header = ["emotion"] + [f"{c} @{top:g} (rho)" for c in cues]
    rows = []
    for e in report["emotions"]:
        cells = [e]
        for c in cues:
            rho = report["monotonicity"][e][c]
            value = report["level_means"][e][c][-1]
            value = f"{value:+.2f}" if report["modality"] != "music" else f"{value:.2f}"  # changes vs intensity 0
            cells.append(f"{value} ({'n/a' if rho is None else f'{rho:+.2f}'})")
        rows.append(cells)
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in rows]
    sep, clf = report["separability"], report["classifier"]
    lines.append(f"separability at intensity {sep['intensity']:g}: nearest-centroid accuracy "
                 f"{sep['nearest_centroid_accuracy']:.2f} (chance {sep['chance']:.2f}, {sep['renders']} renders, "
                 "leave one seed out)")
    if clf["scored"]:
        lines.append(f"{clf['name']}: accuracy {clf['accuracy']:.2f} on {clf['scored']} renders"
                     + (f" (no class for {', '.join(clf['skipped_emotions'])})" if clf["skipped_emotions"] else ""))
    else:
        lines.append(f"{clf['name']}: none of the emotions has a class")
    settings = ", ".join(f"{k} {v}" for k, v in report["settings"].items() if k != "texts")
    lines.append(f"rho: Spearman over the per-intensity means ({settings})")
    return "\n".join(lines)
