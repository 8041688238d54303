"""The acoustic model, its training task and the pipeline, with tiny random models and a corpus
the test makes up (real phones, random frames)."""

import numpy as np
import pytest
import soundfile as sf
import torch

pytest.importorskip("pyworld")
pytest.importorskip("phonemizer")

from emogen import EmogenError  # noqa: E402
from emogen.core.trainer import TrainConfig, Trainer  # noqa: E402
from emogen.emotion import EmotionEncoderConfig  # noqa: E402
from emogen.speech import acoustic  # noqa: E402
from emogen.speech.emotion_prosody import CueChanges, apply_changes, changes_for, full_intensity_changes, stretch  # noqa: E402
from emogen.speech.prosody_profile import load_profile  # noqa: E402
from emogen.speech.model import FORMANT_COEFFICIENTS, TTSModel, TTSModelConfig, expand, phone_positions  # noqa: E402
from emogen.speech.pipeline import TTSPipeline  # noqa: E402
from emogen.speech.data import TTSCorpusDataset, TTSDataConfig, collate  # noqa: E402
from emogen.speech.task import TTSTask, TTSTrainConfig  # noqa: E402
from emogen import parse_emotion  # noqa: E402

F = acoustic.feature_dims()


def fake_corpus(path, utterances=8, seed=0):
    rng = np.random.default_rng(seed)
    frames, ids, durations = [], [], []
    for _ in range(utterances):
        p = rng.integers(5, 45, size=10)
        d = rng.integers(2, 8, size=10)
        f = rng.normal(size=(d.sum(), F)).astype(np.float32)
        f[:, 0] = np.log(180) + 0.1 * rng.normal(size=d.sum())
        f[:, 1] = 1.0
        frames.append(f), ids.append(p), durations.append(d)
    arrays = {"frames": np.concatenate(frames), "frame_offsets": np.cumsum([0] + [len(f) for f in frames]),
              "phone_ids": np.concatenate(ids), "durations": np.concatenate(durations),
              "phone_offsets": np.cumsum([0] + [len(p) for p in ids])}
    path.mkdir(parents=True, exist_ok=True)
    np.savez(path / "features.npz", **arrays)
    return arrays


def tiny_config(**extra) -> TTSModelConfig:
    settings = dict(emotion=EmotionEncoderConfig(dim=16), feature_dims=F, encoder_hidden=32, encoder_layers=1,
                    duration_hidden=16, duration_layers=1, decoder_hidden=32, decoder_layers=1, dropout=0.0)
    return TTSModelConfig(**{**settings, **extra})


def test_expand_repeats_each_phone_for_its_frames():
    h = torch.arange(3.0).view(1, 1, 3)
    out = expand(h, torch.tensor([[2, 0, 3]]))
    assert out.tolist() == [[[0.0, 0.0, 2.0, 2.0, 2.0]]]


def test_phone_positions_give_each_frames_place_in_its_phone():
    pos = phone_positions(torch.tensor([[2, 0, 3], [1, 1, 0]]), 6)
    assert pos.shape == (2, 2, 6)
    assert torch.allclose(pos[0, 0], torch.tensor([0.25, 0.75, 1 / 6, 0.5, 5 / 6, 0.0]))
    assert torch.allclose(pos[0, 1, :5], torch.log1p(torch.tensor([2.0, 2, 3, 3, 3])) / 4)
    assert pos[1, :, 2:].abs().sum() == 0  # padding frames carry nothing


def test_rendering_moves_cues_the_way_the_literature_says():
    # directions of the research table, at intensity 1
    sad, happy, angry = (full_intensity_changes(e) for e in ("sad", "happy", "angry"))
    assert sad.f0_mean_st < 0 and sad.rate < 0 and sad.loudness_db < 0 and sad.f0_range_st < 0
    assert happy.f0_mean_st > 0 and happy.rate > 0 and happy.loudness_db > 0
    assert angry.loudness_db > happy.loudness_db  # the RAVDESS difference survives the scaling
    half = changes_for(parse_emotion("sad:0.5"))
    assert half.f0_mean_st == pytest.approx(sad.f0_mean_st / 2)
    mix = changes_for(parse_emotion("happy:0.5+sad:0.5"))
    assert mix.f0_mean_st == pytest.approx((happy.f0_mean_st + sad.f0_mean_st) / 2)
    # fear's loudness: "normal" in the corpus, added by the natural stage, in proportion to its share
    fear = full_intensity_changes("fearful")
    assert fear.loudness_db == 0.0 and fear.stage_loudness_db > 3.0 and happy.stage_loudness_db == 0.0
    assert changes_for(parse_emotion("fearful:0.5+happy:0.5")).stage_loudness_db == pytest.approx(
        fear.stage_loudness_db / 2)
    frames = np.zeros((100, F), dtype=np.float32)
    frames[:, 0] = np.log(200.0) + 0.05 * np.sin(np.arange(100) / 5)
    frames[:, 1] = 1.0
    slow, slow_d = apply_changes(frames, np.full(10, 10), sad)
    assert len(slow) > 100 and slow_d.sum() == len(slow)
    assert np.median(slow[:, 0]) < np.median(frames[:, 0])


