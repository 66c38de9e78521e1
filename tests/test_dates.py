import datetime

import pytest

from archivist.dates import DateMention, find_dates, parse_date

D = datetime.date
LETTER_DATE = D(1941, 12, 23)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("December 23rd, 1941.", D(1941, 12, 23)),
        ("23.12.41", D(1941, 12, 23)),
        ("23/12/41", D(1941, 12, 23)),
        ("23-12-1941", D(1941, 12, 23)),
        ("January 25, 1939", D(1939, 1, 25)),
        ("14th March, 1946", D(1946, 3, 14)),
        ("1939 MAY 31", D(1939, 5, 31)),
        ("May 31, 1939", D(1939, 5, 31)),
        ("May 31 1939", D(1939, 5, 31)),
        ("31 May 1939", D(1939, 5, 31)),
        ("Dec. 23, 1941", D(1941, 12, 23)),
        ("Sept. 3, 1939", D(1939, 9, 3)),
        ("DECEMBER 23, 1941", D(1941, 12, 23)),
        ("the 16th of July, 1938", D(1938, 7, 16)),
        ("9th May, 1938/.5698.", D(1938, 5, 9)),
        ("Budapest, January 25, 1939.", D(1939, 1, 25)),
        ("Washington, D. C., May 9th; 1945.", D(1945, 5, 9)),  # OCR's ';' for the comma
        ("4th February. 1939.", D(1939, 2, 4)),
    ],
)
def test_reads_archival_day_forms(text, expected):
    assert parse_date(text) == expected


def test_two_digit_years_belong_to_the_archive_century_by_default():
    assert parse_date("23.12.41") == D(1941, 12, 23)


def test_two_digit_years_take_an_explicit_century():
    assert parse_date("23.12.41", century=18) == D(1841, 12, 23)


def test_two_digit_years_take_the_century_nearest_the_reference():
    assert parse_date("03.01.02", reference=D(1999, 12, 1)) == D(2002, 1, 3)
    assert parse_date("03.01.99", reference=D(2001, 6, 1)) == D(1999, 1, 3)


def test_numeric_dates_are_read_day_first():
    assert parse_date("03.04.41") == D(1941, 4, 3)


def test_numeric_dates_fall_back_to_month_first_when_day_first_is_impossible():
    assert parse_date("12/25/41") == D(1941, 12, 25)


@pytest.mark.parametrize("text", ["31.02.41", "32/12/41", "00.12.41", "13.13.41"])
def test_impossible_numeric_dates_are_not_dates(text):
    assert find_dates(text) == []


def test_an_impossible_written_date_is_found_but_has_no_value():
    [mention] = find_dates("on February 30, 1941, he")
    assert (mention.text, mention.value, mention.precision) == ("February 30, 1941", None, "day")
    assert parse_date("February 30, 1941") is None


@pytest.mark.parametrize("text", ["G260/3/41", "6253/14/41", "Ref. G260/5/41", "File 840.1",
                                  "No. 1939", "25,000 Austrian shillings", "at in -/9/13"])
def test_file_numbers_and_figures_are_not_dates(text):
    assert find_dates(text) == []


@pytest.mark.parametrize("text", ["December 28th/29th", "28th/29th December", "28/29 December"])
def test_a_night_or_range_resolves_to_its_first_day(text):
    [mention] = find_dates(text, reference=LETTER_DATE)
    assert mention.value == D(1941, 12, 28)
    assert mention.precision == "day"
    assert mention.text == text


def test_a_range_must_run_forward():
    assert parse_date("December 29th/28th", reference=LETTER_DATE) is None


def test_yearless_dates_take_the_year_of_the_reference():
    assert parse_date("December 20th", reference=LETTER_DATE) == D(1941, 12, 20)


def test_yearless_dates_far_after_the_reference_belong_to_the_previous_year():
    assert parse_date("December 28th", reference=D(1942, 1, 5)) == D(1941, 12, 28)


