import datetime
import re
from pathlib import Path

import pytest

from archivist.assemble import transcription_lines
from archivist.transcription import parse_markdown

from archivist.metadata import DocumentMeta, Entity, describe
from archivist.structure import Line, segment_document
from conftest import TELEGRAM_FORM

SEED = Path(__file__).resolve().parents[1] / "data" / "raw" / "halifax_to_welles_1941-12-23.txt"
PACKAGE = Path(__file__).resolve().parents[1] / "archivist"
D = datetime.date


def markdown_lines(text: str) -> list[Line]:
    """The transcription as the pipeline hands it to the structure stage."""
    return transcription_lines(parse_markdown(text).lines)


def lines_of(text: str) -> list[Line]:
    return [Line(line) for line in text.strip("\n").split("\n")]


def read(text: str, **kwargs) -> tuple[DocumentMeta, list[Entity]]:
    return describe(segment_document(lines_of(text)), **kwargs)


def normalized(entities: list[Entity], kind: str) -> list[str]:
    return [e.normalized for e in entities if e.kind == kind]


@pytest.fixture(scope="module")
def seed() -> tuple[DocumentMeta, list[Entity]]:
    if not SEED.exists():
        pytest.skip(f"seed transcription not available at {SEED}")
    return describe(segment_document(markdown_lines(SEED.read_text(encoding="utf-8"))))


# --- the seed letter ------------------------------------------------------------------


def test_seed_date_from_the_date_line(seed):
    meta, _ = seed
    assert meta.doc_date == D(1941, 12, 23)
    assert meta.date_text == "December 23rd, 1941."


def test_seed_grading_and_handling(seed):
    meta, _ = seed
    assert meta.classification == "SECRET"
    assert meta.handling == "Personal and Secret"


def test_seed_correspondents(seed):
    meta, _ = seed
    assert meta.recipient in ("Welles", "Sumner Welles")
    assert meta.sender == "Halifax"
    assert meta.recipient_title == "Under Secretary of State of the United States"
    assert meta.recipient_place == "Washington, D. C."
    assert meta.salutation == "My dear Welles,"
    assert meta.closing == "Yours very sincerely,"


def test_seed_type_subject_and_file_numbers(seed):
    meta, _ = seed
    assert meta.doc_type == "letter"
    assert meta.subject == "Soviet Union: Post-war Aims"
    assert "6253/14/41" in meta.references
    assert meta.references == ["6253/14/41", "G260/3/41", "G260/5/41"]


def test_seed_titled_persons(seed):
    _, entities = seed
    persons = set(normalized(entities, "person"))
    assert {"Mr. Eden", "M. Stalin", "Sumner Welles", "Halifax"} <= persons


def test_seed_possessive_is_not_part_of_the_name(seed):
    _, entities = seed
    texts = {e.text for e in entities if e.kind == "person"}
    assert "Mr. Eden" in texts and not any(t.endswith("'s") for t in texts if t.startswith("Mr."))


def test_seed_bare_surnames_are_linked_to_the_titled_person(seed):
    _, entities = seed
    bare = {e.normalized for e in entities if e.kind == "person" and e.text in ("Eden", "Stalin")}
    assert bare == {"Mr. Eden", "M. Stalin"}


def test_seed_body_dates_resolve_against_the_letter_date(seed):
    _, entities = seed
    dates = set(normalized(entities, "date"))
    assert {"1941-12-20", "1941-12-22", "1941-12-28", "1941-12-23"} <= dates


def test_seed_places_and_organizations(seed):
    _, entities = seed
    assert {"Moscow", "Japan", "Far East", "Great Britain", "United States", "Washington"} <= set(
        normalized(entities, "place"))
    assert {"British Government", "Soviet Government"} <= set(normalized(entities, "organization"))


def test_seed_entities_point_at_their_segments(seed):
    segments = segment_document(markdown_lines(SEED.read_text(encoding="utf-8")))
    _, entities = describe(segments)
    for entity in entities:
        assert entity.text in segments[entity.segment].text


# --- a despatch ------------------------------------------------------------------------

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
Bill on January 20th after a debate of three days. With
reference to my despatch No. 1200 of December 28, 1938, Mr. Montgomery
informed Count Teleki that the Department of State would be interested.

I have the honor to be, Sir,
Your obedient servant,

John F. Montgomery
American Minister

