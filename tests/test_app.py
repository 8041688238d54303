"""The functions behind the Gradio app: spec building, error messages, real generation, the API."""

import socket
from pathlib import Path

import numpy as np
import pytest

from emogen.emotion import parse_emotion
from emogen.errors import EmogenError

pytestmark = pytest.mark.slow  # imports gradio; generates with the shipped checkpoints; starts a server
gr = pytest.importorskip("gradio", reason="the app needs gradio (pip install 'emogen[app]')")
fx = pytest.importorskip("emogen.app.functions")
CHECKPOINTS = Path(__file__).parents[1] / "checkpoints"


def test_spec_from_the_controls():
    assert fx.build_spec("sad", 0.7) == "sad:0.7"
    assert fx.build_spec("happy", 0.8, second="surprised", mix=0.25) == "happy:0.6+surprised:0.2"
    mixed = parse_emotion(fx.build_spec("happy", 0.8, second="surprised", mix=0.25))
    assert mixed.intensity == pytest.approx(0.8)
    assert fx.build_spec("happy", 0.8, second="surprised", mix=1.0) == "surprised:0.8"
    assert fx.build_spec("happy", 0.5, second="happy", mix=0.5) == "happy:0.5"
    assert fx.build_spec("angry", 0.0) == "angry:0"
    dims = fx.build_spec("happy", 0.5, dimensional=True, valence=0.6, arousal=-0.2, dominance=0.1)
    assert dims == "v=0.6,a=-0.2,d=0.1:0.5"
    assert parse_emotion(dims).point == pytest.approx((0.6, -0.2, 0.1))
    # the free spec box wins over the controls, and takes trajectories and auto
    assert fx.build_spec("happy", 0.5, spec=" neutral>sad ") == "neutral>sad"
    assert fx.build_spec("happy", 0.5, spec="auto:0.5") == "auto:0.5"


@pytest.mark.parametrize("controls, message", [
    (dict(emotion="joyous-ish"), "unknown emotion 'joyous-ish'; accepted: neutral, happy"),
    (dict(emotion="sad", intensity=1.5), "intensity 1.5 is out of range; accepted: 0 to 1"),
    (dict(emotion="sad", intensity="lots"), "intensity must be a number"),
    (dict(emotion="sad", second="sad!", mix=0.5), "unknown second emotion"),
    (dict(emotion="sad", second="happy", mix=2), "mix 2 is out of range"),
    (dict(dimensional=True, valence=3), "valence 3 is out of range; accepted: -1 to 1"),
    (dict(spec="happy:7"), "7 after 'happy' is out of range"),
])
def test_bad_controls_give_one_readable_line(controls, message):
    with pytest.raises(EmogenError) as e:
        fx.build_spec(**controls)
    assert message in str(e.value) and "\n" not in str(e.value)


def test_plane_marks_the_setting_and_never_raises():
    calm = fx.plane_image("calm", 1.0)
    angry = fx.plane_image("angry", 1.0)
    assert calm.ndim == 3 and calm.shape[2] == 3 and calm.dtype == np.uint8
    assert not np.array_equal(calm, angry)  # the marker moved

    def red(img):  # where the crimson marker is drawn
        mask = (img[..., 0] > 180) & (img[..., 1] < 80) & (img[..., 2] < 100)
        return np.argwhere(mask).mean(axis=0)

    (calm_row, calm_col), (angry_row, angry_col) = red(calm), red(angry)
    assert calm_col > angry_col  # calm: positive valence, to the right
    assert calm_row > angry_row  # calm: low arousal, lower in the picture
    assert fx.plane_image(spec="happy:7").shape == calm.shape  # an invalid setting is a note, not an error
    assert fx.plane_image(spec="neutral>sad>angry").shape == calm.shape


def test_negative_spec():
    assert fx.negative_spec("none") is None and fx.negative_spec("") is None
    assert fx.negative_spec("happy") == "happy"
    with pytest.raises(EmogenError, match="not a trajectory"):
        fx.negative_spec("happy>sad")


def test_errors_reach_the_page_as_gr_error():
    with pytest.raises(gr.Error) as e:
        fx.speech("Hello.", "sad", 4.0)
    assert "intensity 4 is out of range" in e.value.message
    with pytest.raises(gr.Error, match="the text is empty"):
        fx.speech("   ", "sad", 0.5)
    with pytest.raises(gr.Error, match="music has no text"):
        fx.music(spec="auto")


def test_speech_and_music_files():
    if not (CHECKPOINTS / "tts-slt-emotion").is_dir() or not (CHECKPOINTS / "music-emopia").is_dir():
        pytest.skip("the shipped tts / music checkpoints are not in checkpoints/")
    import soundfile as sf

    wav = fx.speech("The rain has stopped.", "sad", 0.8, steps=3, seed=1)
    audio, sr = sf.read(wav)
    assert wav.endswith(".wav") and sr == 22050 and 0.5 < len(audio) / sr < 5
    assert np.array_equal(audio, sf.read(fx.speech("The rain has stopped.", "sad", 0.8, steps=3, seed=1))[0])
    pytest.importorskip("pretty_midi")
    pytest.importorskip("tinysoundfont", reason="audio preview needs tinysoundfont")
    midi, preview, roll = fx.music("calm", 0.8, bars=2, steps=2, seed=0)
    assert Path(midi).suffix == ".mid" and Path(midi).stat().st_size > 50
    assert sf.read(preview)[0].size > 22050 and Path(roll).suffix == ".png"


def test_talk_makes_a_video_and_reports_a_missing_face_readably(tmp_path):
    if not (CHECKPOINTS / "face-motion").is_dir():
        pytest.skip("the face-motion checkpoint is not in checkpoints/")
    pytest.importorskip("mediapipe")
    blank = tmp_path / "blank.png"
    import numpy as np
    from PIL import Image

    Image.fromarray(np.full((200, 200, 3), 128, np.uint8)).save(blank)
    with pytest.raises(gr.Error) as e:
        fx.talk("Hello.", str(blank), "happy", 0.5)
    assert "\n" not in e.value.message and "no face" in e.value.message
    video = fx.talk("Hello there.", None, "happy", 0.5)
    assert Path(video).suffix == ".mp4" and Path(video).stat().st_size > 1000


def test_gradio_client_api(tmp_path):
    if not (CHECKPOINTS / "tts-slt-emotion").is_dir():
        pytest.skip("the shipped tts checkpoint is not in checkpoints/")
    client_module = pytest.importorskip("gradio_client")
    from emogen.app.ui import build_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = build_app().queue()
    app.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        client = client_module.Client(f"http://127.0.0.1:{port}/", verbose=False)
        assert {"/tts", "/music", "/talk", "/scene"} <= set(client.view_api(return_format="dict")["named_endpoints"])
        wav = client.predict(text="Hello there.", emotion="happy", intensity=0.6, steps=3, api_name="/tts")
        assert Path(wav).is_file() and Path(wav).stat().st_size > 1000
        with pytest.raises(Exception, match="9 after 'happy' is out of range"):  # our message, not a traceback
            client.predict(text="Hello.", spec="happy:9", api_name="/tts")
        with pytest.raises(Exception, match="not in the list of choices"):  # Gradio checks dropdown values
            client.predict(text="Hello.", emotion="elated!", api_name="/tts")
    finally:
        app.close()
