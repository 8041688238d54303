"""The one writer: every output file appears complete under its final name, or not at all.

``atomic_path`` yields a temporary file beside the target and moves it into place only when the
block succeeds; inside ``all_or_nothing()`` the moves wait until the whole group succeeded, so a
multi-file output (``.mid`` + ``.wav`` + ``.png``) appears whole or not at all. The target must be
a regular file (or not exist yet): a device such as ``/dev/full``, a FIFO or a directory is
refused rather than replaced, and a symlink stays a link (its target file is replaced). A failed
write (a full disk, a read-only folder) removes its temporary files and becomes an
:class:`EmogenError` naming the file.
"""

from __future__ import annotations

import contextlib
import contextvars
import errno
import io
import os
import shutil
import stat
import tempfile
from pathlib import Path
from typing import Iterator

from .errors import EmogenError

# (temporary, target) pairs whose move into place waits for the enclosing all_or_nothing() block
_PENDING: contextvars.ContextVar[list | None] = contextvars.ContextVar("emogen_pending_writes", default=None)


def _target(path: Path) -> Path:
    """Where the bytes go: a symlink's final target (the link itself stays), else ``path``."""
    return Path(os.path.realpath(path)) if os.path.islink(path) else path


def check_writable(path: str | os.PathLike) -> Path:
    """Fail early, before any work, when ``path`` cannot be written: a missing, read-only or
    pseudo folder (``/proc``), or a target that is not a regular file (a directory, a device, a
    FIFO). Returns ``path`` as a Path."""
    path = Path(path)
    target = _target(path)
    parent = target.parent if str(target.parent) else Path(".")
    if target.is_dir():
        raise EmogenError(f"output path '{path}' is a directory; give a file name")
    if target.exists() and not stat.S_ISREG(target.stat().st_mode):
        raise EmogenError(f"cannot write '{path}': it is not a regular file (a device, FIFO or socket); "
                          "give a file path")
    if not parent.is_dir():
        raise EmogenError(f"cannot write '{path}': folder '{parent}' does not exist")
    if not os.access(parent, os.W_OK):
        raise EmogenError(f"cannot write '{path}': folder '{parent}' is not writable")
    try:  # some folders pass the checks above and still take no files (/proc, a read-only mount)
        fd, probe = tempfile.mkstemp(prefix=".emogen-probe.", dir=parent)
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise _write_error(e, path) from None
    return path


def _write_error(e: OSError, path) -> EmogenError:
    if e.errno in (errno.ENOSPC, errno.EDQUOT):
        return EmogenError(f"no space left on device writing '{path}'")
    return EmogenError(f"cannot write '{path}': {e.strerror or e}")


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it into place only if the block succeeds
    (inside :func:`all_or_nothing`, when the whole group succeeds).

    The temporary file keeps the target's suffix so that writers choosing a format by extension
    (soundfile, imageio, pretty_midi) still work. An ``OSError`` in the block (a full disk)
    becomes an :class:`EmogenError`; the temporary file is removed on any failure.
    """
    path = check_writable(path)
    target = _target(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=target.suffix, dir=target.parent)
    except OSError as e:
        raise _write_error(e, path) from None
    os.close(fd)
    tmp_path = Path(tmp)
    pending = _PENDING.get()
    try:
        try:
            yield tmp_path
        except OSError as e:
            raise _write_error(e, path) from None
        if pending is None:
            _commit([(tmp_path, target, path)])
        else:
            pending.append((tmp_path, target, path))
    finally:
        if pending is None or not any(p[0] == tmp_path for p in pending):
            tmp_path.unlink(missing_ok=True)


@contextlib.contextmanager
def all_or_nothing() -> Iterator[None]:
    """Group writes: files written with :func:`atomic_path` inside the block appear together when
    it succeeds, and none of them when anything in it fails. Nested groups join the outer one."""
    if _PENDING.get() is not None:
        yield
        return
    pending: list = []
    token = _PENDING.set(pending)
    try:
        yield
        _commit(pending)
    finally:
        _PENDING.reset(token)
        for tmp, _, _ in pending:
            tmp.unlink(missing_ok=True)


def _commit(moves: list[tuple[Path, Path, Path]]) -> None:
    """Move finished temporary files onto their targets, keeping an existing target's mode."""
    for tmp, target, path in moves:
        if target.exists() and not stat.S_ISREG(target.stat().st_mode):  # appeared while we worked
            raise EmogenError(f"cannot write '{path}': it is not a regular file")
    for tmp, target, path in moves:
        try:
            mode = stat.S_IMODE(target.stat().st_mode) if target.exists() else 0o666 & ~_umask()
            os.chmod(tmp, mode)  # mkstemp makes 0600 files
            os.replace(tmp, target)
        except OSError as e:
            raise _write_error(e, path) from None


def ensure_dir(path: str | os.PathLike) -> Path:
    """An output folder, made if missing (with its parents); an EmogenError when ``path`` is a
    file, cannot be made or cannot be written."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise EmogenError(f"output folder '{path}' exists and is not a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise _write_error(e, path) from None
    if not os.access(path, os.W_OK):
        raise EmogenError(f"cannot write in '{path}': the folder is not writable")
    return path


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> Path:
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())  # a full disk shows here, not later as a truncated file
    return Path(path)


def encode_audio(audio, sample_rate: int, format: str = "WAV", subtype: str | None = "PCM_16") -> bytes:
    """(samples,) or (samples, channels) float audio in [-1, 1] -> the bytes of an audio file.

    Raises EmogenError for NaN / infinite samples (they would be written as full-scale noise) and
    for an encoder failure."""
    import numpy as np
    import soundfile as sf

    audio = np.asarray(audio, dtype=np.float32)
    if not np.isfinite(audio).all():
        raise EmogenError("the audio contains NaN or infinite samples; nothing was written")
    buffer = io.BytesIO()
    try:
        sf.write(buffer, np.clip(audio, -1.0, 1.0), int(sample_rate), format=format.upper(), subtype=subtype)
    except (sf.LibsndfileError, RuntimeError, ValueError, TypeError) as e:
        raise EmogenError(f"cannot encode {format.upper()} audio at {sample_rate} Hz: {e}") from None
    return buffer.getvalue()


def write_audio(path: str | os.PathLike, audio, sample_rate: int, format: str | None = None,
                subtype: str | None = "PCM_16") -> Path:
    """Write float audio in [-1, 1] (see :func:`encode_audio`) atomically; ``format`` defaults to
    the file's suffix (WAV, FLAC, OGG)."""
    path = Path(path)
    fmt = format or path.suffix.lstrip(".") or "WAV"
    return write_bytes_atomic(path, encode_audio(audio, sample_rate, fmt, subtype))


@contextlib.contextmanager
def atomic_dir(path: str | os.PathLike) -> Iterator[Path]:
    """Like :func:`atomic_path` for a directory: build it beside the target, then swap it in."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        yield tmp
        if path.exists():
            old = path.with_name(f".{path.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(path, old)
            os.replace(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def shared_data_root() -> Path:
    """The real datasets: ``$EMOGEN_DATA``, else ``shared/data`` beside the repository checkout."""
    env = os.environ.get("EMOGEN_DATA")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "shared" / "data"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    write_bytes_atomic(path, text.encode("utf-8"))
