import re
from pathlib import Path

import pytest

from archivist.assemble import transcription_lines
from archivist.transcription import parse_markdown

from archivist.structure import (
    KINDS,
    NON_READING,
    Line,
    Segment,
    document_breaks,
    document_starts,
    reading_text,
    segment_document,
)
from conftest import TELEGRAM_FORM

SEED = Path(__file__).resolve().parents[1] / "data" / "raw" / "halifax_to_welles_1941-12-23.txt"
EHRI_GT = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "ehri-english" / "gt"


def markdown_lines(text: str) -> list[Line]:
    """The transcription as the pipeline hands it to the structure stage."""
    return transcription_lines(parse_markdown(text).lines)


def lines_of(text: str, page: int = 0) -> list[Line]:
    return [Line(line, page) for line in text.strip("\n").split("\n")]


def kinds(segments: list[Segment]) -> list[str]:
    return [s.kind for s in segments]


def kind_of(segments: list[Segment], text: str) -> str:
    [segment] = [s for s in segments if text in s.text]
    return segment.kind


@pytest.fixture(scope="module")
def seed_segments() -> list[Segment]:
    if not SEED.exists():
        pytest.skip(f"seed transcription not available at {SEED}")
    return segment_document(markdown_lines(SEED.read_text(encoding="utf-8")))


# --- the seed letter ------------------------------------------------------------------


def test_seed_head_parts_are_recognised(seed_segments):
    head = [(s.kind, s.text) for s in seed_segments[:6]]
    assert head == [
        ("classification", "SECRET"),
        ("subject", "Soviet Union: Post-war Aims"),
        ("reference", "6253/14/41"),
        ("place_date", "December 23rd, 1941."),
        ("classification", "Personal and Secret"),
        ("salutation", "My dear Welles,"),
    ]


def test_seed_catchword_at_a_page_foot(seed_segments):
    assert kind_of(seed_segments, "Russian/") == "catchword"


def test_seed_registry_scribbles_are_marginalia(seed_segments):
    assert kind_of(seed_segments, "./8") == "marginalia"
    assert kind_of(seed_segments, "y - /12 }") == "marginalia"
    assert kind_of(seed_segments, "at in -/9/13") == "marginalia"


def test_seed_printed_page_number(seed_segments):
    assert kind_of(seed_segments, "-4-") == "page_number"


def test_seed_typist_reference(seed_segments):
    assert kind_of(seed_segments, "FRHM:HK") == "typist_reference"


def test_seed_addressee_block_at_the_foot_of_the_first_page(seed_segments):
    [addressee] = [s for s in seed_segments if s.kind == "addressee"]
    assert addressee.text.split("\n") == [
        "The Honourable", "Sumner Welles,", "Under Secretary of State", "of the United States,",
        "Washington, D. C.",
    ]


def test_seed_closing_and_signature_typed_on_one_line_are_split(seed_segments):
    index = next(i for i, s in enumerate(seed_segments) if s.text == "Yours very sincerely,")
    closing, signature = seed_segments[index], seed_segments[index + 1]
    assert (closing.kind, signature.kind, signature.text) == ("closing", "signature", "(SGD) HALIFAX")
    assert closing.first_line == signature.first_line


def test_seed_word_with_slash_ending_a_page_is_a_catchword(seed_segments):
    catchwords = [s.text for s in seed_segments if s.kind == "catchword"]
    assert catchwords == ["Russian/", "that/", "replace/"]
    [paragraph] = [s for s in seed_segments if s.text.startswith("In his telegram of")]
    assert paragraph.text.endswith("Mr. Eden felt sure")


def test_seed_file_numbers_postscripts_and_initials(seed_segments):
    assert kind_of(seed_segments, "G260/3/41") == "reference"
    assert kind_of(seed_segments, "G260/5/41") == "reference"
    assert kind_of(seed_segments, "Winant, but I thought") == "postscript"
    assert kind_of(seed_segments, "(S) HALLIDAY") == "signature"
    assert [s.kind for s in seed_segments if s.text == "H."] == ["signature"]


def test_seed_prose_after_a_postscript_that_follows_the_closing_is_the_postscript(seed_segments):
    assert kind_of(seed_segments, "awful banquet") == "postscript"


def test_seed_segments_use_only_known_kinds_and_point_at_their_lines(seed_segments):
    lines = markdown_lines(SEED.read_text(encoding="utf-8"))
    for segment in seed_segments:
        assert segment.kind in KINDS
        first_words = segment.text.split("\n")[0].split()[:1]
        assert first_words[0] in lines[segment.first_line].text
        assert segment.first_line <= segment.last_line


