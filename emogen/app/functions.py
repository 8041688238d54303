"""The plain functions behind the Gradio app: controls -> spec string -> pipeline -> file paths.

Each pipeline loads once (on first use, or in the background right after the app starts) into the
process-wide cache (``emogen.pipelines.load_pipeline``, thread-safe: the app answers requests
concurrently) and is kept for the life of the process. A user mistake (:class:`EmogenError`) becomes ``gr.Error`` with
its one readable line, so the page shows a message and never a traceback.
"""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
import threading
import uuid
from pathlib import Path

import numpy as np

from ..checks import DEFAULT_TEMPO
from ..emotion import CATEGORIES, CATEGORY_NAMES, EmotionTrajectory, parse_emotion
from ..errors import EmogenError

NONE = "none"
SECOND_CHOICES = (NONE, *CATEGORY_NAMES)

_out_dir: Path | None = None
_preload_thread: threading.Thread | None = None


# -- emotion controls -> spec ----------------------------------------------------------------
def build_spec(emotion: str = "neutral", intensity: float = 0.7, dimensional: bool = False, valence: float = 0.0,
               arousal: float = 0.0, dominance: float = 0.0, second: str = NONE, mix: float = 0.0,
               spec: str = "") -> str:
    """The spec string the controls stand for (checked with ``parse_emotion``).

    - ``spec`` (free text: any spec, trajectory or ``auto``) overrides everything else;
    - dimensional: ``v=..,a=..,d=..:INTENSITY``;
    - otherwise ``EMOTION:INTENSITY``, or with a second emotion mixed in at share ``mix`` (0..1),
      ``EMOTION:(1-mix)*I+SECOND:mix*I`` (shares sum to the intensity).
    """
    from ..text.auto import parse_auto

    if spec and spec.strip():
        text = spec.strip()
        if parse_auto(text) is None:
            parse_emotion(text)
        return text
    intensity = _unit(intensity, "intensity")
    if dimensional:
        v, a, d = _signed(valence, "valence"), _signed(arousal, "arousal"), _signed(dominance, "dominance")
        text = f"v={v:g},a={a:g},d={d:g}:{intensity:g}"
    else:
        name = _category(emotion, "emotion")
        other = NONE if second in (None, "", NONE) else _category(second, "second emotion")
        share = _unit(mix, "mix")
        terms = [(name, intensity * (1.0 - share))] if other == NONE or other == name else \
                [(name, intensity * (1.0 - share)), (other, intensity * share)]
        terms = [(n, w) for n, w in terms if w > 1e-6]
        if other == NONE or other == name:
            text = f"{name}:{intensity:g}"
        elif not terms:
            text = f"{name}:0"
        else:
            text = "+".join(f"{n}:{round(w, 4):g}" for n, w in terms)
    parse_emotion(text)
    return text


def negative_spec(negative: str | None) -> str | None:
    """``None`` for 'none' / empty, else the checked spec."""
    if negative in (None, "", NONE):
        return None
    if isinstance(parse_emotion(negative), EmotionTrajectory):
        raise EmogenError("the negative emotion must be one spec, not a trajectory")
    return negative