def test_voice_quality_tells_angry_from_happy():
    # RAVDESS's measured voice quality: angry speech carries more energy at 3-5 kHz than happy
    # speech at the same F0 rise, and both are less breathy than neutral
    happy, angry = full_intensity_changes("happy"), full_intensity_changes("angry")
    hz = np.array(load_profile()["spectral_shape_hz"])
    high = (hz > 3000) & (hz < 5000)
    assert angry.spectral_shape_db[high].mean() > happy.spectral_shape_db[high].mean() > 0
    assert happy.aperiodicity_db < 0 and angry.aperiodicity_db < 0
    # the shape moves energy between bands without changing the level (loudness is its own cue)
    rng = np.random.default_rng(0)
    frames = np.zeros((60, F), dtype=np.float32)
    frames[:, 0], frames[:, 1] = np.log(180.0), 1.0
    frames[:, 2:2 + acoustic.SP_DIMS] = acoustic.analyze(rng.normal(0, 0.1, 22050).astype(np.float32), 22050).sp.mean(0)
    shaped, _ = apply_changes(frames, np.full(6, 10), CueChanges(spectral_shape_db=angry.spectral_shape_db))
    power = [acoustic.WorldFrames.unstack(f[:1]) for f in (frames, shaped)]
    assert not np.allclose(power[0].sp, power[1].sp)
    level = [10 * np.log10(acoustic.decode_envelope(p.sp).sum()) for p in power]
    assert level[1] == pytest.approx(level[0], abs=0.1)


def test_stretch_repeats_each_phones_own_frames():
    # no blending of neighbouring frames: a voiced/unvoiced edge stays an edge
    frames = np.arange(20, dtype=np.float32)[:, None].repeat(3, 1)
    durations = np.array([5, 10, 5])
    slow, slow_d = stretch(frames, durations, 1.5)
    assert slow_d.sum() == 30 == len(slow) and np.abs(slow_d - 1.5 * durations).max() <= 1
    assert set(slow[:, 0].tolist()) <= set(frames[:, 0].tolist())
    owner = np.repeat([0, 1, 2], durations)
    new_owner = np.repeat([0, 1, 2], slow_d)
    assert (owner[slow[:, 0].astype(int)] == new_owner).all()


def test_corpus_analysis_is_cached_per_rendering(tmp_path):
    from emogen.speech.data import _analyze_rendering

    t = np.arange(int(0.4 * acoustic.SAMPLE_RATE)) / acoustic.SAMPLE_RATE
    voiced = sum(np.sin(2 * np.pi * 180 * k * t) / k for k in range(1, 6))
    stem = tmp_path / "utt00000"
    sf.write(f"{stem}.wav", 0.3 * voiced, acoustic.SAMPLE_RATE)
    frames = _analyze_rendering(stem)
    assert frames.shape == (len(frames), F) and len(frames) >= 40
    assert np.exp(np.median(frames[:, 0])) == pytest.approx(180, rel=0.05)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["utt00000.wav", "utt00000.world.npy"]
    sf.write(f"{stem}.wav", np.zeros(100), acoustic.SAMPLE_RATE)  # a rebuild reads the cache, not the audio
    assert np.array_equal(_analyze_rendering(stem), frames)


def test_corpus_build_refuses_a_folder_of_another_size(tmp_path):
    from emogen.speech.data import build_corpus, write_sentences

    write_sentences(["One.", "Two.", "Three."], tmp_path)
    with pytest.raises(EmogenError, match="already holds a 3-sentence corpus, not 5"):
        build_corpus(tmp_path, tmp_path / "no-data", sentences=5)