def test_seed_reading_text_joins_paragraphs_across_the_catchword(seed_segments):
    text = reading_text(seed_segments)
    assert "restoration of the Russian pre-war frontiers. In a telegram dated" in text
    assert "Mr. Eden felt sure that his visit had been worthwhile" in text
    assert "Russian/" not in text and "Russian Russian" not in text
    assert "sure that that" not in text


def test_seed_reading_text_drops_page_furniture_and_scribbles(seed_segments):
    text = reading_text(seed_segments)
    for furniture in ("./8", "y - /12 }", "-4-", "at in -/9/13"):
        assert furniture not in text


def test_seed_reading_text_undoes_line_end_hyphenation(seed_segments):
    text = reading_text(seed_segments)
    assert "the necessary arrangements would not be completed" in text


def test_seed_foot_of_page_addressee_follows_the_sentence_it_interrupted(seed_segments):
    text = reading_text(seed_segments)
    assert text.index("pre-war frontiers") < text.index("The Honourable")


# --- despatches and letters in other layouts --------------------------------------------

DESPATCH = """
No. 1234

AMERICAN LEGATION,

Budapest, January 25, 1939.

SUBJECT: Second Jewish Bill: passage through
the Upper House.

The Honorable
The Secretary of State,
Washington.

Sir:

I have the honor to report that the Upper House passed the
Bill on January 20th after a debate of three days.

The Legation will report further developments.

I have the honor to be, Sir,
Your obedient servant,

John Doe Roe
American Minister

Enclosure:
1/ Translation of the Bill.

JCW/mk
"""


def test_despatch_first_page_parts():
    segments = segment_document(lines_of(DESPATCH))
    assert kinds(segments) == [
        "number", "letterhead", "place_date", "subject", "addressee", "salutation", "paragraph",
        "paragraph", "closing", "signature", "enclosure_note", "typist_reference",
    ]
    assert segments[3].text.endswith("the Upper House.")
    assert segments[8].text == "I have the honor to be, Sir,\nYour obedient servant,"
    assert segments[9].text == "John Doe Roe\nAmerican Minister"


def test_flat_transcription_without_blank_lines_is_still_segmented():
    """Line-by-line ground truth has no blank lines at all."""
    text = """THE HONORABLE
THE SECRETARY OF STATE,
WASHINGTON.
SIR:
I have the honor to report below various measures taken
by the Government against the population of its territories
within recent months.
It seems that the measures are becoming more stringent in
administration and that the propaganda increases in direct
proportion to news from the front.
Respectfully yours,
Richard Roe
American Consul
891
RMM/sn"""
    segments = segment_document(lines_of(text))
    assert kinds(segments) == [
        "addressee", "salutation", "paragraph", "paragraph", "closing", "signature", "reference",
        "typist_reference",
    ]


def test_letterhead_address_date_and_to_block_of_a_private_letter():
    text = """c/o 35, Garden Road,
LONDON, N. 16.
9th May, 1938.
TO -
The Council for Refugees,
Woburn House,
W. C. 1.
Dear Sirs,
I am here as the representative of the community and I beg
of you most urgently to support our case."""
    segments = segment_document(lines_of(text))
    assert kinds(segments) == ["letterhead", "place_date", "addressee", "salutation", "paragraph"]


def test_subject_introduced_by_re_after_the_salutation():
    text = """Sir,
re the Interned Persons on board the Tug "Danube", near Vienna.
We very much regret to hear the negative result of the Conference."""
    assert kinds(segment_document(lines_of(text))) == ["salutation", "subject", "paragraph"]


@pytest.mark.parametrize("marking", ["SECRET", "CONFIDENTIAL", "STRICTLY CONFIDENTIAL",
                                     "Personal and Secret", "Strictly Confidential.",
                                     "MOST SECRET", "Private and Confidential"])
def test_grading_and_handling_lines_are_classification(marking):
    segments = segment_document(lines_of(f"{marking}\n\nDear Sir,\n\nThank you for your letter of the 3rd."))
    assert segments[0].kind == "classification"


@pytest.mark.parametrize("number", ["- 2 -", "-2-", "- 12 -", "Page 3", "(4)"])
def test_printed_page_numbers(number):
    segments = segment_document(lines_of(f"{number}\nbe reported in due course, and the"
                                         " Government has not yet replied."))
    assert segments[0].kind == "page_number"


def test_bare_number_at_the_top_of_a_page_is_a_page_number():
    lines = lines_of("must be made before the end of the year.", 0) + lines_of(
        "2.\nThe second question concerns the frontiers.", 1)
    assert kinds(segment_document(lines)) == ["paragraph", "page_number", "paragraph"]


