"""``emogen batch jobs.jsonl --out-dir DIR``: many outputs from one file of jobs.

Each non-empty line is a JSON object::

    {"kind": "tts", "text": "Hello.", "emotion": "happy", "intensity": 0.7, "seed": 0, "name": "hello", "voice": "joan"}
    {"kind": "music", "emotion": "calm", "bars": 8, "audio": true}
    {"kind": "talk", "text": "Hi!", "emotion": "surprised", "image": "face.jpg"}
    {"kind": "scene", "text": "We made it.", "emotion": "auto", "music_volume": 0.3}
    {"kind": "tts", "text": "We leave at dawn.", "emotion_from": "take.wav", "emotion_reference": "neutral.wav"}

``emotion_from`` (a speech recording, face photo, video, MIDI or text file) takes the place of
``emotion``, read as ``--emotion-from`` reads it (``emogen.sources``).

Outputs are ``DIR/NAME.wav`` (tts), ``DIR/NAME.mid`` (+ ``.wav`` / ``.png`` when asked; music)
and ``DIR/NAME.mp4`` (talk, scene); ``NAME`` defaults to ``LINE-KIND`` (``0003-tts``).
Resumable: a job whose output exists is skipped, and outputs are written atomically, so a killed
run leaves no half file. A failing job is reported and the rest go on; ``DIR/summary.csv`` lists
every job (index, name, kind, status, output, seconds, error).

Several GPUs: ``accelerate launch -m emogen batch jobs.jsonl --out-dir DIR``; process ``p`` of
``n`` takes jobs ``i`` with ``i % n == p`` and the main process writes the summary after all finish.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import re
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from . import checks as C
from .errors import EmogenError
from .io import ensure_dir, write_text_atomic

KINDS = ("tts", "talk", "music", "scene")
COMMON = {"kind", "name", "text", "emotion", "intensity", "seed", "emotion_from", "emotion_reference"}
OPTIONS = {  # kind -> job keys passed on to the pipeline (beyond COMMON)
    "tts": {"steps", "guidance_scale", "negative", "negative_scale", "speed", "text_guidance", "voice"},
    "music": {"bars", "key", "tempo", "time_signature", "steps", "guidance_scale", "negative", "negative_scale",
              "audio", "picture"},
    "talk": {"image", "audio", "steps", "guidance_scale", "negative", "negative_scale", "speed", "voice"},
    "scene": {"image", "music", "music_volume", "bars", "steps", "guidance_scale", "negative", "negative_scale",
              "speed", "voice"},
}
SUFFIX = {"tts": ".wav", "music": ".mid", "talk": ".mp4", "scene": ".mp4"}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,120}$")
SUMMARY_FIELDS = ("index", "name", "kind", "status", "output", "seconds", "error")


@dataclass
class JobResult:
    index: int  # line number in the jobs file (1-based), or position in the list
    name: str
    kind: str
    status: str  # ok | skipped | failed
    output: str
    seconds: float
    error: str = ""


def read_jobs(path: str | os.PathLike) -> list[tuple[int, dict | Exception]]:
    """(line number, job dict or the parse error) for every non-empty line of a JSONL file."""
    path = Path(path)
    if not path.is_file():
        raise EmogenError(f"jobs file '{path}' not found")
    jobs: list[tuple[int, dict | Exception]] = []
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise EmogenError(f"cannot read jobs file '{path}': {e}") from None
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            job = json.loads(line)
            if not isinstance(job, dict):
                raise ValueError("a job must be a JSON object {...}")
            jobs.append((number, job))
        except ValueError as e:
            jobs.append((number, EmogenError(f"line {number} is not a JSON job object ({e})")))
    return jobs


def check_job(job: dict, index: int) -> tuple[str, str]:
    """(kind, output stem) of a valid job; an EmogenError naming the problem otherwise."""
    if not isinstance(job, dict):
        raise EmogenError(f"job {index} must be a JSON object / dict, got {type(job).__name__}")
    kind = job.get("kind")
    if kind not in KINDS:
        raise EmogenError(f"unknown job kind {kind!r}; accepted: {', '.join(KINDS)}")
    unknown = sorted(set(job) - COMMON - OPTIONS[kind])
    if unknown:
        raise EmogenError(f"unknown key(s) for a {kind} job: {', '.join(unknown)}; accepted: "
                          f"{', '.join(sorted(COMMON | OPTIONS[kind]))}")
    name = job.get("name") or f"{index:04d}-{kind}"
    if not isinstance(name, str) or not _NAME.match(name):
        raise EmogenError(f"job name {name!r} must be letters, digits, '.', '_' or '-' (no folders)")
    if kind != "music" and not (kind == "talk" and job.get("audio")) and not str(job.get("text") or "").strip():
        raise EmogenError(f"a {kind} job needs \"text\"")
    _check_numbers(job, kind)
    if job.get("voice") is not None:
        from .speech.voices import get_voice

        if not isinstance(job["voice"], str):
            raise EmogenError(f"voice must be a voice name (see `emogen voices`), got {job['voice']!r}")
        get_voice(job["voice"])
    emotion = job.get("emotion", "neutral")
    if not isinstance(emotion, str):
        raise EmogenError(f"emotion must be a spec string (e.g. \"sad:0.7\"), got {emotion!r}")
    from .emotion import parse_emotion
    from .text.auto import parse_auto

    if job.get("emotion_from") is not None or job.get("emotion_reference") is not None:
        from .sources import check_source

        if "emotion" in job or job.get("intensity") is not None or job.get("emotion_from") is None:
            raise EmogenError("give \"emotion_from\" (with an optional \"emotion_reference\") instead of "
                              "\"emotion\" and \"intensity\", not with them")
        check_source(str(job["emotion_from"]), job.get("emotion_reference"))
    elif parse_auto(emotion) is None:  # a bad spec fails here, before any model loads
        parse_emotion(emotion, job.get("intensity"))
    return kind, name


def _check_numbers(job: dict, kind: str) -> None:
    """Every numeric job key finite and in its range (``emogen.checks``), before any model loads."""
    music = kind == "music"
    ranges = {"intensity": (C.INTENSITY, False), "seed": (C.SEED, True),
              "steps": (C.MUSIC_STEPS if music else C.STEPS, True),
              "guidance_scale": (C.MUSIC_GUIDANCE if music else C.GUIDANCE, False),
              "negative_scale": (C.NEGATIVE_SCALE, False), "speed": (C.SPEED, False),
              "text_guidance": (C.GUIDANCE, False), "bars": (C.BARS, True), "tempo": (C.TEMPO, False),
              "music_volume": ((0.0, 4.0), False)}
    for key, ((low, high), integer) in ranges.items():
        if job.get(key) is not None:
            C.check_number(job[key], key, low, high, integer)


def run_job(job: dict, kind: str, output: Path, device: str = "cpu") -> None:
    """Make one job's output(s) with the shared pipelines (``emogen.pipelines``); the primary
    ``output`` is saved last, so it marks completion."""
    from .io import all_or_nothing
    from .pipelines import load_pipeline

    common = {"emotion": job.get("emotion", "neutral"), "intensity": job.get("intensity"),
              "seed": int(job.get("seed", 0))}
    opts = {k: v for k, v in job.items() if k in OPTIONS[kind]}
    if job.get("emotion_from") is not None:  # read as --emotion-from reads it (a music job's keyframes in its steps)
        from .sources.cli import emotion_from_file

        common["emotion"] = emotion_from_file(job["emotion_from"], job.get("emotion_reference"),
                                              int(job.get("bars", 16)) if kind == "music" else None,
                                              job.get("time_signature"))
    if kind == "tts":
        load_pipeline("tts", opts.pop("voice", None), device=device)(job["text"], **common, **opts).save(output)
    elif kind == "music":
        want_audio, want_picture = bool(opts.pop("audio", False)), bool(opts.pop("picture", False))
        if job.get("text") and str(common["emotion"]).strip().lower().startswith("auto"):
            from .scene.pipeline import resolve_scene_emotion  # a text prompt sets the music's emotion
            common["emotion"] = resolve_scene_emotion(job["text"], common.pop("emotion"), common.pop("intensity"))
            common["intensity"] = None
        piece = load_pipeline("music", device=device)(**common, **opts)
        with all_or_nothing():  # a piece's files appear together
            if want_audio:
                piece.save(output.with_suffix(".wav"))
            if want_picture:
                piece.save(output.with_suffix(".png"))
            piece.save(output)
    elif kind == "talk":
        audio = opts.pop("audio", None)
        clip = load_pipeline("talk", device=device)(text=job.get("text") if audio is None else None, audio=audio,
                                                    **common, **opts)
        clip.save(output)
    else:
        from .scene.pipeline import ScenePipeline

        scene = ScenePipeline(device=device)  # its voice, face and music are the shared ones above
        scene(job["text"], common["emotion"], common["intensity"], seed=common["seed"], **opts).save(output)


def run_batch(jobs, out_dir: str | os.PathLike, continue_on_error: bool = True, device: str | None = None,
              progress: bool = True) -> list[JobResult]:
    """Run ``jobs`` (a JSONL path or a list of dicts) into ``out_dir``; returns one JobResult per
    job (this process's share under ``accelerate launch``) and writes ``out_dir/summary.csv``."""
    from tqdm.auto import tqdm

    entries = read_jobs(jobs) if isinstance(jobs, (str, os.PathLike)) else list(enumerate(jobs, 1))
    out = ensure_dir(out_dir)
    state = _distributed_state(device)
    rank, world = (state.process_index, state.num_processes) if state else (0, 1)
    device = device or (str(state.device) if state else "cpu")
    mine = [e for i, e in enumerate(entries) if i % world == rank]
    results, stop = [], False
    for index, job in tqdm(mine, desc="jobs", disable=not progress, file=sys.stderr):
        started = time.perf_counter()
        name, kind, output = f"{index:04d}", "", ""
        try:
            if stop:
                raise EmogenError("not run: an earlier job failed (--no-continue-on-error)")
            if isinstance(job, Exception):
                raise job
            if isinstance(job, dict) and job.get("kind") in KINDS:  # named in the summary even if invalid
                kind = job["kind"]
                name = job["name"] if isinstance(job.get("name"), str) else f"{index:04d}-{kind}"
            kind, name = check_job(job, index)
            target = out / f"{name}{SUFFIX[kind]}"
            output = str(target)
            if target.exists():
                results.append(JobResult(index, name, kind, "skipped", output, 0.0))
                continue
            run_job(job, kind, target, device)
            results.append(JobResult(index, name, kind, "ok", output, round(time.perf_counter() - started, 3)))
        except Exception as e:  # noqa: BLE001 - one bad job (or a bug it hits) must not stop the rest
            message = str(e) if isinstance(e, EmogenError) else f"{type(e).__name__}: {e}"
            results.append(JobResult(index, name, kind, "failed", output, round(time.perf_counter() - started, 3),
                                     message))
            print(f"job {index} ({name}): error: {message}", file=sys.stderr)
            stop = stop or not continue_on_error
    return _gather_and_summarise(results, out, state)


def _distributed_state(device: str | None):
    """accelerate's PartialState when launched as several processes (``accelerate launch``,
    ``torchrun``), else None. Without GPUs (or with ``device='cpu'``) the processes share the CPU."""
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return None
    import torch
    from accelerate import PartialState

    state = PartialState(cpu=str(device) == "cpu" or not torch.cuda.is_available())
    return state if state.num_processes > 1 else None


def _gather_and_summarise(results: list[JobResult], out: Path, state) -> list[JobResult]:
    if state is None:
        write_summary(results, out / "summary.csv")
        return results
    part = out / f".summary.part{state.process_index}.json"
    write_text_atomic(part, json.dumps([asdict(r) for r in results]))
    state.wait_for_everyone()
    if state.is_main_process:
        rows = []
        for p in range(state.num_processes):
            path = out / f".summary.part{p}.json"
            rows += [JobResult(**r) for r in json.loads(path.read_text())]
            path.unlink()
        write_summary(sorted(rows, key=lambda r: r.index), out / "summary.csv")
    state.wait_for_everyone()
    return results


def write_summary(results: list[JobResult], path: Path) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=SUMMARY_FIELDS, lineterminator="\n")
    writer.writeheader()
    for r in results:
        writer.writerow(asdict(r))
    write_text_atomic(path, buffer.getvalue())


