"""Dates as typed on 1930s-40s archival documents.

General-purpose date parsers guess the century from today's date (``23.12.41``
becomes 2041) and read day ranges such as ``28th/29th December`` as years.
This module is a small grammar for the forms typists, registries and receipt
stamps actually used, resolved in the frame of the document being read:

* ``December 23rd, 1941`` / ``Dec. 23, 1941`` / ``May 31 1939``   (month day year)
* ``14th March, 1946`` / ``31 May 1939`` / ``16th of July``       (day month year)
* ``1939 MAY 31``                                                  (receipt stamps)
* ``23.12.41`` / ``23/12/41`` / ``23-12-1941``                    (numeric)
* ``28th/29th December`` / ``December 28th/29th``                 (a night or range:
  the value is the first day)
* ``December 20th``                                                (no year: taken from
  ``reference``, the document's own date)
* ``December, 1941`` / ``Feb. 1944``                               (month precision)
* ``1939``                                                         (year precision)
* ``September 2ist, 1945`` / ``Sth May`` / ``28 .9.40``             (as OCR leaves them: a
  figure read as a letter in an ordinal day whose suffix still fits, a space before a stop)

Century of two-digit years: ``century`` when given (``19`` means 19xx), else the
century that puts the year closest to ``reference``, else 19 -- the archive
default, because the collections are from the first half of the 20th century.

Numeric dates are read day first (the European and British registry habit);
month first is used only when day first is impossible (``12/25/41``).
Impossible dates (``31.02.41``) and file numbers (``G260/3/41``, ``6253/14/41``)
are not dates.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

__all__ = ["DateMention", "find_dates", "parse_date"]

ARCHIVE_CENTURY = 19
"""Century prefix of two-digit years when nothing better is known."""

_UNDATED_LOOKAHEAD = datetime.timedelta(days=62)
"""A yearless date may lie this far after the document date (a letter announcing
an event); beyond that it is read as last year's (``December 20th`` in a
letter of 5 January)."""


@dataclass(frozen=True)
class DateMention:
    text: str
    start: int
    end: int
    value: datetime.date | None
    precision: str  # "day" | "month" | "year"


_MONTH_NAMES = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6,
    "july": 7, "august": 8, "september": 9, "october": 10, "november": 11,
    "december": 12,
    "jan": 1, "feb": 2, "febr": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7,
    "aug": 8, "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
}


def _month_alternation() -> str:
    """Title Case and UPPER CASE only: lowercase 'may' and 'march' are verbs."""
    names = sorted(_MONTH_NAMES, key=len, reverse=True)
    forms = [form for name in names for form in (name.title(), name.upper())]
    return "|".join(forms)


_MONTH = rf"(?:{_month_alternation()})(?![A-Za-z])\.?"
_SUFFIX = r"(?:\s?(?:st|nd|rd|th|d)(?![A-Za-z]))"
_OCR_DIGITS = str.maketrans("IliO|oS", "1110105")
"""Letters OCR reads for figures: 'Sth' is '5th', '2ist' is '21st', 'l0th' is '10th'."""
_OCR_DAY = r"(?:[0-3][IliO|oS]|[Ili|][\dIliO|oS]|[IliS])(?:st|nd|rd|th)(?![A-Za-z])"
"""An ordinal day with a figure misread as a letter; the suffix must agree with the figure."""
_DAY = rf"(?:{_OCR_DAY}|[0-3]?\d(?!\d){_SUFFIX}?)"
_DAYS = rf"(?P<day>{_DAY})(?:\s?[/\-–]\s?(?P<day2>{_DAY}))?"
_YEAR = r"(?P<year>1[6-9]\d\d|20\d\d)(?!\d)"
_START = r"(?<![\w/.,\-£$])"
_COMMA = r"[,;.]"  # before the year: OCR reads a typed comma as ';' or '.' ("May 9th; 1945")

# (pattern, precision, priority): a lower priority wins ties between equally long matches.
_PATTERNS: list[tuple[re.Pattern[str], str, int]] = [
    (re.compile(rf"{_START}{_YEAR}\s+(?P<month>{_MONTH})\s*(?P<day>{_DAY})"), "day", 0),
    (re.compile(rf"(?<![A-Za-z])(?P<month>{_MONTH})\s*{_DAYS}(?:\s*{_COMMA}?\s*{_YEAR})?"),
     "day", 1),
    (re.compile(rf"{_START}{_DAYS}[ \t]+(?:of[ \t]+)?(?P<month>{_MONTH})"
                rf"(?:\s*{_COMMA}?\s*{_YEAR})?"), "day", 1),
    (re.compile(
        rf"{_START}(?P<a>\d{{1,2}})(?P<sp1> ?)(?P<sep>[./\-])(?P<sp2> ?)(?P<b>\d{{1,2}})(?P=sep)"
        rf"(?P<nyear>\d{{4}}|\d{{2}})"
        r"(?![\w/]|[./\-]\d)"), "day", 2),
    (re.compile(rf"(?<![A-Za-z])(?P<month>{_MONTH}),?\s*{_YEAR}"), "month", 3),
    (re.compile(rf"(?<!No\. )(?<!No )(?<!NO\. ){_START}(?P<year>1[89]\d\d|20[0-2]\d)(?![\w/]|[.,]\d)"),
     "year", 4),
]


def find_dates(
    text: str,
    *,
    reference: datetime.date | None = None,
    century: int | None = None,
) -> list[DateMention]:
    """Every date in ``text``, in order, without overlaps (the longest reading wins)."""
    candidates = []
    for pattern, precision, priority in _PATTERNS:
        for match in pattern.finditer(text):
            mention = _mention(match, precision, reference, century)
            if mention is not None:
                candidates.append((mention, priority))
    return _without_overlaps(candidates)


def parse_date(
    text: str,
    *,
    reference: datetime.date | None = None,
    century: int | None = None,
) -> datetime.date | None:
    """The first resolvable date in ``text``, or None."""
    for mention in find_dates(text, reference=reference, century=century):
        if mention.value is not None:
            return mention.value
    return None


def _without_overlaps(candidates: list[tuple[DateMention, int]]) -> list[DateMention]:
    ordered = sorted(candidates, key=lambda c: (c[0].start, -(c[0].end - c[0].start), c[1]))
    chosen: list[DateMention] = []
    for mention, _ in ordered:
        if chosen and mention.start < chosen[-1].end:
            continue
        chosen.append(mention)
    return chosen


def _mention(
    match: re.Match[str],
    precision: str,
    reference: datetime.date | None,
    century: int | None,
) -> DateMention | None:
    groups = match.groupdict()
    spaces = (groups.get("sp1") or "") + (groups.get("sp2") or "")
    if len(spaces) > 1 or (spaces and groups["sep"] != "."):
        return None  # '28 .9.40': one space OCR put beside a full stop, no more
    if groups.get("a") is not None:
        value = _numeric_value(groups, reference, century)
        if value is None:
            return None  # an impossible numeric triple is a number, not a date
    elif precision == "year":
        value = datetime.date(int(groups["year"]), 1, 1)
    else:
        month = _MONTH_NAMES[groups["month"].rstrip(".").lower()]
        year = int(groups["year"]) if groups.get("year") else None
        if precision == "month":
            value = datetime.date(year, month, 1) if year else None
        else:
            day = _day_number(groups["day"])
            if day is None or not _plausible_day(day, month, groups.get("day2")):
                return None
            value = _day_value(year, month, day, reference)
    text = match.group(0).rstrip(" ,\n\t")
    return DateMention(text, match.start(), match.start() + len(text), value, precision)


def _day_number(token: str) -> int | None:
    """The day of a day token; a misread ordinal ('2ist') only when its suffix fits the day."""
    figures = re.match(r"\d+", token)
    if figures and len(figures.group(0)) == len(token.rstrip("stndrh ").rstrip()):
        return int(figures.group(0))
    digits, suffix = re.fullmatch(r"(\S+?)\s?(st|nd|rd|th)", token).groups()
    day = int(digits.translate(_OCR_DIGITS))
    return day if _ordinal_suffix(day) == suffix else None


def _ordinal_suffix(day: int) -> str:
    if 11 <= day % 100 <= 13:
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")


def _plausible_day(day: int, month: int, second_day: str | None) -> bool:
    """A day no month has is a figure, not a date; a range must run forward.

    'February 30' stays a (typo'd) date whose value cannot be resolved."""
    if not 1 <= day <= 31:
        return False
    if second_day is None:
        return True
    return day < _day_number(second_day) <= 31


def _day_value(
    year: int | None, month: int, day: int, reference: datetime.date | None
) -> datetime.date | None:
    if year is None:
        return _resolve_yearless(month, day, reference)
    return _safe_date(year, month, day)


def _resolve_yearless(
    month: int, day: int, reference: datetime.date | None
) -> datetime.date | None:
    """Same year as the document, unless that puts it implausibly far ahead of it."""
    if reference is None:
        return None
    value = _safe_date(reference.year, month, day)
    if value is not None and value > reference + _UNDATED_LOOKAHEAD:
        value = _safe_date(reference.year - 1, month, day)
    return value


def _numeric_value(
    groups: dict[str, str], reference: datetime.date | None, century: int | None
) -> datetime.date | None:
    first, second = int(groups["a"]), int(groups["b"])
    year = _full_year(groups["nyear"], reference, century)
    return _safe_date(year, second, first) or _safe_date(year, first, second)


def _full_year(digits: str, reference: datetime.date | None, century: int | None) -> int:
    if len(digits) == 4:
        return int(digits)
    short = int(digits)
    if century is not None:
        return century * 100 + short
    if reference is not None:
        base = reference.year // 100 * 100
        options = (base - 100 + short, base + short, base + 100 + short)
        return min(options, key=lambda y: abs(y - reference.year))
    return ARCHIVE_CENTURY * 100 + short


def _safe_date(year: int, month: int, day: int) -> datetime.date | None:
    try:
        return datetime.date(year, month, day)
    except ValueError:
        return None
