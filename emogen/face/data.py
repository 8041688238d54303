"""Training data for the face-motion model: audio, frame-aligned mouth targets and emotion labels.

No emotional talking-face video exists offline, so the corpus is assembled from what is real:

- **speech with phone timings**: sentences spoken by emogen's own TTS in every emotion (the timings
  come out of its duration model), and the RAVDESS actors (real human voices, 8 emotions, 2
  intensities), whose phone timings are transferred from a TTS rendering of the same statement by
  dynamic time warping of MFCCs;
- **mouth targets**: visemes with coarticulation from those timings (emogen.face.visemes);
- **expression, head pose and blinks**: drawn per training example (:func:`motion_targets`):
  FACS prototypes times intensity (happiness: the smile measured on the London faces), head motion
  that grows with arousal and nods with the voice's energy, blinks at a natural rate.

``emogen data build-face-corpus`` writes the corpus (``corpus.npz``) that ``emogen train face`` reads;
:class:`MotionWindows` is the Dataset it trains on. The audio features themselves, which
inference computes too, are in ``features.py``.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path

import librosa
import numpy as np
import torch
from torch.utils.data import Dataset
from tqdm import tqdm

from ..emotion import EmotionBatch, EmotionSpec, parse_emotion
from ..emotion.space import CATEGORY_NAMES
from ..errors import EmogenError
from ..io import atomic_path
from . import motion
from .features import FEATURE_RATE, FPS, HOP, audio_features, energy_envelope
from .visemes import follow_loudness, mouth_track

# ------------------------------------------------------------------------------ corpus building
@dataclass
class Clip:
    features: np.ndarray  # (n, AUDIO_DIM)
    mouth: np.ndarray  # (n, 3)
    energy: np.ndarray  # (n,)
    emotion: str  # a spec parse_emotion accepts
    source: str


# The acoustic checkpoint spoken through WORLD: its phone timings are exact (its audio is made from
# the model's own frames); the natural voices spread the model's timings over Piper's audio, close
# but not frame-exact.
TIMING_VOICE = "tts-slt-emotion"


def tts_clips(sentences: list[str], seed: int = 0, progress: bool = True) -> list[Clip]:
    """Each sentence spoken by the shipped TTS voice in an emotion and intensity drawn at random."""
    from ..speech import TTSPipeline

    tts = TTSPipeline.from_pretrained(TIMING_VOICE)
    rng = np.random.default_rng(seed)
    clips = []
    for i, text in enumerate(tqdm(sentences, desc="tts clips", disable=not progress)):
        category = CATEGORY_NAMES[i % len(CATEGORY_NAMES)]
        intensity = 0.0 if category == "neutral" else float(rng.choice([0.4, 0.7, 1.0]))
        spec = f"{category}:{intensity:g}"
        parts = list(tts.stream(text, spec, seed=int(rng.integers(1 << 30))))
        audio = np.concatenate([p.audio for p in parts])
        phones = [ph for p in parts for ph in p.phones]
        durations = np.concatenate([p.phone_frames for p in parts])  # sentences run on without gaps here
        clips.append(_clip(audio, tts.sample_rate, phones, durations, spec, "tts"))
    return clips


def ravdess_clips(root: Path, progress: bool = True) -> list[Clip]:
    """RAVDESS speech with phone timings transferred from a TTS rendering of the same statement."""
    from ..speech import TTSPipeline
    from ..speech.corpora import load_ravdess

    tts = TTSPipeline.from_pretrained(TIMING_VOICE)
    references = {}
    clips = []
    for utt in tqdm(load_ravdess(root), desc="ravdess clips", disable=not progress):
        if utt.text not in references:
            (part,) = list(tts.stream(utt.text + ".", "neutral", seed=0))
            references[utt.text] = (part.audio, part.phones, part.phone_frames)
        ref_audio, phones, frames = references[utt.text]
        audio, sr = librosa.load(utt.path, sr=FEATURE_RATE, mono=True)
        durations = transfer_timings(ref_audio, tts.sample_rate, frames, audio, sr)
        clips.append(_clip(audio, sr, phones, durations, str(utt.emotion), "ravdess"))
    return clips


def transfer_timings(ref_audio, ref_sr, ref_durations, audio, sr) -> np.ndarray:
    """Phone durations (10 ms frames) of ``audio``, given a reference rendering of the same text
    whose durations are known: DTW on per-clip normalised MFCCs maps each reference boundary."""
    def mfcc(x, rate):
        x = librosa.resample(np.asarray(x, np.float32), orig_sr=rate, target_sr=FEATURE_RATE) if rate != FEATURE_RATE else x
        m = librosa.feature.mfcc(y=x, sr=FEATURE_RATE, n_mfcc=20, hop_length=HOP, n_fft=512)[1:]
        return (m - m.mean(1, keepdims=True)) / (m.std(1, keepdims=True) + 1e-6)

    a, b = mfcc(ref_audio, ref_sr), mfcc(audio, sr)
    _, path = librosa.sequence.dtw(X=a, Y=b, metric="euclidean")
    path = path[::-1]
    mapping = np.zeros(a.shape[1], int)
    for i, j in path:  # last target frame reached by each reference frame
        mapping[i] = j
    bounds = np.concatenate([[0], np.cumsum(ref_durations)]).astype(int)
    bounds = np.minimum(bounds, a.shape[1] - 1)
    mapped = mapping[bounds]
    mapped[0], mapped[-1] = 0, b.shape[1]
    return np.maximum(np.diff(np.maximum.accumulate(mapped)), 0)


def _clip(audio, sr, phones, durations, spec, source) -> Clip:
    n = int(np.ceil(len(audio) / sr * FPS))
    return Clip(audio_features(audio, sr, n), mouth_track(phones, durations, FPS, n),
                energy_envelope(np.asarray(audio, np.float32), sr, n), spec, source)


def save_corpus(clips: list[Clip], path: Path, info: dict) -> None:
    lengths = np.array([len(c.mouth) for c in clips])
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            np.savez_compressed(
                f, features=np.concatenate([c.features for c in clips]).astype(np.float16),
                mouth=np.concatenate([c.mouth for c in clips]), energy=np.concatenate([c.energy for c in clips]),
                lengths=lengths, emotions=np.array([c.emotion for c in clips]),
                sources=np.array([c.source for c in clips]), info=json.dumps(info))


def load_corpus(path: Path) -> list[Clip]:
    if not Path(path).is_file():
        raise EmogenError(f"face-motion corpus not found at '{path}'; build it with: emogen data build-face-corpus")
    with np.load(path) as archive:  # read each array once (an NpzFile decompresses on every access)
        z = {k: archive[k] for k in ("features", "mouth", "energy", "lengths", "emotions", "sources")}
    z["features"] = z["features"].astype(np.float32)
    starts = np.concatenate([[0], np.cumsum(z["lengths"])])
    return [Clip(z["features"][a:b], z["mouth"][a:b], z["energy"][a:b], str(e), str(s))
            for a, b, e, s in zip(starts[:-1], starts[1:], z["emotions"], z["sources"])]


# ----------------------------------------------------------------------------- training targets
def expression_matrix() -> np.ndarray:
    """(categories, action units): each category's FACS prototype at intensity 1."""
    return np.stack([motion.expression_vector({name: 1.0}) for name in CATEGORY_NAMES])


