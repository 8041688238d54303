"""Fit the performance style (``emogen.music.performance``) from EMOPIA's train clips and the
shipped flow model, and write ``assets/performance.json``: ``python -m emogen.music.performance_fit``.

Kept apart from ``performance`` because the fit runs the pipeline, which itself performs pieces.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .performance import STYLE_FILE


def fit_style(root=None, checkpoint: str = "music-emopia", seeds: int = 5) -> dict:
    """Fit the parameters from EMOPIA's train clips (and the velocity map from ``checkpoint``'s
    pieces); returns the JSON-able dict ``PerformanceStyle.load`` reads."""
    import pretty_midi
    import torch

    from .data import QUADRANT_EMOTIONS, data_root, emopia_split
    from .pipeline import MusicPipeline
    from .tonality import estimate_key, midi_notes

    root = Path(root) if root else data_root()
    fields = {k: {q: [] for q in (1, 2, 3, 4)} for k in ("pedal", "gap", "asyn", "accent", "velocity", "spread",
                                                                   "timing", "duration")}
    lags, tonics = [], {"major": np.zeros(12), "minor": np.zeros(12)}
    for name, q in emopia_split(root, "train"):
        pm = pretty_midi.PrettyMIDI(str(root / "music" / "emopia" / "midis" / name))
        n = midi_notes(pm)
        if len(n) == 0:
            continue
        key = estimate_key(pm)
        tonics[key.mode][key.tonic] += 1
        fields["velocity"][q].append(n[:, 3].mean())
        fields["spread"][q].append(n[:, 3].std())
        fields["duration"][q].extend(n[:, 2] - n[:, 1])
        onsets = np.sort(n[:, 1])
        down, last_up = None, None
        for c in (c for inst in pm.instruments for c in inst.control_changes if c.number == 64):
            if c.value >= 64 and down is None:
                down = c.time
                if last_up is not None:
                    fields["gap"][q].append(c.time - last_up)
            elif c.value < 64 and down is not None:
                fields["pedal"][q].append(c.time - down)
                before = onsets[onsets <= c.time]
                if len(before):
                    lags.append(c.time - before[-1])
                down, last_up = None, c.time
        clusters = [onsets[0]]  # onsets chained less than 40 ms apart are one
        for t in onsets[1:]:
            if t - clusters[-1] >= 0.04:
                clusters.append(t)
        ioi = np.diff(clusters)
        fields["timing"][q].extend(b - a for a, b in zip(ioi[:-1], ioi[1:]) if 0.8 < b / a < 1.25 and a < 0.6)
        ordered = n[np.argsort(n[:, 1])]
        i = 0
        while i < len(ordered):  # chords: onsets chained less than 40 ms apart
            j = i + 1
            while j < len(ordered) and ordered[j, 1] - ordered[j - 1, 1] < 0.04:
                j += 1
            if j - i > 1:
                chord = ordered[i:j]
                fields["asyn"][q].extend(chord[:, 1] - chord[:, 1].mean())
                top = int(np.argmax(chord[:, 0]))
                fields["accent"][q].append(chord[top, 3] - np.delete(chord[:, 3], top).mean())
            i = j
    real_velocity = {q: float(np.mean(v)) for q, v in fields["velocity"].items()}
    # the model's own loudness per quadrant, decoded as the pipeline does, before any mapping
    torch.set_num_threads(1)
    pipe = MusicPipeline.from_pretrained(checkpoint)
    model_velocity = {}
    for q, emotion in QUADRANT_EMOTIONS.items():
        vel = [n[3] for s in range(seeds) for n in pipe(emotion, bars=8, seed=s).roll.notes()]
        model_velocity[q] = float(np.mean(vel))
    x = np.array([model_velocity[q] for q in (1, 2, 3, 4)])
    y = np.array([real_velocity[q] for q in (1, 2, 3, 4)])
    scale, shift = np.polyfit(x, y, 1)
    return {"source": "EMOPIA 1.0 train clips (CC BY-NC-SA 4.0); velocity map fitted to checkpoint "
                      f"'{checkpoint}' ({seeds} pieces of 8 bars per quadrant): model means "
                      f"{[round(v, 1) for v in x]}, real {[round(v, 1) for v in y]}",
            "pedal_seconds": {q: float(np.median(v)) for q, v in fields["pedal"].items()},
            "pedal_max": {q: float(np.percentile(v, 95)) for q, v in fields["pedal"].items()},
            "pedal_gap": {q: float(np.median(v)) for q, v in fields["gap"].items()},
            "pedal_lag": float(np.median(lags)),
            "asynchrony": {q: float(np.std(v)) for q, v in fields["asyn"].items()},
            "melody_accent": {q: float(np.mean(v)) for q, v in fields["accent"].items()},
            "velocity_scale": float(scale), "velocity_shift": float(shift),
            "velocity_spread": {q: float(np.mean(v)) for q, v in fields["spread"].items()},
            "longest_note": {q: float(np.percentile(v, 99.9)) for q, v in fields["duration"].items()},
            "timing": {q: float(np.std(v) / np.sqrt(6)) for q, v in fields["timing"].items()},
            "tonics": {m: (t / t.sum()).round(4).tolist() for m, t in tonics.items()}}


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="Fit the performance style from EMOPIA and write it.")
    parser.add_argument("--out", default=str(STYLE_FILE))
    parser.add_argument("--data", default=None, help="data root (default $EMOGEN_DATA or ../shared/data)")
    parser.add_argument("--checkpoint", default="music-emopia")
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    style = fit_style(args.data, args.checkpoint, args.seeds)
    from ..io import atomic_path

    with atomic_path(args.out) as tmp:
        Path(tmp).write_text(json.dumps(style, indent=1) + "\n")
    print(json.dumps(style, indent=1))
