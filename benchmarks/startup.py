"""Command start-up: how long the CLI takes from start to its answer, against the floors of issue 30.

Each command runs as a user runs it (a fresh ``python -m emogen`` process, this checkout's code,
``OMP_NUM_THREADS`` unset so the CLI picks its threads), in a scratch folder; the table gives the
median wall time of ``--repeats`` runs and the median CPU time (user + sys) of the same runs. Run it
on a quiet machine: wall time on a shared one measures the other work.

    python benchmarks/startup.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, markdown_table, write_results  # noqa: E402

SENTENCE = "I can't believe you remembered my birthday."
FALLBACK_LINES = [
    "What a lovely surprise, thank you so much!", "I can't stand this anymore.", "The meeting is at noon.",
    "I miss her every single day.", "Watch out, there's someone behind you!", "Wait, you did what?",
    "That smell is disgusting.", "We finally won the championship!", "Nobody came to the party.",
    "Please leave me alone right now.",
]


def text_lines(n: int) -> list[str]:
    """``n`` lines: GoEmotions dev comments where the data is at hand ($EMOGEN_DATA), else a fixed
    set of sentences repeated."""
    try:
        from emogen.text.data import goemotions_dir, read_split

        lines = [e.text for e in read_split(goemotions_dir(), "dev")]
    except Exception:  # no data here: the timing does not depend on which sentences they are
        lines = FALLBACK_LINES
    return [lines[i % len(lines)] for i in range(n)]


def timed(args: list[str], cwd: Path, expect: int) -> tuple[float, float]:
    """(wall s, CPU s) of one ``python -m emogen ARGS`` run; its exit status must be ``expect``."""
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "OMP_WAIT_POLICY", "KMP_BLOCKTIME")}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "emogen", *args], cwd=cwd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != expect:
        raise SystemExit(f"exit status {done.returncode}, expected {expect}: {done.stderr.strip()[-200:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "lines.txt").write_text("\n".join(text_lines(2000)) + "\n", encoding="utf-8")
        cases = [  # (what, CLI arguments, expected exit status, floor in s or None)
            ("`emogen --version` (Python and the CLI alone)", ["--version"], 0, None),
            ("`emogen tts` one sentence, start to file", ["tts", SENTENCE, "--emotion", "happy", "-o", "out.wav"], 0, 3.0),
            ("`emogen tts --intensity 2` (a bad value) to its error", ["tts", SENTENCE, "--intensity", "2", "-o", "bad.wav"],
             2, 1.0),
            ("`emogen tts --guidance nan` (a bad value) to its error", ["tts", SENTENCE, "--guidance", "nan", "-o", "bad.wav"],
             2, 1.0),
            ("`emogen emotions --from-text` one sentence", ["emotions", "--from-text", SENTENCE], 0, 2.5),
            ("`emogen emotions --from-text-file` 2,000 lines", ["emotions", "--from-text-file", "lines.txt"], 0, 4.0),
        ]
        rows, data = [], {}
        for what, cli, expect, floor in cases:
            try:
                runs = [timed(cli, work, expect) for _ in range(args.repeats)]
            except SystemExit as e:  # e.g. a bad value not yet refused before the models load
                rows.append([what, "failed", "", f"<= {floor:g} s" if floor else "", str(e).splitlines()[0]])
                continue
            wall = statistics.median(w for w, _ in runs)
            cpu = statistics.median(c for _, c in runs)
            verdict = "" if floor is None else ("meets" if wall <= floor else "misses")
            rows.append([what, f"{wall:.2f}", f"{cpu:.2f}", f"<= {floor:g} s" if floor else "", verdict])
            data[" ".join(cli[:2])] = {"wall_s": [round(w, 3) for w, _ in runs], "cpu_s": [round(c, 3) for _, c in runs],
                                       "floor_s": floor}
    table = markdown_table(["command", f"wall s (median of {args.repeats})", "CPU s (user+sys)", "floor", ""], rows)
    print(table)
    write_results("startup", "Command start-up", table, {"repeats": args.repeats, "commands": data},
                  notes="Each run is a fresh process (`python -m emogen`, this checkout) in a scratch folder, "
                        "OMP_NUM_THREADS unset. Floors from issue 30, for a quiet 2-core machine.")


if __name__ == "__main__":
    main()
