"""mp4 in and out with the ffmpeg binary that ships in the imageio-ffmpeg wheel.

:class:`VideoWriter` streams frames into ffmpeg as they are rendered (memory does not grow with
the clip), encodes H.264 (libx264, yuv420p, a fast preset) and muxes mono audio as AAC. The file
appears under its final name only when the writer closes cleanly; an exception inside the
``with`` block, or an encoder failure, leaves nothing behind.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Iterator

import numpy as np

from ..errors import EmogenError
from ..io import atomic_path


def require_imageio_ffmpeg():
    """The ``imageio_ffmpeg`` module (its ffmpeg binary and frame reader), or EmogenError naming the extra."""
    try:
        import imageio_ffmpeg
    except ImportError:
        raise EmogenError("video output needs imageio-ffmpeg: pip install 'emogen[face]'") from None
    return imageio_ffmpeg


class VideoWriter:
    """Write RGB frames (and optional audio) to an mp4, atomically.

    Args:
        path: the output ``.mp4``.
        fps: frames per second.
        size: frame side in pixels (square frames), or ``(width, height)``.
        audio: optional float32 mono samples in [-1, 1], muxed as AAC.
        sample_rate: the audio's rate in Hz (required with ``audio``).
        preset: libx264 speed preset ("ultrafast" ... "veryslow").
        crf: libx264 constant rate factor (lower = better, 18 is visually lossless).
        threads: encoder threads (0 = ffmpeg's choice).

    Use as a context manager; call :meth:`write` once per frame.
    """

    def __init__(self, path, fps: float = 25, size: int | tuple[int, int] = 512, audio: np.ndarray | None = None,
                 sample_rate: int | None = None, preset: str = "veryfast", crf: int = 20, threads: int = 0):
        self.path = Path(path)
        self.fps = fps
        self.width, self.height = (size, size) if isinstance(size, int) else tuple(size)
        if self.width % 2 or self.height % 2:
            raise EmogenError(f"frame size {self.width}x{self.height} must be even for H.264 (yuv420p)")
        self.audio = None if audio is None else np.asarray(audio, dtype=np.float32).reshape(-1)
        if self.audio is not None and not sample_rate:
            raise EmogenError("VideoWriter: give sample_rate with audio")
        self.sample_rate = sample_rate
        self.preset, self.crf, self.threads = preset, crf, threads
        self.frames_written = 0
        self._stack: ExitStack | None = None
        self._gen = None
        self._tmp: Path | None = None

    def __enter__(self) -> "VideoWriter":
        from ..io import write_audio

        imageio_ffmpeg = require_imageio_ffmpeg()
        stack = ExitStack()
        try:
            tmp_video = stack.enter_context(atomic_path(self.path))
            audio_path = None
            if self.audio is not None and len(self.audio):
                tmp_dir = stack.enter_context(tempfile.TemporaryDirectory(prefix="emogen-audio-"))
                audio_path = os.path.join(tmp_dir, "audio.wav")
                write_audio(audio_path, self.audio, int(self.sample_rate), "WAV")
            output_params = ["-preset", self.preset, "-crf", str(self.crf), "-movflags", "+faststart",
                             "-threads", str(self.threads)]
            if audio_path:
                output_params += ["-b:a", "128k"]
            self._gen = imageio_ffmpeg.write_frames(
                str(tmp_video), (self.width, self.height), fps=self.fps, codec="libx264", pix_fmt_out="yuv420p",
                quality=None, macro_block_size=2, ffmpeg_log_level="quiet", output_params=output_params,
                audio_path=audio_path, audio_codec="aac" if audio_path else None)
            self._gen.send(None)  # start ffmpeg
            self._tmp = tmp_video
        except BaseException:
            stack.close()
            raise
        self._stack = stack
        return self

    def write(self, frame: np.ndarray) -> None:
        """Append one ``(height, width, 3)`` uint8 RGB frame."""
        if self._gen is None:
            raise RuntimeError("VideoWriter.write outside its 'with' block")
        frame = np.asarray(frame)
        if frame.shape != (self.height, self.width, 3) or frame.dtype != np.uint8:
            raise ValueError(f"frame must be ({self.height}, {self.width}, 3) uint8, got {frame.shape} {frame.dtype}")
        try:
            self._gen.send(np.ascontiguousarray(frame))
        except OSError as e:  # ffmpeg stopped: a full disk, most likely
            raise self._encoder_error(str(e)) from None
        self.frames_written += 1

    def _encoder_error(self, log: str) -> EmogenError:
        """The user error for an ffmpeg failure, from its log (or a check of the free space).
        ffmpeg itself runs quiet, so that its messages do not add lines to this one."""
        folder = self.path.resolve().parent
        if "No space left" in log or shutil.disk_usage(folder).free < 1 << 20:
            return EmogenError(f"no space left on device writing '{self.path}'")
        reason = next((line.strip() for line in reversed(log.splitlines()) if line.strip()), "unknown error")
        return EmogenError(f"ffmpeg could not write '{self.path}': {reason}")

    def _verify(self) -> None:
        """ffmpeg's exit status is not reported by write_frames: read the finished file back
        (demux only, no decoding) and refuse it when it is unreadable (e.g. a full disk cut it short)."""
        if not self._tmp.exists() or self._tmp.stat().st_size == 0:
            raise self._encoder_error("")
        ffmpeg = require_imageio_ffmpeg().get_ffmpeg_exe()
        check = subprocess.run([ffmpeg, "-v", "error", "-i", str(self._tmp), "-map", "0", "-c", "copy", "-f", "null",
                                "-"], capture_output=True, text=True)
        if check.returncode != 0 or check.stderr.strip():
            raise self._encoder_error(check.stderr)

    def __exit__(self, exc_type, exc, tb) -> None:
        gen, stack = self._gen, self._stack
        self._gen = self._stack = None
        if stack is None:
            return
        if exc_type is not None:  # stop ffmpeg; atomic_path sees the error and deletes the partial file
            gen.close()
            stack.__exit__(exc_type, exc, tb)
            return
        try:
            if self.frames_written == 0:
                raise EmogenError(f"no frames were written to '{self.path}'")
            gen.close()  # closes ffmpeg's stdin and waits for it to finish the file
            self._verify()
        except BaseException as e:
            gen.close()
            stack.__exit__(type(e), e, e.__traceback__)
            raise
        stack.__exit__(None, None, None)  # moves the finished file into place


def read_video(path, with_audio: bool = True) -> tuple[Iterator[np.ndarray], float, np.ndarray | None, int | None]:
    """Open a video for evaluation.

    Returns:
        ``(frames, fps, audio, sample_rate)``: ``frames`` iterates ``(h, w, 3)`` uint8 RGB frames
        (decoded lazily), ``audio`` is float32 mono samples (None when the file has no audio track,
        or ``with_audio`` is False) at ``sample_rate`` Hz.
    Raises:
        EmogenError: missing or undecodable file.
    """
    imageio_ffmpeg = require_imageio_ffmpeg()
    path = Path(path)
    if not path.is_file():
        raise EmogenError(f"video '{path}' not found")
    reader = imageio_ffmpeg.read_frames(str(path), pix_fmt="rgb24")
    try:
        meta = reader.__next__()
    except (RuntimeError, OSError, StopIteration) as e:
        reader.close()
        raise EmogenError(f"cannot read video '{path}': {str(e).strip().splitlines()[-1] if str(e) else e}") from None
    width, height = meta["size"]
    fps = float(meta.get("fps") or 25.0)

    def frames() -> Iterator[np.ndarray]:
        try:
            for raw in reader:
                yield np.frombuffer(raw, dtype=np.uint8).reshape(height, width, 3)
        finally:
            reader.close()

    audio, sr = (read_audio_track(path) if with_audio else (None, None))
    return frames(), fps, audio, sr


def read_audio_track(path: Path) -> tuple[np.ndarray | None, int | None]:
    """The first audio stream as float32 mono, or (None, None) when there is none."""
    import soundfile as sf

    ffmpeg = require_imageio_ffmpeg().get_ffmpeg_exe()
    with tempfile.TemporaryDirectory(prefix="emogen-audio-") as tmp:
        wav = os.path.join(tmp, "audio.wav")
        proc = subprocess.run([ffmpeg, "-v", "error", "-y", "-i", str(path), "-vn", "-map", "0:a:0?", "-ac", "1",
                               "-acodec", "pcm_s16le", wav], capture_output=True, text=True)
        if proc.returncode != 0 or not os.path.exists(wav) or os.path.getsize(wav) <= 44:
            return None, None
        audio, sr = sf.read(wav, dtype="float32")
    return (audio if len(audio) else None), (int(sr) if len(audio) else None)


def probe(path) -> dict:
    """Stream facts of a video file from ffmpeg's header dump: ``video_codec``, ``audio_codec``
    (None without audio), ``size``, ``fps`` and ``frames`` (decoded and counted)."""
    import re

    imageio_ffmpeg = require_imageio_ffmpeg()
    proc = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(path)],
                          capture_output=True, text=True)
    video = re.search(r"Stream #\S+.*?Video: (\w+)", proc.stderr)
    audio = re.search(r"Stream #\S+.*?Audio: (\w+)", proc.stderr)
    if not video:
        raise EmogenError(f"'{path}' has no video stream")
    n_frames, _ = imageio_ffmpeg.count_frames_and_secs(str(path))
    meta_reader = imageio_ffmpeg.read_frames(str(path))
    meta = meta_reader.__next__()
    meta_reader.close()
    return {"video_codec": video.group(1), "audio_codec": audio.group(1) if audio else None,
            "size": tuple(meta["size"]), "fps": float(meta["fps"]), "frames": int(n_frames)}
