"""The emotion of a video over time: the face in its frames and the speech in its audio track.

Frames are decoded at ``FPS`` per second (ffmpeg drops the rest before conversion) and read by
:func:`emogen.sources.face.read_face_emotion`; the audio track is read by the speech-emotion
recogniser in windows (``emogen.sources.speech``). On a grid of ``STEP_S`` seconds the two are
combined where both are present: the face's probabilities (neutral, happy, sad, angry, fearful,
surprised, disgusted) weighted ``FACE_WEIGHT``, the speech's (happy, sad, angry, fearful) weighted
``1 - FACE_WEIGHT``; either alone where the other is missing. A face at rest is no evidence
against the voice (people say sad things with still faces), so the face's neutral share is
handed to the categories in the proportions the voice gives them. The speech recogniser has no
neutral class: a calm voice spreads its probabilities, which reads as a weak emotion.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import EmogenError
from .face import FACE_CATEGORIES
from .reading import EmotionReading, build_reading

FPS = 2.0  # faces change at human pace; 2 frames a second keep a 30 s clip's reading near a second
STEP_S = 1.0
FACE_WEIGHT = 0.6


def video_frames(path: Path, fps: float = FPS):
    """(frames iterator of (h, w, 3) uint8 RGB at ``fps`` per second, source fps, duration s)."""
    from ..face.video import require_imageio_ffmpeg

    ffmpeg = require_imageio_ffmpeg()
    try:
        reader = ffmpeg.read_frames(str(path), pix_fmt="rgb24", output_params=["-vf", f"fps={fps:g}"])
        meta = reader.__next__()
    except (RuntimeError, OSError, StopIteration) as e:
        raise EmogenError(f"cannot read video '{path}' ({str(e).strip().splitlines()[-1] if str(e) else e}); "
                          "accepted: MP4, MOV, WEBM, MKV with a video stream") from None
    width, height = meta["size"]

    def frames():
        try:
            for raw in reader:
                yield np.frombuffer(raw, dtype=np.uint8).reshape(height, width, 3)
        finally:
            reader.close()

    return frames(), float(meta.get("fps") or 25.0), float(meta.get("duration") or 0.0)


def read_video(path: str | Path, reference: str | Path | None = None, face: bool = True,
               speech: bool = True) -> EmotionReading:
    """The emotion of a video over time (see the module doc); ``reference`` is a neutral take of
    the speaker's voice for the speech recogniser."""
    from ..face.video import read_audio_track
    from .face import read_face_emotion
    from .speech import WINDOW_S, read_speech

    path = Path(path)
    if not path.is_file():
        raise EmogenError(f"video '{path}' not found")
    frames, _, duration = video_frames(path)
    face_probs, face_times = [], []
    for i, frame in enumerate(frames if face else ()):
        probs = read_face_emotion(frame)
        if probs is not None:
            face_probs.append([probs[c] for c in FACE_CATEGORIES])
            face_times.append((i + 0.5) / FPS)
        duration = max(duration, (i + 1) / FPS)
    audio, rate = read_audio_track(path) if speech else (None, None)
    voice = None
    if audio is not None and np.sqrt(np.mean(audio ** 2)) > 1e-3:
        duration = max(duration, len(audio) / rate)
        try:
            voice = read_speech(path, reference, audio=(audio, rate), kind="video", hop=WINDOW_S)
        except EmogenError:  # music or noise, no speech: the faces alone
            voice = None
    if not face_probs and voice is None:
        raise EmogenError(f"no face and no speech found in video '{path}'")
    grid = np.arange(STEP_S / 2, max(duration, STEP_S), STEP_S)
    k = len(FACE_CATEGORIES)
    rows, weights = np.zeros((len(grid), k)), np.zeros(len(grid))
    face_probs, face_times = np.array(face_probs).reshape(-1, k), np.array(face_times)
    speech_rows, speech_times = _speech_rows(voice)
    for g, t in enumerate(grid):
        near = np.abs(face_times - t) <= STEP_S / 2 if len(face_times) else np.zeros(0, bool)
        parts = []
        voice_now = None
        if len(speech_times):
            j = int(np.argmin(np.abs(speech_times - t)))
            if abs(speech_times[j] - t) <= 1.5 or len(speech_times) == 1:
                voice_now = speech_rows[j]
        if near.any():
            seen = face_probs[near].mean(0)
            if voice_now is not None:  # the face's neutral share goes where the voice points
                seen = np.where(np.arange(k) == 0, 0.0, seen) + seen[0] * voice_now
            parts.append((FACE_WEIGHT, seen))
        if voice_now is not None:
            parts.append((1.0 - FACE_WEIGHT, voice_now))
        if parts:
            total = sum(w for w, _ in parts)
            rows[g] = sum(w * p for w, p in parts) / total
            weights[g] = 1.0
    details = {"faces_seen": f"{len(face_times)} of {int(round(duration * FPS))} frames read at {FPS:g} fps",
               "speech": voice.details if voice is not None else "none found"}
    return build_reading(str(path), "video", FACE_CATEGORIES, np.where(weights[:, None] > 0, rows, 1.0 / k),
                         grid if len(grid) > 1 else None, duration, details, weights)


def _speech_rows(voice: EmotionReading | None) -> tuple[list, np.ndarray]:
    """The speech reading's per-window probabilities over FACE_CATEGORIES (zeros for the
    categories the recogniser lacks) and their times."""
    if voice is None:
        return [], np.zeros(0)
    names = list(voice.probabilities)

    def expand(p):
        return np.array([p[names.index(c)] if c in names else 0.0 for c in FACE_CATEGORIES])

    if len(voice.times):
        return [expand(p) for p in voice.window_probabilities], voice.times
    return [expand([voice.probabilities[n] for n in names])], np.array([(voice.duration or 0.0) / 2])
