"""Where a training step spends its time, in fp32 and in bf16 autocast, for each training recipe.

    python benchmarks/profile_precision.py --recipe tts --device cpu --steps 5 --out runs/profile
    python benchmarks/profile_precision.py --recipe all --device cuda --out $OUT/profile

Runs emogen's own trainer (``Trainer.run`` with an ``on_step`` hook) on each recipe in
``configs/``, at the recipe's batch size unless ``--batch-size`` says otherwise, and writes to
``--out``:

- ``RECIPE.md``: steps/s per precision; time per phase of the step (``train.data``, ``.forward``,
  ``.backward``, ``.optimizer``, ``.ema``); the top operators by self time with calls per step
  (``torch.profiler``); and a dtype census of one step (``TorchDispatchMode``): operators by
  output dtype, every dtype cast with the elements it moved, and any float64 operator;
- ``summary.md`` / ``summary.json``: steps/s of every recipe, fp32 vs bf16.

Timing on a shared machine: fp32 and bf16 runs alternate (A B B A ...) in one process and the
speed-up is the median of the per-round ratios of median step times, so load that comes and goes
hits both alike. The profiled round is not timed (the profiler's own overhead falls on small
operators).

Data: the recipes read their datasets where their configs say. Where a corpus is not built
(``emogen data build-tts-corpus`` needs Festival), ``--prepare`` makes small stand-ins under
``--data`` (default ``runs/profile-data``): TTS utterances spoken by the shipped voice (its
frames and phone durations; same shapes as the corpus, enough for timing, not for training), a
24-clip face corpus (``build_face_corpus`` without RAVDESS) and the SER feature cache. Copy that
folder along to measure on another machine without rebuilding.
"""

from __future__ import annotations

import argparse
import copy
import json
import shutil
import statistics
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]
from common import hardware, markdown_table  # noqa: E402

from emogen.core import load_config  # noqa: E402
from emogen.cli import get_task  # noqa: E402
from emogen.core.trainer import Trainer  # noqa: E402
from emogen.io import shared_data_root  # noqa: E402

RECIPES = {  # name: (training task, recipe file); the first is the one bf16 was slowest on
    "tts": ("tts", "configs/tts/slt-emotion-stage4.yaml"),
    "music": ("music", "configs/music/emopia.yaml"),
    "face": ("face", "configs/face/motion.yaml"),
    "text-emotion": ("text-emotion", "configs/text/goemotions.yaml"),
    "ser": ("ser", "configs/ser/ser-ravdess.yaml"),
    "toy2d": ("toy2d", "configs/toy/toy2d.yaml"),
}
PRECISIONS = {"fp32": "no", "bf16": "bf16"}
# recipes that train on all their data hold some out here, so that loss curves end in a validation loss
VALIDATION = {"text-emotion": ["data.val_fraction=0.05"], "ser": ["data.test_actors=[1,2,3,4]"]}
PHASES = ("train.data", "train.forward", "train.backward", "train.optimizer", "train.ema")


# -- data ---------------------------------------------------------------------------------------
def data_overrides(recipe: str, data: Path, prepare: bool) -> list[str]:
    """Overrides that point ``recipe`` at stand-in data under ``data`` when its own is missing
    (made first with ``prepare``); empty when the recipe's data is there."""
    if recipe == "ser":
        cache = data / "ser-features.npz"
        if prepare and not cache.is_file():
            from emogen.ser.data import ravdess_features

            ravdess_features(shared_data_root() / "speech" / "ravdess", cache)
        return [f"data.ravdess={shared_data_root() / 'speech' / 'ravdess'}", f"data.cache={cache}"]
    if recipe == "tts" and not (ROOT / "data/tts-corpus/features.npz").is_file():
        if prepare and not (data / "tts-corpus" / "features.npz").is_file():
            stand_in_tts_corpus(data / "tts-corpus", 64)
        return [f"data.corpus={data / 'tts-corpus'}"]
    if recipe == "face" and not (ROOT / "data/face-corpus/corpus.npz").is_file():
        if prepare and not (data / "face-corpus" / "corpus.npz").is_file():
            from emogen.face.data import build_face_corpus

            build_face_corpus(data / "face-corpus", shared_data_root(), sentences=24, ravdess=False)
        return [f"data.corpus={data / 'face-corpus' / 'corpus.npz'}", "data.val_clips=4"]
    return []


