"""TTS real-time factor per emotion: neutral, each emotion at intensity 1, a mixture and a trajectory.

Real-time factor = synthesis time / audio time (text to waveform, model loaded, after one warm-up
sentence), over ``--sentences`` Harvard sentences, for each voice; the CPU column is the process's
CPU time per audio second (every thread), which other work on the machine barely moves. Neutral
and angry are also spoken five sentences to a call, where Piper renders each next sentence while
the current one is finished (``TTSPipeline.stream``). Run it on
a quiet machine with the threads the product uses (``OMP_NUM_THREADS`` unset: one per core), and
with one torch thread, where the natural voices run Piper in a thread beside the model:

    python benchmarks/tts_speed.py [--voice joe joan] [--sentences 10] [--repeats 3]
    OMP_NUM_THREADS=1 python benchmarks/tts_speed.py --name tts_speed_1thread

Floor (issue 26): <= 0.1 on 2 CPU cores for every row. ``benchmarks/tts.py`` measures everything
else (and the same speed over 50 sentences, between its judges).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import markdown_table, write_results  # noqa: E402
from tts import EMOTIONS, HARVARD  # noqa: E402

from emogen.speech.result import SENTENCE_GAP_S  # noqa: E402

ROWS = ["neutral", *[f"{e}:1" for e in EMOTIONS], "happy:0.5+sad:0.5", "neutral>angry", "neutral@0,happy@1.5"]
PARAGRAPH = 5  # sentences per call in the paragraph rows (Piper starts each next sentence early)
PARAGRAPH_ROWS = ["neutral", "angry:1"]


def measure(voice: str, sentences: list[str], repeats: int) -> dict[str, dict]:
    """{row: {"rtf": median over repeats of (synthesis s / audio s), "cpu": CPU s per audio s}} and the load time."""
    from emogen.speech import TTSPipeline

    start = time.perf_counter()
    tts = TTSPipeline.from_pretrained(voice)
    out = {"load_s": time.perf_counter() - start}
    tts(sentences[0], "happy")  # warm-up: first-call allocations and kernel set-up
    paragraphs = [" ".join(sentences[i:i + PARAGRAPH]) for i in range(0, len(sentences), PARAGRAPH)]
    for texts, rows, label in ((sentences, ROWS, ""), (paragraphs, PARAGRAPH_ROWS, f" ({PARAGRAPH}-sentence texts)")):
        for row in rows:
            rtfs, cpus = [], []
            for _ in range(repeats):
                wall = cpu = audio_s = 0.0
                for s in texts:
                    w, c = time.perf_counter(), time.process_time()
                    audio, sr = tts(s, row)
                    wall += time.perf_counter() - w
                    cpu += time.process_time() - c
                    audio_s += len(audio) / sr
                rtfs.append(wall / audio_s)
                cpus.append(cpu / audio_s)
            out[row + label] = {"rtf": statistics.median(rtfs), "cpu": statistics.median(cpus)}
            print(voice, row + label, f"{out[row + label]['rtf']:.3f}", flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voice", nargs="+", default=["joe"], help="voices from `emogen voices`")
    parser.add_argument("--sentences", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3, help="passes over the sentences; the median is kept")
    parser.add_argument("--name", default="tts_speed", help="results file name (and docs block)")
    args = parser.parse_args()
    sentences = HARVARD[: args.sentences]
    results = {voice: measure(voice, sentences, args.repeats) for voice in args.voice}
    rows = []
    for voice, r in results.items():
        rows += [[voice, row, f"{m['rtf']:.3f}", f"{m['cpu']:.3f}", "meets" if m["rtf"] <= 0.1 else "misses"]
                 for row, m in r.items() if row != "load_s"]
    table = markdown_table(["voice", "emotion", "real-time factor", "CPU s per audio s", "floor <= 0.1"], rows)
    print(table)
    write_results(args.name, "TTS real-time factor per emotion (`benchmarks/tts_speed.py`)", table,
                  {"sentences": len(sentences), "repeats": args.repeats, "voices": results},
                  notes=f"{len(sentences)} Harvard sentences, median of {args.repeats} passes, one warm-up "
                        f"sentence, model loaded; the paragraph rows speak the same sentences {PARAGRAPH} to a call "
                        f"(their audio counts the {SENTENCE_GAP_S} s between sentences); trajectories at 'neutral>angry' (over the text) and "
                        "'neutral@0,happy@1.5' (seconds).")


if __name__ == "__main__":
    main()
