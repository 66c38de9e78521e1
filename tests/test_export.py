"""`archivist export` (issue #6): ALTO 4 and hOCR per page, text and JSONL per document, Parquet
per table; and no write outside the output folder whatever the ids say (issue #8)."""

from __future__ import annotations

import datetime
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import duckdb
import pytest

from archivist import export
from archivist.errors import UsageError
from archivist.export import (ALTO_NS, XHTML_NS, ExportCounts, OcrWord, PageInfo, alto_xml,
                              export_corpus, hocr_xhtml, safe_name)
from archivist.store import Store, insert_rows
from conftest import query_db as _q

A = {"a": ALTO_NS}
H = {"h": XHTML_NS}
HOSTILE = "<script>alert('x')</script> & R&D"
SAFE = re.compile(r"^[A-Za-z0-9._-]+$")
BBOX = re.compile(r"^bbox (\d+) (\d+) (\d+) (\d+); x_wconf (\d+)$")


def _word(block, par, line, word, text, conf, left, top, width=40, height=20) -> OcrWord:
    return OcrWord(block, par, line, word, text, conf, left, top, width, height)


WORDS = [  # two blocks; the first has two lines
    _word(1, 1, 1, 1, "SECRET", 95.4, 100, 50),
    _word(1, 1, 1, 2, HOSTILE, 61.0, 150, 52, 300, 22),
    _word(1, 1, 2, 1, "Dear\x0cSir", 88.0, 100, 90),
    _word(2, 1, 1, 1, "Yours", 100.0, 400, 500, 120, 30),
]
PAGE = PageInfo(page_id="s1-p0002", page_index=2, width=2550, height=3300,
                image="box/<odd> & name.tif", engine="tesseract", engine_version="5.3.0",
                model="eng (tessdata fast, Debian)",
                processed_at=datetime.datetime(2026, 11, 27, 7, 54, 15))


# -- file names ------------------------------------------------------------------------------

def test_pipeline_ids_are_kept_as_file_names():
    assert safe_name("s6ebf603411c16a3-p0003") == "s6ebf603411c16a3-p0003"
    assert safe_name("d4cea0cbd5fad45d") == "d4cea0cbd5fad45d"


@pytest.mark.parametrize("identifier", [
    "../../etc/passwd", "..", ".", "", "/abs/path", "..\\..\\win", "a/../../b", ".hidden",
    "x\x00y", "Zürich", "<script>", "a" * 400, "../" * 100, "a..b", "...",
])
def test_no_id_names_a_file_outside_its_folder(identifier: str, tmp_path: Path):
    name = safe_name(identifier)
    assert SAFE.match(name) and not name.startswith(".") and ".." not in name
    assert len(name) < 200
    assert (tmp_path / f"{name}.xml").resolve().parent == tmp_path.resolve()


def test_ids_differing_only_in_unsafe_characters_get_different_files():
    assert safe_name("a/b") != safe_name("a_b") != safe_name("a?b")
    assert safe_name("a/b") != safe_name("a?b")


# -- ALTO, on hand-made words ----------------------------------------------------------------

