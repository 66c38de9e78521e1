"""Several copies of one passage in, one best reading out, every disagreement kept.

Copies are aligned word by word to a pivot (the copy judged best). Each column of the alignment
is then decided:
- three or more copies: a vote, each copy's word weighted by its OCR confidence and by the copy's
  estimated quality (how often it agrees with the others);
- two copies, or a tie: the better copy wins, its quality judged by evidence that does not depend
  on the document: the rate of non-words and the language-model plausibility of its readings where
  the copies differ; a reading that is a proper name the collection uses elsewhere beats one that
  is not (transcribers and OCR turn rare names into common words, rarely the reverse).
Two copies cannot out-vote each other (Reul et al. 2017: voting helps only with independent errors);
that is why their margin is small and every such choice is kept in `variants` for review.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from archivist.align import Token, align, token_key
from archivist.lexicon import bigram_logp, is_word, word_key

TRANSCRIPTION_CONF = 90.0  # a typed transcription counts like a confident OCR word
# Not seeing a word is weaker evidence than reading one: OCR drops faint lines whole.
OMISSION_WEIGHT = 0.5


@dataclass
class Copy:
    tokens: list[Token]
    witness_id: str
    quality: float = 0.0


@dataclass
class Variant:
    position: int  # word index in the fused token list
    chosen: str
    alternatives: list[dict]  # every reading: {text, witness_id, conf}
    margin: float


@dataclass
class Fused:
    tokens: list[Token]
    variants: list[Variant] = field(default_factory=list)
    pivot: int = 0
    pivot_witness: str = ""  # the witness whose layout (line numbers) the fused tokens keep


@dataclass
class _Column:
    anchor: int  # pivot position; insertions sit in the column after that position
    is_gap: bool
    readings: dict[int, list[Token]]  # copy index -> its words here ([] = nothing)


def fuse(copies: list[Copy], names: Counter | None = None) -> Fused:
    """The fused reading of copies of one passage; `names` counts the proper names the collection
    uses outside these copies."""
    if len(copies) == 1:
        return Fused(tokens=list(copies[0].tokens), pivot_witness=copies[0].witness_id)
    names = names or Counter()
    pivot = _initial_pivot(copies)
    columns, covered = _columns(copies, pivot)
    # A copy most of whose words stand nowhere in the passage (an OCR pass that read nothing, or
    # the specks of a worn carbon) is not a copy of it: where a word of it met the passage by
    # chance, it was one more voter, and alone against another copy it could win.
    related = [c for c, n in enumerate(covered)
               if c == pivot or (copies[c].tokens and 2 * n >= len(copies[c].tokens))]
    if len(related) < len(copies):
        fused = fuse([copies[c] for c in related], names)
        fused.pivot = related[fused.pivot]
        return fused
    qualities = _qualities(copies, columns, names)
    for copy, q in zip(copies, qualities):
        copy.quality = q
    # The pivot must span the passage: a fragment that agrees where it stands measures as well
    # as a whole copy, and as the pivot it left everything it does not cover to a vote against
    # its silence (two copies: it won, and the page was cut down to the fragment).
    whole = [c for c, n in enumerate(covered) if _spans(n, len(copies[pivot].tokens))]
    pivot = max(whole, key=lambda i: (qualities[i], -i))
    columns, _ = _columns(copies, pivot)
    tokens: list[Token] = []
    variants: list[Variant] = []
    for column in columns:
        chosen, margin = _decide(column, copies, qualities)
        words = column.readings[chosen]
        if len({_reading_key(r) for r in column.readings.values()}) > 1:
            variants.append(Variant(position=len(tokens), chosen=_text(words),
                                    alternatives=_alternatives(column, copies),
                                    margin=round(margin, 3)))
        tokens.extend(_placed(words, column, copies[pivot].tokens))
    return Fused(tokens=tokens, variants=variants, pivot=pivot,
                 pivot_witness=copies[pivot].witness_id)


def _initial_pivot(copies: list[Copy]) -> int:
    """The copy with the most dictionary words (then the longest), so that the first alignment
    loses as little as possible: the longest alone could be the noise a worn carbon reads as."""
    return max(range(len(copies)), key=lambda i: (
        sum(map(is_word, (t.text for t in copies[i].tokens))), len(copies[i].tokens), -i))


def _columns(copies: list[Copy], pivot: int) -> tuple[list[_Column], list[int]]:
    """The alignment as columns, and how many words of each copy were paired with the pivot's
    (the pivot: all of its own). A copy that covers only part of the pivot (a transcribed
    fragment, a P.S. copied twice) has readings only within the span it covers: outside it,
    it neither votes nor counts as an omission."""
    base = copies[pivot].tokens
    paired = [0] * len(copies)
    paired[pivot] = len(base)
    slots: list[_Column] = []
    for i in range(len(base)):
        slots.append(_Column(i, True, {}))  # insertions before word i
        slots.append(_Column(i, False, {pivot: [base[i]]}))
    slots.append(_Column(len(base), True, {}))
    for c, copy in enumerate(copies):
        if c == pivot:
            continue
        pairs = align(base, copy.tokens)
        covered = [p for p, o in pairs if p is not None and o is not None]
        if not covered:
            continue
        first, last = covered[0], covered[-1]
        # A copy that spans most of the pivot is a whole witness: what it has before the first
        # or after the last shared word is text, not the ragged edge of a fragment.
        paired[c] = len(covered)
        whole = _spans(len(covered), len(base))
        gap_words: list[Token] = []
        for p, o in pairs:
            if p is None:
                gap_words.append(copy.tokens[o])
                continue
            if gap_words and (whole or first <= p <= last + 1):
                slots[2 * p].readings[c] = gap_words
            gap_words = []
            if first <= p <= last:
                slots[2 * p + 1].readings[c] = [copy.tokens[o]] if o is not None else []
        if gap_words and whole:
            slots[-1].readings[c] = gap_words
        for p in range(first, last + 1):
            slots[2 * p + 1].readings.setdefault(c, [])
            if p > first:
                slots[2 * p].readings.setdefault(c, [])
    for column in slots:
        if column.is_gap and any(column.readings.values()):
            column.readings.setdefault(pivot, [])
    return [s for s in slots if not s.is_gap or any(s.readings.values())], paired


def _spans(paired: int, pivot_words: int) -> bool:
    """Whether a copy with `paired` words aligned to the pivot's is a whole witness of it."""
    return paired >= 0.5 * pivot_words


