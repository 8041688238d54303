import pytest
import torch

from emogen import parse_emotion
from emogen.emotion import CATEGORY_NAMES, EmotionBatch, EmotionEncoder, EmotionEncoderConfig


@pytest.fixture
def encoder():
    torch.manual_seed(0)
    return EmotionEncoder(EmotionEncoderConfig(dim=16))


def test_shapes_and_null(encoder):
    out = encoder.encode(["happy", "sad:0.5", None])
    assert out.shape == (3, 16)
    assert torch.allclose(out[2], encoder.null_embedding)


def test_mixture_is_the_weighted_combination(encoder):
    mix = encoder.encode(["happy:0.6+surprised:0.4"])[0]
    parts = encoder.encode(["happy", "surprised"])
    assert torch.allclose(mix, 0.6 * parts[0] + 0.4 * parts[1], atol=1e-5)


def test_intensity_moves_monotonically_along_the_direction(encoder):
    levels = [0.0, 0.25, 0.5, 0.75, 1.0]
    out = encoder.encode([f"angry:{x}" for x in levels])
    neutral = encoder.encode(["neutral"])[0]
    direction = out[-1] - neutral
    projections = [float((o - neutral).detach() @ direction.detach()) for o in out]
    assert projections == sorted(projections) and projections[0] == pytest.approx(0.0, abs=1e-5)
    assert torch.allclose(out[2] - neutral, 0.5 * direction, atol=1e-5)


def test_negation_is_the_reflection_through_neutral(encoder):
    neutral, pos, neg = encoder.encode(["neutral", "happy:0.7", "-happy:0.7"])
    assert torch.allclose(neg - neutral, -(pos - neutral), atol=1e-5)


def test_dimensional_specs_use_the_vad_projection(encoder):
    a, b = encoder.encode(["v=0.5,a=0.5", "v=-0.5,a=0.5"])
    assert not torch.allclose(a, b)
    # a lexicon word is its VAD point (NRC VAD: furious -0.876, 0.906, 0.196), nearer angry than happy
    word, point, angry, happy, neutral = encoder.encode(["furious", "v=-0.876,a=0.906,d=0.196", "angry", "happy",
                                                         "neutral"]).detach()
    assert torch.allclose(word, point, atol=1e-6)
    toward = lambda v: float(torch.cosine_similarity(word - neutral, v - neutral, dim=0))  # noqa: E731
    assert toward(angry) > toward(happy)


def test_trajectory_interpolates(encoder):
    traj = parse_emotion("neutral>sad")
    out = encoder.encode_over_time(traj, [0.0, 1.0, 2.0], duration=2.0)
    start, end = encoder.encode(["neutral", "sad"])
    assert torch.allclose(out[0], start, atol=1e-5) and torch.allclose(out[2], end, atol=1e-5)
    assert torch.allclose(out[1], (start + end) / 2, atol=1e-5)


def test_estimated_directions_replace_learned_ones_and_are_saved(encoder):
    emb = torch.randn(40, 16)
    labels = torch.tensor([CATEGORY_NAMES.index("neutral")] * 20 + [CATEGORY_NAMES.index("sad")] * 20)
    emb[20:] += 3.0
    counts = encoder.estimate_directions(emb, labels)
    assert counts["sad"] == 20 and counts["neutral"] == 20
    sad_dir = encoder.directions[CATEGORY_NAMES.index("sad")]
    assert torch.allclose(sad_dir, emb[20:].mean(0) - emb[:20].mean(0), atol=1e-5)
    assert torch.allclose(encoder.encode(["sad:0.5"])[0] - encoder.encode(["neutral"])[0],
                          0.5 * sad_dir + encoder.vad_projection(EmotionBatch.from_specs(["sad:0.5"]).vad_offset)[0],
                          atol=1e-5)
    fresh = EmotionEncoder(EmotionEncoderConfig(dim=16))
    fresh.load_state_dict(encoder.state_dict())
    assert bool(fresh.uses_estimated) and torch.allclose(fresh.directions, encoder.directions)


def test_training_dropout():
    batch = EmotionBatch.from_specs(["happy"] * 2000)
    dropped = batch.dropped(0.1, 0.2, torch.Generator().manual_seed(0))
    assert 0.05 < dropped.null.float().mean() < 0.15
    assert 0.15 < (dropped.category_gate == 0).float().mean() < 0.25
    assert torch.equal(dropped.vad_offset, batch.vad_offset)


def test_training_dropout_keeps_the_batch_device():
    # the trainer's generator lives on the CPU while a GPU run's batch does not; "meta" stands in
    # for that other device here (mixing the two used to fail on the first GPU training step)
    batch = EmotionBatch.from_specs(["happy", "sad"]).to("meta")
    dropped = batch.dropped(0.5, 0.5, torch.Generator().manual_seed(0))
    assert {t.device.type for t in dropped.tensors()} == {"meta"}
