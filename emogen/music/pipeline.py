"""``MusicPipeline``: emotion spec in, piano piece (MIDI, optional audio and picture) out.

Shape legend: w = windows, c = 3 roll channels, p = pitches, s = steps (sixteenth notes), d = emotion dim.

What does what: the **emotion** (density, loudness, register, articulation) comes from the trained
flow model's conditioning; its **mode**, music's strongest valence cue, which the model learned
only weakly, is steered while sampling (``emogen.music.tonality``): major where the requested
valence is at least ``MODE_VALENCE`` above neutral, minor where it is that far below, the model's
choice in between (on the tonic C all the same, which the cadences are written in), or the mode
of a requested key. A requested **key** then transposes the
finished piece to its tonic; a requested **tempo** sets the tempo mark (the model writes on a
sixteenth grid; its training data played at 120 BPM, the default); a requested **time
signature** is given to the model as metre context and sets the bar length.

Form (``emogen.music.form``): the piece is planned as 4-bar phrases, A A' B A'' by fours, one
window each. The new phrases are sampled together first; the returning ones are then inpainted
(``FlowSampler.sample(known=...)``) over their source's accompaniment, so phrases return and vary,
and every window holds its phrase's cadence chord, so each phrase closes and the piece ends on
V-I. Any length takes two batched sampling passes of one window per phrase. Each window's
emotion is the trajectory's value at each of its steps (``calm>angry``).
A bar the model writes too faintly to decode to any note is then inpainted again, alone, between
the bars around it (``max_retries``), so a piece has no silent bar and keeps the rest as drawn.
"""

from __future__ import annotations

import re

import numpy as np
import torch

from ..checks import BARS, MODE_GUIDANCE, MUSIC_GUIDANCE, MUSIC_STEPS, NEGATIVE_SCALE, SEED, TEMPO, check_number
from ..core.flow import FlowSampler, Guidance
from ..core.pipeline import Pipeline
from ..emotion import EmotionBatch, EmotionSpec, EmotionTrajectory, parse_emotion
from ..errors import EmogenError
from . import form
from . import representation as rep
from .model import MusicFlowModel
from .performance import tempo_for_arousal
from .result import MusicResult
from .tonality import mode_for_valence, mode_steering

DEFAULT_CHECKPOINT = "music-emopia"
# Mode steering strength (velocity change, RMS per roll value): see benchmarks/music.py
DEFAULT_MODE_GUIDANCE = 0.15
KEY_NAMES = {"c": 0, "c#": 1, "db": 1, "d": 2, "d#": 3, "eb": 3, "e": 4, "fb": 4, "e#": 5, "f": 5, "f#": 6,
             "gb": 6, "g": 7, "g#": 8, "ab": 8, "a": 9, "a#": 10, "bb": 10, "b": 11, "cb": 11}


def parse_key(text: str | None) -> tuple[int, str | None] | None:
    """'C', 'F# minor', 'Bb major', 'am' -> (tonic pitch class, 'major' | 'minor' | None)."""
    if text is None:
        return None
    m = re.fullmatch(r"\s*([a-gA-G])\s*([#b]?)\s*(major|minor|maj|min|m)?\s*", str(text))
    if not m:
        raise EmogenError(f"unknown key '{text}'; accepted: a note name A-G with optional # or b and "
                          "optional 'major'/'minor' (e.g. 'C', 'F# minor', 'Bb major', 'Am')")
    tonic = KEY_NAMES[(m.group(1) + m.group(2)).lower()]
    mode = {"major": "major", "maj": "major", "minor": "minor", "min": "minor", "m": "minor"}.get(m.group(3) or "")
    return tonic, mode