@pytest.mark.parametrize("typist", ["FRHM:HK", "JCW/mk", "RA/MM", "GSM:ab"])
def test_typist_references(typist):
    segments = segment_document(lines_of(f"Yours sincerely,\n\nA. B. CARTER\n\n{typist}"))
    assert segments[-1].kind == "typist_reference"


@pytest.mark.parametrize("signed", ["(SGD) CARTER", "(Sgd.) CARTER.", "(S) CARTER", "(Signed) A. Carter"])
def test_signed_copies_are_signatures(signed):
    segments = segment_document(lines_of(f"Yours faithfully,\n{signed}"))
    assert kinds(segments) == ["closing", "signature"]


def test_acting_signature_block_is_one_signature():
    text = "Respectfully yours,\nFor the Minister:\nRichard P. Roe,\nSecretary of Legation."
    segments = segment_document(lines_of(text))
    assert kinds(segments) == ["closing", "signature"]
    assert segments[1].text.count("\n") == 2


def test_distribution_note_after_signature_is_other():
    text = "Respectfully yours,\nRichard Roe.\nCopies to London, Berlin, Warsaw."
    assert kinds(segment_document(lines_of(text))) == ["closing", "signature", "other"]


def test_postscript_continues_to_the_end_of_its_block():
    text = """Yours sincerely,
A. CARTER
P.S. Taking into consideration possible reprisals, we
ask you to refrain from any kind of
publicity."""
    segments = segment_document(lines_of(text))
    assert kinds(segments) == ["closing", "signature", "postscript"]
    assert segments[-1].text.endswith("publicity.")


def test_single_word_at_a_page_foot_repeated_overleaf_is_a_catchword():
    lines = lines_of("the Government has not considered important\nthe activities of the group.\nUsing", 0)
    lines += lines_of("- 2 -\nUsing only round figures it may be said that the", 1)
    segments = segment_document(lines)
    assert kinds(segments) == ["paragraph", "catchword", "page_number", "paragraph"]
    assert reading_text(segments).count("Using") == 1


def test_hanging_word_at_the_foot_of_the_last_page_is_a_catchword():
    text = "The anti-Jewish propaganda is, it is believed, directly\nencouraged from abroad, and\nits....."
    segments = segment_document(lines_of(text))
    assert kinds(segments) == ["paragraph", "catchword"]


def test_final_word_of_a_finished_letter_is_not_a_catchword():
    text = "we urgently ask you to refrain from any kind of\npublicity."
    assert kinds(segment_document(lines_of(text))) == ["paragraph"]


def test_flat_prose_is_split_into_paragraphs_at_short_final_lines():
    text = """I have the honor to report that the Minister received the
directors of the newspapers on June 8th last, at which time he
read to them a statement.
The statement included the following passages which are of
some interest for the Department and which may be quoted
here at length."""
    segments = segment_document(lines_of(text))
    assert kinds(segments) == ["paragraph", "paragraph"]


def test_markdown_paragraph_on_one_line():
    text = ("My dear Roe,\n\nYou will remember that at our last conversation I gave you the substance of the "
            "telegrams which I had received. A few more have now come in.\n\nYours sincerely,\n\nJ. SMITH")
    segments = segment_document(lines_of(text))
    assert kinds(segments) == ["salutation", "paragraph", "closing", "signature"]


def test_quoted_passage_is_a_quotation():
    text = ('Sir:\n\nThe statement reads:\n\n"In the new regime the right of addressing the nation '
            'belongs to the nation itself."\n\nRespectfully yours,')
    assert "quotation" in kinds(segment_document(lines_of(text)))


def test_enclosure_markers_in_the_margin_are_dropped_from_reading_text():
    text = ("I have the honor to report that the Bill has been enacted.\n"
            "1/ There is appended hereto a translation of the new\n"
            "2/ law as finally enacted, together with a copy of the original Bill.")
    assert "1/" not in reading_text(segment_document(lines_of(text)))


def test_receipt_stamp_is_not_reading_text():
    text = "DEPARTMENT OF STATE\nRECEIVED\n1939 MAY 31\n\nSir:\n\nI have the honor to report."
    segments = segment_document(lines_of(text))
    assert kind_of(segments, "RECEIVED") == "stamp"
    assert kind_of(segments, "1939 MAY 31") == "stamp"
    assert "1939 MAY 31" not in reading_text(segments)


# --- OCR boxes -------------------------------------------------------------------------


def boxed(rows: list[tuple[str, int, int]], width: int = 1000) -> list[Line]:
    """Lines at (left, top) with a 20 px line height."""
    return [Line(text, 0, (left, top, 600, 20), width) for text, left, top in rows]


