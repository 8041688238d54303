"""Velocity networks the generators configure: vectors, sequences, 2-D grids."""

from .mlp import MLPBackbone, MLPConfig
from .sequence import SequenceBackbone, SequenceConfig, SequenceEncoder
from .unet2d import UNet2DBackbone, UNet2DConfig

BACKBONES = {
    "mlp": (MLPBackbone, MLPConfig),
    "sequence": (SequenceBackbone, SequenceConfig),
    "unet2d": (UNet2DBackbone, UNet2DConfig),
}

__all__ = ["BACKBONES", "MLPBackbone", "MLPConfig", "SequenceBackbone", "SequenceConfig", "SequenceEncoder",
           "UNet2DBackbone", "UNet2DConfig"]
