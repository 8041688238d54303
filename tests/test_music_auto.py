"""``emogen music --emotion auto``: the piece's emotion read from a text prompt (emogen.text)."""

import json

import pytest

pytest.importorskip("pretty_midi")

from emogen.cli import main  # noqa: E402
from emogen.core.checkpoint import shipped_checkpoints_dir  # noqa: E402
from emogen.emotion import EmotionSpec, EmotionTrajectory  # noqa: E402
from emogen.errors import EmogenError  # noqa: E402

SHIPPED = shipped_checkpoints_dir()
pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    not (SHIPPED / "music-emopia" / "model.safetensors").is_file()
    or not (SHIPPED / "text-emotion-goemotions").is_dir(),
    reason="music or text-emotion checkpoint not shipped")]
SAD = "I miss her so much, I cannot stop crying."
HAPPY = "We won! This is the best day of my life!"


@pytest.fixture(scope="module")
def pipe():
    from emogen.music import MusicPipeline

    return MusicPipeline.from_pretrained("music-emopia")


def test_auto_reads_the_prompt(pipe):
    sad = pipe.resolve_emotion("auto", prompt=SAD)
    assert isinstance(sad, EmotionSpec) and [c.emotion for c in sad.components] == ["sad"]
    assert sad.intensity > 0.3
    half = pipe.resolve_emotion("auto:0.5", prompt=SAD)
    assert half.intensity == pytest.approx(sad.intensity / 2, abs=0.01)
    result = pipe("auto", prompt=SAD, bars=2, steps=2)
    assert result.emotion == sad and result.describe()["emotion"]["components"][0]["emotion"] == "sad"
    # a script: one emotion per line, the piece moves through them (empty lines are paragraph breaks)
    moving = pipe.resolve_emotion("auto", prompt=f"{HAPPY}\n\n{SAD}\n")
    assert isinstance(moving, EmotionTrajectory)
    assert [k.spec.components[0].emotion for k in moving.keyframes] == ["happy", "sad"]
    assert pipe("happy", bars=1, steps=2).emotion.components[0].emotion == "happy"  # other specs unchanged


def test_auto_needs_a_prompt_and_no_intensity(pipe):
    for kwargs in ({}, {"prompt": "   \n "}, {"prompt": SAD, "intensity": 0.5}):
        with pytest.raises(EmogenError):
            pipe("auto", bars=1, steps=2, **kwargs)
    with pytest.raises(EmogenError, match="only read with emotion 'auto'"):
        pipe("sad", prompt=SAD, bars=1, steps=2)


def test_cli_prompt_and_prompt_file(tmp_path, capsys):
    assert main(["music", "--emotion", "auto", "--prompt", SAD, "--bars", "2", "--steps", "2",
                 "-o", str(tmp_path / "a.mid"), "--json"]) == 0
    described = json.loads(capsys.readouterr().out)
    assert described["emotion"]["components"][0]["emotion"] == "sad" and (tmp_path / "a.mid").is_file()
    (tmp_path / "script.txt").write_text(f"{HAPPY}\n{SAD}\n")
    assert main(["music", "--emotion", "auto:0.5", "--prompt-file", str(tmp_path / "script.txt"), "--bars", "2",
                 "--steps", "2", "-o", str(tmp_path / "b.mid")]) == 0
    assert "emotion from the prompt: happy" in capsys.readouterr().out
    for argv, message in [(["--emotion", "auto"], "give a prompt"),
                          (["--emotion", "auto", "--prompt", SAD, "--intensity", "0.5"], "auto:SCALE"),
                          (["--emotion", "sad", "--prompt", SAD], "only with --emotion auto"),
                          (["--emotion", "auto", "--prompt-file", str(tmp_path / "missing.txt")], "cannot read"),
                          (["--emotion", "auto", "--prompt", SAD, "--prompt-file", str(tmp_path / "script.txt")],
                           "not both")]:
        assert main(["music", *argv, "-o", str(tmp_path / "c.mid")]) == 2
        assert message in capsys.readouterr().err
    assert not (tmp_path / "c.mid").exists()
