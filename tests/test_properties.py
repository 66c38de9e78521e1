"""Properties of the pure parts, checked on generated input (hypothesis).

Fast by design: modest example counts and no deadline (the first call of a module warms its
caches), so the whole file runs in well under 20 s.
"""

from __future__ import annotations

import datetime
from collections import Counter

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from archivist.align import Token, align, find_matches, tokenize
from archivist.dates import find_dates, parse_date
from archivist.fusion import Copy, fuse
from archivist.transcription import parse_markdown

FAST = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])

# Text with the characters that matter to the parser: Markdown marks, hard breaks (two spaces,
# a backslash), every kind of line end and Unicode whitespace, plus any other character.
_MARKDOWN_BITS = st.sampled_from(["*", "**", "_", "__", "#", "# ", "  \n", "\\\n", "\n", "\n\n",
                                  "\r\n", "\r", " ", "\t", "\u00a0", "\u2028", "\x0c", "\x85"])
markdown_text = st.lists(st.one_of(_MARKDOWN_BITS, st.text(max_size=12)), max_size=40).map("".join)

WORDS = ["the", "telegram", "of", "December", "Halifax", "frontier", "Russian", "would", "not",
         "be", "completed", "for", "four", "months", "Welles", "Eden", "war", "1941", "G260/3/41",
         ",", "--", "a.m.", "U.S.S.R."]
word = st.one_of(st.sampled_from(WORDS), st.text(min_size=1, max_size=8).filter(
    lambda s: s.strip() == s and " " not in s and "\n" not in s and s != ""))
token_lists = st.lists(word, max_size=40).map(lambda words: tokenize([" ".join(words)], "w"))


# --------------------------------------------------------------------------
# Transcription parser
# --------------------------------------------------------------------------

@FAST
@given(markdown_text)
@example("*  \n  \n# \n\n*")  # a paragraph of marks only once shifted later offsets by one
def test_parse_markdown_never_crashes_and_line_offsets_index_the_text(raw):
    parsed = parse_markdown(raw)
    text = parsed.text
    assert parsed.raw == raw
    for n, line in enumerate(parsed.lines):
        assert line.line_no == n
        assert line.text and line.text == line.text.strip()
        assert text[line.char_start:line.char_end] == line.text
    starts = [line.char_start for line in parsed.lines]
    assert starts == sorted(starts)
    pars = [line.par_no for line in parsed.lines]
    assert pars == sorted(pars)


@FAST
@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")),
                        min_size=1, max_size=30).filter(lambda s: s.strip()), min_size=1,
                max_size=8))
def test_hard_broken_lines_come_back_as_lines(lines):
    raw = "".join(f"{line}  \n" for line in lines)
    parsed = parse_markdown(raw)
    assert len(parsed.lines) <= len(lines)  # emphasis or a heading mark may empty a line
    assert all(line.par_no == 0 for line in parsed.lines)


# --------------------------------------------------------------------------
# Aligner
# --------------------------------------------------------------------------

@FAST
@given(token_lists, token_lists)
def test_align_pairs_every_index_of_both_sides_exactly_once_in_order(a, b):
    pairs = align(a, b)
    a_side = [p for p, _ in pairs if p is not None]
    b_side = [o for _, o in pairs if o is not None]
    assert a_side == list(range(len(a)))  # every a index once, in a's order
    assert sorted(b_side) == list(range(len(b)))  # every b index once (moved blocks may jump)
    assert all(p is not None or o is not None for p, o in pairs)


@FAST
@given(token_lists)
def test_align_of_a_copy_with_itself_is_the_diagonal(a):
    assert align(a, list(a)) == [(i, i) for i in range(len(a))]


@FAST
@given(token_lists, st.one_of(st.none(), token_lists), st.integers(2, 5))
def test_find_matches_never_crashes_and_its_ranges_are_inside_the_streams(a, b, k):
    matches = find_matches(a, b, k=k, min_tokens=k)
    other = a if b is None else b
    for m in matches:
        assert 0 <= m.a_start < m.a_end <= len(a)
        assert 0 <= m.b_start < m.b_end <= len(other)
        assert 0.0 <= m.score <= 100.0


