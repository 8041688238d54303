"""Recipes as files: every YAML in configs/ fills its task's config strictly, and every shipped
model card names config files that exist and give the configuration the card records."""

import re
import shlex
from pathlib import Path

import pytest
import yaml

from emogen.core.config import load_config, to_dict
from emogen.cli import TASKS, get_task
from emogen.errors import EmogenError

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = sorted((ROOT / "configs").rglob("*.yaml"))
CARDS = sorted((ROOT / "checkpoints").glob("*/README.md"))
# configs/<folder>/ holds the recipes of one training task
FOLDER_TASK = {"toy": "toy2d", "tts": "tts", "ser": "ser", "text": "text-emotion", "music": "music",
               "face": "face"}
# model fields the task measures from the data while training (feature statistics, calibrated
# duration scale); a card records the measured value, a recipe cannot
FITTED = {"model.feature_mean", "model.feature_std", "model.duration_scale"}
COMMAND = re.compile(r"^- Command: `([^`]*)`", re.MULTILINE)


def flat(d: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in d.items():
        if isinstance(v, dict) and v:
            out.update(flat(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def test_every_config_folder_belongs_to_a_task():
    assert set(FOLDER_TASK.values()) <= set(TASKS)
    assert {p.parent.name for p in CONFIGS} <= set(FOLDER_TASK)


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: str(p.relative_to(ROOT)))
def test_config_loads_strictly(path):
    """Loading fails on any unknown key, so every key of the file is one the task reads."""
    cls = get_task(FOLDER_TASK[path.parent.name]).config_class
    config = load_config(cls, path)
    written = flat(yaml.safe_load(path.read_text()))
    loaded = flat(to_dict(config))
    assert set(written) <= set(loaded)


# recipes that train a second model of a task from scratch, and the settings they change from its
# defaults (the task's one base recipe)
VARIANTS = {
    "configs/ser/ser-ravdess-whisper.yaml": {"model.encoder", "model.n_features", "train.output_dir"},
}


def base_recipe(path: Path) -> bool:
    """A recipe trained from scratch, not a later stage of a chain (``train.init_from``) or a variant."""
    if str(path.relative_to(ROOT)) in VARIANTS:
        return False
    return not (yaml.safe_load(path.read_text()).get("train") or {}).get("init_from")


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_variants_change_only_what_they_declare(name):
    path = ROOT / name
    cls = get_task(FOLDER_TASK[path.parent.name]).config_class
    recipe, defaults = flat(to_dict(load_config(cls, path))), flat(to_dict(cls()))
    assert {k for k in set(recipe) | set(defaults) if recipe.get(k) != defaults.get(k)} == VARIANTS[name]


def test_every_task_has_one_base_recipe():
    """The defaults can be one recipe only, so each task ships one recipe that starts from scratch."""
    folders = [p.parent.name for p in CONFIGS if base_recipe(p)]
    assert sorted(folders) == sorted({p.parent.name for p in CONFIGS})


@pytest.mark.parametrize("path", [p for p in CONFIGS if base_recipe(p)], ids=lambda p: str(p.relative_to(ROOT)))
def test_defaults_are_the_recipe(path):
    """A task's config with no file and no overrides is its shipped recipe (docs/training.md,
    "Defaults"): ``emogen train TASK`` alone trains what the recipe trains."""
    cls = get_task(FOLDER_TASK[path.parent.name]).config_class
    recipe, defaults = flat(to_dict(load_config(cls, path))), flat(to_dict(cls()))
    differ = {k: (defaults.get(k, "<absent>"), recipe.get(k, "<absent>")) for k in set(recipe) | set(defaults)
              if defaults.get(k, "<absent>") != recipe.get(k, "<absent>")}
    assert not differ, f"default vs {path.relative_to(ROOT)}: {differ}"


def test_strict_loading_rejects_an_unknown_key(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text((ROOT / "configs/toy/toy2d.yaml").read_text().replace("  max_steps:", "  max_step:"))
    with pytest.raises(EmogenError, match="unknown key 'train.max_step'"):
        load_config(get_task("toy2d").config_class, bad)


def test_tts_stages_chain_by_init_from():
    """Each stage of the shipped voice starts from the previous stage's exported model."""
    cls = get_task("tts").config_class
    stages = [load_config(cls, ROOT / f"configs/tts/slt-emotion-stage{k}.yaml") for k in (1, 2, 3, 4)]
    assert stages[0].train.init_from is None
    for before, after in zip(stages, stages[1:]):
        assert after.train.init_from == f"{before.train.output_dir}/model"
        assert after.train.output_dir != before.train.output_dir


@pytest.mark.parametrize("card", CARDS, ids=lambda p: p.parent.name)
def test_card_names_only_existing_configs(card):
    named = re.findall(r"configs/[\w./-]+\.yaml", card.read_text())
    assert named or "Command" not in card.read_text()
    missing = [n for n in named if not (ROOT / n).is_file()]
    assert not missing, f"{card.parent.name} names missing configs: {missing}"


@pytest.mark.parametrize("card", [c for c in CARDS if COMMAND.search(c.read_text())], ids=lambda p: p.parent.name)
def test_card_command_reproduces_its_configuration(card):
    """The command a card gives, run today, trains with the configuration the card records."""
    text = card.read_text()
    words = shlex.split(COMMAND.search(text).group(1))
    assert words[:2] == ["emogen", "train"] and words[3] == "--config"
    task, config_path, overrides = words[2], words[4], words[5:]
    assert all(o.startswith("train.output_dir=") for o in overrides), "recipes are files, not overrides"
    config = load_config(get_task(task).config_class, ROOT / config_path, overrides)
    block = text.split("## Configuration", 1)[1].split("```yaml", 1)[1].split("```", 1)[0]
    recorded = flat(yaml.safe_load(block))
    loaded = flat(to_dict(config))
    # keys added to the trainer after the card was written are absent from it, so only the
    # card's keys are compared
    differ = {k: (v, loaded.get(k, "<unknown key>")) for k, v in recorded.items()
              if k not in FITTED and loaded.get(k, "<unknown key>") != v}
    assert not differ, f"card value vs {config_path}: {differ}"