def _smooth_noise(rng, n: int, sigma_frames: float) -> np.ndarray:
    x = rng.standard_normal(n + int(6 * sigma_frames))
    k = np.exp(-0.5 * (np.arange(-3 * sigma_frames, 3 * sigma_frames + 1) / sigma_frames) ** 2)
    y = np.convolve(x, k / np.sqrt((k ** 2).sum()), mode="same")
    start = int(3 * sigma_frames)
    return y[start:start + n]


def motion_targets(mouth: np.ndarray, energy: np.ndarray, weights: np.ndarray, arousal: np.ndarray,
                   rng: np.random.Generator) -> np.ndarray:
    """(n, channels) coefficients for one example.

    Args:
        mouth: (n, 3) visemes; energy: (n,) 0..1; weights: (n, categories) signed share x intensity
        per frame; arousal: (n,) -1..+1 (resolved VAD). Expression = prototype mixture; the jaw opens
        with the voice's loudness and wider with arousal; the head moves more with arousal, nods with the voice, droops when sad.
    """
    n = len(mouth)
    out = np.zeros((n, len(motion.CHANNELS)), np.float32)
    gain = 1.0 + 0.2 * arousal
    # the jaw floor the shipped checkpoint was trained with; --text inference closes the mouth
    # further in pauses (follow_loudness's own default)
    out[:, :3] = follow_loudness(mouth, energy, floor=0.25) * np.stack([gain, np.ones(n), np.ones(n)], 1)
    aus = np.clip(np.maximum(weights, 0) @ expression_matrix(), 0, 1.5)
    aus *= 1.0 + 0.08 * _smooth_noise(rng, n, 20)[:, None]  # expressions breathe a little
    brow_beat = np.convolve(energy, np.ones(5) / 5, mode="same") * rng.uniform(0, 0.25)
    aus[:, [motion.ACTION_UNITS.index("au1"), motion.ACTION_UNITS.index("au2")]] += brow_beat[:, None]
    out[:, 3:3 + len(motion.ACTION_UNITS)] = aus
    pose = 3 + len(motion.ACTION_UNITS)
    amplitude = 0.4 * (1.0 + 0.5 * np.clip(arousal, -1, 1))
    sad = np.maximum(weights[:, CATEGORY_NAMES.index("sad")], 0)
    out[:, pose] = amplitude * _smooth_noise(rng, n, 15)
    out[:, pose + 1] = amplitude * _smooth_noise(rng, n, 10) + 0.5 * sad + 0.35 * np.convolve(
        energy, np.ones(7) / 7, mode="same")
    out[:, pose + 2] = amplitude * _smooth_noise(rng, n, 20)
    rate = 0.3 + 0.15 * np.clip(arousal, 0, 1)  # blinks per second
    t = 0
    while True:
        t += int(rng.exponential(FPS / rate.mean())) + 4
        if t >= n:
            break
        shape = np.array([0.4, 1.0, 1.0, 0.6, 0.2])[: n - t]
        out[t:t + len(shape), -1] = np.maximum(out[t:t + len(shape), -1], shape)
    return out


