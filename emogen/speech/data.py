"""The emotional TTS training corpus, built from scratch offline.

No multi-sentence emotional speech corpus exists offline, so emogen builds one:

1. **Sentences**: clean, short English sentences from GoEmotions' training comments (CC BY 4.0),
   filtered to plain words and punctuation (no digits, no profanity, 5-16 words).
2. **Base voice**: Festival's CMU SLT HTS voice renders each sentence and writes its phone and
   word timings (``festival.py``).
3. **Acoustic features**: WORLD analysis with Harvest F0 (``acoustic.py``) of each rendering, with the phone
   durations transferred onto the espeak-ng phone sequence the model reads at run time
   (``alignment.py``).
4. **Emotion**: each training example is the neutral rendering transformed with the prosody and
   voice-quality changes of an emotion at an intensity, sized from RAVDESS
   (``prosody_profile.py``, ``emotion_prosody.py``), applied on the fly by the dataset
   (:class:`TTSCorpusDataset`) so every epoch sees fresh intensities.

RAVDESS, the recorded emotional speech emogen measures, is read by ``corpora.py``.

    emogen data build-tts-corpus --out data/tts-corpus --sentences 1600
"""

from __future__ import annotations

import json
import os
import random
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset
from tqdm.auto import tqdm

from ..emotion import EmotionBatch, EmotionSpec
from ..errors import EmogenError
from ..io import atomic_path
from . import festival
from .emotion_prosody import apply_changes, changes_for
from .phonemes import PAD_ID

_PLAIN = re.compile(r"^[A-Za-z][A-Za-z' ,.!?]*[.!?]?$")
_BLOCKED = re.compile(
    r"\b(fuck\w*|shit\w*|bitch\w*|cunt|dick\w*|ass|asshole|damn\w*|porn\w*|nigg\w*|fag\w*|retard\w*|rape\w*|"
    r"sex\w*|cock|pussy|whore|slut|tbh|lol|lmao|omg|idk|imo)\b", re.I)


def select_sentences(goemotions_dir: Path, n: int, seed: int = 0, exclude: set[str] = frozenset(),
                     split: str = "train") -> list[str]:
    """``n`` clean sentences from GoEmotions' ``split`` ("train": the corpus's text; "dev": text the
    models never read, for benchmarks), reproducibly chosen."""
    path = Path(goemotions_dir) / f"{split}.tsv"
    if not path.is_file():
        raise EmogenError(f"GoEmotions not found at '{goemotions_dir}' (expected {split}.tsv)")
    candidates = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        text = line.split("\t")[0].strip()
        words = text.split()
        if (not _PLAIN.match(text) or _BLOCKED.search(text) or not 5 <= len(words) <= 16
                or any(w.isupper() and len(w) > 1 for w in words)
                or any(len(w.strip(",.!?'")) > 13 for w in words) or text.lower() in exclude):
            continue
        if text[-1] not in ".!?":
            text += "."
        candidates.add(text[0].upper() + text[1:])
    ordered = sorted(candidates)
    random.Random(seed).shuffle(ordered)
    if len(ordered) < n:
        raise EmogenError(f"only {len(ordered)} usable sentences in GoEmotions, {n} asked for")
    return ordered[:n]


def render_base_voice(sentences: list[str], out_dir: Path, chunk: int = 50) -> None:
    """Festival renderings of every sentence into ``out_dir/festival`` (resumable by chunk)."""
    target = out_dir / "festival"
    for start in tqdm(range(0, len(sentences), chunk), desc="festival", unit="chunk"):
        batch = sentences[start:start + chunk]
        done = all((target / f"utt{start + i:05d}.words").is_file() for i in range(len(batch)))
        if not done:
            festival.render(batch, target, prefix="utt", start_index=start)


def write_sentences(sentences: list[str], out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "sentences.txt").write_text("\n".join(sentences) + "\n")


def read_sentences(out_dir: Path) -> list[str]:
    return (out_dir / "sentences.txt").read_text().splitlines()


def write_manifest(out_dir: Path, info: dict) -> None:
    (out_dir / "corpus.json").write_text(json.dumps(info, indent=2) + "\n")


def load_arrays(out_dir: Path) -> dict[str, np.ndarray]:
    path = out_dir / "features.npz"
    if not path.is_file():
        raise EmogenError(f"'{out_dir}' holds no built corpus (features.npz); run emogen data build-tts-corpus")
    return dict(np.load(path, allow_pickle=False))


