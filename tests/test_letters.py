"""Tests for the synthetic letters with metadata ground truth (no OCR engine needed).

The metadata benchmark is only as good as its truth, so these check that what the truth says
is what the typist typed, that every sheet fits the renderer, and that a dozen letters are
varied enough to exercise every extractor. Rendering costs ~0.2 s a page: three renders here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PIL import Image

from archivist import synth
from archivist.letters import (DATE_FORMS, DOC_TYPES, MAX_COLUMNS, MAX_LINES, GeneratedLetter,
                               format_date, generate_letters, letter_text, write_letters)

LETTERS = generate_letters(12, seed=0)
CATCHWORD = re.compile(r"^\s{20,}(?P<word>[A-Za-z][\w'\-]*)/$")


def _flat(text: str) -> str:
    return " ".join(text.split())


def _page_one(letter: GeneratedLetter) -> str:
    return "\n".join(letter.pages[0])


def _date_form(letter: GeneratedLetter) -> str | None:
    truth = letter.truth
    if truth.doc_date is None:
        return None
    return next(form for form in DATE_FORMS if format_date(truth.doc_date, form) == truth.date_text)


# -- determinism --------------------------------------------------------------


def test_same_seed_gives_the_same_letters() -> None:
    assert generate_letters(12, seed=0) == LETTERS


def test_other_seed_gives_other_letters() -> None:
    assert generate_letters(12, seed=1) != LETTERS


def test_a_letter_depends_only_on_seed_and_position() -> None:
    assert generate_letters(3, seed=0) == LETTERS[:3]


# -- layout -------------------------------------------------------------------


def test_every_page_fits_the_sheet() -> None:
    for letter in LETTERS:
        for page in letter.pages:
            assert 0 < len(page) <= MAX_LINES
            assert all(len(line.rstrip()) <= MAX_COLUMNS for line in page)


def test_page_count_is_the_number_of_sheets() -> None:
    for letter in LETTERS:
        assert letter.truth.pages == len(letter.pages)
        assert 1 <= letter.truth.pages <= 4


def test_later_pages_open_with_their_number() -> None:
    for letter in LETTERS:
        for number, page in enumerate(letter.pages[1:], 2):
            assert page[0].strip() == f"- {number} -"
            assert page[1].strip() == "" and page[2].strip()


def test_catchwords_repeat_the_next_page_s_first_word() -> None:
    seen = 0
    for letter in LETTERS:
        for page, following in zip(letter.pages, letter.pages[1:]):
            words = [m.group("word") for line in page if (m := CATCHWORD.match(line))]
            if words:
                seen += 1
                assert following[2].split()[0].strip(".,;:") == words[0]
    assert seen >= 2


# -- truth agrees with the typed text ------------------------------------------


def test_the_date_as_typed_is_on_page_one() -> None:
    for letter in LETTERS:
        if letter.truth.date_text is not None:
            assert letter.truth.date_text in _page_one(letter)
            assert _date_form(letter) is not None
        else:
            assert letter.truth.doc_date is None


def test_head_fields_are_typed_on_page_one() -> None:
    for letter in LETTERS:
        truth, head = letter.truth, letter.pages[0]
        if truth.classification:
            assert truth.classification in [line.strip() for line in head]
        if truth.subject:
            assert truth.subject in _flat(_page_one(letter))
        if truth.place:
            assert truth.place in _page_one(letter)
        if truth.number:
            assert f"No. {truth.number}" in [line.strip() for line in head]


def test_references_and_names_are_typed() -> None:
    for letter in LETTERS:
        text = letter_text(letter)
        for reference in letter.truth.references:
            assert reference in text
        for name in (letter.truth.sender, letter.truth.recipient):
            if name:
                assert name.lower() in text.lower()


def test_the_document_type_shows_in_its_form() -> None:
    cues = {"telegram": "TELEGRAM", "memorandum": "MEMORANDUM", "despatch": "Sir:",
            "letter": "Dear"}
    for letter in LETTERS:
        assert cues[letter.truth.doc_type] in _page_one(letter)


# -- variety ------------------------------------------------------------------


def test_a_dozen_letters_are_varied() -> None:
    truths = [letter.truth for letter in LETTERS]
    assert {t.doc_type for t in truths} == set(DOC_TYPES)
    assert len({_date_form(letter) for letter in LETTERS} - {None}) >= 4
    assert len({t.classification for t in truths}) >= 3 and None in {t.classification for t in truths}
    assert {1, 2} <= {t.pages for t in truths} and max(t.pages for t in truths) >= 3
    for field in ("doc_date", "subject", "place", "number"):
        values = [getattr(t, field) for t in truths]
        assert None in values and any(v is not None for v in values), field
    assert any(t.references for t in truths) and any(not t.references for t in truths)


# -- rendering ------------------------------------------------------------------


def test_the_fullest_page_renders() -> None:
    fullest = max((page for letter in LETTERS for page in letter.pages), key=len)
    assert len(fullest) == MAX_LINES
    synth.render_page(fullest, seed=1, dpi=300, degradation=synth.Degradation.ribbon())


def test_write_letters_names_sort_in_page_order(tmp_path: Path) -> None:
    two_pages = next(letter for letter in LETTERS if letter.truth.pages == 2)
    paths = write_letters(tmp_path, [two_pages], profile="degraded", seed=5)
    assert [p.name for p in paths] == ["letter_001_p1.png", "letter_001_p2.png"]
    assert sorted(tmp_path.iterdir()) == paths
    with Image.open(paths[0]) as image:
        assert image.mode == "L" and image.size == (2550, 3300)


def test_unknown_profile_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="profile"):
        write_letters(tmp_path, LETTERS[:1], profile="sepia")