def plane_image(emotion="neutral", intensity=0.7, dimensional=False, valence=0.0, arousal=0.0, dominance=0.0,
                second=NONE, mix=0.0, spec="") -> np.ndarray:
    """(h, w, 3) uint8 picture of the valence-arousal plane: the categories and the current setting
    (a trajectory as a path). Never raises: an invalid setting is drawn as a note instead."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(3.2, 3.2), dpi=80)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    ax.axhline(0, color="0.8", lw=0.8)
    ax.axvline(0, color="0.8", lw=0.8)
    # fearful, angry and disgusted sit close together: stagger their labels
    offsets = {"fearful": (-14, 7), "angry": (4, 4), "disgusted": (-12, -10)}
    for c in CATEGORIES:
        ax.plot(c.vad[0], c.vad[1], "o", color="0.45", ms=4)
        ax.annotate(c.name, c.vad[:2], fontsize=7, color="0.3", xytext=offsets.get(c.name, (3, 3)),
                    textcoords="offset points")
    title = ""
    try:
        text = build_spec(emotion, intensity, dimensional, valence, arousal, dominance, second, mix, spec)
        from ..text.auto import parse_auto

        if parse_auto(text) is not None:
            title = "auto: read from the text"
        else:
            parsed = parse_emotion(text)
            specs = [k.spec for k in parsed.keyframes] if isinstance(parsed, EmotionTrajectory) else [parsed]
            points = np.array([s.resolve_vad()[:2] for s in specs])
            ax.plot(points[:, 0], points[:, 1], "-*", color="crimson", ms=12, lw=1.5)
            title = text if len(text) <= 34 else text[:31] + "..."
    except EmogenError as e:
        title = "invalid: " + str(e)[:40]
    ax.set(xlim=(-1.05, 1.05), ylim=(-1.05, 1.05), xlabel="valence", ylabel="arousal")
    ax.set_title(title, fontsize=8)
    ax.tick_params(labelsize=7)
    fig.subplots_adjust(left=0.2, right=0.86, bottom=0.15, top=0.9)
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()


# -- pipelines, loaded once ------------------------------------------------------------------
def preload(kinds=("tts", "music")) -> threading.Thread:
    """Load pipelines in a background thread (the app answers while they load), and run each once
    on a tiny input: the first real request then skips the one-off costs (phonemizer start-up,
    first-call allocations), about 3 s for speech on 2 cores."""
    from ..pipelines import load_pipeline

    def work():
        for kind in kinds:
            try:
                pipe = load_pipeline(kind)
                if kind == "tts":
                    pipe("Hello.", steps=1)
                elif kind == "music":
                    pipe("neutral", bars=1, steps=1, max_retries=0).render_audio(22050)
            except Exception:  # noqa: BLE001 - the request that needs it will report the problem
                pass

    global _preload_thread
    _preload_thread = threading.Thread(target=work, name="emogen-preload", daemon=True)
    _preload_thread.start()
    return _preload_thread


def preloading() -> bool:
    """Whether ``preload`` has been started in this process."""
    return _preload_thread is not None


def output_path(kind: str, suffix: str) -> Path:
    """A fresh file name in this process's output folder (removed when the process exits)."""
    global _out_dir
    if _out_dir is None:
        _out_dir = Path(tempfile.mkdtemp(prefix="emogen-app-"))
        atexit.register(shutil.rmtree, _out_dir, True)
    return _out_dir / f"{kind}-{uuid.uuid4().hex[:12]}{suffix}"


