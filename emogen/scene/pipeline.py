"""``ScenePipeline``: one emotion drives the voice, the talking head and a music bed, in one mp4.

    from emogen.scene import ScenePipeline
    scene = ScenePipeline.from_pretrained()
    result = scene("I waited all day, and nobody came.", emotion="sad")
    result.save("scene.mp4")                  # or "scene.wav" for the soundtrack alone

Order of work: (1) resolve the emotion (``auto`` reads it from the script), (2) speak the script
(TTS), (3) animate the face on that speech, (4) write a music bed with the same emotion, long
enough to cover the clip plus a tail, rendered with the General MIDI soundfont, (5) mix it under
the speech (``mix.mix_music_under_speech``: ducked while the voice speaks, faded in and out);
``save`` then encodes the clip with the mix as its soundtrack. The voice, face and music models
come from the shared cache (``emogen.pipelines.load_pipeline``), so a scene next to the app's or
a batch's other jobs loads nothing twice.
"""

from __future__ import annotations

import math
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..checks import BARS, DEFAULT_TEMPO, check_number, check_sampling
from ..core.pipeline import refuse_output
from ..emotion import EmotionSpec, EmotionTrajectory, Keyframe, parse_emotion
from ..errors import EmogenError
from .mix import mix_music_under_speech

MUSIC_TAIL_S = 1.0  # music written past the end of the speech, so the fade-out is not cut short
MAX_SCENE_BARS = 64


def resolve_scene_emotion(text: str, emotion, intensity: float | None = None, classifier=None):
    """One spec or trajectory for the whole scene. ``auto`` / ``auto:SCALE`` classifies each
    sentence of ``text``: a trajectory through their specs in order when they differ (spread
    evenly over the clip, so the music follows the script's turns); when they agree, the spec
    of the whole script read at once, whose sentences give each other context (sentence by
    sentence, "We did it!" and "After all this time, we actually did it." each read as neutral,
    at 0.55 and 0.43 against happy's 0.33 and 0.28; the two together read as happy, 0.39 against
    neutral's 0.33)."""
    from ..text.auto import auto_scale, infer_specs

    scale = auto_scale(emotion, intensity)
    if scale is None:
        return parse_emotion(emotion, intensity)
    from ..speech.text import has_pronounceable, split_sentences

    sentences = [s for s in split_sentences(text) if has_pronounceable(s)]
    if not sentences:
        raise EmogenError("the script has nothing to pronounce; give words in English")
    specs, _ = infer_specs(sentences, scale, classifier=classifier)
    distinct = [s for i, s in enumerate(specs) if i == 0 or str(s) != str(specs[i - 1])]
    if len(distinct) == 1:
        return distinct[0] if len(sentences) == 1 else infer_specs([" ".join(sentences)], scale,
                                                                    classifier=classifier)[0][0]
    return EmotionTrajectory(tuple(Keyframe(s) for s in distinct))


def music_bars_for(duration_s: float, tempo: float = DEFAULT_TEMPO, beats_per_bar: float = 4.0) -> int:
    """Bars of music that cover ``duration_s`` seconds plus ``MUSIC_TAIL_S``."""
    seconds_per_bar = beats_per_bar * 60.0 / tempo
    return int(min(MAX_SCENE_BARS, max(2, math.ceil((duration_s + MUSIC_TAIL_S) / seconds_per_bar))))