def test_yearless_dates_shortly_after_the_reference_stay_in_its_year():
    assert parse_date("January 15th", reference=D(1941, 12, 23)) == D(1941, 1, 15)
    assert parse_date("February 10th", reference=D(1941, 12, 23)) == D(1941, 2, 10)
    assert parse_date("January 5th", reference=D(1941, 12, 1)) == D(1941, 1, 5)


def test_yearless_dates_without_reference_are_found_but_unresolved():
    [mention] = find_dates("In his telegram of December 20th Mr. Eden stated")
    assert mention == DateMention("December 20th", 19, 32, None, "day")


def test_month_and_year_has_month_precision():
    [mention] = find_dates("in December, 1941, the")
    assert (mention.text, mention.value, mention.precision) == ("December, 1941", D(1941, 12, 1), "month")
    assert find_dates("Feb. 1944")[0].precision == "month"


def test_a_bare_year_has_year_precision():
    [mention] = find_dates("Mrs Fraenkel was 38 years of age in 1939.")
    assert (mention.text, mention.value, mention.precision) == ("1939", D(1939, 1, 1), "year")


def test_lowercase_month_words_are_verbs_not_months():
    assert find_dates("we may ask whether they march 5 miles") == []
    assert find_dates("May we ask you to send us") == []


def test_spans_point_into_the_input():
    text = "a subsequent telegram dated December 22nd and a letter of 23.12.41 (file 6253/14/41)"
    mentions = find_dates(text, reference=LETTER_DATE)
    assert [text[m.start:m.end] for m in mentions] == ["December 22nd", "23.12.41"]
    assert [m.value for m in mentions] == [D(1941, 12, 22), D(1941, 12, 23)]


def test_a_full_date_is_one_mention_not_a_date_and_a_year():
    mentions = find_dates("The Law of August 29, 1942, having as its aim")
    assert [(m.text, m.precision) for m in mentions] == [("August 29, 1942", "day")]


def test_a_date_broken_over_two_lines_is_still_one_date():
    assert parse_date("my telegram of March\n25, 1939, in which") == D(1939, 3, 25)


def test_ordinal_suffixes_of_american_typists_are_read():
    assert parse_date("June 22d, 1941") == D(1941, 6, 22)
    assert parse_date("3d September, 1939") == D(1939, 9, 3)


@pytest.mark.parametrize("text, expected", [
    ("APR 26 1939", D(1939, 4, 26)),
    ("- AUG 15 1940", D(1940, 8, 15)),
])
def test_receipt_stamp_dates_without_commas(text, expected):
    assert parse_date(text) == expected


def test_figures_of_a_stamp_before_a_typed_date_are_not_a_date():
    [mention] = find_dates("| 3 18 jo49 - Lisbon, Portugal, March 3, 1938.")
    assert (mention.text, mention.value) == ("March 3, 1938", D(1938, 3, 3))


@pytest.mark.parametrize("text, expected", [
    ("September 2ist, 1945.", D(1945, 9, 21)),
    ("Sth May, 1945", D(1945, 5, 5)),
    ("lOth June, 1940", D(1940, 6, 10)),
    ("2lst March 1941", D(1941, 3, 21)),
    ("3Oth June, 1940", D(1940, 6, 30)),
])
def test_ordinal_day_with_a_figure_misread_as_a_letter(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["ith June, 1940", "the Oth of May, 1940", "Sst May, 1940"])
def test_misread_ordinal_whose_suffix_does_not_fit_is_no_day(text):
    assert all(m.precision != "day" for m in find_dates(text))


def test_numeric_date_with_a_space_ocr_put_beside_a_full_stop():
    assert parse_date("DATE: 28 .9.40") == D(1940, 9, 28)


@pytest.mark.parametrize("text", ["28 / 9/40", "28 .9 .40", "1 - 2 - 41"])
def test_numeric_figures_spaced_apart_are_no_date(text):
    assert find_dates(text) == []
