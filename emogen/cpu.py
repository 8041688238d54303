"""CPU threads for a machine that other work shares (a content pipeline, the app's concurrent
requests, other jobs).

torch starts one OpenMP thread per core, and OpenMP's idle threads spin waiting for the next
parallel region. On a busy CPU those spinning threads take the cores from the thread that has work,
and inference slows many times over (TTS measured at real-time factor 1.0 instead of 0.07 beside one
busy process on 2 cores). So, before torch is imported and unless ``OMP_NUM_THREADS`` is already
set (the user's choice always wins):

- ``OMP_WAIT_POLICY=PASSIVE`` and ``KMP_BLOCKTIME=0`` (each only where unset): idle threads sleep
  at once instead of spinning;
- ``OMP_NUM_THREADS`` = the cores this process may use (``os.sched_getaffinity``) less the cores
  other processes keep busy, at least 1. "Busy" is the larger of the 1-minute load average and the
  number of other processes running right now (``/proc/loadavg``): the average lags a job that just
  started, the snapshot misses one that is momentarily waiting.

``benchmarks/shared_cpu.py`` measures the effect.

:func:`cpu_has_bf16_units` tells where bf16 matrix products run in hardware (the trainer's ``auto``
precision, the natural voices' decoder).
"""

from __future__ import annotations

import os
import sys
from functools import lru_cache


def usable_cores() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def busy_cores() -> float:
    """How many cores other processes keep busy (0 where the system does not say)."""
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    try:
        with open("/proc/loadavg") as f:
            running = int(f.read().split()[3].split("/")[0]) - 1  # minus this process
    except (OSError, ValueError, IndexError):
        running = 0
    return max(load, running, 0)


def configure_threads() -> int | None:
    """Set the OpenMP environment described above for torch to read at import. Returns the number
    of threads chosen, or None where ``OMP_NUM_THREADS`` was set or torch is already imported (then
    nothing changes)."""
    if "OMP_NUM_THREADS" in os.environ or "torch" in sys.modules:
        return None
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    os.environ.setdefault("KMP_BLOCKTIME", "0")
    cores = usable_cores()
    threads = max(1, min(cores, round(cores - busy_cores())))
    os.environ["OMP_NUM_THREADS"] = str(threads)
    return threads


@lru_cache(maxsize=1)
def cpu_has_bf16_units() -> bool:
    """Whether the CPU multiplies bf16 matrices in hardware (Intel AMX, AVX512-BF16; read from
    /proc/cpuinfo). Elsewhere oneDNN emulates bf16 and it is slower than fp32."""
    try:
        with open("/proc/cpuinfo") as f:
            flags = f.read()
    except OSError:
        return False
    return "amx_bf16" in flags or "avx512_bf16" in flags