@FAST
@given(st.lists(st.sampled_from(WORDS[:18]), min_size=12, max_size=30))
def test_a_passage_repeated_in_one_stream_is_found(words):
    passage = tokenize([" ".join(words)], "w")
    stream = tokenize([" ".join(words + ["|"] + words)], "w")
    keys = [t.key for t in passage if t.key]
    if len(set(zip(keys, keys[1:], keys[2:], keys[3:]))) < len(keys) - 3:
        return  # a passage that repeats itself inside has no single diagonal: not this property
    matches = find_matches(stream, k=4, min_tokens=8)
    assert any(m.a_start == 0 and m.b_start == len(passage) + 1 for m in matches) or \
        any(m.b_start == 0 and m.a_start == len(passage) + 1 for m in matches)


# --------------------------------------------------------------------------
# Fusion
# --------------------------------------------------------------------------

@FAST
@given(st.lists(word, min_size=0, max_size=30), st.integers(2, 4),
       st.lists(st.floats(0, 100), min_size=1, max_size=4))
def test_fusing_identical_copies_returns_that_copy_without_variants(words, n, confs):
    line = " ".join(words)
    copies = []
    for i in range(n):
        conf = confs[i % len(confs)]
        copies.append(Copy(tokenize([line], f"w{i}", [[conf] * len(words)]), f"w{i}"))
    fused = fuse(copies, Counter({"halifax": 2}))
    assert [t.text for t in fused.tokens] == line.split()
    assert fused.variants == []


# --------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------

_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"]


def _ordinal(day: int) -> str:
    suffix = "th" if 11 <= day <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


@FAST
@given(st.dates(datetime.date(1600, 1, 1), datetime.date(2099, 12, 31)))
def test_a_typed_date_line_parses_back_to_its_date(date):
    text = f"{_MONTHS[date.month - 1]} {_ordinal(date.day)}, {date.year}."
    assert parse_date(text) == date
    (mention,) = find_dates(text)
    assert mention.value == date and mention.precision == "day"
    assert text[mention.start:mention.end] == mention.text


@FAST
@given(st.dates(datetime.date(1900, 1, 1), datetime.date(1999, 12, 31)),
       st.sampled_from([".", "/", "-"]))
def test_a_numeric_date_with_century_19_parses_back_day_first(date, sep):
    text = f"{date.day:02d}{sep}{date.month:02d}{sep}{date.year % 100:02d}"
    assert parse_date(text, century=19) == date


@FAST
@given(st.dates(datetime.date(1600, 1, 1), datetime.date(2099, 12, 31)))
def test_a_receipt_stamp_parses_back_to_its_date(date):
    text = f"{date.year} {_MONTHS[date.month - 1].upper()} {date.day}"
    assert parse_date(text) == date


_NO_DIGITS = st.text(alphabet=st.characters(blacklist_categories=("Nd", "Cs")), max_size=20)


@FAST
@given(st.dates(datetime.date(1900, 1, 1), datetime.date(1999, 12, 31)), _NO_DIGITS, _NO_DIGITS)
def test_a_date_line_is_found_between_other_lines(date, before, after):
    line = f"{_MONTHS[date.month - 1]} {_ordinal(date.day)}, {date.year}."
    mentions = find_dates(f"{before}\n{line}\n{after}")
    assert date in [m.value for m in mentions]


def test_a_number_ending_the_line_before_does_not_take_the_dates_month():
    assert parse_date("Enclosures 2\nFebruary 23rd, 1941.") == datetime.date(1941, 2, 23)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=80), st.one_of(st.none(), st.dates()), st.one_of(st.none(),
                                                                       st.integers(0, 99)))
def test_find_dates_never_crashes_and_mentions_are_ordered_slices(text, reference, century):
    mentions = find_dates(text, reference=reference, century=century)
    end = 0
    for m in mentions:
        assert m.start >= end and m.start < m.end <= len(text)
        assert text[m.start:m.end] == m.text
        assert m.precision in ("day", "month", "year")
        end = m.end


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet="0123456789./-, ADFJMNOSaceghilnoprstuvyb", max_size=40))
def test_find_dates_never_crashes_on_date_like_noise(text):
    for m in find_dates(text, century=19):
        assert text[m.start:m.end] == m.text