File No. 840.1
JFM/mk
"""


def test_despatch_metadata():
    meta, _ = read(DESPATCH)
    assert meta.doc_type == "despatch"
    assert meta.doc_date == D(1939, 1, 25)
    assert meta.date_text == "January 25, 1939."
    assert meta.number in ("1234", "No. 1234")
    assert meta.place == "Budapest"
    assert meta.subject == "Second Jewish Bill: passage through the Upper House."
    assert meta.sender == "John F. Montgomery"
    assert meta.sender_title == "American Minister"
    assert meta.sender_org == "American Legation"
    assert meta.recipient == "The Secretary of State"
    assert meta.recipient_title == "The Secretary of State"
    assert meta.recipient_place == "Washington"
    assert meta.salutation == "Sir:"
    assert meta.references == ["840.1"]


def test_despatch_entities():
    _, entities = read(DESPATCH)
    assert {"1939-01-25", "1939-01-20", "1938-12-28"} <= set(normalized(entities, "date"))
    assert {"Count Teleki", "John F. Montgomery"} <= set(normalized(entities, "person"))
    assert "Department of State" in normalized(entities, "organization")
    assert "American Legation" in normalized(entities, "organization")
    assert "Budapest" in normalized(entities, "place")


def test_despatch_in_capitals_with_letterhead_and_subject():
    text = """NO. 188
