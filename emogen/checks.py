"""Range checks for every numeric setting, shared by the pipelines (``check_inputs``), the batch
jobs and the command line (``emogen.cli_args``), so a value is refused the same way everywhere
and before any model loads.

A NaN or an infinity is never accepted: ``nan`` compares false with everything, so a plain
``lo <= x <= hi`` test lets it through, and a NaN guidance scale turns every sample into NaN.
"""

from __future__ import annotations

import math

from .errors import EmogenError

# The accepted ranges of the sampling settings every medium shares: (low, high), both included.
STEPS = (1, 200)
GUIDANCE = (0.0, 10.0)  # classifier-free guidance scale, 1 = none
NEGATIVE_SCALE = (0.0, 10.0)
SPEED = (0.25, 4.0)  # speaking-rate factor, > 1 faster
SEED = (0, 2**32 - 1)  # what numpy's and torch's generators both accept
INTENSITY = (0.0, 1.0)
# music (emogen.music.pipeline.check_inputs)
BARS = (1, 512)
MUSIC_STEPS = (1, 1000)
MUSIC_GUIDANCE = (0.0, 20.0)
MODE_GUIDANCE = (0.0, 5.0)
TEMPO = (30.0, 300.0)  # BPM
DEFAULT_TEMPO = 120.0  # BPM at neutral arousal: the mark on all of EMOPIA's clips, and MIDI's own default


def check_number(value, name: str, low: float, high: float, integer: bool = False):
    """``value`` as a float (an int when ``integer``) if it is finite and in ``[low, high]``.

    Raises:
        EmogenError: "NAME VALUE is out of range; accepted: LOW to HIGH" (or "... is not a
        (whole) number ...").
    """
    accepted = f"accepted: {'whole numbers ' if integer else ''}{low:g} to {high:g}"
    shown = f"{name} {value!r}".strip() if isinstance(value, str) else f"{name} {value}".strip()
    if integer and isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or (integer and not isinstance(value, int)):
        raise EmogenError(f"{shown} is not a {'whole ' if integer else ''}number; {accepted}")
    try:
        number = int(value) if integer else float(value)
    except (TypeError, ValueError, OverflowError):
        raise EmogenError(f"{shown} is not a number; {accepted}") from None
    if not math.isfinite(number):
        raise EmogenError(f"{shown} is not a finite number; {accepted}")
    if not low <= number <= high:
        raise EmogenError(f"{name} {number:g} is out of range; {accepted}".strip())
    return number


def check_sampling(steps=None, guidance_scale=None, negative_scale=None, speed=None, seed=None) -> None:
    """Check the shared sampling settings that are not None (see the ranges above)."""
    for value, name, (low, high), integer in ((steps, "steps", STEPS, True),
                                              (guidance_scale, "guidance scale", GUIDANCE, False),
                                              (negative_scale, "negative scale", NEGATIVE_SCALE, False),
                                              (speed, "speed", SPEED, False),
                                              (seed, "seed", SEED, True)):
        if value is not None:
            check_number(value, name, low, high, integer)
