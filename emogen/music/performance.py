"""Performance rendering: grid notes -> MIDI as a pianist plays them (pedal, timing, touch, tempo).

The flow model writes a score on a sixteenth grid. A pianist's MIDI differs from that score in
ways EMOPIA's clips (transcriptions of real performances, GiantMIDI-style: a note held by the
sustain pedal lasts until the pedal lifts) show and this module reproduces, with parameters
fitted from those clips (``assets/performance.json``, written by ``python -m
emogen.music.performance_fit``):

- **sustain pedal** (CC64): lifted at harmony changes, about ``pedal_lag`` s after the new
  chord's onset and pressed again ``pedal_gap`` s later (legato pedalling), as often as the real
  clips of the piece's quadrant change pedal (``pedal_seconds``, median pedal-down length) and
  never held longer than they hold it (``pedal_max``, 95th percentile). A
  note released while the pedal that caught it is down sounds until the pedal lifts, as in the
  data; one the model held across a pedal change keeps its written length (the model learned
  sounding lengths: the training clips' notes last as long as they sound);
- **timing**: every onset moved off the grid by the real clips' timing deviation (``timing``,
  s: from pairs of consecutive inter-onset intervals the score likely writes equal, within 25%:
  their difference has variance 6 sigma^2 for independent deviations; about 10 ms), and notes
  struck together spread by the real chords' asynchrony (``asynchrony`` s, a few ms);
- **touch**: the local (two-bar) mean velocity mapped affinely onto the real clips' loudness
  (``velocity_scale``, ``velocity_shift``: fitted so that the shipped model's mean velocity per
  quadrant matches the real clips'; a positive slope, so arousal still orders loudness), the
  notes around it spread as much as within a real clip (``velocity_spread``), and the top note of
  a chord brought out over the rest by the real clips' margin (``melody_accent``);
- **length**: no note sounds longer than the real clips' longest (``longest_note``, 6 s);
- **tempo**: rises with arousal when no tempo is requested (``tempo_for_arousal``); the last bar
  slows (a final ritardando, Friberg & Sundberg 1999) and its notes ring to the end;
- **key**: with no key requested, the piece moves to a tonic drawn (by the seed) from how often
  real clips of its mode use each tonic (``tonics``).

Everything random is drawn from the seed, so a piece is reproducible. ``quantize=True`` gives
the score instead: onsets and ends on the grid, no pedal, no asynchrony (for editing in a DAW).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from . import representation as rep

STYLE_FILE = Path(__file__).parent / "assets" / "performance.json"
TEMPO_RATIO = 1.25
"""tempo at arousal +1 over neutral (and neutral over arousal -1) when none is requested: EMOPIA's
clips carry no tempo (all marked 120 BPM), so the size is a choice within the range the literature
reports for arousal (Gabrielsson & Lindstrom 2010): 96-150 BPM from arousal -1 to +1"""
FINAL_RITARDANDO = 0.6  # tempo at the last beat over the piece's tempo (slowing over the last bar)
RESOLUTION = 480  # MIDI ticks per beat


def tempo_for_arousal(arousal: float) -> float:
    """BPM for an arousal (-1..+1) when the user asks for none: ``rep.DEFAULT_TEMPO`` at neutral."""
    return float(np.clip(rep.DEFAULT_TEMPO * TEMPO_RATIO ** float(arousal), rep.MIN_TEMPO, rep.MAX_TEMPO))


@dataclass
class PerformanceStyle:
    """Fitted parameters, per quadrant 1-4 where the real clips differ (see the module docstring)."""

    pedal_seconds: dict
    pedal_max: dict
    pedal_gap: dict
    pedal_lag: float
    asynchrony: dict
    timing: dict
    melody_accent: dict
    longest_note: dict
    """seconds: the real clips' 99.9th percentile of note duration"""
    velocity_scale: float
    velocity_shift: float
    velocity_spread: dict
    """standard deviation of real velocities within a clip: the model's deviations from their local
    (two-bar) mean are scaled to it"""
    tonics: dict
    """mode ('major' / 'minor') -> (12,) share of real clips with each tonic"""

    @classmethod
    def load(cls, path: str | Path | None = None) -> "PerformanceStyle":
        return _load(str(path or STYLE_FILE))

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@lru_cache(maxsize=4)
def _load(path: str) -> PerformanceStyle:
    raw = json.loads(Path(path).read_text())
    raw.pop("source", None)
    for name in ("pedal_seconds", "pedal_max", "pedal_gap", "asynchrony", "timing", "melody_accent", "velocity_spread",
                 "longest_note"):
        raw[name] = {int(q): float(v) for q, v in raw[name].items()}
    raw["tonics"] = {mode: np.asarray(p, np.float64) / np.sum(p) for mode, p in raw["tonics"].items()}
    return PerformanceStyle(**raw)