THE FOREIGN SERVICE
OF THE
UNITED STATES OF AMERICA
AMERICAN CONSULATE GENERAL
Istanbul, Turkey, November 16, 1942.
SUBJECT: Transmitting the Law of
August 29, 1942, with Comments.
THE HONORABLE
THE SECRETARY OF STATE,
WASHINGTON.
SIR:
I have the honor to transmit herewith a free translation of the Law."""
    meta, entities = read(text)
    assert (meta.doc_type, meta.number, meta.doc_date) == ("despatch", "188", D(1942, 11, 16))
    assert meta.place == "Istanbul, Turkey"
    assert meta.sender_org == "American Consulate General"
    assert meta.recipient == "The Secretary of State"
    assert meta.subject == "Transmitting the Law of August 29, 1942, with Comments."
    assert "Foreign Service of the United States of America" in normalized(entities, "organization")


# --- other document types ---------------------------------------------------------------


def test_telegram_from_its_heading():
    meta, _ = read("TELEGRAM RECEIVED\n\nFROM\nDated December 23, 1941\nRec'd 10:15 a.m.\n\n"
                   "SECRETARY OF STATE WASHINGTON STOP ARRIVED SAFELY STOP")
    assert meta.doc_type == "telegram"
    assert meta.doc_date == D(1941, 12, 23)


def test_telegram_from_a_capitals_body_with_stop():
    meta, _ = read("GRAY\n\nSECRETARY OF STATE WASHINGTON. FOUR HUNDRED REFUGEES ARRIVED TODAY "
                   "STOP FURTHER REPORT FOLLOWS STOP")
    assert meta.doc_type == "telegram"


def test_memorandum_from_its_heading():
    meta, _ = read("MEMORANDUM OF CONVERSATION\n\nMay 31, 1939.\n\nThe Minister called this "
                   "morning and said that the Government would not change its policy.")
    assert (meta.doc_type, meta.doc_date) == ("memorandum", D(1939, 5, 31))


def test_letter_from_salutation_and_closing():
    meta, _ = read("10th August, 1938.\n\nDear Mrs. Schmolka,\n\nI have received your letter of "
                   "August 2nd and regret that nothing can be done.\n\nYours sincerely,\n(Sgd.) SAMUEL.")
    assert meta.doc_type == "letter"
    assert meta.recipient == "Mrs. Schmolka"
    assert meta.sender == "Samuel"


def test_text_without_letter_parts_is_other():
    meta, _ = read("The total population of the country is approximately 46,000 and has not changed.")
    assert meta.doc_type == "other"


# --- single fields ----------------------------------------------------------------------


def test_recipient_from_the_salutation_when_there_is_no_addressee_block():
    meta, _ = read("My dear Roe,\n\nThank you for your letter which came this morning.")
    assert meta.recipient == "Roe"


def test_generic_salutation_names_nobody():
    meta, _ = read("Dear Sir,\n\nThank you for your letter which came this morning.")
    assert meta.recipient is None


def test_handling_alone_still_gives_the_grading():
    meta, _ = read("Personal and Secret\n\nMy dear Roe,\n\nThank you for your letter of yesterday.")
    assert (meta.classification, meta.handling) == ("SECRET", "Personal and Secret")


def test_classification_is_upper_cased():
    meta, _ = read("Strictly Confidential.\n\nDear Madam,\n\nWe appeal to you for help in this matter.")
    assert meta.classification == "STRICTLY CONFIDENTIAL"


def test_acting_signature_gives_the_signer_and_title():
    meta, _ = read("Respectfully yours,\nFor the Minister:\nFrederick P. Roe,\nSecretary of Legation.")
    assert (meta.sender, meta.sender_title) == ("Frederick P. Roe", "Secretary of Legation")


def test_an_initial_is_the_sender_only_when_nothing_better_is_signed():
    meta, _ = read("P.S. I enclose the text of the communiqué as finally agreed upon.\n\nH.")
    assert meta.sender == "H."


def test_two_digit_years_follow_the_century_argument():
    meta, _ = read("23.12.41\n\nDear Sir,\n\nThank you for your letter.", century=18)
    assert meta.doc_date == D(1841, 12, 23)


def test_persons_keep_titles_and_normalise_capitals():
    _, entities = read("Dear Sir,\n\nMR. EDEN saw Sir Ronald Lindsay, General Sikorski, Herr von Papen,"
                       " Dr. Floyd H. Black and Mrs Fraenkel before Lord Lothian left.")
    assert normalized(entities, "person") == [
        "Mr. Eden", "Sir Ronald Lindsay", "General Sikorski", "Herr von Papen", "Dr. Floyd H. Black",
        "Mrs. Fraenkel", "Lord Lothian",
    ]


def test_organizations_are_found_by_their_head_words():
    _, entities = read("Dear Sir,\n\nThe Foreign Office informed the Soviet Government and the "
                       "Department of State that the Ministry of the Interior and the Legation agreed.")
    assert normalized(entities, "organization") == [
        "Foreign Office", "Soviet Government", "Department of State", "Ministry of the Interior",
        "Legation",
    ]


def test_places_from_prepositions_skip_months_nationalities_and_people():
    _, entities = read("Dear Sir,\n\nMr. Winant arrived in Lindenstrasse in April, spoke in German "
                       "at Geneva, from Winant, and near Rajka.")
    assert normalized(entities, "place") == ["Lindenstrasse", "Geneva", "Rajka"]


def test_references_are_normalised_without_spaces():
    meta, entities = read("R 1234/56/67\n\nDear Sir,\n\nSee also our G260/3/41 of yesterday.")
    assert meta.references == ["R1234/56/67", "G260/3/41"]
    assert [e.text for e in entities if e.kind == "reference"] == ["R 1234/56/67", "G260/3/41"]


def test_dates_with_month_or_year_precision_are_iso_prefixes():
    _, entities = read("23.12.41\n\nDear Sir,\n\nIn December, 1940 and again in 1939 we wrote.")
    assert normalized(entities, "date") == ["1941-12-23", "1940-12", "1939"]


# --- the hard rule ---------------------------------------------------------------------


@pytest.mark.parametrize("module", ["dates.py", "structure.py", "metadata.py"])
def test_rules_name_no_person_of_the_test_documents(module):
    source = (PACKAGE / module).read_text(encoding="utf-8")
    for name in ("Halifax", "Welles", "Sumner", "Eden", "Stalin", "Winant", "Timoshenko",
                 "Halliday", "Schmolka", "Montgomery", "Gunther"):
        assert not re.search(rf"\b{name}\b", source, re.IGNORECASE), name


# --- scanned heads --------------------------------------------------------------------


def test_place_before_the_date_leaves_out_the_number_and_a_stamps_figures():
    meta, _ = read("No. 12. Lisbon, March 3, 1938. Ce\n\nSir:\n\nI have the honor to report.")
    assert (meta.number, meta.place, meta.doc_date) == ("12", "Lisbon", D(1938, 3, 3))
    meta, _ = read("THE FOREIGN SERVICE\n| 3 18 jo49 - Lisbon, Portugal, March 3, 1938.\n\nSir:")
    assert (meta.place, meta.doc_date) == ("Lisbon, Portugal", D(1938, 3, 3))


def test_labelled_subject_wins_over_stamp_text_read_as_a_title():
    text = ("LEGATION OF UTOPIA\nKeceivet\nDEPARTMENT OF STA\nLisbon, March 3, 1938.\n"
            "SUBJECT; Transit of refugees.\nCOMMUHIC ATIONS\n\nSir:")
    meta, _ = read(text)
    assert meta.subject == "Transit of refugees."


def test_subject_without_its_label_is_an_unlabelled_title_line():
    meta, _ = read("Lisbon, March 3, 1938.\nVege\nTransit of Refugees.\n\nSir:")
    assert meta.subject == "Transit of Refugees."


def test_addressee_lines_cleared_of_ocr_specks():
    text = ("Lisbon, March 3, 1938.\n\nTHE HONORABLE en re\nTHE SECRETARY OF STATE, Leelee,\n"
            "/ , WASHINGTON,\n\nSIR:\n\nI have the honor to report.")
    meta, _ = read(text)
    assert (meta.recipient, meta.recipient_title, meta.recipient_place) == (
        "The Secretary of State", "The Secretary of State", "Washington")


def test_letterhead_broken_after_of_the_is_one_organisation():
    meta, _ = read("LEGATION OF THE a\nUNITED STATES OF AMERICA\nLisbon, March 3, 1938.\n\nSir:")
    assert meta.sender_org == "Legation of the United States of America"


def test_signer_after_an_acting_line_and_a_scrawl():
    meta, entities = read("Respectfully yours,\nFor the Minister:\n[Yer de reral ft [Tove e\n"
                          "Frederick P. Roe,\nSecretary of Legation.")
    assert (meta.sender, meta.sender_title) == ("Frederick P. Roe", "Secretary of Legation")
    assert "Frederick P. Roe" in normalized(entities, "person")


# --- persons named without a title ------------------------------------------------------


def test_untitled_person_doing_what_people_do():
    _, entities = read('Dear Sir,\n\nAt dinner Mr. Roe says, "Przybyl who was present was most '
                       'confident." Later Kowalczyk said that nothing would change.')
    assert {"Przybyl", "Kowalczyk"} <= set(normalized(entities, "person"))


def test_untitled_person_the_writer_learnt_from():
    _, entities = read("Dear Sir,\n\nYou know most of this already from\nPrzybyl, but I thought "
                       "it might be useful to have it in order.")
    assert normalized(entities, "person") == ["Przybyl"]


def test_word_the_collection_uses_as_a_name_is_a_person():
    text = "Dear Sir,\n\nBoth Kowalczyk, when he came, and the press agreed."
    assert "Kowalczyk" not in normalized(read(text)[1], "person")  # used once: no evidence
    _, entities = read(text, names={"kowalczyk": 3})
    assert "Kowalczyk" in normalized(entities, "person")


def test_all_mentions_of_an_untitled_person_are_found():
    _, entities = read("Dear Sir,\n\nPrzybyl says the talks failed. I saw Przybyl on Monday.")
    assert normalized(entities, "person") == ["Przybyl", "Przybyl"]


@pytest.mark.parametrize("text", [
    "The Poles who are now classified as foreigners will leave.",
    "The Jews who have been registered must report.",
    "This was settled between the original Bill and the final Kowalczyk.",
    "The Kowalczyk Government fell, and the Arrow Cross says nothing.",
    "Rumanians who were interned say nothing.",
])
def test_groups_things_and_longer_names_are_not_untitled_persons(text):
    _, entities = read(f"Dear Sir,\n\n{text}", names={"kowalczyk": 3, "poles": 3, "arrow": 3,
                                                     "cross": 3, "rumanians": 3, "jews": 3})
    assert normalized(entities, "person") == []


def test_short_form_of_a_titled_name_is_the_fuller_form():
    _, entities = read("Dear Sir,\n\nProfessor A.\nRoe was interned. Later Professor Roe was released.")
    assert set(normalized(entities, "person")) == {"Professor A. Roe"}


def test_seed_persons_named_without_a_title(seed):
    _, entities = seed
    assert {"Winant", "Timoshenko"} <= set(normalized(entities, "person"))


def test_grading_without_the_specks_after_it():
    meta, _ = read("CONFIDENTIAL ON re\n\nSir:\n\nI have the honor to report.")
    assert meta.classification == "CONFIDENTIAL"


def test_telegram_form_head_and_signature():
    meta, _ = read(TELEGRAM_FORM)
    assert meta.doc_type == "telegram"
    assert meta.subject is None
    assert meta.place == "Ankara"
    assert meta.recipient == "Secretary of State"
    assert meta.sender == "Halloran"
    assert meta.classification == "SECRET"


MEMO_LABELS = """
MEMORANDUM

