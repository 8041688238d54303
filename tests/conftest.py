import os
from pathlib import Path

import pytest
import torch

torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS") or 0) or max(1, min(2, os.cpu_count() or 1)))


@pytest.fixture(autouse=True)
def no_shipped_checkpoints_unless_slow(request, monkeypatch, tmp_path_factory):
    """Tests not marked ``slow`` see an empty checkpoints folder, so a fast test that loads a
    shipped model by name fails instead of quietly making the fast run slow."""
    if request.node.get_closest_marker("slow") is None:
        monkeypatch.setenv("EMOGEN_CHECKPOINTS", str(tmp_path_factory.getbasetemp() / "no-shipped-checkpoints"))


@pytest.fixture(autouse=True)
def _forget_shared_pipelines():
    """Each test starts without shared pipelines, so a tiny pipeline a test put in the process-wide
    cache (e.g. through a monkeypatched ``from_pretrained``) never reaches another test."""
    yield
    from emogen.core.pipeline import clear_cache

    clear_cache()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real datasets beside the checkout (``$EMOGEN_DATA`` or ``../shared/data``)."""
    from emogen.io import shared_data_root

    root = shared_data_root()
    if not root.is_dir():
        pytest.skip(f"shared data not found at {root} (set EMOGEN_DATA)")
    return root


@pytest.fixture
def tiny_toy_config():
    """A factory for a toy-task config small enough to train in seconds."""
    from emogen.core.toy import Toy2DConfig, Toy2DDataConfig
    from emogen.core.trainer import TrainConfig

    def make(tmp_path, **train) -> Toy2DConfig:
        settings = dict(output_dir=str(tmp_path / "run"), max_steps=250, batch_size=128, learning_rate=3e-3,
                        warmup_steps=10, log_every=50, val_every=0, save_every=0, mixed_precision="no")
        settings.update(train)
        cfg = Toy2DConfig(data=Toy2DDataConfig(emotions=["happy", "sad"], intensities=[1.0], examples=2048,
                                                   val_examples=128), train=TrainConfig(**settings))
        cfg.model.emotion.dim = 16
        cfg.model.backbone_config = {"dim": 2, "hidden": 64, "layers": 2}
        return cfg

    return make


@pytest.fixture(scope="session")
def tiny_ser(tmp_path_factory) -> Path:
    """A random-initialised speech-emotion classifier checkpoint (for ``eval speech --ser``)."""
    from emogen.ser.model import SERModel, SERModelConfig

    torch.manual_seed(0)
    return SERModel(SERModelConfig()).save_pretrained(tmp_path_factory.mktemp("ser") / "ser", "tiny test model")


@pytest.fixture(scope="session")
def tiny_quadrant_classifier(tmp_path_factory) -> Path:
    """A music quadrant classifier fitted on random features (for ``eval music --classifier``)."""
    import numpy as np

    from emogen.eval.music import FEATURE_NAMES, QuadrantClassifier

    rng = np.random.default_rng(0)
    quadrants = np.repeat([1, 2, 3, 4], 10)
    path = tmp_path_factory.mktemp("quadrant") / "classifier"
    QuadrantClassifier.fit(rng.normal(size=(40, len(FEATURE_NAMES))), quadrants).save(path, "# tiny test model\n")
    return path
