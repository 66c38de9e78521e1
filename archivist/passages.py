"""Duplicate passages at scale: the same passage transcribed twice, the ribbon and carbon copy of
one page, re-OCR runs, within one witness and across witnesses.

Three steps, each sized by what was measured on our material (../shared/REFERENCE.md,
"Duplicates and fusion"):

1. **Signatures.** 3 % OCR-like noise leaves character 5-gram Jaccard near 0.77 (min 0.71) but
   word 3-gram Jaccard near 0.38, so passages are shingled into character 5-grams of their
   normalised text. datasketch's own MinHash hashes ~160 docs/s per core on 2 KB pages (~0.3 M
   characters/s; 200k passages would take half an hour on our 2 cores), so the signatures are
   computed here with numpy over a chunk of passages at once: a polynomial hash of every 5-gram
   of the code points, then datasketch's "affine32" permutations (same seed, same `a` and `b`,
   same MurmurHash3 pre-mix) applied to the whole chunk and reduced per passage with
   `np.minimum.reduceat`. That runs at ~25 M characters/s on one core and gives bit for bit the
   MinHash datasketch computes from the same 5-gram hashes (a test pins this).
2. **Candidates.** LSH bands of the signatures, as datasketch's `MinHashLSH` chooses them
   (25 bands of 5 rows at threshold 0.5); pairs sharing a band are candidates. At 128
   permutations the recall on noisy pairs was 1.00 at threshold 0.5, 0.75 at 0.7 and 0.28 at
   0.8, hence the default threshold 0.5. The buckets are found by sorting each band with
   numpy (the pairs are those datasketch's index gives, a test pins it; see `candidate_pairs`
   for why not its index). The first and second half of each passage are looked up in the
   same buckets, so that a fragment at either end of a longer passage is found too (see
   `_halves`).
3. **Verification.** Every candidate pair is aligned with rapidfuzz on the normalised texts
   (thresholds below), and union-find over the confirmed pairs forms the groups.
"""

from __future__ import annotations

import re
import time
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from datasketch import LeanMinHash, MinHash, MinHashLSH
from rapidfuzz import fuzz, process
from rapidfuzz.distance import LCSseq

__all__ = [
    "Passage",
    "PassageGroupMember",
    "candidate_pairs",
    "group_passages",
    "normalize",
    "signatures",
    "split_passages",
    "verify",
]

SHINGLE = 5  # characters; see the module docstring for why not words
NUM_PERM = 128
SCHEME = "affine32"  # datasketch 2.0's default: uint32 values, collision-free permutations
EMPTY = np.uint32(0xFFFFFFFF)  # datasketch's value of an empty MinHash in every slot
CHUNK = 4096  # passages hashed together; ~2.5 M code points, ~60 MB of temporaries

# fuzz.ratio (indel similarity, 0-100) of two copies of one passage: 3 % noise on each side costs
# ~5 points, a 10 % truncation ~5 more (bench: copies score 85-100, median 95); unrelated English
# passages score ~40-50 (collate.py saw ~50-60 on whole pages). 75 leaves a wide margin on both
# sides.
DUPLICATE_MIN_RATIO = 75.0
# fuzz.ratio cannot exceed 200 * short / (short + long): a clean fragment of 60 % of a passage
# scores at most 75, so a fragment is confirmed by partial_ratio (best alignment of the shorter
# text inside the longer) instead, but only when the shorter text is at most 80 % of the
# longer: above that, ratio already confirms every fragment and partial_ratio only costs.
# partial_ratio costs ~0.5-1.5 ms on passages of this size (ratio ~5 us), so the pairs first pass
# a cheap gate: the longest common subsequence must cover 85 % of the shorter text (noisy
# fragments of 30-80 % of a passage: >= 0.94; unrelated: <= 0.81 even against a 4x longer text).
# partial_ratio then confirms at 85: noisy fragments align at >= 93, unrelated text below 50.
CONTAINMENT_MAX_LENGTH_RATIO = 0.8
CONTAINMENT_MIN_LCS = 0.85
CONTAINMENT_MIN_PARTIAL = 85.0
# A band bucket of k passages yields k(k-1)/2 pairs. Boilerplate repeated thousands of times
# would make that quadratic; past this size each member is paired with the bucket's first and
# with its predecessor only, which union-find still joins into one group when they verify.
MAX_BUCKET_ALL_PAIRS = 64
BANDS_PER_MERGE = 5  # bands whose candidate pairs are held apart before they are merged

