"""The emotional acoustic model: phones + emotion -> WORLD frames, by flow matching.

Shape legend: b = batch, p = phones, n = frames, h = hidden, f = acoustic features
(``acoustic.feature_dims()``), e = emotion vector size.

Parts (Matcha-TTS's layout, on the shared core):
- the shared ``EmotionEncoder`` turns the spec into a vector (per phone / per frame when it
  changes over time);
- a text encoder (transformer with emotion adaptive norm) over phone embeddings;
- a duration predictor conditioned on the emotion (sad is slower), trained on log frames;
- a prior: a linear map of the frame-expanded text encoding to the features, trained by MSE;
- the decoder: the shared 1-D flow backbone generating normalised features, conditioned on the
  expanded encoding, the prior and the emotion.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from ..core.backbones import SequenceBackbone, SequenceConfig, SequenceEncoder
from ..core.checkpoint import PretrainedModel
from ..core.flow import flow_matching_loss
from ..emotion import EmotionBatch, EmotionEncoder, EmotionEncoderConfig
from .phonemes import PAD_ID, SYMBOLS

# Envelope coefficients that carry the formant shape: swapping in Festival's own lowest 7 brings
# the voice's WER most of the way to its vocoder's (docs/speech.md, "Where the gap sits").
FORMANT_COEFFICIENTS = 7


@dataclass
class TTSModelConfig:
    emotion: EmotionEncoderConfig = field(default_factory=EmotionEncoderConfig)
    n_symbols: int = len(SYMBOLS)
    feature_dims: int = 44
    encoder_hidden: int = 192
    encoder_layers: int = 3
    encoder_heads: int = 2
    duration_hidden: int = 128
    duration_layers: int = 2
    decoder_hidden: int = 192
    decoder_layers: int = 4
    decoder_heads: int = 2
    dropout: float = 0.0
    feature_mean: list[float] = field(default_factory=list)
    """per-feature mean and std of the training frames, for normalisation (set by the task)"""
    feature_std: list[float] = field(default_factory=list)
    prior_loss_weight: float = 1.0
    duration_loss_weight: float = 1.0
    segment_frames: int = 128
    """train the decoder on random windows of this many frames (0: whole utterances)"""
    duration_scale: float = 1.0
    """multiplies predicted durations: undoes the downward bias of a log-domain regression,
    measured on held-out utterances after training (``calibrate_durations``)"""
    phone_position: bool = False
    """give the decoder each frame's place in its phone (fraction and phone length) as context:
    the expanded encoding and the prior are constant over a phone, so without it the decoder must
    find phone boundaries itself to shape transitions"""
    lf0_loss_weight: float = 1.0
    """weight of the log-F0 channel (1 of ``feature_dims``) in the prior and flow losses; above 1
    makes the decoder spend more of its capacity on the intonation contour"""
    formant_loss_weight: float = 1.0
    """weight of the spectral envelope's lowest ``FORMANT_COEFFICIENTS`` channels (the formant
    shape, where the voice's intelligibility gap to its vocoder sits) in the prior and flow losses"""
    text_dropout: float = 0.0
    """share of training utterances whose decoder sees no text context (zeros), so that sampling
    can use classifier-free guidance on the text"""
    text_guidance: float = 1.0
    """the pipeline's default strength of that guidance (1: none, one decoder call per step)"""


