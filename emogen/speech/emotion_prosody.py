"""Give a neutral utterance's WORLD frames an emotion's prosody and voice quality (the
emotional versions of the TTS training corpus, made on the fly by the dataset).

Sizes come from RAVDESS (``prosody_profile.py``: median change per emotion at "normal" and
"strong" intensity, relative to each actor's neutral): F0 level and range, loudness and rate, and
the voice quality that tells emotions of the same arousal apart (angry and happy both raise F0
and loudness; angry speech has more high-band energy and less low-band, happy speech is less
breathy): the spectral shape over 16 mel bands and the aperiodicity, applied to the envelope
and aperiodicity frames. Acted RAVDESS speech disagrees with the
perception literature in a few directions (its actors slow down for almost every emotion, and
"strong" sadness is sobbing: higher and louder). Where it does, the direction follows the
literature table (Murray & Arnott 1993; Juslin & Laukka 2003; ``docs/research.md``) and RAVDESS
gives only the size; every size is clamped to what the vocoded voice carries intelligibly.
Changes grow linearly with intensity, so every cue is monotone in intensity by construction.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from functools import lru_cache

import numpy as np

from ..emotion import EmotionSpec
from . import acoustic
from .prosody_profile import CUES, load_profile

# +1 / -1: the literature's direction of each cue relative to neutral; 0: no stated direction
# (RAVDESS's own sign is kept). calm is not in the table; RAVDESS's measurement stands.
LITERATURE_DIRECTIONS = {
    "angry": {"rate": +1, "f0_mean_st": +1, "f0_range_st": +1, "loudness_db": +1},
    "happy": {"rate": +1, "f0_mean_st": +1, "f0_range_st": +1, "loudness_db": +1},
    "sad": {"rate": -1, "f0_mean_st": -1, "f0_range_st": -1, "loudness_db": -1},
    "fearful": {"rate": +1, "f0_mean_st": +1, "f0_range_st": +1, "loudness_db": 0},
    "disgusted": {"rate": -1, "f0_mean_st": -1, "f0_range_st": +1, "loudness_db": -1},
    "surprised": {"rate": +1, "f0_mean_st": +1, "f0_range_st": +1, "loudness_db": +1},
}
# The most any emotion may change each cue at intensity 1 (what the vocoded voice carries
# intelligibly), and the least a cue with a stated direction changes. Sizes are scaled per cue by
# one factor across emotions, so the differences between emotions that RAVDESS shows survive.
CUE_CEILINGS = {"f0_mean_st": 6.0, "f0_range_st": 4.0, "loudness_db": 9.0, "rate": 0.25}
CUE_FLOORS = {"f0_mean_st": 1.0, "f0_range_st": 1.5, "loudness_db": 1.5, "rate": 0.08}
# (F0 range moves at least 1.5 semitones: a voice trained on 0.8 reproduced sad's and fearful's
# narrower/wider range too faintly to grow monotonically with intensity.)
# Voice quality at intensity 1: this share of RAVDESS "strong", as the prosodic cues above end up
# at about half of theirs. Judged by the RAVDESS speech-emotion classifier on 20 corpus sentences
# rendered at intensity 1: 0.53 without voice quality, 0.86 at 0.6, about 0.68 at the full size
# (happy is then heard as angry).
VOICE_QUALITY_SCALE = 0.6
# Where the literature's direction overrides RAVDESS's strong sadness (sobbing: brighter and
# tenser), its voice quality comes from RAVDESS "normal" instead.
VOICE_QUALITY_FROM_NORMAL = ("sad",)
# Aspiration noise at intensity 1, amplitude re the speech's RMS (-26 dB for fear): the breathy voice
# that tells RAVDESS fear from happiness. Only the natural waveform stage (``natural.py``) renders
# it; the WORLD corpus carries no aspiration, so the acoustic model does not generate it. Sized by
# the actors: with it, joe's fearful speech has the share of its energy above 6.5 kHz that RAVDESS's
# male actors' fearful speech has (-23.1 dB against -22.8; 20 Harvard sentences, 60 takes). The
# earlier 0.5 (-6 dB), sized by the classifier, put 15 dB more there than the actors have; the
# classifier still hears fear at 0.05 (18-19 of 20 sentences, against 20; 13 with none).
BREATHINESS = {"fearful": 0.05}
# The natural stage multiplies it by the voice's sex's factor (``Voice.sex``). Female voices get none:
# RAVDESS's actresses' fear *lowers* the share of energy at 6.5-8 kHz (-26.7 dB neutral, -28.5
# fearful; 40 takes each) where the male actors' raises it (-31.9 to -27.5), and on slt the
# aspiration cost fear 0.13 DNSMOS P.808 (20 sentences).
BREATHINESS_BY_SEX = {"male": 1.0, "female": 0.0}
# Loudness the natural stage adds to the model's at intensity 1, in dB. The literature's "normal"
# for fear's loudness set it to 0 in the corpus, so the model raises fear's loudness only through
# its other cues (+3.3 dB on 10 Harvard sentences, where RAVDESS "strong" sized as loudness is sized
# above gives 7.5: 19.8 dB x 0.38). This adds the difference, so fear at intensity 1 is as loud as
# the actors' fear sized like every other emotion's (RAVDESS actresses' fear: +6.3 dB "normal", +21
# "strong"). Without it the classifier heard slt's fear as sad (0.55 fear on 20 sentences; 0.95 with it).
STAGE_LOUDNESS_DB = {"fearful": 4.2}


@dataclass
class CueChanges:
    """Changes relative to neutral: semitones, semitones, dB, log rate (+ faster), dB of
    aperiodicity, and dB per mel band of the spectral shape (``spectral_shape_hz`` centres)."""

    f0_mean_st: float = 0.0
    f0_range_st: float = 0.0
    loudness_db: float = 0.0
    rate: float = 0.0
    aperiodicity_db: float = 0.0
    spectral_shape_db: np.ndarray = field(default_factory=lambda: np.zeros(len(load_profile()["spectral_shape_hz"])))
    breathiness: float = 0.0  # aspiration amplitude re the speech (``BREATHINESS``; natural voices only)
    stage_loudness_db: float = 0.0  # added to the model's loudness (``STAGE_LOUDNESS_DB``; natural voices only)

    def scaled(self, k: float) -> "CueChanges":
        return CueChanges(*(k * getattr(self, f.name) for f in fields(self)))

    def __add__(self, other: "CueChanges") -> "CueChanges":
        return CueChanges(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))


@lru_cache(maxsize=1)
def _cue_scales() -> dict[str, float]:
    emotions = load_profile()["emotions"].values()
    return {cue: min(1.0, CUE_CEILINGS[cue] / max(abs(e["strong"][cue]) for e in emotions)) for cue in CUES}


@lru_cache(maxsize=None)
def full_intensity_changes(emotion: str) -> CueChanges:
    """The cue changes of ``emotion`` at intensity 1: RAVDESS "strong", scaled per cue (see
    module doc), with the literature's direction where it states one."""
    if emotion == "neutral":
        return CueChanges()
    measured = load_profile()["emotions"][emotion]["strong"]
    directions = LITERATURE_DIRECTIONS.get(emotion, {})
    quality = load_profile()["emotions"][emotion]["normal" if emotion in VOICE_QUALITY_FROM_NORMAL else "strong"]
    values = {"aperiodicity_db": VOICE_QUALITY_SCALE * quality["aperiodicity_db"],
              "spectral_shape_db": VOICE_QUALITY_SCALE * np.asarray(quality["spectral_shape_db"]),
              "breathiness": BREATHINESS.get(emotion, 0.0), "stage_loudness_db": STAGE_LOUDNESS_DB.get(emotion, 0.0)}
    for cue in CUES:
        size = abs(measured[cue]) * _cue_scales()[cue]
        direction = directions.get(cue)
        if direction == 0:  # the literature says "normal"
            values[cue] = 0.0
        elif direction:
            values[cue] = float(direction * max(size, CUE_FLOORS[cue]))
        else:
            values[cue] = float(np.sign(measured[cue]) * size)
    return CueChanges(**values)