def test_loss_and_a_few_training_steps(tmp_path):
    fake_corpus(tmp_path / "corpus")
    config = TTSTrainConfig(model=tiny_config(segment_frames=16, phone_position=True),
                            data=TTSDataConfig(corpus=str(tmp_path / "corpus"), val_utterances=2),
                            train=TrainConfig(output_dir=str(tmp_path / "run"), max_steps=3, batch_size=4,
                                              warmup_steps=1, val_every=3, save_every=3, mixed_precision="no"))
    result = Trainer(TTSTask(), config, show_progress=False).run()
    assert {"loss", "flow_loss", "prior_loss", "duration_loss", "val_loss"} <= set(result.metrics)
    model = TTSModel.from_pretrained(result.model_dir)
    assert len(model.feature_mean) == F and "emotion" in (result.model_dir / "README.md").read_text()
    # fine-tuning on another corpus keeps the normalisation the starting weights were trained with
    fake_corpus(tmp_path / "other", seed=1)
    config.data.corpus, config.train.output_dir = str(tmp_path / "other"), str(tmp_path / "tuned")
    config.model = tiny_config(segment_frames=16, phone_position=True)
    config.train.init_from = str(result.model_dir)
    tuned = TTSModel.from_pretrained(Trainer(TTSTask(), config, show_progress=False).run().model_dir)
    assert torch.equal(tuned.feature_mean, model.feature_mean)
    assert tuned.config.feature_mean == model.config.feature_mean  # the card's config says the same
    assert tuned.config.feature_std == model.config.feature_std
    audio, _ = TTSPipeline(tuned)("Hello there.", steps=1)  # speaks with phone positions as context
    assert np.isfinite(audio).all() and len(audio) > 0
    # growing the decoder: a deeper model refuses the weights unless told to grow, then starts
    # as its source (the added block's gates are zero) and speaks the same
    config.model = tiny_config(segment_frames=16, phone_position=True, decoder_layers=2)
    config.data.corpus, config.train.output_dir = str(tmp_path / "corpus"), str(tmp_path / "grown")
    config.train.learning_rate, config.train.ema_decay, config.train.max_steps = 1e-12, 0.0, 1
    with pytest.raises(EmogenError, match=r"missing: decoder\.blocks\.1\."):
        Trainer(TTSTask(), config, show_progress=False).run()
    config.train.init_grow = True
    grown = TTSModel.from_pretrained(Trainer(TTSTask(), config, show_progress=False).run().model_dir)
    assert len(grown.decoder.blocks) == 2
    same, _ = TTSPipeline(model)("Hello there.", steps=2, seed=3)
    deeper, _ = TTSPipeline(grown)("Hello there.", steps=2, seed=3)
    np.testing.assert_allclose(deeper, same, atol=1e-4)


@pytest.mark.parametrize("option, channels", [("lf0_loss_weight", [0]),
                                               ("formant_loss_weight", list(range(2, 2 + FORMANT_COEFFICIENTS)))])
def test_channel_loss_weights_reweight_their_channels(tmp_path, option, channels):
    arrays = fake_corpus(tmp_path / "corpus")
    dataset = TTSCorpusDataset(arrays, list(range(4)), TTSDataConfig(corpus=str(tmp_path / "corpus")), fixed=True)
    batch = collate([dataset[i] for i in range(4)])
    torch.manual_seed(0)
    model = TTSModel(tiny_config(**{option: 5.0})).eval()
    model.config.emotion.null_dropout = model.config.emotion.category_dropout = 0.0  # same emotion as by hand
    # the prior loss, by hand: squared error per channel, the weighted channels counted 5 times
    h, _ = model.encode_text(batch["phone_ids"], batch["phone_mask"], model.emotion_encoder(batch["emotion"]))
    _, mu = model.decoder_context(h, batch["durations"], batch["frame_mask"].shape[1])
    error = ((mu - model.normalize(batch["frames"])) ** 2 * batch["frame_mask"][:, None, :]).sum((0, 2))
    weights = torch.ones(F)
    weights[channels] = 5.0
    expected = (error * weights).sum() / (weights.sum() * batch["frame_mask"].sum())
    _, parts = model.loss(batch, torch.Generator().manual_seed(0))
    assert torch.allclose(parts["prior_loss"], expected, rtol=1e-5)
    setattr(model.config, option, 1.0)
    _, plain = model.loss(batch, torch.Generator().manual_seed(0))
    assert torch.allclose(plain["prior_loss"], error.sum() / (F * batch["frame_mask"].sum()), rtol=1e-5)


