"""``TTSPipeline``: text + emotion -> speech. Load once, call many times.

    from emogen.speech import TTSPipeline
    tts = TTSPipeline.from_pretrained("tts-slt-emotion")
    speech = tts("I can't believe you remembered my birthday.", emotion="happy", intensity=0.8)
    speech.save("birthday.wav")                 # or: audio, sr = speech (float32 samples, Hz)

Long text is handled sentence by sentence (``stream``), so memory does not grow with its length.
Inline tags (``"[happy] We won! [sad:0.8] But the trophy broke."``) set the emotion per phrase;
trajectories (``neutral>sad``, ``happy@0,sad@3.5``) move the emotion over the speech, frame by
frame inside sentences.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np
import torch
from tqdm import tqdm

from ..audio import limit_peak
from ..checks import check_number, check_sampling
from ..core.flow import FlowSampler, Guidance
from ..core.pipeline import Pipeline
from ..emotion import Emotion, EmotionBatch, EmotionSpec, EmotionTrajectory, parse_emotion
from ..errors import EmogenError
from . import acoustic
from .model import TTSModel
from .phonemes import phonemize_batch
from .result import SENTENCE_GAP_S, SentenceAudio, SpeechResult
from .text import check_text, has_pronounceable, normalize, parse_tagged, split_sentences

DEFAULT_CHECKPOINT = "tts-slt-emotion"
DEFAULT_TEMPERATURE = 0.667
# ODE steps: 4 speak as clearly as 10 (pocketsphinx WER over 20 Harvard sentences and 3 seeds:
# neutral 0.394 vs 0.413, angry 0.405 vs 0.405) in 40% of the decoder time.
DEFAULT_STEPS = 4

def check_inputs(text: str, emotion, intensity: float | None, steps: int, guidance_scale: float,
                 negative_scale: float, speed: float, seed: int, temperature: float, text_guidance: float,
                 negative) -> tuple[float | None, Emotion | None, EmotionSpec | None]:
    """Fail early with one readable line. Returns (the ``auto`` scale or None, the default emotion
    (None with ``auto``), the negative spec or None)."""
    from ..text.auto import auto_scale  # light; the classifier loads only if 'auto' is used

    check_text(text)
    check_sampling(steps, guidance_scale, negative_scale, speed, seed)
    check_number(temperature, "temperature", 0.0, 2.0)
    check_number(text_guidance, "text guidance", 0.0, 10.0)
    scale = auto_scale(emotion, intensity)
    default = None if scale is not None else parse_emotion(emotion, intensity)
    negative_spec = parse_emotion(negative) if negative else None
    if isinstance(negative_spec, EmotionTrajectory):
        raise EmogenError("a negative emotion must be a single spec, not a trajectory")
    return scale, default, negative_spec


class TTSPipeline(Pipeline):
    """Emotional text-to-speech (see the module doc). ``TTSPipeline(model, device, dtype)`` wraps a
    ``TTSModel``; ``TTSPipeline.from_pretrained(name_or_path, device, dtype)`` loads one."""

    model_class = TTSModel
    default_checkpoint = DEFAULT_CHECKPOINT
    sample_rate = acoustic.SAMPLE_RATE

    # -- public API ---------------------------------------------------------------------------
    def __call__(self, text: str, emotion: "str | Emotion" = "neutral", intensity: float | None = None,
                 **options) -> SpeechResult:
        """Synthesize ``text``; writes no file.

        Args:
            text: English text; inline tags (``[sad:0.8]``) set the emotion from there on.
            emotion: a spec, a trajectory, or ``auto`` / ``auto:SCALE`` (from the words); intensity: 0..1.
            options: those of :meth:`stream` (``steps``, ``guidance_scale``, ``negative``,
                ``negative_scale``, ``speed`` (> 1 faster), ``seed``, ``temperature``, ``text_guidance``, ``progress``).

        Returns:
            a :class:`SpeechResult`: ``.audio`` (samples,) float32, ``.sample_rate`` Hz,
            ``.sentences`` (phones and timings), ``.save(path)``; it also unpacks as
            ``audio, sample_rate = tts(...)``. Peaks are limited to ``emogen.audio.CEILING`` (no clipping).
        """
        return SpeechResult.join(list(self.stream(text, emotion, intensity, **options)), self.sample_rate)

    def stream(self, text: str, emotion: "str | Emotion" = "neutral", intensity: float | None = None,
               steps: int = DEFAULT_STEPS, guidance_scale: float = 1.0, negative: "str | EmotionSpec | None" = None,
               negative_scale: float = 1.0, speed: float = 1.0, seed: int = 0,
               temperature: float = DEFAULT_TEMPERATURE, text_guidance: float | None = None,
               progress: bool = False) -> Iterator[SentenceAudio]:
        """Yield each sentence's :class:`SentenceAudio` as soon as it is made; ``progress`` draws a bar on stderr."""
        # 1. Check inputs
        if text_guidance is None:
            text_guidance = self.model.config.text_guidance
        scale, default, negative_spec = check_inputs(text, emotion, intensity, steps, guidance_scale, negative_scale,
                                                     speed, seed, temperature, text_guidance, negative)
        # 2. Split into sentences, each with its emotion (inline tags; 'auto': from its words)
        sentences = [(s, seg.emotion) for seg in parse_tagged(text, default) for s in split_sentences(seg.text)]
        sentences = [(s, e) for s, e in sentences if has_pronounceable(s)]  # drop stray "!!!" and the like
        if not sentences:
            raise EmogenError("the text has nothing to pronounce; give words in English")
        if scale is not None:  # emotion from the words of each untagged sentence (emogen.text)
            sentences = self._infer_emotions(sentences, scale)
        sentences = [(normalize(s), e) for s, e in sentences]
        # 3. Phonemize, then synthesize sentence by sentence (WORLD frames -> vocoder)
        total_chars = sum(len(s) for s, _ in sentences)
        generator = torch.Generator().manual_seed(seed)
        clock, chars = 0.0, 0
        bar = tqdm(total=len(sentences), desc="speaking", unit="sentence", disable=not progress, leave=False)
        for (sentence, spec), ph in zip(sentences, phonemize_batch([s for s, _ in sentences])):
            fraction = (chars + len(sentence) / 2) / total_chars
            frames, durations = self._synthesize(ph.ids(boundaries=False), spec, clock, fraction, steps,
                                                 guidance_scale, negative_spec, negative_scale, speed, generator,
                                                 temperature, text_guidance)
            # the output stage: no NaN, and peaks limited below full scale (emogen.audio)
            audio = limit_peak(acoustic.synthesize(acoustic.WorldFrames.unstack(frames)), self.sample_rate)
            bar.update()
            yield SentenceAudio(sentence, audio, ph.phones, durations, clock, spec)
            clock += len(audio) / self.sample_rate + SENTENCE_GAP_S
            chars += len(sentence)
        bar.close()

    def _infer_emotions(self, sentences, scale: float):
        from ..text.auto import infer_specs

        untagged = [s for s, e in sentences if e is None]
        specs = iter(infer_specs(untagged, scale)[0] if untagged else ())
        return [(s, e if e is not None else next(specs)) for s, e in sentences]

    # -- one sentence --------------------------------------------------------------------------
    @torch.no_grad()
    def _synthesize(self, ids: list[int], emotion: Emotion, clock: float, fraction: float, steps: int,
                    guidance_scale: float, negative: EmotionSpec | None, negative_scale: float, speed: float,
                    generator: torch.Generator, temperature: float,
                    text_guidance: float) -> tuple[np.ndarray, np.ndarray]:
        m, dev = self.model, self.device
        phone_ids = torch.tensor([ids], device=dev)
        mask = torch.ones_like(phone_ids, dtype=torch.bool)
        sentence_emotion = self._emotion_rows(emotion, [clock], fraction)  # (1, e)
        h, log_dur = m.encode_text(phone_ids, mask, sentence_emotion)
        frames_per_phone = torch.expm1(log_dur.float()) * m.config.duration_scale / speed
        durations = torch.clamp(torch.round(frames_per_phone), min=1).long()
        n = int(durations.sum())
        frame_times = clock + np.arange(n) * acoustic.FRAME_PERIOD_MS / 1000.0
        frame_emotion = (self._emotion_rows(emotion, frame_times, fraction)[None]
                         if isinstance(emotion, EmotionTrajectory) else sentence_emotion)

        def context_for(vector):
            enc = h if vector is None else m.encode_text(phone_ids, mask, vector)[0]
            return m.decoder_context(enc, durations, n)[0]

        guidance = Guidance(guidance_scale, m.emotion_encoder.null_embedding)
        contexts = [context_for(None)]
        if negative is not None:
            negative_vector = m.emotion_encoder(EmotionBatch.from_specs([negative]).to(dev)).to(self.dtype)
            guidance.negatives = [(negative_vector, negative_scale)]
        if guidance.needs_null:
            contexts.append(context_for(m.emotion_encoder.null_embedding[None].to(self.dtype)))
            if negative is not None:
                contexts.append(context_for(negative_vector))
        # a temperature below 1 starts the ODE closer to the mode (Grad-TTS, Matcha-TTS): clearer speech
        noise = temperature * torch.randn((1, m.config.feature_dims, n), generator=generator).to(dev, self.dtype)
        x = FlowSampler(steps).sample(m.velocity, noise, frame_emotion, guidance,
                                      context=contexts if len(contexts) > 1 else contexts[0],
                                      text_guidance=text_guidance)
        frames = m.denormalize(x.float())[0].cpu().numpy()
        return frames, durations[0].cpu().numpy()

    def _emotion_rows(self, emotion: Emotion, times, fraction: float) -> torch.Tensor:
        """Emotion vectors at ``times`` seconds: (len(times), e), or (1, e) for one time."""
        if isinstance(emotion, EmotionTrajectory) and emotion.keyframes[0].time is None:
            # segments spread over the text: position by share of characters spoken
            batch = EmotionBatch.from_trajectory(emotion, [fraction] * len(times), duration=1.0)
        else:  # a static spec, or keyframes at absolute seconds (the duration is then unused)
            batch = EmotionBatch.from_trajectory(emotion, list(times), duration=max(times[-1], 1e-3))
        return self.model.emotion_encoder(batch.to(self.device)).to(self.dtype)
