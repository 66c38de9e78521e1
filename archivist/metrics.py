"""Error rates of a reading against ground truth, as dinglehopper (OCR-D's evaluator) defines
them: Levenshtein distance over grapheme clusters of NFC text, divided by the reference length
(so a CER can exceed 1); WER the same over words."""

from __future__ import annotations

import re
import unicodedata

from rapidfuzz.distance import Levenshtein



def normalize(text: str) -> str:
    """NFC, line-end hyphenation joined, all whitespace one space: layout is not text."""
    text = unicodedata.normalize("NFC", text)
    text = re.sub(r"(\w)-\n(\w)", r"\1\2", text)
    return re.sub(r"\s+", " ", text).strip()


def graphemes(text: str) -> list[str]:
    """Grapheme clusters: a base character with the combining marks that follow it."""
    clusters: list[str] = []
    for ch in text:
        if clusters and unicodedata.combining(ch):
            clusters[-1] += ch
        else:
            clusters.append(ch)
    return clusters


def cer(reference: str, hypothesis: str) -> float:
    ref, hyp = graphemes(normalize(reference)), graphemes(normalize(hypothesis))
    if not ref:
        return 0.0 if not hyp else 1.0
    return Levenshtein.distance(ref, hyp) / len(ref)


def wer(reference: str, hypothesis: str) -> float:
    ref, hyp = normalize(reference).split(), normalize(hypothesis).split()
    if not ref:
        return 0.0 if not hyp else 1.0
    return Levenshtein.distance(ref, hyp) / len(ref)