def test_text_dropout_and_text_guidance(tmp_path):
    arrays = fake_corpus(tmp_path / "corpus")
    dataset = TTSCorpusDataset(arrays, list(range(4)), TTSDataConfig(corpus=str(tmp_path / "corpus")), fixed=True)
    batch = collate([dataset[i] for i in range(4)])
    torch.manual_seed(0)
    model = TTSModel(tiny_config(text_dropout=1.0)).eval()
    # with every utterance's text dropped, the flow loss no longer depends on the phones
    other = dict(batch, phone_ids=batch["phone_ids"].flip(1))
    losses = [model.loss(b, torch.Generator().manual_seed(0))[1] for b in (batch, other)]
    assert torch.equal(losses[0]["flow_loss"], losses[1]["flow_loss"])
    assert not torch.equal(losses[0]["prior_loss"], losses[1]["prior_loss"])
    model.config.text_dropout = 0.0
    kept = model.loss(other, torch.Generator().manual_seed(0))[1]
    assert not torch.equal(kept["flow_loss"], losses[1]["flow_loss"])
    # guidance: v = v(no text) + g * (v(text) - v(no text)); g = 1 is the plain conditional call.
    # The decoder's zero-initialised gates would make every velocity 0: give them weights first.
    with torch.no_grad():
        for p in model.decoder.parameters():
            p.add_(0.1 * torch.randn_like(p))
    x, t = torch.randn(1, F, 12), torch.tensor([0.3])
    emotion, context = torch.randn(1, 16), torch.randn(1, 32 + F, 12)
    with_text = model.velocity(x, t, emotion, context)
    without_text = model.velocity(x, t, emotion, torch.zeros_like(context))
    assert not torch.allclose(with_text, without_text)
    torch.testing.assert_close(model.velocity(x, t, emotion, context, text_guidance=2.0),
                               2 * with_text - without_text, rtol=1e-4, atol=1e-5)
    # the checkpoint's default strength is what the pipeline uses unless told otherwise
    model.config.text_guidance = 2.0
    default, _ = TTSPipeline(model)("Hello there.", steps=2, seed=1)
    explicit, _ = TTSPipeline(model)("Hello there.", steps=2, seed=1, text_guidance=2.0)
    plain, _ = TTSPipeline(model)("Hello there.", steps=2, seed=1, text_guidance=1.0)
    np.testing.assert_array_equal(default, explicit)
    assert not np.allclose(default, plain)


def test_dataset_renders_emotions_reproducibly(tmp_path):
    arrays = fake_corpus(tmp_path / "c")
    data = TTSCorpusDataset(arrays, list(range(8)), TTSDataConfig())
    torch.manual_seed(3)
    a = data[0]
    torch.manual_seed(3)
    b = data[0]
    assert torch.equal(a["frames"], b["frames"]) and a["durations"].sum() == len(a["frames"])
    batch = collate([data[i] for i in range(4)])
    assert batch["frames"].shape[0] == 4 and batch["phone_mask"].sum(1).tolist() == [10] * 4
    assert (batch["frame_mask"].sum(1) == batch["durations"].sum(1)).all()


@pytest.fixture(scope="module")
def tiny_pipeline():
    torch.manual_seed(0)
    return TTSPipeline(TTSModel(tiny_config()))


def test_pipeline_speaks_with_tags_trajectories_and_guidance(tiny_pipeline):
    audio, sr = tiny_pipeline("Hello there. [sad:0.5] How are you?", emotion="happy", steps=2,
                              guidance_scale=2.0, negative="angry")
    assert sr == acoustic.SAMPLE_RATE and audio.dtype == np.float32 and len(audio) > sr * 0.1
    parts = list(tiny_pipeline.stream("One. Two three.", emotion="neutral>sad", steps=2))
    assert [p.text for p in parts] == ["One.", "Two three."] and parts[1].start_s > 0
    keyed, _ = tiny_pipeline("One two three.", emotion="happy@0,sad@0.2", steps=2)
    assert np.isfinite(keyed).all()
    again, _ = tiny_pipeline("Hello there. [sad:0.5] How are you?", emotion="happy", steps=2,
                             guidance_scale=2.0, negative="angry")
    assert np.array_equal(audio, again)  # seeded


@pytest.mark.parametrize("kwargs, message", [
    (dict(text=""), "nothing to pronounce"),
    (dict(text="   "), "nothing to pronounce"),
    (dict(text="Hi.", emotion="hapy"), "did you mean 'happy'"),
    (dict(text="Hi.", emotion="sad", intensity=2.0), "out of range"),
    (dict(text="Hi.", speed=10.0), "speed 10 is out of range"),
    (dict(text="Hi.", text_guidance=-1.0), "text guidance -1 is out of range; accepted: 0 to 10"),
])
def test_pipeline_bad_input(tiny_pipeline, kwargs, message):
    with pytest.raises(EmogenError, match=message):
        tiny_pipeline(**kwargs)