def check_inputs(emotion, intensity, bars, key, tempo, time_signature, steps, guidance_scale, negative,
                 mode_guidance: float = DEFAULT_MODE_GUIDANCE, negative_scale: float = 0.5):
    """Fail early with one readable line; returns (emotion, negative, key, tempo, time signature) resolved."""
    if isinstance(emotion, str):
        emotion = parse_emotion(emotion, intensity)
    elif isinstance(emotion, EmotionSpec):
        emotion = emotion.with_intensity(intensity)
    elif not isinstance(emotion, EmotionTrajectory):
        raise EmogenError(f"emotion must be a spec string, EmotionSpec or EmotionTrajectory, got {type(emotion).__name__}")
    if isinstance(negative, str):
        negative = parse_emotion(negative)
    if isinstance(negative, EmotionTrajectory):
        raise EmogenError("the negative emotion must be one spec, not a trajectory")
    check_number(bars, "bars", *BARS, integer=True)
    check_number(steps, "steps", *MUSIC_STEPS, integer=True)
    check_number(guidance_scale, "guidance scale", *MUSIC_GUIDANCE)
    check_number(negative_scale, "negative scale", *NEGATIVE_SCALE)
    check_number(mode_guidance, "mode guidance (0 leaves the mode to the model)", *MODE_GUIDANCE)
    if tempo is not None:
        check_number(tempo, "tempo (BPM)", *TEMPO)
    return (emotion, negative, parse_key(key), rep.check_tempo(rep.DEFAULT_TEMPO if tempo is None else tempo),
            rep.parse_time_signature(time_signature))


