"""The portrait renderer and the mp4 writer."""

import numpy as np
import pytest

from emogen.errors import EmogenError

pytest.importorskip("cv2")
pytest.importorskip("imageio_ffmpeg")


@pytest.fixture(scope="module")
def detector():
    pytest.importorskip("mediapipe")
    from emogen.face.landmarks import FaceMeshDetector

    with FaceMeshDetector() as d:
        yield d


@pytest.fixture(scope="module")
def portrait(detector):
    from emogen.face.analysis import default_portrait

    return default_portrait(detector=detector)


@pytest.fixture(scope="module")
def renderer(portrait):
    from emogen.face.warp import PortraitRenderer

    return PortraitRenderer(portrait)


def _iod(lm):
    from emogen.face.landmarks import inter_ocular_distance

    return inter_ocular_distance(lm)


def smile(lm, amount):
    """Lip corners up and out by ``amount`` IOD, their neighbours part of the way."""
    from emogen.face import landmarks as L

    s = amount * _iod(lm)
    t = lm.copy()
    t[61] += [-0.4 * s, -s]
    t[291] += [0.4 * s, -s]
    for right, left in ((146, 375), (185, 409), (78, 308), (191, 415), (95, 324)):
        t[right] += [-0.25 * s, -0.6 * s]
        t[left] += [0.25 * s, -0.6 * s]
    assert L.LIP_CORNERS == (61, 291)
    return t


def jaw_open(lm, amount):
    """Lower lip, chin and jaw down by up to ``amount`` IOD; the upper lip stays."""
    from emogen.face import landmarks as L

    t = lm.copy()
    top, bottom = lm[13, 1], lm[14, 1]
    w = np.clip((lm[:, 1] - top) / max(bottom - top, 1e-3), 0, 1)
    w *= 0.6 + 0.4 * np.clip(1 - np.abs(lm[:, 0] - lm[13, 0]) / (0.9 * _iod(lm)), 0, 1)
    w[list(L.UPPER_LIP_INNER)] = 0
    w[list(L.LOWER_LIP_INNER[1:-1])] = 1
    t[:, 1] += amount * _iod(lm) * w
    return t


def blink(lm, closure=1.0):
    from emogen.face import landmarks as L

    t = lm.copy()
    for upper, lower in ((L.RIGHT_UPPER_LID, L.RIGHT_LOWER_LID), (L.LEFT_UPPER_LID, L.LEFT_LOWER_LID)):
        t[list(upper), 1] = (1 - closure) * lm[list(upper), 1] + closure * lm[list(lower), 1]
    return t


def luma(rgb):
    return np.asarray(rgb, np.float64) @ [0.299, 0.587, 0.114]


def test_zero_displacement_reproduces_the_crop(portrait, renderer):
    from emogen.face.measure import psnr

    frame = renderer.render(portrait.landmarks)
    assert frame.shape == portrait.image.shape and frame.dtype == np.uint8
    assert psnr(frame, portrait.image) > 45
    assert (frame == portrait.image).all()


def test_tiny_displacement_stays_close(portrait, renderer):
    from emogen.face.measure import psnr

    target = portrait.landmarks + np.float32(0.05)
    assert psnr(renderer.render(target), portrait.image) > 40


def test_smile_moves_the_detected_lip_corners(portrait, renderer, detector):
    before = detector.detect(portrait.image)[0]
    after = detector.detect(renderer.render(smile(portrait.landmarks, 0.07)))[0]
    iod = _iod(portrait.landmarks)
    lift = (before[[61, 291], 1] - after[[61, 291], 1]) / iod  # positive = up
    assert (lift > 0.02).all(), lift
    widen = ((after[291, 0] - after[61, 0]) - (before[291, 0] - before[61, 0])) / iod
    assert widen > 0.02


def test_outside_the_face_the_photo_is_untouched(portrait, renderer):
    from emogen.face.measure import face_region_mask, psnr

    target = jaw_open(smile(portrait.landmarks, 0.06), 0.2)
    target[list(range(46, 56)) + list(range(276, 286))] -= [0, 4]  # brows up a little too
    frame = renderer.render(target)
    outside = ~face_region_mask(portrait.landmarks, portrait.size)
    assert psnr(frame, portrait.image, outside) >= 30
    x0, y0, x1, y1 = renderer.roi  # beyond the anchor ring nothing changes at all
    beyond = np.ones(portrait.image.shape[:2], bool)
    beyond[y0:y1, x0:x1] = False
    assert (frame[beyond] == portrait.image[beyond]).all()