def test_boxes_split_blocks_at_wide_vertical_gaps():
    lines = boxed([
        ("SECRET", 400, 100),
        ("Dear Sir,", 100, 200),
        ("I have received your letter and I shall", 100, 260),
        ("reply in due course when the facts are known.", 100, 290),
    ])
    segments = segment_document(lines)
    assert kinds(segments) == ["classification", "salutation", "paragraph"]
    assert segments[2].box == (100, 260, 600, 50)


def test_boxes_split_paragraphs_at_indented_first_lines():
    lines = boxed([
        ("I have received your letter and I shall reply", 100, 100),
        ("in due course when the facts are known to us", 100, 130),
        ("and to the Government.", 100, 160),
        ("The second question concerns the frontiers of", 160, 190),
        ("the country, which remain unsettled.", 100, 220),
    ])
    segments = segment_document(lines)
    assert kinds(segments) == ["paragraph", "paragraph"]
    assert segments[1].first_line == 3


def test_segments_record_the_page_of_their_first_line():
    lines = lines_of("- 2 -\nthe reply of the Government.", 3)
    assert {s.page for s in segment_document(lines)} == {3}


def test_reading_text_leaves_out_non_reading_kinds():
    segments = [
        Segment("page_number", "- 2 -", 0, 0, 0, None),
        Segment("paragraph", "It is agreed.", 0, 1, 1, None),
        Segment("marginalia", "./8", 0, 2, 2, None),
        Segment("stamp", "RECEIVED", 0, 3, 3, None),
    ]
    assert reading_text(segments) == "It is agreed."
    assert NON_READING == {"marginalia", "stamp", "page_number", "catchword"}


def test_reading_text_keeps_hyphen_before_a_capital():
    segments = [Segment("paragraph", "the anti-\nSemitic measures", 0, 0, 1, None)]
    assert reading_text(segments) == "the anti-Semitic measures"


# --- page streams ----------------------------------------------------------------------

LETTER_ONE_PAGE_1 = """SECRET

December 23rd, 1941.

My dear Roe,

The position as regards the frontiers is the same as before and I
think you will be interested in the following account of the
discussions which took place on the"""

LETTER_ONE_PAGE_2 = """- 2 -

following day. The results were satisfactory.

Yours very sincerely,

(SGD) SMITH"""

LETTER_TWO_PAGE_1 = """No. 557

Bucharest, January 25, 1939.

Sir:

I have the honor to report that the situation has not changed."""

ENCLOSURE_PAGE = """TRANSLATION

The Law of August 29, 1942, reads as follows."""


def test_empty_stream_has_no_documents():
    assert document_starts([]) == []


def test_stream_is_cut_at_first_pages_and_not_at_continuations():
    pages = [lines_of(LETTER_ONE_PAGE_1, 0), lines_of(LETTER_ONE_PAGE_2, 1),
             lines_of(LETTER_TWO_PAGE_1, 2)]
    assert document_starts(pages) == [0, 2]


def test_a_page_after_a_signed_off_page_starts_a_new_document():
    pages = [lines_of(LETTER_ONE_PAGE_2, 0), lines_of(ENCLOSURE_PAGE, 1)]
    assert document_starts(pages) == [0, 1]


def test_the_stream_is_cut_as_it_is_read_one_page_at_a_time():
    def stream():
        yield lines_of(LETTER_ONE_PAGE_1, 0)
        yield lines_of(LETTER_ONE_PAGE_2, 1)
        yield lines_of(LETTER_TWO_PAGE_1, 2)
        raise AssertionError("read past the page asked for")

    breaks = document_breaks(stream())
    assert [next(breaks), next(breaks), next(breaks)] == [True, False, True]


def test_a_page_after_a_broken_off_sentence_continues_the_document():
    pages = [lines_of(LETTER_ONE_PAGE_1, 0), lines_of("following day.\n\nYours sincerely,", 1)]
    assert document_starts(pages) == [0]


def test_a_printed_page_number_above_one_means_continuation_even_after_a_signature():
    pages = [lines_of(LETTER_ONE_PAGE_2, 0), lines_of("-3-\nThe situation has not changed.", 1)]
    assert document_starts(pages) == [0]