def user_errors(fn):
    """Turn EmogenError into gr.Error (a readable message in the page, no traceback)."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except EmogenError as e:
            import gradio as gr

            raise gr.Error(str(e), print_exception=False) from None
    return wrapper


def _progress(progress, fraction: float, desc: str) -> None:
    if progress is not None:
        progress(fraction, desc=desc)


# -- the four generators ------------------------------------------------------------------------
@user_errors
def speech(text: str, emotion="neutral", intensity=0.7, dimensional=False, valence=0.0, arousal=0.0, dominance=0.0,
           second=NONE, mix=0.0, spec="", negative=NONE, negative_scale=1.0, guidance_scale=1.0, steps=3, seed=0,
           speed=1.0, voice=None, progress=None) -> str:
    """Speech as a .wav file path; ``voice``: a name from ``emogen voices`` (None: the default)."""
    from ..pipelines import load_pipeline
    from ..speech.voices import get_voice

    emotion_text = build_spec(emotion, intensity, dimensional, valence, arousal, dominance, second, mix, spec)
    _check_text(text)
    _progress(progress, 0.05, "loading the voice")
    tts = load_pipeline("tts", get_voice(voice or None).name)
    _progress(progress, 0.2, "speaking")
    result = tts(text, emotion_text, steps=_whole(steps, "steps"), guidance_scale=float(guidance_scale),
                 negative=negative_spec(negative), negative_scale=float(negative_scale), speed=float(speed),
                 seed=_whole(seed, "seed"))
    path = output_path("speech", ".wav")
    result.save(path)
    return str(path)


@user_errors
def music(emotion="neutral", intensity=0.7, dimensional=False, valence=0.0, arousal=0.0, dominance=0.0, second=NONE,
          mix=0.0, spec="", negative=NONE, negative_scale=0.5, guidance_scale=3.0, steps=12, seed=0, bars=8, key="",
          tempo=DEFAULT_TEMPO, time_signature="4/4", progress=None) -> tuple[str, str, str]:
    """(MIDI path, .wav preview path, piano-roll .png path)."""
    from ..pipelines import load_pipeline

    emotion_text = build_spec(emotion, intensity, dimensional, valence, arousal, dominance, second, mix, spec)
    from ..text.auto import parse_auto

    if parse_auto(emotion_text) is not None:
        raise EmogenError("music has no text to read an emotion from; pick an emotion (auto works in Scene)")
    _progress(progress, 0.05, "loading the music model")
    pipe = load_pipeline("music")
    _progress(progress, 0.2, "writing the piece")
    piece = pipe(emotion_text, bars=_whole(bars, "bars"), seed=_whole(seed, "seed"), key=key or None,
                 tempo=float(tempo), time_signature=time_signature or None, steps=_whole(steps, "steps"),
                 guidance_scale=float(guidance_scale), negative=negative_spec(negative),
                 negative_scale=float(negative_scale))
    _progress(progress, 0.7, "rendering audio")
    stem = output_path("music", "")
    midi, wav, png = stem.with_suffix(".mid"), stem.with_suffix(".wav"), stem.with_suffix(".png")
    piece.save(midi)
    piece.save(wav, sample_rate=22050)
    piece.save(png, scale=3)
    return str(midi), str(wav), str(png)


@user_errors
def talk(text: str, image=None, emotion="neutral", intensity=0.7, dimensional=False, valence=0.0, arousal=0.0,
         dominance=0.0, second=NONE, mix=0.0, spec="", negative=NONE, negative_scale=1.0, guidance_scale=1.0,
         steps=10, seed=0, speed=1.0, progress=None) -> str:
    """A talking-head .mp4 path (the face speaks ``text``)."""
    from ..pipelines import load_pipeline

    emotion_text = build_spec(emotion, intensity, dimensional, valence, arousal, dominance, second, mix, spec)
    _check_text(text)
    _progress(progress, 0.05, "loading the face model")
    pipe = load_pipeline("talk")
    _progress(progress, 0.2, "animating")
    clip = pipe(image=image or None, text=text, emotion=emotion_text, seed=_whole(seed, "seed"),
                steps=_whole(steps, "steps"), guidance_scale=float(guidance_scale),
                negative=negative_spec(negative), negative_scale=float(negative_scale), speed=float(speed))
    path = output_path("talk", ".mp4")
    clip.save(path)
    return str(path)


@user_errors
def scene(text: str, image=None, emotion="neutral", intensity=0.7, dimensional=False, valence=0.0, arousal=0.0,
          dominance=0.0, second=NONE, mix=0.0, spec="", negative=NONE, negative_scale=1.0, guidance_scale=1.0,
          steps=10, seed=0, with_music=True, music_volume=0.25, bars=0, progress=None) -> str:
    """A scene .mp4 path: speech + talking head + music bed (``bars`` 0 = as long as the speech)."""
    from ..scene.pipeline import ScenePipeline

    emotion_text = build_spec(emotion, intensity, dimensional, valence, arousal, dominance, second, mix, spec)
    _check_text(text)
    _progress(progress, 0.05, "loading the models")
    pipe = ScenePipeline()  # the shared voice, face and music models (and text classifier for 'auto')
    _progress(progress, 0.2, "making the scene")
    result = pipe(text, emotion_text, image=image or None, music=bool(with_music), music_volume=float(music_volume),
                  bars=_whole(bars, "bars") or None, seed=_whole(seed, "seed"), steps=_whole(steps, "steps"),
                  guidance_scale=float(guidance_scale), negative=negative_spec(negative),
                  negative_scale=float(negative_scale))
    path = output_path("scene", ".mp4")
    result.save(path)
    return str(path)


# -- small checks ------------------------------------------------------------------------------
def _check_text(text) -> None:
    if text is None or not str(text).strip():
        raise EmogenError("the text is empty; type a sentence to speak")


def _unit(x, name: str) -> float:
    x = _number(x, name)
    if not 0.0 <= x <= 1.0:
        raise EmogenError(f"{name} {x:g} is out of range; accepted: 0 to 1")
    return x


def _signed(x, name: str) -> float:
    x = _number(x, name)
    if not -1.0 <= x <= 1.0:
        raise EmogenError(f"{name} {x:g} is out of range; accepted: -1 to 1")
    return round(x, 4)


def _number(x, name: str) -> float:
    try:
        value = float(x)
    except (TypeError, ValueError):
        raise EmogenError(f"{name} must be a number, got {x!r}") from None
    if value != value:
        raise EmogenError(f"{name} must be a number, got NaN")
    return value


def _whole(x, name: str) -> int:
    value = _number(x, name)
    if value != int(value) or value < 0:
        raise EmogenError(f"{name} must be a whole number >= 0, got {x!r}")
    return int(value)


def _category(name, what: str) -> str:
    if name not in CATEGORY_NAMES:
        raise EmogenError(f"unknown {what} {name!r}; accepted: {', '.join(CATEGORY_NAMES)}")
    return name
