"""``ScenePipeline``: one emotion drives the voice, the talking head and a music bed, in one mp4.

    from emogen.scene import ScenePipeline
    scene = ScenePipeline.from_pretrained()
    scene("I waited all day, and nobody came.", emotion="sad", output="scene.mp4")

Order of work: (1) resolve the emotion (``auto`` reads it from the script), (2) speak the script
(TTS), (3) animate the face on that speech, (4) write a music bed with the same emotion, long
enough to cover the clip plus a tail, rendered with the General MIDI soundfont, (5) mix it under
the speech (``mix.mix_music_under_speech``: ducked while the voice speaks, faded in and out), and
(6) encode the clip with the mix as its soundtrack.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import numpy as np

from ..checks import BARS, check_number, check_sampling
from ..emotion import EmotionSpec, EmotionTrajectory, Keyframe, parse_emotion
from ..errors import EmogenError
from .mix import mix_music_under_speech

MUSIC_TAIL_S = 1.0  # music written past the end of the speech, so the fade-out is not cut short
MAX_SCENE_BARS = 64


def load_talk_pipeline(device: str = "cpu", dtype=None):
    """``emogen.face.TalkPipeline.from_pretrained()`` on ``device`` / ``dtype``."""
    from ..face.pipeline import TalkPipeline

    return TalkPipeline.from_pretrained(device=device, dtype=dtype)


def resolve_scene_emotion(text: str, emotion, intensity: float | None = None, classifier=None):
    """One spec or trajectory for the whole scene. ``auto`` / ``auto:SCALE`` classifies each
    sentence of ``text``: a trajectory through their specs in order when they differ (spread
    evenly over the clip, so the music follows the script's turns); when they agree, the spec
    of the whole script read at once, whose sentences give each other context (sentence by
    sentence, "We did it!" and "After all this time, we actually did it." each read as neutral,
    at 0.55 and 0.43 against happy's 0.33 and 0.28; the two together read as happy, 0.39 against
    neutral's 0.33)."""
    from ..text.auto import parse_auto

    scale = parse_auto(emotion) if isinstance(emotion, str) else None
    if scale is None:
        return parse_emotion(emotion, intensity)
    if intensity is not None:
        raise EmogenError("with --emotion auto, scale the inferred intensity as auto:SCALE, not --intensity")
    from ..speech.text import has_pronounceable, split_sentences
    from ..text.auto import infer_specs

    sentences = [s for s in split_sentences(text) if has_pronounceable(s)]
    if not sentences:
        raise EmogenError("the script has nothing to pronounce; give words in English")
    specs, _ = infer_specs(sentences, scale, classifier=classifier)
    distinct = [s for i, s in enumerate(specs) if i == 0 or str(s) != str(specs[i - 1])]
    if len(distinct) == 1:
        return distinct[0] if len(sentences) == 1 else infer_specs([" ".join(sentences)], scale,
                                                                    classifier=classifier)[0][0]
    return EmotionTrajectory(tuple(Keyframe(s) for s in distinct))


def music_bars_for(duration_s: float, tempo: float = 120.0, beats_per_bar: float = 4.0) -> int:
    """Bars of music that cover ``duration_s`` seconds plus ``MUSIC_TAIL_S``."""
    seconds_per_bar = beats_per_bar * 60.0 / tempo
    return int(min(MAX_SCENE_BARS, max(2, math.ceil((duration_s + MUSIC_TAIL_S) / seconds_per_bar))))


@dataclass
class SceneResult:
    """What a scene is made of. ``audio`` is the final soundtrack (speech + music), float32 mono
    at ``sample_rate`` Hz; ``clip`` is the talking-head ``TalkClip`` (``None`` for audio only)."""

    audio: np.ndarray
    sample_rate: int
    speech: np.ndarray
    emotion: object
    music: object = None  # MusicResult or None
    clip: object = None

    def write(self, path: str | os.PathLike, progress: bool = False):
        """Encode the video with the mixed soundtrack (atomically, by ``TalkClip.write``)."""
        if self.clip is None:
            raise EmogenError("this scene has no video (made without the talking head)")
        return self.clip.write(path, audio=self.audio, progress=progress)


class ScenePipeline:
    """Speech + talking head + music for one script and one emotion. Loads each model once."""

    def __init__(self, tts=None, talk=None, music=None, device: str = "cpu", dtype=None):
        self._tts, self._talk, self._music = tts, talk, music
        self.device, self.dtype = device, dtype
        self._classifier = None

    @classmethod
    def from_pretrained(cls, device: str = "cpu", dtype=None) -> "ScenePipeline":
        """Models load on first use (the face model only when a video is made)."""
        return cls(device=device, dtype=dtype)

    @property
    def tts(self):
        if self._tts is None:
            from ..speech.pipeline import TTSPipeline

            self._tts = TTSPipeline.from_pretrained(device=self.device, dtype=self.dtype)
        return self._tts

    @property
    def talk(self):
        if self._talk is None:
            self._talk = load_talk_pipeline(self.device, self.dtype)
        return self._talk

    @property
    def music(self):
        if self._music is None:
            from ..music.pipeline import MusicPipeline

            self._music = MusicPipeline.from_pretrained(device=self.device)
        return self._music

    def __call__(self, text: str, emotion="neutral", intensity: float | None = None, image=None,
                 music: bool = True, music_volume: float = 0.25, bars: int | None = None, seed: int = 0,
                 steps: int = 10, guidance_scale: float = 1.0, negative=None, negative_scale: float = 1.0,
                 speed: float = 1.0, output: str | os.PathLike | None = None, video: bool = True,
                 progress: bool = False) -> SceneResult:
        """Make the scene; with ``output`` also write the mp4.

        Args:
            text: the script (English).
            emotion: a spec, a trajectory, or ``auto`` / ``auto:SCALE``; intensity: 0..1.
            image: a face photo (path or RGB array); ``None`` uses the built-in portrait.
            music: add a music bed; music_volume: its linear gain re the voice (before ducking).
            bars: music length in bars (default: enough for the speech plus a tail).
            steps / guidance_scale / negative / negative_scale / speed: speech (and face) sampling.
            video: ``False`` makes only the soundtrack (no face model needed).
            progress: progress bars on stderr (speech and frame rendering).
        """
        # 1. Resolve the emotion once; everything below uses this same spec or trajectory
        from ..speech.text import check_text

        check_text(text)
        check_sampling(steps, guidance_scale, negative_scale, speed, seed)
        check_number(music_volume, "music volume (linear gain re the voice)", 0.0, 4.0)
        if bars is not None:
            check_number(bars, "bars", *BARS, integer=True)
        from ..text.auto import parse_auto

        if self._classifier is None and isinstance(emotion, str) and parse_auto(emotion) is not None:
            from ..text.classifier import DEFAULT_MODEL, TextEmotionClassifier

            self._classifier = TextEmotionClassifier.from_pretrained(DEFAULT_MODEL)
        spec = resolve_scene_emotion(text, emotion, intensity, self._classifier)
        if negative is not None and isinstance(parse_emotion(negative), EmotionTrajectory):
            raise EmogenError("a negative emotion must be a single spec, not a trajectory")
        options = dict(steps=steps, guidance_scale=guidance_scale, negative=negative, negative_scale=negative_scale,
                       speed=speed, seed=seed)
        clip = None
        if video:
            # 2-3. The talking head speaks the script (its TTS's phone timings drive the mouth); the
            # clip's soundtrack is the speech the music goes under
            talk = self.talk
            if getattr(talk, "_tts", False) is None:  # share the voice already loaded here, not a second copy
                talk._tts = self._tts
            clip = talk.animate(image=image, text=text, emotion=spec, progress=progress, **options)
            speech, sr = np.asarray(clip.audio, np.float32), int(clip.sample_rate)
        else:
            # 2. Speech only
            speech, sr = self.tts(text, spec, progress=progress, **options)
        # 4-5. Music bed with the same emotion, mixed under the speech
        result = SceneResult(speech, sr, speech, spec, None, clip)
        if music and music_volume > 0:
            result.audio, result.music = self.soundtrack(speech, sr, spec, music_volume, bars, seed)
        # 6. Encode
        if output is not None:
            result.write(output, progress)
        return result

    def soundtrack(self, speech: np.ndarray, sample_rate: int, emotion, music_volume: float = 0.25,
                   bars: int | None = None, seed: int = 0, duck_db: float = -10.0):
        """(mix, MusicResult): a music piece with ``emotion`` rendered at ``sample_rate`` and mixed
        under ``speech`` ((samples,) float32); the mix has the speech's length."""
        if isinstance(emotion, str):
            emotion = parse_emotion(emotion)
        if not isinstance(emotion, (EmotionSpec, EmotionTrajectory)):
            raise EmogenError(f"emotion must be a spec or trajectory, got {type(emotion).__name__}")
        bars = bars or music_bars_for(len(speech) / sample_rate)
        piece = self.music(emotion, bars=bars, seed=seed)
        bed = piece.render_audio(sample_rate)
        return mix_music_under_speech(speech, bed, sample_rate, music_volume, duck_db), piece


def make_scene(text: str, emotion="neutral", intensity: float | None = None, image=None, music: bool = True,
               music_volume: float = 0.25, bars: int | None = None, seed: int = 0,
               output: str | os.PathLike | None = None, **options) -> SceneResult:
    """One call: ``make_scene("Hello!", "happy", output="hello.mp4")`` (loads the models each time;
    keep a ``ScenePipeline`` to make many)."""
    return ScenePipeline.from_pretrained()(text, emotion, intensity, image=image, music=music,
                                           music_volume=music_volume, bars=bars, seed=seed, output=output, **options)