def test_cli_writes_audio_atomically_and_fails_cleanly(tmp_path, tiny_pipeline, monkeypatch, capsys):
    from emogen.cli import main

    monkeypatch.setattr(TTSPipeline, "shared", classmethod(lambda cls, *a, **k: tiny_pipeline))
    out = tmp_path / "out.wav"
    assert main(["tts", "Hello world.", "--emotion", "sad", "--intensity", "0.7", "-o", str(out), "--steps", "2"]) == 0
    audio, sr = sf.read(out)
    assert sr == acoustic.SAMPLE_RATE and len(audio) > 0
    assert main(["tts", "Hello world.", "-o", str(tmp_path / "x.flac"), "--steps", "2", "--sample-rate", "16000"]) == 0
    assert sf.info(tmp_path / "x.flac").samplerate == 16000
    assert main(["tts", "Hello world.", "-o", str(tmp_path / "plain.wav"), "--steps", "2", "--text-guidance", "1"]) == 0
    lines = tmp_path / "lines.txt"
    lines.write_text("First line.\n\nThird line.\n")
    assert main(["tts", "--text-file", str(lines), "--out-dir", str(tmp_path / "batch"), "--steps", "2"]) == 0
    assert sorted(p.name for p in (tmp_path / "batch").iterdir()) == ["0000.wav", "0002.wav"]
    capsys.readouterr()
    for args, message in [
        (["tts", "", "-o", str(tmp_path / "e.wav")], "nothing to pronounce"),
        (["tts", "Hi.", "--emotion", "hapy", "-o", str(tmp_path / "e.wav")], "did you mean 'happy'"),
        (["tts", "Hi.", "--intensity", "1.5", "-o", str(tmp_path / "e.wav")], "out of range"),
        (["tts", "Hi.", "-o", str(tmp_path / "missing" / "e.wav")], "does not exist"),
        (["tts", "Hi.", "-o", str(tmp_path / "e.mp3")], "unknown audio format"),
        (["tts", "Hi.", "--text-guidance", "11", "-o", str(tmp_path / "e.wav")], "--text-guidance: 11 is out of range"),
        (["tts", "Hi.", "--checkpoint", str(tmp_path / "nope"), "-o", str(tmp_path / "e.wav")], "not found"),
    ]:
        monkeypatch.setattr(TTSPipeline, "shared",
                            classmethod(lambda cls, name="", *a, **k: tiny_pipeline if "nope" not in str(name)
                                        else TTSModel.from_pretrained(name)))
        assert main(args) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: ") and message in err and err.count("\n") == 1
        assert not (tmp_path / "e.wav").exists() and not (tmp_path / "e.mp3").exists()


@pytest.fixture(scope="module")
def shipped_voice():
    from emogen.core.checkpoint import shipped_checkpoints_dir

    if not (shipped_checkpoints_dir() / "tts-slt-emotion" / "model.safetensors").is_file():
        pytest.skip("the shipped voice checkpoints/tts-slt-emotion is absent")
    return TTSPipeline.from_pretrained("tts-slt-emotion")


@pytest.mark.slow
def test_shipped_voice_sounds_emotional(shipped_voice):
    """End to end on the shipped checkpoint: relative to neutral for the same text, sad speech is
    lower, slower and softer, happy and angry speech higher and louder, angry loudest."""
    from emogen.speech.cues import measure, relative_cues

    text = "The boy was there when the sun rose, and we all walked home together."
    neutral = measure(*shipped_voice(text, "neutral"))
    cues = {e: relative_cues(measure(*shipped_voice(text, e)), neutral) for e in ("sad", "happy", "angry")}
    assert cues["sad"]["f0_mean_st"] < -0.5 and cues["sad"]["rate"] < -0.05 and cues["sad"]["loudness_db"] < 0
    assert cues["happy"]["f0_mean_st"] > 1.0 and cues["happy"]["loudness_db"] > 1.0
    assert cues["angry"]["loudness_db"] > cues["happy"]["loudness_db"]
    half = relative_cues(measure(*shipped_voice(text, "sad:0.5")), neutral)
    assert cues["sad"]["f0_mean_st"] < half["f0_mean_st"] < 0.0
