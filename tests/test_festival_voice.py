"""Festival's SLT voice as a natural source (``festival.FestivalVoice``) and the ``slt`` voice made
from it. Skipped where Festival is not installed (``apt-get install festival festvox-us-slt-hts``)."""

import numpy as np
import pytest

from emogen.errors import EmogenError
from emogen.speech import festival

pytestmark = pytest.mark.skipif(not festival.available(), reason="Festival is not installed")


@pytest.fixture(scope="module")
def source():
    return festival.FestivalVoice(sample_rate=22050)


def test_one_process_renders_each_sentence_at_the_rate_and_level_asked(source):
    short, sr = source("Hello.")
    longer, _ = source('She said "wait", then left \\ quickly.')  # quotes and a backslash reach Scheme escaped
    assert sr == 22050
    assert 0.3 < len(short) / sr < len(longer) / sr
    for audio in (short, longer):
        assert audio.dtype == np.float32
        assert np.sqrt(np.mean(audio ** 2)) == pytest.approx(festival.SOURCE_RMS, rel=1e-3)
    assert np.array_equal(source("Hello.")[0], short)  # HTS is deterministic: the same text, the same audio


def test_a_voice_festival_lacks_is_one_clear_error():
    with pytest.raises(EmogenError, match=r"^Festival has no voice voice_nobody; run: apt-get install festival"):
        festival.FestivalVoice("voice_nobody")


@pytest.mark.slow
def test_shipped_slt_voice_carries_the_emotions():
    from emogen.core.checkpoint import shipped_checkpoints_dir
    from emogen.speech.cues import measure
    from emogen.speech.pipeline import TTSPipeline

    if not (shipped_checkpoints_dir() / "tts-slt-emotion" / "model.safetensors").is_file():
        pytest.skip("the shipped acoustic checkpoint checkpoints/tts-slt-emotion is absent")
    tts = TTSPipeline.from_pretrained("slt")
    text = "The birch canoe slid on the smooth planks."
    clips = {e: tts(text, e) for e in ("neutral", "happy", "sad", "angry")}
    cues = {e: measure(c.audio, c.sample_rate) for e, c in clips.items()}
    # a female voice at its source: neutral F0 150-260 Hz (8.8-16.5 semitones re 100 Hz), no pitch shift
    assert 8.8 < cues["neutral"].f0_mean_st < 16.5
    assert cues["happy"].f0_mean_st > cues["neutral"].f0_mean_st + 2 > cues["sad"].f0_mean_st + 2
    assert cues["angry"].loudness_db > cues["neutral"].loudness_db + 5 > cues["sad"].loudness_db + 5
    assert cues["sad"].duration_s > 1.1 * cues["neutral"].duration_s
    assert np.array_equal(tts("Hello.", "happy", seed=3).audio, tts("Hello.", "happy", seed=3).audio)
