"""Emotional speech corpora in the layouts their publishers ship, as one list of :class:`Utterance`.

Labels are mapped onto emogen's categories (``emogen.emotion.CATEGORY_NAMES``):

- ESD: ``<root>/<0001..0020>/<Emotion>/[train|evaluation|test/]<speaker>_<utt>.wav`` with the
  per-speaker transcript ``<speaker>/<speaker>.txt`` (``utt_id<TAB>text<TAB>emotion``; the files
  come in utf-8, utf-16, gb2312 or latin-1, all read here). Folders Angry, Happy, Neutral, Sad,
  Surprise -> angry, happy, neutral, sad, surprised at intensity 1. Speakers 0001-0010 speak
  Mandarin and are left out unless ``english_only=False`` (the front end is English). The emotion
  comes from the folder; the transcript's third column is not used (Mandarin speakers' files
  write it in Chinese).
- RAVDESS: ``Actor_XX/03-01-EE-II-SS-RR-AA.wav`` (speech only; song "03-02-..." and video files
  are skipped), or the flat copy with a ``manifest.csv`` (emogen's shared data). Intensity
  normal -> 0.5, strong -> 1.0, the same scale as ``prosody_profile``.
  :func:`read_ravdess_manifest` is the one reader of ``manifest.csv``.
- CREMA-D: ``AudioWAV/<actor>_<SENTENCE>_<EMO>_<LEVEL>.wav``; intensity LO/MD/HI -> 0.33/0.66/1.0,
  XX (unspecified) -> 1.0.
- EmoV-DB: ``<speaker>_<emotion>/<emotion>_<start>-<end>_<nnnn>.wav``; ``nnnn`` is the CMU Arctic
  prompt ``arctic_a<nnnn>`` in ``cmuarctic.data``. amused -> happy (amusement is positive
  valence, moderate arousal), sleepy -> calm (the only low-arousal, non-negative category), at
  intensity 1; ``intensity_label`` keeps the original name.
- metadata: ``metadata.csv`` lines ``path|text|emotion|speaker`` (an optional header line of
  those names), paths relative to the file, emotion any single spec ``parse_emotion`` accepts.

Neutral clips get ``EmotionSpec.neutral()``. Speaker names carry the corpus (``esd-0011``) so
corpora can be mixed without clashes.
"""

from __future__ import annotations

import csv
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from ..emotion import EmotionSpec, canonical_category, parse_emotion
from ..errors import EmogenError

log = logging.getLogger(__name__)
AUDIO_SUFFIXES = (".wav", ".flac")
KINDS = ("esd", "ravdess", "crema-d", "emov-db", "metadata")


@dataclass(frozen=True)
class Utterance:
    """One recorded sentence: audio file, transcript, emotion label and speaker."""

    path: Path
    text: str
    emotion: EmotionSpec
    speaker: str
    intensity_label: str | None = None
    corpus: str = ""


def _spec(category: str, intensity: float) -> EmotionSpec:
    return EmotionSpec.neutral() if category == "neutral" else EmotionSpec.category(category, intensity)


def _require_dir(path: Path, what: str) -> Path:
    if not path.is_dir():
        raise EmogenError(f"{what} folder '{path}' does not exist")
    return path


def _audio_files(folder: Path, recursive: bool = False) -> list[Path]:
    files = folder.rglob("*") if recursive else folder.iterdir()
    return sorted(p for p in files if p.suffix.lower() in AUDIO_SUFFIXES and p.is_file())


# ---------------------------------------------------------------- ESD
ESD_EMOTIONS = {"angry": "angry", "happy": "happy", "neutral": "neutral", "sad": "sad", "surprise": "surprised"}
_ESD_LINE = re.compile(r"^(\d{4}_\d{6})\s+(.*?)(?:\t+(\S+))?\s*$")


def _read_text_any(path: Path, mandarin: bool) -> str:
    """ESD's transcripts come in several encodings; gb18030 (a superset of gb2312) is only tried
    for Mandarin speakers because it would also 'decode' latin-1 English into Chinese."""
    raw = path.read_bytes()
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    for encoding in ("utf-8-sig", "gb18030") if mandarin else ("utf-8-sig",):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")


