"""First collation: which scanned pages are the same page, and which pages a transcription's
passages transcribe.

Rescans and carbon copies differ in noise, not in words, so whole-page text similarity confirms a
duplicate; a transcription passage is a piece of a page, so it is matched by best partial
alignment. (The scalable MinHash/LSH candidate search and the token-level fusion build on these
results; see issue 3.)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

from archivist.ocr import TextLine

PAGE_DUPLICATE_MIN = 75.0  # indel similarity; unrelated English pages score ~50-60
PASSAGE_MATCH_MIN = 85.0  # partial alignment of a passage inside a page
MIN_PASSAGE_CHARS = 25


@dataclass(frozen=True)
class PageText:
    page_id: str
    text: str
    mean_conf: float | None
    words: int


@dataclass(frozen=True)
class PageGroupMember:
    group_id: str
    page_id: str
    is_canonical: bool
    similarity: float  # to the canonical page, 100 for the canonical itself


@dataclass(frozen=True)
class Alignment:
    witness_id: str
    line_start: int
    line_end: int
    char_start: int
    char_end: int
    page_id: str
    score: float


def normalize(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def group_pages(pages: list[PageText]) -> list[PageGroupMember]:
    """Every page in exactly one group; the best-read page of a group is its canonical one."""
    if not pages:
        return []
    texts = [normalize(p.text) for p in pages]
    scores = process.cdist(texts, texts, scorer=fuzz.ratio, dtype=np.uint8, workers=-1)
    parent = list(range(len(pages)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(pages)):
        if len(texts[i]) < MIN_PASSAGE_CHARS:
            continue
        for j in range(i + 1, len(pages)):
            if len(texts[j]) >= MIN_PASSAGE_CHARS and scores[i, j] >= PAGE_DUPLICATE_MIN:
                parent[find(j)] = find(i)
    groups: dict[int, list[int]] = {}
    for i in range(len(pages)):
        groups.setdefault(find(i), []).append(i)
    members = []
    for indexes in groups.values():
        canonical = max(indexes, key=lambda i: (pages[i].mean_conf or 0.0, pages[i].words))
        group_id = "g" + pages[canonical].page_id
        for i in indexes:
            similarity = 100.0 if i == canonical else float(scores[canonical, i])
            members.append(PageGroupMember(group_id, pages[i].page_id, i == canonical,
                                           round(similarity, 1)))
    return members


def align_passages(witness_id: str, lines: list[TextLine],
                   pages: list[PageText]) -> list[Alignment]:
    """Map each paragraph of a transcription to every page whose text contains it."""
    if not pages:
        return []
    page_texts = [normalize(p.text) for p in pages]
    alignments = []
    for passage in _paragraphs(lines):
        text = normalize(" ".join(line.text for line in passage))
        if len(text) < MIN_PASSAGE_CHARS:
            continue
        for _, score, index in process.extract(text, page_texts, scorer=fuzz.partial_ratio,
                                               score_cutoff=PASSAGE_MATCH_MIN, limit=None):
            alignments.append(Alignment(witness_id, passage[0].line_no, passage[-1].line_no,
                                        passage[0].char_start, passage[-1].char_end,
                                        pages[index].page_id, round(float(score), 1)))
    return alignments


def _paragraphs(lines: list[TextLine]) -> list[list[TextLine]]:
    paragraphs: dict[int, list[TextLine]] = {}
    for line in lines:
        paragraphs.setdefault(line.par_no, []).append(line)
    return list(paragraphs.values())