def changes_for(spec: EmotionSpec) -> CueChanges:
    """Affine in the spec, like the conditioning vector: components add with their signed
    shares, scaled by the intensity. Dimensional specs use their nearest categories' changes
    weighted by closeness in VAD space."""
    total = CueChanges()
    if spec.is_dimensional:
        from ..emotion.space import CATEGORIES, NEUTRAL

        point = np.array(spec.resolve_vad())
        weights = {c.name: 1.0 / (1e-3 + np.linalg.norm(point - np.array(c.vad))) ** 2
                   for c in CATEGORIES if c.name != NEUTRAL}
        z = sum(weights.values())
        for name, w in weights.items():
            total = total + full_intensity_changes(name).scaled(w / z)
        return total.scaled(spec.intensity)
    for comp in spec.components:
        total = total + full_intensity_changes(comp.emotion).scaled(comp.weight)
    return total.scaled(spec.intensity)


@lru_cache(maxsize=1)
def _gain_vectors() -> tuple[np.ndarray, np.ndarray]:
    """The coded-envelope offset of +1 dB everywhere, and the FFT bin frequencies (Hz)."""
    n_bins = acoustic.fft_size() // 2 + 1
    return acoustic.spectral_gain_vector(np.ones(n_bins)), np.linspace(0, acoustic.SAMPLE_RATE / 2, n_bins)


