import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from emogen.cli import main
from emogen.core import load_pretrained
from emogen.core.config import load_config, to_dict
from emogen.core.toy import Toy2DConfig


def run(capsys, *args):
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_emotions_lists_categories(capsys):
    code, out, _ = run(capsys, "emotions")
    assert code == 0
    for name in ("neutral", "happy", "sad", "angry", "fearful", "surprised", "disgusted", "calm"):
        assert name in out
    code, out, _ = run(capsys, "emotions", "--json")
    assert {row["emotion"] for row in json.loads(out)} >= {"happy", "calm"}


def test_emotions_resolves_a_spec_as_json(capsys):
    code, out, _ = run(capsys, "emotions", "happy:0.6+surprised:0.4", "--json")
    info = json.loads(out)
    assert code == 0 and {"valence", "arousal", "dominance", "intensity", "components"} <= set(info)
    assert info["components"] == [{"emotion": "happy", "weight": 0.6}, {"emotion": "surprised", "weight": 0.4}]
    code, out, _ = run(capsys, "emotions", "sad", "--intensity", "0.7", "--json")
    assert json.loads(out)["intensity"] == 0.7
    code, out, _ = run(capsys, "emotions", "neutral>sad")
    assert code == 0 and "keyframe" in out and "arousal +1" in out


@pytest.mark.parametrize("args, message", [
    (["emotions", "hapy"], "error: unknown emotion 'hapy'; did you mean 'happy'"),
    (["emotions", "sad", "--intensity", "1.5"], "error: argument --intensity: 1.5 is out of range; accepted: 0 to 1"),
    (["emotions", ""], "error: empty emotion spec"),
    (["train", "nothing"], "error: unknown training task 'nothing'; accepted: toy2d"),
    (["train", "toy2d", "train.max_step=1"], "error: unknown key 'train.max_step'"),
])
def test_bad_input_is_one_line_and_exit_2(capsys, args, message):
    code, out, err = run(capsys, *args)
    assert code == 2 and err.startswith(message) and err.count("\n") == 1 and out == ""


def test_train_from_the_command_line_writes_a_loadable_model(tmp_path, capsys):
    overrides = [f"train.output_dir={tmp_path}", "train.max_steps=3", "data.examples=64", "train.batch_size=8",
                 "train.mixed_precision=no"]
    code, out, _ = run(capsys, "train", "toy2d", "--config", "configs/toy/toy2d.yaml", *overrides)
    assert code == 0 and out.strip().endswith(f"model written to {tmp_path / 'model'}")
    model = load_pretrained(tmp_path / "model")
    assert model.config.emotion.dim == 32  # from configs/toy/toy2d.yaml
    # the card gives the exact command and the configuration that config file and overrides make
    card = (tmp_path / "model" / "README.md").read_text()
    command = shlex.join(["emogen", "train", "toy2d", "--config", "configs/toy/toy2d.yaml", *overrides])
    assert f"- Command: `{command}`" in card and "- Steps: 3" in card
    recorded = yaml.safe_load(card.split("```yaml", 1)[1].split("```", 1)[0])
    expected = load_config(Toy2DConfig, "configs/toy/toy2d.yaml", overrides)
    assert recorded == to_dict(expected) and recorded["train"]["max_steps"] == 3


def test_console_script_and_module_entry_points():
    done = subprocess.run([sys.executable, "-m", "emogen", "emotions", "wistful", "--json"],
                          capture_output=True, text=True, check=True)
    assert json.loads(done.stdout)["word"] == "wistful"


@pytest.mark.parametrize("args", [
    ["tts", "Hi", "--intensity", "2", "-o", "x.wav"],
    ["talk", "--text", "Hi", "--emotion", "sad", "--intensity", "2", "-o", "x.mp4"],
    ["emotions", "--from-text", "Hi", "--intensity", "0.5"],
])
def test_bad_values_are_reported_before_torch_loads(tmp_path, args):
    """Start-up: validation comes before the heavy imports, so a mistake is reported at once."""
    code = ("import sys; from emogen.cli import main; code = main(sys.argv[1:]); "
            "sys.exit(code if 'torch' not in sys.modules else 99)")
    done = subprocess.run([sys.executable, "-c", code, *args], cwd=tmp_path, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
    assert done.returncode == 2 and done.stderr.startswith("error:"), done.stderr
    assert not list(tmp_path.iterdir())
