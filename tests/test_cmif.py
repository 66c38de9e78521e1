"""CMIF export: the file correspSearch harvests must be well-formed TEI with one correspDesc
per letter, honest dates, and must never be left half-written."""

from __future__ import annotations

import datetime
import xml.etree.ElementTree as ET
from pathlib import Path

import duckdb
import pytest

from archivist.cmif import LICENCE_URL, TEI_NS, documents_to_cmif, export_cmif
from archivist.errors import UsageError

NS = {"tei": TEI_NS}
XML_ID = "{http://www.w3.org/XML/1998/namespace}id"

DOCUMENTS_DDL = """
CREATE TABLE documents (
    document_id VARCHAR PRIMARY KEY, doc_type VARCHAR, doc_date DATE, date_text VARCHAR,
    sender VARCHAR, recipient VARCHAR, classification VARCHAR, subject VARCHAR, place VARCHAR,
    number VARCHAR, sender_title VARCHAR, sender_org VARCHAR, recipient_title VARCHAR,
    recipient_place VARCHAR, handling VARCHAR, "references" VARCHAR[], salutation VARCHAR,
    closing VARCHAR, text VARCHAR)
"""

ROWS = [
    # document_id, doc_type, doc_date, date_text, sender, sender_title, place, recipient,
    # recipient_place
    ("d-halifax", "letter", datetime.date(1941, 12, 23), "December 23rd, 1941.", "Halifax",
     None, "Washington", "Welles", "Department of State"),
    ("d-undated", "despatch", None, None, "Eden & Co <FO>", "Foreign\nSecretary", "London",
     "Molotov\x0c", "Moscow"),
    ("d-empty", "letter", None, None, None, None, None, None, None),
    ("d-minute", "minute", datetime.date(1941, 12, 24), "24.12.41", "Cadogan", None, None,
     "Eden", None),
]


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    path = tmp_path / "archive.duckdb"
    con = duckdb.connect(str(path))
    con.execute(DOCUMENTS_DDL)
    con.executemany(
        "INSERT INTO documents (document_id, doc_type, doc_date, date_text, sender, sender_title,"
        " place, recipient, recipient_place, text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'text')",
        ROWS)
    con.close()
    return path


def _letters(path: Path) -> dict[str, ET.Element]:
    root = ET.parse(path).getroot()
    return {d.get("key"): d for d in root.iterfind(".//tei:correspDesc", NS)}


def _action(desc: ET.Element, kind: str) -> ET.Element:
    action = desc.find(f"tei:correspAction[@type='{kind}']", NS)
    assert action is not None, kind
    return action


def test_export_writes_one_corresp_desc_per_exportable_letter(db_path: Path, tmp_path: Path):
    out = tmp_path / "cmif.xml"
    written = export_cmif(db_path, out, today=datetime.date(2024, 5, 1))

    assert written == 2  # d-empty has nothing to export; the minute is not correspondence
    root = ET.parse(out).getroot()
    assert root.tag == f"{{{TEI_NS}}}TEI"
    letters = _letters(out)
    assert list(letters) == ["d-halifax", "d-undated"]  # dated first
    assert all(d.get("source") == "#archivist-corpus" for d in letters.values())


def test_sent_and_received_actions(db_path: Path, tmp_path: Path):
    out = tmp_path / "cmif.xml"
    export_cmif(db_path, out)
    letters = _letters(out)

    sent = _action(letters["d-halifax"], "sent")
    assert sent.findtext("tei:persName", namespaces=NS) == "Halifax"
    assert sent.findtext("tei:placeName", namespaces=NS) == "Washington"
    received = _action(letters["d-halifax"], "received")
    assert received.findtext("tei:persName", namespaces=NS) == "Welles"
    assert received.findtext("tei:placeName", namespaces=NS) == "Department of State"
    assert received.find("tei:persName", NS).get("ref") is None  # no authority id known

    # Title joined to the name, markup characters escaped, line break and form feed cleaned.
    sent = _action(letters["d-undated"], "sent")
    assert sent.findtext("tei:persName", namespaces=NS) == "Eden & Co <FO>, Foreign Secretary"
    received = _action(letters["d-undated"], "received")
    assert received.findtext("tei:persName", namespaces=NS) == "Molotov"
    assert received.findtext("tei:placeName", namespaces=NS) == "Moscow"


