"""``TTSPipeline``: text + emotion -> waveform. Load once, call many times.

    from emogen.speech import TTSPipeline
    tts = TTSPipeline.from_pretrained("tts-slt-emotion")
    audio, sr = tts("I can't believe you remembered my birthday.", emotion="happy", intensity=0.8)

Long text is handled sentence by sentence (``stream``), so memory does not grow with its length.
Inline tags (``"[happy] We won! [sad:0.8] But the trophy broke."``) set the emotion per phrase;
trajectories (``neutral>sad``, ``happy@0,sad@3.5``) move the emotion over the speech, frame by
frame inside sentences.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import numpy as np
import torch
from tqdm import tqdm

from ..audio import limit_peak
from ..checks import check_number, check_sampling
from ..core.flow import FlowSampler, Guidance
from ..emotion import Emotion, EmotionBatch, EmotionSpec, EmotionTrajectory, parse_emotion
from ..errors import EmogenError
from . import acoustic
from .model import TTSModel
from .phonemes import phonemize_batch
from .text import check_text, has_pronounceable, normalize, parse_tagged, split_sentences

DEFAULT_CHECKPOINT = "tts-slt-emotion"
SENTENCE_GAP_S = 0.25
DEFAULT_TEMPERATURE = 0.667
# ODE steps: 4 speak as clearly as 10 (pocketsphinx WER over 20 Harvard sentences and 3 seeds:
# neutral 0.394 vs 0.413, angry 0.405 vs 0.405) in 40% of the decoder time.
DEFAULT_STEPS = 4


@dataclass
class SentenceAudio:
    """One synthesised sentence: audio, its emotion, and phone timings (for lip sync)."""

    text: str
    audio: np.ndarray  # float32 at SAMPLE_RATE
    phones: list[str]
    phone_frames: np.ndarray  # frames per phone (10 ms each)
    start_s: float  # where it starts in the whole utterance
    emotion: Emotion | None = None  # what it was spoken with (tags and 'auto' vary it by sentence)


class TTSPipeline:
    sample_rate = acoustic.SAMPLE_RATE

    def __init__(self, model: TTSModel, device: str | torch.device = "cpu", dtype: torch.dtype | None = None):
        self.model = model.eval()
        self._text_classifier = None  # loaded on first use of emotion="auto"
        self.to(device, dtype)

    @classmethod
    def from_pretrained(cls, name_or_path: str = DEFAULT_CHECKPOINT, device: str = "cpu",
                        dtype: torch.dtype | None = None) -> "TTSPipeline":
        return cls(TTSModel.from_pretrained(name_or_path), device, dtype)

    def to(self, device: str | torch.device = "cpu", dtype: torch.dtype | None = None) -> "TTSPipeline":
        self.device = torch.device(device)
        self.dtype = dtype or torch.float32
        self.model.to(self.device, self.dtype)
        return self

    # -- public API ---------------------------------------------------------------------------
    def __call__(self, text: str, emotion: "str | Emotion" = "neutral", intensity: float | None = None,
                 **options) -> tuple[np.ndarray, int]:
        """Synthesize ``text``; returns (float32 samples, sample rate). Options: ``steps``,
        ``guidance_scale``, ``negative`` (spec to steer away from), ``negative_scale``, ``speed``
        (> 1 faster), ``seed``, ``temperature``, ``text_guidance`` (default: the checkpoint's),
        ``progress``. The audio's peaks are limited to ``emogen.audio.CEILING`` (no clipping)."""
        parts = [s.audio for s in self.stream(text, emotion, intensity, **options)]
        gap = np.zeros(int(SENTENCE_GAP_S * self.sample_rate), dtype=np.float32)
        out = [x for part in parts for x in (part, gap)][:-1]
        return np.concatenate(out), self.sample_rate

    def stream(self, text: str, emotion: "str | Emotion" = "neutral", intensity: float | None = None,
               steps: int = DEFAULT_STEPS, guidance_scale: float = 1.0, negative: "str | EmotionSpec | None" = None,
               negative_scale: float = 1.0, speed: float = 1.0, seed: int = 0,
               temperature: float = DEFAULT_TEMPERATURE, text_guidance: float | None = None,
               progress: bool = False) -> Iterator[SentenceAudio]:
        """Yield each sentence's audio as soon as it is made; ``progress`` draws a bar on stderr."""
        check_text(text)
        check_sampling(steps, guidance_scale, negative_scale, speed, seed)
        check_number(temperature, "temperature", 0.0, 2.0)
        if text_guidance is None:
            text_guidance = self.model.config.text_guidance
        check_number(text_guidance, "text guidance", 0.0, 10.0)
        from ..text.auto import parse_auto  # light; the classifier loads only if 'auto' is used

        auto_scale = parse_auto(emotion) if isinstance(emotion, str) else None
        if auto_scale is not None and intensity is not None:
            raise EmogenError("with --emotion auto, scale the inferred intensity as auto:SCALE, not --intensity")
        default = None if auto_scale is not None else parse_emotion(emotion, intensity)
        negative_spec = parse_emotion(negative) if negative else None
        if isinstance(negative_spec, EmotionTrajectory):
            raise EmogenError("a negative emotion must be a single spec, not a trajectory")
        sentences = [(s, seg.emotion) for seg in parse_tagged(text, default) for s in split_sentences(seg.text)]
        sentences = [(s, e) for s, e in sentences if has_pronounceable(s)]  # drop stray "!!!" and the like
        if not sentences:
            raise EmogenError("the text has nothing to pronounce; give words in English")
        if auto_scale is not None:  # emotion from the words of each untagged sentence (emogen.text)
            sentences = self._infer_emotions(sentences, auto_scale)
        sentences = [(normalize(s), e) for s, e in sentences]
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

        if self._text_classifier is None:
            from ..text.classifier import DEFAULT_MODEL, TextEmotionClassifier

            self._text_classifier = TextEmotionClassifier.from_pretrained(DEFAULT_MODEL)
        untagged = [s for s, e in sentences if e is None]
        specs = iter(infer_specs(untagged, scale, classifier=self._text_classifier)[0]) if untagged else iter(())
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
