"""Error rates of a reading against ground truth, as dinglehopper (OCR-D's evaluator) defines
them: Levenshtein distance over grapheme clusters of NFC text, divided by the reference length
(so a CER can exceed 1); WER the same over words."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

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


@dataclass(frozen=True)
class Score:
    """Edit counts of a reading against its reference, so totals can be summed over pages."""

    ref_len: int
    substitutions: int
    deletions: int
    insertions: int

    @property
    def distance(self) -> int:
        return self.substitutions + self.deletions + self.insertions

    @property
    def cer(self) -> float:
        return self.distance / self.ref_len if self.ref_len else float(self.insertions > 0)

    @property
    def gt_side_error(self) -> float:
        """(S+D)/len(GT): what the reading got wrong of the reference, ignoring insertions, for
        pages whose ground truth leaves out stamps, letterheads or marginalia."""
        return (self.substitutions + self.deletions) / self.ref_len if self.ref_len else 0.0


def score(reference: str, hypothesis: str, *, words: bool = False) -> Score:
    """Edit counts over grapheme clusters, or over words (for WER) when `words` is set."""
    if words:
        ref, hyp = normalize(reference).split(), normalize(hypothesis).split()
    else:
        ref, hyp = graphemes(normalize(reference)), graphemes(normalize(hypothesis))
    counts = {"replace": 0, "delete": 0, "insert": 0}
    for op in Levenshtein.editops(ref, hyp):
        counts[op.tag] += 1
    return Score(len(ref), counts["replace"], counts["delete"], counts["insert"])


def total(scores: list[Score]) -> Score:
    return Score(sum(s.ref_len for s in scores), sum(s.substitutions for s in scores),
                 sum(s.deletions for s in scores), sum(s.insertions for s in scores))
