import pytest
import torch

from emogen.core import FlowSampler, Guidance, flow_matching_loss
from emogen.core.backbones import SequenceBackbone, SequenceConfig, UNet2DBackbone, UNet2DConfig
from emogen.core.model import sample
from emogen.core.toy import Toy2DTask, mode_accuracy, mode_of
from emogen.core.trainer import Trainer
from emogen.emotion import EmotionBatch, EmotionSpec


def test_sampler_integrates_a_known_velocity_exactly():
    # Velocity of the straight path to a fixed target: Euler lands on it whatever the step count.
    target = torch.full((3, 2), 1.5)

    def velocity(x, t, emotion):
        return (target.repeat(x.shape[0] // 3, 1) - x) / (1 - t[:, None]).clamp_min(1e-3)

    out = FlowSampler(steps=4).sample(velocity, torch.randn(3, 2), torch.zeros(3, 4))
    assert torch.allclose(out, target, atol=1e-2)


def test_guidance_combines_branches():
    # A velocity that returns its emotion's first channel: guidance is then plain arithmetic.
    def velocity(x, t, emotion):
        return emotion[:, :1].expand_as(x)

    wanted, null, avoid = torch.tensor([[2.0]]), torch.tensor([0.5]), torch.tensor([[1.0]])
    sampler = FlowSampler(steps=1)
    x0 = torch.zeros(1, 1)
    plain = sampler.sample(velocity, x0, wanted)
    guided = sampler.sample(velocity, x0, wanted, Guidance(3.0, null, [(avoid, 2.0)]))
    # one Euler step of size ~1: v = 0.5 + 3 (2 - 0.5) - 2 (1 - 0.5) = 4.0
    assert plain.item() == pytest.approx(2.0, rel=1e-2)
    assert guided.item() == pytest.approx(4.0, rel=1e-2)


def test_inpainting_keeps_known_values():
    known = torch.tensor([[5.0, 0.0]])
    mask = torch.tensor([[1.0, 0.0]])
    out = FlowSampler(steps=3).sample(lambda x, t, e: torch.zeros_like(x), torch.randn(1, 2), torch.zeros(1, 1),
                                      known=(known, mask))
    assert out[0, 0].item() == 5.0


def test_loss_respects_mask():
    """The masked loss is the mean squared velocity error over the counted positions only: padding
    (mask 0) changes nothing, and the value is what the straight-path target gives by hand."""
    x1 = torch.randn(2, 3, 5)
    mask = torch.zeros(2, 1, 5)
    mask[0, :, :2] = 1  # unequal lengths: the mean is over counted elements, not per sequence
    mask[1, :, :4] = 1
    prediction = torch.randn(2, 3, 5)
    seen = {}

    def velocity(x, t, e):
        seen.update(xt=x, t=t)
        return prediction

    loss = flow_matching_loss(velocity, x1, torch.zeros(2, 4), mask=mask, generator=torch.Generator().manual_seed(0))
    t = seen["t"].view(-1, 1, 1)
    x0 = (seen["xt"] - t * x1) / (1 - t)  # the noise the loss drew, recovered from x_t
    error = (prediction - (x1 - x0)) ** 2
    counted = mask.expand_as(error).bool()
    assert loss.item() == pytest.approx(error[counted].mean().item(), rel=1e-5)
    assert abs(loss.item() - error.mean().item()) > 1e-3  # the mask does change the value

    # anything at padded positions, data or prediction, leaves the loss as it was
    padded = ~counted
    x1_junk, prediction_junk = x1.clone(), prediction.clone()
    x1_junk[padded], prediction_junk[padded] = 100.0, -100.0
    junk = flow_matching_loss(lambda x, t, e: prediction_junk, x1_junk, torch.zeros(2, 4), mask=mask,
                              generator=torch.Generator().manual_seed(0))
    assert junk.item() == pytest.approx(loss.item(), rel=1e-6)


def test_backbones_accept_per_frame_emotion():
    seq = SequenceBackbone(SequenceConfig(in_channels=4, out_channels=4, context_channels=2, hidden=16, layers=1,
                                          heads=2, emotion_dim=8))
    x = torch.randn(2, 4, 7)
    mask = torch.ones(2, 7, dtype=torch.bool)
    mask[1, 5:] = False
    out = seq(x, torch.rand(2), torch.randn(2, 7, 8), context=torch.randn(2, 2, 7), mask=mask)
    assert out.shape == x.shape and torch.all(out[1, :, 5:] == 0)
    unet = UNet2DBackbone(UNet2DConfig(in_channels=2, out_channels=2, block_out_channels=[8, 16],
                                       attention_levels=[False, True], norm_num_groups=4, emotion_dim=8))
    assert unet(torch.randn(2, 2, 8, 16), torch.rand(2), torch.randn(2, 8)).shape == (2, 2, 8, 16)


def test_tiny_model_learns_emotion_conditioned_modes(tmp_path, tiny_toy_config):
    """The core end to end: a tiny flow model trained on 2-D points puts happy samples in happy's
    mode and sad samples in sad's, and negative guidance pushes samples away from the avoided mode."""
    torch.manual_seed(0)
    cfg = tiny_toy_config(tmp_path)
    result = Trainer(Toy2DTask(), cfg, show_progress=False).run()
    from emogen.core import load_pretrained
    model = load_pretrained(result.model_dir)
    assert mode_accuracy(model, cfg.data) >= 0.95

    happy = EmotionBatch.from_specs([EmotionSpec.category("happy", 0.5)] * 64)
    sad = EmotionBatch.from_specs(["sad"] * 64)
    plain = sample(model, happy, (2,), steps=8, generator=torch.Generator().manual_seed(0))
    pushed = sample(model, happy, (2,), steps=8, negative=sad, negative_scale=1.0,
                    generator=torch.Generator().manual_seed(0))
    sad_mode = mode_of(EmotionSpec.category("sad"), cfg.data.scale)
    assert (pushed - sad_mode).norm(dim=1).mean() > (plain - sad_mode).norm(dim=1).mean() + 0.2


@pytest.mark.parametrize("shift", [1.0, 3.0])
@pytest.mark.parametrize("steps", [1, 4, 16])
def test_euler_scheduler_matches_diffusers(shift, steps):
    """EulerFlowScheduler gives diffusers' FlowMatchEulerDiscreteScheduler's numbers exactly."""
    from diffusers import FlowMatchEulerDiscreteScheduler

    from emogen.core.flow import EulerFlowScheduler

    ours, theirs = EulerFlowScheduler(shift), FlowMatchEulerDiscreteScheduler(num_train_timesteps=1000, shift=shift)
    ours.set_timesteps(steps)
    theirs.set_timesteps(steps)
    assert torch.equal(ours.timesteps, theirs.timesteps) and torch.equal(ours.sigmas, theirs.sigmas)
    x = y = torch.randn(2, 3, generator=torch.Generator().manual_seed(0))
    for i, timestep in enumerate(theirs.timesteps):
        v = torch.sin(x * (i + 1))
        x = ours.step(v, timestep, x, return_dict=False)[0]
        y = theirs.step(v, timestep, y, return_dict=False)[0]
        assert torch.equal(x, y)
