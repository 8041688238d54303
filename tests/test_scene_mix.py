"""The scene's music bed: ducking, fades, level, no clipping (pure numpy), and the real soundtrack."""

from pathlib import Path

import numpy as np
import pytest

from emogen.errors import EmogenError
from emogen.scene.mix import duck_gain, fade, mix_music_under_speech, music_bed_gain, voice_activity
from emogen.scene.pipeline import music_bars_for, resolve_scene_emotion

SR = 16000


def speech_like(seconds=4.0, start=1.5, stop=2.5, amplitude=0.5, sr=SR):
    """Silence with a 'voice' (a 200 Hz tone with a syllable-rate wobble) between start and stop."""
    t = np.arange(int(seconds * sr)) / sr
    voice = amplitude * np.sin(2 * np.pi * 200 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 4 * t) ** 2)
    return np.where((t >= start) & (t < stop), voice, 0.0).astype(np.float32)


def music_like(seconds=5.0, amplitude=0.3, sr=SR):
    t = np.arange(int(seconds * sr)) / sr
    return (amplitude * np.sin(2 * np.pi * 330 * t)).astype(np.float32)


def db(x):
    return 20 * np.log10(x)


def test_voice_activity_finds_the_voice():
    active = voice_activity(speech_like(), SR)
    frames = np.arange(len(active)) * 0.02
    assert active[(frames > 1.6) & (frames < 2.4)].all()
    assert not active[(frames < 1.4) | (frames > 2.6)].any()
    assert not voice_activity(np.zeros(SR, np.float32), SR).any()


def test_ducking_depth_and_smoothness():
    speech = speech_like()
    gain = duck_gain(speech, SR, duck_db=-10.0)
    assert gain.shape == speech.shape
    t = np.arange(len(gain)) / SR
    assert db(gain[(t > 1.7) & (t < 2.3)]).max() == pytest.approx(-10.0, abs=0.2)  # fully ducked under the voice
    assert gain[t < 1.0].min() == pytest.approx(1.0, abs=1e-3)  # untouched well before
    assert gain[t > 3.3].min() == pytest.approx(1.0, abs=1e-3)  # and well after
    assert gain[(t > 1.35) & (t < 1.5)].max() < 0.95  # the dip starts before the first syllable
    assert np.abs(np.diff(gain)).max() < 5e-4  # no jumps (no clicks)
    assert np.allclose(duck_gain(speech, SR, duck_db=0.0), 1.0)
    with pytest.raises(EmogenError, match="duck_db"):
        duck_gain(speech, SR, duck_db=3.0)