def stand_in_tts_corpus(out: Path, n: int) -> None:
    """``features.npz`` in the corpus layout (``speech.data.extract_features``) from the shipped
    voice speaking ``n`` GoEmotions sentences: its WORLD frames and its own phone durations."""
    import numpy as np

    from emogen.emotion import parse_emotion
    from emogen.speech.data import select_sentences
    from emogen.speech.phonemes import phonemize_batch
    from emogen.speech.pipeline import TTSPipeline

    tts = TTSPipeline.from_pretrained()
    sentences = select_sentences(shared_data_root() / "text" / "goemotions", n)
    frames, ids, durations = [], [], []
    generator = torch.Generator().manual_seed(0)
    for ph in phonemize_batch(sentences):
        phone_ids = ph.ids(boundaries=False)
        # the pipeline's one-sentence step (no public API returns frames): 8 steps, no guidance
        f, d = tts._synthesize(phone_ids, parse_emotion("neutral"), 0.0, 0.5, 8, 1.0, None, 1.0, 1.0, generator,
                               0.667, 1.0)
        frames.append(f.astype(np.float32))
        ids.append(np.asarray(phone_ids, dtype=np.int64))
        durations.append(d.astype(np.int64))
    out.mkdir(parents=True, exist_ok=True)
    np.savez(out / "features.npz", frames=np.concatenate(frames),
             frame_offsets=np.cumsum([0] + [len(f) for f in frames]),
             phone_ids=np.concatenate(ids), durations=np.concatenate(durations),
             phone_offsets=np.cumsum([0] + [len(i) for i in ids]))
    (out / "corpus.json").write_text(json.dumps({"utterances": n, "stand_in": "frames of the shipped voice"}) + "\n")


# -- runs ---------------------------------------------------------------------------------------
class Recipe:
    """One recipe's task with its model and datasets built once: every run (either precision)
    starts from a copy of the same initial weights and reads the same data."""

    def __init__(self, name: str, device: str, overrides: list[str]):
        task_name, path = RECIPES[name]
        self.name, self.device, self.path = name, device, ROOT / path
        self.task = get_task(task_name)
        self.overrides = [f"train.cpu={str(device == 'cpu').lower()}", "train.val_every=0", "train.save_every=0",
                          "train.log_every=1000000", "train.resume=never", *VALIDATION.get(name, []), *overrides]
        config = self.config("no")
        torch.manual_seed(config.train.seed)
        model = self.task.build_model(config)
        datasets = self.task.build_datasets(config)
        # the trainer calls these once per run; building the model and data again for every run
        # (minutes for some recipes) would only add time, so each run gets copies of these
        self.task.build_model = lambda config: copy.deepcopy(model)
        self.task.build_datasets = lambda config: datasets
        self.batch_size = config.train.batch_size
        self.folder = tempfile.TemporaryDirectory(prefix="profile-")  # the runs' output folders

    def config(self, precision: str, output_dir: str | None = None, extra: list[str] = ()):
        options = [*self.overrides, f"train.mixed_precision={precision}", *extra]
        if output_dir:
            options.append(f"train.output_dir={output_dir}")
        return load_config(self.task.config_class, self.path, options)

    def run(self, precision: str, steps: int, on_step, extra: list[str] = ()) -> Path:
        """Train ``steps`` steps in a fresh folder; returns the folder (metrics.csv; the
        checkpoint is deleted)."""
        out = Path(tempfile.mkdtemp(prefix=f"profile-{self.name}-", dir=self.folder.name))
        Trainer(self.task, self.config(PRECISIONS[precision], str(out), extra), show_progress=False,
                on_step=on_step).run(max_steps=steps)
        shutil.rmtree(out / "checkpoints", ignore_errors=True)
        return out


class StepClock:
    """``on_step`` hook: the time at the end of every step (GPU work finished)."""

    def __init__(self, device: str):
        self.device, self.times = device, [time.perf_counter()]

    def __call__(self, step, metrics):
        if self.device == "cuda":
            torch.cuda.synchronize()
        self.times.append(time.perf_counter())

    def step_seconds(self, skip: int) -> list[float]:
        """Durations of the steps after the first ``skip`` (>= 1: a step's start is the previous one's end)."""
        return [b - a for a, b in zip(self.times[skip:], self.times[skip + 1:])]


