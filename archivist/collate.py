"""Duplicate pages: rescans and carbon copies of one page, grouped, the best-read one canonical.

Rescans and carbons differ in noise, not in words, so whole-page text similarity confirms a
duplicate. A perceptual image hash would be a weaker candidate signal (measured: rescans 2-8
bits apart of 64, different pages of one layout 10-22), so candidates come from the text too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Iterator, Protocol, Sequence

import numpy as np
from rapidfuzz import fuzz

from archivist.passages import candidate_pairs, cpdist, signatures, sorted_unique

PAGE_DUPLICATE_MIN = 75.0  # indel similarity; unrelated English pages score ~50-60
MIN_PASSAGE_CHARS = 25
# Pages whose texts are held while duplicates are confirmed (a block of first pages, and of each
# other block only the pages their pairs need): ~3 KB a page with its normalized copy, ~30-60 MB.
TEXTS_PER_BLOCK = 10_000
PAIRS_PER_CALL = 100_000  # pairs scored in one rapidfuzz call (their texts listed twice)


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
                       texts_of: Callable[[list[int]], dict[int, str]],
                       block: int = TEXTS_PER_BLOCK) -> list[PageGroupMember]:
    """`group_pages` for a corpus too large to hold its texts: the pages' signatures
    (`page_signatures`, computed a batch at a time) find the candidates, and only the candidates'
    texts are asked for, by index (`texts_of` returns them normalized), about a `block` of
    pages of the collection's order at a time (`_pair_scores`)."""
    if not pages:
        return []
    parent = list(range(len(pages)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    similar: dict[tuple[int, int], float] = {}
    pairs = candidate_pairs(sigs, threshold=0.5)
    for (i, j), score in _pair_scores(pairs, texts_of, block, PAGE_DUPLICATE_MIN):
        similar[(i, j)] = similar[(j, i)] = score
        parent[find(j)] = find(i)
    groups: dict[int, list[int]] = {}
    for i in range(len(pages)):
        groups.setdefault(find(i), []).append(i)
    canonicals = [max(indexes, key=lambda i: (pages[i].mean_conf or 0.0, pages[i].words))
                  for indexes in groups.values()]
    canonical_of = {i: c for c, indexes in zip(canonicals, groups.values()) for i in indexes}
    unscored = np.array(sorted((c, i) for i, c in canonical_of.items()
                               if i != c and (c, i) not in similar), dtype=np.int64).reshape(-1, 2)
    similar.update(_pair_scores(unscored, texts_of, block))
    members = []
    for canonical, indexes in zip(canonicals, groups.values()):
        group_id = "g" + pages[canonical].page_id
        for i in indexes:
            similarity = 100.0 if i == canonical else similar[(canonical, i)]
            members.append(PageGroupMember(group_id, pages[i].page_id, i == canonical,
                                           round(similarity, 1)))
    return members


def _pair_scores(pairs: np.ndarray, texts_of: Callable[[list[int]], dict[int, str]],
                 block: int, cutoff: float = 0.0) -> Iterator[tuple[tuple[int, int], float]]:
    """fuzz.ratio of the pairs' texts that score at least `cutoff` (pages shorter than
    MIN_PASSAGE_CHARS score 0). `pairs` is sorted by its first column (as `candidate_pairs`
    gives it); they are taken a block of `block` first pages at a time, whose texts are held
    while, for each other block, the texts of the second pages there are read and scored.
    Candidate pairs run across the whole collection (a carbon may lie anywhere in the
    stream), so about a block of texts is what the verification holds, and no copy of all
    the pairs is made."""
    edges = np.searchsorted(pairs[:, 0], np.arange(0, pairs[:, 0].max(initial=0) + block + 1,
                                                   block))
    for lo, hi in zip(edges[:-1].tolist(), edges[1:].tolist()):
        if lo == hi:
            continue
        first_block = pairs[lo:hi]
        seconds = first_block[:, 1] // block
        order = np.argsort(seconds, kind="stable")
        first_block, seconds = first_block[order], seconds[order]
        own = seconds == first_block[0, 0] // block
        held = texts_of(sorted_unique(np.concatenate([first_block[:, 0],
                                                      first_block[own, 1]])).tolist())
        cuts = np.flatnonzero(seconds[1:] != seconds[:-1]) + 1
        for tile, is_own in zip(np.split(first_block, cuts), own[np.r_[0, cuts]].tolist()):
            texts = held if is_own else held | texts_of(sorted_unique(tile[:, 1]).tolist())
            yield from _scored(tile, texts, cutoff)


def _scored(pairs: np.ndarray, texts: dict[int, str], cutoff: float
            ) -> Iterator[tuple[tuple[int, int], float]]:
    for chunk in np.array_split(pairs, -(-len(pairs) // PAIRS_PER_CALL)):
        left = [texts[i] for i in chunk[:, 0].tolist()]
        right = [texts[j] for j in chunk[:, 1].tolist()]
        scores = cpdist(left, right, fuzz.ratio, score_cutoff=cutoff, dtype=np.float64)
        short = np.minimum([len(t) for t in left], [len(t) for t in right])
        scores[short < MIN_PASSAGE_CHARS] = 0.0
        for k in np.flatnonzero(scores >= cutoff).tolist():
            yield (int(chunk[k, 0]), int(chunk[k, 1])), float(scores[k])
