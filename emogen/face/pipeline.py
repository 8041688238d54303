"""``TalkPipeline``: portrait + speech (text or audio) + emotion -> talking-head video.

    from emogen.face import TalkPipeline
    talk = TalkPipeline.from_pretrained()
    clip = talk.animate(image="me.jpg", text="I missed you so much.", emotion="sad", intensity=0.7)
    clip.write("out.mp4")                      # H.264 + AAC, 25 fps, 512 x 512

With ``text`` the speech comes from the TTS pipeline and its phone timings drive the mouth
directly (the motion model fills in expression, head motion and blinks around them); with
``audio`` the model makes all of the motion from the audio. Frames are rendered and encoded one
at a time, so memory does not grow with the clip's length.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import torch
from tqdm import tqdm

from ..checks import check_number, check_sampling
from ..emotion import Emotion, EmotionBatch, EmotionSpec, EmotionTrajectory, parse_emotion
from ..errors import EmogenError
from ..speech.text import check_speech_length
from . import data as D
from .model import FaceMotionModel
from .motion import INDEX, POSE, MotionBasis
from .visemes import follow_loudness, mouth_track

DEFAULT_CHECKPOINT = "face-motion"
MAX_SECONDS = 120.0
MIN_RMS = 1e-4  # quieter than this (about -80 dBFS) is silence


@dataclass
class TalkClip:
    """Generated motion for one portrait and soundtrack; ``write`` renders it."""

    portrait: object  # emogen.face.analysis.Portrait
    coefficients: np.ndarray  # (frames, channels), see emogen.face.motion.CHANNELS
    smile: np.ndarray  # (478, 2) the checkpoint's smile basis
    audio: np.ndarray  # float32 mono
    sample_rate: int
    emotion: Emotion
    fps: int = D.FPS

    @property
    def num_frames(self) -> int:
        return len(self.coefficients)

    @property
    def duration_s(self) -> float:
        return self.num_frames / self.fps

    def landmarks(self):
        """Yield the (478, 2) landmark targets frame by frame."""
        basis = MotionBasis(self.portrait.landmarks, self.smile)
        for row in self.coefficients:
            yield basis.landmarks(row)

    def frames(self):
        """Yield rendered (S, S, 3) uint8 RGB frames."""
        from .render import PortraitRenderer

        renderer = PortraitRenderer(self.portrait)
        for target in self.landmarks():
            yield renderer.render(target)

    def write(self, path: str | os.PathLike, audio: np.ndarray | None = None, progress: bool = True) -> None:
        """Render and encode to an mp4 at ``path`` (atomic). ``audio`` replaces the soundtrack
        (float32 mono at ``sample_rate``), e.g. speech mixed with music."""
        from .video import VideoWriter

        soundtrack = self.audio if audio is None else np.asarray(audio, np.float32)
        with VideoWriter(path, fps=self.fps, size=self.portrait.size, audio=soundtrack,
                         sample_rate=self.sample_rate) as writer:
            for frame in tqdm(self.frames(), total=self.num_frames, desc="rendering", unit="frame",
                              disable=not progress, leave=False):
                writer.write(frame)


class TalkPipeline:
    def __init__(self, model: FaceMotionModel, device: str | torch.device = "cpu", dtype: torch.dtype | None = None):
        self.model = model.eval()
        self._tts = None
        self._detector = None
        self.to(device, dtype)

    @classmethod
    def from_pretrained(cls, name_or_path: str = DEFAULT_CHECKPOINT, device: str = "cpu",
                        dtype: torch.dtype | None = None) -> "TalkPipeline":
        return cls(FaceMotionModel.from_pretrained(name_or_path), device, dtype)

    def to(self, device: str | torch.device = "cpu", dtype: torch.dtype | None = None) -> "TalkPipeline":
        self.device, self.dtype = torch.device(device), dtype or torch.float32
        self.model.to(self.device, self.dtype)
        if self._tts is not None:
            self._tts.to(self.device, self.dtype)
        return self

    @property
    def tts(self):
        """The speech pipeline for text input (loaded on first use)."""
        if self._tts is None:
            from ..speech import TTSPipeline

            self._tts = TTSPipeline.from_pretrained(device=self.device, dtype=self.dtype)
        return self._tts

    def portrait(self, image=None):
        """Analyse ``image`` (path or RGB array; None: the built-in portrait). A ``Portrait`` it
        returned can be passed back as ``image`` to animate the same face again without re-analysis."""
        from .analysis import Portrait, analyze_portrait, default_portrait
        from .landmarks import FaceMeshDetector

        if isinstance(image, Portrait):
            return image
        self._detector = self._detector or FaceMeshDetector()
        if image is None:
            return default_portrait(detector=self._detector)
        return analyze_portrait(image, detector=self._detector)

    def __call__(self, *, output: str | os.PathLike, progress: bool = True, **options) -> TalkClip:
        """``animate(**options)`` and write the mp4 to ``output``."""
        clip = self.animate(**options)
        clip.write(output, progress=progress)
        return clip

    def animate(self, image=None, text: str | None = None, audio=None, sample_rate: int | None = None,
                emotion: "str | Emotion" = "neutral", intensity: float | None = None, seed: int = 0,
                steps: int = 10, guidance_scale: float = 1.0, negative: "str | EmotionSpec | None" = None,
                negative_scale: float = 1.0, speed: float = 1.0, max_seconds: float = MAX_SECONDS,
                progress: bool = False) -> TalkClip:
        """Make the motion of a talking-head clip (see the module doc). ``audio`` is a path or an
        array (with ``sample_rate``); give exactly one of ``text`` and ``audio``. ``progress`` shows
        the speech synthesis on stderr."""
        if (text is None) == (audio is None):
            raise EmogenError("give the speech as text or as audio (exactly one of them)")
        check_sampling(steps, guidance_scale, negative_scale, speed, seed)
        check_number(max_seconds, "max seconds", 0.1, 3600.0)
        if text is not None:  # refuse an over-long text now, not after minutes of synthesis
            check_speech_length(text, speed, max_seconds)
        negative_spec = parse_emotion(negative) if negative else None
        if isinstance(negative_spec, EmotionTrajectory):
            raise EmogenError("a negative emotion must be a single spec, not a trajectory")
        if text is not None:
            speech, sr, mouth, sentences = self._speak(text, emotion, intensity, seed, steps, speed, progress)
        else:
            from ..text.auto import parse_auto

            if isinstance(emotion, str) and parse_auto(emotion) is not None:
                raise EmogenError("--emotion auto infers the emotion from text; with --audio give an emotion")
            speech, sr = load_speech(audio, sample_rate, max_seconds)
            mouth, sentences = None, [(0.0, parse_emotion(emotion, intensity))]
        n = int(np.ceil(len(speech) / sr * D.FPS))
        if n / D.FPS > max_seconds:
            raise EmogenError(f"the speech lasts {n / D.FPS:.0f} s, over the limit of {max_seconds:g} s; "
                              f"raise it with --max-seconds")
        rows = emotion_rows(sentences, n)
        portrait = self.portrait(image)
        features = torch.from_numpy(D.audio_features(speech, sr, n))
        generator = torch.Generator().manual_seed(seed)
        negative_rows = None if negative_spec is None else EmotionBatch.from_specs([negative_spec]).expand(n)
        coefficients = self.model.generate(
            rows, features.to(self.dtype), None if mouth is None else torch.from_numpy(mouth).to(self.dtype),
            steps=steps, guidance_scale=guidance_scale, negative=negative_rows, negative_scale=negative_scale,
            generator=generator)
        coefficients = coefficients.float().cpu().numpy()
        if not np.isfinite(coefficients).all():
            raise EmogenError("the generated face motion is not finite (NaN or infinite); lower the guidance "
                              "or negative scale")
        coefficients = settle_ends(coefficients)
        return TalkClip(portrait, coefficients, self.model.smile.float().cpu().numpy(),
                        np.asarray(speech, np.float32), sr, sentences[0][1])

    def _speak(self, text, emotion, intensity, seed, steps, speed, progress=False):
        from ..speech.pipeline import SENTENCE_GAP_S

        parts = list(self.tts.stream(text, emotion, intensity, seed=seed, speed=speed, steps=steps, progress=progress))
        sr = self.tts.sample_rate
        gap = np.zeros(int(SENTENCE_GAP_S * sr), np.float32)
        audio = np.concatenate([x for p in parts for x in (p.audio, gap)][:-1])
        n = int(np.ceil(len(audio) / sr * D.FPS))
        mouth = sum(mouth_track(p.phones, p.phone_frames, D.FPS, n, start_s=p.start_s) for p in parts)
        mouth = follow_loudness(mouth, D.energy_envelope(audio, sr, n))
        return audio, sr, mouth, [(p.start_s, p.emotion) for p in parts]


def settle_ends(coefficients: np.ndarray, seconds: float = 0.4) -> np.ndarray:
    """Head pose and blinks ease to rest over the first and last ``seconds``, so every clip starts
    and ends on the portrait's own pose (clips join seamlessly; long clips do not drift)."""
    n = len(coefficients)
    ramp = np.clip(np.minimum(np.arange(n) + 0.5, n - np.arange(n) - 0.5) / (seconds * D.FPS), 0, 1)
    out = coefficients.copy()
    eased = [INDEX[name] for name in (*POSE, "blink")]
    out[:, eased] *= (ramp * ramp * (3 - 2 * ramp))[:, None]
    return out


