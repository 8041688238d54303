"""Shared by the benchmark scripts: hardware description and writing results into the docs pages."""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import re
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
# EMOGEN_BENCH_OUT=DIR sends results and figures to DIR and leaves the README alone
# (benchmarks/gpu_suite.py: measurements on another machine, and its --quick check)
REDIRECT = os.environ.get("EMOGEN_BENCH_OUT")
RESULTS = Path(REDIRECT) if REDIRECT else ROOT / "benchmarks" / "results"


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


def write_results(name: str, title: str, table: str, data: dict, notes: str = "",
                  figures: list[Path] | None = None) -> Path:
    """Write ``results/<name>.md`` and ``.json`` and refresh the block for ``name`` in the docs page
    that holds its marker (``docs/*.md`` or the README).

    ``figures`` (PNGs under ``docs/figures/``) are embedded after the table, linked relative
    to each file that shows them."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d")
    # timings depend on what else runs: say how busy the machine was when the run ended
    load = f"; 1-minute load average at the end {os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else ""

    def body(relative_to: Path) -> str:
        text = f"### {title}\n\nMeasured {stamp} on {hardware()}{load}.\n\n{table.strip()}\n"
        if figures:
            text += "\n" + " ".join(f"![{p.stem}]({os.path.relpath(p, relative_to).replace(os.sep, '/')})"
                                    for p in figures) + "\n"
        return text + (f"\n{notes.strip()}\n" if notes else "")

    (RESULTS / f"{name}.md").write_text(body(RESULTS))
    (RESULTS / f"{name}.json").write_text(json.dumps({"date": stamp, "hardware": hardware(), **data,
                                                      "figures": [p.name for p in figures or []]}, indent=2) + "\n")
    if not REDIRECT:  # EMOGEN_BENCH_OUT: results go there and the pages stay as they are
        update_block(name, body)
    return RESULTS / f"{name}.md"


def update_block(name: str, body) -> None:
    """Replace the text between ``<!-- results:NAME -->`` and ``<!-- /results:NAME -->`` in every
    page (README.md, docs/*.md) that has the markers; ``body(folder)`` gives the text with links
    relative to that page's folder."""
    start, end = f"<!-- results:{name} -->", f"<!-- /results:{name} -->"
    pages = [p for p in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))] if start in p.read_text()]
    if not pages:
        print(f"no page has the {start} marker; results left in benchmarks/results/{name}.md")
    for page in pages:
        block = f"{start}\n{body(page.parent).strip()}\n{end}"
        text = re.sub(re.escape(start) + r".*?" + re.escape(end), lambda _: block, page.read_text(), flags=re.S)
        page.write_text(text)


def markdown_table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(x) for x in row) + " |" for row in rows]
    return "\n".join(lines)


# -- figures and published numbers -------------------------------------------------------------------------
FIGURES = RESULTS / "figures" if REDIRECT else ROOT / "docs" / "figures"  # inside the docs site, so its pages can show them


def figure_path(name: str) -> Path:
    """``docs/figures/NAME`` (folder made on demand); figures are small PNGs kept in git."""
    FIGURES.mkdir(parents=True, exist_ok=True)
    return FIGURES / name


# Published numbers of the systems the issue compares with. Only figures we can cite exactly are
# given (paper/report and where in it); ``value`` None means the source reports such a figure but
# we could not check the number offline, so the cell stays empty rather than quoting from memory.
PUBLISHED = {
    "liveportrait_speed": {"system": "LivePortrait", "value": "12.8 ms per frame",
                           "hardware": "RTX 4090 GPU, PyTorch",
                           "source": "Guo et al. 2024, LivePortrait, arXiv:2407.03168, abstract"},
    "sadtalker_speed": {"system": "SadTalker", "value": "30+ min per min of audio",
                        "hardware": "users' GPUs (unstated)",
                        "source": "user reports collected in docs/research.md, not a paper figure"},
    "cosyvoice_emotion": {"system": "CosyVoice 2", "value": None, "hardware": "GPU",
                          "source": "Du et al. 2024, CosyVoice 2 (arXiv:2412.10117), Results on Instructed "
                                    "Generation: instructions (emotion among 29 types) are scored by listeners as "
                                    "MOS-I (1-5) on 290 Chinese samples; no classifier emotion accuracy is reported"},
    "matcha_rtf": {"system": "Matcha-TTS", "value": "0.40 (0.14 with the Vocos vocoder)", "hardware": "CPU (unstated)",
                   "source": "third-party measurement of a 100-speaker Russian Matcha model, N. Shmyrev, "
                             "alphacephei.com/nsh/2025/01/03/matcha-tts-notes.html (\"CPU xRT\"); the paper's own "
                             "RTF table (Mehta et al. 2024, ICASSP) is on GPU and could not be read offline"},
    "piper_rtf": {"system": "Piper", "value": "0.082 (high-quality voice)", "hardware": "AMD Ryzen 9 5950X CPU",
                  "source": "no paper; a user benchmark in the project's tracker, github.com/rhasspy/piper/issues/235 "
                            "(more in issue #33); the README and VOICES.md give no speed figure"},
    "emopia_classifier": {"system": "EMOPIA symbolic classifier (MIDI-like events + LSTM-attention)",
                          "value": "0.684", "hardware": "GPU (unstated)",
                          "source": "Hung et al. 2021, EMOPIA (ISMIR); 4-quadrant test accuracy of the best "
                                    "checkpoint in the authors' classification code, github.com/seungheondoh/"
                                    "EMOPIA_cls, midi_cls/exp/EMOPIA/ar_va/magenta/.../results_last.json (the "
                                    "paper's table is an image we could not read offline)"},
}


def comparison_table(rows: list[tuple[str, str, str]]) -> str:
    """A table of (measure, emogen's value, PUBLISHED key) next to the published figure.

    emogen's hardware is the one in the block's "Measured ... on" line; a published value we could
    not verify offline is left empty ("not quoted")."""
    out = []
    for measure, ours, key in rows:
        ref = PUBLISHED[key]
        out.append([measure, ours, ref["system"], ref["value"] or "(not quoted)", ref["hardware"], ref["source"]])
    return markdown_table(["measure", "emogen (this machine)", "system", "published", "their hardware", "source"], out)