def shape_gain(sp: np.ndarray, voiced: np.ndarray, shape_db: np.ndarray) -> np.ndarray:
    """Coded-envelope offset that applies the mel-band ``shape_db`` (interpolated between band
    centres, held beyond them) without changing the utterance's level: the gain is offset so that
    the utterance's mean voiced power spectrum keeps its power (loudness is its own cue)."""
    if not np.any(shape_db):
        return np.zeros(sp.shape[1])
    _, freqs = _gain_vectors()
    gain = np.interp(freqs, load_profile()["spectral_shape_hz"], shape_db)
    frames = sp[voiced] if voiced.sum() else sp
    mean_power = acoustic.decode_envelope(frames.mean(0, keepdims=True))[0]
    gain -= 10.0 * np.log10(np.sum(mean_power * 10.0 ** (gain / 10.0)) / np.sum(mean_power))
    return acoustic.spectral_gain_vector(gain)


def apply_changes(frames: np.ndarray, durations: np.ndarray, changes: CueChanges) -> tuple[np.ndarray, np.ndarray]:
    """Apply ``changes`` to a neutral utterance.

    Args:
        frames: (n, feature_dims) WORLD frames (``acoustic.WorldFrames.stack()`` layout).
        durations: (p,) frames per phone, summing to n.
    Returns: the new frames (m, feature_dims) and durations (p,) summing to m.
    """
    w = acoustic.WorldFrames.unstack(frames)
    lf0 = w.lf0.copy()
    voiced = w.vuv > 0.5
    semitones = 12.0 * (lf0 - np.log(100.0)) / np.log(2.0)
    if voiced.sum() > 2:
        centre = float(np.median(semitones[voiced]))
        span = float(np.percentile(semitones[voiced], 95) - np.percentile(semitones[voiced], 5))
        k = float(np.clip((span + changes.f0_range_st) / max(span, 1e-3), 0.3, 3.0))
        semitones = centre + changes.f0_mean_st + (semitones - centre) * k
    lf0 = np.log(100.0) + semitones * np.log(2.0) / 12.0
    flat, _ = _gain_vectors()
    sp = w.sp + changes.loudness_db * flat + shape_gain(w.sp, voiced, changes.spectral_shape_db)
    ap = np.minimum(w.ap + changes.aperiodicity_db, 0.0)  # coded in dB; 0 dB is fully aperiodic
    out = acoustic.WorldFrames(lf0, w.vuv, sp, ap).stack()
    return stretch(out, durations, float(np.exp(-changes.rate)))


def stretch(frames: np.ndarray, durations: np.ndarray, factor: float) -> tuple[np.ndarray, np.ndarray]:
    """Time-stretch every phone by ``factor`` (> 1 slower) by repeating or dropping its own frames.

    Frames are not interpolated: blending voiced and unvoiced frames at phone edges made the
    vocoded speech read as more voiced (DIO's voiced fraction +0.03 at a 20% change, in either
    direction), a cue the speech-emotion classifier reads as happiness."""
    if abs(factor - 1.0) < 1e-6:
        return frames, durations
    ends = np.round(np.cumsum(durations) * factor).astype(int)
    new_durations = np.maximum(np.diff(np.concatenate([[0], ends])), 1)
    starts = np.concatenate([[0], np.cumsum(durations)[:-1]])
    source = np.concatenate([start + np.minimum(((np.arange(n) + 0.5) * d / n).astype(int), max(d - 1, 0))
                             for start, d, n in zip(starts, durations, new_durations)])
    return frames[source].astype(np.float32), new_durations
