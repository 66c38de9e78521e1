"""Duplicate pages: rescans and carbon copies of one page, grouped, the best-read one canonical.

Rescans and carbons differ in noise, not in words, so whole-page text similarity confirms a
duplicate. A perceptual image hash would be a weaker candidate signal (measured: rescans 2-8
bits apart of 64, different pages of one layout 10-22), so candidates come from the text too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator

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
    groups = duplicate_groups(
        np.array([p.mean_conf or 0.0 for p in pages]), np.array([p.words for p in pages]),
        pair_blocks(candidate_pairs(signatures(texts)), TEXTS_PER_BLOCK),
        lambda wanted: {i: texts[i] for i in wanted})
    return group_members([p.page_id for p in pages], groups)


def group_members(page_ids: list[str], groups: list[PageGroup]) -> list[PageGroupMember]:
    """Every page as a member of its group (a page in none is a group of its own)."""
    in_group = {i: (group.canonical, similarity) for group in groups
                for i, similarity in group.members}
    members = []
    for i, page_id in enumerate(page_ids):
        canonical, similarity = in_group.get(i, (i, 100.0))
        members.append(PageGroupMember("g" + page_ids[canonical], page_id, i == canonical,
                                       similarity))
    return members


def page_signatures(texts: list[str]) -> np.ndarray:
    """The MinHash signatures whose candidate pairs `duplicate_groups` takes, one row per page
    text."""
    return signatures([normalize(t) for t in texts])


@dataclass(frozen=True)
class PageGroup:
    """A page and its duplicates, by their numbers in the collection's order."""
    canonical: int
    members: list[tuple[int, float]]  # every page of the group, the canonical too, in order,
    # with its similarity to the canonical (100 for the canonical itself), rounded to 0.1


def pair_blocks(pairs: np.ndarray, block: int) -> Iterator[np.ndarray]:
    """Sorted pairs cut into the arrays `duplicate_groups` takes: one per block of `block`
    first pages."""
    firsts = pairs[:, 0] // block
    cuts = np.flatnonzero(firsts[1:] != firsts[:-1]) + 1
    yield from (part for part in np.split(pairs, cuts) if len(part))


def duplicate_groups(mean_conf: np.ndarray, words: np.ndarray,
                     blocks: Iterable[np.ndarray], texts_of: Callable[[list[int]], dict[int, str]],
                     block: int = TEXTS_PER_BLOCK) -> list[PageGroup]:
    """The groups of more than one page, for a corpus too large to hold its texts or its
    candidate pairs: the pages are known by number (`mean_conf`, 0 for unknown, and `words`
    choose the canonical page, the best-read one), the candidate pairs (i < j) arrive a block
    of `block` first pages at a time (`pair_blocks`, `banding.StoredBands.pair_blocks`), and
    only the candidates' texts are asked for, by number (`texts_of` returns them normalized),
    about a block at a time (`_pair_scores`). What is held for the whole corpus is three numbers a
    page and the pairs that were confirmed."""
    parent = np.arange(len(mean_conf))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = int(parent[i])
        return i

    similar: dict[tuple[int, int], float] = {}
    for (i, j), score in _pair_scores(blocks, texts_of, block, PAGE_DUPLICATE_MIN):
        similar[(i, j)] = similar[(j, i)] = score
        parent[find(j)] = find(i)
    groups: dict[int, list[int]] = {}
    for i in sorted({i for pair in similar for i in pair}):
        groups.setdefault(find(i), []).append(i)
    canonicals = [max(indexes, key=lambda i: (mean_conf[i], words[i]))
                  for indexes in groups.values()]
    unscored = np.array(sorted((c, i) for c, indexes in zip(canonicals, groups.values())
                               for i in indexes if i != c and (c, i) not in similar),
                        dtype=np.int64).reshape(-1, 2)
    similar.update(_pair_scores(pair_blocks(unscored, block), texts_of, block))
    return [PageGroup(c, [(i, 100.0 if i == c else round(similar[(c, i)], 1)) for i in indexes])
            for c, indexes in zip(canonicals, groups.values())]


def _pair_scores(blocks: Iterable[np.ndarray], texts_of: Callable[[list[int]], dict[int, str]],
                 block: int, cutoff: float = 0.0) -> Iterator[tuple[tuple[int, int], float]]:
    """fuzz.ratio of the pairs' texts that score at least `cutoff` (pages shorter than
    MIN_PASSAGE_CHARS score 0). Each of `blocks` holds the pairs of a block of `block` first
    pages, whose texts are held while, for each other block, the texts of the second pages
    there are read and scored. Candidate pairs run across the whole collection (a carbon may
    lie anywhere in the stream), so about a block of texts is what the verification holds."""
    for first_block in blocks:
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
