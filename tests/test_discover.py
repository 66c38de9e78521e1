import hashlib
from pathlib import Path

import pytest

from archivist.discover import discover
from archivist.errors import UsageError


def test_finds_every_supported_kind_recursively_in_path_order(tmp_path: Path):
    for name in ["b/scan.TIF", "a/page.png", "a/letter.md", "c/file.pdf", "photo.jpeg",
                 "notes.txt", "ignore.docx", "a/page.gt.txt", ".hidden.png"]:
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(name.encode())
    found = [(Path(s.path).relative_to(tmp_path).as_posix(), s.kind) for s in discover(tmp_path)]
    assert found == [("a/letter.md", "text"), ("a/page.png", "image"), ("b/scan.TIF", "image"),
                     ("c/file.pdf", "pdf"), ("notes.txt", "text"), ("photo.jpeg", "image")]


def test_sha256_and_size_are_those_of_the_bytes(tmp_path: Path):
    p = tmp_path / "x.txt"
    p.write_bytes(b"hello")
    (source,) = discover(tmp_path)
    assert source.sha256 == hashlib.sha256(b"hello").hexdigest()
    assert source.bytes == 5


def test_source_id_is_stable_when_the_bytes_change(tmp_path: Path):
    p = tmp_path / "x.txt"
    p.write_text("one")
    first = discover(tmp_path)[0]
    p.write_text("two")
    second = discover(tmp_path)[0]
    assert first.source_id == second.source_id and first.sha256 != second.sha256


def test_missing_input_is_a_usage_error(tmp_path: Path):
    with pytest.raises(UsageError, match="no such file"):
        discover(tmp_path / "nope")
