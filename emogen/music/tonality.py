"""Mode steering: sampling-time guidance toward a major or minor key (Krumhansl-Kessler profiles).

Valence is carried in music above all by mode (major / minor), yet the flow model learned it only
weakly from EMOPIA's clip-level labels (many happy clips hold minor passages and the reverse;
happy pieces came out major 0.60, sad ones minor 0.35). So the mode a request implies is
enforced while sampling, with the model left free in everything else: the score is how much
better the window's duration-weighted pitch-class profile correlates with the wanted key's
Krumhansl-Kessler profile than with its best rival key (the measure Krumhansl-Schmuckler key
finding uses), computed on the clean roll the current velocity leads to; its gradient, scaled to
a fixed size, is added to the velocity (``FlowSampler.sample(steer=...)``).

The model writes near C (its training clips were moved to C major / C minor), so the wanted key
is C major or C minor; ``--key`` then transposes the finished piece to its tonic.
"""

from __future__ import annotations

import torch

from ..eval.music import KK_MAJOR, KK_MINOR
from . import representation as rep

MODE_VALENCE = 0.1
"""valence (relative to neutral) from which a mode is asked for: happy from intensity 0.1, sad
(the category nearest neutral valence) from 0.21; nearer neutral either mode fits"""
# Sharpness of the smooth maximum over rival keys (correlations lie in -1..1).
RIVAL_SHARPNESS = 20.0


def mode_for_valence(valence: float) -> int:
    """+1 (major) for valence at least ``MODE_VALENCE`` above neutral, -1 (minor) that far below, 0 between."""
    return 1 if valence >= MODE_VALENCE else -1 if valence <= -MODE_VALENCE else 0


def key_profiles() -> torch.Tensor:
    """(24, 12) KK profiles, standardised: rows 0-11 major on tonics C..B, 12-23 minor."""
    rows = [torch.roll(torch.tensor(t, dtype=torch.float32), tonic) for t in (KK_MAJOR, KK_MINOR) for tonic in range(12)]
    keys = torch.stack(rows)
    return (keys - keys.mean(1, keepdim=True)) / keys.std(1, keepdim=True)


def mode_score(roll: torch.Tensor, modes: torch.Tensor) -> torch.Tensor:
    """(b,) correlation with C major (mode +1) or C minor (-1) minus a smooth maximum over the
    other 23 keys, from (b, 3, p, s) rolls on -1..+1 (notes sound where sustain > 0)."""
    sounding = torch.sigmoid(4.0 * roll[:, 1])  # (b, p, s): soft version of the decoder's threshold
    pitch_class = (torch.arange(roll.shape[2], device=roll.device) + rep.LOW_PITCH) % 12
    to_class = torch.nn.functional.one_hot(pitch_class, 12).to(roll.dtype)  # (p, 12)
    profile = sounding.sum(-1) @ to_class  # (b, 12) duration-weighted
    profile = (profile - profile.mean(1, keepdim=True)) / (profile.std(1, keepdim=True) + 1e-6)
    corr = profile @ key_profiles().to(roll).T / 11.0  # (b, 24) Pearson correlations
    wanted = torch.where(modes > 0, 0, 12).to(roll.device)
    target = corr.gather(1, wanted[:, None])[:, 0]
    rivals = corr.scatter(1, wanted[:, None], -1e4)
    return target - torch.logsumexp(RIVAL_SHARPNESS * rivals, dim=1) / RIVAL_SHARPNESS


def mode_steering(modes: torch.Tensor, strength: float):
    """``FlowSampler`` steer function pushing window ``i`` toward mode ``modes[i]`` (+1 / -1; 0
    leaves it alone). ``strength`` is the size of the velocity change (RMS per roll value)."""
    active = (modes != 0).float()

    def steer(x1_hat: torch.Tensor) -> torch.Tensor:
        with torch.enable_grad():
            x = x1_hat.detach().float().requires_grad_(True)
            (grad,) = torch.autograd.grad(mode_score(x, modes.to(x.device)).sum(), x)
        grad = grad / grad.pow(2).mean(dim=(1, 2, 3), keepdim=True).sqrt().clamp_min(1e-8)
        return (strength * active.to(x1_hat.device).view(-1, 1, 1, 1) * grad).to(x1_hat.dtype)

    return steer
