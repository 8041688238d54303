"""The torch module that turns emotion specs into the conditioning vector every generator uses.

Shape legend: b = batch, t = time steps, k = categories (emogen.emotion.space.CATEGORY_NAMES),
d = conditioning dimension.

The vector is affine in the spec (EmoReg, Daisy-TTS)::

    e = base + sum_k weight_k * direction_k + W_vad @ (vad - vad_neutral)

where ``base`` is the neutral point for categorical specs and a learned "unspecified" point for
purely dimensional ones, ``direction_k`` points from neutral to category k (the learned
embeddings' difference, or centroids re-estimated from data with :meth:`estimate_directions`), and
``weight_k`` is the component's signed share times the intensity. So a mixture is the weighted
combination of its parts, intensity is distance along the direction, opposite polarity is the
reflection through neutral, and interpolating two vectors interpolates the specs (trajectories).
A separate learned null vector stands for "no emotion given" (classifier-free guidance).
Nonlinear processing belongs to the generators that consume the vector.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import torch
from torch import nn

from .space import CATEGORY_NAMES, NEUTRAL
from .spec import Emotion, EmotionSpec, EmotionTrajectory, parse_emotion

NUM_CATEGORIES = len(CATEGORY_NAMES)
NEUTRAL_INDEX = CATEGORY_NAMES.index(NEUTRAL)


@dataclass
class EmotionEncoderConfig:
    dim: int = 128
    """size of the conditioning vector"""
    null_dropout: float = 0.1
    """training: share of examples whose emotion is replaced by the null vector (for guidance)"""
    category_dropout: float = 0.2
    """training: share of categorical examples shown by their VAD point alone, so that purely
    dimensional specs (``v=..,a=..``, lexicon words) are understood at inference"""


@dataclass
class EmotionBatch:
    """Specs as tensors, the form datasets and samplers pass around.

    Attributes:
        weights: (..., k) signed share times intensity for each category.
        vad_offset: (..., 3) the spec's VAD point minus neutral's (unclipped, -1..+1 scale).
        category_gate: (..., 1) 1 for categorical specs, 0 for purely dimensional ones.
        null: (...,) True where no emotion is given.
    """

    weights: torch.Tensor
    vad_offset: torch.Tensor
    category_gate: torch.Tensor
    null: torch.Tensor

    @classmethod
    def from_specs(cls, specs: Sequence[EmotionSpec | str | None]) -> "EmotionBatch":
        """One row per spec; ``None`` gives the null (unconditional) row."""
        weights = torch.zeros(len(specs), NUM_CATEGORIES)
        vad = torch.zeros(len(specs), 3)
        gate = torch.zeros(len(specs), 1)
        null = torch.zeros(len(specs), dtype=torch.bool)
        for i, spec in enumerate(specs):
            if spec is None:
                null[i] = True
                continue
            if isinstance(spec, str):
                spec = parse_emotion(spec)
            if isinstance(spec, EmotionTrajectory):
                raise TypeError("use EmotionBatch.from_trajectory for trajectories")
            vad[i] = torch.tensor(spec.vad_offset())
            if not spec.is_dimensional:
                gate[i] = 1.0
                for comp in spec.components:
                    weights[i, CATEGORY_NAMES.index(comp.emotion)] += comp.weight * spec.intensity
        return cls(weights, vad, gate, null)

    @classmethod
    def from_trajectory(cls, emotion: Emotion, times: Sequence[float], duration: float) -> "EmotionBatch":
        """Rows at ``times`` (seconds) of an output lasting ``duration`` seconds: keyframes blend
        linearly. A static spec gives the same row at every time."""
        if isinstance(emotion, EmotionSpec):
            return cls.from_specs([emotion]).expand(len(times))
        keyframes = cls.from_specs([k.spec for k in emotion.keyframes])
        index = {id(k.spec): i for i, k in enumerate(emotion.keyframes)}
        mix = torch.zeros(len(times), len(emotion.keyframes))
        for row, t in enumerate(times):
            for spec, w in emotion.weights_at(float(t), duration):
                mix[row, index[id(spec)]] += w
        return cls(mix @ keyframes.weights, mix @ keyframes.vad_offset, mix @ keyframes.category_gate,
                   torch.zeros(len(times), dtype=torch.bool))

    def expand(self, n: int) -> "EmotionBatch":
        return EmotionBatch(*(x.expand(n, *x.shape[1:]).clone() for x in self.tensors()))

    def tensors(self) -> tuple[torch.Tensor, ...]:
        return self.weights, self.vad_offset, self.category_gate, self.null

    def to(self, device) -> "EmotionBatch":
        return EmotionBatch(*(x.to(device) for x in self.tensors()))

    def __len__(self) -> int:
        return self.weights.shape[0]

    @staticmethod
    def cat(batches: Sequence["EmotionBatch"]) -> "EmotionBatch":
        return EmotionBatch(*(torch.cat(xs) for xs in zip(*(b.tensors() for b in batches))))

    @staticmethod
    def collate(rows: Sequence["EmotionBatch"]) -> "EmotionBatch":
        """Stack single-row batches (or time sequences of equal length) from a dataset."""
        return EmotionBatch(*(torch.stack(xs) for xs in zip(*(r.tensors() for r in rows))))

    def row(self, i: int) -> "EmotionBatch":
        return EmotionBatch(*(x[i] for x in self.tensors()))

    def dropped(self, null_p: float, category_p: float, generator: torch.Generator | None = None) -> "EmotionBatch":
        """Training-time augmentation: some rows become null, some categorical rows VAD-only."""
        lead = self.null.shape
        to_null = torch.rand(lead, generator=generator) < null_p
        # the draws come from the (CPU) generator, then move to wherever the batch lives
        to_vad = (torch.rand(lead, generator=generator) < category_p).unsqueeze(-1)
        to_vad = to_vad.to(self.weights.device, self.weights.dtype) * self.category_gate
        keep = 1.0 - to_vad
        return EmotionBatch(self.weights * keep, self.vad_offset, self.category_gate * keep,
                            self.null | to_null.to(self.null.device))


class EmotionEncoder(nn.Module):
    """Maps :class:`EmotionBatch` tensors to conditioning vectors ``(..., d)`` (see module doc)."""

    def __init__(self, config: EmotionEncoderConfig | None = None):
        super().__init__()
        self.config = config or EmotionEncoderConfig()
        dim = self.config.dim
        self.category_embedding = nn.Parameter(torch.randn(NUM_CATEGORIES, dim) * 0.5)
        self.unspecified = nn.Parameter(torch.zeros(dim))
        self.null_embedding = nn.Parameter(torch.randn(dim) * 0.5)
        self.vad_projection = nn.Linear(3, dim, bias=False)
        # Directions re-estimated from data (EmoReg); used instead of the learned ones when set.
        self.register_buffer("estimated_neutral", torch.zeros(dim))
        self.register_buffer("estimated_directions", torch.zeros(NUM_CATEGORIES, dim))
        self.register_buffer("uses_estimated", torch.zeros((), dtype=torch.bool))

    @property
    def neutral_point(self) -> torch.Tensor:
        if self.uses_estimated:
            return self.estimated_neutral
        return self.category_embedding[NEUTRAL_INDEX]

    @property
    def directions(self) -> torch.Tensor:
        """(k, d) vectors from the neutral point to each category's point."""
        if self.uses_estimated:
            return self.estimated_directions
        return self.category_embedding - self.category_embedding[NEUTRAL_INDEX]

    def forward(self, batch: EmotionBatch) -> torch.Tensor:
        dtype = self.category_embedding.dtype
        gate = batch.category_gate.to(dtype)
        base = gate * self.neutral_point + (1.0 - gate) * self.unspecified
        out = base + batch.weights.to(dtype) @ self.directions + self.vad_projection(batch.vad_offset.to(dtype))
        return torch.where(batch.null.unsqueeze(-1), self.null_embedding.expand_as(out), out)

    def encode(self, specs: Sequence[EmotionSpec | str | None]) -> torch.Tensor:
        """(b, d) vectors for a list of specs; ``None`` is the null vector."""
        return self(EmotionBatch.from_specs(specs).to(self.category_embedding.device))

    def encode_over_time(self, emotion: Emotion, times: Sequence[float], duration: float) -> torch.Tensor:
        """(t, d) vectors for a spec or trajectory sampled at ``times`` seconds."""
        return self(EmotionBatch.from_trajectory(emotion, times, duration).to(self.category_embedding.device))

    @torch.no_grad()
    def estimate_directions(self, embeddings: torch.Tensor, labels: torch.Tensor) -> dict[str, int]:
        """Re-estimate the neutral point and each direction from labelled embeddings (EmoReg).

        Args:
            embeddings: (n, d) vectors in this encoder's output space, e.g. style embeddings of
                real utterances.
            labels: (n,) category indices into ``CATEGORY_NAMES``.

        Returns: how many examples each category had. Categories without examples keep their
        learned direction. The estimate is saved with the model (buffers).
        """
        if embeddings.ndim != 2 or embeddings.shape[1] != self.config.dim:
            raise ValueError(f"embeddings must be (n, {self.config.dim}), got {tuple(embeddings.shape)}")
        counts = {}
        if not (labels == NEUTRAL_INDEX).any():
            raise ValueError("direction estimation needs neutral examples")
        neutral = embeddings[labels == NEUTRAL_INDEX].mean(0)
        learned = self.directions.detach().clone()
        for k, name in enumerate(CATEGORY_NAMES):
            mask = labels == k
            counts[name] = int(mask.sum())
            learned[k] = embeddings[mask].mean(0) - neutral if mask.any() else learned[k]
        self.estimated_neutral.copy_(neutral)
        self.estimated_directions.copy_(learned)
        self.uses_estimated.fill_(True)
        return counts
