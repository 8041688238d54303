"""Every GPU measurement of issue 31 in one run (about 8 minutes on an H200); results in ``--out``.

    python benchmarks/gpu_suite.py --out "$OUT"                # on the GPU machine
    python benchmarks/gpu_suite.py --quick --out /tmp/suite    # tiny settings, any device: runs end to end

Before a GPU session, make the stand-in training data here and carry it along (the SER features
alone take minutes): ``python benchmarks/profile_precision.py --prepare-only`` writes
``runs/profile-data``; pass ``carry: ["runs/profile-data"]`` to the device tool.

Steps, most important first, each in its own process with a time budget; one that runs out is
killed, reported, and the rest go on (``suite.md`` lists them):

1. ``training``: ``profile_precision.py`` on every recipe, fp32 vs bf16: steps/s, operator
   profiles, 100-step loss curves with a final validation loss;
2. ``speed``: TTS real-time factor (text to waveform, default steps), talking head frames/s at
   512 x 512 (motion + render + H.264 encode, from given speech), music seconds per 16 bars (MIDI
   written), text emotion sentences/s;
3. ``batch``: ``emogen batch`` on a 200-line jobs file (TTS and music jobs), jobs/s;
4. the benchmark scripts with ``--device`` at small settings (``train_throughput.py``,
   ``text_emotion.py``, ``music.py``, ``tts.py``, ``talk.py``); their results land in ``--out``
   (``EMOGEN_BENCH_OUT``), never in the README.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks"
TOTAL_BUDGET_S = 480


def steps(device: str, quick: bool, out: Path) -> list[tuple[str, int, list[str]]]:
    """(name, seconds allowed, command) of every step, in order."""
    py = [sys.executable]
    profile = ["--steps", "1", "--warmup", "1", "--rounds", "1", "--curve-steps", "2", "--batch-size", "4"] if quick \
        else ["--steps", "10", "--warmup", "3", "--rounds", "2", "--curve-steps", "100"]
    return [
        ("training", 240, [*py, str(BENCH / "profile_precision.py"), "--recipe", "all", "--device", device, "--prepare",
                           *profile, "--out", str(out / "training")]),
        ("speed", 60, [*py, str(BENCH / "gpu_suite.py"), "--step", "speed", "--device", device, "--out", str(out),
                       *(["--quick"] if quick else [])]),
        ("batch", 60, [*py, str(BENCH / "gpu_suite.py"), "--step", "batch", "--device", device, "--out", str(out),
                       *(["--quick"] if quick else [])]),
        ("train_throughput.py", 30, [*py, str(BENCH / "train_throughput.py"), "--device", device,
                                     "--steps", "1" if quick else "5"]),
        ("text_emotion.py", 40, [*py, str(BENCH / "text_emotion.py"), "--device", device, "--no-baseline"]),
        ("music.py", 60, [*py, str(BENCH / "music.py"), "--device", device,
                          *(["--seeds", "1", "--bars", "2"] if quick else ["--seeds", "2"])]),
        ("tts.py", 120, [*py, str(BENCH / "tts.py"), "--device", device,
                         *(["--sentences", "1", "--cue-sentences", "1"] if quick else
                           ["--sentences", "10", "--cue-sentences", "3"])]),
        # talk.py measures expressions with MediaPipe on dozens of clips: minutes even when quick,
        # so only the full run tries it, in whatever time is left
        *([] if quick else [("talk.py", 600, [*py, str(BENCH / "talk.py"), "--device", device, "--quick"])]),
    ]


def run_suite(device: str, quick: bool, out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    (out / "logs").mkdir(exist_ok=True)
    env = dict(os.environ, EMOGEN_BENCH_OUT=str(out / "results"), PYTHONPATH=str(ROOT))
    started, rows = time.perf_counter(), []
    (out / "environment.txt").write_text(environment(device))
    for name, budget, command in steps(device, quick, out):
        left = TOTAL_BUDGET_S - (time.perf_counter() - started)
        allowed = int(min(budget, left)) if not quick else budget * 10  # --quick: CPUs are slow, check only
        if allowed < 10:
            rows.append((name, "not run (suite time spent)", 0.0))
            continue
        t = time.perf_counter()
        with open(out / "logs" / f"{name}.log", "w") as log:
            proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                    start_new_session=True)
            try:
                status = "ok" if proc.wait(timeout=allowed) == 0 else f"failed (exit {proc.returncode}, see logs)"
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, 9)
                proc.wait()
                status = f"stopped after {allowed} s"
        rows.append((name, status, time.perf_counter() - t))
        print(f"{name}: {status} ({rows[-1][2]:.0f} s)", flush=True)
    summary = ["| step | status | seconds |", "|---|---|---|", *(f"| {n} | {s} | {t:.0f} |" for n, s, t in rows)]
    parts = ["# GPU suite (issue 31)", "", f"Device {device}{', --quick' if quick else ''}.", "", *summary, ""]
    for name in ("training/summary.md", "speed.md", "batch.md"):
        if (out / name).is_file():
            parts += [(out / name).read_text(), ""]
    (out / "suite.md").write_text("\n".join(parts))
    print((out / "suite.md").read_text())
    return 0 if all(s == "ok" for _, s, _ in rows) else 1


def environment(device: str) -> str:
    import torch

    lines = [f"torch {torch.__version__}, CUDA {torch.version.cuda}, cuDNN {torch.backends.cudnn.version()}",
             f"device {device}" + (f": {torch.cuda.get_device_name(0)}" if device == "cuda" else "")]
    try:
        lines.append(subprocess.run(["nvidia-smi"], capture_output=True, text=True, timeout=20).stdout)
    except (OSError, subprocess.TimeoutExpired):
        pass
    return "\n".join(lines) + "\n"


# -- steps that are measured here --------------------------------------------------------------------
def sync(device: str) -> None:
    import torch

    if device.startswith("cuda"):
        torch.cuda.synchronize()


def measure_speed(device: str, quick: bool, out: Path) -> None:
    """Generator speeds on ``device``: each model is loaded and warmed up once before timing."""
    import numpy as np

    sys.path.insert(0, str(BENCH))
    from tts import HARVARD

    from emogen.face.pipeline import TalkPipeline
    from emogen.music.pipeline import MusicPipeline
    from emogen.speech import TTSPipeline
    from emogen.text.pipeline import TextEmotionClassifier

    sentences = HARVARD[: 2 if quick else 20]
    results, rows = {}, []

    tts = TTSPipeline.from_pretrained(device=device)
    tts(sentences[0], emotion="happy")
    synth = audio_s = 0.0
    for s in sentences:
        t = time.perf_counter()
        audio, sr = tts(s, emotion="happy")
        sync(device)
        synth += time.perf_counter() - t
        audio_s += len(audio) / sr
    results["tts_rtf"] = synth / audio_s
    rows.append(["TTS real-time factor (text to waveform, default steps, happy)", f"{results['tts_rtf']:.4f}",
                 "<= 0.01", f"{len(sentences)} Harvard sentences, {audio_s:.0f} s of speech"])

    talk = TalkPipeline.from_pretrained(device=device)
    speech = tts(" ".join(sentences[:1 if quick else 4]), emotion="happy")
    talk(audio=speech, emotion="happy", seed=0)
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        clip = talk(audio=speech, emotion="happy", seed=0)
        sync(device)
        motion_s = time.perf_counter() - t
        t = time.perf_counter()
        clip.save(Path(tmp) / "clip.mp4", progress=False)
        write_s = time.perf_counter() - t
    results.update(talk_frames=clip.num_frames, talk_motion_s=motion_s, talk_render_encode_s=write_s,
                   talk_fps=clip.num_frames / (motion_s + write_s))
    side = clip.portrait.size
    rows.append([f"talking head frames/s, {side} x {side} (motion + render + encode)", f"{results['talk_fps']:.0f}",
                 ">= 100", f"{clip.num_frames} frames: motion {motion_s:.2f} s, render + encode {write_s:.2f} s"])

    from music import timed

    music = MusicPipeline.from_pretrained(device=device)
    settings = dict(steps=12, guidance_scale=3.0)  # benchmarks/music.py's defaults
    timed(music, emotion="happy", seed=0, bars=16, **settings)
    times = [timed(music, emotion="happy", seed=1 + k, bars=16, **settings)[1] for k in range(2 if quick else 5)]
    results["music_16_bars_s"] = float(np.median(times))
    rows.append(["music: seconds per 16 bars (MIDI written; median)", f"{results['music_16_bars_s']:.3f}", "<= 0.2",
                 f"{len(times)} pieces, 12 steps, guidance 3"])

    from emogen.text.data import goemotions_dir, read_split

    texts = [ex.text for ex in read_split(goemotions_dir(), "dev")][: 512 if quick else None]
    classifier = TextEmotionClassifier.from_pretrained(device=device)
    classifier.predict(texts[:256])
    t = time.perf_counter()
    classifier.predict(texts)
    sync(device)
    results["text_sentences_per_s"] = len(texts) / (time.perf_counter() - t)
    rows.append(["text emotion sentences/s (tokenizing included)", f"{results['text_sentences_per_s']:.0f}", "",
                 f"{len(texts)} GoEmotions dev comments"])
    write_step(out, "speed", "Generator speed", rows, results, device)


def measure_batch(device: str, quick: bool, out: Path) -> None:
    """``emogen batch`` on a jobs file of 200 lines (TTS and music alternating), in a fresh process."""
    sys.path.insert(0, str(BENCH))
    from tts import HARVARD

    lines = 6 if quick else 200
    emotions = ["happy", "sad", "angry", "calm", "fearful", "surprised"]
    jobs = [{"kind": "tts", "text": HARVARD[i % len(HARVARD)], "emotion": emotions[i % 6], "seed": i} if i % 2 == 0
            else {"kind": "music", "emotion": emotions[i % 4], "bars": 8, "seed": i} for i in range(lines)]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "jobs.jsonl"
        path.write_text("".join(json.dumps(j) + "\n" for j in jobs))
        t = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "emogen", "batch", str(path), "--out-dir", str(Path(tmp) / "out"),
                               "--device", device], cwd=ROOT, capture_output=True, text=True)
        seconds = time.perf_counter() - t
        made = len([p for p in (Path(tmp) / "out").iterdir() if p.suffix in (".wav", ".mid")])
    if proc.returncode != 0:
        print(proc.stdout[-2000:], proc.stderr[-2000:])
        raise SystemExit(f"emogen batch failed (exit {proc.returncode})")
    results = {"lines": lines, "outputs": made, "seconds": seconds, "jobs_per_s": lines / seconds}
    rows = [[f"`emogen batch`, {lines}-line jobs file (TTS + 8-bar music), one process, models loaded once",
             f"{results['jobs_per_s']:.2f} jobs/s", "", f"{seconds:.1f} s including start-up, {made} outputs"]]
    write_step(out, "batch", "Batch throughput", rows, results, device)


def write_step(out: Path, name: str, title: str, rows: list[list[str]], results: dict, device: str) -> None:
    sys.path.insert(0, str(BENCH))
    from common import hardware, markdown_table

    out.mkdir(parents=True, exist_ok=True)
    text = (f"## {title} ({device})\n\n{hardware()}\n\n"
            + markdown_table(["measure", "value", "issue 31 floor", "notes"], rows) + "\n")
    (out / f"{name}.md").write_text(text)
    (out / f"{name}.json").write_text(json.dumps({"device": device, **results}, indent=2) + "\n")
    print(text)


def main() -> int:
    import torch

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(os.environ.get("OUT", ROOT / "runs" / "gpu-suite")))
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu", choices=["cpu", "cuda"])
    parser.add_argument("--quick", action="store_true", help="tiny settings: check that every step runs")
    parser.add_argument("--step", choices=["speed", "batch"], help=argparse.SUPPRESS)  # the suite's own steps
    args = parser.parse_args()
    if args.step == "speed":
        measure_speed(args.device, args.quick, args.out)
        return 0
    if args.step == "batch":
        measure_batch(args.device, args.quick, args.out)
        return 0
    return run_suite(args.device, args.quick, args.out)


if __name__ == "__main__":
    sys.exit(main())