@dataclass
class SceneResult:
    """What a scene is made of.

    Attributes:
        audio: the final soundtrack (speech + music), (samples,) float32 mono at ``sample_rate`` Hz.
        speech: the speech alone, same rate.
        emotion: the resolved spec or trajectory.
        music: the ``MusicResult`` of the bed (None without music).
        clip: the talking-head ``TalkClip`` (None for audio only).
    """

    audio: np.ndarray
    sample_rate: int
    speech: np.ndarray
    emotion: object
    music: object = None
    clip: object = None

    def save(self, path: str | os.PathLike, progress: bool = False) -> Path:
        """Write atomically: ``.mp4`` encodes the video with the mixed soundtrack; ``.wav``,
        ``.flac`` or ``.ogg`` writes the soundtrack alone."""
        if Path(path).suffix.lower() != ".mp4":
            from ..speech.result import write_audio

            return write_audio(path, self.audio, self.sample_rate)
        if self.clip is None:
            raise EmogenError("this scene has no video (made with video=False); save it as .wav, .flac or .ogg")
        return self.clip.save(path, audio=self.audio, progress=progress)

    def write(self, path: str | os.PathLike) -> Path:
        """Deprecated spelling of :meth:`save`."""
        warnings.warn("SceneResult.write(path) is deprecated; use SceneResult.save(path)", FutureWarning,
                      stacklevel=2)
        return self.save(path)


def check_inputs(text: str, bars: int | None, negative, music_volume: float, steps: int, guidance_scale: float,
                 negative_scale: float, speed: float, seed: int) -> None:
    """Fail early with one readable line, before any model loads."""
    from ..speech.text import check_text

    check_text(text)
    check_sampling(steps, guidance_scale, negative_scale, speed, seed)
    check_number(music_volume, "music volume (linear gain re the voice)", 0.0, 4.0)
    if bars is not None:
        check_number(bars, "bars", *BARS, integer=True)
    if negative is not None and isinstance(parse_emotion(negative), EmotionTrajectory):
        raise EmogenError("a negative emotion must be a single spec, not a trajectory")