def test_ehri_despatch_stream_is_cut_at_each_despatch():
    names = [
        "EHRI-DR-19390125-US_01", "EHRI-DR-19390125-US_02", "EHRI-DR-19390125-US_03",
        "EHRI-DR-19390125-US_10", "EHRI-DR-19390404-US_01", "EHRI-DR-19390404-US_02",
        "EHRI-DR-19390404-US_03", "EHRI-DR-19390519-US_01", "EHRI-DR-19390519-US_02",
        "EHRI-DR-19390519-US_03", "EHRI-DR-19400712-US_01", "EHRI-DR-19400712-US_02",
        "EHRI-DR-19400712-US_04", "EHRI-DR-19421116-US_01", "EHRI-DR-19421116-US_06",
        "EHRI-DR-19421116-US_08", "EHRI-DR-19430127-US_01", "EHRI-DR-19430127-US_03",
    ]
    paths = [EHRI_GT / f"{name}.gt.txt" for name in names]
    if not all(path.exists() for path in paths):
        pytest.skip(f"{EHRI_GT} is not here (a user's clone has no ../shared test material)")
    pages = [lines_of(path.read_text(encoding="utf-8"), i) for i, path in enumerate(paths)]
    assert document_starts(pages) == [0, 4, 7, 10, 13, 16]


# --- OCR of scanned heads: stamps, pencil and specks around typed parts -----------------


@pytest.mark.parametrize("number", ["No. 12.", "No: 12", "No.- 12", "Nr. 12"])
def test_despatch_number_typed_beside_the_place_and_date_is_its_own_segment(number: str):
    segments = segment_document(
        lines_of(f"{number} Lisbon, March 3, 1938.\n\nSir:\n\nI have the honor."))
    assert [(s.kind, s.text) for s in segments[:2]] == [
        ("number", number), ("place_date", "Lisbon, March 3, 1938.")]


def test_despatch_number_before_a_letterhead_line_is_its_own_segment():
    segments = segment_document(lines_of("NO. 44 THE FOREIGN SERVICE\nOF THE\nREPUBLIC OF UTOPIA"))
    assert kinds(segments)[:2] == ["number", "letterhead"]


def test_number_in_a_sentence_is_not_split_off():
    text = "Sir:\n\nI refer to my despatch\nNo. 416, of August 11, 1937, and to the reply."
    assert "number" not in kinds(segment_document(lines_of(text)))


@pytest.mark.parametrize("debris", ["aa Lp we?", "TOobN", "on, tht 7A: wo", "pu 3 Wy"])
def test_ocr_debris_of_stamps_and_pencil_is_marginalia(debris):
    segments = segment_document(lines_of(f"Lisbon, March 3, 1938.\n{debris}\nSir:"))
    assert kind_of(segments, debris) == "marginalia"


@pytest.mark.parametrize("typed", [
    "la plus rapprochée , il s'élance .",
    "Przybylski in connection",
    "VIII Preface.-Introduction.",
    "da ist er im Haus",
])
def test_typed_lines_in_any_language_are_not_debris(typed):
    segments = segment_document(lines_of(f"Dear Sir,\n\n{typed}"))
    assert kind_of(segments, typed) != "marginalia"


@pytest.mark.parametrize("closing", ["Respectfullv yours,", "Faithf ully ae", "Wincerelly yours,"])
def test_closing_formula_misread_by_ocr_is_still_a_closing(closing):
    text = f"Dear Sir,\nThe matter rests there until the Government replies.\n{closing}\nRichard Roe"
    segments = segment_document(lines_of(text))
    assert kinds(segments) == ["salutation", "paragraph", "closing", "signature"]


def test_short_line_of_prose_starting_like_a_formula_is_not_a_closing():
    segments = segment_document(lines_of("I remain hopeful.\nSincerely hoping for news"))
    assert "closing" not in kinds(segments)


@pytest.mark.parametrize("label", ["SUBJECT; Transit of refugees.", "a Subject: Transit of refugees."])
def test_subject_label_misread_or_after_a_speck(label):
    segments = segment_document(lines_of(f"Lisbon, March 3, 1938.\n\n{label}\n\nSir:"))
    assert kind_of(segments, "Transit") == "subject"


def test_subject_label_read_after_the_text_beside_it_is_put_first():
    lines = [
        Line("Lisbon, March 3, 1938.", 0, (600, 100, 500, 30), 1400),
        Line("Closing of the Frontier with the", 0, (400, 200, 700, 30), 1400),
        Line("Subject:", 0, (150, 203, 180, 30), 1400),
        Line("Northern Provinces.", 0, (400, 240, 400, 30), 1400),
    ]
    segments = segment_document(lines)
    assert [(s.kind, s.text) for s in segments][1] == (
        "subject", "Subject:\nClosing of the Frontier with the\nNorthern Provinces.")


def test_addressee_typed_with_wide_line_spacing_is_one_segment():
    rows = [("Lisbon, March 3, 1938.", 600, 100), ("The Honorable", 150, 400),
            ("The Secretary of State,", 250, 500), ("Washington.", 350, 600),
            ("Sir:", 150, 700), ("I have the honor to report that the Bill was passed.", 150, 800)]
    segments = segment_document(boxed(rows, 1400))
    assert kinds(segments) == ["place_date", "addressee", "salutation", "paragraph"]
    assert segments[1].text == "The Honorable\nThe Secretary of State,\nWashington."