def read_esd_transcript(path: Path, mandarin: bool = False) -> dict[str, str]:
    """``{utt_id: text}`` from an ESD speaker file; a line that is not ``id<TAB>text[<TAB>emotion]``
    raises :class:`EmogenError` naming the file and line."""
    texts = {}
    for number, line in enumerate(_read_text_any(path, mandarin).splitlines(), 1):
        if not line.strip():
            continue
        m = _ESD_LINE.match(line.strip())
        if not m or not m.group(2).strip():
            raise EmogenError(f"{path}:{number}: expected 'utt_id<TAB>text<TAB>emotion' "
                              f"(e.g. '0011_000001<TAB>Author of the danger trail.<TAB>Neutral'), got {line.strip()[:60]!r}")
        texts[m.group(1)] = m.group(2).strip()
    return texts


def _esd_root(root: Path) -> Path:
    """The folder holding the speaker folders (the archive adds 'Emotion Speech Dataset/')."""
    if any(re.fullmatch(r"\d{4}", p.name) for p in root.iterdir() if p.is_dir()):
        return root
    for child in sorted(p for p in root.iterdir() if p.is_dir()):
        if any(re.fullmatch(r"\d{4}", p.name) for p in child.iterdir() if p.is_dir()):
            return child
    raise EmogenError(f"'{root}' is not an ESD folder: no speaker folders 0001..0020 in it")


def load_esd(root: str | Path, english_only: bool = True) -> list[Utterance]:
    """ESD utterances (see the module docstring for the layout and label mapping)."""
    root = _esd_root(_require_dir(Path(root), "ESD"))
    out, missing = [], 0
    for speaker_dir in sorted(p for p in root.iterdir() if p.is_dir() and re.fullmatch(r"\d{4}", p.name)):
        speaker = speaker_dir.name
        if english_only and int(speaker) <= 10:
            continue
        transcript = speaker_dir / f"{speaker}.txt"
        if not transcript.is_file():
            raise EmogenError(f"ESD speaker folder '{speaker_dir}' has no transcript file '{transcript.name}'")
        texts = read_esd_transcript(transcript, mandarin=int(speaker) <= 10)
        for emotion_dir in sorted(p for p in speaker_dir.iterdir() if p.is_dir()):
            category = ESD_EMOTIONS.get(emotion_dir.name.lower())
            if category is None:
                raise EmogenError(f"unknown ESD emotion folder '{emotion_dir}'; expected "
                                  f"{', '.join(n.capitalize() for n in ESD_EMOTIONS)}")
            for wav in _audio_files(emotion_dir, recursive=True):
                if wav.stem not in texts:
                    missing += 1
                    continue
                out.append(Utterance(wav, texts[wav.stem], _spec(category, 1.0), f"esd-{speaker}", None, "esd"))
    if missing:
        log.warning("ESD: %d audio files have no line in their speaker's transcript; skipped", missing)
    return out


# ---------------------------------------------------------------- RAVDESS
RAVDESS_EMOTIONS = {1: "neutral", 2: "calm", 3: "happy", 4: "sad", 5: "angry", 6: "fearful", 7: "disgusted",
                    8: "surprised"}
RAVDESS_STATEMENTS = {1: "Kids are talking by the door", 2: "Dogs are sitting by the door"}
RAVDESS_INTENSITY = {"normal": 0.5, "strong": 1.0}
_RAVDESS_NAME = re.compile(r"^(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)$")


