from pathlib import Path

import pytest

from archivist.errors import SourceError
from archivist.transcription import parse_markdown, read_transcription


def test_soft_wrapped_lines_join_into_one_paragraph_line():
    t = parse_markdown("first half\nsecond half\n\nnext")
    assert [l.text for l in t.lines] == ["first half second half", "next"]


def test_two_trailing_spaces_or_backslash_end_a_line_hard():
    t = parse_markdown("The Honourable  \nSumner Welles,\\\nWashington")
    assert [l.text for l in t.lines] == ["The Honourable", "Sumner Welles,", "Washington"]


def test_emphasis_marks_are_dropped_and_raw_text_is_kept():
    raw = "*Soviet Union: Post-war Aims*\n\n**SECRET** and __this__"
    t = parse_markdown(raw)
    assert t.text == "Soviet Union: Post-war Aims\n\nSECRET and this"
    assert t.raw == raw


def test_line_offsets_point_into_the_text():
    t = parse_markdown("alpha  \nbeta\n\ngamma delta")
    for line in t.lines:
        assert t.text[line.char_start:line.char_end] == line.text


def test_registry_marks_with_slashes_survive():
    t = parse_markdown("G260/3/41\n\ny - /12 }")
    assert [l.text for l in t.lines] == ["G260/3/41", "y - /12 }"]


def test_seed_transcription_keeps_both_readings(seed_text_path):
    t = read_transcription(seed_text_path)
    assert "HALIFAX" in t.text and "HALLIDAY" in t.text
    assert "Russian/" in [l.text for l in t.lines]


def test_non_utf8_file_is_a_source_error_naming_the_file(tmp_path: Path):
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("caf\xe9".encode("latin-1"))
    with pytest.raises(SourceError, match="latin1.txt.*not UTF-8"):
        read_transcription(bad)


def test_empty_file_is_a_source_error(tmp_path: Path):
    empty = tmp_path / "empty.md"
    empty.write_text("  \n\n")
    with pytest.raises(SourceError, match="empty"):
        read_transcription(empty)
