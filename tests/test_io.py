"""The one writer (emogen.io): atomic, refuses non-regular targets, keeps symlinks, cleans up on a
full disk, groups multi-file outputs."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from emogen.errors import EmogenError
from emogen.io import all_or_nothing, atomic_path, check_writable, ensure_dir, write_audio, write_text_atomic


def listing(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


def test_refuses_devices_fifos_and_folders(tmp_path):
    os.mkfifo(tmp_path / "pipe.wav")
    for target, message in [("/dev/full", "not a regular file"), (tmp_path / "pipe.wav", "not a regular file"),
                            (tmp_path, "is a directory"), (tmp_path / "no" / "x.wav", "does not exist"),
                            ("/proc/x.wav", "cannot write")]:
        with pytest.raises(EmogenError, match=message):
            write_text_atomic(target, "x")
    assert listing(tmp_path) == {"pipe.wav"}
    assert Path("/dev/full").is_char_device()


def test_a_symlink_stays_a_link_and_its_target_is_replaced(tmp_path):
    real = tmp_path / "real" / "out.txt"
    real.parent.mkdir()
    real.write_text("old")
    os.chmod(real, 0o640)
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    write_text_atomic(link, "new")
    assert link.is_symlink() and real.read_text() == "new" and link.read_text() == "new"
    assert (real.stat().st_mode & 0o777) == 0o640  # the replaced file keeps its mode
    assert listing(tmp_path) == {"real", "link.txt"} and listing(real.parent) == {"out.txt"}
    dangling = tmp_path / "dangling.txt"
    dangling.symlink_to(tmp_path / "real" / "later.txt")
    write_text_atomic(dangling, "made")
    assert dangling.is_symlink() and (real.parent / "later.txt").read_text() == "made"


def test_disk_full_is_a_user_error_and_leaves_nothing(tmp_path, monkeypatch):
    target = tmp_path / "out.wav"
    target.write_bytes(b"previous")
    with pytest.raises(EmogenError, match="no space left on device writing"):
        with atomic_path(target) as tmp:
            tmp.write_bytes(b"part")
            raise OSError(errno.ENOSPC, "No space left on device")
    assert listing(tmp_path) == {"out.wav"} and target.read_bytes() == b"previous"

    real_fsync = os.fsync

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(EmogenError, match="no space left on device writing"):
        write_audio(tmp_path / "new.wav", np.zeros(100, np.float32), 16000)
    monkeypatch.setattr(os, "fsync", real_fsync)
    assert listing(tmp_path) == {"out.wav"}


def test_a_group_appears_whole_or_not_at_all(tmp_path):
    with pytest.raises(EmogenError, match="no space left"):
        with all_or_nothing():
            with atomic_path(tmp_path / "piece.mid") as tmp:
                tmp.write_bytes(b"midi")
            assert listing(tmp_path) != {"piece.mid"}  # not yet in place
            with atomic_path(tmp_path / "piece.wav") as tmp:
                raise OSError(errno.ENOSPC, "No space left on device")
    assert listing(tmp_path) == set()
    with all_or_nothing():
        with atomic_path(tmp_path / "piece.mid") as tmp:
            tmp.write_bytes(b"midi")
        write_audio(tmp_path / "piece.wav", np.zeros(10, np.float32), 8000)
        assert not (tmp_path / "piece.mid").exists()
    assert listing(tmp_path) == {"piece.mid", "piece.wav"}


def test_audio_is_checked_and_encoded_before_anything_is_written(tmp_path):
    with pytest.raises(EmogenError, match="NaN or infinite"):
        write_audio(tmp_path / "x.wav", np.array([0.0, np.nan], np.float32), 16000)
    with pytest.raises(EmogenError, match="cannot encode"):
        write_audio(tmp_path / "x.wav", np.zeros(100, np.float32), 16000, "WAV", "VORBIS")
    assert listing(tmp_path) == set()
    for fmt, subtype in (("WAV", "PCM_16"), ("FLAC", "PCM_16"), ("OGG", "VORBIS")):
        path = write_audio(tmp_path / f"x.{fmt.lower()}", np.sin(np.arange(8000) / 5.0) * 0.5, 16000, fmt, subtype)
        audio, sr = sf.read(path)
        assert sr == 16000 and len(audio) == 8000
    assert all(not name.startswith(".") for name in listing(tmp_path))


def test_ensure_dir_and_check_writable(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(EmogenError, match="not a folder"):
        ensure_dir(tmp_path / "file")
    assert ensure_dir(tmp_path / "a" / "b").is_dir()
    assert check_writable(tmp_path / "a" / "new.wav") == tmp_path / "a" / "new.wav"
    assert listing(tmp_path / "a") == {"b"}  # the probe file is gone
