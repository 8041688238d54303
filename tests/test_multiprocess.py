"""Multi-process training on the CPU: ``accelerate launch --multi_gpu --num_processes 2`` (torchrun
starts two processes; without GPUs DDP runs over gloo) trains the toy recipe, stops, and resumes from
its checkpoint; both ranks end with the same weights. (``accelerate launch --cpu --num_processes 2``
starts one process unless mpirun is set up, so it is not the way to two CPU processes.)"""

import json
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Run by each process: trains (resuming when a checkpoint exists), then writes what the test checks.
SCRIPT = textwrap.dedent("""
    import json, sys
    from pathlib import Path

    from accelerate import PartialState
    from safetensors.torch import save_file

    from emogen.core import load_config
    from emogen.core.toy import Toy2DConfig, Toy2DTask
    from emogen.core.trainer import Trainer

    class Kept(Toy2DTask):  # keeps the model it builds, to save this rank's weights
        def build_model(self, config):
            self.model = super().build_model(config)
            return self.model

    config_path, stop, out = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
    task, losses = Kept(), {}
    result = Trainer(task, load_config(Toy2DConfig, config_path), show_progress=False,
                     on_step=lambda step, metrics: losses.__setitem__(step, metrics["loss"])).run(max_steps=stop)
    rank = PartialState().process_index
    save_file({k: v.contiguous() for k, v in task.model.state_dict().items()}, str(out / f"rank{rank}.safetensors"))
    (out / f"rank{rank}.json").write_text(json.dumps({"step": result.step, "losses": losses}))
""")

CONFIG = """
model:
  emotion: {dim: 16}
  backbone: mlp
  backbone_config: {dim: 2, hidden: 32, layers: 2}
data: {examples: 512, val_examples: 64}
train:
  output_dir: OUTPUT
  max_steps: 8
  batch_size: 32
  learning_rate: 3.0e-3
  warmup_steps: 2
  ema_decay: 0.9
  mixed_precision: "no"
  cpu: true
  log_every: 1
  val_every: 0
  save_every: 4
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch(tmp_path: Path, config: Path, stop: int, out: Path) -> str:
    out.mkdir()
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", PYTHONPATH=str(ROOT))
    command = [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2",
               "--main_process_port", str(free_port()), str(tmp_path / "train.py"), str(config), str(stop), str(out)]
    proc = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)
    try:
        output, _ = proc.communicate(timeout=150)
    finally:
        if proc.poll() is None:  # never leave the workers behind
            os.killpg(proc.pid, 9)
            proc.wait()
    assert proc.returncode == 0, output[-3000:]
    return output


def test_two_process_cpu_launch_trains_and_resumes(tmp_path):
    import torch.distributed

    if not torch.distributed.is_available() or not torch.distributed.is_gloo_available():
        pytest.skip("torch.distributed with gloo is not available in this torch build")
    from safetensors.torch import load_file

    (tmp_path / "train.py").write_text(SCRIPT)
    config = tmp_path / "toy.yaml"
    config.write_text(CONFIG.replace("OUTPUT", str(tmp_path / "run")))

    launch(tmp_path, config, 4, tmp_path / "first")
    checkpoint = tmp_path / "run" / "checkpoints" / "step_0000004"
    assert (checkpoint / "trainer_state.json").is_file()
    assert not (tmp_path / "run" / "model").exists()  # stopped before max_steps: nothing exported
    first = [json.loads((tmp_path / "first" / f"rank{r}.json").read_text()) for r in (0, 1)]
    assert [f["step"] for f in first] == [4, 4]
    assert list(first[0]["losses"]) == list(first[1]["losses"]) == ["1", "2", "3", "4"]
    # each rank trains on its own share of every batch, so their losses differ
    assert first[0]["losses"] != first[1]["losses"]

    output = launch(tmp_path, config, 8, tmp_path / "second")
    assert f"resumed from {checkpoint} at step 4" in output
    second = [json.loads((tmp_path / "second" / f"rank{r}.json").read_text()) for r in (0, 1)]
    assert [s["step"] for s in second] == [8, 8]
    assert list(second[0]["losses"]) == list(second[1]["losses"]) == ["5", "6", "7", "8"]
    logged = [line.split(",") for line in (tmp_path / "run" / "metrics.csv").read_text().splitlines()[1:]]
    assert sorted({int(step) for step, metric, _ in logged if metric == "loss"}) == list(range(1, 9))
    assert (tmp_path / "run" / "model" / "model.safetensors").is_file()
    # gradients are averaged across the ranks, so their weights stay identical
    weights = [load_file(str(tmp_path / "second" / f"rank{r}.safetensors")) for r in (0, 1)]
    assert weights[0].keys() == weights[1].keys()
    assert all(torch.equal(weights[0][k], weights[1][k]) for k in weights[0])


@pytest.mark.slow
def test_batch_jobs_split_under_accelerate_launch(tmp_path):
    """``accelerate launch ... -m emogen batch``: each process takes its share of the jobs (3 + 2 of
    5), every output is written once, and one summary lists all jobs."""
    pytest.importorskip("pretty_midi")
    if not (ROOT / "checkpoints" / "music-emopia").is_dir():
        pytest.skip("the shipped checkpoint music-emopia is not in checkpoints/")
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text("".join(json.dumps({"kind": "music", "emotion": e, "bars": 1, "steps": 1, "seed": i}) + "\n"
                            for i, e in enumerate(("calm", "sad", "happy", "angry", "happy"))))
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", PYTHONPATH=str(ROOT))
    command = [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2",
               "--main_process_port", str(free_port()), "-m", "emogen", "batch", str(jobs), "--out-dir",
               str(tmp_path / "out"), "--device", "cpu"]
    proc = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    try:
        stdout, stderr = proc.communicate(timeout=150)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, 9)
            proc.wait()
    assert proc.returncode == 0, stderr[-3000:]
    assert "3 ok, 0 skipped, 0 failed" in stdout and "2 ok, 0 skipped, 0 failed" in stdout  # one line per process
    rows = (tmp_path / "out" / "summary.csv").read_text().splitlines()
    assert [r.split(",")[:4] for r in rows[1:]] == [[str(i), f"{i:04d}-music", "music", "ok"] for i in range(1, 6)]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [f"{i:04d}-music.mid" for i in range(1, 6)] + [
        "summary.csv"]