def test_alto_structure_boxes_and_confidences():
    root = ET.fromstring(alto_xml(PAGE, WORDS))
    assert root.tag == f"{{{ALTO_NS}}}alto"
    assert root.findtext("a:Description/a:MeasurementUnit", namespaces=A) == "pixel"
    assert root.findtext("a:Description/a:sourceImageInformation/a:fileName",
                         namespaces=A) == "box/<odd> & name.tif"
    software = root.find("a:Description/a:OCRProcessing/a:ocrProcessingStep/"
                         "a:processingSoftware", A)
    assert software.findtext("a:softwareName", namespaces=A) == "tesseract"
    assert software.findtext("a:softwareVersion", namespaces=A) == "5.3.0"
    page = root.find("a:Layout/a:Page", A)
    assert (page.get("WIDTH"), page.get("HEIGHT"), page.get("PHYSICAL_IMG_NR")) == \
        ("2550", "3300", "3")
    blocks = page.findall("a:PrintSpace/a:TextBlock", A)
    assert [len(b.findall("a:TextLine", A)) for b in blocks] == [2, 1]
    strings = page.findall(".//a:String", A)
    assert [s.get("CONTENT") for s in strings] == ["SECRET", HOSTILE, "Dear Sir", "Yours"]
    assert [s.get("WC") for s in strings] == ["0.95", "0.61", "0.88", "1.00"]
    second = strings[1]
    assert [second.get(k) for k in ("HPOS", "VPOS", "WIDTH", "HEIGHT")] == \
        ["150", "52", "300", "22"]
    first_line = blocks[0].find("a:TextLine", A)
    # The line's box is the union of its words: left 100, top 50, right 450, bottom 74.
    assert [first_line.get(k) for k in ("HPOS", "VPOS", "WIDTH", "HEIGHT")] == \
        ["100", "50", "350", "24"]
    assert len(first_line.findall("a:SP", A)) == 1  # between the two strings, not after
    ids = [e.get("ID") for e in root.iter() if e.get("ID")]
    assert len(ids) == len(set(ids))


def test_alto_markup_in_words_stays_text():
    data = alto_xml(PAGE, WORDS)
    assert b"<script>" not in data and b"&amp; R&amp;D" in data


def test_alto_of_a_page_without_words_is_valid_and_empty():
    root = ET.fromstring(alto_xml(PAGE, []))
    assert root.find("a:Layout/a:Page/a:PrintSpace", A) is not None
    assert root.findall(".//a:String", A) == []


# -- hOCR, on hand-made words ----------------------------------------------------------------

def test_hocr_structure_boxes_and_confidences():
    data = hocr_xhtml(PAGE, WORDS)
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html')
    root = ET.fromstring(data)
    assert root.tag == f"{{{XHTML_NS}}}html"
    meta = {m.get("name"): m.get("content") for m in root.iterfind("h:head/h:meta", H)}
    assert meta["ocr-system"] == "tesseract 5.3.0"
    assert "ocrx_word" in meta["ocr-capabilities"].split()
    (page,) = root.iterfind("h:body/h:div[@class='ocr_page']", H)
    assert page.get("title") == 'image "box/<odd> & name.tif"; bbox 0 0 2550 3300; ppageno 2'
    assert len(page.findall("h:div[@class='ocr_carea']", H)) == 2
    assert len(page.findall(".//h:p[@class='ocr_par']", H)) == 2
    assert len(page.findall(".//h:span[@class='ocr_line']", H)) == 3
    words = page.findall(".//h:span[@class='ocrx_word']", H)
    assert [w.text for w in words] == ["SECRET", HOSTILE, "Dear Sir", "Yours"]
    assert [BBOX.match(w.get("title")).groups() for w in words] == [
        ("100", "50", "140", "70", "95"), ("150", "52", "450", "74", "61"),
        ("100", "90", "140", "110", "88"), ("400", "500", "520", "530", "100")]
    assert b"<script>" not in data


# -- a hand-made database: selection of witnesses, hostile ids, errors -----------------------