_POLY_BASE = np.uint64(0x9E3779B97F4A7C15)  # odd: the 5-gram hash is injective in practice


@dataclass(frozen=True)
class Passage:
    key: str  # caller's id, e.g. f"{witness_id}:{start}"
    witness_id: str
    start: int  # char offsets in the witness text
    end: int
    text: str
    quality: float = 0.0  # higher is better (e.g. mean OCR confidence); picks the canonical member


@dataclass(frozen=True)
class PassageGroupMember:
    group_id: str  # "p" + key of the canonical member
    key: str
    witness_id: str
    start: int
    end: int
    text: str
    similarity: float  # 0-100 to the canonical member (100 for the canonical itself)
    is_canonical: bool


# --------------------------------------------------------------------------
# Normalisation
# --------------------------------------------------------------------------

_TYPOGRAPHY = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
                             "\u2013": "-", "\u2014": "-", "\u00ad": None})
_LINE_END_HYPHEN = re.compile(r"(\w)-[ \t]*\r?\n\s*(?=\w)")
_OTHER_CHARS = re.compile(r"[^\w\s.,;:!?'\"()&/%-]|_")
_SPACES = re.compile(r"\s+")


def normalize(text: str) -> str:
    """NFC, lower case, "arrange-\\nments" joined, letters/digits/basic punctuation kept, other
    characters and all whitespace runs turned into single spaces.

    Line breaks and typewriter hyphenation are layout, not text: a ribbon copy and its
    transcription break lines differently and must still shingle alike."""
    text = unicodedata.normalize("NFC", text).translate(_TYPOGRAPHY)
    text = _LINE_END_HYPHEN.sub(r"\1", text)
    text = _OTHER_CHARS.sub(" ", text.lower())
    return _SPACES.sub(" ", text).strip()


# --------------------------------------------------------------------------
# Signatures
# --------------------------------------------------------------------------

def signatures(texts: list[str], num_perm: int = NUM_PERM, seed: int = 1) -> np.ndarray:
    """MinHash signatures of the character 5-grams of `normalize(text)`, shape
    (len(texts), num_perm), uint32, datasketch's "affine32" scheme with this seed.

    A text with fewer than 5 characters has no 5-gram and gets datasketch's empty signature
    (every slot 0xFFFFFFFF), which `candidate_pairs` leaves out: it matches nothing."""
    return _signatures_of_normalized([normalize(t) for t in texts], num_perm, seed)


def _signatures_of_normalized(texts: list[str], num_perm: int = NUM_PERM,
                              seed: int = 1) -> np.ndarray:
    a, b = _permutations(num_perm, seed)
    sigs = np.full((len(texts), num_perm), EMPTY, dtype=np.uint32)
    for lo in range(0, len(texts), CHUNK):
        sigs[lo:lo + CHUNK] = _chunk_signatures(texts[lo:lo + CHUNK], a, b)
    return sigs


def _permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """datasketch's own permutation parameters, so our signatures are its MinHash values."""
    a, b = MinHash(num_perm=num_perm, seed=seed, scheme=SCHEME).permutations
    return a.astype(np.uint32), b.astype(np.uint32)