def _qualities(copies: list[Copy], columns: list[_Column], names: Counter) -> list[float]:
    """Per copy: agreement with the confidence-weighted plurality (three copies or more), plus
    the plausibility of its readings where the copies differ (non-words cost, names the
    collection uses elsewhere earn)."""
    n = len(copies)
    agree = [0] * n
    disputed = [0] * n
    evidence = [0.0] * n
    for at, column in enumerate(columns):
        keys = {c: _reading_key(r) for c, r in column.readings.items()}
        if len(set(keys.values())) == 1 or _at_edge(columns, at):
            continue
        weight: Counter = Counter()
        for c, words in column.readings.items():
            weight[keys[c]] += _confidence(words or copies[c].tokens)
        plurality = max(weight, key=lambda k: (weight[k], k))
        left, right = _context(columns, at)
        for c, words in column.readings.items():
            disputed[c] += 1
            agree[c] += keys[c] == plurality
            evidence[c] += _evidence(words, left, right, names)
    qualities = []
    for c in range(n):
        if not disputed[c]:
            qualities.append(1.0)
            continue
        agreement = agree[c] / disputed[c] if n >= 3 else 0.5
        qualities.append(agreement + evidence[c] / disputed[c] / 10.0)
    return qualities


def _at_edge(columns: list[_Column], at: int) -> bool:
    """Whether a column lies before the first or after the last word all copies share: where
    copies are cut differently, a missing word says nothing about a copy's quality."""
    def shared(column: _Column) -> bool:
        return len(column.readings) >= 2 and all(column.readings.values())

    return not any(shared(c) for c in columns[:at]) or not any(shared(c) for c in columns[at + 1:])


def _context(columns: list[_Column], at: int) -> tuple[Token | None, Token | None]:
    """The nearest undisputed words before and after a column, to judge readings in context."""
    def undisputed(column: _Column) -> Token | None:
        readings = list(column.readings.values())
        first = readings[0]
        if first and all(_reading_key(r) == _reading_key(first) for r in readings):
            return first[-1]
        return None

    left = next((w for c in reversed(columns[:at]) if (w := undisputed(c))), None)
    right = next((w for c in columns[at + 1:] if (w := undisputed(c))), None)
    return left, right


def _evidence(words: list[Token], left: Token | None, right: Token | None,
              names: Counter) -> float:
    """How plausible a reading is as English of this collection, in its context."""
    if not words:
        return -1.0
    score = 0.0
    if right is not None:
        score += bigram_logp(words[-1].text, right.text) / 5.0
    for previous, word in zip([left] + words[:-1], words):
        key = word_key(word.text)
        if word.text[:1].isupper() and names[key] > 0:
            score += 2.0  # a name the collection uses elsewhere
        elif key and not is_word(word.text):
            # A capitalised unknown word is a name's form; a lower-case one is a misreading.
            score += 1.0 if word.text[:1].isupper() else -3.0
        elif previous is not None:
            score += bigram_logp(previous.text, word.text) / 5.0
    return score / len(words)