class TTSModel(PretrainedModel):
    model_type = "tts_world"
    config_class = TTSModelConfig

    def __init__(self, config: TTSModelConfig):
        super().__init__(config)
        c = config
        e = c.emotion.dim
        self.emotion_encoder = EmotionEncoder(c.emotion)
        self.embedding = nn.Embedding(c.n_symbols, c.encoder_hidden, padding_idx=PAD_ID)
        self.text_encoder = SequenceEncoder(SequenceConfig(
            in_channels=c.encoder_hidden, out_channels=c.encoder_hidden, hidden=c.encoder_hidden,
            layers=c.encoder_layers, heads=c.encoder_heads, emotion_dim=e, dropout=c.dropout, conv_kernel=5))
        self.duration_predictor = SequenceEncoder(SequenceConfig(
            in_channels=c.encoder_hidden, out_channels=1, hidden=c.duration_hidden, layers=c.duration_layers,
            heads=2, emotion_dim=e, dropout=c.dropout, conv_kernel=3))
        self.prior = nn.Conv1d(c.encoder_hidden, c.feature_dims, 1)
        position_channels = POSITION_CHANNELS if c.phone_position else 0
        self.decoder = SequenceBackbone(SequenceConfig(
            in_channels=c.feature_dims, out_channels=c.feature_dims,
            context_channels=c.encoder_hidden + c.feature_dims + position_channels,
            hidden=c.decoder_hidden, layers=c.decoder_layers, heads=c.decoder_heads, emotion_dim=e,
            dropout=c.dropout, conv_kernel=9))
        dims = c.feature_dims
        self.register_buffer("feature_mean", torch.tensor(c.feature_mean or [0.0] * dims))
        self.register_buffer("feature_std", torch.tensor(c.feature_std or [1.0] * dims).clamp_min(1e-3))

    # -- pieces ------------------------------------------------------------------------------
    def normalize(self, frames: torch.Tensor) -> torch.Tensor:
        """(b, n, f) raw WORLD frames -> (b, f, n) normalised."""
        return ((frames - self.feature_mean) / self.feature_std).transpose(1, 2)

    def denormalize(self, x: torch.Tensor) -> torch.Tensor:
        """(b, f, n) normalised -> (b, n, f) raw WORLD frames."""
        return x.transpose(1, 2) * self.feature_std + self.feature_mean

    def encode_text(self, phone_ids: torch.Tensor, phone_mask: torch.Tensor, emotion: torch.Tensor):
        """Text encoding (b, h, p) and predicted log(1 + frames) per phone (b, p)."""
        h = self.text_encoder(self.embedding(phone_ids).transpose(1, 2), emotion, phone_mask)
        log_durations = self.duration_predictor(h.detach(), emotion, phone_mask)[:, 0]
        return h, log_durations

    def decoder_context(self, h: torch.Tensor, durations: torch.Tensor, n_frames: int):
        """The decoder's per-frame context (b, context channels, n) and the prior (b, f, n) from
        the text encoding (b, h, p) and frames per phone (b, p)."""
        expanded = expand(h, durations, n_frames)
        mu = self.prior(expanded)
        parts = [expanded, mu]
        if self.config.phone_position:
            parts.append(phone_positions(durations, n_frames).to(h.dtype))
        return torch.cat(parts, dim=1), mu

    def velocity(self, x, t, emotion, context, frame_mask=None, text_guidance: float = 1.0):
        """The decoder's velocity; ``text_guidance`` != 1 extrapolates from the text-free velocity
        (classifier-free guidance on the text, for models trained with ``text_dropout``)."""
        if text_guidance == 1.0:
            return self.decoder(x, t, emotion, context=context, mask=frame_mask)
        both = self.decoder(torch.cat([x, x]), torch.cat([t, t]), torch.cat([emotion, emotion]),
                            context=torch.cat([context, torch.zeros_like(context)]),
                            mask=None if frame_mask is None else torch.cat([frame_mask, frame_mask]))
        with_text, without_text = both.chunk(2)
        return without_text + text_guidance * (with_text - without_text)

    # -- training ----------------------------------------------------------------------------
    def loss(self, batch: dict, generator: torch.Generator | None = None) -> tuple[torch.Tensor, dict]:
        """Batch: ``phone_ids`` (b, p), ``phone_mask`` (b, p), ``durations`` (b, p) frames,
        ``frames`` (b, n, f) raw, ``frame_mask`` (b, n), ``emotion`` EmotionBatch (b)."""
        c = self.config
        emotion_batch: EmotionBatch = batch["emotion"]
        dropped = emotion_batch.dropped(c.emotion.null_dropout, c.emotion.category_dropout, generator)
        emotion = self.emotion_encoder(dropped.to(batch["phone_ids"].device))
        phone_mask, frame_mask = batch["phone_mask"], batch["frame_mask"]
        # The text side spans the batch's longest utterance (phones, all its frames): a new shape
        # nearly every step. Under bf16 autocast each new shape pays kernel set-up (oneDNN
        # primitives on CPUs, measured 2.4x per matmul) that costs more than bf16 saves on these
        # small layers, so it runs in fp32; the decoder, on fixed windows, in bf16 (issue 31).
        with torch.autocast(phone_mask.device.type, enabled=False):
            h, log_dur = self.encode_text(batch["phone_ids"], phone_mask, emotion.float())
            context, mu = self.decoder_context(h, batch["durations"], frame_mask.shape[1])
        target_log_dur = torch.log1p(batch["durations"].float())
        duration_loss = ((log_dur - target_log_dur) ** 2 * phone_mask).sum() / phone_mask.sum()

        x1 = self.normalize(batch["frames"])
        channel_weights = torch.ones(x1.shape[1], 1, device=x1.device, dtype=x1.dtype)
        channel_weights[0] = c.lf0_loss_weight  # channel 0 is log F0 (acoustic.WorldFrames.stack)
        channel_weights[2:2 + FORMANT_COEFFICIENTS] = c.formant_loss_weight  # then vuv, then the envelope
        prior_weights = frame_mask[:, None, :].to(x1.dtype) * channel_weights
        prior_loss = (((mu - x1) ** 2) * prior_weights).sum() / prior_weights.sum()
        if c.text_dropout > 0:
            keep = torch.rand(x1.shape[0], generator=generator) >= c.text_dropout
            context = context * keep.to(context)[:, None, None]
        if c.segment_frames and x1.shape[-1] > c.segment_frames:
            x1, context, frame_mask = random_window((x1, context, frame_mask), frame_mask, c.segment_frames, generator)
        flow_loss = flow_matching_loss(self.velocity, x1, emotion, mask=frame_mask[:, None, :] * channel_weights,
                                       generator=generator, context=context, frame_mask=frame_mask)
        loss = flow_loss + c.prior_loss_weight * prior_loss + c.duration_loss_weight * duration_loss
        return loss, {"flow_loss": flow_loss.detach(), "prior_loss": prior_loss.detach(),
                      "duration_loss": duration_loss.detach()}