def load_ravdess(root: str | Path, use_manifest: bool = True) -> list[Utterance]:
    """RAVDESS speech clips, from ``manifest.csv`` when there is one (and ``use_manifest``), else
    from the file names."""
    root = _require_dir(Path(root), "RAVDESS")
    if use_manifest and (root / "manifest.csv").is_file():
        return _ravdess_manifest(root)
    actors = sorted(p for p in root.iterdir() if p.is_dir() and p.name.startswith("Actor_"))
    if not actors:
        raise EmogenError(f"'{root}' is not a RAVDESS folder: no manifest.csv and no Actor_XX folders")
    out = []
    for actor in actors:
        for path in _audio_files(actor):
            m = _RAVDESS_NAME.match(path.stem)
            if not m:
                raise EmogenError(f"RAVDESS file '{path}' is not named MM-VV-EE-II-SS-RR-AA (e.g. 03-01-06-01-02-01-12.wav)")
            modality, channel, emotion, level, statement, _, actor_id = map(int, m.groups())
            if channel != 1:  # song: the same statements sung, not speech
                continue
            if emotion not in RAVDESS_EMOTIONS or level not in (1, 2) or statement not in RAVDESS_STATEMENTS:
                raise EmogenError(f"RAVDESS file '{path}': emotion {emotion:02d}, intensity {level:02d} or "
                                  f"statement {statement:02d} is out of range (01-08, 01-02, 01-02)")
            label = "normal" if level == 1 else "strong"
            out.append(Utterance(path, RAVDESS_STATEMENTS[statement],
                                 _spec(RAVDESS_EMOTIONS[emotion], RAVDESS_INTENSITY[label]),
                                 f"ravdess-{actor_id:02d}", label, "ravdess"))
    return out


RAVDESS_COLUMNS = ("path", "actor", "emotion", "intensity", "statement_id", "text")


def read_ravdess_manifest(root: str | Path) -> list[dict[str, str]]:
    """The rows of RAVDESS's ``manifest.csv`` (emogen's shared copy), as read: one dict of strings
    per clip with at least :data:`RAVDESS_COLUMNS` (``emotion`` is RAVDESS's own word, e.g.
    ``disgust``; ``intensity`` is ``normal`` or ``strong``; ``path`` is relative to ``root``).
    The one reader of that file: the corpus loader, the prosody profile and the speech-emotion
    classifier's features all go through it."""
    manifest = Path(root) / "manifest.csv"
    if not manifest.is_file():
        raise EmogenError(f"'{root}' is not the RAVDESS folder emogen expects (no manifest.csv)")
    with manifest.open(newline="") as f:
        reader = csv.DictReader(f)
        if not set(RAVDESS_COLUMNS) <= set(reader.fieldnames or ()):
            raise EmogenError(f"{manifest}: needs columns {', '.join(sorted(RAVDESS_COLUMNS))}; has {reader.fieldnames}")
        return list(reader)


def _ravdess_manifest(root: Path) -> list[Utterance]:
    manifest = root / "manifest.csv"
    out = []
    for number, row in enumerate(read_ravdess_manifest(root), 2):
        try:
            category = canonical_category(row["emotion"])
            intensity = RAVDESS_INTENSITY[row["intensity"]]
            actor = int(row["actor"])
        except (EmogenError, KeyError, ValueError):
            raise EmogenError(f"{manifest}:{number}: bad row (emotion {row.get('emotion')!r}, intensity "
                              f"{row.get('intensity')!r} (normal|strong), actor {row.get('actor')!r})") from None
        path = root / row["path"]
        if not path.is_file():
            raise EmogenError(f"{manifest}:{number}: audio file '{path}' does not exist")
        out.append(Utterance(path, row["text"], _spec(category, intensity), f"ravdess-{actor:02d}",
                             row["intensity"], "ravdess"))
    return out


# ---------------------------------------------------------------- CREMA-D
CREMA_SENTENCES = {
    "IEO": "It's eleven o'clock", "TIE": "That is exactly what happened", "IOM": "I'm on my way to the meeting",
    "IWW": "I wonder what this is about", "TAI": "The airplane is almost full",
    "MTI": "Maybe tomorrow it will be cold", "IWL": "I would like a new alarm clock",
    "ITH": "I think I have a doctor's appointment", "DFA": "Don't forget a jacket",
    "ITS": "I think I've seen this before", "TSI": "The surface is slick",
    "WSI": "We'll stop in a couple of minutes",
}
CREMA_EMOTIONS = {"ANG": "angry", "DIS": "disgusted", "FEA": "fearful", "HAP": "happy", "NEU": "neutral", "SAD": "sad"}
CREMA_INTENSITY = {"LO": 0.33, "MD": 0.66, "HI": 1.0, "XX": 1.0}


