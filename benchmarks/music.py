"""Measure the music generator against the issue's targets; writes results/music.md and .json.

    python benchmarks/music.py                      # shipped checkpoints/music-emopia
    python benchmarks/music.py --seeds 5            # quicker look

Targets (issues 5 and 28):
- the EMOPIA quadrant classifier recognises the intended quadrant of generated pieces (happy Q1,
  angry Q2, sad Q3, calm Q4) at least as often as real EMOPIA test clips (its card's accuracy);
- >= 75% of happy pieces analyse as major, >= 60% of sad pieces as minor (Krumhansl-Kessler);
- Spearman rho >= 0.9 between requested arousal (5 levels) and note density, velocity and tempo;
- well-formed MIDI: readable, no zero-length or duplicated overlapping notes, length within one
  beat, no silent bar;
- 16 bars in <= 1 s on 2 cores including MIDI writing (audio rendering reported apart; leave it
  out with ``--skip-timing`` on a shared machine);
- realism (issue 28, ``emogen.eval.music_realism``): the overlap of the note statistics (pitch, log
  duration, velocity, log IOI) of each emotion's pieces, pooled, with real EMOPIA clips of its
  quadrant >= 0.75 averaged over the four; every MusPy-style metric's mean inside the 5-95% range
  of real clips of that quadrant, bar self-similarity too (phrases that return), also for long
  pieces; texture (melody over accompaniment) reported beside its real range.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from scipy.stats import spearmanr
from tqdm.auto import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import comparison_table, figure_path, markdown_table, write_results  # noqa: E402

from emogen.eval.music import FEATURE_NAMES, QuadrantClassifier, symbolic_features  # noqa: E402
from emogen.eval.music_realism import METRICS, STATISTICS, TEXTURE, RealismReference, metrics  # noqa: E402
from emogen.music.tonality import midi_notes  # noqa: E402
from emogen.music.tonality import estimate_key  # noqa: E402
from emogen.eval.controllability import estimate_va  # noqa: E402
from emogen.music.pipeline import DEFAULT_MODE_GUIDANCE, MusicPipeline  # noqa: E402

QUADRANT_OF = {"happy": 1, "angry": 2, "sad": 3, "calm": 4}
AROUSAL_LEVELS = (-0.8, -0.4, 0.0, 0.4, 0.8)


def well_formed(result, bars: int) -> dict:
    """Checks on the MIDI file as written and read back."""
    import pretty_midi

    buffer = io.BytesIO()
    result.midi.write(buffer)
    buffer.seek(0)
    pm = pretty_midi.PrettyMIDI(buffer)
    notes = [n for inst in pm.instruments for n in inst.notes]
    zero = sum(1 for n in notes if n.end - n.start <= 0)
    overlaps = 0
    by_pitch: dict[int, list] = {}
    for n in notes:
        by_pitch.setdefault(n.pitch, []).append(n)
    for same in by_pitch.values():
        same.sort(key=lambda n: n.start)
        overlaps += sum(1 for a, b in zip(same, same[1:]) if b.start < a.end - 1e-6)
    # the bar grid is the file's own tempo map (tempo follows arousal; the last bar slows)
    end_tick = round(bars * result.roll.steps_per_bar * pm.resolution / 4)
    length_error = abs(pm.time_to_tick(pm.get_end_time()) - end_tick) / pm.resolution
    duplicates = sum(1 for same in by_pitch.values() for a, b in zip(same, same[1:]) if abs(a.start - b.start) < 1e-6)
    # a real ending: the lowest note sounding at the end is the key's tonic
    bass = min(n.pitch for n in notes if n.end >= pm.get_end_time() - 0.05)
    return {"zero_length": zero, "overlapping": overlaps + duplicates, "length_error_beats": length_error,
            "silent_bars": len(result.silent_bars), "notes": len(notes),
            "ends_on_tonic": bass % 12 == estimate_key(pm).tonic}


def music_figures(per_emotion: dict, level_means: dict, pieces: dict, name: str) -> list[Path]:
    """Arousal curves, the quadrant confusion and requested vs estimated valence/arousal."""
    from emogen.emotion.space import category
    from emogen.eval.plots import confusion_matrix, cue_curves, va_plane

    levels, label = list(AROUSAL_LEVELS), "v=0,a=LEVEL"
    cues = {"note_density": 0, "velocity_mean": 1}
    spread = {c: [float(np.std([x for lv, x in zip(pieces["levels"], pieces[k]) if lv == a])) for a in levels]
              for c, k in (("note_density", "density"), ("velocity_mean", "velocities"))}
    means = {c: [level_means[a][i] for a in levels] for c, i in cues.items()}
    report = {"modality": "music", "cues": list(cues), "intensities": levels, "emotions": [label],
              "cue_units": {"note_density": "notes / s", "velocity_mean": "MIDI velocity"},
              "level_means": {label: means}, "level_std": {label: spread},
              "monotonicity": {label: {c: float(spearmanr(levels, m)[0]) for c, m in means.items()}}}
    confusion = [[v["predicted"].count(q) for q in (1, 2, 3, 4)] for v in per_emotion.values()]
    points = [{"label": e, "group": e, "requested": category(e).vad[:2], "estimated": v["va_estimate"]}
              for e, v in per_emotion.items()]
    return [cue_curves(report, figure_path(f"{name}_arousal.png"), "Music: requested arousal (v=0) vs cues",
                       xlabel="requested arousal"),
            confusion_matrix(confusion, list(per_emotion), figure_path(f"{name}_quadrant_confusion.png"),
                             "EMOPIA quadrant classifier on generated pieces",
                             columns=["Q1 happy", "Q2 angry", "Q3 sad", "Q4 calm"]),
            va_plane(points, figure_path(f"{name}_va_plane.png"), "Music: requested vs estimated (mean of seeds)")]


def timed(pipe, **kwargs):
    start = time.perf_counter()
    result = pipe(**kwargs)
    with tempfile.TemporaryDirectory() as tmp:
        result.save_midi(Path(tmp) / "piece.mid")
    return result, time.perf_counter() - start


def emotion_runs(pipe, classifier, seeds: int, settings: dict, checks: list, times: list) -> dict:
    """Per emotion category: quadrant recognition, mode and features over ``seeds`` pieces."""
    per_emotion = {}
    for emotion, quadrant in tqdm(list(QUADRANT_OF.items()), desc="emotions"):
        results = []
        for seed in range(seeds):
            result, seconds = timed(pipe, emotion=emotion, seed=seed, **settings)
            results.append(result)
            times.append(seconds)
            checks.append(well_formed(result, settings["bars"]))
        probabilities = classifier.predict_proba([r.midi for r in results])
        predicted = probabilities.argmax(axis=1) + 1
        modes = [estimate_key(r.midi).mode for r in results]
        feats = [symbolic_features(r.midi) for r in results]
        per_emotion[emotion] = {
            "realism": realism(results, quadrant),
            "quadrant_accuracy": float(np.mean(predicted == quadrant)),
            "predicted": predicted.tolist(),
            "va_estimate": [float(x) for x in np.mean([estimate_va({f"Q{q + 1}": p for q, p in enumerate(row)})
                                                       for row in probabilities], axis=0)],
            "major_share": modes.count("major") / len(modes),
            **{k: float(np.mean([f[k] for f in feats])) for k in ("note_density", "velocity_mean", "pitch_mean")},
        }
    return per_emotion


def realism(results, quadrant: int) -> dict:
    """Pooled note-statistic overlaps with real clips of ``quadrant``, and each metric's mean and
    the fraction of pieces inside the real 5-95% range, beside that range."""
    reference = RealismReference.load()
    out = {"overlap": reference.pooled_overlaps([midi_notes(r.midi) for r in results], quadrant),
           "real_overlap": reference.data["pooled_overlap"][str(quadrant)], "metrics": {}}
    values = [{**metrics(r.midi), **reference.texture(r.midi, quadrant)} for r in results]
    for name in (*METRICS, *TEXTURE):
        lo, hi = reference.real_range(name, quadrant)
        mean = float(np.nanmean([v[name] for v in values]))
        out["metrics"][name] = {"mean": mean, "inside_share": float(np.mean([lo <= v[name] <= hi for v in values])),
                                "real_5": lo, "real_95": hi, "inside": bool(lo <= mean <= hi)}
    return out


def realism_rows(per_emotion: dict) -> list[list]:
    """One row per emotion: the four overlaps and their mean (real held-out clips in brackets),
    then each metric's mean with the real range."""
    rows = []
    for emotion, v in per_emotion.items():
        r = v["realism"]
        cells = [f"{r['overlap'][k]:.2f} ({r['real_overlap'][k]:.2f})" for k in (*STATISTICS, "mean")]
        cells += [f"{m['mean']:.2f} [{m['real_5']:.2f}, {m['real_95']:.2f}]{'' if m['inside'] else ' OUT'}"
                  for m in r["metrics"].values()]
        rows.append([emotion, *cells])
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", default="music-emopia")
    parser.add_argument("--classifier", default="music-quadrant-classifier")
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--bars", type=int, default=8, help="bars per piece for the emotion statistics")
    parser.add_argument("--long-bars", type=int, default=32, help="bars of the long pieces (structure)")
    parser.add_argument("--long-seeds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--guidance", type=float, default=3.0)
    parser.add_argument("--mode-guidance", type=float, default=DEFAULT_MODE_GUIDANCE,
                        help="mode steering strength (0: the model alone)")
    parser.add_argument("--name", default="music", help="results file name")
    parser.add_argument("--device", default="cpu", help="cpu, cuda, cuda:1 ...")
    parser.add_argument("--skip-timing", action="store_true",
                        help="leave out the speed rows (on a shared machine, where timings mean nothing)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    pipe = MusicPipeline.from_pretrained(args.checkpoint, device=args.device)
    classifier = QuadrantClassifier.from_pretrained(args.classifier)
    settings = dict(bars=args.bars, steps=args.steps, guidance_scale=args.guidance, mode_guidance=args.mode_guidance)
    checks, times = [], []

    # 1. Quadrant recognition and mode: 4 categories x seeds, then the same without mode steering
    per_emotion = emotion_runs(pipe, classifier, args.seeds, settings, checks, times)
    generated_accuracy = float(np.mean([v["quadrant_accuracy"] for v in per_emotion.values()]))
    real_accuracy = float(classifier.info.get("test_accuracy", float("nan")))
    unsteered = emotion_runs(pipe, classifier, args.seeds, {**settings, "mode_guidance": 0.0}, [], [])
    unsteered_summary = {"quadrant_accuracy": float(np.mean([v["quadrant_accuracy"] for v in unsteered.values()])),
                         "happy_major": unsteered["happy"]["major_share"],
                         "sad_minor": 1.0 - unsteered["sad"]["major_share"]}

    # 2. Arousal: 5 requested levels at neutral-ish valence
    levels, densities, velocities, tempi = [], [], [], []
    for arousal in tqdm(AROUSAL_LEVELS, desc="arousal"):
        for seed in range(args.seeds):
            result, seconds = timed(pipe, emotion=f"v=0,a={arousal}", seed=seed, **settings)
            times.append(seconds)
            checks.append(well_formed(result, args.bars))
            f = symbolic_features(result.midi)
            levels.append(arousal)
            densities.append(f["note_density"])
            velocities.append(f["velocity_mean"])
            tempi.append(result.tempo)
    level_means = {a: (float(np.mean([d for l, d in zip(levels, densities) if l == a])),
                       float(np.mean([v for l, v in zip(levels, velocities) if l == a]))) for a in AROUSAL_LEVELS}
    rho_density_levels = float(spearmanr(AROUSAL_LEVELS, [level_means[a][0] for a in AROUSAL_LEVELS])[0])
    rho_velocity_levels = float(spearmanr(AROUSAL_LEVELS, [level_means[a][1] for a in AROUSAL_LEVELS])[0])
    rho_tempo_levels = float(spearmanr(AROUSAL_LEVELS, [np.mean([t for l, t in zip(levels, tempi) if l == a])
                                                        for a in AROUSAL_LEVELS])[0])
    rho_density_pieces = float(spearmanr(levels, densities)[0])
    rho_velocity_pieces = float(spearmanr(levels, velocities)[0])

    # 3. Long pieces keep their structure: bar self-similarity of long pieces per emotion
    long_similarity = {e: [metrics(pipe(e, seed=seed, **{**settings, "bars": args.long_bars}).midi)
                           ["bar_self_similarity"] for seed in range(args.long_seeds)] for e in QUADRANT_OF}

    # 4. Speed: 16 bars including MIDI writing; audio apart
    speed = []
    for seed in range(0 if args.skip_timing else 5):
        _, seconds = timed(pipe, emotion="happy", seed=100 + seed, **{**settings, "bars": 16})
        speed.append(seconds)
    result = pipe("happy", seed=100, **{**settings, "bars": 16})
    start = time.perf_counter()
    result.render_audio(44100)
    audio_seconds = time.perf_counter() - start
    gen16 = statistics.median(speed) if speed else float("nan")

    zero = sum(c["zero_length"] for c in checks)
    overlapping = sum(c["overlapping"] for c in checks)
    worst_length = max(c["length_error_beats"] for c in checks)
    silent = sum(c["silent_bars"] for c in checks)
    happy_major = per_emotion["happy"]["major_share"]
    sad_minor = 1.0 - per_emotion["sad"]["major_share"]

    def inside(v: dict, names) -> int:
        return sum(v["realism"]["metrics"][n]["inside"] for n in names)

    def ok(flag: bool) -> str:
        return "pass" if flag else "FAIL"

    rows = [
        ["quadrant recognised in generated pieces (4 x %d)" % args.seeds, f"{generated_accuracy:.3f}",
         f">= 0.85 (real EMOPIA test clips {real_accuracy:.3f})", ok(generated_accuracy >= 0.85)],
        *[[f"  {e} -> Q{QUADRANT_OF[e]}", f"{v['quadrant_accuracy']:.2f}", "", ""] for e, v in per_emotion.items()],
        ["happy pieces in major", f"{happy_major:.2f}", ">= 0.85", ok(happy_major >= 0.85)],
        ["sad pieces in minor", f"{sad_minor:.2f}", ">= 0.75", ok(sad_minor >= 0.75)],
        ["  without mode steering (the model alone): quadrant / happy major / sad minor",
         "{quadrant_accuracy:.3f} / {happy_major:.2f} / {sad_minor:.2f}".format(**unsteered_summary), "", ""],
        ["Spearman rho arousal vs note density (5 level means)", f"{rho_density_levels:.2f}", ">= 0.9",
         ok(rho_density_levels >= 0.9)],
        ["Spearman rho arousal vs velocity (5 level means)", f"{rho_velocity_levels:.2f}", ">= 0.9",
         ok(rho_velocity_levels >= 0.9)],
        ["Spearman rho arousal vs tempo (5 level means)", f"{rho_tempo_levels:.2f}", ">= 0.9",
         ok(rho_tempo_levels >= 0.9)],
        ["  same over all %d pieces (density / velocity)" % len(levels),
         f"{rho_density_pieces:.2f} / {rho_velocity_pieces:.2f}", "(stricter reading)", ""],
        *[[f"note-statistic overlap with real EMOPIA {e} (Q{QUADRANT_OF[e]}) clips, mean of 4",
           f"{v['realism']['overlap']['mean']:.2f}", ">= 0.75", ok(v["realism"]["overlap"]["mean"] >= 0.75)]
          for e, v in per_emotion.items()],
        ["MusPy-style metrics and bar self-similarity (means) inside the real 5-95% range, all emotions",
         f"{sum(inside(v, METRICS) for v in per_emotion.values())}/{len(per_emotion) * len(METRICS)}", "all",
         ok(all(inside(v, METRICS) == len(METRICS) for v in per_emotion.values()))],
        ["texture (top voice share, skyline steps, melodic interval overlap) inside the real range",
         f"{sum(inside(v, TEXTURE) for v in per_emotion.values())}/{len(per_emotion) * len(TEXTURE)}",
         "(reported)", ""],
        *[[f"  bar self-similarity of {args.long_bars}-bar {e} pieces ({len(sims)} seeds), real range",
           f"{np.mean(sims):.2f}", "[{:.2f}, {:.2f}]".format(*RealismReference.load().real_range(
               "bar_self_similarity", QUADRANT_OF[e])), ""] for e, sims in long_similarity.items()],
        ["zero-length / overlapping duplicate notes", f"{zero} / {overlapping}", "0 / 0", ok(zero == 0 and overlapping == 0)],
        ["worst length error (beats)", f"{worst_length:.3f}", "<= 1", ok(worst_length <= 1)],
        ["silent bars over %d pieces" % len(checks), str(silent), "0", ok(silent == 0)],
        ["pieces ending over the key's tonic (lowest note sounding at the end)",
         f"{np.mean([c['ends_on_tonic'] for c in checks]):.2f}", "(reported)", ""],
    ]
    if not args.skip_timing:
        rows += [[f"16 bars incl. MIDI writing, {args.threads} threads (median of 5)", f"{gen16:.2f} s", "<= 1 s",
                  ok(gen16 <= 1.0)],
                 ["audio rendering of 16 bars (tinysoundfont)", f"{audio_seconds:.2f} s", "(reported)", ""]]
    arousal_rows = [[f"{a:+.1f}", f"{level_means[a][0]:.2f}", f"{level_means[a][1]:.1f}"] for a in AROUSAL_LEVELS]
    emotion_rows = [[e, f"{v['note_density']:.2f}", f"{v['velocity_mean']:.1f}", f"{v['pitch_mean']:.1f}",
                     f"{v['major_share']:.2f}", " ".join(map(str, v["predicted"]))] for e, v in per_emotion.items()]
    table = (markdown_table(["target", "measured", "floor", ""], rows)
             + "\n\nPer requested arousal (`v=0,a=LEVEL`), means over seeds:\n\n"
             + markdown_table(["arousal", "notes / s", "mean velocity"], arousal_rows)
             + "\n\nRealism per emotion: note-statistic overlap of the pooled pieces with real EMOPIA clips of "
               "its quadrant (in brackets: held-out real clips, pooled, against the same reference), and each "
               "MusPy-style metric's mean over the pieces with the real clips' 5-95% range:\n\n"
             + markdown_table(["emotion", *[f"overlap {k}" for k in STATISTICS], "overlap mean", *METRICS, *TEXTURE],
                              realism_rows(per_emotion))
             + "\n\nPer emotion, means over seeds:\n\n"
             + markdown_table(["emotion", "notes / s", "velocity", "mean pitch", "major share", "classifier says (Q)"],
                              emotion_rows))
    notes = (f"Checkpoint `{args.checkpoint}`, {args.seeds} seeds per condition, {args.bars} bars, "
             f"{args.steps} sampling steps, guidance {args.guidance}, mode steering {args.mode_guidance}, "
             "phrases planned (A A' B A'', cadences: emogen.music.form), tempo from the arousal, performed (pedal, "
             "timing, touch: emogen.music.performance). Classifier: "
             f"`{args.classifier}` ({', '.join(FEATURE_NAMES)}). `python benchmarks/music.py` reproduces this; "
             "no GPU was available for GPU timings.")
    data = {"per_emotion": per_emotion, "generated_accuracy": generated_accuracy, "real_accuracy": real_accuracy,
            "happy_major": happy_major, "sad_minor": sad_minor, "without_mode_steering": unsteered_summary,
            "arousal_level_means": level_means,
            "rho_density_levels": rho_density_levels, "rho_velocity_levels": rho_velocity_levels,
            "rho_tempo_levels": rho_tempo_levels, "rho_density_pieces": rho_density_pieces, "rho_velocity_pieces": rho_velocity_pieces,
            "zero_length": zero, "overlapping": overlapping, "worst_length_error_beats": worst_length,
            "silent_bars": silent, "long_bar_self_similarity": long_similarity, "seconds_16_bars": speed,
            "audio_seconds_16_bars": audio_seconds,
            "settings": vars(args)}
    table += "\n\nNext to published numbers:\n\n" + comparison_table([
        ("4-quadrant accuracy of a symbolic classifier on EMOPIA clips it did not train on",
         f"{real_accuracy:.3f} (features + logistic regression, official test split)", "emopia_classifier")])
    figures = music_figures(per_emotion, level_means, {"density": densities, "levels": levels,
                                                       "velocities": velocities}, args.name)
    # 5. A piano roll per emotion (seed 0), as performed: the README shows them
    for emotion in QUADRANT_OF:
        pipe(emotion, seed=0, **settings).save_png(figure_path(f"{args.name}_roll_{emotion}.png"), scale=3)
    path = write_results(args.name, "Music: emotion-conditioned piano (`emogen music`)", table, data, notes, figures)
    print(path.read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
