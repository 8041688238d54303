"""Text previews of the emotion space for the terminal: a table and a valence-arousal plane."""

from __future__ import annotations

from .space import CATEGORIES
from .spec import Emotion, EmotionTrajectory

_WIDTH, _HEIGHT = 41, 15
MARKS = {"neutral": "N", "happy": "H", "sad": "S", "angry": "A", "fearful": "F", "surprised": "U",
         "disgusted": "D", "calm": "C"}


def category_table() -> str:
    lines = [f"{'emotion':10s} {'valence':>8s} {'arousal':>8s} {'dominance':>9s}  synonyms", "-" * 72]
    for c in CATEGORIES:
        v, a, d = c.vad
        lines.append(f"{c.name:10s} {v:8.2f} {a:8.2f} {d:9.2f}  {', '.join(c.synonyms)}")
    lines += ["", "Scale: -1..+1 on each axis (the NRC VAD lexicon's 0-1 ratings, rescaled).",
              "Specs: 'sad:0.7', 'happy:0.6+surprised:0.4', 'v=0.6,a=-0.2,d=0.1', '-happy', 'wistful',",
              "       'neutral>sad', 'happy@0,sad@3.5'.  Show one: emogen emotions SPEC", "",
              valence_arousal_plane([])]
    return "\n".join(lines)


def valence_arousal_plane(points: list[tuple[str, float, float]]) -> str:
    """The plane with category initials, and ``points`` as (mark, valence, arousal)."""
    grid = [[" "] * _WIDTH for _ in range(_HEIGHT)]
    for row in grid:
        row[_WIDTH // 2] = "|"
    grid[_HEIGHT // 2] = ["-"] * _WIDTH
    grid[_HEIGHT // 2][_WIDTH // 2] = "+"

    def put(mark: str, v: float, a: float) -> None:
        col = round((v + 1) / 2 * (_WIDTH - 1))
        row = round((1 - (a + 1) / 2) * (_HEIGHT - 1))
        grid[row][col] = mark

    for c in CATEGORIES:
        put(MARKS[c.name], c.vad[0], c.vad[1])
    for mark, v, a in points:
        put(mark, v, a)
    body = ["".join(row) for row in grid]
    legend = " ".join(f"{mark}={name}" for name, mark in MARKS.items())
    return "\n".join(["arousal +1", *body, "arousal -1" + " " * (_WIDTH - 24) + "valence -1 .. +1",
                      f"{legend}  *=yours"])


def describe_text(emotion: Emotion) -> str:
    info = emotion.describe()
    lines = [f"spec       {emotion}", f"kind       {info['kind']}",
             f"valence    {info['valence']:+.3f}", f"arousal    {info['arousal']:+.3f}",
             f"dominance  {info['dominance']:+.3f}", f"intensity  {info['intensity']:.3f}"]
    if info["components"]:
        lines.append("components " + ", ".join(f"{c['emotion']} {c['weight']:+.2f}" for c in info["components"]))
    if "word" in info:
        lines.append(f"word       {info['word']} (from the VAD lexicon)")
    lines.append(f"nearest    {info['nearest']}")
    if isinstance(emotion, EmotionTrajectory):
        for k in info["keyframes"]:
            when = "evenly spaced" if k["time"] is None else f"{k['time']:g} s"
            lines.append(f"  keyframe {k['spec']:28s} at {when}: v={k['valence']:+.2f} a={k['arousal']:+.2f}")
        points = [(str(i + 1)[-1], k["valence"], k["arousal"]) for i, k in enumerate(info["keyframes"])]
    else:
        points = [("*", info["valence"], info["arousal"])]
    return "\n".join(lines + ["", valence_arousal_plane(points)])
