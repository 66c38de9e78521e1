"""Duplicate pages: rescans and carbon copies of one page, grouped, the best-read one canonical.

Rescans and carbons differ in noise, not in words, so whole-page text similarity confirms a
duplicate. A perceptual image hash would be a weaker candidate signal (measured: rescans 2-8
bits apart of 64, different pages of one layout 10-22), so candidates come from the text too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Protocol, Sequence

import numpy as np
from rapidfuzz import fuzz

from archivist.passages import candidate_pairs, signatures

PAGE_DUPLICATE_MIN = 75.0  # indel similarity; unrelated English pages score ~50-60
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


def normalize(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def group_pages(pages: list[PageText]) -> list[PageGroupMember]:
    """Every page in exactly one group; the best-read page of a group is its canonical one.

    Candidates come from MinHash LSH on character 5-grams (recall 1.00 on noisy copies at
    threshold 0.5, and near-linear in the number of pages); each is confirmed by alignment.
    """
    texts = [normalize(p.text) for p in pages]
    return group_signed_pages(pages, signatures(texts),
                              lambda wanted: {i: texts[i] for i in wanted})


def page_signatures(texts: list[str]) -> np.ndarray:
    """The MinHash signatures `group_signed_pages` takes, one row per page text."""
    return signatures([normalize(t) for t in texts])


class PageQuality(Protocol):
    page_id: str
    mean_conf: float | None
    words: int


def group_signed_pages(pages: Sequence[PageQuality], sigs: np.ndarray,
                       texts_of: Callable[[list[int]], dict[int, str]]
                       ) -> list[PageGroupMember]:
    """`group_pages` for a corpus too large to hold its texts: the pages' signatures
    (`page_signatures`, computed a batch at a time) find the candidates, and only the candidates'
    texts are asked for, by index (`texts_of` returns them normalized), to confirm them."""
    if not pages:
        return []
    pairs = candidate_pairs(sigs, threshold=0.5)
    texts = texts_of(sorted({i for pair in pairs for i in pair}))
    parent = list(range(len(pages)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    similar: dict[tuple[int, int], float] = {}
    for i, j in pairs:
        if min(len(texts[i]), len(texts[j])) < MIN_PASSAGE_CHARS:
            continue
        score = fuzz.ratio(texts[i], texts[j])
        if score >= PAGE_DUPLICATE_MIN:
            similar[(i, j)] = similar[(j, i)] = score
            parent[find(j)] = find(i)
    groups: dict[int, list[int]] = {}
    for i in range(len(pages)):
        groups.setdefault(find(i), []).append(i)
    members = []
    for indexes in groups.values():
        canonical = max(indexes, key=lambda i: (pages[i].mean_conf or 0.0, pages[i].words))
        group_id = "g" + pages[canonical].page_id
        for i in indexes:
            similarity = 100.0 if i == canonical else similar.get(
                (canonical, i), fuzz.ratio(texts[canonical], texts[i]))
            members.append(PageGroupMember(group_id, pages[i].page_id, i == canonical,
                                           round(similarity, 1)))
    return members