class DtypeCensus(TorchDispatchMode):
    """Every operator that reaches the kernels: counts by (operator, input dtypes -> output dtype)."""

    def __init__(self):
        super().__init__()
        self.ops: Counter = Counter()
        self.casts: Counter = Counter()  # (from, to) -> elements

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        ins = sorted({str(t.dtype).replace("torch.", "") for t in tree_flatten((args, kwargs))[0]
                      if isinstance(t, torch.Tensor) and t.is_floating_point()})
        outs = sorted({str(t.dtype).replace("torch.", "") for t in tree_flatten(out)[0]
                       if isinstance(t, torch.Tensor) and t.is_floating_point()})
        name = func.overloadpacket.__name__
        self.ops[(name, ",".join(ins), ",".join(outs))] += 1
        if name in ("_to_copy", "copy_") and ins and outs and ins != outs:
            source = args[1] if name == "copy_" else args[0]
            self.casts[(ins[0] if name == "_to_copy" else str(source.dtype).replace("torch.", ""), outs[0])] += \
                source.numel()
        return out


class ProfileHook:
    """``on_step`` hook: ``warmup`` steps, one step under the dtype census, one more (the
    profiler's own warm-up, discarded), then ``steps`` steps under ``torch.profiler``."""

    def __init__(self, device: str, warmup: int, steps: int):
        from torch.profiler import ProfilerActivity, profile, schedule

        activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device == "cuda" else [])
        self.census, self.warmup, self.steps = DtypeCensus(), warmup, steps
        self.profiler = profile(activities=activities, schedule=schedule(wait=0, warmup=1, active=steps),
                                acc_events=True)
        self.total_steps = warmup + 2 + steps
        self.count = 0

    def __call__(self, step, metrics):
        self.count += 1
        if self.count == self.warmup:
            self.census.__enter__()
        elif self.count == self.warmup + 1:
            self.census.__exit__(None, None, None)
            self.profiler.__enter__()
        elif self.count > self.warmup + 1:
            self.profiler.step()
        if self.count == self.total_steps:
            self.profiler.__exit__(None, None, None)


