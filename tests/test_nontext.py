"""Non-text words (stamps, marginalia, specks, borders, rules) kept out of the reading text."""

import numpy as np
import pytest

from archivist.nontext import (InkMap, NonText, blot_shares, classify, page_geometry,
                               reading_order, split)
from archivist.ocr import Word

PITCH = 25  # px per character at 10 pitch, 250 dpi
HEIGHT = 30

BODY = ("the Government has considered the question of frontiers and will communicate "
        "its views to the Ambassador at the earliest opportunity in the present "
        "circumstances before the end of the month").split()


def typed_line(words: list[str], line: int, top: int, left: int = 300, conf: float = 93.0,
               block: int = 1) -> list[Word]:
    out, x = [], left
    for n, text in enumerate(words, 1):
        out.append(Word(block, 1, line, n, text, conf, x, top, PITCH * len(text), HEIGHT))
        x += PITCH * (len(text) + 1)
    return out


def typed_page(lines: int = 8) -> list[Word]:
    words = []
    for i in range(lines):
        chunk = BODY[(i * 5) % len(BODY):(i * 5) % len(BODY) + 5] or BODY[:5]
        words += typed_line(chunk, i + 1, 400 + 60 * i)
    return words


def kinds(words: list[Word], **kw) -> dict[str, str | None]:
    return {w.text: (v.kind if v else None) for w, v in zip(words, classify(words, **kw))}


def test_page_geometry_measures_the_type_and_its_column():
    g = page_geometry(typed_page())
    assert g.height == HEIGHT and g.pitch == PITCH
    left, right = g.column
    assert left == 300 - 3 * PITCH and right > 300 + 20 * PITCH
    assert page_geometry([]) is None


def test_typed_body_text_is_all_text():
    words = typed_page()
    assert all(v is None for v in classify(words))


def test_a_scrawl_in_the_margin_is_marginalia_but_a_confident_word_there_is_text():
    words = typed_page() + [Word(2, 1, 1, 1, "fle", 40.0, 2400, 500, 90, 60),
                            Word(3, 1, 1, 1, "Washington", 95.0, 2400, 700, 250, HEIGHT)]
    found = kinds(words)
    assert found["fle"] == "marginalia" and found["Washington"] is None



def test_a_year_typed_on_past_the_column_is_text_but_a_number_apart_in_the_margin_is_not():
    """A date line set to the right runs past the body's right edge; Tesseract may make its end
    a block of its own, and reads a year a little less surely than words."""
    body = typed_page()
    right = max(w.left + w.width for w in body)
    date = typed_line(["Washington,", "January", "26th,"], 1, 300, left=right - 10 * PITCH,
                      block=5)
    end = date[-1].left + date[-1].width
    year = Word(6, 1, 1, 1, "1942.", 74.0, end + PITCH, 302, 5 * PITCH, HEIGHT - 4)
    apart = Word(7, 1, 1, 1, "1946.", 74.0, end + PITCH, 900, 5 * PITCH, HEIGHT - 4)
    found = kinds(body + date + [year, apart])
    assert found["1942."] is None
    assert found["1946."] == "marginalia"


def test_a_typed_date_alone_after_its_label_is_text_though_read_unsurely():
    """A memorandum's head: "DATE:", a tab, the date, which Tesseract reads at 40-55."""
    head = typed_line(["DATE:"], 1, 300) + [Word(1, 1, 1, 2, "12.4.38", 42.0, 300 + 12 * PITCH,
                                                 300, 7 * PITCH, HEIGHT)]
    scrawl = Word(8, 1, 1, 1, "fle", 42.0, 300 + 12 * PITCH, 1100, 3 * PITCH, 2 * HEIGHT)
    found = kinds(typed_page() + head + [scrawl])
    assert found["12.4.38"] is None
    assert found["fle"] == "marginalia"

def test_debris_on_a_poorly_read_line_and_specks_are_not_text():
    junk = [Word(4, 1, 1, 1, "[Yer", 55.0, 800, 944, 455, 86),
            Word(4, 1, 1, 2, "de", 3.0, 1020, 940, 68, 100),
            Word(4, 1, 1, 3, "reral", 3.0, 1104, 960, 159, 68)]
    speck = [Word(5, 1, 1, 1, "‘", 0.0, 700, 1100, 8, 11)]
    found = kinds(typed_page() + junk + speck)
    assert found["[Yer"] and found["de"] and found["reral"]
    assert found["‘"] == "speck"


def test_a_word_of_the_type_is_text_however_poorly_read_and_so_is_a_page_number():
    words = typed_page() + typed_line(["Sir."], 20, 1700, conf=4.0, block=6) + \
        typed_line(["-3-"], 21, 200, left=900, conf=10.0, block=7)
    found = kinds(words)
    assert found["Sir."] is None and found["-3-"] is None


def test_a_lone_poorly_read_word_between_wide_gaps_is_not_text():
    line = typed_line(["follows", "below."], 30, 1900)
    stray = Word(1, 1, 30, 3, "cl", 35.0, line[-1].left + 20 * PITCH, 1900, 2 * PITCH, HEIGHT)
    found = kinds(typed_page() + line + [stray])
    assert found["cl"] and found["below."] is None


