import json
from pathlib import Path

import pytest
import torch

from emogen import EmogenError
from emogen.core import EmotionFlowConfig, EmotionFlowModel, load_pretrained
from emogen.emotion import EmotionBatch, EmotionEncoderConfig


def tiny_model():
    torch.manual_seed(0)
    return EmotionFlowModel(EmotionFlowConfig(emotion=EmotionEncoderConfig(dim=8), backbone="mlp",
                                              backbone_config={"dim": 3, "hidden": 16, "layers": 1}))


def test_round_trip(tmp_path):
    model = tiny_model()
    model.save_pretrained(tmp_path / "ckpt", model_card="# card\n")
    files = sorted(p.name for p in (tmp_path / "ckpt").iterdir())
    assert files == ["README.md", "config.json", "model.safetensors"]
    loaded = EmotionFlowModel.from_pretrained(tmp_path / "ckpt")
    generic = load_pretrained(str(tmp_path / "ckpt"))
    for a, b in ((model, loaded), (model, generic)):
        for (k, v), (k2, v2) in zip(a.state_dict().items(), b.state_dict().items()):
            assert k == k2 and torch.equal(v, v2)
    x = torch.randn(2, 3)
    e = model.emotion_encoder(EmotionBatch.from_specs(["happy", "sad"]))
    assert torch.allclose(model.eval()(x, torch.full((2,), 0.5), e), loaded(x, torch.full((2,), 0.5), e))


def test_save_replaces_atomically(tmp_path):
    model = tiny_model()
    model.save_pretrained(tmp_path / "ckpt")
    model.save_pretrained(tmp_path / "ckpt", model_card="# second\n")
    assert (tmp_path / "ckpt" / "README.md").read_text() == "# second\n"
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt"]


def test_corrupt_and_mismatched_checkpoints(tmp_path):
    model = tiny_model()
    ckpt = model.save_pretrained(tmp_path / "ckpt")
    with pytest.raises(EmogenError, match="not found"):
        load_pretrained(tmp_path / "missing")
    weights = ckpt / "model.safetensors"
    good = weights.read_bytes()
    weights.write_bytes(good[: len(good) // 2])
    with pytest.raises(EmogenError, match="is corrupt: model.safetensors cannot be read"):
        load_pretrained(ckpt)
    weights.write_bytes(b"\x00" * 16)
    with pytest.raises(EmogenError, match="is corrupt"):
        load_pretrained(ckpt)
    weights.write_bytes(good)
    config = json.loads((ckpt / "config.json").read_text())
    config["config"]["backbone_config"]["hidden"] = 32
    (ckpt / "config.json").write_text(json.dumps(config))
    with pytest.raises(EmogenError, match="does not match this emotion_flow model: .*wrong shape"):
        load_pretrained(ckpt)
    (ckpt / "config.json").write_text("{not json")
    with pytest.raises(EmogenError, match="config.json is not valid JSON"):
        load_pretrained(ckpt)
    (ckpt / "config.json").write_text(json.dumps({"model_type": "tts_voice", "config": {}}))
    with pytest.raises(EmogenError, match="unknown model type 'tts_voice'"):
        load_pretrained(ckpt)
    with pytest.raises(EmogenError, match="holds a 'tts_voice' model, not 'emotion_flow'"):
        EmotionFlowModel.from_pretrained(ckpt)


def test_shipped_names_resolve_from_the_checkpoints_folder(tmp_path, monkeypatch):
    tiny_model().save_pretrained(tmp_path / "toy-demo")
    monkeypatch.setenv("EMOGEN_CHECKPOINTS", str(tmp_path))
    assert isinstance(load_pretrained("toy-demo"), EmotionFlowModel)
    with pytest.raises(EmogenError, match="shipped name: toy-demo"):
        load_pretrained("toy-missing")


def test_shipped_checkpoints_and_configs_live_inside_the_package(tmp_path, monkeypatch):
    """The package's own folders (what a wheel installs), so any working directory finds them."""
    import emogen
    from emogen.cli import find_config
    from emogen.core.checkpoint import shipped_checkpoints_dir

    monkeypatch.delenv("EMOGEN_CHECKPOINTS", raising=False)
    monkeypatch.chdir(tmp_path)
    package = Path(emogen.__file__).resolve().parent
    assert shipped_checkpoints_dir().resolve() == (package / "checkpoints").resolve()
    recipe = find_config("configs/toy/toy2d.yaml")
    assert recipe == package / "configs" / "toy" / "toy2d.yaml" and recipe.is_file()
    assert find_config("toy/toy2d.yaml") == recipe
    (tmp_path / "configs" / "toy").mkdir(parents=True)
    (tmp_path / "configs" / "toy" / "toy2d.yaml").write_text("train: {}\n")
    assert find_config("configs/toy/toy2d.yaml") == Path("configs/toy/toy2d.yaml")  # the working directory's first
    assert find_config("missing.yaml") == Path("missing.yaml")  # load_config names it in its error
