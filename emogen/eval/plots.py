"""PNG figures for ``emogen eval ... --plot DIR`` and the benchmarks (matplotlib, Agg backend).

Every function writes one PNG atomically (a failure leaves nothing behind) and returns its path.
matplotlib is imported only when a figure is drawn, so ``emogen`` starts without it.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import EmogenError
from ..io import atomic_path, check_writable

DPI = 100


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=True)  # files only, never a window
    import matplotlib.pyplot as plt

    return plt


def plot_dir(directory: str | os.PathLike, create: bool = True) -> Path:
    """The folder for figures, made (``create``) if its parent exists; checks only otherwise."""
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise EmogenError(f"--plot '{directory}' is a file; give a folder for the figures")
    if not directory.is_dir():
        check_writable(directory)
        if create:
            directory.mkdir()
    return directory


def _save(fig, path: str | os.PathLike) -> Path:
    plt = _pyplot()
    try:
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format="png", dpi=DPI, bbox_inches="tight")
    finally:
        plt.close(fig)
    return Path(path)


def probability_bars(rows: list[dict], path: str | os.PathLike, key: str = "emotion_probabilities",
                     title: str = "Emotion probabilities per file") -> Path:
    """Grouped bars: one group per file (``row['file']``), one bar per class of ``row[key]``."""
    import numpy as np

    plt = _pyplot()
    rows = [r for r in rows if r.get(key)]
    if not rows:
        raise EmogenError("no probabilities to plot (speech needs --reference-neutral)")
    classes = list(rows[0][key])
    x = np.arange(len(rows))
    width = 0.8 / len(classes)
    fig, ax = plt.subplots(figsize=(max(4.0, 1.2 * len(rows) + 2), 3.2))
    for k, c in enumerate(classes):
        ax.bar(x + (k - (len(classes) - 1) / 2) * width, [r[key][c] for r in rows], width, label=c)
    ax.set_xticks(x, [Path(str(r["file"])).name for r in rows], rotation=20, ha="right")
    ax.set_ylim(0, 1)
    ax.set_ylabel("probability")
    ax.set_title(title)
    ax.legend(fontsize=8, ncol=min(4, len(classes)))
    return _save(fig, path)


def va_plane(points: list[dict], path: str | os.PathLike, title: str = "Valence-arousal plane") -> Path:
    """Estimated (and, where given, requested) valence/arousal on emogen's -1..+1 scale.

    Each point is ``{"label": str, "estimated": (v, a), "requested": (v, a) | None}``; an arrow
    goes from requested to estimated. Optional keys: ``group`` (one colour and legend entry per
    group, its estimates joined by a line in the order given), ``arrow`` / ``annotate`` (False to
    skip the arrow / the label). emogen's category coordinates are drawn for orientation.
    """
    from ..emotion.space import CATEGORIES

    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.2, 5.0))
    ax.axhline(0, color="0.8", lw=0.8)
    ax.axvline(0, color="0.8", lw=0.8)
    for c in CATEGORIES:
        ax.scatter(*c.vad[:2], marker="+", color="0.55", s=40)
        ax.annotate(c.name, c.vad[:2], fontsize=7, color="0.45", xytext=(3, 3), textcoords="offset points")
    colors, labelled = {}, set()
    for p in points:
        group = p.get("group", p["label"])
        color = colors.setdefault(group, f"C{len(colors) % 10}")
        ev, ea = p["estimated"]
        if p.get("requested") is not None and p.get("arrow", True):
            rv, ra = p["requested"]
            ax.scatter(rv, ra, facecolors="none", edgecolors=color, s=40)
            ax.annotate("", (ev, ea), (rv, ra), arrowprops={"arrowstyle": "->", "color": color, "lw": 0.8})
        ax.scatter(ev, ea, color=color, s=28, label=None if group in labelled else group)
        labelled.add(group)
        if p.get("annotate", True):
            ax.annotate(p["label"], (ev, ea), fontsize=7, xytext=(3, -9), textcoords="offset points", color=color)
    ax.set_xlim(-1.1, 1.1)
    ax.set_ylim(-1.1, 1.1)
    ax.set_xlabel("valence")
    ax.set_ylabel("arousal")
    groups = [p.get("group") for p in points if p.get("group")]
    tracks = len(groups) > len(set(groups))
    ax.set_title(title + (f"\n(open: requested, filled: estimated{'; line: rising intensity' if tracks else ''})"
                          if any(p.get("requested") for p in points) else ""), fontsize=10)
    for group, color in colors.items():  # a group's estimates in order (e.g. rising intensity)
        track = [p["estimated"] for p in points if p.get("group") == group]
        if len(track) > 1:
            ax.plot(*zip(*track), color=color, lw=0.6, alpha=0.6)
    if any(p.get("group") for p in points):
        ax.legend(fontsize=7, loc="lower right")
    return _save(fig, path)


def cue_curves(report: dict, path: str | os.PathLike, title: str | None = None, xlabel: str = "intensity") -> Path:
    """One panel per cue: mean cue against intensity per emotion, +-1 standard deviation as a band,
    with the Spearman rho of the means in the legend."""
    import numpy as np

    plt = _pyplot()
    cues, levels = report["cues"], np.asarray(report["intensities"])
    cols = min(4, len(cues))
    rows = (len(cues) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(3.3 * cols, 2.8 * rows), squeeze=False)
    for ax, cue in zip(axes.flat, cues):
        for k, e in enumerate(report["emotions"]):
            mean = np.asarray(report["level_means"][e][cue])
            std = np.asarray(report["level_std"][e][cue])
            rho = report["monotonicity"][e][cue]
            ax.plot(levels, mean, marker="o", ms=3, color=f"C{k}",
                    label=f"{e} (rho {rho:+.2f})" if rho is not None else f"{e} (rho n/a)")
            ax.fill_between(levels, mean - std, mean + std, color=f"C{k}", alpha=0.15, lw=0)
        ax.set_title(cue, fontsize=9)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(report.get("cue_units", {}).get(cue, ""), fontsize=8)
        ax.legend(fontsize=6)
    for ax in list(axes.flat)[len(cues):]:
        ax.axis("off")
    fig.suptitle(title or f"{report['modality']}: cues against intensity", fontsize=10)
    fig.tight_layout()
    return _save(fig, path)


def confusion_matrix(matrix, labels: list[str], path: str | os.PathLike, title: str = "Confusion",
                     columns: list[str] | None = None) -> Path:
    """Counts with rows = requested (true) class, columns = predicted."""
    import numpy as np

    plt = _pyplot()
    m = np.asarray(matrix)
    columns = columns or labels
    fig, ax = plt.subplots(figsize=(1.0 + 0.7 * len(columns), 0.9 + 0.6 * len(labels)))
    ax.imshow(m, cmap="Blues", vmin=0, vmax=max(1, int(m.max())))
    for i in range(m.shape[0]):
        for j in range(m.shape[1]):
            ax.text(j, i, str(int(m[i, j])), ha="center", va="center",
                    color="white" if m[i, j] > m.max() / 2 else "black", fontsize=8)
    ax.set_xticks(range(len(columns)), columns, rotation=30, ha="right", fontsize=8)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    ax.set_xlabel("predicted")
    ax.set_ylabel("requested")
    ax.set_title(title, fontsize=9)
    return _save(fig, path)


def controllability_figures(report: dict, directory: str | os.PathLike) -> list[Path]:
    """The cue curves, both confusion matrices and the requested-vs-estimated VA plane of a report."""
    out = plot_dir(directory)
    m = report["modality"]
    sep, clf = report["separability"], report["classifier"]
    paths = [cue_curves(report, out / f"{m}_cues.png"),
             confusion_matrix(sep["confusion"], sep["labels"], out / f"{m}_confusion_cues.png",
                              f"nearest centroid on cues at intensity {sep['intensity']:g}, leave one seed out "
                              f"(accuracy {sep['nearest_centroid_accuracy']:.2f})")]
    if clf["scored"]:
        paths.append(confusion_matrix(clf["confusion"], clf["labels"], out / f"{m}_confusion_classifier.png",
                                      f"{clf['name'].split(' (')[0]} (accuracy {clf['accuracy']:.2f})"))
    if report.get("va"):
        points = [{"label": f"{p['intensity']:g}", "group": p["emotion"], "estimated": p["estimated"],
                   "requested": p["requested"], "annotate": p["intensity"] == max(report["intensities"]),
                   "arrow": p["intensity"] == max(report["intensities"])}
                  for p in report["va"]]
        paths.append(va_plane(points, out / f"{m}_va_plane.png", f"{m}: requested vs estimated emotion"))
    return paths


def speech_figures(rows: list[dict], directory: str | os.PathLike) -> list[Path]:
    """``eval speech --plot``: emotion probability bars and the valence-arousal plane, with each
    file's estimate from its SER probabilities weighted by the categories' coordinates."""
    from .controllability import estimate_va

    out = plot_dir(directory)
    rows = [r for r in rows if r.get("emotion_probabilities")]
    if not rows:
        raise EmogenError("--plot for speech needs --reference-neutral (the emotion probabilities come from it)")
    points = [{"label": Path(str(r["file"])).name, "estimated": estimate_va(r["emotion_probabilities"])}
              for r in rows]
    return [probability_bars(rows, out / "speech_emotion_probabilities.png"),
            va_plane(points, out / "speech_va_plane.png", "Speech: valence-arousal estimated by the SER")]


def music_figures(rows: list[dict], directory: str | os.PathLike) -> list[Path]:
    """``eval music --plot``: quadrant probability bars and each file's valence-arousal estimate."""
    out = plot_dir(directory)
    points = [{"label": Path(str(r["file"])).name, "estimated": (r["valence"], r["arousal"])} for r in rows]
    return [probability_bars(rows, out / "music_quadrant_probabilities.png", key="quadrant_probabilities",
                             title="Quadrant probabilities per file (Q1 happy, Q2 angry, Q3 sad, Q4 calm)"),
            va_plane(points, out / "music_va_plane.png", "Music: valence-arousal estimated from quadrants")]


def announce(paths: list[Path], quiet_stdout: bool = False) -> None:
    """List written figures on the terminal (on stderr when stdout carries JSON)."""
    import sys

    stream = sys.stderr if quiet_stdout else sys.stdout
    for p in paths:
        print(f"figure: {p}", file=stream)