def beat_tempi(beats: int, tempi: np.ndarray, beats_per_bar: float) -> np.ndarray:
    """(beats,) BPM of every beat: ``tempi`` per beat with a ritardando over the last bar."""
    out = np.asarray(tempi, np.float64).copy()
    last = int(min(beats, max(1, round(beats_per_bar))))
    ramp = np.linspace(1.0, FINAL_RITARDANDO, last + 1)[1:]
    out[beats - last:] *= ramp
    return np.clip(out, rep.MIN_TEMPO, rep.MAX_TEMPO)


def perform(notes, steps: int, tempi: np.ndarray, time_signature: tuple[int, int], quadrants: np.ndarray,
            style: PerformanceStyle, seed: int, quantize: bool = False, program: int = 0):
    """Render grid notes as a ``pretty_midi.PrettyMIDI``.

    Args:
        notes: ``(pitch, start step, end step, velocity)`` on the sixteenth grid.
        steps: length of the piece in steps (whole bars).
        tempi: (beats,) BPM of each beat before the final ritardando.
        time_signature: (numerator, denominator).
        quadrants: (beats,) quadrant 1-4 of the emotion at each beat (which real clips to play like).
        style: the fitted parameters.
        seed: fixes the asynchrony draws.
        quantize: the score instead (grid onsets and ends, no pedal, no asynchrony).
    Returns:
        the MIDI: one piano track, tempo marks per beat, time signature, CC64 pedal (unless quantized).
    """
    import pretty_midi

    rng = np.random.default_rng(seed)
    beats = int(np.ceil(steps / rep.STEPS_PER_BEAT))
    tempo = beat_tempi(beats, tempi, rep.beats_per_bar(time_signature))
    beat_start = np.concatenate([[0.0], np.cumsum(60.0 / tempo)])

    def time_of(step: float) -> float:
        """Seconds at a (fractional) step."""
        b = min(int(step // rep.STEPS_PER_BEAT), beats - 1)
        return float(beat_start[b] + (step / rep.STEPS_PER_BEAT - b) * 60.0 / tempo[b])

    end_time = time_of(steps)
    pm = pretty_midi.PrettyMIDI(resolution=RESOLUTION, initial_tempo=float(tempo[0]))
    marks = [b for b in range(beats) if b == 0 or abs(tempo[b] - tempo[b - 1]) > 1e-6]
    pm._tick_scales = [(b * RESOLUTION, 60.0 / (float(tempo[b]) * RESOLUTION)) for b in marks]
    pm._update_tick_to_time(beats * RESOLUTION + 1)  # pretty_midi writes a tempo mark per tick scale
    pm.time_signature_changes.append(pretty_midi.TimeSignature(*time_signature, 0.0))
    track = pretty_midi.Instrument(program=program, name="piano")
    pm.instruments.append(track)
    if quantize or not notes:  # the pedal is up at the last bar line: the file lasts exactly its bars
        track.control_changes.append(pretty_midi.ControlChange(64, 0, end_time))
    if not notes:
        return pm
    notes = sorted(notes, key=lambda n: (n[1], n[0]))
    quad = [int(quadrants[min(n[1] // rep.STEPS_PER_BEAT, beats - 1)]) for n in notes]

    # 1. Touch: loudness mapped onto the real clips', the top note of a chord brought out
    raw = np.array([n[3] for n in notes], np.float64)
    local = _local_mean(np.array([n[1] for n in notes]), raw, int(round(rep.beats_per_bar(time_signature)
                                                                           * rep.STEPS_PER_BEAT)))
    deviation = raw - local
    spread = np.array([style.velocity_spread[q] for q in quad]) / max(float(deviation.std()), 1.0)
    velocity = style.velocity_shift + style.velocity_scale * local + spread * deviation
    by_step: dict[int, list[int]] = {}
    for i, n in enumerate(notes):
        by_step.setdefault(n[1], []).append(i)
    for group in by_step.values():
        if len(group) > 1:
            top = max(group, key=lambda i: notes[i][0])
            velocity[top] += style.melody_accent[quad[top]]
    velocity = np.clip(np.round(velocity), 1, 127).astype(int)

    # 2. Timing: grid times moved by the real timing deviation; chords spread by the real asynchrony
    start = np.array([time_of(n[1]) for n in notes])
    release = np.array([time_of(n[2]) for n in notes])
    if not quantize:
        for group in by_step.values():
            q = quad[group[0]]
            start[group] += np.clip(rng.normal(0.0, style.timing[q]), -3 * style.timing[q], 3 * style.timing[q])
            if len(group) > 1:
                sd = style.asynchrony[q]
                start[group] += np.clip(rng.normal(0.0, sd, len(group)), -3 * sd, 3 * sd)
        start = np.clip(start, 0.0, end_time - 1e-3)

    # 3. Pedal: lifted at the strongest harmony changes, as often as the real clips lift it
    end = release.copy()
    if not quantize:
        ups, downs = _pedal(notes, steps, time_of, quadrants, style, rep.beats_per_bar(time_signature))
        for t_down, t_up in zip(downs, ups):
            track.control_changes.append(pretty_midi.ControlChange(64, 127, t_down))
            track.control_changes.append(pretty_midi.ControlChange(64, 0, t_up))
        held = np.searchsorted(downs, release, side="right") - 1  # the last pedal-down before each release
        for i in range(len(notes)):
            k = held[i]
            # rings on to the lift if the pedal is down at its release and it started after the last
            # lift: a note the model held across a pedal change already has its sounding length (the
            # training clips' notes last as long as they sound)
            if k >= 0 and release[i] < ups[k] and (k == 0 or start[i] >= ups[k - 1]):
                end[i] = max(end[i], ups[k])
    last = np.max([n[1] for n in notes])
    end = np.where([n[1] == last for n in notes], end_time, end)  # the final chord rings to the end
    if not quantize:  # a piano string does not sound longer than real notes do
        end = np.minimum(end, start + np.array([style.longest_note[q] for q in quad]))

    # 4. No overlap of one key with itself: a note stops where the next of its pitch starts
    next_same: dict[int, float] = {}
    for i in sorted(range(len(notes)), key=lambda i: -start[i]):
        pitch = notes[i][0]
        stop = min(end[i], next_same.get(pitch, end_time), end_time)
        end[i] = max(stop, start[i] + 1e-3)
        next_same[pitch] = start[i]
    for i, n in enumerate(notes):
        track.notes.append(pretty_midi.Note(int(velocity[i]), int(n[0]), float(start[i]), float(end[i])))
    track.notes.sort(key=lambda n: (n.start, n.pitch))
    return pm


def _local_mean(starts: np.ndarray, values: np.ndarray, radius: int) -> np.ndarray:
    """(n,) mean of ``values`` over the notes starting within ``radius`` steps of each (sorted ``starts``)."""
    prefix = np.concatenate([[0.0], np.cumsum(values)])
    lo = np.searchsorted(starts, starts - radius, side="left")
    hi = np.searchsorted(starts, starts + radius, side="right")
    return (prefix[hi] - prefix[lo]) / (hi - lo)


def _pedal(notes, steps: int, time_of, quadrants: np.ndarray, style: PerformanceStyle, beats_per_bar: float):
    """(pedal-up times, pedal-down times), ascending, ``downs[k] < ups[k] <= downs[k + 1]``.

    A beat's harmony is the duration-weighted pitch classes of the notes starting in it; the
    change at a beat is one minus its cosine with the previous sounding beat's (1 for a new
    bass pitch class). The pedal changes at the highest-scoring beats, as many as the real clips
    of the quadrant would in that time (``duration / pedal_seconds``), bar lines winning ties,
    and always at the last onset (the final chord sounds clean).
    """
    per_beat = rep.STEPS_PER_BEAT
    beats = int(np.ceil(steps / per_beat))
    chroma = np.zeros((beats, 12))
    bass = np.full(beats, -1)
    for pitch, s, e, _ in notes:
        b = s // per_beat
        chroma[b, pitch % 12] += e - s
        if bass[b] < 0 or pitch < bass[b]:
            bass[b] = pitch
    first = min(n[1] for n in notes)
    score = np.zeros(beats)
    previous = None
    for b in range(beats):
        if not chroma[b].any():
            continue
        if previous is not None:
            cos = chroma[b] @ chroma[previous] / (np.linalg.norm(chroma[b]) * np.linalg.norm(chroma[previous]))
            score[b] = 1.0 - cos + (bass[b] % 12 != bass[previous] % 12)
        previous = b
    duration = time_of(steps) - time_of(first)
    q = int(np.bincount(quadrants.astype(int), minlength=5).argmax())
    changes = int(round(duration / style.pedal_seconds[q])) - 1
    strength = score + 1e-3 * (np.arange(beats) % max(1, int(round(beats_per_bar))) == 0)  # bar lines win ties
    order = [b for b in np.argsort(-strength, kind="stable") if chroma[b].any() and b * per_beat > first]
    chosen = {b for b in order[:max(changes, 0)] if score[b] > 0}
    last = max(n[1] for n in notes) // per_beat
    if last * per_beat > first:  # the final chord is pedalled afresh: nothing before it rings into it
        chosen.add(last)
    beat_time = np.array([time_of(b * per_beat) for b in range(beats + 1)])
    while True:  # no pedal held longer than real clips hold it (their 95th percentile): re-pedal inside
        bounds = sorted(chosen | {first // per_beat, beats})
        long = [(a, b) for a, b in zip(bounds, bounds[1:]) if beat_time[b] - beat_time[a] > style.pedal_max[q]]
        inside = [c for a, b in long for c in order if a < c < b and c not in chosen][:1]
        if not inside:
            break
        chosen.add(inside[0])
    gap, end = style.pedal_gap[q], time_of(steps)
    downs, ups = [time_of(first) + gap], []
    for b in sorted(chosen):
        t = time_of(min(s for _, s, _, _ in notes if s // per_beat == b)) + style.pedal_lag
        if downs[-1] < t < end - gap:
            ups.append(t)
            downs.append(t + gap)
    ups.append(end)
    if downs[-1] >= end:  # too short to press at all
        return np.zeros(0), np.zeros(0)
    return np.array(ups), np.array(downs)