def test_open_mouth_has_a_dark_cavity_and_teeth(portrait, renderer):
    target = jaw_open(portrait.landmarks, 0.22)
    frame = renderer.render(target)
    top, bottom = target[13], target[14]
    gap = bottom[1] - top[1]
    assert gap > 15
    x = int(round((top[0] + bottom[0]) / 2))
    # upper teeth under the upper lip, lower teeth over the lower lip, the dark cavity between
    rows = luma(frame[int(top[1]):int(bottom[1]), x - 3:x + 4]).mean(axis=1)
    inner = slice(int(0.3 * gap), int(0.9 * gap))
    deep = rows[inner].min()
    teeth = rows[2:int(0.25 * gap)].mean()
    skin = luma(portrait.image[int(top[1] + 0.7 * gap):int(bottom[1] - 2), x - 3:x + 4]).mean()
    assert deep < 0.55 * skin and deep < 60
    assert teeth > deep + 50
    assert rows[-4:].max() > deep + 20


def test_blink_covers_the_eye_with_lid_skin(portrait, renderer):
    import cv2

    from emogen.face import landmarks as L

    lm = portrait.landmarks
    frame = renderer.render(blink(lm, 1.0))
    for contour in (L.RIGHT_EYE, L.LEFT_EYE):
        inside = np.zeros(portrait.image.shape[:2], np.uint8)
        cv2.fillPoly(inside, [np.round(lm[list(contour)]).astype(np.int32)], 1)
        inside = cv2.erode(inside, np.ones((3, 3), np.uint8)).astype(bool)
        before, after = luma(portrait.image[inside]), luma(frame[inside])
        assert after.std() < 0.5 * before.std()  # no white sclera around a dark iris any more
        assert after.max() < 0.8 * before.max()
        ring = cv2.dilate(inside.astype(np.uint8), np.ones((15, 15), np.uint8)).astype(bool) & ~inside
        assert abs(after.mean() - luma(frame[ring]).mean()) < 0.3 * luma(frame[ring]).mean()  # skin-like
    half = renderer.render(blink(lm, 0.3))  # a lid a third of the way down is a warp, not a painted lid
    x, y = np.round(lm[468]).astype(int)
    assert luma(half[y - 1:y + 2, x - 1:x + 2]).mean() < 80  # the iris is still there


def test_render_is_stateless(portrait, renderer):
    target = smile(portrait.landmarks, 0.05)
    first = renderer.render(target)
    for k in range(5):
        renderer.render(jaw_open(portrait.landmarks, 0.05 * k))
    assert (renderer.render(target) == first).all()
    with pytest.raises(ValueError):
        renderer.render(np.zeros((68, 2)))