@pytest.fixture
def tiny_db(tmp_path: Path) -> Path:
    """One image source with three pages: one read twice (two runs), one never OCR'd, one
    with a hostile id; one document with a hostile id; a transcription witness."""
    db = tmp_path / "tiny.duckdb"
    old, new = datetime.datetime(2026, 1, 1), datetime.datetime(2026, 2, 1)
    evil_page = "../../escaped-p0000"
    with Store(db) as store:
        insert_rows(store.con, "sources", [
            {"source_id": "s1", "path": "box/a.tif", "kind": "image", "sha256": "x",
             "status": "done"},
            {"source_id": "s2", "path": "box/t.txt", "kind": "text", "sha256": "y",
             "status": "done"}])
        insert_rows(store.con, "ocr_runs", [
            {"run_id": "r-old", "started_at": old, "finished_at": old, "engine": "tesseract",
             "engine_version": "4.1.1"},
            {"run_id": "r-new", "started_at": new, "finished_at": new, "engine": "tesseract",
             "engine_version": "5.3.0"}])
        insert_rows(store.con, "pages", [
            {"page_id": pid, "source_id": "s1", "page_index": i, "width": 1000, "height": 1400,
             "document_id": "../../evil-doc"}
            for i, pid in enumerate(["s1-p0000", "s1-p0001", evil_page])])
        insert_rows(store.con, "witnesses", [
            {"witness_id": "w-old", "kind": "ocr", "run_id": "r-old", "page_id": "s1-p0000",
             "source_id": "s1"},
            {"witness_id": "w-new", "kind": "ocr", "run_id": "r-new", "page_id": "s1-p0000",
             "source_id": "s1"},
            {"witness_id": "w-evil", "kind": "ocr", "run_id": "r-new", "page_id": evil_page,
             "source_id": "s1"},
            {"witness_id": "w-text", "kind": "transcription", "source_id": "s2",
             "text": "a transcription"}])
        insert_rows(store.con, "words", [
            {"witness_id": "w-old", "block": 1, "par": 1, "line": 1, "word": 1, "text": "old",
             "conf": 50.0, "left": 1, "top": 1, "width": 5, "height": 5},
            {"witness_id": "w-new", "block": 1, "par": 1, "line": 1, "word": 1, "text": "new",
             "conf": 90.0, "left": 10, "top": 20, "width": 30, "height": 40},
            {"witness_id": "w-new", "block": 1, "par": 1, "line": 1, "word": 2, "text": "words",
             "conf": 80.0, "left": 50, "top": 20, "width": 60, "height": 40},
            {"witness_id": "w-evil", "block": 1, "par": 1, "line": 1, "word": 1, "text": "x",
             "conf": 70.0, "left": 1, "top": 2, "width": 3, "height": 4}])
        insert_rows(store.con, "documents", [
            {"document_id": "../../evil-doc", "doc_type": "letter",
             "doc_date": datetime.date(1941, 12, 23), "sender": "Halifax",
             "text": "Dear Welles,\n\nA letter."}])
    return db


def _files_outside(root: Path, out: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file() and out not in p.parents}


def test_newest_ocr_witness_is_exported_and_pages_without_ocr_are_not(tiny_db: Path,
                                                                      tmp_path: Path):
    out = tmp_path / "out"
    counts = export_corpus(tiny_db, out, {"alto", "hocr"})
    assert counts == ExportCounts(pages=2, documents=0, tables=0)
    root = ET.parse(out / "alto" / "s1-p0000.xml").getroot()
    assert [s.get("CONTENT") for s in root.iterfind(".//a:String", A)] == ["new", "words"]
    assert root.findtext(".//a:softwareVersion", namespaces=A) == "5.3.0"
    assert not (out / "alto" / "s1-p0001.xml").exists()  # no OCR witness
    assert not (out / "hocr" / "s1-p0001.html").exists()
    assert not (out / "text").exists() and not (out / "parquet").exists()


def test_hostile_ids_cannot_escape_the_output_folder(tiny_db: Path, tmp_path: Path):
    before = _files_outside(tmp_path, tmp_path / "out" / "deep")
    out = tmp_path / "out" / "deep"
    counts = export_corpus(tiny_db, out)
    assert _files_outside(tmp_path, out) == before
    written = [p for p in out.rglob("*") if p.is_file()]
    assert all(out.resolve() in p.resolve().parents for p in written)
    assert counts.pages == 2 and counts.documents == 1
    (alto_evil,) = [p for p in (out / "alto").iterdir() if "escaped" in p.name]
    assert SAFE.match(alto_evil.stem)
    (text,) = (out / "text").iterdir()
    assert "evil-doc" in text.name and text.read_text(encoding="utf-8") == \
        "Dear Welles,\n\nA letter.\n"
    (record,) = [json.loads(line) for line in
                 (out / "documents.jsonl").read_text(encoding="utf-8").splitlines()]
    assert record["document_id"] == "../../evil-doc"  # the id itself is kept, in the data
    assert record["doc_date"] == "1941-12-23"
    assert sorted(record["page_ids"]) == sorted(["s1-p0000", "s1-p0001", "../../escaped-p0000"])