# Where Harvest looks for the base voice's F0 (CMU SLT, female; her speech stays within it).
BASE_VOICE_F0_RANGE = (100.0, 400.0)


def _analyze_rendering(stem: Path) -> np.ndarray:
    """WORLD frames of ``<stem>.wav``, cached as ``<stem>.world.npy`` so that an interrupted or
    enlarged build (a corpus whose first sentences are a smaller one's) analyses each file once."""
    import soundfile as sf

    from . import acoustic

    cache = Path(f"{stem}.world.npy")
    if cache.is_file():
        return np.load(cache)
    audio, sr = sf.read(f"{stem}.wav", dtype="float64")
    frames = acoustic.analyze(audio, sr, BASE_VOICE_F0_RANGE).stack()
    with atomic_path(cache) as tmp:
        np.save(tmp, frames)
    return frames


def extract_features(out_dir: Path, workers: int | None = None) -> dict:
    """WORLD frames and espeak-phone durations of every rendering, into ``features.npz``.

    Arrays: ``frames`` (total frames, feature_dims) float32, ``frame_offsets`` (utterances + 1),
    ``phone_ids`` (total phones) symbol ids, ``durations`` (total phones) frames per phone,
    ``phone_offsets`` (utterances + 1). ``workers`` processes share the WORLD analysis (default:
    one per CPU core).
    """
    from concurrent.futures import ProcessPoolExecutor

    from . import acoustic
    from .alignment import phone_durations
    from .phonemes import phonemize_batch

    sentences = read_sentences(out_dir)
    phonemized = phonemize_batch(sentences)
    stems = [out_dir / "festival" / f"utt{i:05d}" for i in range(len(sentences))]
    with ProcessPoolExecutor(max_workers=workers or os.cpu_count()) as pool:
        worlds = list(tqdm(pool.map(_analyze_rendering, stems, chunksize=4),
                           total=len(stems), desc="WORLD features", unit="utt"))
    frames, phone_ids, durations = [], [], []
    for ph, stem, world in zip(phonemized, stems, worlds):
        d = phone_durations(ph, festival._read_marks(Path(f"{stem}.segs")), festival._read_marks(Path(f"{stem}.words")),
                            len(world), 1000.0 / acoustic.FRAME_PERIOD_MS)
        frames.append(world)
        phone_ids.append(np.array(ph.ids(boundaries=False), dtype=np.int64))
        durations.append(d.astype(np.int64))
    arrays = {
        "frames": np.concatenate(frames),
        "frame_offsets": np.cumsum([0] + [len(f) for f in frames]),
        "phone_ids": np.concatenate(phone_ids),
        "durations": np.concatenate(durations),
        "phone_offsets": np.cumsum([0] + [len(p) for p in phone_ids]),
    }
    np.savez(out_dir / "features.npz", **arrays)
    stats = {"utterances": len(frames), "frames": int(arrays["frame_offsets"][-1]),
             "hours": round(arrays["frame_offsets"][-1] * acoustic.FRAME_PERIOD_MS / 3.6e6, 3),
             "feature_mean": arrays["frames"].mean(0).tolist(), "feature_std": arrays["frames"].std(0).tolist()}
    return stats


def build_corpus(out_dir: Path, data_root: Path, sentences: int = 1600, seed: int = 0,
                 exclude: set[str] = frozenset(), workers: int | None = None) -> dict:
    """The whole build: sentences, Festival renderings, features, ``corpus.json``."""
    out_dir = Path(out_dir)
    if not (out_dir / "sentences.txt").is_file():
        write_sentences(select_sentences(Path(data_root) / "text" / "goemotions", sentences, seed, exclude), out_dir)
    chosen = read_sentences(out_dir)
    if len(chosen) != sentences:  # resuming: the folder must be this build's
        raise EmogenError(f"'{out_dir}' already holds a {len(chosen)}-sentence corpus, "
                          f"not {sentences}; choose another --out or the same --sentences")
    render_base_voice(chosen, out_dir)
    stats = extract_features(out_dir, workers)
    info = {"sentences_source": "GoEmotions train comments (Demszky et al. 2020, CC BY 4.0)",
            "base_voice": "Festival 2.5 + CMU SLT HTS voice (festvox-us-slt-hts)",
            "features": f"WORLD, Harvest F0 in {BASE_VOICE_F0_RANGE[0]:g}-{BASE_VOICE_F0_RANGE[1]:g} Hz",
            "emotion": "rendered on the fly from emogen/speech/assets/ravdess_profile.json (RAVDESS, CC BY-NC-SA 4.0)",
            **stats}
    write_manifest(out_dir, info)
    return info


