"""Inference: text in, emogen emotion out, from our checkpoint or a user's Hugging Face model.

``TextEmotionClassifier.from_pretrained(name_or_path)`` loads

- an emogen ``text_emotion`` checkpoint (a directory or a shipped name such as
  ``text-emotion-goemotions``), or
- a local Hugging Face text-classification directory (``config.json`` with ``id2label``, weights,
  tokenizer files) through ``AutoModelForSequenceClassification`` / ``AutoTokenizer``. Its label
  names are mapped to emogen categories: emogen names and synonyms (``happy``, ``joy``, ``anger``
  ...), Ekman names, and the 28 GoEmotions labels by the dataset's Ekman grouping
  (``admiration`` -> happy). Probabilities of labels that map to the same category are summed.

``predict(texts)`` returns one :class:`TextPrediction` per text: probabilities over the 7 text
categories (neutral, happy, sad, angry, fearful, surprised, disgusted; ``calm`` is omitted, since
no text corpus labels it), the top category, a VAD point (the probability-weighted mean of the
categories' VAD points, -1..+1) and a confidence in [0, 1] (the top probability).

Text the model cannot read is neutral with low confidence rather than a guess: an empty line gets
confidence 0; with the emogen backend, text whose alphabetic words are mostly outside the
vocabulary (another language, emoji only) is pulled toward neutral by the unknown share.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import torch

from ..emotion.space import category, is_category, canonical_category
from ..errors import EmogenError
from .data import EKMAN_GROUPS, EKMAN_TO_EMOGEN, TEXT_CATEGORIES

DEFAULT_MODEL = "text-emotion-goemotions"
MIN_KNOWN_SHARE = 0.5  # below this share of known words, a text is treated as unreadable


@dataclass
class TextPrediction:
    """What the classifier says about one text."""

    text: str
    emotion: str
    """the most probable category"""
    probabilities: dict[str, float]
    """category -> probability over :data:`TEXT_CATEGORIES` (sums to 1; calm omitted)"""
    confidence: float
    """the top probability, lowered for unreadable text; 0 for an empty line"""
    vad: tuple[float, float, float] = field(default=(0.0, 0.0, 0.0))
    """probability-weighted (valence, arousal, dominance) on the -1..+1 scale"""
    note: str | None = None
    """why the prediction was overridden ('empty line', 'no known English words'), else None"""

    def to_dict(self) -> dict:
        out = {"text": self.text, "emotion": self.emotion,
               "probabilities": {k: round(v, 4) for k, v in self.probabilities.items()},
               "confidence": round(self.confidence, 4),
               "valence": round(self.vad[0], 4), "arousal": round(self.vad[1], 4), "dominance": round(self.vad[2], 4)}
        if self.note:
            out["note"] = self.note
        return out


def label_to_category(label: str) -> str | None:
    """The text category a classifier label names, or None (``calm`` and unknown names)."""
    key = label.strip().lower().replace("-", "_")
    if key in EKMAN_TO_EMOGEN:
        return EKMAN_TO_EMOGEN[key]
    for cat, fines in EKMAN_GROUPS.items():
        if key in fines:
            return cat
    if is_category(key):
        name = canonical_category(key)
        return name if name in TEXT_CATEGORIES else None
    return None


# (7, 3) each text category's (valence, arousal, dominance).
CATEGORY_VAD = torch.tensor([category(c).vad for c in TEXT_CATEGORIES], dtype=torch.float64)


def make_predictions(texts: list[str], probs: torch.Tensor, confidence: list[float | None] | None = None,
                     notes: list[str | None] | None = None) -> list[TextPrediction]:
    """Build :class:`TextPrediction`s from probabilities (b, 7) in :data:`TEXT_CATEGORIES` order;
    ``confidence`` entries of None mean the top probability."""
    probs = probs.double().clamp(min=0)
    probs = probs / probs.sum(-1, keepdim=True)
    vads = (probs @ CATEGORY_VAD).tolist()
    rows = probs.tolist()
    out = []
    for i, (text, row, vad) in enumerate(zip(texts, rows, vads)):
        top = max(range(len(row)), key=row.__getitem__)
        conf = confidence[i] if confidence is not None and confidence[i] is not None else row[top]
        out.append(TextPrediction(text, TEXT_CATEGORIES[top], dict(zip(TEXT_CATEGORIES, row)), float(conf),
                                  tuple(vad), notes[i] if notes else None))
    return out


def make_prediction(text: str, probs: torch.Tensor, confidence: float | None = None,
                    note: str | None = None) -> TextPrediction:
    """One :class:`TextPrediction` from probabilities (7,)."""
    return make_predictions([text], probs[None], [confidence], [note])[0]


class TextEmotionClassifier:
    """Batched text -> emotion. Build with :meth:`from_pretrained`; call :meth:`predict`."""

    def __init__(self, backend: "_Backend", source: str):
        self.backend, self.source = backend, source

    @classmethod
    def from_pretrained(cls, name_or_path: str | os.PathLike = DEFAULT_MODEL, device: str = "cpu"):
        from ..core.checkpoint import resolve_checkpoint

        path = Path(name_or_path).expanduser()
        directory = path if path.is_dir() else resolve_checkpoint(name_or_path)
        config = directory / "config.json"
        if not config.is_file():
            raise EmogenError(f"text model '{directory}' has no config.json; give an emogen text_emotion checkpoint "
                              "or a Hugging Face text-classification directory")
        try:
            raw = json.loads(config.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise EmogenError(f"text model '{directory}': config.json is not valid JSON ({e})") from None
        if "emogen_version" in raw:
            if raw.get("model_type") != "text_emotion":
                raise EmogenError(f"checkpoint '{directory}' holds a {raw.get('model_type')!r} model, not a "
                                  "text_emotion model")
            return cls(_EmogenBackend(directory, device), str(directory))
        return cls(_HFBackend(directory, raw, device), str(directory))

    @classmethod
    def shared(cls, name_or_path: str | os.PathLike = DEFAULT_MODEL, device: str = "cpu") -> "TextEmotionClassifier":
        """The process-wide classifier for this checkpoint and device, loaded on the first request
        (thread-safe; the cache the pipelines share, ``emogen.core.pipeline.cached``)."""
        from ..core.checkpoint import resolve_checkpoint
        from ..core.pipeline import cached

        path = Path(name_or_path).expanduser()
        directory = path if path.is_dir() else resolve_checkpoint(name_or_path)
        return cached((cls, str(directory.resolve()), str(device)), lambda: cls.from_pretrained(directory, device))

    def predict(self, texts: list[str] | str, batch_size: int = 256) -> list[TextPrediction]:
        """One prediction per text, in order. Empty or whitespace-only texts are neutral with
        confidence 0 (note 'empty line')."""
        if isinstance(texts, str):
            texts = [texts]
        out: list[TextPrediction | None] = [None] * len(texts)
        live = []
        for i, t in enumerate(texts):
            if not isinstance(t, str):
                raise EmogenError(f"text {i} is a {type(t).__name__}, not a string")
            if t.strip():
                live.append(i)
            else:
                out[i] = make_prediction(t, torch.tensor([1.0] + [0.0] * 6), 0.0, "empty line")
        # Similar lengths together: less padding, same results.
        live.sort(key=lambda i: len(texts[i]))
        for start in range(0, len(live), batch_size):
            chunk = live[start:start + batch_size]
            for i, pred in zip(chunk, self.backend.predict([texts[i] for i in chunk])):
                out[i] = pred
        return out  # type: ignore[return-value]


class _Backend:
    def predict(self, texts: list[str]) -> list[TextPrediction]:
        raise NotImplementedError


class _EmogenBackend(_Backend):
    def __init__(self, directory: Path, device: str):
        from .model import TextEmotionModel

        self.model = TextEmotionModel.from_pretrained(directory, device=device)
        self.vocab = self.model.tokenizer.get_vocab()
        self.device = device

    @torch.inference_mode()
    def predict(self, texts: list[str]) -> list[TextPrediction]:
        from .model import pad_batch
        from .tokenizer import encode, known_word_share

        tok = self.model.tokenizer
        ids, mask = pad_batch(encode(tok, texts), self.model.config.max_length)
        logits, _ = self.model(ids.to(self.device), mask.to(self.device))
        probs = torch.softmax(logits.float(), -1).cpu()
        confidence: list[float | None] = [None] * len(texts)
        notes: list[str | None] = [None] * len(texts)
        for i, text in enumerate(texts):
            share = known_word_share(tok, text, self.vocab)
            if share < MIN_KNOWN_SHARE:
                # Mostly unknown words: the model's output is noise; keep only the known share of it.
                confidence[i] = share * float(probs[i].max())
                probs[i] = share * probs[i]
                probs[i, 0] += 1 - share
                notes[i] = "no known English words" if share == 0 else "mostly unknown words"
        return make_predictions(texts, probs, confidence, notes)


class _HFBackend(_Backend):
    """A user's own ``AutoModelForSequenceClassification`` checkpoint, from a local directory."""

    def __init__(self, directory: Path, raw: dict, device: str):
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        id2label = raw.get("id2label") or {}
        mapping = {int(i): label_to_category(name) for i, name in id2label.items()}
        if not any(v is not None for v in mapping.values()):
            raise EmogenError(
                f"Hugging Face model '{directory}' has labels {sorted(id2label.values())[:6]} that name no emotion; "
                "set id2label in its config.json to emotion names (e.g. joy, sadness, anger, fear, surprise, "
                "disgust, neutral or the GoEmotions labels)")
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(str(directory), local_files_only=True)
            self.model = AutoModelForSequenceClassification.from_pretrained(str(directory), local_files_only=True)
        except (OSError, ValueError) as e:
            raise EmogenError(f"Hugging Face model '{directory}' cannot be loaded: {str(e).splitlines()[0]}") from None
        self.model.to(device).eval()
        self.device = device
        self.multi_label = raw.get("problem_type") == "multi_label_classification"
        # (labels, 7): sums label probabilities into categories; unmapped labels (e.g. calm) drop out.
        self.fold = torch.zeros(len(mapping), len(TEXT_CATEGORIES))
        for i, cat in mapping.items():
            if cat is not None:
                self.fold[i, TEXT_CATEGORIES.index(cat)] = 1.0

    @torch.inference_mode()
    def predict(self, texts: list[str]) -> list[TextPrediction]:
        enc = self.tokenizer(texts, padding=True, truncation=True, max_length=512, return_tensors="pt")
        logits = self.model(**{k: v.to(self.device) for k, v in enc.items()}).logits.float().cpu()
        probs = torch.sigmoid(logits) if self.multi_label else torch.softmax(logits, -1)
        folded = probs @ self.fold
        unmapped = folded.sum(-1) <= 1e-8  # all mass on labels that are no text category
        folded[unmapped] = torch.tensor([1.0] + [0.0] * 6)
        return make_predictions(texts, folded, [0.0 if u else None for u in unmapped.tolist()],
                                ["no emotion label applies" if u else None for u in unmapped.tolist()])