def test_a_row_of_repeated_marks_is_a_rule():
    rule = [Word(8, 1, 1, 1, "-o-o-o-o-o-o-o-", 69.0, 900, 1300, 15 * PITCH, 25)]
    assert kinds(typed_page() + rule)["-o-o-o-o-o-o-o-"] == "rule"


def test_poorly_read_words_at_the_edge_of_the_image_are_border():
    edge = [Word(9, 1, 1, 1, "tos", 31.0, 2472, 0, 16, 31)]
    found = kinds(typed_page() + edge, image_size=(2490, 3300))
    assert found["tos"] in ("border", "marginalia")
    edge_inside = [Word(9, 1, 1, 1, "ll", 31.0, 305, 3290, 40, 8)]
    assert kinds(typed_page() + edge_inside, image_size=(2490, 3300))["ll"] == "border"


def test_junk_on_a_large_blot_of_ink_is_a_stamp():
    junk = [Word(4, 1, 1, 1, "ove", 12.0, 1400, 900, 336, 136)]
    words = typed_page() + junk
    shares = [0.0] * (len(words) - 1) + [0.98]
    assert kinds(words, blot_share=shares)["ove"] == "stamp"
    assert kinds(words)["ove"] == "marginalia"


def test_split_keeps_the_order_and_every_word():
    words = typed_page(2) + [Word(5, 1, 1, 1, "‘", 0.0, 700, 1100, 8, 11)]
    verdicts = classify(words)
    body, nontext = split(words, verdicts)
    assert [w.text for w in body] == [w.text for w in words[:-1]]
    assert [n.word.text for n in nontext] == ["‘"] and isinstance(nontext[0], NonText)
    assert len(body) + len(nontext) == len(words)


def test_blot_shares_find_words_drawn_over_a_large_stroke():
    image = np.full((400, 800), 255, np.uint8)
    image[100:130:3, 50:60] = 0  # small separate marks: type
    image[200:330, 400:404] = 0  # a long pen stroke
    image[200:204, 400:700] = 0
    words = [Word(1, 1, 1, 1, "aa", 90, 45, 95, 20, 40),
             Word(1, 1, 2, 1, "zz", 20, 395, 195, 320, 140)]
    typed, stroke = blot_shares(image, words, text_height=30)
    assert typed == 0.0 and stroke > 0.9


def test_reading_order_puts_a_block_cut_off_by_a_stamp_back_in_its_place():
    top = typed_line(["With", "reference", "to"], 1, 400)
    middle = typed_line(["passage", "through"], 1, 460, block=2)
    bottom = typed_line(["Bill", "was", "reported"], 2, 520)
    words = top + bottom + middle  # Tesseract's order: the cut-off line last
    ordered = [w.text for w in reading_order(words)]
    assert ordered == ["With", "reference", "to", "passage", "through", "Bill", "was",
                       "reported"]



def test_reading_order_joins_a_line_end_tesseract_made_a_block_of_its_own():
    date = typed_line(["Washington,", "May", "9th,"], 1, 400, left=1400, block=2)
    year = typed_line(["1945."], 1, 402, left=1400 + PITCH * 21, block=11)  # one space on
    apart = typed_line(["No.", "72"], 1, 400, left=300, block=3)  # far to the left: its own
    body = typed_line(["My", "dear", "Ashby,"], 2, 500, block=2)
    ordered = reading_order(date + body + apart + year)
    lines = {}
    for w in ordered:
        lines.setdefault((w.block, w.par, w.line), []).append(w.text)
    assert list(lines.values()) == [["No.", "72"], ["Washington,", "May", "9th,", "1945."],
                                    ["My", "dear", "Ashby,"]]
    assert [w.word for w in ordered if w.block == 2 and w.line == 1] == [1, 2, 3, 4]

def test_reading_order_keeps_two_columns_as_tesseract_read_them():
    text = ["a", "column", "of", "typed", "text"]
    left = [w for i in range(4) for w in typed_line(text, i + 1, 400 + 60 * i, left=100)]
    right = [w for i in range(4) for w in typed_line(text, i + 1, 400 + 60 * i, left=900,
                                                     block=2)]
    assert reading_order(left + right) == left + right


@pytest.mark.parametrize("words", [[], typed_line(["one"], 1, 100)])
def test_reading_order_of_nothing_or_one_line_is_unchanged(words):
    assert reading_order(words) == words


def test_the_frame_of_a_stamp_is_found_but_not_a_scan_border_nor_a_blot():
    image = np.full((1200, 1000), 255, np.uint8)
    image[:, :6] = 0  # the dark edge of the scan
    image[100:300, 500:900][:8, :] = 0  # a stamp's frame, 200 x 400 px, 8 px thick
    image[100:300, 500:900][-8:, :] = 0
    image[100:300, 500:900][:, :8] = 0
    image[100:300, 500:900][:, -8:] = 0
    image[150:170, 560:580] = 0  # a letter inside it
    image[600:800, 200:500] = 0  # a solid blot
    assert InkMap(image, text_height=30).frames() == [(500, 100, 400, 200)]


def test_words_inside_a_stamps_frame_are_stamp_however_well_read():
    stamp = typed_line(["DEPARTMENT", "OF", "STATE"], 1, 2000, left=400, block=9)
    found = kinds(typed_page() + stamp, frames=[(380, 1980, 700, 80)])
    assert {found["DEPARTMENT"], found["STATE"]} == {"stamp"}
    assert found["Government"] is None