# -- the training examples -----------------------------------------------------------------------
EMOTIONS = ("neutral", "happy", "sad", "angry", "fearful", "surprised", "disgusted", "calm")


@dataclass
class TTSDataConfig:
    corpus: str = "data/tts-corpus"
    """a folder written by ``emogen data build-tts-corpus``"""
    val_utterances: int = 48
    """utterances held out (the last ones) for validation"""
    neutral_share: float = 0.15
    mixture_share: float = 0.1
    intensity_min: float = 0.1
    max_frames: int = 900



class TTSCorpusDataset(Dataset):
    """Utterances ``indices`` of a built corpus, each rendered with a drawn emotion.

    With ``fixed=True`` (validation) utterance k gets emotion ``EMOTIONS[k % 8]`` at intensity 1,
    so the validation loss is comparable across runs.
    """

    def __init__(self, arrays: dict[str, np.ndarray], indices: list[int], config: TTSDataConfig, fixed: bool = False):
        self.a, self.indices, self.config, self.fixed = arrays, indices, config, fixed

    def __len__(self) -> int:
        return len(self.indices)

    def utterance(self, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        a, u = self.a, self.indices[k]
        f0, f1 = a["frame_offsets"][u], a["frame_offsets"][u + 1]
        p0, p1 = a["phone_offsets"][u], a["phone_offsets"][u + 1]
        return a["phone_ids"][p0:p1], a["durations"][p0:p1], a["frames"][f0:f1]

    def draw_emotion(self, k: int) -> EmotionSpec:
        if self.fixed:
            return EmotionSpec.category(EMOTIONS[k % len(EMOTIONS)], 1.0)
        c = self.config
        r = float(torch.rand(()))
        if r < c.neutral_share:
            return EmotionSpec.neutral()
        intensity = c.intensity_min + (1 - c.intensity_min) * float(torch.rand(()))
        names = EMOTIONS[1:]
        first = names[int(torch.randint(len(names), ()))]
        if r < c.neutral_share + c.mixture_share:
            second = names[int(torch.randint(len(names), ()))]
            if second != first:
                share = float(torch.rand(()))
                return EmotionSpec.mixture({first: share * intensity, second: (1 - share) * intensity})
        return EmotionSpec.category(first, intensity)

    def __getitem__(self, k: int) -> dict:
        ids, durations, frames = self.utterance(k)
        spec = self.draw_emotion(k)
        frames, durations = apply_changes(frames, durations, changes_for(spec))
        limit = self.config.max_frames
        if len(frames) > limit:  # keep whole phones up to the limit
            keep = int(np.searchsorted(np.cumsum(durations), limit, side="right"))
            ids, durations = ids[:keep], durations[:keep]
            frames = frames[: int(durations.sum())]
        return {"phone_ids": torch.as_tensor(ids), "durations": torch.as_tensor(durations),
                "frames": torch.as_tensor(frames), "emotion": EmotionBatch.from_specs([spec]).row(0)}


def collate(items: list[dict]) -> dict:
    b = len(items)
    p = max(len(it["phone_ids"]) for it in items)
    n = max(len(it["frames"]) for it in items)
    f = items[0]["frames"].shape[1]
    out = {"phone_ids": torch.full((b, p), PAD_ID, dtype=torch.long), "durations": torch.zeros(b, p, dtype=torch.long),
           "phone_mask": torch.zeros(b, p, dtype=torch.bool), "frames": torch.zeros(b, n, f),
           "frame_mask": torch.zeros(b, n, dtype=torch.bool)}
    for i, it in enumerate(items):
        k, m = len(it["phone_ids"]), len(it["frames"])
        out["phone_ids"][i, :k] = it["phone_ids"]
        out["durations"][i, :k] = it["durations"]
        out["phone_mask"][i, :k] = True
        out["frames"][i, :m] = it["frames"]
        out["frame_mask"][i, :m] = True
    out["emotion"] = EmotionBatch.collate([it["emotion"] for it in items])
    return out
