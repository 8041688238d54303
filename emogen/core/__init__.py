"""The machinery the three generators share: flow matching, backbones, trainer, checkpoints.

The names below load on first use, so importing one submodule (``emogen.core.checkpoint``) does not
import diffusers' U-Net or the trainer's accelerate: start-up time of every command depends on it.
"""

_LAZY = {
    "PretrainedModel": "checkpoint", "load_pretrained": "checkpoint",
    "from_dict": "config", "load_config": "config", "to_dict": "config",
    "FlowSampler": "flow", "Guidance": "flow", "flow_matching_loss": "flow",
    "EmotionFlowConfig": "model", "EmotionFlowModel": "model",
    "TrainConfig": "trainer", "Trainer": "trainer", "TrainingTask": "trainer",
}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = sorted(_LAZY)
