"""Free English words to valence/arousal/dominance, from a VAD lexicon shipped with the package.

The shipped lexicon is the NRC VAD Lexicon v1 (Mohammad, ACL 2018), 20,007 words, kept verbatim
(gzip-compressed) in ``emogen/emotion/assets``. Its terms allow research use; commercial use needs
the consent of the National Research Council Canada (see ``assets/LICENSE.md``). The Warriner et al.
(2013) norms (CC BY-NC-ND) are not shipped; load them, or any ``word,v,a,d`` table, with
:func:`load_lexicon`.
"""

from __future__ import annotations

import csv
import gzip
import io
import os
from functools import lru_cache
from importlib import resources
from pathlib import Path

from ..errors import EmogenError
from .space import from_unit_scale

Lexicon = dict  # word -> (valence, arousal, dominance) on emogen's -1..+1 scale


@lru_cache(maxsize=1)
def default_lexicon() -> Lexicon:
    """The shipped NRC VAD lexicon, or the file named by ``EMOGEN_VAD_LEXICON`` if that is set."""
    override = os.environ.get("EMOGEN_VAD_LEXICON")
    if override:
        return load_lexicon(override)
    raw = resources.files("emogen.emotion").joinpath("assets/NRC-VAD-Lexicon.txt.gz").read_bytes()
    return _parse_nrc(gzip.decompress(raw).decode("utf-8"))


def _parse_nrc(text: str) -> Lexicon:
    lexicon: Lexicon = {}
    for line in text.splitlines()[1:]:
        parts = line.rstrip("\n").split("\t")
        if len(parts) == 4:
            word, v, a, d = parts
            lexicon[word.lower()] = tuple(from_unit_scale(float(x)) for x in (v, a, d))
    return lexicon


def load_lexicon(path: str | os.PathLike) -> Lexicon:
    """Read a VAD lexicon: the NRC text format (word<TAB>V<TAB>A<TAB>D, 0-1) or the Warriner et al.
    CSV (``Word, V.Mean.Sum, A.Mean.Sum, D.Mean.Sum``, 1-9), rescaled to -1..+1."""
    path = Path(path)
    if not path.is_file():
        raise EmogenError(f"VAD lexicon '{path}' not found")
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        text = f.read()
    if text.startswith("Word\tValence"):
        return _parse_nrc(text)
    rows = csv.DictReader(io.StringIO(text))
    if rows.fieldnames and "V.Mean.Sum" in rows.fieldnames:
        # 1..9 -> -1..+1
        return {
            r["Word"].lower(): tuple((float(r[k]) - 5.0) / 4.0 for k in ("V.Mean.Sum", "A.Mean.Sum", "D.Mean.Sum"))
            for r in rows
        }
    raise EmogenError(
        f"'{path}' is not a VAD lexicon emogen reads; accepted: the NRC VAD text format or the "
        "Warriner et al. CSV"
    )


def lookup(word: str, lexicon: Lexicon | None = None) -> tuple[float, float, float] | None:
    lexicon = default_lexicon() if lexicon is None else lexicon
    return lexicon.get(word.strip().lower())