def load_crema_d(root: str | Path) -> list[Utterance]:
    """CREMA-D clips from ``<root>/AudioWAV`` (or ``root`` itself when it holds the clips)."""
    root = _require_dir(Path(root), "CREMA-D")
    folder = root / "AudioWAV" if (root / "AudioWAV").is_dir() else root
    files = _audio_files(folder)
    if not files:
        raise EmogenError(f"'{root}' is not a CREMA-D folder: no AudioWAV/*.wav")
    out = []
    for path in files:
        parts = path.stem.split("_")
        if (len(parts) != 4 or not parts[0].isdigit() or parts[1] not in CREMA_SENTENCES
                or parts[2] not in CREMA_EMOTIONS or parts[3] not in CREMA_INTENSITY):
            raise EmogenError(f"CREMA-D file '{path}' is not named ACTOR_SENTENCE_EMOTION_LEVEL "
                              f"(e.g. 1001_DFA_ANG_XX.wav; emotions {', '.join(CREMA_EMOTIONS)}; levels "
                              f"{', '.join(CREMA_INTENSITY)})")
        actor, sentence, emotion, level = parts
        out.append(Utterance(path, CREMA_SENTENCES[sentence], _spec(CREMA_EMOTIONS[emotion], CREMA_INTENSITY[level]),
                             f"crema-d-{actor}", level, "crema-d"))
    return out


# ---------------------------------------------------------------- EmoV-DB
EMOV_EMOTIONS = {"amused": "happy", "amusement": "happy", "angry": "angry", "anger": "angry",
                 "disgust": "disgusted", "disgusted": "disgusted", "neutral": "neutral", "sleepy": "calm",
                 "sleepiness": "calm"}
_ARCTIC_LINE = re.compile(r'^\(\s*arctic_([ab])(\d{4})\s+"(.*)"\s*\)\s*$')
_EMOV_FILE = re.compile(r"^([a-z]+)_\d+-\d+_(\d{4})$", re.IGNORECASE)


def read_arctic_prompts(path: Path) -> dict[int, str]:
    """``{n: text}`` for the ``arctic_a<n>`` lines of ``cmuarctic.data`` (EmoV-DB uses the a set)."""
    if not path.is_file():
        raise EmogenError(f"EmoV-DB needs the CMU Arctic prompts file '{path}' (cmuarctic.data from festvox.org)")
    prompts = {}
    for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
        if not line.strip():
            continue
        m = _ARCTIC_LINE.match(line.strip())
        if not m:
            raise EmogenError(f'{path}:{number}: expected \'( arctic_a0001 "text" )\', got {line.strip()[:60]!r}')
        if m.group(1) == "a":
            prompts[int(m.group(2))] = m.group(3)
    return prompts


def load_emov_db(root: str | Path, prompts: str | Path | None = None) -> list[Utterance]:
    """EmoV-DB clips; ``prompts`` is ``cmuarctic.data`` (default: ``<root>/cmuarctic.data``)."""
    root = _require_dir(Path(root), "EmoV-DB")
    folders = sorted(p for p in root.iterdir() if p.is_dir() and "_" in p.name
                     and p.name.split("_", 1)[1].lower() in EMOV_EMOTIONS)
    if not folders:
        raise EmogenError(f"'{root}' is not an EmoV-DB folder: no <speaker>_<emotion> folders "
                          f"(emotions {', '.join(sorted(set(EMOV_EMOTIONS)))})")
    prompt_file = Path(prompts) if prompts else root / "cmuarctic.data"
    texts = read_arctic_prompts(prompt_file)
    out = []
    for folder in folders:
        speaker, emotion = folder.name.split("_", 1)
        for path in _audio_files(folder):
            m = _EMOV_FILE.match(path.stem)
            if not m:
                raise EmogenError(f"EmoV-DB file '{path}' is not named <emotion>_<start>-<end>_<nnnn>.wav")
            n = int(m.group(2))
            if n not in texts:
                raise EmogenError(f"EmoV-DB file '{path}': prompt arctic_a{n:04d} is not in '{prompt_file}'")
            category = EMOV_EMOTIONS[emotion.lower()]
            out.append(Utterance(path, texts[n], _spec(category, 1.0), f"emov-db-{speaker.lower()}",
                                 emotion.lower(), "emov-db"))
    return out


