import csv

import pytest
import torch

from emogen import EmogenError
from emogen.core import load_config
from emogen.core.toy import Toy2DConfig, Toy2DTask
from emogen.core.trainer import BatchIndexStream, Trainer


def losses(path):
    with open(path) as f:
        return {int(r["step"]): float(r["value"]) for r in csv.DictReader(f) if r["metric"] == "loss"}


def test_resume_gives_the_identical_next_step(tmp_path, tiny_toy_config):
    full = tiny_toy_config(tmp_path / "a", max_steps=6)
    full.train.log_every = 1
    full.train.save_every = 3
    Trainer(Toy2DTask(), full, show_progress=False).run()

    part = tiny_toy_config(tmp_path / "b", max_steps=6)
    part.train.log_every = 1
    part.train.save_every = 3
    first = Trainer(Toy2DTask(), part, show_progress=False).run(max_steps=3)
    assert first.step == 3 and first.model_dir is None
    resumed = Trainer(Toy2DTask(), part, show_progress=False).run()
    assert resumed.step == 6 and resumed.model_dir is not None

    a, b = losses(tmp_path / "a" / "run" / "metrics.csv"), losses(tmp_path / "b" / "run" / "metrics.csv")
    for step in (4, 5, 6):
        assert a[step] == pytest.approx(b[step], rel=0, abs=1e-7), step


def test_init_from_starts_from_an_exported_model(tmp_path, tiny_toy_config):
    base = Trainer(Toy2DTask(), tiny_toy_config(tmp_path / "base", max_steps=3), show_progress=False).run()
    tuned_config = tiny_toy_config(tmp_path / "tuned", max_steps=1)
    tuned_config.train.init_from = str(base.model_dir)
    tuned_config.train.learning_rate = 1e-12  # one step that cannot move the weights
    tuned_config.train.ema_decay = 0.0
    tuned = Trainer(Toy2DTask(), tuned_config, show_progress=False).run()
    from emogen.core import load_pretrained
    before, after = load_pretrained(base.model_dir).state_dict(), load_pretrained(tuned.model_dir).state_dict()
    assert all(torch.allclose(before[k], after[k], atol=1e-6) for k in before)
    fresh_config = tiny_toy_config(tmp_path / "fresh", max_steps=1)
    fresh_config.train.learning_rate, fresh_config.train.ema_decay = 1e-12, 0.0
    fresh = load_pretrained(Trainer(Toy2DTask(), fresh_config, show_progress=False).run().model_dir).state_dict()
    assert not all(torch.allclose(before[k], fresh[k], atol=1e-6) for k in before)


def test_accumulation_bf16_ema_and_checkpoint_pruning(tmp_path, tiny_toy_config):
    cfg = tiny_toy_config(tmp_path, max_steps=4)
    cfg.train.grad_accum_steps = 2
    cfg.train.mixed_precision = "bf16"
    cfg.train.save_every = 1
    cfg.train.keep_checkpoints = 2
    cfg.train.val_every = 2
    cfg.train.sample_every = 4
    result = Trainer(Toy2DTask(), cfg, show_progress=False).run()
    kept = sorted(p.name for p in (result.output_dir / "checkpoints").iterdir())
    assert kept == ["step_0000003", "step_0000004"]
    assert "val_loss" in result.metrics and "val_mode_accuracy" in result.metrics
    samples = (result.output_dir / "samples" / "step_0000004" / "samples.csv").read_text().splitlines()
    assert samples[0] == "emotion,intensity,x,y" and len(samples) == 1 + 2 * 2 * 16
    card = (result.model_dir / "README.md").read_text()
    assert "Steps: 4" in card and "bf16" in card
    # EMA weights, not the raw ones, are exported
    from emogen.core import load_pretrained
    exported = load_pretrained(result.model_dir).state_dict()
    assert all(torch.isfinite(v).all() for v in exported.values())


def test_batch_stream_is_a_pure_function_of_the_step():
    stream = BatchIndexStream(10, 4, seed=3)
    seq = [stream(k) for k in range(6)]
    assert BatchIndexStream(10, 4, seed=3)(4) == seq[4]
    epoch0 = sum(seq[:2], []) + seq[2][:2]
    assert sorted(epoch0) == list(range(10))
    ranks = [BatchIndexStream(10, 2, 0, rank=r, world=2)(0) for r in (0, 1)]
    assert set(ranks[0]).isdisjoint(ranks[1])


def test_config_from_yaml_with_overrides(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("train:\n  max_steps: 7\n  learning_rate: 1e-3\ndata:\n  emotions: [angry, calm]\n")
    cfg = load_config(Toy2DConfig, path, ["train.batch_size=16", "model.emotion.dim=8"])
    assert cfg.train.max_steps == 7 and cfg.train.learning_rate == 1e-3 and cfg.train.batch_size == 16
    assert cfg.data.emotions == ["angry", "calm"] and cfg.model.emotion.dim == 8


@pytest.mark.parametrize("overrides, message", [
    (["train.max_step=3"], "unknown key 'train.max_step'; accepted: output_dir, max_steps"),
    (["train.max_steps=many"], "train.max_steps must be an integer"),
    (["train.mixed_precision=fp8"], "must be one of 'auto', 'no', 'fp16', 'bf16'"),
    (["train.max_steps=0"], "max_steps must be >= 1"),
    (["nonsense"], "is not key=value"),
    (["data.emotions=happy"], "must be a list"),
])
def test_config_errors(overrides, message):
    with pytest.raises(EmogenError, match=message.replace("(", r"\(")):
        load_config(Toy2DConfig, None, overrides)


def test_missing_and_invalid_config_files(tmp_path):
    with pytest.raises(EmogenError, match="not found"):
        load_config(Toy2DConfig, tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("train: [unclosed\n")
    with pytest.raises(EmogenError, match="not valid YAML"):
        load_config(Toy2DConfig, bad)


def test_auto_precision_is_bf16_only_where_the_hardware_has_it(monkeypatch):
    import emogen.core.trainer as trainer

    for units, expected in ((True, "bf16"), (False, "no")):
        monkeypatch.setattr(trainer, "cpu_has_bf16_units", lambda: units)
        assert trainer.resolve_mixed_precision("auto", on_gpu=False) == expected
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: False)
    assert trainer.resolve_mixed_precision("auto", on_gpu=True) == "no"
    assert trainer.resolve_mixed_precision("no", on_gpu=False) == "no"
