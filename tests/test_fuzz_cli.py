"""Fuzz every command with bad input: each must exit 2 with exactly one ``error:`` line, no
traceback, and leave no file behind (not even a temporary one).

The commands run in-process (``emogen.cli.main``). Bad values are refused before any model
loads, so only the cases marked ``slow`` load shipped checkpoints.
"""

from __future__ import annotations

import os
import wave
from pathlib import Path

import numpy as np
import pytest

from emogen.cli import main


def listing(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def run_cli(capsys, argv: list[str]) -> tuple[int, str, str]:
    try:
        code = main(argv)
    except SystemExit as e:  # main returns its status; an escaping SystemExit is a failure too
        code = e.code
    out = capsys.readouterr()
    return code, out.out, out.err


def assert_one_error(code: int, err: str, expect: str | None = None) -> None:
    lines = err.splitlines()
    assert code == 2, err
    assert "Traceback" not in err, err
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    if expect is not None:
        assert expect in lines[0], lines[0]


@pytest.fixture
def work(tmp_path: Path) -> dict:
    """Inputs and outputs for the cases: files that exist, a FIFO, a directory, corrupt media."""
    (tmp_path / "folder").mkdir()
    os.mkfifo(tmp_path / "fifo.wav")
    os.mkfifo(tmp_path / "fifo.mid")
    os.mkfifo(tmp_path / "fifo.mp4")
    (tmp_path / "corrupt.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    (tmp_path / "corrupt.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    (tmp_path / "corrupt.mid").write_bytes(b"MThd garbage")
    (tmp_path / "corrupt.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42 garbage")
    (tmp_path / "latin1.txt").write_bytes("caf\xe9 au lait".encode("latin-1"))
    (tmp_path / "long.txt").write_text("We did it, after all this time. " * 700)  # about 22,000 characters
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "jobs.jsonl").write_text('{"kind": "tts", "text": "Hi."}\n')
    with wave.open(str(tmp_path / "silent.wav"), "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(16000)
        w.writeframes(np.zeros(1600, np.int16).tobytes())
    return {"dir": tmp_path, "t": str(tmp_path)}


NUMBERS = ["nan", "inf", "-inf", "-1", "1e9", "abc", ""]

# (argv template, expected fragment of the error line or None); {t} is the work folder
CASES = [
    # tts: numbers
    *[(["tts", "Hi.", "--guidance", v, "-o", "{t}/o.wav"], "--guidance") for v in NUMBERS],
    *[(["tts", "Hi.", "--negative", "calm", "--negative-scale", v, "-o", "{t}/o.wav"], "--negative-scale")
      for v in NUMBERS],
    (["tts", "Hi.", "--text-guidance", "nan", "-o", "{t}/o.wav"], "--text-guidance"),
    (["tts", "Hi.", "--intensity", "1.5", "-o", "{t}/o.wav"], "--intensity"),
    (["tts", "Hi.", "--intensity", "nan", "-o", "{t}/o.wav"], "--intensity"),
    (["tts", "Hi.", "--steps", "0", "-o", "{t}/o.wav"], "--steps"),
    (["tts", "Hi.", "--steps", "2.5", "-o", "{t}/o.wav"], "--steps"),
    (["tts", "Hi.", "--steps", "99999999999999999999", "-o", "{t}/o.wav"], "--steps"),
    (["tts", "Hi.", "--speed", "0", "-o", "{t}/o.wav"], "--speed"),
    (["tts", "Hi.", "--speed", "nan", "-o", "{t}/o.wav"], "--speed"),
    (["tts", "Hi.", "--seed", "-1", "-o", "{t}/o.wav"], "--seed"),
    (["tts", "Hi.", "--seed", "1e30", "-o", "{t}/o.wav"], "--seed"),
    (["tts", "Hi.", "--sample-rate", "0", "-o", "{t}/o.wav"], "--sample-rate"),
    (["tts", "Hi.", "--sample-rate", "nan", "-o", "{t}/o.wav"], "--sample-rate"),
    # tts: text, spec and files
    (["tts", "", "-o", "{t}/o.wav"], "nothing to pronounce"),
    (["tts", "!!! ...", "-o", "{t}/o.wav"], "nothing to pronounce"),
    (["tts", "--text-file", "{t}/missing.txt", "-o", "{t}/o.wav"], "cannot read text file"),
    (["tts", "--text-file", "{t}/latin1.txt", "-o", "{t}/o.wav"], "cannot read text file"),
    (["tts", "--text-file", "{t}/folder", "-o", "{t}/o.wav"], "cannot read text file"),
    (["tts", "Hi.", "--emotion", "hapy", "-o", "{t}/o.wav"], "did you mean"),
    (["tts", "Hi.", "--emotion", "", "-o", "{t}/o.wav"], "empty emotion"),
    (["tts", "Hi.", "--emotion", "sad@0,happy@inf", "-o", "{t}/o.wav"], "out of range"),
    (["tts", "Hi.", "--emotion", "auto:nan", "-o", "{t}/o.wav"], None),
    (["tts", "Hi.", "--emotion"], "expected one argument"),
    (["tts", "Hi."], "no output"),
    (["tts", "Hi.", "-o", "/dev/full"], "not a regular file"),
    (["tts", "Hi.", "-o", "{t}/fifo.wav"], "not a regular file"),
    (["tts", "Hi.", "-o", "{t}/folder"], "is a directory"),
    (["tts", "Hi.", "-o", "{t}/nowhere/o.wav"], "does not exist"),
    (["tts", "Hi.", "-o", "/proc/o.wav"], "cannot write '/proc/o.wav'"),
    (["tts", "Hi.", "-o", "{t}/o.mp3"], "unknown audio format"),
    (["tts", "Hi.", "-o", "{t}/o.wav", "--out-dir", "{t}/batch"], "not both"),
    (["tts", "--text-file", "{t}/empty.txt", "--out-dir", "{t}/batch"], "no lines"),
    (["tts", "Hi.", "--bogus", "-o", "{t}/o.wav"], "unrecognized arguments"),
    # talk
    *[(["talk", "--text", "Hi.", "--guidance", v, "-o", "{t}/o.mp4"], "--guidance") for v in NUMBERS],
    (["talk", "--text", "Hi.", "--steps", "0", "-o", "{t}/o.mp4"], "--steps"),
    (["talk", "--text", "Hi.", "--speed", "inf", "-o", "{t}/o.mp4"], "--speed"),
    (["talk", "--text", "Hi.", "--max-seconds", "nan", "-o", "{t}/o.mp4"], "--max-seconds"),
    (["talk", "--text", "Hi.", "--max-seconds", "0", "-o", "{t}/o.mp4"], "--max-seconds"),
    (["talk", "--text", "Hi.", "--intensity", "-0.5", "-o", "{t}/o.mp4"], "--intensity"),
    (["talk", "--text-file", "{t}/long.txt", "-o", "{t}/o.mp4"], "over the limit of 120 s"),
    (["talk", "--text", "Hi.", "--image", "{t}/missing.jpg", "-o", "{t}/o.mp4"], "not found"),
    (["talk", "--text", "Hi.", "--image", "{t}/corrupt.jpg", "-o", "{t}/o.mp4"], "cannot read image"),
    (["talk", "--audio", "{t}/missing.wav", "-o", "{t}/o.mp4"], "cannot read audio"),
    (["talk", "--audio", "{t}/corrupt.wav", "-o", "{t}/o.mp4"], "cannot read audio"),
    (["talk", "--audio", "{t}/silent.wav", "-o", "{t}/o.mp4"], "silent"),
    (["talk", "--text", "Hi.", "--audio", "{t}/silent.wav", "-o", "{t}/o.mp4"], "exactly one"),
    (["talk", "-o", "{t}/o.mp4"], "exactly one"),
    (["talk", "--text", "Hi.", "-o", "{t}/o.avi"], "must be an .mp4"),
    (["talk", "--text", "Hi.", "-o", "{t}/fifo.mp4"], "not a regular file"),
    (["talk", "--text", "Hi.", "-o", "{t}/nowhere/o.mp4"], "does not exist"),
    (["talk", "--text", "Hi.", "-o", "/proc/o.mp4"], "cannot write"),
    (["talk", "--text", "Hi.", "--emotion", "-hapy", "-o", "{t}/o.mp4"], "unknown emotion"),
    # music
    *[(["music", "--emotion", "happy", "--tempo", v, "-o", "{t}/o.mid"], "--tempo") for v in NUMBERS],
    *[(["music", "--emotion", "happy", "--bars", v, "-o", "{t}/o.mid"], "--bars") for v in ["0", "nan", "1e9", "2.5"]],
    (["music", "--emotion", "happy", "--guidance", "nan", "-o", "{t}/o.mid"], "--guidance"),
    (["music", "--emotion", "happy", "--guidance", "100", "-o", "{t}/o.mid"], "--guidance"),
    (["music", "--emotion", "happy", "--negative-scale", "inf", "-o", "{t}/o.mid"], "--negative-scale"),
    (["music", "--emotion", "happy", "--mode-guidance", "-1", "-o", "{t}/o.mid"], "--mode-guidance"),
    (["music", "--emotion", "happy", "--steps", "0", "-o", "{t}/o.mid"], "--steps"),
    (["music", "--emotion", "happy", "--sample-rate", "1", "-o", "{t}/o.mid"], "--sample-rate"),
    (["music", "--emotion", "happy", "--n", "0", "--out-dir", "{t}/pieces"], "--n"),
    (["music", "--emotion", "happy", "--seed", "-5", "-o", "{t}/o.mid"], "--seed"),
    (["music", "--emotion", "happy", "--key", "H minor", "-o", "{t}/o.mid"], "unknown key"),
    (["music", "--emotion", "happy", "--time-signature", "5/4", "-o", "{t}/o.mid"], None),
    (["music", "--emotion", "happy", "-o", "{t}/o.txt"], "should end in"),
    (["music", "--emotion", "happy", "-o", "{t}/fifo.mid"], "not a regular file"),
    (["music", "--emotion", "happy", "-o", "{t}/o.mid", "--wav", "{t}/fifo.wav"], "not a regular file"),
    (["music", "--emotion", "happy", "-o", "{t}/o.mid", "--wav"], "needs a file name"),
    (["music", "--emotion", "happy", "-o", "{t}/nowhere/o.mid"], "does not exist"),
    (["music", "--emotion", "happy", "--out-dir", "{t}/jobs.jsonl"], "not a folder"),
    (["music", "--emotion", "auto", "-o", "{t}/o.mid"], "give a prompt"),
    (["music", "--emotion", "wat", "-o", "{t}/o.mid"], "unknown emotion"),
    # scene
    *[(["scene", "Hi.", "--guidance", v, "-o", "{t}/o.mp4"], "--guidance") for v in NUMBERS],
    (["scene", "Hi.", "--music-volume", "nan", "-o", "{t}/o.mp4"], "--music-volume"),
    (["scene", "Hi.", "--music-volume", "-1", "-o", "{t}/o.mp4"], "--music-volume"),
    (["scene", "Hi.", "--bars", "0", "-o", "{t}/o.mp4"], "--bars"),
    (["scene", "Hi.", "--speed", "0", "-o", "{t}/o.mp4"], "--speed"),
    (["scene", "Hi.", "--steps", "nan", "-o", "{t}/o.mp4"], "--steps"),
    (["scene", "Hi.", "--seed", "-1", "-o", "{t}/o.mp4"], "--seed"),
    (["scene", "", "-o", "{t}/o.mp4"], "no script"),
    (["scene", "We did it. " * 2000, "-o", "{t}/o.mp4"], "over the limit"),
    (["scene", "Hi.", "-o", "{t}/o.wav"], "must be an .mp4"),
    (["scene", "Hi.", "-o", "{t}/fifo.mp4"], "not a regular file"),
    (["scene", "Hi.", "--emotion", "sad:2", "-o", "{t}/o.mp4"], "out of range"),
    # batch
    (["batch", "{t}/missing.jsonl", "--out-dir", "{t}/out"], "not found"),
    (["batch", "{t}/latin1.txt", "--out-dir", "{t}/out"], "cannot read jobs file"),
    (["batch", "{t}/jobs.jsonl", "--out-dir", "{t}/jobs.jsonl"], "not a folder"),
    (["batch", "{t}/jobs.jsonl", "--out-dir", "/proc/out"], "cannot write"),
    # emotions
    (["emotions", "sad", "--intensity", "nan"], "--intensity"),
    (["emotions", "v=nan,a=0,d=0"], "out of range"),
    (["emotions", "happy:inf"], "out of range"),
    (["emotions", "-hapy"], "unknown emotion"),
    (["emotions", "--from-text", "Hi.", "sad"], "auto"),
    (["emotions", "--from-text-file", "{t}/missing.txt"], None),
    (["emotions", "sad", "--model", "x"], "--model"),
    # ser
    (["ser", "{t}/silent.wav", "--reference-neutral", "{t}/missing.wav"], "cannot read audio"),
    (["ser", "{t}/corrupt.wav", "--reference-neutral", "{t}/corrupt.wav"], "cannot read audio"),
    (["ser", "{t}/silent.wav", "--reference-neutral", "{t}/silent.wav"], "silent"),
    # eval
    (["eval", "speech", "{t}/missing.wav"], "cannot read audio"),
    (["eval", "speech", "{t}/corrupt.wav"], "cannot read audio"),
    (["eval", "speech", "{t}/silent.wav"], "silent"),
    (["eval", "face", "--max-lag", "-1", "{t}/corrupt.mp4"], "--max-lag"),
    (["eval", "face", "--max-lag", "nan", "{t}/corrupt.mp4"], "--max-lag"),
    (["eval", "controllability", "--modality", "tts", "--intensities", "nan,1"], "intensity"),
    (["eval", "controllability", "--modality", "tts", "--intensities", "0,2"], "intensity"),
    (["eval", "controllability", "--modality", "tts", "--seeds", "1"], "--seeds"),
    (["eval", "controllability", "--modality", "tts", "--steps", "0"], "--steps"),
    (["eval", "controllability", "--modality", "smell"], "unknown modality"),
    # the app and training
    (["demo", "--port", "0"], "--port"),
    (["demo", "--port", "nan"], "--port"),
    (["train", "nothing"], "unknown training task"),
    (["train", "toy2d", "--config", "configs/toy/toy2d.yaml", "train.learning_rate=nan",
      "train.output_dir={t}/run"], "train.learning_rate must be a finite number"),
    (["train", "toy2d", "--config", "configs/toy/toy2d.yaml", "train.max_steps=inf",
      "train.output_dir={t}/run"], "train.max_steps"),
    (["nonsense"], "invalid choice"),
]


@pytest.mark.parametrize("template, expect", CASES, ids=[" ".join(c[0])[:70] for c in CASES])
def test_bad_input_is_one_error_line_and_leaves_no_file(capsys, work, template, expect):
    argv = [a.replace("{t}", work["t"]) for a in template]
    before = listing(work["dir"])
    code, out, err = run_cli(capsys, argv)
    assert_one_error(code, err, expect)
    assert listing(work["dir"]) == before


@pytest.mark.slow
@pytest.mark.parametrize("template, expect", [
    (["eval", "music", "{t}/corrupt.mid"], "cannot read MIDI"),
    (["eval", "music", "{t}/missing.mid"], "not found"),
    (["eval", "face", "{t}/corrupt.mp4"], "cannot read video"),
    (["eval", "face", "{t}/missing.mp4"], "not found"),
])
def test_bad_input_after_a_model_loads(capsys, work, template, expect):
    argv = [a.replace("{t}", work["t"]) for a in template]
    before = listing(work["dir"])
    code, out, err = run_cli(capsys, argv)
    assert_one_error(code, err, expect)
    assert listing(work["dir"]) == before


def test_unexpected_errors_are_one_line_unless_debug(capsys, monkeypatch):
    import emogen.text.cli as cli  # the module that defines the `emotions` command

    def broken(args):
        raise RuntimeError("something\ninside broke")

    monkeypatch.setattr(cli, "run_emotions", broken)
    code, _, err = run_cli(capsys, ["emotions"])
    assert_one_error(code, err, "unexpected RuntimeError: something inside broke")
    assert "--debug" in err
    code, _, err = run_cli(capsys, ["emotions", "--debug"])
    assert code == 2 and "Traceback" in err and "RuntimeError: something" in err
    monkeypatch.setenv("EMOGEN_DEBUG", "1")
    code, _, err = run_cli(capsys, ["emotions"])
    assert code == 2 and "Traceback" in err


def test_ctrl_c_exits_130_without_traceback_or_temp_file(capsys, monkeypatch, tmp_path):
    import emogen.text.cli as cli  # the module that defines the `emotions` command
    from emogen.io import atomic_path

    def interrupted(args):
        with atomic_path(tmp_path / "half.wav") as tmp:
            tmp.write_bytes(b"half")
            raise KeyboardInterrupt

    monkeypatch.setattr(cli, "run_emotions", interrupted)
    code, _, err = run_cli(capsys, ["emotions"])
    assert code == 130 and "Traceback" not in err and err.strip() == "interrupted"
    assert listing(tmp_path) == set()


def test_a_spec_may_start_with_a_dash(capsys):
    from emogen.cli_args import prepare_argv

    assert prepare_argv(["tts", "Hi.", "--emotion", "-happy", "-o", "x.wav"]) == \
        ["tts", "Hi.", "--emotion=-happy", "-o", "x.wav"]
    assert prepare_argv(["tts", "Hi.", "--negative", "-sad:0.5"]) == ["tts", "Hi.", "--negative=-sad:0.5"]
    assert prepare_argv(["tts", "Hi.", "--emotion", "-o", "x.wav"]) == ["tts", "Hi.", "--emotion", "-o", "x.wav"]
    assert prepare_argv(["emotions", "-happy", "--json"]) == ["emotions", "--json", "--", "-happy"]
    assert prepare_argv(["tts", "--", "--emotion", "-happy"]) == ["tts", "--", "--emotion", "-happy"]
    assert prepare_argv(["emotions", "--from-text", "-not-bad", "auto"]) == \
        ["emotions", "--from-text", "-not-bad", "auto"]
    import json

    code, out, err = run_cli(capsys, ["emotions", "-happy", "--json"])
    assert code == 0 and json.loads(out)["valence"] < 0, err
    code, out, _ = run_cli(capsys, ["emotions", "--json", "-happy:0.5"])
    assert code == 0 and json.loads(out)["intensity"] == 0.5


def test_batch_job_with_bad_numbers_fails_alone_with_no_output(capsys, tmp_path):
    """A job's NaN guidance is refused before any model loads; the batch reports it on one line
    per job and writes only its summary."""
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text('{"kind": "tts", "text": "Hi.", "guidance_scale": NaN}\n'
                    '{"kind": "tts", "text": "Hi.", "speed": 1e9}\n'
                    '{"kind": "music", "bars": Infinity}\n'
                    '{"kind": "scene", "text": "Hi.", "music_volume": -1}\n')
    code, out, err = run_cli(capsys, ["batch", str(jobs), "--out-dir", str(tmp_path / "out")])
    assert code == 1 and "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 4 and all("error: " in line for line in lines), err
    assert "guidance_scale nan is not a finite number" in lines[0] and "speed 1e+09 is out of range" in lines[1]
    assert listing(tmp_path / "out") == {"summary.csv"}


def test_progress_bars_only_on_a_terminal_unless_asked(monkeypatch):
    import argparse
    import io

    from emogen import cli_args

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.setattr(cli_args.sys, "stderr", io.StringIO())
    assert not cli_args.show_progress(argparse.Namespace(progress=None))
    assert cli_args.show_progress(argparse.Namespace(progress=True))
    monkeypatch.setattr(cli_args.sys, "stderr", Terminal())
    assert cli_args.show_progress(argparse.Namespace(progress=None))
    assert not cli_args.show_progress(argparse.Namespace(progress=False))
