"""The text-emotion network: a small BERT encoder trained from scratch, fused with a hashed
bag of word n-grams and VAD-lexicon features.

Shape legend: b = batch, n = tokens (``[CLS] words [SEP]``, padded), V = vocabulary size.

Why the fusion: no pretrained weights can be downloaded, and a transformer trained from scratch on
43k comments is data-starved; the bag-of-n-grams branch (fastText-style, the signal a TF-IDF
baseline uses) and per-word lexicon valence/arousal/dominance give it the lexical evidence, the
encoder adds word order and context (negation, "not happy"). One head reads all three.

Outputs: logits over :data:`~emogen.text.data.TEXT_CATEGORIES` (7, trained as a distribution over
each comment's Ekman groups) and over the 28 fine GoEmotions labels (multi-label, an auxiliary
target that gives the small classes more signal).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ..core.checkpoint import PretrainedModel
from ..errors import EmogenError

UNK_ID, FIRST_WORD_ID = 1, 4  # the tokenizer's specials come first: [PAD] [UNK] [CLS] [SEP]
LEXICON_FEATURES = 7  # mean V, A, D over covered words; max V, min V, max A; coverage


@dataclass
class TextEmotionConfig:
    vocab_size: int = 16000
    hidden: int = 160
    layers: int = 2
    heads: int = 4
    intermediate: int = 512
    max_length: int = 64
    """tokens per text including [CLS] and [SEP]; longer texts are truncated"""
    dropout: float = 0.2
    bag_buckets: int = 65536
    """rows of the n-gram table: the V unigrams, then hashed bigrams"""
    bag_dim: int = 32
    bag_dropout: float = 0.5
    word_dropout: float = 0.15
    """share of words replaced by [UNK] while training: keeps the model from leaning on single words"""
    branch_heads: bool = True
    """also give the encoder and the bag (+ lexicon) branches their own category heads, each trained
    with its own loss, and average the three at inference: the fast-learning bag branch then cannot
    leave the encoder under-trained, and the average of diverse classifiers is steadier"""
    fine_mix: float = 0.3
    """weight, at inference, of the fine-label head folded into categories (max over each group)"""
    num_categories: int = 7
    num_fine: int = 28
    use_lexicon: bool = True
    members: int = 1
    """independently initialised copies of the network (encoder, bag, heads) in one model: the same
    tokenizer, lexicon and batches, each its own dropout and loss; inference averages their scores
    (a seed ensemble, steadier than any one member)"""
    save_float16: bool = False
    """store the weights as float16 (half the file; loaded back into float32)"""

    def __post_init__(self):
        if self.hidden % self.heads:
            raise EmogenError(f"model.hidden ({self.hidden}) must be a multiple of model.heads ({self.heads})")
        if self.members < 1:
            raise EmogenError(f"model.members must be at least 1, got {self.members}")
        if self.bag_buckets <= self.vocab_size:
            raise EmogenError(f"model.bag_buckets ({self.bag_buckets}) must exceed model.vocab_size "
                              f"({self.vocab_size}): unigrams take the first vocab_size rows")


class TextEmotionModel(PretrainedModel):
    """``forward(ids, mask) -> (category_logits (b, 7), fine_logits (b, 28))``.

    ``lexicon_vad`` (V, 4) is a buffer, saved with the weights: each token's (valence, arousal,
    dominance) on the -1..+1 scale and 1 where the lexicon knows it. The tokenizer is attached as
    ``model.tokenizer`` and saved beside the weights as ``tokenizer.json``.
    """

    model_type = "text_emotion"
    config_class = TextEmotionConfig

    def __init__(self, config: TextEmotionConfig):
        super().__init__(config)
        c = config
        # The first member's modules sit on the model itself (the layout of one-member checkpoints).
        _build_network(self, c)
        self.register_buffer("lexicon_vad", torch.zeros(c.vocab_size, 4))
        # Added to the category logits at inference; set by the training task's final evaluation to
        # the offsets that maximise macro-F1 on the validation split (see task.fit_category_bias).
        self.register_buffer("category_bias", torch.zeros(c.num_categories))
        if c.fine_mix > 0:
            # Each fine label's category index; set from the data's labels by the training task.
            self.register_buffer("fine_owner", torch.zeros(c.num_fine, dtype=torch.long))
        if c.members > 1:
            self.other_members = nn.ModuleList(_Member(c) for _ in range(c.members - 1))
        self.tokenizer = None

    def networks(self) -> list[nn.Module]:
        """The ensemble members (the model itself first)."""
        return [self, *getattr(self, "other_members", [])]

    def ngram_ids(self, ids: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(b, 2n) bag rows: unigram ids, then bigram hashes in [V, bag_buckets); 0 (padding) where
        masked. Returns the rows and the count of real entries per text (b,)."""
        c = self.config
        nxt = ids[:, 1:]
        both = mask[:, 1:] * mask[:, :-1]
        # A fixed multiplicative hash of the id pair: the same bigram always hits the same row.
        hashed = (ids[:, :-1] * 1_000_003 + nxt) % (c.bag_buckets - c.vocab_size) + c.vocab_size
        rows = torch.cat([ids * mask, hashed * both], dim=1)
        return rows, mask.sum(1) + both.sum(1)

    def lexicon_features(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """(b, 7) lexicon summary of each text (zeros where no word is covered)."""
        vad = self.lexicon_vad[ids]  # (b, n, 4)
        has = vad[..., 3] * mask
        count = has.sum(1).clamp(min=1.0)
        mean = (vad[..., :3] * has[..., None]).sum(1) / count[:, None]
        v, a = vad[..., 0], vad[..., 1]
        max_v = torch.where(has > 0, v, torch.full_like(v, -1.0)).amax(1) * (has.sum(1) > 0)
        min_v = torch.where(has > 0, v, torch.full_like(v, 1.0)).amin(1) * (has.sum(1) > 0)
        max_a = torch.where(has > 0, a, torch.full_like(a, -1.0)).amax(1) * (has.sum(1) > 0)
        coverage = has.sum(1) / mask.sum(1).clamp(min=1.0)
        return torch.cat([mean, max_v[:, None], min_v[:, None], max_a[:, None], coverage[:, None]], dim=1)

    def member_logits(self, ids: torch.Tensor, mask: torch.Tensor) -> list[dict[str, torch.Tensor]]:
        """:meth:`branch_logits` of every member (what the training loss reads)."""
        return [self.branch_logits(ids, mask, net) for net in self.networks()]

    def branch_logits(self, ids: torch.Tensor, mask: torch.Tensor,
                      net: nn.Module | None = None) -> dict[str, torch.Tensor]:
        """Raw logits of every head of member ``net`` (default the first): ``fused`` (b, 7), ``fine``
        (b, 28), and with ``branch_heads`` ``encoder`` and ``bag`` (b, 7)."""
        net = self if net is None else net
        if self.training and self.config.word_dropout > 0:
            drop = (torch.rand(ids.shape, device=ids.device) < self.config.word_dropout) & (ids >= FIRST_WORD_ID)
            ids = ids.masked_fill(drop, UNK_ID)
        maskf = mask.to(torch.float32)
        hidden = net.encoder(ids, mask)  # (b, n, h)
        mean = (hidden * maskf[..., None]).sum(1) / maskf.sum(1, keepdim=True).clamp(min=1.0)
        rows, count = self.ngram_ids(ids, mask.long())
        # sum / sqrt(count): like a length-normalised TF vector, so long comments are not louder.
        bag = net.bag_drop(net.bag(rows) / count.clamp(min=1).to(torch.float32).sqrt()[:, None])
        lexical = [bag, self.lexicon_features(ids, maskf)] if self.config.use_lexicon else [bag]
        contextual = [hidden[:, 0], mean]
        features = net.head(torch.cat(contextual + lexical, dim=1))
        out = {"fused": net.category_head(features), "fine": net.fine_head(features)}
        if self.config.branch_heads:
            out["encoder"] = net.encoder_head(torch.cat(contextual, dim=1))
            out["bag"] = net.bag_head(torch.cat(lexical, dim=1))
        return out

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """ids (b, n) token ids, mask (b, n) 1 for tokens and 0 for padding -> category scores (b, 7)
        and fine logits (b, 28). In eval mode the scores are the averaged log-probabilities of the
        heads (see ``branch_heads``, ``fine_mix``) plus ``category_bias``; softmax gives probabilities."""
        if self.training:
            out = self.branch_logits(ids, mask)
            return out["fused"], out["fine"]
        outs = self.member_logits(ids, mask)
        scores = torch.stack([self._scores(out) for out in outs]).mean(0)
        return scores + self.category_bias, torch.stack([out["fine"] for out in outs]).mean(0)

    def _scores(self, out: dict[str, torch.Tensor]) -> torch.Tensor:
        """One member's category scores (b, 7): averaged head log-probabilities, fine labels mixed in."""
        heads = [out[k] for k in ("fused", "encoder", "bag") if k in out]
        scores = torch.stack([torch.log_softmax(h.float(), -1) for h in heads]).mean(0)
        if self.config.fine_mix > 0:
            fine = torch.sigmoid(out["fine"].float())
            folded = torch.zeros_like(scores).scatter_reduce(
                1, self.fine_owner.expand(len(fine), -1), fine, "amax", include_self=False)
            folded = torch.log_softmax(torch.log(folded.clamp(min=1e-6)), -1)
            scores = (1 - self.config.fine_mix) * scores + self.config.fine_mix * folded
        return scores

    # -- tokenizer and checkpoint ---------------------------------------------------------------
    def attach_tokenizer(self, tokenizer, lexicon: dict | None = None) -> "TextEmotionModel":
        """Use ``tokenizer``; with ``lexicon`` (word -> VAD), also fill the ``lexicon_vad`` buffer."""
        if tokenizer.get_vocab_size() > self.config.vocab_size:
            raise EmogenError(f"tokenizer has {tokenizer.get_vocab_size()} tokens but the model was built for "
                              f"{self.config.vocab_size}")
        specials = [tokenizer.token_to_id(t) for t in ("[PAD]", "[UNK]", "[CLS]", "[SEP]")]
        if specials != [0, UNK_ID, 2, 3]:
            raise EmogenError(f"tokenizer special tokens have ids {specials}; expected [PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3")
        self.tokenizer = tokenizer
        if lexicon is not None:
            table = torch.zeros_like(self.lexicon_vad)
            for word, i in tokenizer.get_vocab().items():
                vad = lexicon.get(word)
                if vad is not None:
                    table[i] = torch.tensor([*vad, 1.0])
            self.lexicon_vad.copy_(table)
        return self

    def save_pretrained(self, directory, model_card=None, state_dict=None, metadata=None):
        from ..io import write_text_atomic
        from .tokenizer import TOKENIZER_NAME

        if self.tokenizer is None:
            raise EmogenError("this text-emotion model has no tokenizer attached; call attach_tokenizer first")
        if self.config.save_float16:
            state = self.state_dict() if state_dict is None else state_dict
            # The calibrated offsets are few and fine-grained: they stay float32.
            state_dict = {k: v.half() if v.is_floating_point() and k != "category_bias" else v
                          for k, v in state.items()}
        path = super().save_pretrained(directory, model_card, state_dict, metadata)
        write_text_atomic(path / TOKENIZER_NAME, self.tokenizer.to_str())
        return path

    @classmethod
    def from_pretrained(cls, name_or_path, device="cpu", dtype=None):
        from tokenizers import Tokenizer

        from ..core.checkpoint import resolve_checkpoint
        from .tokenizer import TOKENIZER_NAME

        model = super().from_pretrained(name_or_path, device=device, dtype=dtype)
        path = resolve_checkpoint(name_or_path) / TOKENIZER_NAME
        if not path.is_file():
            raise EmogenError(f"checkpoint '{path.parent}' has no {TOKENIZER_NAME}")
        try:
            model.tokenizer = Tokenizer.from_file(str(path))
        except Exception as e:  # tokenizers raises its own Exception type for a bad file
            raise EmogenError(f"checkpoint '{path.parent}': {TOKENIZER_NAME} cannot be read ({e})") from None
        return model


class _Member(nn.Module):
    """One more ensemble member: the network modules of :func:`_build_network`."""

    def __init__(self, config: TextEmotionConfig):
        super().__init__()
        _build_network(self, config)


def _build_network(module: nn.Module, c: TextEmotionConfig) -> None:
    """Give ``module`` one member's modules: encoder, n-gram bag, fused and fine heads (and the
    branch heads). Creation order fixes the random initialisation: keep it."""
    module.encoder = BertEncoder(c)
    module.bag = nn.EmbeddingBag(c.bag_buckets, c.bag_dim, mode="sum", padding_idx=0)
    nn.init.normal_(module.bag.weight, std=0.02)
    features = 2 * c.hidden + c.bag_dim + (LEXICON_FEATURES if c.use_lexicon else 0)
    module.head = nn.Sequential(nn.LayerNorm(features), nn.Dropout(c.dropout))
    module.category_head = nn.Linear(features, c.num_categories)
    module.fine_head = nn.Linear(features, c.num_fine)
    module.bag_drop = nn.Dropout(c.bag_dropout)
    if c.branch_heads:
        module.encoder_head = nn.Sequential(nn.LayerNorm(2 * c.hidden), nn.Dropout(c.dropout),
                                            nn.Linear(2 * c.hidden, c.num_categories))
        bag_features = c.bag_dim + (LEXICON_FEATURES if c.use_lexicon else 0)
        module.bag_head = nn.Sequential(nn.LayerNorm(bag_features), nn.Linear(bag_features, c.num_categories))


class BertEncoder(nn.Module):
    """BERT's encoder (learned positions, post-LayerNorm layers, GELU), built with the module and
    parameter names of transformers' ``BertModel(add_pooling_layer=False)`` and its initialisation,
    so checkpoints trained with that class load unchanged and give the same outputs (tests compare
    the two). Written out here because importing transformers' BERT costs seconds at every start of
    ``emogen emotions --from-text``, and the network is these few lines.

    ``forward(ids (b, n), mask (b, n)) -> hidden (b, n, hidden)``; padded positions (mask 0) are
    not attended to.
    """

    def __init__(self, c: TextEmotionConfig):
        super().__init__()
        self.embeddings = _Embeddings(c)
        self.encoder = nn.Module()
        self.encoder.layer = nn.ModuleList(_Layer(c) for _ in range(c.layers))
        self.apply(_init_bert)

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        x = self.embeddings(ids)
        keep = mask.bool()[:, None, None, :]  # (b, 1, 1, n): which keys each query may attend to
        for layer in self.encoder.layer:
            x = layer(x, keep)
        return x


def _init_bert(module: nn.Module) -> None:
    """transformers' BERT initialisation: normal(0, 0.02) weights, zero biases and padding row,
    LayerNorm at identity."""
    if isinstance(module, (nn.Linear, nn.Embedding)):
        nn.init.normal_(module.weight, std=0.02)
    if isinstance(module, nn.Embedding) and module.padding_idx is not None:
        nn.init.zeros_(module.weight[module.padding_idx])
    if isinstance(module, nn.LayerNorm):
        nn.init.ones_(module.weight)
    if isinstance(module, (nn.Linear, nn.LayerNorm)):
        nn.init.zeros_(module.bias)


class _Embeddings(nn.Module):
    def __init__(self, c: TextEmotionConfig):
        super().__init__()
        self.word_embeddings = nn.Embedding(c.vocab_size, c.hidden, padding_idx=0)
        self.position_embeddings = nn.Embedding(c.max_length, c.hidden)
        self.token_type_embeddings = nn.Embedding(1, c.hidden)
        self.LayerNorm = nn.LayerNorm(c.hidden, eps=1e-12)
        self.dropout = nn.Dropout(c.dropout)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        x = self.word_embeddings(ids) + self.token_type_embeddings.weight[0]
        x = x + self.position_embeddings.weight[:ids.shape[1]]
        return self.dropout(self.LayerNorm(x))


class _AddNorm(nn.Module):
    """``LayerNorm(dropout(dense(x)) + residual)``."""

    def __init__(self, c: TextEmotionConfig, width: int):
        super().__init__()
        self.dense = nn.Linear(width, c.hidden)
        self.LayerNorm = nn.LayerNorm(c.hidden, eps=1e-12)
        self.dropout = nn.Dropout(c.dropout)

    def forward(self, x: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        return self.LayerNorm(self.dropout(self.dense(x)) + residual)


class _SelfAttention(nn.Module):
    def __init__(self, c: TextEmotionConfig):
        super().__init__()
        self.heads, self.dropout = c.heads, c.dropout
        self.query, self.key, self.value = (nn.Linear(c.hidden, c.hidden) for _ in range(3))

    def forward(self, x: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        b, n, _ = x.shape
        q, k, v = (proj(x).view(b, n, self.heads, -1).transpose(1, 2) for proj in (self.query, self.key, self.value))
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=keep, dropout_p=self.dropout if self.training else 0.0)
        return out.transpose(1, 2).reshape(b, n, -1)


class _Layer(nn.Module):
    def __init__(self, c: TextEmotionConfig):
        super().__init__()
        self.attention = nn.Module()
        self.attention.self = _SelfAttention(c)
        self.attention.output = _AddNorm(c, c.hidden)
        self.intermediate = nn.Module()
        self.intermediate.dense = nn.Linear(c.hidden, c.intermediate)
        self.output = _AddNorm(c, c.intermediate)

    def forward(self, x: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        x = self.attention.output(self.attention.self(x, keep), x)
        return self.output(F.gelu(self.intermediate.dense(x)), x)


def pad_batch(seqs: list[list[int]], max_length: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-pad token id lists with 0 -> ids (b, n) int64, mask (b, n) int64."""
    n = max(1, max(len(s) for s in seqs))
    if max_length:
        n = min(n, max_length)
    ids = torch.zeros(len(seqs), n, dtype=torch.long)
    mask = torch.zeros(len(seqs), n, dtype=torch.long)
    for i, s in enumerate(seqs):
        s = s[:n]
        ids[i, :len(s)] = torch.tensor(s, dtype=torch.long)
        mask[i, :len(s)] = 1
    return ids, mask
