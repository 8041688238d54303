"""The machinery the three generators share: flow matching, backbones, trainer, checkpoints."""

from .checkpoint import PretrainedModel, load_pretrained
from .config import from_dict, load_config, to_dict
from .flow import FlowSampler, Guidance, flow_matching_loss
from .model import EmotionFlowConfig, EmotionFlowModel
from .trainer import TrainConfig, Trainer, TrainingTask

__all__ = ["EmotionFlowConfig", "EmotionFlowModel", "FlowSampler", "Guidance", "PretrainedModel", "TrainConfig",
           "Trainer", "TrainingTask", "flow_matching_loss", "from_dict", "load_config", "load_pretrained", "to_dict"]
