"""``emogen emotions --from-text / --from-text-file``: classify lines and format the answer."""

from __future__ import annotations

from pathlib import Path

from ..errors import EmogenError
from .auto import AutoConfig, specs_from_predictions
from .pipeline import DEFAULT_MODEL, TextEmotionClassifier


def read_lines(text: str | None = None, path: str | None = None) -> list[str]:
    """The lines to classify: ``text`` split at newlines, or the lines of the UTF-8 file ``path``."""
    if text is not None and path is not None:
        raise EmogenError("give --from-text or --from-text-file, not both")
    if path is not None:
        file = Path(path)
        if not file.is_file():
            raise EmogenError(f"text file '{path}' not found")
        try:
            text = file.read_text(encoding="utf-8")
        except UnicodeDecodeError as e:
            raise EmogenError(f"text file '{path}' is not UTF-8 text ({e.reason} at byte {e.start})") from None
        lines = text.splitlines()
        if not lines:
            raise EmogenError(f"text file '{path}' is empty; expected one sentence or line per line")
        return lines
    return (text or "").splitlines() or [""]


def classify_lines(lines: list[str], model: str | None = None, scale: float = 1.0) -> list[dict]:
    """One JSON-ready object per line: the prediction (``emotion``, ``probabilities``, ``confidence``,
    VAD) plus the smoothed ``auto`` spec (``spec``, ``intensity``, ``components``)."""
    classifier = TextEmotionClassifier.from_pretrained(model or DEFAULT_MODEL)
    predictions = classifier.predict(lines)
    specs = specs_from_predictions(predictions, AutoConfig(scale=scale))
    rows = []
    for n, (pred, spec) in enumerate(zip(predictions, specs), 1):
        described = spec.describe()
        rows.append({"line": n, **pred.to_dict(), "spec": str(spec), "intensity": described["intensity"],
                     "components": described["components"],
                     "spec_vad": {k: described[k] for k in ("valence", "arousal", "dominance")}})
    return rows


def format_table(rows: list[dict]) -> str:
    """A readable table: line, emotion, confidence, auto spec, text (shortened)."""
    out = [f"{'line':>4}  {'emotion':10s} {'conf':>5}  {'auto spec':28s} text"]
    for r in rows:
        text = r["text"] if len(r["text"]) <= 60 else r["text"][:57] + "..."
        note = f"  ({r['note']})" if r.get("note") else ""
        out.append(f"{r['line']:>4}  {r['emotion']:10s} {r['confidence']:5.2f}  {r['spec']:28s} {text}{note}")
    return "\n".join(out)


def empty_line_note(rows: list[dict]) -> str | None:
    """A one-line report of the empty lines kept as neutral, or None."""
    empty = [r["line"] for r in rows if r.get("note") == "empty line"]
    if not empty:
        return None
    shown = ", ".join(map(str, empty[:10])) + (" ..." if len(empty) > 10 else "")
    return f"note: {len(empty)} empty line{'s' if len(empty) > 1 else ''} kept as neutral (line {shown})"