def emotion_rows(sentences: list[tuple[float, Emotion]], n: int) -> EmotionBatch:
    """One emotion row per video frame: each frame takes the emotion of the sentence it falls in
    (sentence start times in seconds); a trajectory spans the whole clip when every sentence has it."""
    times = (np.arange(n) + 0.5) / D.FPS
    duration = max(n / D.FPS, 1e-3)
    if len({str(e) for _, e in sentences}) == 1:
        return EmotionBatch.from_trajectory(sentences[0][1], times, duration)
    starts = np.array([s for s, _ in sentences])
    owner = np.maximum(np.searchsorted(starts, times, side="right") - 1, 0)
    parts = [EmotionBatch.from_trajectory(sentences[k][1], times[owner == k], duration)
             for k in range(len(sentences)) if np.any(owner == k)]
    return EmotionBatch.cat(parts)


def load_speech(audio, sample_rate: int | None, max_seconds: float) -> tuple[np.ndarray, int]:
    """A path or an array (+ sample rate) -> (float32 mono, rate), checked: readable, not empty,
    not silent, not longer than ``max_seconds``."""
    if isinstance(audio, (str, os.PathLike)):
        import soundfile as sf

        try:
            info = sf.info(str(audio))
            if info.duration > max_seconds:
                raise EmogenError(f"'{audio}' lasts {info.duration:.0f} s, over the limit of {max_seconds:g} s; "
                                  f"raise it with --max-seconds")
            samples, sample_rate = sf.read(str(audio), dtype="float32", always_2d=True)
        except EmogenError:
            raise
        except Exception as e:  # soundfile reports unknown formats and damaged files alike
            raise EmogenError(f"cannot read audio '{audio}': {str(e).splitlines()[0]}; accepted: WAV, FLAC, OGG, MP3") from None
        samples = samples.mean(axis=1)
        name = f"'{audio}'"
    else:
        if isinstance(audio, tuple):
            audio, sample_rate = audio
        if not sample_rate:
            raise EmogenError("audio given as an array needs its sample_rate")
        samples = np.asarray(audio, np.float32)
        if samples.ndim == 2:
            samples = samples.mean(axis=1 if samples.shape[1] <= 8 else 0)
        name = "the audio"
    if samples.size == 0:
        raise EmogenError(f"{name} is empty; give speech to animate")
    if not np.all(np.isfinite(samples)):
        raise EmogenError(f"{name} holds invalid samples (NaN or infinite)")
    if np.sqrt(np.mean(samples ** 2)) < MIN_RMS:
        raise EmogenError(f"{name} is silent; give speech to animate")
    if len(samples) / sample_rate > max_seconds:
        raise EmogenError(f"{name} lasts {len(samples) / sample_rate:.0f} s, over the limit of {max_seconds:g} s; "
                          f"raise it with --max-seconds")
    return samples.astype(np.float32), int(sample_rate)