def test_place_and_date_after_a_stamps_figures_in_the_head():
    text = "THE FOREIGN SERVICE\n| 3 18 jo49 - Lisbon, Portugal, March 3, 1938.\n\nSir:"
    assert kind_of(segment_document(lines_of(text)), "Lisbon") == "place_date"


def test_receipt_stamp_date_in_capitals_is_a_stamp():
    segments = segment_document(lines_of("Lisbon, March 3, 1938.\nAPR 26 1939\nSir:"))
    assert kind_of(segments, "APR 26 1939") == "stamp"


def test_page_number_typed_with_a_tilde_for_a_dash():
    assert kinds(segment_document(lines_of("~10-\nthere is always a good possibility."))) == [
        "page_number", "paragraph"]


def test_acting_signature_with_a_scrawl_between_still_names_the_signer():
    text = ("Respectfully yours,\nFor the Minister:\n[Yer de reral ft [Tove e\n"
            "Richard P. Roe,\nSecretary of Legation.")
    segments = segment_document(lines_of(text))
    assert kind_of(segments, "Richard P. Roe") == "signature"


# --- page streams of scanned despatches --------------------------------------------------

SCANNED_FIRST_PAGE = """LEGATION OF THE
UNITED STATES OF AMERICA
No. 12. Lisbon, March 3, 1938. Ce
Subject: Transit of refugees.
DIVISION OF
AUG 15 1940
ox So nei s oeeee
on, tht 7A: wo
au _— Vin:.
The Honorable
The Secretary of State,
Washington.
Sir:
I have the honor to report that the Government has decided to close the frontier."""


def test_a_despatch_head_behind_stamp_debris_opens_a_document_after_a_broken_off_page():
    pages = [lines_of(LETTER_ONE_PAGE_1, 0), lines_of(SCANNED_FIRST_PAGE, 1)]
    assert document_starts(pages) == [0, 1]


def test_a_page_ending_in_a_misread_closing_and_signature_debris_closes():
    last_page = ("-3-\nthe Government will not permit it.\nwennectully yours,\n"
                 "891 samuel «.. 10nakez\namerican Consul Genersi\nFHB/sn\n"
                 "To Départnent in oririnal\nand nectograph.")
    enclosure = "TRANSLATION\n\nThe Law of August 29, 1942, reads as follows."
    pages = [lines_of(last_page, 0), lines_of(enclosure, 1)]
    assert document_starts(pages) == [0, 1]


def test_specks_after_a_grading_line_leave_it_a_classification():
    segments = segment_document(lines_of("CONFIDENTIAL ON re\n\nSir:\n\nI have the honor to report."))
    assert segments[0].kind == "classification"


def test_telegram_form_parts():
    segments = segment_document(lines_of(TELEGRAM_FORM))
    assert kind_of(segments, "TELEGRAM RECEIVED") == "letterhead"
    assert kind_of(segments, "FROM  Ankara") == "other"
    assert kind_of(segments, "Secretary of State") == "addressee"
    assert kind_of(segments, "RECEIVED THE NOTE") == "paragraph"
    assert kind_of(segments, "HALLORAN") == "signature"
    assert "stamp" not in kinds(segments)


def test_stamp_after_the_head_is_still_a_stamp():
    segments = segment_document(lines_of(
        "Dear Sir,\n\nThe papers are enclosed.\n\nRECEIVED MAY 4 1938\n\nYours faithfully,\nA. Smith\n"))
    assert kind_of(segments, "RECEIVED") == "stamp"


@pytest.mark.parametrize("colon", [":", ";"])  # ";": OCR's reading of a colon
def test_memorandum_from_line_is_not_part_of_the_addressee(colon):
    segments = segment_document(lines_of(
        f"MEMORANDUM\n\nTO{colon} Mr. Fairbairn\nFROM{colon} Mr. Ostrander\nSUBJECT: Coal\n\n"
        "The coal is late.\n"))
    assert kind_of(segments, "Fairbairn") == "addressee"
    assert kind_of(segments, "Ostrander") == "other"


def test_catchword_that_breaks_a_sentence_is_not_a_signature():
    segments = segment_document(lines_of(
        "Dear Sir,\n\nTHE MINISTER HAS AGREED TO THE PROPOSED\n\nTERMS\n"))
    assert kind_of(segments, "TERMS") != "signature"


