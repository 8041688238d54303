"""Phone durations for the model's own phone sequence, from Festival's timings.

Festival times its own lexicon's phones; at run time the model reads espeak-ng's phones (mapped to
the same ARPAbet set). The two mostly agree, but not always (vowel reduction, flaps, extra or
missing phones), so durations are transferred word by word with a small edit-distance alignment:
matched or substituted phones take their Festival duration, an extra Festival phone adds its time
to the espeak phone it follows, and an espeak phone Festival lacks borrows a frame from a
neighbour. Pauses map to pauses; a Festival pause with no espeak pause lengthens the phone before.
"""

from __future__ import annotations

import numpy as np

from .phonemes import Phonemized

VOWELS = frozenset("aa ae ah ao aw ax axr ay eh el em en er ey ih iy ow oy uh uw".split())


def _cost(a: str, b: str) -> float:
    if a == b:
        return 0.0
    return 0.6 if (a in VOWELS) == (b in VOWELS) else 1.0


def align_word(festival: list[str], espeak: list[str]) -> list[list[int]]:
    """For each espeak phone, the indices of the Festival phones whose time it takes."""
    n, m = len(festival), len(espeak)
    if m == 0:
        return []
    cost = np.zeros((n + 1, m + 1))
    cost[1:, 0] = np.arange(1, n + 1)
    cost[0, 1:] = np.arange(1, m + 1)
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            cost[i, j] = min(cost[i - 1, j - 1] + _cost(festival[i - 1], espeak[j - 1]),
                             cost[i - 1, j] + 1.0, cost[i, j - 1] + 1.0)
    owners: list[list[int]] = [[] for _ in range(m)]
    i, j = n, m
    pending: list[int] = []  # festival phones deleted before any espeak phone was seen
    while i > 0 or j > 0:
        if i > 0 and j > 0 and cost[i, j] == cost[i - 1, j - 1] + _cost(festival[i - 1], espeak[j - 1]):
            owners[j - 1].append(i - 1)
            i, j = i - 1, j - 1
        elif i > 0 and (j == 0 or cost[i, j] == cost[i - 1, j] + 1.0):
            (owners[j - 1] if j > 0 else pending).append(i - 1)
            i -= 1
        else:
            j -= 1
    owners[0].extend(pending)
    return owners


def phone_durations(phonemized: Phonemized, festival_phones: list[tuple[str, float]],
                    festival_words: list[tuple[str, float]], n_frames: int, frame_rate: float) -> np.ndarray:
    """Frames per phone of ``phonemized.phones``, summing to ``n_frames``.

    Args:
        festival_phones: (phone, end time s) from Festival, ``pau`` included.
        festival_words: (word, end time s) from Festival.
        frame_rate: frames per second of the acoustic features.
    """
    starts = [0.0] + [end for _, end in festival_phones[:-1]]
    segments = [(p, s, e) for (p, e), s in zip(festival_phones, starts)]
    # Festival phones per word (by word end times) and pauses between words
    word_ends = [end for _, end in festival_words]
    seconds = np.zeros(len(phonemized.phones))
    by_word: dict[int, list[tuple[str, float]]] = {}
    pauses: list[tuple[float, float]] = []
    for phone, s, e in segments:
        if phone == "pau":
            pauses.append((s, e - s))
            continue
        w = int(np.searchsorted(word_ends, (s + e) / 2))
        by_word.setdefault(min(w, len(word_ends) - 1), []).append((phone, e - s))
    phone_pos = {}
    for k, w in enumerate(phonemized.word_index):
        phone_pos.setdefault(w, []).append(k)
    for w, positions in phone_pos.items():
        if w < 0:
            continue
        fest = by_word.get(w, [])
        owners = align_word([p for p, _ in fest], [phonemized.phones[k] for k in positions])
        for k, owned in zip(positions, owners):
            seconds[k] = sum(fest[i][1] for i in owned)
    # pauses: give each Festival pause to the espeak pause at the same place, else to the phone before
    pause_slots = [k for k, p in enumerate(phonemized.phones) if p == "pau"]
    for start, length in pauses:
        before = sum(1 for end in word_ends if end <= start + 1e-6)  # words finished before it
        candidates = [k for k in pause_slots if _words_before(phonemized, k) == before]
        if candidates:
            seconds[candidates[0]] += length
        else:
            k = max([k for k, w in enumerate(phonemized.word_index) if 0 <= w < before] or [0])
            seconds[k] += length
    return _to_frames(seconds, n_frames, frame_rate)


def _words_before(phonemized: Phonemized, k: int) -> int:
    seen = [w for w in phonemized.word_index[:k] if w >= 0]
    return (max(seen) + 1) if seen else 0


def _to_frames(seconds: np.ndarray, n_frames: int, frame_rate: float) -> np.ndarray:
    """Cumulative rounding so totals match ``n_frames``; every phone gets at least one frame."""
    ends = np.round(np.cumsum(seconds) * frame_rate).astype(int)
    frames = np.diff(np.concatenate([[0], ends]))
    frames = np.maximum(frames, 1)
    excess = frames.sum() - n_frames
    while excess != 0:
        k = int(np.argmax(frames)) if excess > 0 else len(frames) - 1
        step = min(excess, frames[k] - 1) if excess > 0 else excess
        if step == 0:
            break
        frames[k] -= step
        excess -= step
    return frames
