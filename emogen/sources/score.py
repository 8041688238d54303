"""Music scored to a video: the video's emotion over time sets the emotion of a piece of the
video's length, which ends on a cadence and can be laid under the video's own sound.

    from emogen.sources.score import score_video
    score = score_video("clip.mp4")                  # a ScoredVideo: piece, reading, tempo
    score.piece.save("score.mid"); score.save_mux("clip.mp4", "scored.mp4")

Length: ``bars`` whole bars at the tempo that makes them last exactly the video's duration
(``fit_tempo``), so the piece ends within one beat of the video. The trajectory's keyframes
(seconds) become sixteenth-note steps of the piece, each at full strength
(:func:`full_strength`): a reading's intensity is its confidence, and a score that stated
an unsure mood weakly would only sound vaguer (at full strength the music model's pieces are
recognised in their quadrant 0.99 of the time, docs/music.md), so the score states each span's
mood plainly; a neutral span stays neutral. Under the video's sound the music is mixed
as the scene's bed (``emogen.scene.mix``): its level relative to the voiced speech, ducked by
10 dB while anyone speaks, faded in and out.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ..checks import BARS, DEFAULT_TEMPO, TEMPO
from ..emotion import EmotionSpec, EmotionTrajectory, Keyframe
from ..errors import EmogenError

BEATS_PER_BAR = 4


def beat_lengths(bars: int, beats_per_bar: int = BEATS_PER_BAR) -> np.ndarray:
    """(bars * beats_per_bar,) length of each performed beat in beats of the nominal tempo: 1,
    except over the last bar, which slows (``music.performance.beat_tempi``'s final ritardando)."""
    from ..music.performance import beat_tempi

    beats = bars * beats_per_bar
    nominal = 100.0  # any tempo inside the model's range: the ritardando is relative
    return nominal / beat_tempi(beats, np.full(beats, nominal), beats_per_bar)


def fit_tempo(duration: float, beats_per_bar: int = BEATS_PER_BAR) -> tuple[int, float]:
    """(bars, tempo BPM) nearest to ``DEFAULT_TEMPO`` (the music model's) whose performed bars (with the final
    ritardando) last exactly ``duration`` seconds."""
    bar_at_base = beats_per_bar * 60.0 / DEFAULT_TEMPO
    bars = int(np.clip(round(duration / bar_at_base), 2, BARS[1]))
    tempo = float(beat_lengths(bars, beats_per_bar).sum()) * 60.0 / duration
    if not TEMPO[0] <= tempo <= TEMPO[1]:
        raise EmogenError(f"cannot fit whole bars to a {duration:.1f} s video (tempo {tempo:.0f} BPM is outside "
                          f"{TEMPO[0]:g}-{TEMPO[1]:g}); give a video of 2 s to {BARS[1] * 2 / 60:.0f} min")
    return bars, tempo


def retime(emotion: EmotionSpec | EmotionTrajectory, source_seconds: float, target_length: float):
    """A trajectory with keyframes in the source's seconds, stretched to ``target_length`` (in
    the target's own unit: music steps); a spec or an evenly spread trajectory as it is."""
    if isinstance(emotion, EmotionSpec) or emotion.keyframes[0].time is None:
        return emotion
    scale = target_length / max(source_seconds, 1e-6)
    return EmotionTrajectory(tuple(Keyframe(k.spec, k.time * scale) for k in emotion.keyframes))


def for_music(reading, bars: int = 16, time_signature: str | None = None):
    """A reading's emotion for a piece of ``bars`` bars: keyframes in seconds of the source
    stretched over the piece's sixteenth-note steps (the music pipeline's unit of time)."""
    from ..music.representation import STEPS_PER_BEAT, beats_per_bar, parse_time_signature

    steps = bars * beats_per_bar(parse_time_signature(time_signature)) * STEPS_PER_BEAT
    return retime(reading.emotion, reading.duration or 1.0, steps)


def full_strength(emotion: EmotionSpec | EmotionTrajectory):
    """The same emotion with every non-neutral spec at intensity 1 (a mixture keeps its shares)."""
    def one(spec: EmotionSpec) -> EmotionSpec:
        return spec if spec.is_neutral else replace(spec, intensity=1.0, explicit_intensity=True)

    if isinstance(emotion, EmotionSpec):
        return one(emotion)
    return EmotionTrajectory(tuple(Keyframe(one(k.spec), k.time) for k in emotion.keyframes))


@dataclass
class ScoredVideo:
    """The score of one video: ``piece`` (a MusicResult with its cadence), the ``reading`` of
    the video, the ``emotion`` the piece follows (full strength, keyframes in the video's
    seconds) and the ``duration`` of the video in seconds."""

    piece: object
    reading: object
    emotion: object
    duration: float

    def save_mux(self, video: str | os.PathLike, output: str | os.PathLike, music_volume: float = 0.25,
                 sample_rate: int = 44100, audio: np.ndarray | None = None) -> Path:
        """Write ``output`` (.mp4): the video's picture, its sound with the score under it (ducked
        under speech). ``audio``: the score already rendered at ``sample_rate``."""
        return mux_under_video(video, output, self.piece.render_audio(sample_rate) if audio is None else audio,
                               sample_rate, music_volume)


def score_video(video: str | os.PathLike, reference: str | os.PathLike | None = None, seed: int = 0,
                steps: int = 12, guidance_scale: float = 3.0, key: str | None = None, checkpoint: str | None = None,
                reading=None, progress: bool = False, **options) -> ScoredVideo:
    """Read the video's emotion over time (or take ``reading``) and write a piece that follows
    it, of the video's length, ending on the pipeline's final cadence (``emogen.music.form``);
    ``options`` go to ``MusicPipeline``
    (e.g. ``mode_guidance``)."""
    from ..music.representation import STEPS_PER_BEAT
    from ..pipelines import load_pipeline
    from .video import read_video

    reading = reading or read_video(video, reference)
    duration = float(reading.duration or 0.0)
    bars, tempo = fit_tempo(duration)
    total_steps = bars * BEATS_PER_BAR * STEPS_PER_BEAT
    followed = full_strength(reading.emotion)
    piece = load_pipeline("music", checkpoint)(retime(followed, duration, total_steps), bars=bars, tempo=tempo,
                                               seed=seed, steps=steps,
                                               guidance_scale=guidance_scale, key=key, progress=progress, **options)
    return ScoredVideo(piece, reading, followed, duration)


def mux_under_video(video: str | os.PathLike, output: str | os.PathLike, music: np.ndarray, sample_rate: int,
                    music_volume: float = 0.25) -> Path:
    """``output`` (.mp4, written atomically): ``video``'s picture (copied, or re-encoded to H.264
    when mp4 cannot hold its codec) with its own sound and ``music`` ((samples,) float32 at
    ``sample_rate``) mixed under it; without a sound track the music alone, faded in and out."""
    import librosa
    import soundfile as sf

    from ..face.video import read_audio_track, require_imageio_ffmpeg
    from ..io import atomic_path
    from ..scene.mix import fade, mix_music_under_speech

    own, rate = read_audio_track(Path(video))
    if own is not None and rate != sample_rate:
        own = librosa.resample(own, orig_sr=rate, target_sr=sample_rate)
    if own is not None and np.sqrt(np.mean(own ** 2)) > 1e-4:
        mix = mix_music_under_speech(own, music, sample_rate, music_volume)
    else:
        mix = music * fade(len(music), sample_rate)
    ffmpeg = require_imageio_ffmpeg().get_ffmpeg_exe()
    with tempfile.TemporaryDirectory(prefix="emogen-mux-") as tmp, atomic_path(output) as target:
        wav = os.path.join(tmp, "mix.wav")
        sf.write(wav, mix, sample_rate, subtype="PCM_16")  # a scratch file: not deferred by all_or_nothing
        for video_codec in (["-c:v", "copy"], ["-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p"]):
            proc = subprocess.run([ffmpeg, "-v", "error", "-y", "-i", str(video), "-i", wav, "-map", "0:v:0",
                                   "-map", "1:a:0", *video_codec, "-c:a", "aac", "-b:a", "192k", "-shortest",
                                   "-movflags", "+faststart", "-f", "mp4", str(target)], capture_output=True, text=True)
            if proc.returncode == 0:
                break
        else:
            raise EmogenError(f"cannot write '{output}': ffmpeg failed ({proc.stderr.strip().splitlines()[-1:]})")
    return Path(output)