def test_catchword_opening_the_next_sentence_is_not_a_signature():
    segments = segment_document(lines_of(
        "Dear Sir,\n\nTHE MINISTER HAS AGREED TO THE PROPOSED TERMS.\n\nTHE\n"))
    assert [s.kind for s in segments if s.text == "THE"] != ["signature"]


def test_trailing_speck_does_not_hide_a_closing_name_or_a_title():
    segments = segment_document(lines_of(
        "Economic Affairs: Coal Deliveries .\n\nLondon, 4th May, 1938.\n\nDear Sir,\n\n"
        "THE COAL IS LATE STOP WE EXPECT IT SHORTLY. —\n\nHALLORAN .\n"))
    assert kind_of(segments, "Coal Deliveries") == "subject"
    assert kind_of(segments, "HALLORAN") == "signature"


# --- page streams: first-page, last-page and continuity cues weighed ----------------------


def test_year_of_a_date_line_that_ocr_read_apart_is_put_back_on_its_line():
    """Tesseract may read the end of a typed line as a block of its own and give it last."""
    lines = [
        Line("CONFIDENTIAL", 0, (1800, 310, 360, 37), 2550),
        Line("Washington, D. C., September 6th,", 0, (1296, 533, 979, 48), 2550),
        Line("My dear Roe,", 0, (303, 677, 472, 46), 2550),
        Line("The Ambassador has agreed to postpone the question.", 0, (456, 828, 1588, 52), 2550),
        Line("1936.", 0, (2321, 539, 136, 36), 2550),
    ]
    segments = segment_document(lines)
    assert kinds(segments) == ["classification", "place_date", "salutation", "paragraph"]
    assert segments[1].text == "Washington, D. C., September 6th, 1936."


def test_year_fragment_on_a_skewed_scan_is_put_back_on_its_line():
    """On a skewed scan the long line's box is much taller than the fragment's."""
    lines = [
        Line("Washington, D. C., August 6th,", 0, (1349, 578, 890, 71), 2550),
        Line("My dear Roe,", 0, (273, 771, 501, 62), 2550),
        Line("1940.", 0, (2284, 573, 137, 40), 2550),
    ]
    segments = segment_document(lines)
    assert (segments[0].kind, segments[0].text) == ("place_date", "Washington, D. C., August 6th, 1940.")


def test_label_and_text_tabbed_away_from_it_stay_two_lines():
    lines = [Line("Subject:", 0, (150, 200, 180, 30), 1400),
             Line("Transit of refugees.", 0, (400, 200, 500, 30), 1400)]
    assert segment_document(lines)[0].text == "Subject:\nTransit of refugees."


def test_figure_beside_typed_text_is_not_a_page_number():
    lines = [
        Line("Lisbon, March 3, 1938.", 0, (1300, 100, 700, 40), 2550),
        Line("Dear Sir,", 0, (300, 300, 300, 40), 2550),
        Line("The Government will reply in due course.", 0, (300, 400, 1500, 40), 2550),
        Line("1938", 0, (2300, 102, 130, 36), 2550),
    ]
    assert "page_number" not in kinds(segment_document(lines))


def test_a_registry_folio_number_does_not_make_a_first_page_a_continuation():
    first = "No. 557\n\nBucharest, January 25, 1939.\n\nSir:\n\nI have the honor to report."
    pages = [lines_of(LETTER_ONE_PAGE_1, 0), lines_of("1234\n" + first, 1)]
    assert document_starts(pages) == [0, 1]


MEMORANDUM_PAGE = """MEMORANDUM

TO: Mr. Roe
FROM: Mr. Doe
SUBJECT: Allocation of Tonnage
DATE: 18.7.38

The Minister of Supply would welcome the supply of munitions before
the end of the month.

                                             Richard P. Doe"""

BRITISH_FIRST_PAGE = """CONFIDENTIAL
102/90/36

Washington, D. C., September 6th, 1936.

My dear Roe,

The Ambassador has agreed to postpone the question of frontiers."""


def test_memorandum_name_typed_apart_without_a_closing_is_its_signature():
    segments = segment_document(lines_of(MEMORANDUM_PAGE))
    assert kinds(segments)[-1] == "signature"


def test_a_letter_after_a_memorandum_signed_without_a_closing_opens_a_document():
    pages = [lines_of(MEMORANDUM_PAGE, 0), lines_of(BRITISH_FIRST_PAGE, 1)]
    assert document_starts(pages) == [0, 1]


def test_a_page_with_a_thin_head_after_a_signed_memorandum_opens_a_document():
    pages = [lines_of(MEMORANDUM_PAGE, 0),
             lines_of("SECRET\n\nLisbon, March 3, 1938.\n\nThe papers are enclosed.", 1)]
    assert document_starts(pages) == [0, 1]