POSITION_CHANNELS = 2


def _frame_owners(durations: torch.Tensor, n_frames: int | None):
    """Index of the phone owning each frame (b, n), and which frames are real (b, n) bool."""
    durations = durations.long().clamp_min(0)
    total = durations.sum(dim=1)
    n = int(total.max()) if n_frames is None else n_frames
    ends = durations.cumsum(dim=1)  # (b, p)
    frames = torch.arange(n, device=durations.device)[None, :]  # (1, n)
    owner = torch.searchsorted(ends, frames.expand(durations.shape[0], -1).contiguous(), right=True)
    return owner.clamp_max(durations.shape[1] - 1), frames < total[:, None]


def expand(h: torch.Tensor, durations: torch.Tensor, n_frames: int | None = None) -> torch.Tensor:
    """Repeat each phone's encoding for its frames: (b, h, p), (b, p) ints -> (b, h, n)."""
    owner, real = _frame_owners(durations, n_frames)
    out = torch.gather(h, 2, owner[:, None, :].expand(-1, h.shape[1], -1))
    return out * real[:, None, :].to(h.dtype)


def phone_positions(durations: torch.Tensor, n_frames: int | None = None) -> torch.Tensor:
    """Each frame's place in its phone: (b, p) ints -> (b, 2, n) float, channels (fraction of
    the phone elapsed at the frame's centre, log(1 + phone frames) / 4); zero on padding."""
    owner, real = _frame_owners(durations, n_frames)
    d = durations.long().clamp_min(0)
    length = torch.gather(d, 1, owner).float()
    start = torch.gather(d.cumsum(dim=1) - d, 1, owner).float()
    frames = torch.arange(owner.shape[1], device=d.device)[None, :].float()
    fraction = (frames - start + 0.5) / length.clamp_min(1.0)
    out = torch.stack([fraction, torch.log1p(length) / 4.0], dim=1)
    return out * real[:, None, :].float()


def random_window(tensors, frame_mask: torch.Tensor, length: int, generator: torch.Generator | None):
    """The same random window of ``length`` frames (within each utterance) from each (b, c, n)
    or (b, n) tensor."""
    lengths = frame_mask.sum(dim=1)
    starts = (torch.rand(len(lengths), generator=generator) * (lengths.cpu() - length).clamp_min(0).float()).long()
    index = starts.to(frame_mask.device)[:, None] + torch.arange(length, device=frame_mask.device)[None, :]
    out = []
    for t in tensors:
        if t.ndim == 3:
            out.append(torch.gather(t, 2, index[:, None, :].expand(-1, t.shape[1], -1)))
        else:
            out.append(torch.gather(t, 1, index))
    return out



@torch.no_grad()
def calibrate_durations(model: TTSModel, batches) -> float:
    """Set ``config.duration_scale`` so predicted total durations match the true ones on
    ``batches`` (collated validation batches); returns the scale."""
    from ..core.trainer import move_to

    true_total, predicted_total = 0.0, 0.0
    device = next(model.parameters()).device
    for batch in batches:
        batch = move_to(batch, device)
        emotion = model.emotion_encoder(batch["emotion"])
        _, log_dur = model.encode_text(batch["phone_ids"], batch["phone_mask"], emotion)
        predicted_total += float((torch.expm1(log_dur).clamp_min(0) * batch["phone_mask"]).sum())
        true_total += float(batch["durations"].sum())
    model.config.duration_scale = true_total / max(predicted_total, 1e-6)
    return model.config.duration_scale
