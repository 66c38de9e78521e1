import hashlib
import time
from pathlib import Path

import pytest

from archivist import discover as discover_module
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


def test_a_folder_planned_twice_in_one_process_is_read_once(tmp_path: Path, monkeypatch):
    """`archivist run` plans before starting Prefect and the flow plans again."""
    monkeypatch.setattr(discover_module, "SETTLED_S", 0.0)
    monkeypatch.setattr(discover_module, "_HASHED", discover_module.OrderedDict())
    for name in ("a.png", "b.txt"):
        (tmp_path / name).write_bytes(name.encode() * 100)
    hashed = []
    real = discover_module.file_sha256
    monkeypatch.setattr(discover_module, "file_sha256", lambda p: hashed.append(p) or real(p))
    assert discover(tmp_path) == discover(tmp_path)
    assert sorted(p.name for p in hashed) == ["a.png", "b.txt"]


def test_a_file_rewritten_between_two_plans_is_hashed_again(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(discover_module, "SETTLED_S", 0.0)
    p = tmp_path / "x.txt"
    p.write_text("one")
    first = discover(tmp_path)[0]
    time.sleep(0.05)  # past the clock tick file timestamps move by
    p.write_text("two")
    assert discover(tmp_path)[0].sha256 == hashlib.sha256(b"two").hexdigest() != first.sha256


def test_a_file_written_just_now_is_not_remembered(tmp_path: Path):
    """Two writes within one clock tick can leave size and timestamps equal."""
    p = tmp_path / "x.txt"
    p.write_text("one")
    discover(tmp_path)
    p.write_text("two")
    assert discover(tmp_path)[0].sha256 == hashlib.sha256(b"two").hexdigest()
