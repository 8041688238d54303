"""`emogen batch`: real jobs on tiny random-initialised models saved under the shipped names (the
batch loads the default checkpoints); resumability, failure isolation, summary."""

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from emogen.batch import check_job, read_jobs, run_batch
from emogen.cli import main
from emogen.errors import EmogenError



@pytest.fixture(scope="module")
def tiny_checkpoints(tmp_path_factory) -> Path:
    """A checkpoints folder holding a tiny voice and a tiny music model under the shipped names."""
    pytest.importorskip("pyworld")
    pytest.importorskip("phonemizer")
    import torch

    from emogen.emotion import EmotionEncoderConfig
    from emogen.music.model import MusicFlowConfig, MusicFlowModel
    from emogen.speech import acoustic
    from emogen.speech.model import TTSModel, TTSModelConfig

    root = tmp_path_factory.mktemp("checkpoints")
    torch.manual_seed(0)
    TTSModel(TTSModelConfig(emotion=EmotionEncoderConfig(dim=16), feature_dims=acoustic.feature_dims(),
                            encoder_hidden=32, encoder_layers=1, duration_hidden=16, duration_layers=1,
                            decoder_hidden=32, decoder_layers=1)).save_pretrained(root / "tts-slt-emotion", "tiny")
    music = MusicFlowConfig(window_steps=32)
    music.emotion.dim = 16
    music.backbone_config.update(hidden=32, layers=1, heads=2)
    MusicFlowModel(music).save_pretrained(root / "music-emopia", "tiny")
    return root


@pytest.fixture
def tiny_models(tiny_checkpoints, monkeypatch) -> Path:
    monkeypatch.setenv("EMOGEN_CHECKPOINTS", str(tiny_checkpoints))
    return tiny_checkpoints


def write_jobs(path: Path, lines: list) -> Path:
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n")
    return path


def summary(out: Path) -> list[dict]:
    with open(out / "summary.csv", newline="") as f:
        return list(csv.DictReader(f))


def test_check_job_messages():
    assert check_job({"kind": "tts", "text": "Hi."}, 3) == ("tts", "0003-tts")
    assert check_job({"kind": "music", "name": "calm_01"}, 1) == ("music", "calm_01")
    for job, message in [({"kind": "video"}, "unknown job kind 'video'; accepted: tts, talk, music, scene"),
                         ({"kind": "tts", "text": "Hi.", "bars": 2}, "unknown key(s) for a tts job: bars"),
                         ({"kind": "tts"}, 'a tts job needs "text"'),
                         ({"kind": "tts", "text": "Hi.", "name": "../x"}, "job name '../x'"),
                         ({"kind": "tts", "text": "Hi.", "emotion": "happy:7"}, "out of range"),
                         ({"kind": "tts", "text": "Hi.", "seed": "one"}, "seed 'one' is not a whole number"),
                         (["tts"], "must be a JSON object")]:
        with pytest.raises(EmogenError, match=message.replace("(", r"\(").replace(")", r"\)")):
            check_job(job, 1)


def test_read_jobs_reports_bad_lines(tmp_path):
    path = write_jobs(tmp_path / "jobs.jsonl", [{"kind": "tts", "text": "a"}, "", "{not json", "[1, 2]"])
    jobs = read_jobs(path)
    assert [n for n, _ in jobs] == [1, 3, 4]  # empty lines are not jobs
    assert isinstance(jobs[1][1], EmogenError) and "line 3 is not a JSON job" in str(jobs[1][1])
    assert isinstance(jobs[2][1], EmogenError)
    with pytest.raises(EmogenError, match="not found"):
        read_jobs(tmp_path / "missing.jsonl")


