"""Expression appearance (emogen.face.appearance) and its use by the renderer."""

import numpy as np
import pytest

pytest.importorskip("cv2")


@pytest.fixture(scope="module")
def portrait():
    pytest.importorskip("mediapipe")
    from emogen.face.analysis import default_portrait
    from emogen.face.landmarks import FaceMeshDetector

    with FaceMeshDetector() as detector:
        return default_portrait(detector=detector)


@pytest.fixture(scope="module")
def renderer(portrait):
    from emogen.face.warp import PortraitRenderer

    return PortraitRenderer(portrait)


def _weights(**kw):
    from emogen.face.appearance import Appearance

    return np.array([kw.get(k, 0.0) for k in Appearance.CHANNELS], np.float32)


def _region(lm, indices, size, pad=0.0):
    """Bool mask of the box around some landmarks."""
    pts = lm[list(indices)]
    (x0, y0), (x1, y1) = pts.min(0) - pad, pts.max(0) + pad
    mask = np.zeros((size, size), bool)
    mask[int(y0):int(y1) + 1, int(x0):int(x1) + 1] = True
    return mask


def test_piecewise_warp_onto_itself_is_the_identity(portrait):
    from emogen.face.appearance import piecewise_warp

    lm = portrait.landmarks
    grey = portrait.image.astype(np.float32).mean(axis=2)
    box = (200, 200, 300, 300)
    out, inside = piecewise_warp(grey, lm, lm, box)
    assert inside.mean() > 0.9
    assert np.abs(out[inside] - grey[200:300, 200:300][inside]).max() < 1e-2


def test_appearance_at_zero_changes_nothing_and_at_one_changes_the_cheeks(portrait, renderer):
    from emogen.face import landmarks as L

    lm, size = portrait.landmarks, portrait.size
    assert np.array_equal(renderer.render(lm, _weights()), portrait.image)
    smiling = renderer.render(lm, _weights(smile=1.0))
    diff = np.abs(smiling.astype(int) - portrait.image.astype(int)).max(axis=2)
    cheeks = _region(lm, (205, 425, 50, 280, 61, 291), size)  # nasolabial folds and cheeks
    forehead = _region(lm, (67, 109, 10, 338, 297), size)
    assert diff[cheeks].mean() > 1.0
    assert diff[forehead].mean() < 0.5 * diff[cheeks].mean()
    outside = ~_region(lm, L.FACE_OVAL, size, pad=0.4 * L.inter_ocular_distance(lm))
    assert diff[outside].max() == 0  # nothing beyond the face moves or changes shade
    # stronger with the weight, and the brow furrow darkens between the brows
    stronger = np.abs(renderer.render(lm, _weights(smile=1.5)).astype(int) - portrait.image.astype(int))
    assert stronger.max(axis=2)[cheeks].mean() > diff[cheeks].mean()
    glabella = _region(lm, (55, 285, 8, 9), size)
    frowning = renderer.render(lm, _weights(au4=1.0)).astype(float)
    assert frowning[glabella].mean() < portrait.image[glabella].astype(float).mean() - 1.0


def test_facs_maps_darken_where_the_skin_folds():
    from emogen.face import appearance as A

    canon = A.load_asset()["canon"]
    maps = A.facs_maps(canon)
    assert set(maps) == set(A.FACS)
    brow_top = canon[list((70, 63, 105, 66, 107, 300, 293, 334, 296, 336)), 1].mean()
    forehead = maps["au2"][: int(brow_top)]
    assert forehead.min() < -0.1 and maps["au2"][int(canon[1, 1]):].min() > -1e-3  # lines above the brows only
    between = canon[[55, 285]].mean(axis=0).round().astype(int)
    assert maps["au4"][between[1] - 20:between[1] + 10, between[0] - 20:between[0] + 20].min() < -0.2


def test_learning_recovers_a_known_shading_change(portrait):
    """Photos whose 'smile' is the same face with its cheeks lit by 20%: the learned log ratio is
    log 1.2 on the cheeks and about 0 elsewhere."""
    import cv2

    from emogen.face import appearance as A

    lm, image = portrait.landmarks, portrait.image
    glow = np.zeros(image.shape[:2], np.float32)
    for i in (205, 425):
        cv2.circle(glow, tuple(int(v) for v in lm[i]), 18, 1.0, -1)
    brighter = np.clip(image * (1 + 0.2 * glow[..., None]), 0, 255).astype(np.uint8)
    learned = A.learn([(image, lm, brighter, lm)] * 2)
    canvas = A.to_canvas(lm)
    cheek = canvas[205].round().astype(int)
    assert learned["smile"][cheek[1], cheek[0]] == pytest.approx(np.log(1.2), abs=0.06)
    nose = canvas[4].round().astype(int)
    assert abs(learned["smile"][nose[1], nose[0]]) < 0.03
    assert learned["broad_smile"].shape == (1,)


def test_teeth_show_in_an_open_mouth_and_hide_when_it_closes(portrait, renderer):
    from emogen.face import landmarks as L

    lm = portrait.landmarks
    iod = L.inter_ocular_distance(lm)
    t = lm.copy()
    lower = list(L.LOWER_LIP_INNER[1:-1] + L.LOWER_LIP_OUTER[1:-1]) + [L.CHIN, 17, 18, 200, 199, 175]
    t[lower, 1] += 0.3 * iod
    frame = renderer.render(t).astype(float).mean(axis=2)
    top = lm[L.UPPER_LIP_INNER_CENTRE]
    under_lip = frame[int(top[1] + 0.03 * iod):int(top[1] + 0.08 * iod), int(top[0]) - 5:int(top[0]) + 5].mean()
    back = frame[int(top[1] + 0.18 * iod):int(top[1] + 0.22 * iod), int(top[0]) - 5:int(top[0]) + 5].mean()
    assert under_lip > back + 30  # upper teeth under the lip, the dark cavity behind them
    assert np.array_equal(renderer.render(lm), portrait.image)  # closed: no paint at all


def test_a_dim_portrait_gets_stronger_shading(portrait):
    """Calibration per face: on a darker copy of the photo the log ratios grow, so a fold changes
    the skin by about as many grey levels as on the photos it was learned from (gain capped at 2)."""
    from emogen.face.appearance import MAX_GAIN, Appearance, load_asset

    box = (0, 0, portrait.size, portrait.size)
    bright = Appearance(portrait.landmarks, box, portrait.image)
    dim = Appearance(portrait.landmarks, box, (portrait.image * 0.6).astype(np.uint8))
    assert 1.0 <= bright.gain < dim.gain <= MAX_GAIN
    assert dim.gain == pytest.approx(min(bright.gain / 0.6, MAX_GAIN), rel=0.05)
    assert load_asset()["skin"][0] > 100  # the London photos are studio-lit


def test_rest_smile_reads_a_smiling_photo_and_not_a_neutral_one(portrait):
    from emogen.face.appearance import rest_smile
    from emogen.face.motion import to_face_frame

    lm = portrait.landmarks
    iod = np.hypot(*(lm[473] - lm[468]))
    smiling = lm.copy()  # lip corners up and out, the lips beside them part of the way
    for right, left, share in ((61, 291, 1.0), (146, 375, 0.6), (185, 409, 0.6), (78, 308, 0.6)):
        smiling[right] += np.array([-0.04, -0.08]) * share * iod
        smiling[left] += np.array([0.04, -0.08]) * share * iod
    field = to_face_frame(smiling) - to_face_frame(lm)
    assert rest_smile(lm, field) == 0.0
    assert rest_smile(smiling, field) > 0.4