def test_fades_are_smooth_and_reach_zero():
    env = fade(SR * 3, SR, fade_in_s=0.5, fade_out_s=1.0)
    assert env[0] == 0.0 and env[-1] < 1e-4
    assert np.all(np.diff(env[: SR // 2]) >= 0) and np.all(np.diff(env[-SR:]) <= 0)
    assert np.allclose(env[SR // 2 + 1: 2 * SR - 1], 1.0)
    assert fade(10, SR, 1.0, 1.0).shape == (10,)  # fades longer than the clip are shortened, not an error


def test_mix_level_length_and_music_volume():
    speech, music = speech_like(), music_like()
    mix = mix_music_under_speech(speech, music, SR, music_volume=0.25)
    assert mix.shape == speech.shape and mix.dtype == np.float32
    bed = mix - speech  # no rescaling happened at these levels
    t = np.arange(len(mix)) / SR
    voiced = speech[(t > 1.6) & (t < 2.4)]
    free = (t > 0.6) & (t < 1.2)  # after the fade-in, before the duck
    ratio = np.sqrt(np.mean(bed[free] ** 2)) / np.sqrt(np.mean(voiced ** 2))
    assert ratio == pytest.approx(0.25, rel=0.05)
    ducked = (t > 1.7) & (t < 2.3)
    depth = db(np.sqrt(np.mean(bed[ducked] ** 2)) / np.sqrt(np.mean(bed[free] ** 2)))
    assert depth == pytest.approx(-10.0, abs=0.5)
    assert abs(mix[0]) < 1e-6 and abs(bed[-1]) < 1e-4  # faded in and out
    assert np.array_equal(mix_music_under_speech(speech, music, SR, music_volume=0.0), speech)
    short = mix_music_under_speech(speech, music[: SR], SR)  # music shorter than the speech: padded
    assert short.shape == speech.shape and np.all(short[2 * SR:] == speech[2 * SR:])
    with pytest.raises(EmogenError, match="music volume"):
        mix_music_under_speech(speech, music, SR, music_volume=-1)
    with pytest.raises(EmogenError, match="NaN"):
        mix_music_under_speech(speech, np.full(10, np.nan, np.float32), SR)


def test_no_clipping_keeps_the_balance():
    speech = speech_like(amplitude=1.0)
    music = music_like(amplitude=1.0)
    mix = mix_music_under_speech(speech, music, SR, music_volume=2.0, headroom=0.98)
    assert np.abs(mix).max() == pytest.approx(0.98, abs=1e-4)
    unscaled = speech + music_bed_gain(speech, music, SR, 2.0) * music[: len(speech)]
    assert np.allclose(mix, unscaled * (0.98 / np.abs(unscaled).max()), atol=1e-5)


def test_silent_speech_still_gets_music():
    mix = mix_music_under_speech(np.zeros(2 * SR, np.float32), music_like(), SR, music_volume=0.5)
    assert 0 < np.abs(mix).max() <= 0.98


def test_music_bars_cover_the_speech():
    assert music_bars_for(3.0) == 2  # 3 s + 1 s tail at 2 s per bar
    assert music_bars_for(9.5) == 6
    assert music_bars_for(1000) == 64


def test_scene_emotion_resolution():
    assert str(resolve_scene_emotion("Hello.", "sad", 0.5)) == "sad:0.5"
    with pytest.raises(EmogenError, match="auto:SCALE"):
        resolve_scene_emotion("Hello.", "auto", 0.5)


@pytest.mark.slow
def test_auto_emotion_from_the_script():
    if not (Path(__file__).parents[1] / "checkpoints" / "text-emotion-goemotions").is_dir():
        pytest.skip("the shipped text-emotion checkpoint is not in checkpoints/")
    happy = resolve_scene_emotion("We won the championship, this is the best day of my life!", "auto")
    assert happy.resolve_vad()[0] > 0.2  # positive valence
    scaled = resolve_scene_emotion("We won the championship, this is the best day of my life!", "auto:0.5")
    # Both are rounded to 3 decimals (text/auto.py), so halving matches to within that rounding.
    assert scaled.intensity == pytest.approx(0.5 * happy.intensity, abs=1e-3)
    # The README's example: each sentence alone reads neutral, the script as a whole happy
    readme = resolve_scene_emotion("We did it! After all this time, we actually did it.", "auto")
    assert readme.components[0].emotion == "happy" and readme.intensity > 0.2


@pytest.mark.slow
def test_soundtrack_with_the_shipped_music_model():
    """Real music (shipped checkpoint, soundfont) under real-ish speech: covers the clip, no clipping."""
    pytest.importorskip("pretty_midi")
    pytest.importorskip("tinysoundfont", reason="audio rendering needs tinysoundfont (pip install --no-deps)")
    if not (Path(__file__).parents[1] / "checkpoints" / "music-emopia").is_dir():
        pytest.skip("the shipped music checkpoint is not in checkpoints/")
    from emogen.scene import ScenePipeline

    sr = 22050
    speech = speech_like(seconds=3.0, start=0.5, stop=2.5, sr=sr)
    mix, piece = ScenePipeline().soundtrack(speech, sr, "sad:0.8", music_volume=0.3, seed=1)
    assert mix.shape == speech.shape and np.abs(mix).max() <= 0.98 + 1e-6
    assert piece.bars == 2 and piece.duration >= 3.0
    bed = mix - speech
    assert np.sqrt(np.mean(bed ** 2)) > 0.05 * np.sqrt(np.mean(speech ** 2))  # the music is there
    assert piece.emotion.resolve_vad()[0] < 0  # the bed carries the scene's (sad) emotion


@pytest.mark.slow
def test_scene_video_with_the_talking_head(tmp_path):
    pytest.importorskip("mediapipe")
    if not (Path(__file__).parents[1] / "checkpoints" / "face-motion").is_dir():
        pytest.skip("the face-motion checkpoint is not in checkpoints/ yet")
    from emogen.scene import ScenePipeline

    out = tmp_path / "scene.mp4"
    result = ScenePipeline()("It is good to see you.", "happy", 0.7, music_volume=0.3, steps=4)
    assert not out.exists()  # calling writes nothing; save encodes the mp4
    assert result.save(out) == out and out.stat().st_size > 1000
    assert len(result.audio) == len(result.clip.audio) and np.abs(result.audio).max() <= 0.98 + 1e-6


def test_scene_cli_checks_before_loading(tmp_path, capsys):
    from emogen.cli import main

    assert main(["scene", "--text", "Hello.", "-o", str(tmp_path / "scene.wav")]) == 2
    assert "must be an .mp4" in capsys.readouterr().err
    assert main(["scene", "--text", "Hello.", "--emotion", "sad:3", "-o", str(tmp_path / "s.mp4")]) == 2
    assert "out of range" in capsys.readouterr().err
    assert main(["scene", "-o", str(tmp_path / "s.mp4")]) == 2
    assert "no script" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())