def test_a_symlinked_folder_in_the_output_is_refused(tiny_db: Path, tmp_path: Path):
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    (out / "alto").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(UsageError, match="outside"):
        export_corpus(tiny_db, out, {"alto"})
    assert list(elsewhere.iterdir()) == []


def test_a_symlinked_file_in_the_output_is_refused(tiny_db: Path, tmp_path: Path):
    out, outside = tmp_path / "out", tmp_path / "precious.txt"
    outside.write_text("keep me")
    (out / "text").mkdir(parents=True)
    (out / "text" / f"{safe_name('../../evil-doc')}.txt").symlink_to(outside)
    with pytest.raises(UsageError, match="outside"):
        export_corpus(tiny_db, out, {"text"})
    assert outside.read_text() == "keep me"


@pytest.mark.parametrize("formats", [{"alto", "pdf"}, {"ALTO"}, set()])
def test_unknown_or_no_format_is_a_usage_error(tiny_db: Path, tmp_path: Path, formats):
    with pytest.raises(UsageError, match="format"):
        export_corpus(tiny_db, tmp_path / "out", formats)
    assert not (tmp_path / "out").exists()


def test_missing_database_is_a_usage_error_naming_it(tmp_path: Path):
    missing = tmp_path / "nope.duckdb"
    with pytest.raises(UsageError, match=re.escape(str(missing))):
        export_corpus(missing, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_database_without_the_tables_is_a_usage_error(tmp_path: Path):
    db = tmp_path / "other.duckdb"
    duckdb.connect(str(db)).close()
    with pytest.raises(UsageError, match="not an archivist database"):
        export_corpus(db, tmp_path / "out", {"alto"})


def test_an_interrupted_export_leaves_old_files_whole_and_no_temporaries(
        tiny_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    out = tmp_path / "out"
    export_corpus(tiny_db, out, {"alto", "jsonl"})
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}

    def fail(fd: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(export.os, "fsync", fail)
    with pytest.raises(OSError, match="disk full"):
        export_corpus(tiny_db, out, {"alto", "jsonl"})
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


# -- the sample through the real flow --------------------------------------------------------

@pytest.fixture(scope="module")
def corpus(sample_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample (seed transcription, ribbon scans, carbon of page 4) through the real flow."""
    from flows.process_collection import run_collection

    db = tmp_path_factory.mktemp("export_db") / "archive.duckdb"
    run_collection(str(sample_dir), str(db), workers=2)
    return db


@pytest.fixture(scope="module")
def exported(corpus: Path, tmp_path_factory: pytest.TempPathFactory
             ) -> tuple[ExportCounts, Path]:
    """Every format, exported while another reader holds the database open."""
    out = tmp_path_factory.mktemp("export_out")
    reader = duckdb.connect(str(corpus), read_only=True)
    try:
        counts = export_corpus(corpus, out)
    finally:
        reader.close()
    return counts, out


def _ocr_words(db: Path) -> dict[str, list[tuple]]:
    rows = _q(db, """SELECT x.page_id, wd.text, wd.conf, wd."left", wd.top, wd.width, wd.height
                     FROM words wd JOIN witnesses x USING (witness_id) WHERE x.kind = 'ocr'
                     ORDER BY x.page_id, wd.block, wd.par, wd.line, wd.word""")
    out: dict[str, list[tuple]] = {}
    for page_id, *word in rows:
        out.setdefault(page_id, []).append(tuple(word))
    return out


@pytest.mark.integration
def test_counts(corpus: Path, exported):
    counts, _ = exported
    tables = _q(corpus, "SELECT count(*) FROM duckdb_tables() WHERE NOT temporary")[0][0]
    assert counts == ExportCounts(pages=5, documents=_q(corpus, "SELECT count(*) FROM "
                                                                "documents")[0][0],
                                  tables=tables)


@pytest.mark.integration
def test_alto_pages_carry_the_stored_words(corpus: Path, exported):
    _, out = exported
    words = _ocr_words(corpus)
    assert len(words) == 5 and sorted(p.stem for p in (out / "alto").iterdir()) == sorted(words)
    for page_id, page_words in words.items():
        root = ET.parse(out / "alto" / f"{page_id}.xml").getroot()
        assert root.tag == f"{{{ALTO_NS}}}alto"
        strings = root.findall(".//a:String", A)
        assert len(strings) == len(page_words)
        assert [(s.get("CONTENT"), float(s.get("WC")), int(s.get("HPOS")), int(s.get("VPOS")),
                 int(s.get("WIDTH")), int(s.get("HEIGHT"))) for s in strings] == \
            [(text, round(conf / 100, 2), *box) for text, conf, *box in page_words]
        ((width, height, index, path),) = _q(
            corpus, "SELECT p.width, p.height, p.page_index, s.path FROM pages p JOIN sources s "
                    f"USING (source_id) WHERE page_id = '{page_id}'")
        page = root.find("a:Layout/a:Page", A)
        assert (int(page.get("WIDTH")), int(page.get("HEIGHT")),
                int(page.get("PHYSICAL_IMG_NR"))) == (width, height, index + 1)
        assert root.findtext(".//a:fileName", namespaces=A) == path


@pytest.mark.integration
def test_hocr_pages_have_a_box_and_confidence_per_word(corpus: Path, exported):
    _, out = exported
    for page_id, page_words in _ocr_words(corpus).items():
        root = ET.parse(out / "hocr" / f"{page_id}.html").getroot()
        spans = root.findall(".//h:span[@class='ocrx_word']", H)
        assert [s.text for s in spans] == [w[0] for w in page_words]
        for span, (_, conf, left, top, width, height) in zip(spans, page_words):
            assert BBOX.match(span.get("title")).groups() == tuple(
                map(str, (left, top, left + width, top + height, round(conf))))


@pytest.mark.integration
def test_documents_as_jsonl_and_text(corpus: Path, exported):
    _, out = exported
    documents = dict(_q(corpus, "SELECT document_id, text FROM documents"))
    records = [json.loads(line) for line in
               (out / "documents.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(records) == len(documents) >= 1
    assert {r["document_id"]: r["text"] for r in records} == documents
    for record in records:
        doc_id = record["document_id"]
        assert (out / "text" / f"{doc_id}.txt").read_text(encoding="utf-8") == \
            documents[doc_id] + "\n"
        pages = {r[0] for r in _q(corpus, "SELECT page_id FROM pages WHERE document_id = "
                                          f"'{doc_id}'")}
        assert set(record["page_ids"]) == pages
        segments = _q(corpus, "SELECT kind, text, page_id FROM segments WHERE document_id = "
                              f"'{doc_id}' ORDER BY seq")
        assert [(s["kind"], s["text"], s["page_id"]) for s in record["segments"]] == segments
        assert len(record["entities"]) == _q(corpus, "SELECT count(*) FROM entities WHERE "
                                                     f"document_id = '{doc_id}'")[0][0]
    letter = next(r for r in records if r["doc_date"] == "1941-12-23")
    assert letter["classification"] == "SECRET" and letter["page_count"] == 4
    assert any(s["box"] and s["box"]["width"] > 0 for s in letter["segments"])


@pytest.mark.integration
def test_every_base_table_has_a_parquet_copy_with_its_rows(corpus: Path, exported):
    _, out = exported
    tables = [r[0] for r in _q(corpus, "SELECT table_name FROM duckdb_tables() "
                                       "WHERE NOT temporary")]
    assert {"words", "pages", "documents", "variants"} <= set(tables)
    assert sorted(p.stem for p in (out / "parquet").iterdir()) == sorted(tables)
    con = duckdb.connect()
    try:
        for table in tables:
            stored = _q(corpus, f'SELECT count(*) FROM "{table}"')[0][0]
            copied = con.execute("SELECT count(*) FROM read_parquet(?)",
                                 [str(out / "parquet" / f"{table}.parquet")]).fetchone()[0]
            assert copied == stored, table
    finally:
        con.close()
    views = {r[0] for r in _q(corpus, "SELECT view_name FROM duckdb_views() WHERE NOT internal")}
    assert views and not views & {p.stem for p in (out / "parquet").iterdir()}
