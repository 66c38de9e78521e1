"""Token streams, and where two of them (or one with itself) say the same thing.

Text reuse is found the way BLAST finds similar genes: exact k-word "seeds" shared by two streams,
chained along a diagonal (the offset between the two copies), then extended word by word while the
copies keep agreeing. Character noise breaks some seeds but not the chain: with ~15 % of words
misread, about 0.85**4 = 52 % of 4-word seeds survive, plenty on a passage of 30 words.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from rapidfuzz.distance import Levenshtein

_KEY = re.compile(r"[^\w]+")
_WORD = re.compile(r"\S+")


@dataclass(frozen=True, slots=True)  # millions are held while a corpus is assembled
class Token:
    text: str  # as written
    key: str  # what matching compares: lower case, letters and digits only
    line: int  # index of the line it came from, to rebuild lines after fusion
    conf: float | None = None  # OCR word confidence 0-100; None for transcriptions
    source: str = ""  # witness id
    start: int = -1  # character offset in the witness text, when known


@dataclass(frozen=True)
class Match:
    """Tokens a[a_start:a_end] and b[b_start:b_end] are copies of one passage."""

    a_start: int
    a_end: int
    b_start: int
    b_end: int
    score: float  # 0-100 similarity of the two ranges' keys


def token_key(text: str) -> str:
    return _KEY.sub("", text.lower())


def line_words(lines: list[str]) -> list[str]:
    """The words `tokenize` makes of these lines, as plain strings."""
    return [word for line in lines for word in _WORD.findall(line)]


def tokenize(lines: list[str], source: str = "", confs: list[list[float]] | None = None,
             offsets: list[int] | None = None) -> list[Token]:
    """Words of a witness's lines; `offsets` (each line's start in the witness text) gives every
    word its character offset, so a passage can be cited by position."""
    tokens = []
    for i, line in enumerate(lines):
        line_confs = confs[i] if confs else None
        for n, word in enumerate(_WORD.finditer(line)):
            conf = line_confs[n] if line_confs and n < len(line_confs) else None
            start = offsets[i] + word.start() if offsets else -1
            tokens.append(Token(word.group(), token_key(word.group()), i, conf, source, start))
    return tokens


def find_matches(a: list[Token], b: list[Token] | None = None, *, k: int = 4,
                 min_tokens: int = 8, min_score: float = 60.0, max_gap: int = 25,
                 max_drift: int = 6) -> list[Match]:
    """Copies of passages of `a` in `b`, or repeated passages inside `a` when b is None."""
    same = b is None
    b = a if same else b
    a_idx = [i for i, t in enumerate(a) if t.key]
    b_idx = a_idx if same else [i for i, t in enumerate(b) if t.key]
    anchors = _anchors([a[i].key for i in a_idx], [b[i].key for i in b_idx], k, same)
    matches = []
    for p0, q0, p1, q1 in _chains(anchors, max_gap, max_drift):
        a_start, a_end = a_idx[p0], a_idx[p1 + k - 1] + 1
        b_start, b_end = b_idx[q0], b_idx[q1 + k - 1] + 1
        a_start, b_start = _extend(a, b, a_start, b_start, backwards=True,
                                   a_limit=0, b_limit=a_end if same else 0)
        a_end, b_end = _extend(a, b, a_end, b_end, backwards=False,
                               a_limit=b_start if same else len(a), b_limit=len(b))
        if min(a_end - a_start, b_end - b_start) < min_tokens:
            continue
        score = 100.0 * Levenshtein.normalized_similarity(
            [t.key for t in a[a_start:a_end]], [t.key for t in b[b_start:b_end]])
        if score >= min_score:
            matches.append(Match(a_start, a_end, b_start, b_end, round(score, 1)))
    return matches


def _anchors(a_keys: list[str], b_keys: list[str], k: int, same: bool
             ) -> list[tuple[int, int]]:
    """(p, q) where the k words at p in a equal those at q in b. Seeds that occur very often
    (boilerplate) are dropped: they anchor everything to everything."""
    index: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for p in range(len(a_keys) - k + 1):
        index[tuple(a_keys[p:p + k])].append(p)
    anchors = []
    for q in range(len(b_keys) - k + 1):
        positions = index.get(tuple(b_keys[q:q + k]), ())
        if len(positions) > 8:
            continue
        for p in positions:
            if not same or q >= p + k:
                anchors.append((p, q))
    return anchors


def _chains(anchors: list[tuple[int, int]], max_gap: int, max_drift: int
            ) -> list[tuple[int, int, int, int]]:
    """Group anchors that lie on one diagonal (allowing drift from insertions) into chains."""
    open_chains: list[list[int]] = []  # [first_p, first_q, last_p, last_q]
    done = []
    for p, q in sorted(anchors):
        best = None
        for chain in open_chains:
            if 0 < p - chain[2] <= max_gap and q > chain[3]:
                drift = abs((q - p) - (chain[3] - chain[2]))
                if drift <= max_drift and (best is None or drift < best[0]):
                    best = (drift, chain)
        if best:
            best[1][2], best[1][3] = p, q
        else:
            open_chains.append([p, q, p, q])
        still_open = []
        for chain in open_chains:
            (still_open if p - chain[2] <= max_gap else done).append(chain)
        open_chains = still_open
    done.extend(open_chains)
    return [tuple(c) for c in done]


def _extend(a: list[Token], b: list[Token], i: int, j: int, *, backwards: bool, a_limit: int,
            b_limit: int, window: int = 12) -> tuple[int, int]:
    """Move a region boundary outwards while the copies keep agreeing: each step aligns the next
    `window` words and takes them up to the last word the two sides share, provided at least half
    of what it takes agrees."""
    while True:
        if backwards:
            a_win = [t.key for t in a[max(a_limit, i - window):i]][::-1]
            b_win = [t.key for t in b[max(b_limit, j - window):j]][::-1]
        else:
            a_win = [t.key for t in a[i:min(a_limit, i + window)]]
            b_win = [t.key for t in b[j:min(b_limit, j + window)]]
        if not a_win or not b_win:
            return i, j
        step = _agreeing_prefix(a_win, b_win)
        if step is None:
            return i, j
        da, db = step
        i, j = (i - da, j - db) if backwards else (i + da, j + db)


def _agreeing_prefix(a_win: list[str], b_win: list[str]) -> tuple[int, int] | None:
    equal = other = 0
    best = None
    for op in Levenshtein.opcodes(a_win, b_win):
        if op.tag == "equal":
            equal += op.src_end - op.src_start
            if equal >= other:
                best = (op.src_end, op.dest_end)
        else:
            other += max(op.src_end - op.src_start, op.dest_end - op.dest_start)
    return best


def align(a: list[Token], b: list[Token]) -> list[tuple[int | None, int | None]]:
    """Pairs of positions (a index or None, b index or None) in a's order: a word-level
    alignment that also finds blocks the two copies have in a different order (OCR often reads
    a date line before or after the file number beside it), instead of pairing unrelated words."""
    a_keys, b_keys = [t.key or t.text for t in a], [t.key or t.text for t in b]
    pairs = _edit_pairs(a_keys, b_keys, 0, 0)
    moved = _moved_blocks(pairs, a_keys, b_keys)
    if not moved:
        return pairs
    taken = set(moved.values())
    out: list[tuple[int | None, int | None]] = []
    for p, o in pairs:
        if p is None and o in taken:
            continue
        out.append((p, moved.get(p, o)) if p is not None and o is None else (p, o))
    return out


def _edit_pairs(a_keys: list[str], b_keys: list[str], a0: int, b0: int
                ) -> list[tuple[int | None, int | None]]:
    """Levenshtein alignment; a replaced block of unrelated words is a deletion plus an
    insertion, not a list of misreadings."""
    pairs: list[tuple[int | None, int | None]] = []
    for op in Levenshtein.opcodes(a_keys, b_keys):
        la, lb = op.src_end - op.src_start, op.dest_end - op.dest_start
        a_run = range(a0 + op.src_start, a0 + op.src_end)
        b_run = range(b0 + op.dest_start, b0 + op.dest_end)
        if op.tag == "replace" and not _alike(a_keys[op.src_start:op.src_end],
                                              b_keys[op.dest_start:op.dest_end]):
            pairs.extend((p, None) for p in a_run)
            pairs.extend((None, o) for o in b_run)
            continue
        for n in range(max(la, lb)):
            pairs.append((a_run[n] if n < la else None, b_run[n] if n < lb else None))
    return pairs


def _alike(a_words: list[str], b_words: list[str]) -> bool:
    """Whether two runs read as the same words misread: one word against one (a
    substitution, however unlike: "Winant" for "without"), or runs whose characters mostly
    agree."""
    if Levenshtein.normalized_similarity(" ".join(a_words), " ".join(b_words)) >= 0.5:
        return True
    return len(a_words) == len(b_words) == 1 and all(map(_word_like, a_words + b_words))


def _word_like(key: str) -> bool:
    """Letters enough to be a word or a name, as opposed to a speck read as a mark: two
    competing words are one position read two ways; a word against noise is an insertion
    beside a deletion."""
    return len(key) >= 3 and key.isalpha()


def _moved_blocks(pairs: list[tuple[int | None, int | None]], a_keys: list[str],
                  b_keys: list[str]) -> dict[int, int]:
    """a index -> b index for words that both copies have, but in different places."""
    a_runs = _runs([p for p, o in pairs if o is None])
    b_runs = _runs([o for p, o in pairs if p is None])
    moved: dict[int, int] = {}
    for b_run in (r for r in b_runs if len(r) >= 2):
        b_words = [b_keys[o] for o in b_run]
        best = max(a_runs, default=None, key=lambda r: Levenshtein.normalized_similarity(
            [a_keys[p] for p in r], b_words))
        if best is None or Levenshtein.normalized_similarity(
                [a_keys[p] for p in best], b_words) < 0.6:
            continue
        for p, o in _edit_pairs([a_keys[p] for p in best], b_words, best[0], b_run[0]):
            if p is not None and o is not None and p not in moved:
                moved[p] = o
        a_runs.remove(best)
    return moved


def _runs(indexes: list[int]) -> list[list[int]]:
    runs: list[list[int]] = []
    for i in indexes:
        if runs and runs[-1][-1] == i - 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    return runs