def _chunk_signatures(texts: list[str], a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """One signature row per text; all 5-grams of the chunk go through each permutation in one
    vectorised pass, then `np.minimum.reduceat` takes each passage's minimum. A 5-gram repeated
    within a passage cannot change a minimum, so there is no np.unique pass: it would cost a
    sort to save a few per cent of the permutation work."""
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    gram_counts = np.maximum(lengths - SHINGLE + 1, 0)
    sigs = np.full((len(texts), len(a)), EMPTY, dtype=np.uint32)
    has_grams = gram_counts > 0
    if not has_grams.any():
        return sigs
    grams = _fmix32(_gram_hashes("".join(texts), lengths, gram_counts))
    offsets = (np.cumsum(gram_counts) - gram_counts)[has_grams]
    permuted = np.empty_like(grams)
    minima = np.empty((len(a), len(offsets)), dtype=np.uint32)
    for k in range(len(a)):
        np.multiply(grams, a[k], out=permuted)  # uint32 arithmetic wraps: mod 2^32
        np.add(permuted, b[k], out=permuted)
        minima[k] = np.minimum.reduceat(permuted, offsets)
    sigs[has_grams] = minima.T
    return sigs


def _gram_hashes(joined: str, lengths: np.ndarray, gram_counts: np.ndarray) -> np.ndarray:
    """32-bit hashes of every 5-gram that lies inside one text of the concatenation, in text
    order: a polynomial over the code points mod 2^64, folded to 32 bits."""
    codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    windows = len(codes) - SHINGLE + 1
    h = np.zeros(max(windows, 0), dtype=np.uint64)
    for i in range(SHINGLE):
        h *= _POLY_BASE
        h += codes[i:i + windows]
    text_starts = np.cumsum(lengths) - lengths
    gram_starts = np.cumsum(gram_counts) - gram_counts
    positions = np.arange(int(gram_counts.sum()), dtype=np.int64)
    positions += np.repeat(text_starts - gram_starts, gram_counts)
    h = h[positions]
    return ((h >> np.uint64(32)) ^ h).astype(np.uint32)


def _fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's finaliser, the pre-mix datasketch applies before its affine32 permutations."""
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


# --------------------------------------------------------------------------
# Candidates
# --------------------------------------------------------------------------

def candidate_pairs(sigs: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """Row pairs (i < j) that share at least one LSH band, as a sorted (n, 2) int64 array: the
    pairs datasketch's `MinHashLSH` gives with the bands it chooses for the threshold (25 bands
    of 5 rows at 0.5 and 128 permutations), read from its band buckets (a test pins the
    equality). Empty signatures (texts under 5 characters) are left out.

    The buckets are found by sorting each band's columns with numpy instead of filling the
    index: datasketch holds a Python set per bucket and we held the pairs as a set of tuples,
    which grew with the collection (the pages of a whole corpus are banded at once: 16,000
    one-page letters gave 1.4 million candidate pairs)."""
    return _candidates(sigs, threshold)


def _candidates(sigs: np.ndarray, threshold: float, half_sigs: np.ndarray | None = None,
                half_owners: np.ndarray | None = None) -> np.ndarray:
    """candidate_pairs, plus (owner, j), smaller index first, for every row j that shares a band
    with one of the owner's half-signatures (what datasketch's `query` of the half finds)."""
    bands, width = band_shape(threshold, sigs.shape[1])
    rows = non_empty(sigs)
    halves = np.empty(0, np.int64) if half_sigs is None else non_empty(half_sigs)
    owners = np.concatenate([rows, np.empty(0, np.int64) if half_sigs is None
                             else np.asarray(half_owners, np.int64)[halves]])
    n = max(len(sigs), 1)
    codes = [np.empty(0, np.int64)]  # i * n + j; merged every few bands, so that a pair found
    for band in range(bands):        # in many bands (a true duplicate: most) is held once
        cols = slice(band * width, (band + 1) * width)
        keys = sigs[rows, cols] if half_sigs is None else np.concatenate(
            [sigs[rows, cols], half_sigs[halves, cols]])
        pairs = np.concatenate([np.empty((0, 2), np.int64), *_band_pairs(keys, owners, len(rows))])
        codes.append(sorted_unique(pairs[:, 0] * n + pairs[:, 1]))
        if len(codes) > BANDS_PER_MERGE or band == bands - 1:
            codes = [sorted_unique(np.concatenate(codes))]
    pairs = np.empty((len(codes[0]), 2), np.int64)
    np.divmod(codes[0], n, out=(pairs[:, 0], pairs[:, 1]))
    return pairs


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """np.unique of a 1-D integer array, by sorting: numpy 2's np.unique hashes first, which
    made `candidate_pairs` of 64,000 one-page letters (7.8 million pairs) take 20.4 s; 1.0 s
    with this."""
    values = np.sort(values)
    return values[np.concatenate([[True], values[1:] != values[:-1]])] if len(values) else values


def band_shape(threshold: float, num_perm: int) -> tuple[int, int]:
    """The bands and rows per band that datasketch chooses for this threshold."""
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    return lsh.b, lsh.r


def _band_pairs(keys: np.ndarray, owners: np.ndarray, n_rows: int) -> list[np.ndarray]:
    """One band's pairs. `keys` holds the band's columns, the rows' first and the halves' after;
    `owners` the row each belongs to. A stable sort keeps each bucket's rows first, in index
    order, and its halves after them."""
    order = np.lexsort(keys.T[::-1])
    keys, owners, is_row = keys[order], owners[order], order < n_rows
    new = np.ones(len(keys), bool)
    new[1:] = (keys[1:] != keys[:-1]).any(axis=1)
    bucket = np.cumsum(new) - 1
    starts = np.flatnonzero(new)
    row_counts = np.bincount(bucket[is_row], minlength=len(starts))
    found = _bucket_pairs(owners, starts, row_counts)
    halves = np.flatnonzero(~is_row)
    if len(halves):
        found.append(_half_pairs(owners, starts, row_counts, bucket[halves], owners[halves]))
    return found


def _bucket_pairs(members: np.ndarray, starts: np.ndarray, sizes: np.ndarray
                  ) -> list[np.ndarray]:
    """Every pair of each bucket's `sizes[k]` members from `starts[k]`; past
    MAX_BUCKET_ALL_PAIRS members, each is paired with the first and its predecessor only."""
    found = []
    for size in np.unique(sizes[sizes > 1]):
        at = starts[sizes == size]
        if size <= MAX_BUCKET_ALL_PAIRS:
            grid = members[at[:, None] + np.arange(size)]
            left, right = np.triu_indices(size, 1)
            found.append(np.stack([grid[:, left].ravel(), grid[:, right].ravel()], axis=1))
            continue
        for start in at:
            group = members[start:start + size]
            found.append(np.stack([np.concatenate([np.full(size - 1, group[0]), group[1:-1]]),
                                   np.concatenate([group[1:], group[2:]])], axis=1))
    return found


def _half_pairs(members: np.ndarray, starts: np.ndarray, row_counts: np.ndarray,
                buckets: np.ndarray, owners: np.ndarray) -> np.ndarray:
    """(owner, row), smaller first, for each half and every row of its bucket but its owner."""
    counts = row_counts[buckets]
    first = np.repeat(starts[buckets], counts)
    offsets = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    rows, owners = members[first + offsets], np.repeat(owners, counts)
    keep = rows != owners
    rows, owners = rows[keep], owners[keep]
    return np.stack([np.minimum(rows, owners), np.maximum(rows, owners)], axis=1)


def non_empty(sigs: np.ndarray) -> np.ndarray:
    """The rows with a signature: an empty one (a text under 5 characters) matches nothing."""
    return np.flatnonzero((sigs != EMPTY).any(axis=1))


def _sketch(hashvalues: np.ndarray) -> LeanMinHash:
    return LeanMinHash(seed=1, hashvalues=hashvalues, scheme=SCHEME)


# --------------------------------------------------------------------------
# Verification
# --------------------------------------------------------------------------

def verify(texts: list[str], pairs: Iterable[tuple[int, int]],
           min_ratio: float = DUPLICATE_MIN_RATIO) -> list[tuple[int, int, float]]:
    """The candidate pairs that are duplicates by alignment, sorted, with their score (0-100):
    `fuzz.ratio` >= min_ratio on the normalised texts, or, when the shorter text is at most
    80 % of the longer, `fuzz.partial_ratio` >= 85 (a fragment of the other; the constants
    above give the measured margins)."""
    pairs = sorted(pairs)
    norm = {i: normalize(texts[i]) for pair in pairs for i in pair}
    return _verify_normalized(norm, pairs, min_ratio)


def _verify_normalized(norm, pairs: list[tuple[int, int]],
                       min_ratio: float = DUPLICATE_MIN_RATIO) -> list[tuple[int, int, float]]:
    if not pairs:
        return []
    left = [norm[i] for i, _ in pairs]
    right = [norm[j] for _, j in pairs]
    ratio = cpdist(left, right, fuzz.ratio, score_cutoff=min_ratio)  # 0 below the cutoff
    partial = _fragment_scores(left, right, ratio < min_ratio)
    confirmed = []
    for (i, j), r, p in zip(pairs, ratio, partial):
        if r >= min_ratio:
            confirmed.append((i, j, round(float(r), 1)))
        elif p >= CONTAINMENT_MIN_PARTIAL:
            confirmed.append((i, j, round(float(p), 1)))
    return confirmed


def _fragment_scores(left: list[str], right: list[str], wanted: np.ndarray) -> np.ndarray:
    """partial_ratio where wanted and the pair is fragment-shaped (length ratio and LCS gate),
    else -1."""
    short = np.fromiter((min(len(x), len(y)) for x, y in zip(left, right)), np.int64, len(left))
    long = np.fromiter((max(len(x), len(y)) for x, y in zip(left, right)), np.int64, len(left))
    scores = np.full(len(left), -1.0, dtype=np.float32)
    idx = np.flatnonzero(wanted & (short <= CONTAINMENT_MAX_LENGTH_RATIO * long) & (short > 0))
    if len(idx):
        lcs = cpdist([left[k] for k in idx], [right[k] for k in idx], LCSseq.similarity)
        idx = idx[lcs >= CONTAINMENT_MIN_LCS * short[idx]]
    if len(idx):
        scores[idx] = cpdist([left[k] for k in idx], [right[k] for k in idx], fuzz.partial_ratio)
    return scores


def cpdist(left: list[str], right: list[str], scorer, score_cutoff: float | None = None,
           dtype: type = np.float32) -> np.ndarray:
    """scorer(left[k], right[k]) for every k, in rapidfuzz's C++ on all cores (float64 where
    the scores are stored and rounded: `collate` keeps fuzz.ratio's own values)."""
    return process.cpdist(left, right, scorer=scorer, score_cutoff=score_cutoff,
                          dtype=dtype, workers=-1)


# --------------------------------------------------------------------------
# Grouping
# --------------------------------------------------------------------------

def group_passages(passages: list[Passage], *, threshold: float = 0.5, min_chars: int = 40,
                   stats: dict[str, float] | None = None) -> list[PassageGroupMember]:
    """Only passages that have at least one confirmed duplicate are returned (groups of size
    >= 2); union-find over confirmed pairs; canonical = highest quality, then longest, then
    first.

    Passages whose normalised text is shorter than min_chars are left out: short lines
    ("Sir,", "Yours sincerely,") recur in every letter and are not evidence of a duplicate.
    When `stats` is given, it receives the seconds spent per step ("signatures", "lsh",
    "verify", "group") and the pair counts ("candidates", "confirmed") for benchmarks."""
    clock = _Clock(stats)
    signed = _Signed.of(passages, min_chars)
    clock.lap("signatures")
    pairs = [tuple(pair) for pair in _candidates(signed.sigs, threshold, signed.half_sigs,
                                                  signed.half_owners).tolist()]
    clock.lap("lsh")
    confirmed = _verify_normalized(signed.texts, pairs)
    clock.lap("verify")
    clock.count(candidates=len(pairs), confirmed=len(confirmed))
    groups = _connected_groups(len(signed.eligible), confirmed)
    members = _members([[signed.eligible[k] for k in g] for g in groups], passages, signed.norm)
    clock.lap("group")
    return members


@dataclass
class _Signed:
    """Passages normalised and signed, with their halves (`_halves`): those shorter than
    min_chars are left out of the signatures."""
    norm: list[str]  # every passage's normalised text
    eligible: list[int]  # the passages signed
    texts: list[str]  # their normalised texts
    sigs: np.ndarray  # a row per eligible passage
    half_owners: np.ndarray  # a half's passage, as an index into `eligible`
    half_sigs: np.ndarray

    @classmethod
    def of(cls, passages: list[Passage], min_chars: int) -> "_Signed":
        norm = [normalize(p.text) for p in passages]
        eligible = [i for i, text in enumerate(norm) if len(text) >= min_chars]
        texts = [norm[i] for i in eligible]
        half_owners, halves = _halves(texts, min_chars)
        return cls(norm, eligible, texts, _signatures_of_normalized(texts), half_owners,
                   _signatures_of_normalized(halves))


class PassageIndex:
    """A few passages indexed once, for many later look-ups: which passages of each batch of
    others near-duplicate one of them. The pairs are direct (no grouping through a third
    passage), so what a look-up finds does not depend on what else is in its batch.

    Built for the transcriptions that the pages of a whole corpus are compared with, a batch
    of pages at a time. Both sides' halves are looked up too, as `group_passages` does, and
    every pair is confirmed as it confirms them."""

    def __init__(self, passages: list[Passage], *, threshold: float = 0.5,
                 min_chars: int = 40) -> None:
        self.min_chars = min_chars
        signed = _Signed.of(passages, min_chars)
        self.norm = signed.norm
        self.lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
        for row in non_empty(signed.sigs):
            self.lsh.insert(signed.eligible[row], _sketch(signed.sigs[row]),
                            check_duplication=False)
        for row in non_empty(signed.half_sigs):
            self.lsh.insert((signed.eligible[signed.half_owners[row]], int(row)),
                            _sketch(signed.half_sigs[row]), check_duplication=False)

    def matches(self, others: list[Passage]) -> list[tuple[int, int]]:
        """(index in others, index of the indexed passage) of every confirmed near-duplicate."""
        signed = _Signed.of(others, self.min_chars)
        owners = signed.eligible + [signed.eligible[o] for o in signed.half_owners]
        sigs = np.concatenate([signed.sigs, signed.half_sigs])
        offset = len(others)  # the indexed passages follow the others in `texts`
        pairs = set()
        for row in non_empty(sigs):
            for key in self.lsh.query(_sketch(sigs[row])):
                pairs.add((owners[row], offset + (key if isinstance(key, int) else key[0])))
        texts = signed.norm + self.norm
        return [(i, j - offset) for i, j, _ in _verify_normalized(texts, sorted(pairs))]


def _halves(texts: list[str], min_chars: int) -> tuple[np.ndarray, list[str]]:
    """First and second half of every text that has two halves of min_chars, with the index of
    the text each half comes from.

    A fragment (a paragraph that another witness runs on into the next one, or that a page
    break cuts) shares only its own length with the longer passage: a noisy 60 % fragment has
    5-gram Jaccard ~0.46 with it, which 25 bands of 5 rows catch ~40 % of the time. Such
    fragments usually sit at one end of the longer passage, and against its half they score
    ~0.64 (caught ~92 %), so each half is also looked up in the band buckets. Measured by the
    benchmark on noisy fragments: 95 % of those of 50-80 % at either end are grouped, 83 % of
    those of 30-50 %; from the middle of a passage 66 % and 16 % (halves do not help there;
    banding windows as well would triple the rows banded and the candidate pairs)."""
    owners, halves = [], []
    for i, text in enumerate(texts):
        middle = len(text) // 2
        if middle >= min_chars:
            owners += [i, i]
            halves += [text[:middle], text[middle:]]
    return np.array(owners, dtype=np.int64), halves


class _Clock:
    def __init__(self, stats: dict[str, float] | None):
        self.stats = stats
        self.last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        if self.stats is not None:
            self.stats[name] = now - self.last
        self.last = now

    def count(self, **counts: int) -> None:
        if self.stats is not None:
            self.stats.update(counts)


def _connected_groups(n: int, pairs: list[tuple[int, int, float]]) -> list[list[int]]:
    """Union-find; the components with two or more members, each sorted, in order of their
    first member."""
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j, _ in pairs:
        ri, rj = find(i), find(j)
        if ri != rj:
            parent[max(ri, rj)] = min(ri, rj)
    components: dict[int, list[int]] = {}
    for i in range(n):
        components.setdefault(find(i), []).append(i)
    return [members for members in components.values() if len(members) > 1]


def _members(groups: list[list[int]], passages: list[Passage],
             norm: list[str]) -> list[PassageGroupMember]:
    """Canonical first, then the others in input order; each scored against the canonical."""
    canonicals = [max(g, key=lambda i: (passages[i].quality, len(passages[i].text), -i))
                  for g in groups]
    others = [(c, i) for c, g in zip(canonicals, groups) for i in g if i != c]
    similarity = dict(zip(others, _canonical_similarity(others, norm)))
    members = []
    for canonical, group in zip(canonicals, groups):
        group_id = "p" + passages[canonical].key
        for i in [canonical, *(i for i in group if i != canonical)]:
            p = passages[i]
            score = 100.0 if i == canonical else similarity[canonical, i]
            members.append(PassageGroupMember(group_id, p.key, p.witness_id, p.start, p.end,
                                              p.text, score, i == canonical))
    return members


def _canonical_similarity(pairs: list[tuple[int, int]], norm: list[str]) -> list[float]:
    """ratio to the canonical, or partial_ratio where the member is a fragment of it (or it of
    the member). A member joined through a third passage may score below the verification
    thresholds: that is reported, not hidden."""
    if not pairs:
        return []
    left = [norm[c] for c, _ in pairs]
    right = [norm[i] for _, i in pairs]
    ratio = cpdist(left, right, fuzz.ratio)
    best = np.maximum(ratio, _fragment_scores(left, right, np.ones(len(pairs), dtype=bool)))
    return [round(float(s), 1) for s in best]


# --------------------------------------------------------------------------
# Splitting a witness into passages
# --------------------------------------------------------------------------

LONG_PARAGRAPH = 1500
PIECE_MIN, PIECE_TARGET, PIECE_MAX = 500, 750, 1000
_BLANK_LINE = re.compile(r"\n[ \t]*\n\s*")
_SENTENCE_END = re.compile(r"[.!?][\"')\]]*(?=\s)")
_SPACE_AT = re.compile(r"\s")


def split_passages(witness_id: str, text: str, *, quality: float = 0.0,
                   min_chars: int = 40) -> list[Passage]:
    """Paragraphs (blank-line separated) of a witness text as passages, with char offsets into
    text; very long paragraphs (> 1500 chars) are split at sentence ends into pieces of ~500-1000
    chars.

    A passage is the unit of duplication we look for: a paragraph transcribed twice. Overlong
    paragraphs are cut so that a page's worth of run-on OCR still matches a transcription of half
    of it. Pieces shorter than min_chars are dropped."""
    passages = []
    for start, end in _paragraph_spans(text):
        spans = _sentence_pieces(text, start, end) if end - start > LONG_PARAGRAPH else [(start,
                                                                                          end)]
        for s, e in spans:
            if e - s >= min_chars:
                passages.append(Passage(f"{witness_id}:{s}", witness_id, s, e, text[s:e],
                                        quality))
    return passages


def _paragraph_spans(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for sep in _BLANK_LINE.finditer(text):
        spans.append(_stripped(text, start, sep.start()))
        start = sep.end()
    spans.append(_stripped(text, start, len(text)))
    return [(s, e) for s, e in spans if e > s]


def _stripped(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _sentence_pieces(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Greedy cuts at the sentence end nearest a target length: ~750 chars, or half of what is
    left when fewer than two full pieces remain, so the last piece is not a stub."""
    pieces = []
    while end - start > PIECE_MAX:
        left = end - start
        target = PIECE_TARGET if left > 2 * PIECE_MAX else min(max(left // 2, PIECE_MIN),
                                                                PIECE_MAX)
        cut = _cut_near(text, start + PIECE_MIN, start + PIECE_MAX, start + target)
        pieces.append(_stripped(text, start, cut))
        start = _stripped(text, cut, end)[0]
    pieces.append((start, end))
    return [p for p in pieces if p[1] > p[0]]


def _cut_near(text: str, lo: int, hi: int, target: int) -> int:
    """The sentence end in [lo, hi] closest to target; else the closest space; else target."""
    for pattern in (_SENTENCE_END, _SPACE_AT):
        cuts = [m.end() if pattern is _SENTENCE_END else m.start()
                for m in pattern.finditer(text, lo, hi)]
        if cuts:
            return min(cuts, key=lambda c: abs(c - target))
    return target
