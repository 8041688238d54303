"""Music realism (emogen.eval.music_realism), the soft-roll decoder and the performance stage
(emogen.music.performance): pedal, durations, asynchrony, tempo, --quantize, reproducibility."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

pretty_midi = pytest.importorskip("pretty_midi")

from emogen.cli import main  # noqa: E402
from emogen.eval.music_realism import (METRICS, STATISTICS, TEXTURE, RealismReference, metrics,  # noqa: E402
                                      note_statistics, texture)
from emogen.music import representation as rep  # noqa: E402
from emogen.music.performance import PerformanceStyle, perform, tempo_for_arousal  # noqa: E402
from emogen.music.pipeline import MusicPipeline  # noqa: E402
from emogen.music.tonality import midi_notes  # noqa: E402
from test_music import make_midi, tiny_model  # noqa: E402


def sixteenths(bars=8, pitches=(60, 64, 67, 72)):
    """A rigid sixteenth-note arpeggio, every bar the same, one velocity."""
    return make_midi([[pitches[k % len(pitches)]] for k in range(16 * bars)], step_len=1)


# -- realism measures ----------------------------------------------------------------------------
def test_a_rigid_sixteenth_grid_scores_low_ioi_spread_and_full_repetition():
    grid = sixteenths()
    stats = note_statistics(midi_notes(grid))
    assert stats["log_ioi"].std() < 1e-6  # every onset 0.125 s after the last
    m = metrics(grid)
    assert m["bar_self_similarity"] == pytest.approx(1.0) and m["groove_consistency"] == pytest.approx(1.0)
    assert m["empty_beat_rate"] == 0.0 and m["polyphony"] == pytest.approx(1.0)
    assert m["pitch_class_entropy"] == pytest.approx(1.5)  # C half the notes, E and G a quarter each
    assert m["scale_consistency"] == 1.0
    reference = RealismReference.load()
    measured = reference.measure(grid, 1)
    assert set(measured) == {f"overlap_{k}" for k in (*STATISTICS, "mean")} | set(METRICS) | set(TEXTURE)
    assert measured["overlap_log_ioi"]["value"] < measured["overlap_log_ioi"]["real_5"]
    assert not measured["overlap_mean"]["inside"]


def test_texture_tells_a_melody_over_held_chords_from_block_chords():
    dt = 60.0 / 120.0 / 4
    melody = pretty_midi.PrettyMIDI(initial_tempo=120.0)
    piano = pretty_midi.Instrument(0)
    scale = [60, 62, 64, 65, 67, 69, 71, 72]
    for bar in range(2):
        piano.notes += [pretty_midi.Note(60, p, bar * 16 * dt, (bar + 1) * 16 * dt) for p in (48, 52, 55)]
        piano.notes += [pretty_midi.Note(80, p, (bar * 16 + 2 * k) * dt, (bar * 16 + 2 * k + 2) * dt)
                        for k, p in enumerate(scale)]
    melody.instruments.append(piano)
    shares, intervals = texture(melody)
    # the top voice moves over the held chord except while the chord's first melody note sounds
    assert shares["top_voice_share"] == pytest.approx(14 / 16)
    assert shares["melodic_step_share"] == pytest.approx(14 / 15)  # one octave leap back to the bar's start
    assert intervals[[1, 2, 12]].tolist() == [4, 10, 1] and intervals.sum() == 15
    block, _ = texture(make_midi([[48, 52, 55, 60]] * 8))
    assert block == {"top_voice_share": 0.0, "melodic_step_share": 0.0}


def test_silent_and_chromatic_pieces():
    assert all(np.isnan(v) for v in metrics(pretty_midi.PrettyMIDI()).values())
    chromatic = metrics(make_midi([[60 + k] for k in range(12)]))
    assert chromatic["pitch_class_entropy"] == pytest.approx(np.log2(12))
    assert chromatic["scale_consistency"] == pytest.approx(7 / 12)


def test_real_emopia_clips_score_inside_the_real_range(shared_data):
    from emogen.music.data import emopia_split

    reference = RealismReference.load()
    inside = []
    for name, quadrant in emopia_split(shared_data, "test")[:12]:
        measured = reference.measure(shared_data / "music" / "emopia" / "midis" / name, quadrant)
        inside.append(measured["overlap_mean"]["inside"])
        assert measured["overlap_mean"]["value"] > 0.3
    assert np.mean(inside) >= 0.75  # the range holds 90% of held-out clips


def test_reference_from_a_missing_folder_is_a_clear_error(tmp_path):
    from emogen.errors import EmogenError

    with pytest.raises(EmogenError, match="realism reference"):
        RealismReference.load(tmp_path / "nothing")


def test_eval_cli_reports_realism_with_the_real_range(tmp_path, capsys, tiny_quadrant_classifier):
    sixteenths().write(str(tmp_path / "g.mid"))
    assert main(["eval", "music", str(tmp_path / "g.mid"), "--classifier", str(tiny_quadrant_classifier),
                 "--json"]) == 0
    row = json.loads(capsys.readouterr().out)[0]
    assert row["realism"]["bar_self_similarity"]["value"] == pytest.approx(1.0)
    assert {"value", "real_5", "real_95", "inside"} <= set(row["realism"]["overlap_log_ioi"])


# -- decoding a soft roll --------------------------------------------------------------------------
def test_soft_rolls_decode_with_hysteresis_and_onset_peaks():
    roll = torch.full((3, rep.NUM_PITCHES, 16), -1.0)
    roll[2] = 0.0  # velocity 64 everywhere
    row = 60 - rep.LOW_PITCH
    roll[1, row, 0:3] = 0.8
    roll[1, row, 3] = -0.7  # a one-step dip ...
    roll[1, row, 4:8] = -0.2  # ... then weak but held sustain: one note 0-8
    roll[1, row, 8:12] = 0.9
    roll[0, row, 8] = -0.3  # an onset peak re-strikes at 8
    roll[1, row + 2, 14] = 0.3  # a lone weak step without onset: noise
    notes = rep.decode_notes(roll)
    assert [(p, s, e) for p, s, e, _ in notes] == [(60, 0, 8), (60, 8, 12)]


# -- the performance stage -------------------------------------------------------------------------
def grid_notes():
    """Two bars of chords and a melody on the sixteenth grid."""
    notes = []
    for bar, chord in enumerate(([48, 55, 64], [53, 57, 65])):
        notes += [(p, 16 * bar, 16 * bar + 4, 60) for p in chord]
        notes += [(72 + k, 16 * bar + 4 * k, 16 * bar + 4 * k + 2, 80) for k in range(1, 4)]
    return notes


def test_performance_holds_notes_with_the_pedal_and_spreads_chords():
    style = PerformanceStyle.load()
    tempi, quadrants = np.full(8, 120.0), np.full(8, 3)
    pm = perform(grid_notes(), 32, tempi, (4, 4), quadrants, style, seed=0)
    pedal = [c for c in pm.instruments[0].control_changes if c.number == 64]
    assert any(c.value == 127 for c in pedal) and pedal[-1].value == 0
    notes = pm.instruments[0].notes
    step = 60 / 120 / 4
    assert np.mean([n.end - n.start for n in notes]) > 2.5 * step  # held longer than written
    chord = sorted(n.start for n in notes if n.pitch in (48, 55, 64))
    assert 0 < chord[-1] - chord[0] < 0.05  # struck a few ms apart, not together
    by_pitch = {}
    for n in sorted(notes, key=lambda n: n.start):
        assert n.end > n.start and n.start >= by_pitch.get(n.pitch, -1.0)
        by_pitch[n.pitch] = n.end
    again = perform(grid_notes(), 32, tempi, (4, 4), quadrants, style, seed=0)
    other = perform(grid_notes(), 32, tempi, (4, 4), quadrants, style, seed=1)
    starts = lambda m: [n.start for n in m.instruments[0].notes]  # noqa: E731
    assert starts(again) == starts(pm) and starts(other) != starts(pm)


def test_quantize_writes_the_grid_score():
    pm = perform(grid_notes(), 32, np.full(8, 120.0), (4, 4), np.full(8, 1), PerformanceStyle.load(), 0,
                 quantize=True)
    ticks = pm.resolution // rep.STEPS_PER_BEAT
    for n in pm.instruments[0].notes:
        assert pm.time_to_tick(n.start) % ticks == 0
    assert not any(c.value > 0 for c in pm.instruments[0].control_changes)


def test_tempo_rises_with_arousal_and_the_last_bar_slows():
    tempi = [tempo_for_arousal(a) for a in (-1.0, -0.5, 0.0, 0.5, 1.0)]
    assert tempi == sorted(tempi) and tempi[2] == 120.0
    pipe = MusicPipeline(tiny_model())
    low, high = (pipe(f"v=0,a={a}", bars=2, seed=0, steps=2) for a in (-0.8, 0.8))
    assert low.tempo < high.tempo and low.duration > high.duration
    _, marks = high.midi.get_tempo_changes()
    assert marks[-1] < marks[0]  # final ritardando
    fixed = pipe("v=0,a=0.8", bars=2, seed=0, steps=2, tempo=90)
    assert fixed.tempo == 90.0
    rising = pipe("calm>angry", bars=4, seed=0, steps=2)  # a trajectory: beat by beat
    _, marks = rising.midi.get_tempo_changes()
    assert marks[0] < tempo_for_arousal(0.0) < max(marks)


def test_pipeline_quantize_and_seeds(tmp_path):
    pipe = MusicPipeline(tiny_model())
    played = pipe("sad", bars=3, seed=2, steps=2)
    score = pipe("sad", bars=3, seed=2, steps=2, quantize=True)
    assert [n.pitch for n in played.notes()] and sorted(n.pitch for n in played.notes()) == sorted(
        n.pitch for n in score.notes())
    ticks = score.midi.resolution // rep.STEPS_PER_BEAT
    assert all(score.midi.time_to_tick(n.start) % ticks == 0 for n in score.notes())
    assert any(c.value == 127 for c in played.midi.instruments[0].control_changes)
    end_tick = 3 * 4 * played.midi.resolution
    for piece in (played, score):  # exactly three bars on the file's own tempo map
        assert piece.midi.time_to_tick(piece.duration) == end_tick
    assert main(["music", "--emotion", "sad", "--bars", "2", "--steps", "2", "--quantize",
                 "--checkpoint", str(_save(tmp_path)), "-o", str(tmp_path / "q.mid")]) == 0
    q = pretty_midi.PrettyMIDI(str(tmp_path / "q.mid"))
    assert all(q.time_to_tick(n.start) % (q.resolution // 4) == 0 for inst in q.instruments for n in inst.notes)


def _save(tmp_path):
    folder = tmp_path / "tiny"
    tiny_model().save_pretrained(folder)
    return folder
