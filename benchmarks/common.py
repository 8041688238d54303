"""Shared by the benchmark scripts: hardware description and writing results into the README."""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import re
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"


def hardware() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    threads = torch.get_num_threads()
    text = f"{cpu}, {os.cpu_count()} cores ({threads} torch threads), torch {torch.__version__}"
    if torch.cuda.is_available():
        text += f", GPU {torch.cuda.get_device_name(0)}"
    return text


def write_results(name: str, title: str, table: str, data: dict, notes: str = "") -> Path:
    """Write ``results/<name>.md`` and ``.json`` and refresh the README's block for ``name``."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d")
    body = f"### {title}\n\nMeasured {stamp} on {hardware()}.\n\n{table.strip()}\n"
    if notes:
        body += f"\n{notes.strip()}\n"
    (RESULTS / f"{name}.md").write_text(body)
    (RESULTS / f"{name}.json").write_text(json.dumps({"date": stamp, "hardware": hardware(), **data}, indent=2) + "\n")
    update_readme(name, body)
    return RESULTS / f"{name}.md"


def update_readme(name: str, body: str) -> None:
    """Replace the text between ``<!-- results:NAME -->`` and ``<!-- /results:NAME -->``."""
    readme = ROOT / "README.md"
    text = readme.read_text()
    start, end = f"<!-- results:{name} -->", f"<!-- /results:{name} -->"
    block = f"{start}\n{body.strip()}\n{end}"
    if start in text:
        text = re.sub(re.escape(start) + r".*?" + re.escape(end), lambda _: block, text, flags=re.S)
    else:
        print(f"README has no {start} marker; results left in benchmarks/results/{name}.md")
        return
    readme.write_text(text)


def markdown_table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(x) for x in row) + " |" for row in rows]
    return "\n".join(lines)
