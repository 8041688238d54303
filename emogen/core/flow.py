"""Conditional flow matching: the training objective and the guided ODE sampler all generators share.

Convention: time ``t`` runs from 0 (Gaussian noise ``x0``) to 1 (data ``x1``) along the straight
(optimal-transport / rectified-flow) path ``x_t = (1 - t) x0 + t x1``; networks predict the
velocity ``dx/dt = x1 - x0`` (Lipman et al. 2023; Matcha-TTS; F5-TTS).

Sampling integrates that ODE with diffusers' flow-matching schedulers: Euler by default
(``FlowMatchEulerDiscreteScheduler``'s numbers, written out in :class:`EulerFlowScheduler`, see
there why), ``FlowMatchHeunDiscreteScheduler`` for a second-order solver. They handle step spacing,
time shifting and solver bookkeeping. diffusers counts noise level ``sigma = 1 - t`` and expects
the derivative in sigma, so the sampler hands them ``-velocity``.

The network never sees the sampler: it is any callable ``velocity(x, t, emotion, **context)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

from types import SimpleNamespace

import numpy as np
import torch
from tqdm.auto import tqdm

VelocityFn = Callable[..., torch.Tensor]
SOLVERS = ("euler", "heun")
TRAIN_TIMESTEPS = 1000


class EulerFlowScheduler:
    """diffusers' ``FlowMatchEulerDiscreteScheduler(num_train_timesteps=1000, shift=shift)`` with its
    default options: the same timesteps, sigmas and steps (a test compares them number for number),
    through the same interface (``set_timesteps``, ``timesteps``, ``step``, ``config``).

    Written out because importing diffusers costs about 1.8 s of CPU (its utilities import
    ``torch._dynamo`` and ``scipy.stats``), more than all the rest of a one-sentence ``emogen tts``;
    the Euler update itself is one line. Heun still comes from diffusers.
    """

    def __init__(self, shift: float = 1.0):
        self.config = SimpleNamespace(num_train_timesteps=TRAIN_TIMESTEPS, shift=shift)
        train = torch.from_numpy(np.linspace(1, TRAIN_TIMESTEPS, TRAIN_TIMESTEPS, dtype=np.float32)[::-1].copy())
        sigmas = self._shifted(train / TRAIN_TIMESTEPS)
        self.sigma_max, self.sigma_min = sigmas[0].item(), sigmas[-1].item()

    def _shifted(self, sigma):
        shift = self.config.shift
        return shift * sigma / (1 + (shift - 1) * sigma)

    def set_timesteps(self, steps: int, device=None) -> None:
        """``steps`` timesteps (sigma * 1000, descending) and ``steps + 1`` sigmas ending at 0."""
        spaced = np.linspace(self.sigma_max * TRAIN_TIMESTEPS, self.sigma_min * TRAIN_TIMESTEPS, steps)
        sigmas = torch.from_numpy(self._shifted(spaced / TRAIN_TIMESTEPS)).to(dtype=torch.float32, device=device)
        self.timesteps = sigmas * TRAIN_TIMESTEPS
        self.sigmas = torch.cat([sigmas, torch.zeros(1, device=sigmas.device)])
        self._index = 0

    def step(self, model_output: torch.Tensor, timestep, sample: torch.Tensor, return_dict: bool = False):
        """The next sample, ``sample + (sigma_next - sigma) * model_output`` (in float32), as a 1-tuple."""
        sigma, sigma_next = self.sigmas[self._index], self.sigmas[self._index + 1]
        self._index += 1
        return ((sample.to(torch.float32) + (sigma_next - sigma) * model_output).to(model_output.dtype),)


def sample_time(batch: int, scheme: str = "logit_normal", generator: torch.Generator | None = None,
                device=None) -> torch.Tensor:
    """Training times in (0, 1): ``uniform``, or ``logit_normal`` (SD3), which spends more steps
    in the middle of the path, where the velocity is hardest to predict."""
    if scheme == "uniform":
        return torch.rand(batch, generator=generator).to(device)
    if scheme == "logit_normal":
        return torch.sigmoid(torch.randn(batch, generator=generator)).to(device)
    raise ValueError(f"unknown time sampling '{scheme}'; use 'uniform' or 'logit_normal'")


def flow_matching_loss(velocity: VelocityFn, x1: torch.Tensor, emotion: torch.Tensor,
                       mask: torch.Tensor | None = None, time_scheme: str = "logit_normal",
                       generator: torch.Generator | None = None, **context) -> torch.Tensor:
    """Mean squared error between predicted and straight-path velocity.

    Args:
        velocity: the network, ``velocity(x_t, t, emotion, **context)``.
        x1: (b, ...) data samples.
        emotion: (b, d) or (b, time, d) conditioning vectors.
        mask: optional, broadcastable to ``x1``: 1 where the loss counts (padding is 0).
        generator: makes the noise and times reproducible.
    """
    x0 = torch.randn(x1.shape, generator=generator, dtype=torch.float32).to(x1)
    t = sample_time(x1.shape[0], time_scheme, generator, x1.device).to(x1.dtype)
    t_ = t.view(-1, *([1] * (x1.ndim - 1)))
    xt = (1.0 - t_) * x0 + t_ * x1
    error = (velocity(xt, t, emotion, **context) - (x1 - x0)).float() ** 2
    if mask is None:
        return error.mean()
    mask = mask.float().expand_as(error)
    return (error * mask).sum() / mask.sum().clamp_min(1.0)


@dataclass
class Guidance:
    """Classifier-free guidance with EmoDubber's positive and negative emotion terms.

    ``v = v_null + scale * (v_wanted - v_null) - sum_k scale_k * (v_avoid_k - v_null)``:
    pushed toward the wanted emotion and away from each avoided one, with its own scale.
    ``scale=1`` and no negatives is plain conditional sampling (one network call per step).

    Attributes:
        scale: positive guidance strength.
        null: (d,) the null emotion vector (``EmotionEncoder.null_embedding``).
        negatives: (emotion vector, scale) pairs; each vector (b, d), (d,) or (b, time, d).
    """

    scale: float = 1.0
    null: torch.Tensor | None = None
    negatives: Sequence[tuple[torch.Tensor, float]] = field(default_factory=list)

    @property
    def needs_null(self) -> bool:
        return self.scale != 1.0 or bool(self.negatives)


class FlowSampler:
    """Integrates a velocity network from noise to data, with guidance and optional inpainting."""

    def __init__(self, steps: int = 16, solver: str = "euler", shift: float = 1.0):
        if steps < 1:
            raise ValueError("steps must be >= 1")
        if solver not in SOLVERS:
            raise ValueError(f"unknown solver '{solver}'; use one of {', '.join(SOLVERS)}")
        self.steps = steps
        if solver == "euler":
            self.scheduler = EulerFlowScheduler(shift)
        else:
            from diffusers import FlowMatchHeunDiscreteScheduler

            self.scheduler = FlowMatchHeunDiscreteScheduler(num_train_timesteps=TRAIN_TIMESTEPS, shift=shift)

    @torch.no_grad()
    def sample(self, velocity: VelocityFn, noise: torch.Tensor, emotion: torch.Tensor,
               guidance: Guidance | None = None, known: tuple[torch.Tensor, torch.Tensor] | None = None,
               progress: bool = False, steer: Callable[[torch.Tensor], torch.Tensor] | None = None,
               **context) -> torch.Tensor:
        """Generate from ``noise``.

        Args:
            velocity: the network, ``velocity(x, t, emotion, **context)``.
            noise: (b, ...) starting Gaussian noise (its seed fixes the result).
            emotion: (b, d) or (b, time, d) wanted emotion vectors.
            guidance: classifier-free / negative emotion guidance; ``None`` is plain conditional.
            known: ``(values, mask)`` for inpainting: where ``mask`` is 1 the sample is held on the
                straight path toward ``values`` (bar overlaps in music, fixed frames), so the free
                part is generated to fit them.
            steer: gradient guidance by a differentiable score that no network was trained on
                (universal guidance, Bansal et al. 2023): ``steer(x1_hat)`` gets the clean sample
                the current velocity leads to, ``x1_hat = x + sigma * v``, and returns a change
                of velocity (typically the score's scaled gradient), added at every step.
            **context: other conditioning tensors with batch first (text, audio); repeated to
                match the guidance branches, or given as a list with one tensor per branch
                (wanted, null, then each negative) when the context itself depends on emotion.
        """
        guidance = guidance or Guidance()
        branches = [emotion]
        scales = [guidance.scale]
        if guidance.needs_null:
            if guidance.null is None:
                raise ValueError("guidance needs the null emotion vector")
            branches.append(guidance.null.expand_as(emotion))
            for vector, scale in guidance.negatives:
                branches.append(vector.expand_as(emotion))
                scales.append(scale)
        n = len(branches)
        emotions = torch.cat(branches)
        context = {k: _per_branch(v, n) for k, v in context.items()}

        self.scheduler.set_timesteps(self.steps, device=noise.device)
        x = noise
        for timestep in tqdm(self.scheduler.timesteps, disable=not progress, desc="sampling", leave=False):
            sigma = (timestep / self.scheduler.config.num_train_timesteps).to(noise.dtype)
            if known is not None:
                values, mask = known
                x = torch.where(mask.bool(), (1 - sigma) * values + sigma * noise, x)
            t = (1.0 - sigma).expand(x.shape[0] * n)
            out = velocity(x.repeat(n, *([1] * (x.ndim - 1))), t, emotions, **context).chunk(n)
            v = out[0]
            if n > 1:
                v_null = out[1]
                v = v_null + scales[0] * (out[0] - v_null)
                for v_avoid, scale in zip(out[2:], scales[1:]):
                    v = v - scale * (v_avoid - v_null)
            if steer is not None:
                v = v + steer(x + sigma * v)
            x = self.scheduler.step(-v, timestep, x, return_dict=False)[0]
        if known is not None:
            x = torch.where(known[1].bool(), known[0], x)
        return x


def _per_branch(value, n: int):
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(f"context given per branch needs {n} tensors, got {len(value)}")
        return torch.cat(list(value))
    if torch.is_tensor(value):
        return value.repeat(n, *([1] * (value.ndim - 1)))
    return value
