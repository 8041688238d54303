"""Limits checked before the work: text length from its characters, image size from its header,
huge photos decoded small; short clips measured without error; tight crops padded without
mirrored ghosts."""

from __future__ import annotations

import struct
import subprocess
import sys
import zlib

import numpy as np
import pytest

from emogen.errors import EmogenError


def test_text_length_is_checked_before_synthesis():
    from emogen.speech.text import FASTEST_CHARS_PER_S, check_speech_length

    check_speech_length("We did it! " * 100, 1.0, 120.0)  # about 60 s: fine
    with pytest.raises(EmogenError, match="over the limit of 120 s"):
        check_speech_length("We did it, after all this time. " * 700, 1.0, 120.0)  # 20,000+ characters
    text = "a" * int(FASTEST_CHARS_PER_S * 10 * 4 + 50)  # over 10 s even at speed 4
    with pytest.raises(EmogenError, match="at least"):
        check_speech_length(text, 4.0, 10.0)
    check_speech_length("[sad] " * 500 + "Hi.", 1.0, 1.0)  # tags are not spoken


def _png_header(width: int, height: int) -> bytes:
    """A PNG that declares ``width`` x ``height`` and holds no pixels."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunks = b""
    for kind, data in ((b"IHDR", ihdr), (b"IDAT", zlib.compress(b"\x00" * 64)), (b"IEND", b"")):
        chunks += struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return b"\x89PNG\r\n\x1a\n" + chunks


def test_absurd_images_are_refused_from_their_header(tmp_path):
    from emogen.face.analysis import load_image

    for width, height in ((12000, 10000), (20000, 20000)):  # under and over PIL's own bomb limit
        path = tmp_path / f"huge{width}.png"
        path.write_bytes(_png_header(width, height))
        with pytest.raises(EmogenError, match="over the limit of 100 megapixels"):
            load_image(path)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_large_images_are_decoded_small(tmp_path, fmt):
    from PIL import Image

    from emogen.face.analysis import MAX_SIDE, load_image

    rng = np.random.default_rng(0)
    small = rng.integers(0, 255, (60, 40, 3), dtype=np.uint8)
    path = tmp_path / f"big.{fmt.lower()}"
    Image.fromarray(small).resize((4000, 6000), Image.Resampling.NEAREST).save(path, format=fmt)
    rgb = load_image(path)
    assert rgb.shape == (MAX_SIDE, MAX_SIDE * 2 // 3, 3) and rgb.dtype == np.uint8


@pytest.mark.slow
def test_a_100_megapixel_portrait_loads_in_bounded_memory(tmp_path):
    """10000 x 10000 RGB is 300 MB decoded; loading it must stay near one decoded copy (it took
    1.8 GB before) and return an image of at most MAX_SIDE pixels a side."""
    from PIL import Image

    path = tmp_path / "huge.png"
    Image.new("RGB", (10000, 10000), (120, 90, 60)).save(path, compress_level=1)
    # VmHWM is this process image's own peak; ru_maxrss would carry over the forking pytest's size
    code = ("import re, sys; from emogen.face.analysis import load_image; "
            "rgb = load_image(sys.argv[1]); "
            "hwm = int(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1)); "
            "print(rgb.shape[0], rgb.shape[1], hwm // 1024)")
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True)
    height, width, peak_mb = map(int, out.stdout.split())
    assert (height, width) == (2048, 2048)
    assert peak_mb < 700, f"peak memory {peak_mb} MB"


def test_lip_sync_of_a_three_frame_clip():
    from emogen.face.measure import lip_sync

    corr, lag = lip_sync(np.array([0.1, 0.5, 0.2]), np.random.default_rng(0).standard_normal(1920), 16000, 25.0)
    assert lag == 0 and (np.isnan(corr) or -1 <= corr <= 1)
    corr, lag = lip_sync(np.array([0.1, 0.5]), np.ones(1280), 16000, 25.0)
    assert np.isnan(corr) and lag == 0


def test_tight_crops_are_padded_without_mirrored_ghosts():
    """A red mark near the photo's left edge must not reappear mirrored beyond that edge (as a
    reflected border repeats it); the fill continues the edge's colours and stays smooth."""
    from emogen.face.analysis import warp_with_fill

    background = (90, 120, 150)
    photo = np.full((200, 200, 3), background, np.uint8)
    photo[80:120, 12:30] = (255, 0, 0)  # the mark, 12 px from the left edge
    m = np.array([[1.0, 0.0, 100.0], [0.0, 1.0, 50.0]])  # the photo lands at x 100..300 of the crop
    crop = warp_with_fill(photo, m, 320)
    assert np.array_equal(crop[140:160, 160:280], photo[90:110, 60:180])  # inside the photo: unchanged
    mirror = crop[130:170, 70:86].astype(int)  # where a reflected border would repeat the mark
    assert np.abs(mirror - np.array(background)).max() < 40  # a reflected mark differs by 165
    outside = crop[:, :90].astype(float)
    assert np.abs(np.diff(outside, axis=1)).max() < 12  # smooth: no streaks or hard edges