class MotionWindows(Dataset):
    """Random windows of the corpus with drawn emotion (static, mixture or a change mid-window)
    and the matching motion targets. Deterministic per (index, epoch seed)."""

    def __init__(self, clips: list[Clip], window: int, examples_per_clip: int = 8, seed: int = 0):
        self.clips, self.window, self.per_clip, self.seed = clips, window, examples_per_clip, seed

    def __len__(self) -> int:
        return len(self.clips) * self.per_clip

    def __getitem__(self, index: int) -> dict:
        clip = self.clips[index // self.per_clip]
        rng = np.random.default_rng((self.seed, index))
        n = len(clip.mouth)
        start = int(rng.integers(0, max(n - self.window, 0) + 1))
        sl = slice(start, start + self.window)
        mouth, energy, feats = clip.mouth[sl], clip.energy[sl], clip.features[sl]
        length = len(mouth)
        emotion = self._draw_emotion(parse_emotion(clip.emotion), rng, length)
        weights = emotion.weights.numpy()
        arousal = np.array([EmotionSpec.neutral().resolve_vad()[1]] * length) + emotion.vad_offset[:, 1].numpy()
        target = motion_targets(mouth, energy, weights, arousal, rng)
        pad = self.window - length
        mask = np.concatenate([np.ones(length, bool), np.zeros(pad, bool)])
        return {"x": torch.from_numpy(np.pad(target, ((0, pad), (0, 0)))),
                "audio": torch.from_numpy(np.pad(feats, ((0, pad), (0, 0)))),
                "mask": torch.from_numpy(mask),
                "emotion": EmotionBatch(*(torch.cat([t, t[-1:].expand(pad, *t.shape[1:])]) if pad else t
                                          for t in emotion.tensors()))}

    @staticmethod
    def _draw_emotion(spec: EmotionSpec, rng: np.random.Generator, n: int) -> EmotionBatch:
        """The clip's own emotion most of the time; otherwise a mixture or a change to another
        category along the window (the face must follow the request, not only the voice)."""
        draw = rng.random()
        if draw < 0.6:
            return EmotionBatch.from_specs([spec]).expand(n)
        expressive = [c for c in CATEGORY_NAMES if c != "neutral"]
        other = expressive[int(rng.integers(len(expressive)))]
        level = float(rng.choice([0.25, 0.5, 0.75, 1.0]))
        if draw < 0.8:
            first = expressive[int(rng.integers(len(expressive)))]
            share = float(rng.uniform(0.2, 0.8))
            mixed = EmotionSpec.mixture({first: share, other: 1 - share} if first != other else {other: 1.0})
            mixed = dataclasses.replace(mixed, intensity=level)
            return EmotionBatch.from_specs([mixed]).expand(n)
        ends = EmotionBatch.from_specs([spec, parse_emotion(other, level)])
        ramp = torch.from_numpy(np.clip((np.arange(n) - rng.uniform(0, n)) / max(n / 4, 1), 0, 1)).float()[:, None]
        mix = torch.cat([1 - ramp, ramp], 1)
        return EmotionBatch(mix @ ends.weights, mix @ ends.vad_offset, mix @ ends.category_gate,
                            torch.zeros(n, dtype=torch.bool))


def build_face_corpus(out_dir: Path, data_root: Path, sentences: int = 2400, ravdess: bool = True,
                      seed: int = 0) -> dict:
    """The whole build: TTS clips of GoEmotions sentences (+ RAVDESS), written to ``corpus.npz``."""
    from ..speech.data import select_sentences

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    # another draw than the TTS corpus (seed 0), so the voice mostly speaks text it was not trained on
    texts = select_sentences(Path(data_root) / "text" / "goemotions", sentences, seed=seed + 1)
    clips = tts_clips(texts, seed)
    actors = ravdess_clips(Path(data_root) / "speech" / "ravdess") if ravdess else []
    clips += actors
    frames = sum(len(c.mouth) for c in clips)
    info = {"clips": len(clips), "hours": round(frames / FPS / 3600, 2),
            "description": f"{len(texts)} GoEmotions sentences (CC BY 4.0) spoken by emogen's TTS voice in all "
                           f"emotions" + (f", and {len(actors)} RAVDESS speech clips (CC BY-NC-SA 4.0)" if actors else ""),
            "command": f"emogen data build-face-corpus --out {out_dir} --sentences {sentences}"
                       + ("" if ravdess else " --no-ravdess")}
    save_corpus(clips, out_dir / "corpus.npz", info)
    return info