def test_batch_runs_isolates_failures_and_resumes(tmp_path, capsys, tiny_models):
    pytest.importorskip("pretty_midi")
    jobs = write_jobs(tmp_path / "jobs.jsonl", [
        {"kind": "tts", "text": "Good morning.", "emotion": "happy", "intensity": 0.8, "steps": 2, "name": "hello"},
        "{this is not json",
        {"kind": "tts", "text": "Nope.", "emotion": "happy:7"},
        {"kind": "music", "emotion": "calm", "bars": 2, "steps": 2, "seed": 3, "picture": True},
        "",
        {"kind": "tts", "text": "See you soon.", "emotion": "sad", "steps": 2, "speed": 9},
    ])
    out = tmp_path / "out"
    assert main(["batch", str(jobs), "--out-dir", str(out)]) == 1  # some jobs failed
    rows = summary(out)
    assert [r["index"] for r in rows] == ["1", "2", "3", "4", "6"]
    assert [r["status"] for r in rows] == ["ok", "failed", "failed", "ok", "failed"]
    assert [r["kind"] for r in rows] == ["tts", "", "tts", "music", "tts"]
    assert "line 2 is not a JSON job" in rows[1]["error"]
    assert "out of range" in rows[2]["error"] and "speed 9" in rows[4]["error"]
    assert rows[0]["output"].endswith("hello.wav") and float(rows[0]["seconds"]) > 0
    import soundfile as sf

    from emogen.speech import TTSPipeline

    audio, sr = sf.read(out / "hello.wav")
    expected, expected_sr = TTSPipeline.from_pretrained()("Good morning.", emotion="happy", intensity=0.8, steps=2)
    assert sr == expected_sr and len(audio) == len(expected) > 0  # the job's options reached the pipeline
    assert np.abs(audio - np.clip(expected, -1, 1)).max() < 1e-4  # 16-bit PCM
    assert (out / "0004-music.mid").stat().st_size > 50 and (out / "0004-music.png").is_file()
    assert sorted(p.name for p in out.iterdir()) == ["0004-music.mid", "0004-music.png", "hello.wav",
                                                     "summary.csv"]  # nothing half-written left behind
    assert "job 3" in capsys.readouterr().err
    # 2. Run again: finished outputs are skipped (untouched), failures are tried and reported again
    stamp = (out / "hello.wav").stat().st_mtime_ns
    assert main(["batch", str(jobs), "--out-dir", str(out)]) == 1
    assert [r["status"] for r in summary(out)] == ["skipped", "failed", "failed", "skipped", "failed"]
    assert (out / "hello.wav").stat().st_mtime_ns == stamp
    # 3. A removed output is made again, and identically (seeded)
    before = (out / "0004-music.mid").read_bytes()
    (out / "0004-music.mid").unlink()
    results = run_batch(jobs, out, progress=False)
    assert results[3].status == "ok" and (out / "0004-music.mid").read_bytes() == before


def test_stop_on_error_and_python_api(tmp_path, tiny_models):
    jobs = [{"kind": "tts", "text": "Hi.", "emotion": "nonsenseword123"},
            {"kind": "tts", "text": "Hello there.", "steps": 2}]
    results = run_batch(jobs, tmp_path, continue_on_error=False, progress=False)
    assert [r.status for r in results] == ["failed", "failed"]
    assert "not run" in results[1].error and not (tmp_path / "0002-tts.wav").exists()
    results = run_batch(jobs, tmp_path, progress=False)  # default: go on after a failure
    assert [r.status for r in results] == ["failed", "ok"] and (tmp_path / "0002-tts.wav").is_file()


def test_missing_jobs_file_is_a_user_error(tmp_path, capsys):
    assert main(["batch", str(tmp_path / "nope.jsonl"), "--out-dir", str(tmp_path / "o")]) == 2
    assert "error: jobs file" in capsys.readouterr().err


@pytest.mark.slow  # starts two processes
def test_jobs_split_across_processes(tmp_path, tiny_models):
    """Two processes (torchrun on CPU, as accelerate launch does on GPUs) share the jobs by index;
    one summary lists all of them."""
    import os
    import subprocess
    import sys

    pytest.importorskip("pretty_midi")
    import torch.distributed

    if not torch.distributed.is_available():
        pytest.skip("torch.distributed is not available in this torch build")
    jobs = write_jobs(tmp_path / "jobs.jsonl", [{"kind": "music", "emotion": e, "bars": 1, "steps": 1}
                                                for e in ("calm", "sad", "happy:9", "angry", "happy")])
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    proc = subprocess.Popen([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                             "-m", "emogen", "batch", str(jobs), "--out-dir", str(tmp_path / "out"), "--progress"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        _, stderr = proc.communicate(timeout=150)
    finally:
        if proc.poll() is None:  # never leave the workers behind
            os.killpg(proc.pid, 9)
            proc.wait()
    assert proc.returncode != 0  # job 3 failed
    rows = summary(tmp_path / "out")
    assert [r["status"] for r in rows] == ["ok", "ok", "failed", "ok", "ok"]
    assert "jobs: 100%|██████████| 3/3" in stderr and "2/2" in stderr  # 3 + 2 jobs, not 5 + 5
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "0001-music.mid", "0002-music.mid", "0004-music.mid", "0005-music.mid", "summary.csv"]
