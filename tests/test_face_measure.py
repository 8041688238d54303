"""Known-answer tests of the face measures (no mediapipe needed)."""

import numpy as np
import pytest

from emogen.face import landmarks as L
from emogen.face.measure import (MEASURES, align_landmarks, energy_envelope, face_region_mask, lip_sync,
                                 measure_landmarks, psnr)

IOD = 100.0


def synthetic_face(seed: int = 0) -> np.ndarray:
    """A (478, 2) set: eye corners 100 px apart (IOD = 100) at y = 200, a closed mouth at y = 320,
    brows 40 px above the eyes; every other point random."""
    rng = np.random.default_rng(seed)
    lm = rng.uniform(150, 350, size=(478, 2))
    lm[33], lm[133] = (170, 200), (230, 200)  # right eye: outer, inner corner -> centre (200, 200)
    lm[362], lm[263] = (270, 200), (330, 200)  # left eye centre (300, 200)
    for upper, lower, x0 in ((L.RIGHT_UPPER_LID, L.RIGHT_LOWER_LID, 175), (L.LEFT_UPPER_LID, L.LEFT_LOWER_LID, 275)):
        xs = np.linspace(x0, x0 + 50, len(upper))
        lm[list(upper)] = np.stack([xs, np.full_like(xs, 192)], 1)  # eye open 16 px = 0.16 IOD
        lm[list(lower)] = np.stack([xs, np.full_like(xs, 208)], 1)
    lm[list(L.BROWS), 1] = 160.0
    lm[61], lm[291] = (210, 320), (290, 320)  # mouth 80 px wide
    lm[list(L.UPPER_LIP_INNER), 1] = 319.0
    lm[list(L.LOWER_LIP_INNER), 1] = 321.0  # 2 px open
    return lm.astype(np.float32)


def test_values_on_the_synthetic_face():
    m = measure_landmarks(synthetic_face())
    assert set(m) == set(MEASURES)
    assert m["lip_corner_height"] == pytest.approx(-1.2, abs=1e-6)
    assert m["mouth_width"] == pytest.approx(0.8, abs=1e-6)
    assert m["mouth_open"] == pytest.approx(0.02, abs=1e-6)
    assert m["brow_height"] == pytest.approx(0.4, abs=1e-6)
    assert m["inner_brow_height"] == pytest.approx(0.4, abs=1e-6)
    assert m["eye_open"] == pytest.approx(0.16, abs=1e-6)


@pytest.mark.parametrize("name, indices, move, expected", [
    ("lip_corner_height", L.LIP_CORNERS, (0, -5.0), 0.05),  # corners 5 px up -> +0.05 IOD
    ("mouth_width", (291,), (8.0, 0), 0.08),
    ("mouth_open", L.LOWER_LIP_INNER, (0, 12.0), 0.12),
    ("inner_brow_height", L.INNER_BROWS, (0, -7.0), 0.07),
    ("brow_height", L.BROWS, (0, -3.0), 0.03),
    ("eye_open", L.RIGHT_UPPER_LID + L.LEFT_UPPER_LID, (0, 6.0), -0.06),  # lids half shut
])
def test_known_moves_give_exactly_that_change(name, indices, move, expected):
    base = synthetic_face()
    moved = base.copy()
    moved[list(indices)] += np.float32(move)
    before, after = measure_landmarks(base), measure_landmarks(moved)
    assert after[name] - before[name] == pytest.approx(expected, abs=1e-5)
    for other in MEASURES:  # the other measures stay put (inner brows are part of the brows)
        if other != name and not {name, other} <= {"brow_height", "inner_brow_height"}:
            assert after[other] == pytest.approx(before[other], abs=1e-6), other


def test_invariant_to_rotation_scale_and_translation():
    lm = synthetic_face().astype(np.float64)
    angle, scale, shift = np.deg2rad(23), 1.7, np.array([40.0, -15.0])
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    other = (lm @ rot.T) * scale + shift
    a, b = measure_landmarks(lm), measure_landmarks(other)
    for k in MEASURES:
        assert b[k] == pytest.approx(a[k], abs=1e-6)
    aligned = align_landmarks(other)
    right, left = L.eye_centres(aligned)
    assert right == pytest.approx([-0.5, 0.0], abs=1e-9) and left == pytest.approx([0.5, 0.0], abs=1e-9)