def test_writer_makes_h264_aac_with_every_frame(tmp_path, portrait, renderer):
    from emogen.face.video import VideoWriter, probe, read_video

    n, fps, sr = 30, 25, 16000
    audio = (0.3 * np.sin(2 * np.pi * 200 * np.arange(n * sr // fps) / sr)).astype(np.float32)
    path = tmp_path / "clip.mp4"
    with VideoWriter(path, fps=fps, audio=audio, sample_rate=sr) as writer:
        for k in range(n):
            writer.write(renderer.render(jaw_open(portrait.landmarks, 0.1 * np.sin(k / 4) ** 2)))
    info = probe(path)
    assert info["video_codec"] == "h264" and info["audio_codec"] == "aac"
    assert info["frames"] == n and info["size"] == (512, 512) and info["fps"] == 25
    frames, got_fps, got_audio, got_sr = read_video(path)
    first = next(iter(frames))
    assert first.shape == (512, 512, 3) and got_fps == 25 and got_sr == sr
    assert abs(len(got_audio) - len(audio)) < 0.05 * sr
    assert [p.name for p in tmp_path.iterdir()] == ["clip.mp4"]


def test_writer_without_audio(tmp_path, portrait):
    from emogen.face.video import VideoWriter, probe, read_video

    path = tmp_path / "silent.mp4"
    with VideoWriter(path, fps=10) as writer:
        for _ in range(5):
            writer.write(portrait.image)
    assert probe(path)["audio_codec"] is None and probe(path)["frames"] == 5
    assert read_video(path)[2] is None


def test_an_exception_mid_stream_leaves_nothing(tmp_path, portrait):
    from emogen.face.video import VideoWriter

    path = tmp_path / "broken.mp4"
    with pytest.raises(RuntimeError, match="boom"):
        with VideoWriter(path, fps=25) as writer:
            for k in range(10):
                writer.write(portrait.image)
                if k == 5:
                    raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ValueError, match="uint8"):  # a wrong frame is an exception like any other
        with VideoWriter(path) as writer:
            writer.write(np.zeros((512, 512, 3), np.float32))
    with pytest.raises(EmogenError, match="no frames"):
        with VideoWriter(path):
            pass
    assert list(tmp_path.iterdir()) == []


def test_writer_rejects_bad_settings(tmp_path):
    from emogen.face.video import VideoWriter

    with pytest.raises(EmogenError, match="does not exist"):
        with VideoWriter(tmp_path / "no" / "such.mp4"):
            pass
    with pytest.raises(EmogenError, match="sample_rate"):
        VideoWriter(tmp_path / "a.mp4", audio=np.zeros(100, np.float32))
    with pytest.raises(EmogenError, match="even"):
        VideoWriter(tmp_path / "a.mp4", size=(511, 512))


def test_eval_face_measures_a_rendered_clip(tmp_path, portrait, renderer, capsys):
    """End to end: a clip whose mouth follows its audio's loudness is in sync at lag 0, keeps the
    face in every frame and keeps its identity; a neutral reference gives the opening's difference."""
    import json

    from emogen.cli import main
    from emogen.face.video import VideoWriter

    fps, sr, n = 25, 16000, 50
    rng = np.random.default_rng(0)
    env = np.convolve(rng.uniform(0, 1, n + 6), np.ones(4) / 4, mode="same")[3:3 + n]
    env = (env - env.min()) / np.ptp(env)
    audio = (rng.standard_normal(n * sr // fps) * np.repeat(env, sr // fps) * 0.3).astype(np.float32)
    talk, neutral = tmp_path / "talk.mp4", tmp_path / "neutral.mp4"
    with VideoWriter(talk, fps=fps, audio=audio, sample_rate=sr) as w:
        for k in range(n):
            w.write(renderer.render(jaw_open(portrait.landmarks, 0.2 * env[k])))
    with VideoWriter(neutral, fps=fps, audio=audio, sample_rate=sr) as w:
        for _ in range(n):
            w.write(portrait.image)
    plots = tmp_path / "figs"
    assert main(["eval", "face", str(talk), "--reference-neutral", str(neutral), "--json", "--plot", str(plots)]) == 0
    row = json.loads(capsys.readouterr().out)[0]
    assert row["frames"] == n and row["detection_rate"] == 1.0
    assert row["lip_sync_corr"] > 0.7 and abs(row["lip_sync_lag"]) <= 1
    assert row["identity_psnr_db"] >= 30
    assert row["relative"]["mouth_open"] > 0.03
    assert abs(row["relative"]["brow_height"]) < 0.01
    assert (plots / "talk_face.png").stat().st_size > 1000
    assert sum(row["expression"].values()) == pytest.approx(1, abs=1e-3)
    assert set(row["lift"]) == set(row["expression"]) and row["recognised"] in ("happy", "sad", "angry", "surprised")
    # a photo as the neutral reference: the classifier's lift against it, no frame-aligned measures
    from PIL import Image

    photo = tmp_path / "neutral.png"
    Image.fromarray(portrait.image).save(photo)
    assert main(["eval", "face", str(neutral), "--reference-neutral", str(photo), "--json"]) == 0
    row = json.loads(capsys.readouterr().out)[0]
    assert "relative" not in row and max(abs(v) for v in row["lift"].values()) < 0.1  # same face: no lift
    assert main(["eval", "face", str(talk), "--reference-neutral", str(tmp_path / "none.png")]) == 2
    assert main(["eval", "face", str(tmp_path / "missing.mp4")]) == 2


def test_a_mouth_open_at_rest_keeps_its_own_inside(portrait, renderer):
    """A photo that shows its teeth keeps them when the mouth opens further: only the newly opened
    part is painted (the photo's inside, marked green here, would be painted over otherwise); a new
    mouth (a jaw drop, ``new_mouth=1``) is painted whole, the photo's stretched inside not shown."""
    import cv2
    from dataclasses import replace
    from emogen.face import landmarks as L
    from emogen.face.warp import PortraitRenderer

    open_lm = jaw_open(portrait.landmarks, 0.12)
    image = renderer.render(open_lm)
    inside = np.zeros(image.shape[:2], np.uint8)
    cv2.fillPoly(inside, [np.round(open_lm[list(L.INNER_LIPS)]).astype(np.int32)], 1)
    inside = cv2.erode(inside, np.ones((5, 5), np.uint8)).astype(bool)
    image[inside] = (0, 255, 0)
    smiling = PortraitRenderer(replace(portrait, image=image, landmarks=open_lm))

    def green(frame):
        return ((frame[..., 1] > 200) & (frame[..., 0] < 60) & (frame[..., 2] < 60)).sum()

    assert green(smiling.render(jaw_open(open_lm, 0.1))) > 0.5 * inside.sum()
    assert green(smiling.render(jaw_open(open_lm, 0.1), new_mouth=1.0)) < 0.05 * inside.sum()