TO: Mr. Fairbairn
FROM: Mr. Ostrander
SUBJECT: Coal Deliveries
DATE:     4th May, 1938

The deliveries have been delayed again. I should be glad of your views.
"""


def test_memorandum_labelled_head_lines():
    meta, _ = read(MEMO_LABELS)
    assert meta.doc_type == "memorandum"
    assert "Fairbairn" in meta.recipient and "Ostrander" not in meta.recipient
    assert "Ostrander" in meta.sender
    assert meta.subject == "Coal Deliveries"
    assert meta.doc_date == D(1938, 5, 4)
    assert meta.place is None


@pytest.mark.parametrize("line, expected", [
    ("File No. 311.42/917", ["311.42/917"]),
    ("711 .94/2203", ["711.94/2203"]),
    ("Ref. 865.00/1204 and R 512/4/22", ["865.00/1204", "R512/4/22"]),
])
def test_decimal_file_numbers_are_read_whole(line, expected):
    text = f"Dear Sir,\n\nThe papers are enclosed.\n\nYours faithfully,\nA. Smith\n\n{line}\n"
    meta, _ = read(text)
    assert sorted(meta.references) == sorted(expected)


def test_classification_split_by_ocr_is_rejoined():
    meta, _ = read("SEC RET\n\nLondon, 4th May, 1938.\n\nDear Sir,\n\nThe papers are enclosed.\n")
    assert meta.classification == "SECRET"


# --- OCR misreadings in heads and signatures ------------------------------------------------

MEMORANDUM = """
MEMORANDUM