# ---------------------------------------------------------------- generic metadata.csv
METADATA_COLUMNS = ("path", "text", "emotion", "speaker")


def load_metadata(root: str | Path) -> list[Utterance]:
    """``metadata.csv`` (``path|text|emotion|speaker``) in ``root``, or the file itself."""
    root = Path(root)
    file = root / "metadata.csv" if root.is_dir() else root
    if not file.is_file():
        raise EmogenError(f"metadata file '{file}' does not exist; expected lines 'path|text|emotion|speaker'")
    out = []
    for number, line in enumerate(file.read_text(encoding="utf-8-sig").splitlines(), 1):
        fields = [f.strip() for f in line.split("|")]
        if not line.strip() or (number == 1 and [f.lower() for f in fields] == list(METADATA_COLUMNS)):
            continue
        if len(fields) != 4 or not all(fields):
            raise EmogenError(f"{file}:{number}: expected 'path|text|emotion|speaker' (4 fields, none empty), "
                              f"got {line.strip()[:60]!r}")
        path, text, emotion_text, speaker = fields
        try:
            emotion = parse_emotion(emotion_text)
        except EmogenError as e:
            raise EmogenError(f"{file}:{number}: bad emotion {emotion_text!r}: {e}") from None
        if not isinstance(emotion, EmotionSpec):
            raise EmogenError(f"{file}:{number}: emotion {emotion_text!r} is a trajectory; a clip takes one spec")
        audio = file.parent / path
        if not audio.is_file():
            raise EmogenError(f"{file}:{number}: audio file '{audio}' does not exist")
        out.append(Utterance(audio, text, emotion, speaker, None, "metadata"))
    return out


# ---------------------------------------------------------------- dispatch
LOADERS = {"esd": load_esd, "ravdess": load_ravdess, "crema-d": load_crema_d, "emov-db": load_emov_db,
           "metadata": load_metadata}


def detect_kind(root: str | Path) -> str:
    """Which corpus layout ``root`` holds (one of :data:`KINDS`)."""
    root = _require_dir(Path(root), "corpus")
    dirs = [p.name for p in root.iterdir() if p.is_dir()]
    if (root / "metadata.csv").is_file():
        return "metadata"
    if (root / "manifest.csv").is_file() or any(d.startswith("Actor_") for d in dirs):
        return "ravdess"
    if "AudioWAV" in dirs or any(re.fullmatch(r"\d{4}_[A-Z]{3}_[A-Z]{3}_[A-Z]{2}", p.stem) for p in _audio_files(root)):
        return "crema-d"
    if any("_" in d and d.split("_", 1)[1].lower() in EMOV_EMOTIONS for d in dirs):
        return "emov-db"
    try:
        _esd_root(root)
        return "esd"
    except EmogenError:
        pass
    raise EmogenError(f"cannot tell which corpus '{root}' holds; give the kind ({', '.join(KINDS)}) or use one "
                      "of their layouts (ESD 00XX/<Emotion>/, RAVDESS Actor_XX/ or manifest.csv, CREMA-D AudioWAV/, "
                      "EmoV-DB <speaker>_<emotion>/, metadata.csv)")


def load_corpus(kind: str | None, root: str | Path, **options) -> list[Utterance]:
    """Load any supported corpus; ``kind=None`` detects it from the layout. ``options`` go to the
    loader (``english_only`` for ESD, ``prompts`` for EmoV-DB)."""
    if kind is None:
        kind = detect_kind(root)
    key = kind.lower().replace("_", "-")
    key = {"cremad": "crema-d", "emovdb": "emov-db", "emov": "emov-db"}.get(key, key)
    if key not in LOADERS:
        raise EmogenError(f"unknown corpus kind '{kind}'; accepted: {', '.join(KINDS)}")
    utterances = LOADERS[key](root, **options)
    if not utterances:
        raise EmogenError(f"no utterances found in {key} corpus '{root}'")
    return utterances