def test_dates(db_path: Path, tmp_path: Path):
    out = tmp_path / "cmif.xml"
    export_cmif(db_path, out)
    letters = _letters(out)

    dated = _action(letters["d-halifax"], "sent").find("tei:date", NS)
    assert dated is not None and dated.get("when") == "1941-12-23"
    assert _action(letters["d-undated"], "sent").find("tei:date", NS) is None


def test_partial_and_unresolved_dates_are_not_given_a_day():
    rows = [
        {"document_id": "m", "doc_date": datetime.date(1941, 12, 1), "date_text": "December, 1941",
         "sender": "A"},
        {"document_id": "t", "doc_date": None, "date_text": "December 20th", "sender": "B"},
    ]
    tree = documents_to_cmif(rows)
    month, text_only = tree.getroot().iterfind(".//tei:correspDesc//tei:date", NS)
    assert month.get("when") is None
    assert (month.get("notBefore"), month.get("notAfter")) == ("1941-12-01", "1941-12-31")
    assert text_only.text == "December 20th" and text_only.attrib == {}


def test_header_and_file_format(db_path: Path, tmp_path: Path):
    out = tmp_path / "cmif.xml"
    export_cmif(db_path, out, title="Halifax papers", publisher="Archive & Co",
                source_url="https://example.org/cmif.xml", today=datetime.date(2024, 5, 1))

    raw = out.read_bytes()
    assert raw.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<TEI xmlns="' + TEI_NS.encode())
    raw.decode("utf-8")
    assert b"\n  <teiHeader>" in raw  # pretty-printed
    root = ET.fromstring(raw)
    pub = root.find(".//tei:publicationStmt", NS)
    assert root.findtext(".//tei:titleStmt/tei:title", namespaces=NS) == "Halifax papers"
    assert pub.findtext("tei:publisher", namespaces=NS) == "Archive & Co"
    assert pub.find("tei:idno", NS).get("type") == "url"
    assert pub.findtext("tei:idno", namespaces=NS) == "https://example.org/cmif.xml"
    assert pub.find("tei:date", NS).get("when") == "2024-05-01"
    assert pub.find("tei:availability/tei:licence", NS).get("target") == LICENCE_URL
    bibl = root.find(".//tei:sourceDesc/tei:bibl", NS)
    assert bibl.get("type") == "hybrid" and bibl.get(XML_ID) == "archivist-corpus"


def test_missing_output_directory_fails_clearly_and_leaves_nothing(db_path: Path, tmp_path: Path):
    out = tmp_path / "no-such-dir" / "cmif.xml"
    with pytest.raises(UsageError, match="no-such-dir"):
        export_cmif(db_path, out)
    assert not out.parent.exists()


def test_failed_write_keeps_old_file_and_leaves_no_temporary(
        db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    out = tmp_path / "cmif.xml"
    out.write_text("old")

    def broken_write(self: ET.ElementTree, *args: object, **kwargs: object) -> None:
        args[0].write(b"<TEI")  # type: ignore[attr-defined]  # half a file, then failure
        raise OSError("disk full")

    monkeypatch.setattr(ET.ElementTree, "write", broken_write)
    with pytest.raises(OSError, match="disk full"):
        export_cmif(db_path, out)
    assert out.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["archive.duckdb", "cmif.xml"]


def test_missing_database_names_the_path(tmp_path: Path):
    with pytest.raises(UsageError, match="nope.duckdb"):
        export_cmif(tmp_path / "nope.duckdb", tmp_path / "cmif.xml")
    assert not (tmp_path / "cmif.xml").exists()