class ScenePipeline:
    """Speech + talking head + music for one script and one emotion.

    ``ScenePipeline(tts=None, talk=None, music=None, device=None, dtype=None)``: each part not
    given comes from the shared cache (``emogen.pipelines.load_pipeline``) on ``device`` / ``dtype``
    when first needed (the face model only when a video is made).
    """

    def __init__(self, tts=None, talk=None, music=None, device=None, dtype=None):
        self._given = {k: v for k, v in (("tts", tts), ("talk", talk), ("music", music)) if v is not None}
        self.device, self.dtype = device, dtype

    @classmethod
    def from_pretrained(cls, device=None, dtype=None) -> "ScenePipeline":
        """The shipped voice, face and music models on ``device`` / ``dtype`` (loaded on first use).
        A scene has no checkpoint of its own, so there is no ``name_or_path``."""
        return cls(device=device, dtype=dtype)

    def to(self, device=None, dtype=None) -> "ScenePipeline":
        """Use ``device`` / ``dtype`` (``None`` keeps the current one): parts given to ``__init__``
        move; shared ones are fetched for the new setting. Returns the pipeline."""
        import torch

        if isinstance(device, torch.dtype):
            device, dtype = None, device
        self.device, self.dtype = device or self.device, dtype or self.dtype
        for part in self._given.values():
            part.to(self.device, self.dtype)
        return self

    def _part(self, kind: str):
        if kind in self._given:
            return self._given[kind]
        from ..pipelines import load_pipeline

        return load_pipeline(kind, None, self.device, self.dtype)

    @property
    def tts(self):
        return self._part("tts")

    @property
    def talk(self):
        return self._part("talk")

    @property
    def music(self):
        return self._part("music")

    def __call__(self, text: str, emotion="neutral", intensity: float | None = None, image=None,
                 music: bool = True, music_volume: float = 0.25, bars: int | None = None, seed: int = 0,
                 steps: int = 10, guidance_scale: float = 1.0, negative=None, negative_scale: float = 1.0,
                 speed: float = 1.0, video: bool = True, progress: bool = False, voice: str | None = None,
                 output=None) -> SceneResult:
        """Make the scene; writes no file (``result.save("scene.mp4")`` does).

        Args:
            text: the script (English).
            emotion: a spec, a trajectory, or ``auto`` / ``auto:SCALE``.
            intensity: 0..1.
            image: a face photo (path or RGB array); ``None`` uses the built-in portrait.
            music: add a music bed.
            music_volume: the bed's linear gain re the voice (before ducking).
            bars: music length in bars (default: enough for the speech plus a tail).
            seed: fixes the result.
            steps: speech (and face) sampling steps.
            guidance_scale: classifier-free emotion guidance for speech (and face).
            negative: an emotion to steer speech (and face) away from.
            negative_scale: the strength of that negative term.
            speed: speaking rate factor (0.25 to 4; 1 is the voice's own).
            output: where to write the mp4; ``None`` writes nothing.
            video: ``False`` makes only the soundtrack (no face model needed).
            progress: progress bars on stderr (speech and frame rendering).
            voice: the voice (``emogen voices``; None: the default voice, or the ``tts`` given).
            output: removed (calling writes no file); a clear error says to use ``.save``.
        """
        # 1. Check inputs and resolve the emotion once; everything below uses this same spec or trajectory
        refuse_output(self, output)
        check_inputs(text, bars, negative, music_volume, steps, guidance_scale, negative_scale, speed, seed)
        spec = resolve_scene_emotion(text, emotion, intensity)  # 'auto': the shared text classifier
        options = dict(steps=steps, guidance_scale=guidance_scale, negative=negative, negative_scale=negative_scale,
                       speed=speed, seed=seed)
        clip = None
        if video:
            # 2-3. The talking head speaks the script (its TTS's phone timings drive the mouth); the
            # clip's soundtrack is the speech the music goes under
            clip = self.talk(image=image, text=text, emotion=spec, progress=progress, voice=voice, **options)
            speech, sr = np.asarray(clip.audio, np.float32), int(clip.sample_rate)
        else:
            # 2. Speech only
            from ..pipelines import load_pipeline

            tts = self.tts if voice is None else load_pipeline("tts", voice, self.device, self.dtype)
            speech, sr = tts(text, spec, progress=progress, **options)
        # 4-5. Music bed with the same emotion, mixed under the speech
        result = SceneResult(speech, sr, speech, spec, None, clip)
        if music and music_volume > 0:
            result.audio, result.music = self.soundtrack(speech, sr, spec, music_volume, bars, seed)
        return result

    def soundtrack(self, speech: np.ndarray, sample_rate: int, emotion, music_volume: float = 0.25,
                   bars: int | None = None, seed: int = 0, duck_db: float = -10.0):
        """(mix, MusicResult): a music piece with ``emotion`` rendered at ``sample_rate`` and mixed
        under ``speech`` ((samples,) float32); the mix has the speech's length."""
        if isinstance(emotion, str):
            emotion = parse_emotion(emotion)
        if not isinstance(emotion, (EmotionSpec, EmotionTrajectory)):
            raise EmogenError(f"emotion must be a spec or trajectory, got {type(emotion).__name__}")
        if not bars:  # the music's tempo follows its arousal: count bars at the fastest it reaches
            from ..music.performance import tempo_for_arousal

            specs = [emotion] if isinstance(emotion, EmotionSpec) else [k.spec for k in emotion.keyframes]
            bars = music_bars_for(len(speech) / sample_rate, max(tempo_for_arousal(s.resolve_vad()[1]) for s in specs))
        piece = self.music(emotion, bars=bars, seed=seed)
        bed = piece.render_audio(sample_rate)
        return mix_music_under_speech(speech, bed, sample_rate, music_volume, duck_db), piece


def make_scene(text: str, emotion="neutral", intensity: float | None = None, image=None, music: bool = True,
               music_volume: float = 0.25, bars: int | None = None, seed: int = 0, **options) -> SceneResult:
    """One call: ``make_scene("Hello!", "happy").save("hello.mp4")`` (models come from the shared
    cache, so repeated calls load nothing again)."""
    return ScenePipeline.from_pretrained()(text, emotion, intensity, image=image, music=music,
                                           music_volume=music_volume, bars=bars, seed=seed, **options)