TO: Mr. Fairbairn
FROM: Mr. Ostrander
SUBJECT: Negot iations for a Commercial Agreement
DATE: 18.7.38

The coal is late and the ships are few.

                                             {signed}
"""


@pytest.mark.parametrize("initials", ["R. P. O.", "R. P. Oh"])
def test_from_line_names_the_sender_before_signed_initials(initials):
    meta, _ = read(MEMORANDUM.format(signed=initials))
    assert meta.sender == "Mr. Ostrander"


def test_signed_initials_are_the_sender_when_no_from_line_names_one():
    meta, _ = read(MEMORANDUM.format(signed="R. P. O.").replace("FROM: Mr. Ostrander\n", ""))
    assert meta.sender == "R. P. O."


def test_memorandum_signature_typed_apart_names_the_sender():
    meta, _ = read(MEMORANDUM.format(signed="Richard P. Ostrander"))
    assert meta.sender == "Richard P. Ostrander"


def test_word_split_by_ocr_in_the_subject_is_rejoined():
    meta, _ = read(MEMORANDUM.format(signed="R. P. O."))
    assert meta.subject == "Negotiations for a Commercial Agreement"


def test_a_name_split_by_ocr_in_the_subject_is_rejoined_when_the_body_spells_it_whole():
    text = MEMORANDUM.format(signed="R. P. O.").replace(
        "Negot iations for a Commercial Agreement", "Arrest of Professor Kantard jieff").replace(
        "The coal is late", "Professor Kantardjieff was arrested. The coal is late")
    meta, _ = read(text)
    assert meta.subject == "Arrest of Professor Kantardjieff"


def test_two_words_are_not_joined_into_a_name_the_document_never_spells():
    text = MEMORANDUM.format(signed="R. P. O.").replace(
        "Negot iations for a Commercial Agreement", "Arrest of Professor Kantard jieff")
    meta, _ = read(text)
    assert meta.subject == "Arrest of Professor Kantard jieff"


def test_memorandum_heading_split_by_ocr_still_gives_the_type():
    meta, _ = read(MEMORANDUM.format(signed="R. P. O.").replace("MEMORANDUM", "MEMORAND UM"))
    assert meta.doc_type == "memorandum"


def test_speck_between_the_place_and_the_date_leaves_the_place():
    meta, _ = read("AMERICAN LEGATION\n\nAthens, ‘April 4th, 1941.\n\nSir:\n\nI have the honor.")
    assert (meta.place, meta.doc_date) == ("Athens", D(1941, 4, 4))


def test_colon_speck_inside_an_addressee_line_is_dropped():
    meta, _ = read("Lisbon, March 3, 1938.\n\nThe Honorable\nThe Secretary: of State,\nWashington.\n\n"
                   "Sir:\n\nI have the honor to report.")
    assert meta.recipient == "The Secretary of State"


def test_despatch_number_with_an_ocr_speck():
    meta, _ = read("No.- 1584\n\nAMERICAN LEGATION\n\nAthens, April 4th, 1941.\n\nSir:\n\nI have the honor.")
    assert meta.number == "1584"


def test_date_line_with_a_misread_ordinal_gives_date_and_place():
    meta, _ = read("AMERICAN LEGATION\n\nBudapest, September 2ist, 1941.\n\nSir:\n\nI have the honor.")
    assert (meta.place, meta.doc_date) == ("Budapest", D(1941, 9, 21))