def _speechlike(n_frames, fps, sr, seed=0):
    """A slowly varying envelope (random, smoothed) and noise audio carrying it."""
    rng = np.random.default_rng(seed)
    env = np.convolve(rng.uniform(0, 1, n_frames + 8), np.ones(5) / 5, mode="same")[4:4 + n_frames]
    env = env - env.min() + 0.05
    per_sample = np.repeat(env, sr // fps)
    audio = rng.standard_normal(len(per_sample)) * per_sample * 0.3
    return env, audio.astype(np.float32)


@pytest.mark.parametrize("k", [0, 3, -2, 7])
def test_lip_sync_finds_the_delay(k):
    fps, sr, n = 25, 8000, 150
    env, audio = _speechlike(n + 20, fps, sr)
    # the mouth follows the audio by k frames: mouth[t] = envelope[t - k]
    mouth = np.array([env[t - k] if 0 <= t - k < len(env) else env[0] for t in range(n)])
    corr, lag = lip_sync(mouth, audio[:n * sr // fps], sr, fps, max_lag=10)
    assert lag == k
    assert corr > 0.9


def test_lip_sync_sine_modulated():
    fps, sr, n, k = 25, 8000, 200, 4
    t = np.arange(n * sr // fps) / sr
    modulation = 0.55 + 0.45 * np.sin(2 * np.pi * 0.7 * t)  # period 36 frames > 2 * max_lag
    audio = (np.random.default_rng(1).standard_normal(len(t)) * modulation * 0.2).astype(np.float32)
    frames = np.arange(n) / fps
    mouth = 0.1 * (0.55 + 0.45 * np.sin(2 * np.pi * 0.7 * (frames - k / fps + 0.5 / fps)))
    corr, lag = lip_sync(mouth, audio, sr, fps, max_lag=10)
    assert lag == k and corr > 0.9


def test_lip_sync_of_unrelated_signals_is_weak():
    fps, sr, n = 25, 8000, 200
    _, audio = _speechlike(n, fps, sr, seed=1)
    mouth, _ = _speechlike(n, fps, sr, seed=2)
    corr, _ = lip_sync(mouth, audio, sr, fps)
    assert corr < 0.5


def test_energy_envelope_rms():
    sr, fps = 1000, 10
    audio = np.concatenate([np.full(100, 0.5), np.zeros(100), np.full(100, -0.25)])
    assert energy_envelope(audio, sr, fps) == pytest.approx([0.5, 0.0, 0.25])


def test_psnr_known_values():
    a = np.zeros((8, 8, 3), np.uint8)
    b = a.copy()
    assert psnr(a, b) == 100.0
    b[...] = 1  # mse 1 -> 20 log10(255)
    assert psnr(a, b) == pytest.approx(48.1308, abs=1e-3)
    mask = np.zeros((8, 8), bool)
    mask[:4] = True
    c = a.copy()
    c[4:] = 200  # differences only outside the mask
    assert psnr(a, c, mask) == 100.0
    assert psnr(a, c) < 10
    with pytest.raises(ValueError):
        psnr(a, np.zeros((4, 4, 3)))


def test_face_region_mask_covers_the_face_and_grows_with_margin():
    lm = synthetic_face()
    oval = lm[list(L.FACE_OVAL)]
    angles = np.linspace(0, 2 * np.pi, len(oval), endpoint=False)
    lm[list(L.FACE_OVAL)] = np.stack([250 + 80 * np.cos(angles), 250 + 100 * np.sin(angles)], 1)
    tight = face_region_mask(lm, 512, margin=0.0)
    wide = face_region_mask(lm, 512, margin=0.25)
    assert tight.shape == (512, 512)
    assert tight[250, 250] and not tight[250, 340] and wide[250, 340]  # 90 px right: outside, then inside
    assert not wide[10, 10]
    assert wide.sum() > tight.sum() * 1.5
    assert (wide | tight).sum() == wide.sum()