_ABBREVIATIONS = {"mr", "mrs", "messrs", "dr", "st", "gen", "col", "capt", "rev", "hon", "sgd"}


def proper_names(tokens: list[Token]) -> Counter:
    """How often each capitalised word stands inside a sentence (so not merely capitalised by
    position): the collection's own vocabulary of names."""
    return names_in([t.text for t in tokens])


def names_in(words: list[str]) -> Counter:
    """`proper_names` of plain words: the survey of a whole collection counts them without
    making a Token of every word."""
    names: Counter = Counter()
    for previous, word in zip([None] + words[:-1], words):
        if not word[:1].isupper() or previous is None:
            continue
        if previous.rstrip('"\')').endswith((".", "!", "?", ":")):  # a sentence ended
            key = token_key(previous)
            if not (len(key) <= 1 or key in _ABBREVIATIONS):
                continue
        names[word_key(word)] += 1
    return names


def _decide(column: _Column, copies: list[Copy], qualities: list[float]
            ) -> tuple[int, float]:
    """The copy whose reading wins this column, and by how much.

    Two copies cannot out-vote each other: the better copy (by witness-level quality) decides.
    Three or more vote, each weighted by its quality and its words' OCR confidence (which only
    tempers the count: two agreeing independent readings outweigh one confident one), a
    lower-case non-word counting for less.
    """
    present = list(column.readings)
    if len(present) <= 2:
        best = max(present, key=lambda c: (qualities[c], -c))
        others = [qualities[c] for c in present if c != best]
        return best, qualities[best] - max(others, default=qualities[best])
    support: dict[str, float] = Counter()
    holder: dict[str, int] = {}
    for c, words in column.readings.items():
        key = _reading_key(words)
        confidence = _confidence(words or copies[c].tokens) ** 0.5
        weight = _lexical_weight(words) if words else OMISSION_WEIGHT
        support[key] += max(qualities[c], 0.05) * confidence * weight
        if key not in holder or qualities[c] > qualities[holder[key]]:
            holder[key] = c
    ranked = sorted(support.items(), key=lambda kv: (-kv[1], -qualities[holder[kv[0]]]))
    best = ranked[0][0]
    margin = ranked[0][1] - ranked[1][1] if len(ranked) > 1 else 0.0
    return _best_spelling(column, copies, qualities, best), margin


def _best_spelling(column: _Column, copies: list[Copy], qualities: list[float], key: str) -> int:
    """Among copies that agree on the words, the one whose exact spelling (case, punctuation)
    most copies share: a speck read as a full stop by one copy is outvoted there too."""
    spelling: dict[str, float] = Counter()
    holder: dict[str, int] = {}
    for c, words in column.readings.items():
        if _reading_key(words) != key:
            continue
        text = _text(words)
        spelling[text] += max(qualities[c], 0.05)
        if text not in holder or qualities[c] > qualities[holder[text]]:
            holder[text] = c
    return holder[max(spelling, key=lambda t: (spelling[t], qualities[holder[t]]))]


def _lexical_weight(words: list[Token]) -> float:
    """Misreadings are mostly non-words: a lower-case word no dictionary knows, or a token with
    no letter or digit, counts for less."""
    for w in words:
        key = word_key(w.text)
        if not w.key or (key and w.text[:1].islower() and not is_word(w.text)):
            return 0.6  # no letters or digits at all ("|", "_") is a speck or a rule, as a rule
    return 1.0


def _confidence(words: list[Token]) -> float:
    """How sure a copy is of its reading; an omission counts with the copy's overall
    confidence (a confident copy that saw nothing here is evidence that nothing is here)."""
    if not words:
        return 0.5
    confs = [TRANSCRIPTION_CONF if w.conf is None else w.conf for w in words]
    return max(0.05, sum(confs) / len(confs) / 100.0)


def _reading_key(words: list[Token]) -> str:
    """What two readings must share to agree: their letters and digits, case aside; a token of
    punctuation alone (a stray mark) is compared as written."""
    return " ".join(w.key or w.text for w in words)


def _text(words: list[Token]) -> str:
    return " ".join(w.text for w in words)


def _alternatives(column: _Column, copies: list[Copy]) -> list[dict]:
    out = []
    for c, words in column.readings.items():
        confs = [w.conf for w in words if w.conf is not None]
        out.append({"text": _text(words), "witness_id": copies[c].witness_id,
                    "conf": round(sum(confs) / len(confs), 1) if confs else None})
    return out


def _placed(words: list[Token], column: _Column, base: list[Token]) -> list[Token]:
    """Chosen words keep their own text and confidence but take the pivot's line, so the fused
    passage keeps the pivot's layout."""
    if not base:
        return list(words)
    line = base[min(column.anchor, len(base) - 1)].line
    return [Token(w.text, w.key, line, w.conf, w.source) for w in words]
