"""TTS speed on a CPU that other work shares: real-time factor alone and beside two busy processes.

Two thread settings are compared, each in a fresh process:
- ``emogen``: what the CLI does (:func:`emogen.cpu.configure_threads`: threads = free cores,
  OpenMP's passive wait policy);
- ``torch default``: one thread per core, OpenMP's default (spinning) wait.

"Busy" is two processes each spinning one core in a Python loop, started two seconds before the
TTS process. Real-time factor = synthesis time / audio time over ``--sentences`` sentences after one
warm-up sentence (model loading excluded). Floor (issue 30): busy <= 3x quiet for the ``emogen``
setting. Meaningful only on a machine where nothing else runs.

    python benchmarks/shared_cpu.py [--sentences 10]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SENTENCES = [
    "The birch canoe slid on the smooth planks.", "Glue the sheet to the dark blue background.",
    "It's easy to tell the depth of a well.", "These days a chicken leg is a rare dish.",
    "Rice is often served in round bowls.", "The juice of lemons makes fine punch.",
    "The box was thrown beside the parked truck.", "The hogs were fed chopped corn and garbage.",
    "Four hours of steady work faced us.", "A large size in stockings is hard to sell.",
]
SETTINGS = ("emogen", "torch default")
OMP_VARIABLES = ("OMP_NUM_THREADS", "OMP_WAIT_POLICY", "KMP_BLOCKTIME")


def worker(setting: str, sentences: int) -> None:
    """In the TTS process: pick threads, synthesise, print one JSON line."""
    threads = None
    if setting == "emogen":
        from emogen.cpu import configure_threads

        threads = configure_threads()
    import torch

    from emogen.speech import TTSPipeline

    tts = TTSPipeline.from_pretrained("tts-slt-emotion")
    tts(SENTENCES[0], "happy")  # warm-up
    synth_s = audio_s = 0.0
    for i in range(sentences):
        start = time.perf_counter()
        audio, sr = tts(SENTENCES[i % len(SENTENCES)], "happy")
        synth_s += time.perf_counter() - start
        audio_s += len(audio) / sr
    print(json.dumps({"rtf": synth_s / audio_s, "threads": torch.get_num_threads(), "chosen": threads,
                      "wait_policy": os.environ.get("OMP_WAIT_POLICY", "default")}))


def run(setting: str, busy: int, sentences: int) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in OMP_VARIABLES}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(busy)]
    try:
        if spinners:
            time.sleep(2.0)
        done = subprocess.run([sys.executable, __file__, "--worker", setting, "--sentences", str(sentences)],
                              env=env, capture_output=True, text=True, check=True)
    finally:
        for p in spinners:
            p.kill()
            p.wait()
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=10)
    parser.add_argument("--worker", choices=SETTINGS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args.worker, args.sentences)
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from common import markdown_table, write_results  # imports torch: never in the worker, before its thread choice

    rows, data = [], {}
    for setting in SETTINGS:
        quiet, busy = run(setting, 0, args.sentences), run(setting, 2, args.sentences)
        ratio = busy["rtf"] / quiet["rtf"]
        data[setting] = {"quiet": quiet, "two_busy": busy, "ratio": ratio}
        rows.append([setting, f"{quiet['rtf']:.3f} ({quiet['threads']} threads)",
                     f"{busy['rtf']:.3f} ({busy['threads']} threads)", f"{ratio:.1f}x",
                     ("meets" if ratio <= 3 else "misses") if setting == "emogen" else ""])
    table = markdown_table(["threads", "RTF quiet", "RTF beside 2 busy processes", "busy / quiet",
                            "floor <= 3x"], rows)
    print(table)
    write_results("shared_cpu", "TTS on a shared CPU", table, {"sentences": args.sentences, **data},
                  notes="Busy = two `python -c 'while True: pass'` processes. `emogen` = the CLI's thread choice "
                        "(emogen/cpu.py): free cores, OMP_WAIT_POLICY=PASSIVE, KMP_BLOCKTIME=0.")


if __name__ == "__main__":
    main()
