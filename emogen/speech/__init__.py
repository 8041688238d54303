"""Emotional text-to-speech: text front end, acoustic model on the shared flow core, WORLD vocoder."""


def __getattr__(name):
    # Lazy, so that importing emogen.speech (e.g. for the CLI) does not import torch models.
    if name == "TTSPipeline":
        from .pipeline import TTSPipeline

        return TTSPipeline
    if name == "SpeechResult":
        from .result import SpeechResult

        return SpeechResult
    raise AttributeError(name)


__all__ = ["SpeechResult", "TTSPipeline"]