class MusicPipeline(Pipeline):
    """Load once, call many times: ``MusicPipeline.from_pretrained("music-emopia")("happy", bars=16)``
    returns a :class:`MusicResult`; ``MusicPipeline(model, device, dtype)`` wraps a ``MusicFlowModel``."""

    model_class = MusicFlowModel
    default_checkpoint = DEFAULT_CHECKPOINT

    @torch.no_grad()
    def __call__(self, emotion, intensity: float | None = None, bars: int = 16, seed: int = 0, key: str | None = None,
                 tempo: float | None = None, time_signature: str | None = None, steps: int = 12,
                 guidance_scale: float = 3.0, negative=None, negative_scale: float = 0.5, max_retries: int = 3,
                 progress: bool = False, prompt: str | None = None,
                 mode_guidance: float = DEFAULT_MODE_GUIDANCE, quantize: bool = False) -> MusicResult:
        """Generate one piece; writes no file (``piece.save("piece.mid")`` does).

        Args:
            emotion: a spec ('happy', 'v=-0.7,a=-0.5', 'calm>angry') or EmotionSpec / EmotionTrajectory.
            intensity: 0..1 for a single spec (0 is neutral).
            bars: length in bars of ``time_signature``.
            seed: fixes the result.
            key: transpose to this key ('C', 'F# minor'); ``None``: a tonic drawn by the seed from
                those real pieces of the piece's mode use (``emogen.music.performance``).
            tempo: BPM; ``None``: from the arousal, beat by beat (120 at neutral arousal,
                ``performance.tempo_for_arousal``).
            time_signature: '4/4' (default), '3/4', '2/4' or '6/8'.
            steps: ODE steps per window.
            guidance_scale: classifier-free guidance (1 = none).
            negative: an emotion to steer away from (EmoDubber's negative term).
            negative_scale: the strength of that negative term.
            mode_guidance: strength of the steering toward the mode the valence (or ``key``) asks
                for (``emogen.music.tonality``); 0 leaves the mode to the model.
            max_retries: a bar that decodes to no note (the model wrote it too faintly) is inpainted
                again with new noise between the bars around it, up to this often.
            prompt: with ``emotion="auto"`` (or ``"auto:0.5"``), the text whose emotion the piece takes
                (emogen.text); several lines become a trajectory through their emotions.
            quantize: write the score (onsets and ends on the sixteenth grid, no pedal) instead of
                the performance (pedal, chord asynchrony; ``emogen.music.performance``).
        """
        # 1. Check inputs and resolve the emotion ('auto': read it from the prompt)
        resolved = self.resolve_emotion(emotion, intensity, prompt)
        if resolved is not emotion:
            emotion, intensity = resolved, None  # the inferred intensity is inside the spec
        requested_tempo = tempo
        emotion, negative, key_req, tempo, ts = check_inputs(
            emotion, intensity, bars, key, tempo, time_signature, steps, guidance_scale, negative, mode_guidance,
            negative_scale)
        bar_steps = int(round(rep.beats_per_bar(ts) * rep.STEPS_PER_BEAT))
        total = bars * bar_steps
        generator = torch.Generator().manual_seed(check_number(seed, "seed", *SEED, integer=True))
        # 2. Plan the phrases, sample them, then redraw only the bars that came out silent (new noise each try)
        phrases = form.plan(bars, bar_steps, self.model.config.window_steps,
                            lambda step: self._vad_at(emotion, step, total))
        values = self._sample(phrases, emotion, negative, total, bar_steps, ts, steps, guidance_scale,
                              negative_scale, generator, progress, mode_guidance, key_req and key_req[1])
        roll = rep.PianoRoll(values, tempo, ts)
        silent = silent_bars(roll)
        for _ in range(max_retries):
            if not silent:
                break
            roll.values = self._fill_bars(values, silent, emotion, negative, bar_steps, ts, steps, guidance_scale,
                                          negative_scale, generator, mode_guidance, key_req and key_req[1])
            values, silent = roll.values, silent_bars(roll)
        # 3. Perform it: tempo (asked for, or from the arousal beat by beat), key, pedal, timing, touch
        tempi, quadrants = self._beat_plan(emotion, total, requested_tempo)
        roll.tempo = float(tempi[0])
        return MusicResult.build(roll, emotion, key_req, bars, silent_bars=silent, seed=seed, tempi=tempi,
                                 quadrants=quadrants, quantize=bool(quantize), form=form.letters(phrases))

    @staticmethod
    def _beat_plan(emotion, total: int, tempo: float | None) -> tuple[np.ndarray, np.ndarray]:
        """(beats,) BPM and (beats,) quadrant 1-4 of the emotion at each beat's centre."""
        from .data import quadrant_of  # its module needs scipy: imported when a piece is made
        beats = int(np.ceil(total / rep.STEPS_PER_BEAT))
        vad = np.array([MusicPipeline._vad_at(emotion, (b + 0.5) * rep.STEPS_PER_BEAT, total) for b in range(beats)])
        tempi = np.array([tempo_for_arousal(a) if tempo is None else float(tempo) for a in vad[:, 1]])
        return tempi, np.array([quadrant_of(v, a) for v, a, _ in vad])

    @staticmethod
    def _vad_at(emotion, step: float, total: int) -> np.ndarray:
        """(3,) VAD of the emotion (a spec, or a trajectory over ``total`` steps) at ``step``."""
        if isinstance(emotion, EmotionSpec):
            return np.array(emotion.resolve_vad(), np.float64)
        weights = emotion.weights_at(min(step, total - 0.5), total)
        return np.sum([w * np.array(spec.resolve_vad(), np.float64) for spec, w in weights], 0)

    def resolve_emotion(self, emotion, intensity: float | None = None, prompt: str | None = None):
        """``emotion`` unchanged, or for ``auto[:SCALE]`` the spec (one line of ``prompt``) or
        trajectory (several lines, spread evenly over the piece) inferred from the prompt's words."""
        from ..text.auto import auto_scale, resolve_auto

        scale = auto_scale(emotion, intensity)
        if scale is None:
            if prompt is not None:
                raise EmogenError("a prompt is only read with emotion 'auto' (e.g. --emotion auto --prompt TEXT)")
            return emotion
        check_prompt(prompt)
        lines = [line.strip() for line in prompt.splitlines()]
        return resolve_auto(lines, scale)  # smoothed across lines

    def _sample(self, phrases, emotion, negative, total, bar_steps, ts, steps, guidance_scale, negative_scale,
                generator, progress, mode_guidance: float = 0.0, key_mode: str | None = None) -> torch.Tensor:
        """(3, p, total) roll of the ``phrases`` (``form.plan``), one window each: the new phrases
        sampled together, then the returning ones inpainted over their sources' accompaniment;
        every window holds its phrase's cadence."""
        window = self.model.config.window_steps
        shape = self.model.roll_shape
        noise = torch.randn((len(phrases), *shape), generator=generator)
        canvas = torch.full((shape[0], shape[1], total), -1.0)
        for returning in (False, True):
            ids = [k for k, phrase in enumerate(phrases) if (phrase.source is not None) == returning]
            if not ids:
                continue
            values = torch.full((len(ids), *shape), -1.0)
            mask = torch.zeros_like(values)
            for row, k in enumerate(ids):
                phrase = phrases[k]
                if returning:
                    source = phrases[phrase.source]
                    form.variation_known(canvas[..., source.start:source.end], values[row], mask[row],
                                         form.VARIED_BARS * bar_steps)
                mode = self._mode(emotion, key_mode, phrase.start + window / 2, total)
                form.cadence_known(phrase, bar_steps, mode, values[row], mask[row])
            x = self._windows([phrases[k].start for k in ids], noise[ids], (values, mask), emotion, negative, total,
                              ts, steps, guidance_scale, negative_scale, progress, mode_guidance, key_mode)
            for row, k in enumerate(ids):
                phrase = phrases[k]
                canvas[..., phrase.start:phrase.end] = clean(x[row])[..., :phrase.end - phrase.start]
        return canvas

    def _fill_bars(self, values, bars, emotion, negative, bar_steps, ts, steps, guidance_scale, negative_scale,
                   generator, mode_guidance: float = 0.0, key_mode: str | None = None) -> torch.Tensor:
        """(3, p, total) ``values`` with the bars in ``bars`` inpainted anew: one window per run of
        adjacent bars (at most a window less one bar), centred on it where the piece allows, with
        every other step of the piece held as it is.

        A bar the model writes too faintly for ``rep.decode_notes`` (sustain that barely crosses
        ``SUSTAIN_ON`` for one step, no onset peak) decodes to silence; drawing only that bar
        again, to fit the bars around it, keeps the rest of the piece and its joins. Adjacent
        silent bars are drawn together: one drawn beside a neighbour held silent tends to stay so.
        """
        window, total = self.model.config.window_steps, values.shape[-1]
        longest = max(1, window // bar_steps - 1)
        spans = []  # (first step, last step + 1) of each run of adjacent bars
        for b in bars:
            if spans and spans[-1][1] == b * bar_steps and spans[-1][1] - spans[-1][0] < longest * bar_steps:
                spans[-1] = (spans[-1][0], (b + 1) * bar_steps)
            else:
                spans.append((b * bar_steps, (b + 1) * bar_steps))
        length = max(total, window)  # a piece shorter than a window: the steps past its end are free
        canvas = torch.full((*values.shape[:-1], length), -1.0)
        canvas[..., :total] = values
        starts = [min(max(0, lo - (window - (hi - lo)) // 2), length - window) for lo, hi in spans]
        windows = torch.stack([canvas[..., a:a + window] for a in starts])
        mask = torch.zeros(len(spans), 1, 1, window)
        for row, ((lo, hi), a) in enumerate(zip(spans, starts)):
            mask[row, ..., :max(0, total - a)] = 1.0
            mask[row, ..., lo - a:hi - a] = 0.0
        noise = torch.randn((len(spans), *self.model.roll_shape), generator=generator)
        x = self._windows(starts, noise, (windows, mask.expand_as(windows)), emotion, negative, total, ts, steps,
                          guidance_scale, negative_scale, False, mode_guidance, key_mode)
        out = values.clone()
        for row, ((lo, hi), a) in enumerate(zip(spans, starts)):
            out[..., lo:hi] = clean(x[row])[..., lo - a:hi - a]
        return out

    def _windows(self, starts, noise, known, emotion, negative, total, ts, steps, guidance_scale, negative_scale,
                 progress, mode_guidance: float = 0.0, key_mode: str | None = None) -> torch.Tensor:
        """(w, 3, p, window) windows sampled from (w, 3, p, window) ``noise`` at these start steps;
        ``known``: ``(values, mask)`` held where the mask is 1 (``FlowSampler.sample``) or None."""
        window = self.model.config.window_steps
        encoder = self.model.emotion_encoder
        device, dtype = self.device, self.dtype
        # Emotion per window (per step for trajectories) and guidance
        vectors = torch.stack([self._emotion_vectors(emotion, a, window, total) for a in starts]).to(device, dtype)
        neg = []
        if negative is not None:
            neg = [(encoder(EmotionBatch.from_specs([negative]).to(device))[0].expand_as(vectors), negative_scale)]
        guidance = Guidance(guidance_scale, encoder.null_embedding, neg)
        context = torch.stack([rep.metric_context(window, ts, a) for a in starts]).to(device, dtype)
        if known is not None:
            known = tuple(t.to(device, dtype) for t in known)
        # Mode: the requested key's, else the one the valence at the window's centre implies
        modes = torch.tensor([self._mode(emotion, key_mode, a + window / 2, total) for a in starts])
        steer = mode_steering(modes, mode_guidance) if mode_guidance > 0 else None
        return FlowSampler(steps).sample(self.model, noise.to(device, dtype), vectors, guidance, known=known,
                                         progress=progress, steer=steer, context=context).float().cpu()

    @staticmethod
    def _mode(emotion, key_mode: str | None, time: float, total: int) -> int:
        """+1 major, -1 minor, 0 free for the window centred at step ``time``."""
        if key_mode is not None:
            return 1 if key_mode == "major" else -1
        if isinstance(emotion, EmotionSpec):
            return mode_for_valence(emotion.vad_offset()[0])
        weights = emotion.weights_at(min(time, total - 0.5), total)
        return mode_for_valence(sum(w * spec.vad_offset()[0] for spec, w in weights))

    def _emotion_vectors(self, emotion, start: int, window: int, total: int) -> torch.Tensor:
        """(d,) for a static spec, (window, d) along a trajectory (steps as the time unit)."""
        encoder = self.model.emotion_encoder
        if isinstance(emotion, EmotionSpec):
            return encoder(EmotionBatch.from_specs([emotion]).to(self.device))[0].cpu()
        times = [min(total - 0.5, start + i + 0.5) for i in range(window)]
        return encoder(EmotionBatch.from_trajectory(emotion, times, float(total)).to(self.device)).cpu()


def check_prompt(prompt: str | None) -> None:
    """``emotion='auto'`` needs a prompt with words (its scale is checked by ``text.auto.auto_scale``)."""
    if prompt is None or not str(prompt).strip():
        raise EmogenError("emotion 'auto' reads the emotion from a text: give a prompt (--prompt TEXT or "
                          "--prompt-file FILE), e.g. --prompt 'a rainy funeral in the hills'")


def clean(x: torch.Tensor) -> torch.Tensor:
    """The (3, p, s) roll of the notes a generated roll decodes to (``rep.decode_notes``), every value
    +-1 (velocity where sounding): what the piece plays, and what an inpainted neighbour sees."""
    return rep.encode_notes(rep.decode_notes(x), x.shape[-1])


def silent_bars(roll: rep.PianoRoll) -> list[int]:
    """Indices of bars in which no note sounds."""
    sounding = (roll.values[1] > 0).any(dim=0)
    bar = roll.steps_per_bar
    return [b for b in range(roll.steps // bar) if not bool(sounding[b * bar:(b + 1) * bar].any())]
