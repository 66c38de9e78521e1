"""English word and word-pair frequencies, offline, for judging which of two readings is likelier.

symspellpy ships SymSpell's frequency lists (82,765 words, 243,342 bigrams, from web text); we
read them as data and never import SymSpell itself. Log-probabilities use add-one smoothing over
the list's totals, with a back-off from bigrams to unigrams.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from importlib import resources

_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")


@lru_cache(maxsize=1)
def unigrams() -> dict[str, int]:
    return _read("frequency_dictionary_en_82_765.txt", 1)


@lru_cache(maxsize=1)
def bigrams() -> dict[str, int]:
    return _read("frequency_bigramdictionary_en_243_342.txt", 2)


def _read(name: str, width: int) -> dict[str, int]:
    counts: dict[str, int] = {}
    text = resources.files("symspellpy").joinpath(name).read_text(encoding="utf-8")
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == width + 1:
            counts[" ".join(parts[:width])] = int(parts[width])
    return counts


@lru_cache(maxsize=1)
def _totals() -> tuple[float, float]:
    return float(sum(unigrams().values())), float(sum(bigrams().values()))


def word_key(token: str) -> str:
    """The dictionary form of a token: lower case, outer punctuation stripped."""
    match = _WORD.search(token.lower())
    return match.group() if match else ""


def is_word(token: str) -> bool:
    key = word_key(token)
    return bool(key) and key in unigrams()


def unigram_logp(token: str) -> float:
    total, _ = _totals()
    return math.log10((unigrams().get(word_key(token), 0) + 1) / total)


def bigram_logp(left: str, right: str) -> float:
    """log10 P(right | left), backing off to P(right) scaled down when the pair is unseen."""
    a, b = word_key(left), word_key(right)
    if not a or not b:
        return unigram_logp(right)
    pair = bigrams().get(f"{a} {b}")
    count_a = unigrams().get(a, 0)
    if pair and count_a:
        return math.log10(min(1.0, pair / count_a))
    return math.log10(0.4) + unigram_logp(right)
