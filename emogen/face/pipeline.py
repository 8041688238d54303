"""``TalkPipeline``: portrait + speech (text or audio) + emotion -> talking-head video.

    from emogen.face import TalkPipeline
    talk = TalkPipeline.from_pretrained()
    clip = talk(image="me.jpg", text="I missed you so much.", emotion="sad", intensity=0.7)
    clip.save("out.mp4")                       # H.264 + AAC, 25 fps, 512 x 512

With ``text`` the speech comes from the TTS pipeline and its phone timings drive the mouth
directly (the motion model fills in expression, head motion and blinks around them); with
``audio`` the model makes all of the motion from the audio. Calling makes the motion only; frames
are rendered and encoded one at a time by ``save``, so memory does not grow with the clip's length.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from ..checks import check_number, check_sampling
from ..core.pipeline import Pipeline, refuse_output
from ..core.flow import FlowSampler, Guidance
from ..emotion import Emotion, EmotionBatch, EmotionSpec, EmotionTrajectory, parse_emotion
from ..errors import EmogenError
from ..speech.text import check_speech_length
from .features import FPS, audio_features, energy_envelope
from .model import MOUTH_CHANNELS, FaceMotionModel
from .motion import CHANNELS, INDEX, POSE, MotionBasis, smoothstep
from .visemes import follow_loudness, mouth_track

DEFAULT_CHECKPOINT = "face-motion"
MAX_SECONDS = 120.0
MIN_RMS = 1e-4  # quieter than this (about -80 dBFS) is silence
# action units that show an expression other than happiness (a frame showing them drops a smiling
# photo's own smile); au6 rides with the smile
OTHER_EXPRESSION = ("au1", "au2", "au4", "au5", "au7", "au9", "au15", "au16", "au20", "au23", "au26")
# a jaw drop opens a new mouth: a frame showing it paints the opening whole, as on a closed-lip photo,
# instead of stretching the teeth of a photo smiling open-mouthed (tall teeth read as bared teeth)
NEW_MOUTH = ("au26",)
NEW_MOUTH_RAMP = (0.05, 0.3)  # au26 from not at all to wholly new (intensity 0.5's surprise: 0.35)


@dataclass
class TalkClip:
    """A talking-head clip: the motion for one portrait and soundtrack; ``save`` renders and encodes it.

    Attributes:
        portrait: the analysed photo (``emogen.face.analysis.Portrait``).
        coefficients: (frames, channels) motion, see ``emogen.face.motion.CHANNELS``.
        smile: (478, 2) the checkpoint's smile basis.
        audio: (samples,) float32 mono soundtrack at ``sample_rate`` Hz.
        emotion: the (first sentence's) emotion.
        fps: frames per second.
    """

    portrait: object
    coefficients: np.ndarray
    smile: np.ndarray
    audio: np.ndarray
    sample_rate: int
    emotion: Emotion
    fps: int = FPS

    @property
    def num_frames(self) -> int:
        return len(self.coefficients)

    @property
    def duration_s(self) -> float:
        return self.num_frames / self.fps

    def expression(self) -> np.ndarray:
        """The coefficients as rendered, (frames, channels): the smile in broad-smile units
        (intensity 1 is a broad real smile: ``emogen.face.appearance.broad_smile``), less the
        smile the photo already shows (``appearance.rest_smile``) as far as the frame shows another
        expression: a smiling photo loses its smile to look sad, angry or surprised, and keeps it
        when neutral or happy."""
        from .appearance import broad_smile, rest_smile

        out = np.array(self.coefficients, np.float32)
        shown = rest_smile(self.portrait.landmarks, self.smile * broad_smile())
        if shown > 0:
            out[:, INDEX["smile"]] -= shown * self._showing(OTHER_EXPRESSION)
        return out

    def _showing(self, units: tuple[str, ...], ramp: tuple[float, float] = (0.2, 0.8)) -> np.ndarray:
        """(frames,) 0..1: how far each frame shows the action units ``units`` (a smoothstep of the
        strongest one over ``ramp``)."""
        strongest = np.asarray(self.coefficients, np.float32)[:, [INDEX[k] for k in units]].max(axis=1)
        return smoothstep((strongest - ramp[0]) / (ramp[1] - ramp[0]))

    def landmarks(self):
        """Yield the (478, 2) landmark targets frame by frame (see :meth:`expression`)."""
        from .appearance import broad_smile

        basis = MotionBasis(self.portrait.landmarks, self.smile * broad_smile())
        for row in self.expression():
            yield basis.landmarks(row)

    def frames(self):
        """Yield rendered (S, S, 3) uint8 RGB frames."""
        from .appearance import Appearance, broad_smile
        from .warp import PortraitRenderer

        renderer = PortraitRenderer(self.portrait)
        shading = self.expression()[:, [INDEX[k] for k in Appearance.CHANNELS]]
        smile = Appearance.CHANNELS.index("smile")
        shading[:, smile] *= broad_smile()
        for target, weights, new in zip(self.landmarks(), shading, self._showing(NEW_MOUTH, NEW_MOUTH_RAMP)):
            yield renderer.render(target, np.clip(weights, 0.0, 1.5), new_mouth=float(new))

    def save(self, path: str | os.PathLike, audio: np.ndarray | None = None, progress: bool = False) -> Path:
        """Render and encode an mp4 at ``path`` (atomically: complete or absent). ``audio``
        replaces the soundtrack ((samples,) float32 mono at ``sample_rate``), e.g. speech mixed
        with music; ``progress`` shows a bar on stderr."""
        from .video import VideoWriter

        soundtrack = self.audio if audio is None else np.asarray(audio, np.float32)
        with VideoWriter(path, fps=self.fps, size=self.portrait.size, audio=soundtrack,
                         sample_rate=self.sample_rate) as writer:
            for frame in tqdm(self.frames(), total=self.num_frames, desc="rendering", unit="frame",
                              disable=not progress, leave=False):
                writer.write(frame)
        return Path(path)

    def write(self, path: str | os.PathLike, audio: np.ndarray | None = None, progress: bool = True) -> Path:
        """Deprecated spelling of :meth:`save`."""
        warnings.warn("TalkClip.write(path) is deprecated; use TalkClip.save(path)", FutureWarning, stacklevel=2)
        return self.save(path, audio, progress)


def check_inputs(text: str | None, audio, emotion, steps: int, guidance_scale: float, negative_scale: float,
                 speed: float, seed: int, max_seconds: float, negative) -> EmotionSpec | None:
    """Fail early with one readable line; returns the negative spec (or None)."""
    from ..text.auto import parse_auto

    if (text is None) == (audio is None):
        raise EmogenError("give the speech as text or as audio (exactly one of them)")
    check_sampling(steps, guidance_scale, negative_scale, speed, seed)
    check_number(max_seconds, "max seconds", 0.1, 3600.0)
    if text is not None:  # refuse an over-long text now, not after minutes of synthesis
        check_speech_length(text, speed, max_seconds)
    if audio is not None and isinstance(emotion, str) and parse_auto(emotion) is not None:
        raise EmogenError("--emotion auto infers the emotion from text; with --audio give an emotion")
    negative_spec = parse_emotion(negative) if negative else None
    if isinstance(negative_spec, EmotionTrajectory):
        raise EmogenError("a negative emotion must be a single spec, not a trajectory")
    return negative_spec


class TalkPipeline(Pipeline):
    """Talking head (see the module doc). ``TalkPipeline(model, device, dtype, tts=None)`` wraps a
    ``FaceMotionModel``; ``tts`` is the speech pipeline for text input (default: the shipped
    voice, loaded on first use; pass one to share it)."""

    model_class = FaceMotionModel
    default_checkpoint = DEFAULT_CHECKPOINT

    def __init__(self, model: FaceMotionModel, device: str | torch.device | None = None,
                 dtype: torch.dtype | None = None, tts=None):
        self._tts = tts
        self._detector = None
        super().__init__(model, device, dtype)

    @classmethod
    def _load_shared(cls, name_or_path, device, dtype) -> "TalkPipeline":
        from ..speech.pipeline import TTSPipeline

        return cls.from_pretrained(name_or_path, device, dtype, tts=TTSPipeline.shared(None, device, dtype))

    def to(self, device=None, dtype=None) -> "TalkPipeline":
        super().to(device, dtype)
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

    def __call__(self, image=None, text: str | None = None, audio=None, sample_rate: int | None = None,
                 emotion: "str | Emotion" = "neutral", intensity: float | None = None, seed: int = 0,
                 steps: int = 10, guidance_scale: float = 1.0, negative: "str | EmotionSpec | None" = None,
                 negative_scale: float = 1.0, speed: float = 1.0, max_seconds: float = MAX_SECONDS,
                 progress: bool = False, voice: str | None = None, output=None) -> TalkClip:
        """Make a talking-head clip; writes no file (``clip.save("out.mp4")`` does).

        Args:
            image: a portrait (path, RGB array, or a ``Portrait`` from :meth:`portrait`); None: the built-in one.
            text: text to speak (TTS); give exactly one of ``text`` and ``audio``.
            audio: speech to lip-sync: a path, an array (with ``sample_rate`` Hz) or
                ``(array, sample_rate)``.
            sample_rate: Hz of an ``audio`` array.
            emotion: a spec or trajectory (``auto`` with text).
            intensity: 0..1.
            seed: fixes the result.
            steps: motion (and speech) sampling steps.
            guidance_scale: classifier-free emotion guidance.
            negative: an emotion to steer away from.
            negative_scale: the strength of that negative term.
            speed: speaking-rate factor for text.
            max_seconds: longest speech accepted.
            progress: show the speech synthesis on stderr.
            voice: the voice for text (``emogen voices``; None: this pipeline's ``tts``).
            output: removed (calling writes no file); a clear error says to use ``.save``.

        Returns:
            a :class:`TalkClip` (motion, portrait, soundtrack) with ``.save(path)``.
        """
        # 1. Check inputs
        refuse_output(self, output)
        negative_spec = check_inputs(text, audio, emotion, steps, guidance_scale, negative_scale, speed, seed,
                                     max_seconds, negative)
        # 2. Speech: synthesised from text (its phone timings drive the mouth), or given as audio
        if text is not None:
            speech, sr, mouth, sentences = self._speak(text, emotion, intensity, seed, steps, speed, progress, voice)
        else:
            speech, sr = load_speech(audio, sample_rate, max_seconds)
            mouth, sentences = None, [(0.0, parse_emotion(emotion, intensity))]
        n = int(np.ceil(len(speech) / sr * FPS))
        if n / FPS > max_seconds:
            raise EmogenError(f"the speech lasts {n / FPS:.0f} s, over the limit of {max_seconds:g} s; "
                              f"raise it with --max-seconds")
        # 3. Per-frame emotion, the portrait, and the audio features the motion follows
        rows = emotion_rows(sentences, n)
        portrait = self.portrait(image)
        features = torch.from_numpy(audio_features(speech, sr, n))
        # 4. Sample the motion and ease its ends to the portrait's rest pose
        generator = torch.Generator().manual_seed(seed)
        negative_rows = None if negative_spec is None else EmotionBatch.from_specs([negative_spec]).expand(n)
        coefficients = sample_motion(
            self.model, rows, features.to(self.dtype), None if mouth is None else torch.from_numpy(mouth).to(self.dtype),
            steps=steps, guidance_scale=guidance_scale, negative=negative_rows, negative_scale=negative_scale,
            generator=generator)
        coefficients = coefficients.float().cpu().numpy()
        if not np.isfinite(coefficients).all():
            raise EmogenError("the generated face motion is not finite (NaN or infinite); lower the guidance "
                              "or negative scale")
        coefficients = settle_ends(coefficients)
        return TalkClip(portrait, coefficients, self.model.smile.float().cpu().numpy(),
                        np.asarray(speech, np.float32), sr, sentences[0][1])

    def animate(self, *args, **kwargs) -> TalkClip:
        """Deprecated spelling of calling the pipeline: ``talk.animate(...)`` is ``talk(...)``."""
        warnings.warn("TalkPipeline.animate(...) is deprecated; call the pipeline: talk(...) returns the same "
                      "clip", FutureWarning, stacklevel=2)
        return self(*args, **kwargs)

    def _speak(self, text, emotion, intensity, seed, steps, speed, progress=False, voice=None):
        if voice is not None:
            from ..speech.pipeline import TTSPipeline

            tts = TTSPipeline.shared(voice, self.device, self.dtype)
        else:
            tts = self.tts
        speech = tts(text, emotion, intensity, seed=seed, speed=speed, steps=steps, progress=progress)
        n = int(np.ceil(len(speech.audio) / speech.sample_rate * FPS))
        mouth = sum(mouth_track(s.phones, s.phone_frames, FPS, n, start_s=s.start_s) for s in speech.sentences)
        mouth = follow_loudness(mouth, energy_envelope(speech.audio, speech.sample_rate, n))
        return speech.audio, speech.sample_rate, mouth, [(s.start_s, s.emotion) for s in speech.sentences]


def settle_ends(coefficients: np.ndarray, seconds: float = 0.4) -> np.ndarray:
    """Head pose and blinks ease to rest over the first and last ``seconds``, so every clip starts
    and ends on the portrait's own pose (clips join seamlessly; long clips do not drift)."""
    n = len(coefficients)
    ramp = smoothstep(np.minimum(np.arange(n) + 0.5, n - np.arange(n) - 0.5) / (seconds * FPS))
    out = coefficients.copy()
    eased = [INDEX[name] for name in (*POSE, "blink")]
    out[:, eased] *= ramp[:, None]
    return out


def emotion_rows(sentences: list[tuple[float, Emotion]], n: int) -> EmotionBatch:
    """One emotion row per video frame: each frame takes the emotion of the sentence it falls in
    (sentence start times in seconds); a trajectory spans the whole clip when every sentence has it."""
    times = (np.arange(n) + 0.5) / FPS
    duration = max(n / FPS, 1e-3)
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


@torch.no_grad()
def sample_motion(model: FaceMotionModel, emotion: EmotionBatch, audio: torch.Tensor,
                  mouth: torch.Tensor | None = None, steps: int = 10, guidance_scale: float = 1.0,
                  negative: EmotionBatch | None = None, negative_scale: float = 1.0,
                  generator: torch.Generator | None = None) -> torch.Tensor:
    """Motion coefficients (n, channels) for one clip from the shared sampler (``FlowSampler``).

    Long clips are generated in overlapping windows; each window's first frames are held to the end of
    the previous one (the sampler's inpainting), so motion runs on without seams. When the mouth is
    known (text input: visemes from the TTS phone timings) those channels are held too and the model
    fills in expression, head motion and blinks around them.

    Args:
        emotion: n rows (one per frame); negative: n rows or None (steer away from it).
        audio: (n, AUDIO_DIM) features. mouth: (n, 3) known mouth coefficients or None.
    """
    device, dtype = model.mean.device, model.mean.dtype
    n = audio.shape[0]
    vectors = model.emotion_encoder(emotion.to(device))
    negatives = [] if negative is None else [(model.emotion_encoder(negative.to(device)), negative_scale)]
    channels = len(CHANNELS)
    out = torch.zeros(channels, n, device=device, dtype=dtype)
    known_mouth = None
    if mouth is not None:
        m = model.mean[MOUTH_CHANNELS]
        known_mouth = (mouth.to(device).T - m) / model.std[MOUTH_CHANNELS]
    sampler = FlowSampler(steps)
    window, overlap = model.config.window, model.config.overlap
    start, held = 0, 0
    while True:
        end = min(start + window, n)
        values = torch.zeros(channels, end - start, device=device, dtype=dtype)
        known = torch.zeros_like(values)
        values[:, :held], known[:, :held] = out[:, start:start + held], 1.0
        if known_mouth is not None:
            values[MOUTH_CHANNELS], known[MOUTH_CHANNELS] = known_mouth[:, start:end], 1.0
        noise = torch.randn((1, channels, end - start), generator=generator).to(device, dtype)
        guidance = Guidance(guidance_scale, model.emotion_encoder.null_embedding,
                            [(v[start:end][None], s) for v, s in negatives])
        x = sampler.sample(model, noise, vectors[start:end][None], guidance,
                           known=(values[None], known[None]) if known.any() else None,
                           audio=audio[start:end][None].to(device))
        out[:, start:end] = x[0]
        if end == n:
            break
        start, held = end - overlap, overlap
    return model.denormalize(out[None])[0]
