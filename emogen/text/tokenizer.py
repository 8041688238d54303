"""A word-level tokenizer trained on the training texts with Hugging Face ``tokenizers``.

Word-level rather than sub-word: on 43k short comments, whole words carry the emotion and give the
hashed bag-of-n-grams branch of the model clean units (no pretrained vocabulary can be
downloaded). Text is NFKC-normalised and lower-cased; runs of punctuation or emoji stay one token
("!!!", "?!"), since they carry emotion too. The tokenizer is saved in the checkpoint directory as
``tokenizer.json``.
"""

from __future__ import annotations

from collections.abc import Iterable

from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers

PAD, UNK, CLS, SEP = "[PAD]", "[UNK]", "[CLS]", "[SEP]"
SPECIAL = (PAD, UNK, CLS, SEP)
TOKENIZER_NAME = "tokenizer.json"


def train_tokenizer(texts: Iterable[str], vocab_size: int = 16000, min_frequency: int = 2,
                    max_length: int = 64) -> Tokenizer:
    """Fit a vocabulary of at most ``vocab_size`` tokens (specials included) on ``texts``.

    Encodings come out as ``[CLS] words [SEP]``, truncated to ``max_length`` tokens.
    """
    tok = Tokenizer(models.WordLevel(unk_token=UNK))
    tok.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Lowercase()])
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    trainer = trainers.WordLevelTrainer(vocab_size=vocab_size, min_frequency=min_frequency,
                                        special_tokens=list(SPECIAL), show_progress=False)
    tok.train_from_iterator(texts, trainer=trainer)
    configure(tok, max_length)
    return tok


def configure(tok: Tokenizer, max_length: int) -> Tokenizer:
    """Add ``[CLS] ... [SEP]`` and truncation to ``max_length`` tokens."""
    tok.post_processor = processors.TemplateProcessing(
        single=f"{CLS} $A {SEP}", special_tokens=[(CLS, tok.token_to_id(CLS)), (SEP, tok.token_to_id(SEP))])
    tok.enable_truncation(max_length)
    tok.no_padding()
    return tok


def encode(tok: Tokenizer, texts: list[str]) -> list[list[int]]:
    """Token ids per text (lengths vary; :func:`pad` makes a batch)."""
    return [e.ids for e in tok.encode_batch(texts)]


def known_word_share(tok: Tokenizer, text: str, vocab: dict[str, int] | None = None) -> float:
    """Share of the text's alphabetic words that are in the vocabulary, in [0, 1]; 0 when the text
    has no alphabetic word (emoji only, digits, empty) or none is known (e.g. another language)."""
    words = [w for w, _ in tok.pre_tokenizer.pre_tokenize_str(tok.normalizer.normalize_str(text))
             if any(ch.isalpha() for ch in w)]
    if not words:
        return 0.0
    vocab = tok.get_vocab() if vocab is None else vocab  # pass it in when calling often: this copies it
    return sum(w in vocab for w in words) / len(words)
