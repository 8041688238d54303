"""Emotion from any source: a speech recording, a face photo, a video, a MIDI file or a text.

    import emogen
    reading = emogen.read_emotion("take.wav")          # or a .jpg, .mp4, .mid, .txt
    reading.emotion                                    # an EmotionSpec, or an EmotionTrajectory over time
    emogen.TTSPipeline.shared()("Hello there.", reading.emotion).save("hello.wav")

Each kind of file goes to the recogniser emogen owns for it (``speech``: the speech-emotion
classifier; ``face``: the real-face expression classifier mixed with face-mesh landmark
measures; ``video``: both, over time; ``music``: the EMOPIA quadrant classifier; ``text``: the
text-emotion classifier), and its category
probabilities are mapped into the shared space (``reading``). ``score`` writes music to a video.
This package sits above the media and the judges (it uses them all) and below the front ends.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import EmogenError
from ..face import IMAGE_SUFFIXES

SUFFIXES = {  # kind -> accepted file suffixes
    "speech": (".wav", ".flac", ".ogg", ".mp3"),
    "face": IMAGE_SUFFIXES,
    "video": (".mp4", ".mov", ".webm", ".mkv", ".avi", ".m4v"),
    "music": (".mid", ".midi"),
    "text": (".txt",),
}
ACCEPTED = "speech audio (.wav, .flac, .ogg, .mp3), a face photo (.jpg, .png), a video (.mp4, .mov, .webm, .mkv), " \
           "a MIDI file (.mid, .midi) or a text file (.txt)"


def source_kind(path: str | Path) -> str:
    """'speech', 'face', 'video', 'music' or 'text' by the file's suffix; EmogenError for others."""
    suffix = Path(path).suffix.lower()
    for kind, suffixes in SUFFIXES.items():
        if suffix in suffixes:
            return kind
    raise EmogenError(f"cannot read an emotion from '{path}' (unsupported file type '{suffix or 'none'}'); "
                      f"accepted: {ACCEPTED}")


def references(reference) -> list[str]:
    """The neutral reference recordings: None, one path, or a list of paths -> a list of paths."""
    if reference is None:
        return []
    return [str(r) for r in ([reference] if isinstance(reference, (str, Path)) else reference)]


def check_source(path: str | Path, reference=None) -> str:
    """Fail early (before any model loads) on a missing or unsupported source or reference
    (one path or several); returns the source's kind."""
    kind = source_kind(path)
    if not Path(path).is_file():
        raise EmogenError(f"emotion source '{path}' not found")
    for ref in references(reference):
        if kind not in ("speech", "video"):
            raise EmogenError("a neutral reference (--emotion-reference) is read only with speech audio or a video")
        if Path(ref).suffix.lower() not in SUFFIXES["speech"]:
            raise EmogenError(f"neutral reference '{ref}' must be speech audio (.wav, .flac, .ogg, .mp3)")
        if not Path(ref).is_file():
            raise EmogenError(f"neutral reference '{ref}' not found")
    return kind


def read_emotion(path: str | Path, reference=None):
    """The :class:`~emogen.sources.reading.EmotionReading` of a file: its category
    probabilities, confidence and the spec (or trajectory over time) a generator takes as
    ``emotion``. ``reference``: a neutral recording of the same speaker, or several (their
    features are averaged), for speech and video only."""
    kind = check_source(path, reference)
    if kind == "speech":
        from .speech import read_speech

        return read_speech(path, reference)
    if kind == "face":
        from .face import read_photo

        return read_photo(path)
    if kind == "video":
        from .video import read_video

        return read_video(path, reference)
    if kind == "music":
        from .music import read_midi_file

        return read_midi_file(path)
    from .text import read_text_file

    return read_text_file(path)
