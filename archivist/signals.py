"""How well a page or a line was read, judged without ground truth.

Two signals, both cheap: Tesseract's word confidences, and the share of word-like tokens that an
English dictionary knows (archivist.lexicon: SymSpell's 82,765 words). Misreadings are mostly
non-words ("tlhe", "aro"), so the dictionary share falls where confidence is sometimes still
high. Together they decide whether a page is read again with another recipe, which lines are
read again, and which of two readings of the same text is kept.
"""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Sequence

from archivist.lexicon import is_word

if TYPE_CHECKING:
    from archivist.ocr import Word

# A page is read again with another recipe below these (typed pages read well at 88-95 mean
# confidence with 90-97 % dictionary words; a faint carbon or a page too small to read falls
# well below).
POOR_MEAN_CONF = 80.0
POOR_DICT_RATE = 0.80
FEW_WORDS = 5  # fewer body words than this: a reading that found (almost) nothing
# A reading below both of these is noise, not text.
NOISE_MEAN_CONF = 60.0
NOISE_DICT_RATE = 0.6
# A line is read again below this mean confidence.
WEAK_LINE_CONF = 85.0


@dataclass(frozen=True)
class Signals:
    words: int
    mean_conf: float  # 0-100, over all words
    dict_rate: float  # share of word-like tokens (two letters or more) a dictionary knows
    dict_words: float  # dictionary words, each counted by its confidence: how much was read

    @property
    def quality(self) -> float:
        """Confidence and dictionary share on one scale (0-2): which reading is better."""
        return self.mean_conf / 100.0 + self.dict_rate

    def as_dict(self) -> dict:
        return {k: round(v, 3) if isinstance(v, float) else v for k, v in asdict(self).items()}


def _word_like(text: str) -> bool:
    return sum(c.isalpha() for c in text) >= 2


def signals(words: Sequence["Word"]) -> Signals:
    if not words:
        return Signals(0, 0.0, 0.0, 0.0)
    alpha = [w for w in words if _word_like(w.text)]
    known = [w for w in alpha if is_word(w.text)]
    return Signals(words=len(words), mean_conf=statistics.fmean(w.conf for w in words),
                   dict_rate=len(known) / len(alpha) if alpha else 0.0,
                   dict_words=sum(w.conf for w in known) / 100.0)


def is_poor(s: Signals, few_words: int = FEW_WORDS) -> bool:
    """Whether a page's reading is poor enough to be worth a reading with another recipe."""
    return (s.words < few_words or s.mean_conf < POOR_MEAN_CONF
            or s.dict_rate < POOR_DICT_RATE)


def is_noise(s: Signals) -> bool:
    """Whether a reading looks like noise read as text: low confidence and mostly non-words
    (the grain of a blank worn sheet, binarised, reads at 42-45 mean confidence with half its
    tokens non-words; the poorest real pages of the EHRI set read at 80 and 0.8)."""
    return s.mean_conf < NOISE_MEAN_CONF and s.dict_rate < NOISE_DICT_RATE


def better(a: Signals, b: Signals) -> bool:
    """Whether reading b of some text is better than reading a of the same text.

    A reading that finds much less (fewer than 80 % of the other's dictionary words) loses
    whatever its confidence: a recipe that erases faint lines reads what is left confidently.
    Otherwise the higher quality (confidence plus dictionary share) wins; ties keep a.
    """
    if b.dict_words < 0.8 * a.dict_words:
        return False
    if a.dict_words < 0.8 * b.dict_words:
        return True
    return b.quality > a.quality


def line_quality(words: Sequence["Word"]) -> float:
    """Quality of one line's reading (0-2); an empty reading scores -1."""
    if not words:
        return -1.0
    return signals(words).quality


def weak_lines(lines: Sequence[Sequence["Word"]], max_share: float,
               conf_below: float = WEAK_LINE_CONF) -> list[int]:
    """Indexes of the lines worth reading again: mean confidence below `conf_below`, the
    weakest first, at most `max_share` of all lines (the time budget), in page order."""
    scored = [(statistics.fmean(w.conf for w in line), i) for i, line in enumerate(lines)
              if line and statistics.fmean(w.conf for w in line) < conf_below]
    limit = int(max_share * len(lines))
    return sorted(i for _, i in sorted(scored)[:limit])