# -- measurement --------------------------------------------------------------------------------
def loss_curve(recipe: Recipe, precision: str, steps: int) -> dict:
    """Training loss every ``steps / 20`` steps and the validation loss (EMA weights) at the end."""
    import csv

    every = max(1, steps // 20)
    out = recipe.run(precision, steps, None, [f"train.log_every={every}", f"train.val_every={steps}"])
    with open(out / "metrics.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    return {"loss": {int(r["step"]): float(r["value"]) for r in rows if r["metric"] == "loss"},
            "val_loss": next((float(r["value"]) for r in rows if r["metric"] == "val_loss"), None)}


def profile_recipe(recipe: Recipe, steps: int, warmup: int, rounds: int, top: int, curve_steps: int = 0) -> dict:
    """Profile, census and timing of both precisions; the numbers and a markdown report."""
    result = {"recipe": recipe.name, "device": recipe.device, "batch_size": recipe.batch_size, "precisions": {}}
    reports = {}
    for precision in PRECISIONS:
        hook = ProfileHook(recipe.device, warmup, steps)
        recipe.run(precision, hook.total_steps, hook)
        reports[precision] = hook
    times = {p: [] for p in PRECISIONS}
    ratios = []
    for r in range(rounds):
        order = list(PRECISIONS) if r % 2 == 0 else list(reversed(PRECISIONS))
        medians = {}
        for precision in order:
            clock = StepClock(recipe.device)
            recipe.run(precision, warmup + steps, clock)
            seconds = clock.step_seconds(warmup)
            times[precision] += seconds
            medians[precision] = statistics.median(seconds)
        ratios.append(medians["fp32"] / medians["bf16"])
    for precision, hook in reports.items():
        seconds = statistics.median(times[precision])
        result["precisions"][precision] = {
            "steps_per_sec": 1.0 / seconds, "median_step_s": seconds, "step_times_s": times[precision],
            "phases": phase_times(hook.profiler, recipe.device, steps),
            # on a GPU the host's share too: kernel set-up (cuDNN plans) and launches are host time
            "top_ops": {clock: top_ops(hook.profiler, clock, steps, top)
                        for clock in (("device", "cpu") if recipe.device == "cuda" else ("cpu",))},
            "census": census_summary(hook.census)}
    result["bf16_speedup"] = statistics.median(ratios)
    result["round_speedups"] = ratios
    if curve_steps:
        result["curves"] = {precision: loss_curve(recipe, precision, curve_steps) for precision in PRECISIONS}
    return result


def _self_time(event, clock: str) -> float:
    """Self time in microseconds on the ``clock`` 'device' (GPU kernels) or 'cpu' (the host)."""
    return event.self_device_time_total if clock == "device" else event.self_cpu_time_total


def phase_times(profiler, device: str, steps: int) -> dict[str, float]:
    """Milliseconds per step in each ``train.*`` range: host time, and on CUDA ``NAME (GPU)`` the
    time of the kernels it launched."""
    events, out = {e.key: e for e in profiler.key_averages() if e.key in PHASES}, {}
    for name in (p for p in PHASES if p in events):
        out[name] = events[name].cpu_time_total / 1000.0 / steps
        if device == "cuda":
            out[f"{name} (GPU)"] = events[name].device_time_total / 1000.0 / steps
    return out


def top_ops(profiler, clock: str, steps: int, top: int) -> list[dict]:
    """The ``top`` operators by self time on ``clock`` ('cpu' or 'device'), per step."""
    events = [e for e in profiler.key_averages() if not e.key.startswith(("train.", "ProfilerStep"))]
    events.sort(key=lambda e: _self_time(e, clock), reverse=True)
    total = sum(_self_time(e, clock) for e in events) or 1.0
    return [{"op": e.key, "ms_per_step": _self_time(e, clock) / 1000.0 / steps,
             "share": _self_time(e, clock) / total, "calls_per_step": e.count / steps} for e in events[:top]]


def census_summary(census: DtypeCensus) -> dict:
    by_dtype: Counter = Counter()
    float64 = Counter()
    for (name, ins, outs), n in census.ops.items():
        by_dtype[outs or "(no float output)"] += n
        if "float64" in ins or "float64" in outs:
            float64[name] += n
    return {"ops": sum(census.ops.values()), "ops_by_output_dtype": dict(by_dtype),
            "casts": {f"{a} -> {b}": n for (a, b), n in census.casts.most_common()},
            "cast_calls": sum(n for (name, ins, outs), n in census.ops.items()
                              if name in ("_to_copy", "copy_") and ins and outs and ins != outs),
            "float64_ops": dict(float64.most_common())}


def report(result: dict) -> str:
    p = result["precisions"]
    lines = [f"## {result['recipe']} ({result['device']}, batch {result['batch_size']})", "",
             markdown_table(["", "fp32", "bf16"], [
                 ["steps/s (median step)", f"{p['fp32']['steps_per_sec']:.2f}", f"{p['bf16']['steps_per_sec']:.2f}"],
                 ["bf16 speed-up (median of rounds)", "", f"{result['bf16_speedup']:.2f}x"],
                 *[[f"{phase} ms/step", f"{p['fp32']['phases'].get(phase, 0):.1f}",
                    f"{p['bf16']['phases'].get(phase, 0):.1f}"] for phase in p["fp32"]["phases"]],
                 ["operators per step (census)", p["fp32"]["census"]["ops"], p["bf16"]["census"]["ops"]],
                 ["dtype casts per step", p["fp32"]["census"]["cast_calls"], p["bf16"]["census"]["cast_calls"]],
             ]), ""]
    for precision in PRECISIONS:
        c = p[precision]["census"]
        lines += [f"### {precision}", "",
                  "Operators by output dtype: " + ", ".join(f"{k} {v}" for k, v in c["ops_by_output_dtype"].items()),
                  "", "Casts (elements per step): "
                  + (", ".join(f"{k} {v:,}" for k, v in c["casts"].items()) or "none"),
                  "", "float64 operators: " + (", ".join(f"{k} x{v}" for k, v in c["float64_ops"].items()) or "none"),
                  ""]
        for clock, ops in p[precision]["top_ops"].items():
            lines += [markdown_table(["operator", f"{'GPU' if clock == 'device' else 'CPU'} ms/step (self)", "share",
                                      "calls/step"],
                                     [[o["op"], f"{o['ms_per_step']:.2f}", f"{o['share']:.1%}",
                                       f"{o['calls_per_step']:g}"] for o in ops]), ""]
    if "curves" in result:
        fp32, bf16 = result["curves"]["fp32"], result["curves"]["bf16"]
        rows = [[step, f"{loss:.4f}", f"{bf16['loss'].get(step, float('nan')):.4f}"]
                for step, loss in fp32["loss"].items()]
        rows.append(["validation (EMA)", *(f"{c['val_loss']:.4f}" if c["val_loss"] is not None else "-"
                                           for c in (fp32, bf16))])
        lines += ["### Loss curves (same seed and data)", "",
                  markdown_table(["step", "fp32 loss", "bf16 loss"], rows), ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipe", default="all", choices=["all", *RECIPES])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu", choices=["cpu", "cuda"])
    parser.add_argument("--steps", type=int, default=5, help="profiled (and timed) steps per run")
    parser.add_argument("--warmup", type=int, default=3, help="steps before measuring")
    parser.add_argument("--rounds", type=int, default=2, help="timed runs per precision (alternating)")
    parser.add_argument("--batch-size", type=int, help="override the recipes' batch size")
    parser.add_argument("--top", type=int, default=15, help="operators listed per precision")
    parser.add_argument("--curve-steps", type=int, default=0, help="also train this many steps in each precision "
                        "and compare the loss curves and final validation losses (0: no curves)")
    parser.add_argument("--data", type=Path, default=ROOT / "runs" / "profile-data",
                        help="stand-in datasets (made with --prepare where a recipe's data is missing)")
    parser.add_argument("--prepare", action="store_true", help="make the missing stand-in datasets first")
    parser.add_argument("--prepare-only", action="store_true", help="make them and stop (to carry them elsewhere)")
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "profile")
    args = parser.parse_args(argv)
    if min(args.steps, args.warmup, args.rounds) < 1:
        parser.error("--steps, --warmup and --rounds must be >= 1")
    if args.device == "cuda" and not torch.cuda.is_available():
        parser.error("--device cuda: no GPU is visible to torch")
    args.out.mkdir(parents=True, exist_ok=True)
    recipes = list(RECIPES) if args.recipe == "all" else [args.recipe]
    results, failed = [], []
    if args.prepare_only:
        for name in recipes:
            data_overrides(name, args.data, True)
        print(f"stand-in data in {args.data}")
        return 0
    for name in recipes:
        overrides = data_overrides(name, args.data, args.prepare)
        if args.batch_size:
            overrides.append(f"train.batch_size={args.batch_size}")
        try:
            result = profile_recipe(Recipe(name, args.device, overrides), args.steps, args.warmup, args.rounds,
                                    args.top, args.curve_steps)
        except Exception:  # noqa: BLE001 - one recipe's missing data must not cost the others' numbers
            traceback.print_exc()
            print(f"{name}: failed (traceback above)", flush=True)
            failed.append(name)
            continue
        (args.out / f"{name}.md").write_text(report(result))
        (args.out / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
        p = result["precisions"]
        print(f"{name}: fp32 {p['fp32']['steps_per_sec']:.2f} steps/s, bf16 {p['bf16']['steps_per_sec']:.2f} "
              f"steps/s, bf16 speed-up {result['bf16_speedup']:.2f}x", flush=True)
        results.append(result)
        write_summary(results, args.out)  # after every recipe: a run stopped early keeps what it measured
    return 1 if failed else 0


def write_summary(results: list[dict], out: Path) -> None:
    def val(r, precision):
        value = r.get("curves", {}).get(precision, {}).get("val_loss")
        return "-" if value is None else f"{value:.4f}"

    rows = [[r["recipe"], r["batch_size"], f"{r['precisions']['fp32']['steps_per_sec']:.2f}",
             f"{r['precisions']['bf16']['steps_per_sec']:.2f}", f"{r['bf16_speedup']:.2f}x", val(r, "fp32"),
             val(r, "bf16")] for r in results]
    table = markdown_table(["recipe", "batch", "fp32 steps/s", "bf16 steps/s", "bf16 speed-up", "fp32 val loss",
                            "bf16 val loss"], rows)
    device = results[0]["device"] if results else "cpu"
    (out / "summary.md").write_text(f"Training steps/s on {device} ({hardware()}):\n\n{table}\n")
    (out / "summary.json").write_text(json.dumps(
        {"hardware": hardware(), "device": device,
         "recipes": {r["recipe"]: {"batch_size": r["batch_size"], "bf16_speedup": r["bf16_speedup"],
                                   **{p: v["steps_per_sec"] for p, v in r["precisions"].items()}}
                     for r in results}}, indent=2) + "\n")


if __name__ == "__main__":
    sys.exit(main())
