"""``TTSPipeline``: text + emotion -> speech. Load once, call many times.

    from emogen.speech import TTSPipeline
    tts = TTSPipeline.from_pretrained("joe")    # a voice (``emogen voices``), or an acoustic checkpoint
    speech = tts("I can't believe you remembered my birthday.", emotion="happy", intensity=0.8)
    speech.save("birthday.wav")                 # or: audio, sr = speech (float32 samples, Hz)

Long text is handled sentence by sentence (``stream``), so memory does not grow with its length.
Inline tags (``"[happy] We won! [sad:0.8] But the trophy broke."``) set the emotion per phrase;
trajectories (``neutral>sad``, ``happy@0,sad@3.5``) move the emotion over the speech, frame by
frame inside sentences.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Iterator

import numpy as np
import torch
from tqdm import tqdm

from ..audio import limit_peak
from ..checks import check_number, check_sampling
from ..core.flow import FlowSampler, Guidance
from ..core.pipeline import Pipeline, cached
from ..emotion import Emotion, EmotionBatch, EmotionSpec, EmotionTrajectory, parse_emotion
from ..errors import EmogenError
from . import acoustic
from .model import TTSModel
from .phonemes import phonemize_batch
from .result import SENTENCE_GAP_S, SentenceAudio, SpeechResult
from .text import check_text, has_pronounceable, normalize, parse_tagged, split_sentences
from .voices import DEFAULT_VOICE, VOICES, Voice, resolve_voice

DEFAULT_CHECKPOINT = "tts-slt-emotion"  # the acoustic model every shipped voice uses
DEFAULT_TEMPERATURE = 0.667
# ODE steps: 4 spoke as clearly as 10 (pocketsphinx WER over 20 Harvard sentences and 3 seeds:
# neutral 0.394 vs 0.413, angry 0.405 vs 0.405) in 40% of the decoder time; 3 keep the natural
# voices' DNSMOS, WER and emotion (benchmarks/tts.py, docs/speech.md) and cut emotional speech's
# RTF on 2 cores (happy 0.104 -> 0.095; the decoder runs twice per sentence, neutral and emotional).
DEFAULT_STEPS = 3
# Piper's sampling noise for natural voices: none, so that a seed fixes the result (its graph's random
# ops cannot be seeded per call). On 20 Harvard sentences (Whisper tiny.en WER / DNSMOS P.808): 0.119 /
# 3.85 at 0 and 0; 0.119 / 3.87 at noise scale 0.333, width 0; 0.156 / 3.92 at 0.333, 0.8 (one draw each).
PIPER_NOISE = (0.0, 0.0)

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
    """Emotional text-to-speech (see the module doc). ``TTSPipeline(model, device, dtype, voice)``
    wraps a ``TTSModel`` (``voice``: a :class:`Voice`; default: the model through WORLD);
    ``TTSPipeline.from_pretrained(voice_or_checkpoint, device, dtype)`` loads one."""

    model_class = TTSModel
    default_checkpoint = DEFAULT_VOICE

    def __init__(self, model: TTSModel, device=None, dtype=None, voice: Voice | None = None):
        self.voice = voice or resolve_voice(DEFAULT_CHECKPOINT)
        self.sample_rate = self.voice.sample_rate if self.voice.waveform == "natural" else acoustic.SAMPLE_RATE
        self._source = self._beside = None
        super().__init__(model, device, dtype)

    @classmethod
    def from_pretrained(cls, name_or_path: str | None = None, device=None, dtype=None, **components):
        """Load a voice by name (``emogen voices``; default ``DEFAULT_VOICE``) or an acoustic
        checkpoint (a shipped name or a directory; spoken through WORLD) onto ``device`` in ``dtype``."""
        voice = resolve_voice(name_or_path)
        pipe = cls(TTSModel.from_pretrained(voice.checkpoint), device=device, dtype=dtype, voice=voice, **components)
        if voice.waveform == "natural":
            pipe.source  # load the natural source now, not on the first request
        return pipe

    @classmethod
    def shared_key(cls, name_or_path: str | None) -> str:
        voice = resolve_voice(name_or_path or cls.default_checkpoint)
        return voice.name if voice.name in VOICES else super().shared_key(voice.checkpoint)

    @classmethod
    def _load_shared(cls, name_or_path: str, device: torch.device, dtype: torch.dtype):
        """Shared voices on one acoustic checkpoint share its network, and those on one natural source
        share its runtime: ``joe`` and ``joan`` together hold one model and one Piper session, not two
        of each (the app loads both when its voice menu changes). Both are read-only at inference;
        onnxruntime sessions take concurrent runs."""
        voice = resolve_voice(name_or_path)
        checkpoint = super().shared_key(voice.checkpoint)
        model = cached(("tts-model", checkpoint, str(device), dtype),
                       lambda: TTSModel.from_pretrained(voice.checkpoint).to(device, dtype))
        pipe = cls(model, device=device, dtype=dtype, voice=voice)
        if voice.waveform == "natural":
            pipe._source = cached(("natural-source", voice.source), pipe._load_source)
        return pipe

    @property
    def source(self):
        """The natural voice's source runtime, Piper or Festival: text -> (neutral audio, sample
        rate) (``natural`` voices only; loaded on first use)."""
        if self._source is None:
            self._source = self._load_source()
        return self._source

    def _load_source(self):
        from .natural import PiperVoice

        from ..cpu import usable_cores

        if self.voice.festival_voice is not None:
            from .festival import FestivalVoice

            return FestivalVoice(self.voice.festival_voice, self.voice.sample_rate)

        threads = max(1, min(torch.get_num_threads(), usable_cores()) // 2)  # half the cores (_cores_shared)
        return PiperVoice(self.voice.piper_package, noise_scale=PIPER_NOISE[0], noise_w=PIPER_NOISE[1],
                          threads=threads)

    @contextmanager
    def _cores_shared(self):
        """Torch's threads lowered to the cores the source (Piper, Festival) leaves free, for one
        sentence, so that it runs beside the model (:meth:`_start_source`) instead of after it. On a
        quiet 2-core Xeon the model's small matrices gain little from a second thread: one thread
        each, side by side, ran emotional speech at RTF 0.10 against 0.14 with two threads one after
        the other (``benchmarks/tts_speed.py``). Where the cores cannot hold both, nothing changes."""
        from ..cpu import usable_cores

        before, free = torch.get_num_threads(), usable_cores() - self.source.threads
        if before + self.source.threads <= usable_cores() or free < 1:
            yield
            return
        torch.set_num_threads(free)
        try:
            yield
        finally:
            torch.set_num_threads(before)

    def _start_source(self, sentence: str) -> Future | None:
        """The source's neutral audio of ``sentence`` (Piper's, or Festival's from its process), started
        in a thread beside the model (the two are independent until PSOLA; onnxruntime, a pipe and
        torch release the GIL), where the cores hold both; None elsewhere, and the caller runs the
        source after the model. Never more threads than cores: torch's OpenMP threads meet at every
        operator, so one descheduled thread stalls them all."""
        from ..cpu import usable_cores

        if torch.get_num_threads() + self.source.threads > usable_cores():
            return None
        if self._beside is None:
            self._beside = ThreadPoolExecutor(1, thread_name_prefix="emogen-source")
        return self._beside.submit(self.source, sentence)

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
        # 3. Phonemize, then synthesize sentence by sentence (WORLD frames -> the voice's waveform stage)
        total_chars = sum(len(s) for s, _ in sentences)
        generator = torch.Generator().manual_seed(seed)
        clock, chars = 0.0, 0
        sample = dict(steps=steps, speed=speed, generator=generator, temperature=temperature,
                      text_guidance=text_guidance)
        bar = tqdm(total=len(sentences), desc="speaking", unit="sentence", disable=not progress, leave=False)
        ahead = None  # the source's audio of this sentence, started while the previous one was finished
        for k, ((sentence, spec), ph) in enumerate(zip(sentences, phonemize_batch([s for s, _ in sentences]))):
            fraction = (chars + len(sentence) / 2) / total_chars
            ids = ph.ids(boundaries=False)
            if self.voice.waveform == "natural":
                with self._cores_shared():  # (decides whether the source can run beside the model)
                    pending = ahead or self._start_source(sentence)
                    # the next sentence queued behind this one: the source's thread then works through
                    # this sentence's PSOLA and the next one's model instead of waiting for them
                    ahead = self._start_source(sentences[k + 1][0]) if pending and k + 1 < len(sentences) else None
                    audio, durations = self._natural(sentence, ids, spec, clock, fraction, guidance_scale,
                                                     negative_spec, negative_scale, seed, pending, **sample)
            else:
                frames, durations, _ = self._synthesize(ids, spec, clock, fraction, guidance_scale, negative_spec,
                                                        negative_scale, **sample)
                audio = acoustic.synthesize(acoustic.WorldFrames.unstack(frames))
            # the output stage: no NaN, and peaks limited below full scale (emogen.audio)
            audio = limit_peak(audio, self.sample_rate)
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
    def _natural(self, sentence: str, ids: list[int], emotion: Emotion, clock: float, fraction: float,
                 guidance_scale: float, negative: EmotionSpec | None, negative_scale: float, seed: int,
                 pending: Future | None, speed: float, **sample) -> tuple[np.ndarray, np.ndarray]:
        """The natural stage (``natural.py``): the source's (Piper's or Festival's) neutral audio moved
        by the model's emotional rendering relative to its neutral one (same phones, same noise).
        ``pending``: the source's run on ``sentence`` started beside the model (:meth:`_start_source`),
        or None to run it after.
        Returns the audio (samples,) and frames (10 ms) per phone in it (p,), for lip sync."""
        from . import natural
        from .emotion_prosody import BREATHINESS_BY_SEX

        neutral = _is_neutral(emotion) and negative is None  # then only the neutral timing is needed
        neutral_frames, neutral_durations, noise = self._synthesize(ids, NEUTRAL, clock, fraction, 1.0, None, 1.0,
                                                                    speed=speed, decode=not neutral, **sample)
        n = int(neutral_durations.sum())
        breath, loudness = self._cue_rows(emotion, clock, n, fraction, ("breathiness", "stage_loudness_db"))
        breath = breath * BREATHINESS_BY_SEX.get(self.voice.sex, 1.0)
        if neutral:
            changes = natural.ProsodyChanges.none(n)
            changes.breath = breath
            durations = neutral_durations
        else:
            frames, durations, _ = self._synthesize(ids, emotion, clock, fraction, guidance_scale, negative,
                                                    negative_scale, speed=speed,
                                                    reference=(noise, neutral_durations), **sample)
            changes = natural.relative_prosody(neutral_frames, neutral_durations, frames, durations, breath)
        changes.gain_db = changes.gain_db + loudness
        base, _ = pending.result() if pending is not None else self.source(sentence)
        audio, _ = natural.apply_prosody(base, self.sample_rate, changes, seed=seed, shift=self.voice.shift,
                                          f0_range_hz=self.voice.f0_range_hz)
        # phone timings for lip sync: the model's emotional durations spread over the natural audio
        total = len(audio) / self.sample_rate * 1000.0 / acoustic.FRAME_PERIOD_MS
        ends = np.round(np.cumsum(durations) * total / max(int(np.sum(durations)), 1)).astype(int)
        return audio, np.diff(np.concatenate([[0], ends]))

    def _cue_rows(self, emotion: Emotion, clock: float, n: int, fraction: float,
                  cues: tuple[str, ...]) -> np.ndarray:
        """Cues of the table (``emotion_prosody.changes_for``) at each of ``n`` frames from ``clock``
        seconds: (len(cues), n). For cues the acoustic model does not generate (breathiness, fear's
        loudness); a trajectory's weights are found once per frame for all of them."""
        from .emotion_prosody import changes_for

        def values(spec) -> np.ndarray:
            changes = changes_for(spec)
            return np.array([getattr(changes, cue) for cue in cues])

        if not isinstance(emotion, EmotionTrajectory):
            return np.repeat(values(emotion)[:, None], n, axis=1)
        value = {k.spec: values(k.spec) for k in emotion.keyframes}  # once per keyframe

        def blend(pairs) -> np.ndarray:
            return sum(w * value[spec] for spec, w in pairs)

        if emotion.keyframes[0].time is None:  # segments spread over the text: one position per sentence
            return np.repeat(blend(emotion.weights_at(fraction, 1.0))[:, None], n, axis=1)
        times = clock + np.arange(n) * acoustic.FRAME_PERIOD_MS / 1000.0
        return np.stack([blend(emotion.weights_at(float(t), max(times[-1], 1e-3))) for t in times], axis=1)

    @torch.no_grad()
    def _synthesize(self, ids: list[int], emotion: Emotion, clock: float, fraction: float,
                    guidance_scale: float, negative: EmotionSpec | None, negative_scale: float, steps: int,
                    speed: float, generator: torch.Generator, temperature: float, text_guidance: float,
                    reference: tuple[torch.Tensor, np.ndarray] | None = None, decode: bool = True
                    ) -> tuple[np.ndarray | None, np.ndarray, torch.Tensor]:
        """WORLD frames (n, f), frames per phone (p,) and the starting noise (1, f, n) of one
        sentence. ``reference``: another rendering's noise and durations; this one then starts from
        the same noise, warped onto its own phone durations (``natural.align``), so the two differ
        by the emotion, not by the draw. ``decode=False`` skips the decoder (frames None): the
        durations and the noise (drawn all the same, so later sentences get the same draws)."""
        m, dev = self.model, self.device
        phone_ids = torch.tensor([ids], device=dev)
        mask = torch.ones_like(phone_ids, dtype=torch.bool)
        sentence_emotion = self._emotion_rows(emotion, [clock], fraction)  # (1, e)
        h, log_dur = m.encode_text(phone_ids, mask, sentence_emotion)
        frames_per_phone = torch.expm1(log_dur.float()) * m.config.duration_scale / speed
        durations = torch.clamp(torch.round(frames_per_phone), min=1).long()
        n = int(durations.sum())
        # a temperature below 1 starts the ODE closer to the mode (Grad-TTS, Matcha-TTS): clearer speech
        if reference is None:
            noise = temperature * torch.randn((1, m.config.feature_dims, n), generator=generator).to(dev, self.dtype)
        else:
            from .natural import align

            source = align(durations[0].cpu().numpy(), reference[1])  # each of our frames -> the reference's
            noise = reference[0][:, :, torch.from_numpy(source).to(dev)]
        if not decode:
            return None, durations[0].cpu().numpy(), noise
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

        def fp32_velocity(*args, **kwargs):  # the ODE state, guidance and steps keep full precision
            return m.velocity(*args, **kwargs).float()

        fast = self._bf16_decoder()
        with torch.autocast("cpu", torch.bfloat16, enabled=fast):  # one weight cast for all the steps
            x = FlowSampler(steps).sample(fp32_velocity if fast else m.velocity, noise, frame_emotion, guidance,
                                          context=contexts if len(contexts) > 1 else contexts[0],
                                          text_guidance=text_guidance)
        frames = m.denormalize(x.float())[0].cpu().numpy()
        return frames, durations[0].cpu().numpy(), noise

    def _bf16_decoder(self) -> bool:
        """Whether the decoder runs in bf16 (autocast): for natural voices in fp32 on a CPU that
        multiplies bf16 in hardware (AMX, AVX512-BF16). Their waveform takes only the smoothed
        difference of two renderings, which bf16 moves by about 0.01 semitone and 0.05 dB (16
        sentence x emotion pairs), at half the decoder's time. The WORLD voices vocode the frames
        themselves and stay in fp32."""
        from ..cpu import cpu_has_bf16_units

        return (self.voice.waveform == "natural" and self.device.type == "cpu" and self.dtype == torch.float32
                and cpu_has_bf16_units())

    def _emotion_rows(self, emotion: Emotion, times, fraction: float) -> torch.Tensor:
        """Emotion vectors at ``times`` seconds: (len(times), e), or (1, e) for one time."""
        if isinstance(emotion, EmotionTrajectory) and emotion.keyframes[0].time is None:
            # segments spread over the text: position by share of characters spoken
            batch = EmotionBatch.from_trajectory(emotion, [fraction] * len(times), duration=1.0)
        else:  # a static spec, or keyframes at absolute seconds (the duration is then unused)
            batch = EmotionBatch.from_trajectory(emotion, list(times), duration=max(times[-1], 1e-3))
        return self.model.emotion_encoder(batch.to(self.device)).to(self.dtype)


NEUTRAL = parse_emotion("neutral")


def _is_neutral(emotion: Emotion) -> bool:
    return isinstance(emotion, EmotionSpec) and (emotion.is_neutral or emotion.intensity == 0)