def test_a_letter_after_a_page_that_broke_off_opens_when_its_head_is_full():
    pages = [lines_of(LETTER_ONE_PAGE_1, 0), lines_of(BRITISH_FIRST_PAGE, 1)]
    assert document_starts(pages) == [0, 1]


def test_a_thin_head_after_a_page_that_broke_off_does_not_open_a_document():
    pages = [lines_of(LETTER_ONE_PAGE_1, 0),
             lines_of("SECRET\n\ntheir reply. The matter rests there.", 1)]
    assert document_starts(pages) == [0]


def test_a_sentence_running_on_to_an_unnumbered_page_continues_the_document():
    pages = [lines_of(LETTER_ONE_PAGE_1, 0),
             lines_of("Soviet Government, who agreed.\n\nYours sincerely,\n\nA. SMITH", 1)]
    assert document_starts(pages) == [0]


def test_catchword_before_the_addressee_at_the_foot_carries_the_page_on():
    first = LETTER_ONE_PAGE_1.replace("took place on the", "took place on the day.") + (
        "\n\nThe/\n\nThe Honourable\nRichard Roe,\nWashington, D. C.\n\nJB:MW")
    pages = [lines_of(first, 0),
             lines_of("The results were satisfactory.\n\nYours sincerely,\n\nA. SMITH", 1)]
    assert document_starts(pages) == [0]


def test_a_page_opening_with_the_closing_is_the_letter_s_last_sheet():
    finished = LETTER_ONE_PAGE_1.replace("took place on the", "took place on the day.")
    pages = [lines_of(finished, 0), lines_of("Yours very sincerely,\n\n(SGD) SMITH", 1)]
    assert document_starts(pages) == [0]


def test_a_page_after_one_signed_off_with_a_typist_s_mark_opens_on_a_letterhead_alone():
    signed = LETTER_ONE_PAGE_2 + "\n\nJB:MW"
    pages = [lines_of(signed, 0), lines_of("BRITISH LEGATION,\n\nThe papers are enclosed.", 1)]
    assert document_starts(pages) == [0, 1]


# --- OCR misreadings of head and foot parts ----------------------------------------------


def test_unfinished_capitals_line_carried_on_by_the_body_is_not_a_subject():
    text = TELEGRAM_FORM.replace(
        "THE MINISTER HAS AGREED TO THE PROPOSED TERMS STOP THE GOVERNMENT",
        "No. 891\n\nTHE NETHERLANDS GOVERNMENT HAS RESERVED ITS POSITION ON THE\n"
        "EXCHANGE OF INFORMATION, AND THE CHINESE MINISTER HAS DRAWN")
    segments = segment_document(lines_of(text))
    assert "subject" not in kinds(segments)
    assert kind_of(segments, "NETHERLANDS") == "paragraph"


def test_unlabelled_subject_line_standing_alone_is_still_a_subject():
    segments = segment_document(lines_of(
        "SECRET\n\nShipping: Allocation of Tonnage\n\nDecember 23rd, 1941.\n\nDear Sir,\n\n"
        "The position is the same."))
    assert kind_of(segments, "Shipping") == "subject"


@pytest.mark.parametrize("label", ["DATE: 1936 AUGUST i", "DATE:"])
def test_next_label_of_a_memorandum_head_ends_the_subject(label):
    segments = segment_document(lines_of(
        "MEMORANDUM\n\nTO: Mr. Roe\nFROM: Mr. Doe\nSUBJECT: Allocation of Tonnage\n"
        f"{label}\n\nThe coal is late and the ships are few.\n"))
    assert kind_of(segments, "Allocation") == "subject"
    assert "DATE" not in next(s.text for s in segments if s.kind == "subject")


@pytest.mark.parametrize("number", ["No.- 1584", "-No. 1367", "No. 557"])
def test_despatch_number_with_ocr_specks_is_a_number(number):
    segments = segment_document(lines_of(f"{number}\n\nAMERICAN LEGATION\n\nSir:"))
    assert segments[0].kind == "number"


def test_closing_word_misread_by_one_letter_stays_in_the_closing():
    segments = segment_document(lines_of(
        "Sir:\n\nThe Bill was passed.\n\nI have the honor to be, Sir,\nYour obedient gervant,\n\n"
        "Richard Roe\nAmerican Minister"))
    assert kind_of(segments, "gervant") == "closing"
    assert kind_of(segments, "Richard Roe") == "signature"


def test_date_typed_after_a_rule_s_dashes_is_a_date_line():
    segments = segment_document(lines_of("BRITISH EMBASSY,\n—-23.8.43.\n\nDear Mr. Roe,"))
    assert [(s.kind, s.text) for s in segments][1] == ("place_date", "23.8.43.")