def add_batch_parser(commands) -> None:
    p = commands.add_parser(
        "batch", help="run many tts / talk / music / scene jobs from a JSONL file",
        description="Each line of JOBS is a JSON job, e.g. {\"kind\": \"tts\", \"text\": \"Hello.\", \"emotion\": "
                    "\"happy\"}. Finished outputs are skipped (resumable); failures are reported and the rest go on; "
                    "DIR/summary.csv lists every job. "
                    "Several GPUs: accelerate launch -m emogen batch JOBS --out-dir DIR.")
    p.add_argument("jobs", help="a .jsonl file, one job per line")
    p.add_argument("--out-dir", required=True, help="folder for the outputs and summary.csv")
    p.add_argument("--continue-on-error", action=argparse.BooleanOptionalAction, default=True,
                   help="go on after a failing job (default); --no-continue-on-error stops at the first")
    p.add_argument("--device", help="cpu, cuda, cuda:1 ... (default: cpu, or each process's GPU under accelerate)")
    from .cli_args import add_progress_option

    add_progress_option(p)
    p.set_defaults(run=_run_batch_command)


def _run_batch_command(args) -> int:
    from .cli_args import show_progress

    results = run_batch(args.jobs, args.out_dir, args.continue_on_error, args.device, progress=show_progress(args))
    counts = {s: sum(r.status == s for r in results) for s in ("ok", "skipped", "failed")}
    print(f"{counts['ok']} ok, {counts['skipped']} skipped, {counts['failed']} failed; "
          f"summary in {Path(args.out_dir) / 'summary.csv'}")
    return 1 if counts["failed"] else 0
