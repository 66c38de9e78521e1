"""Export the corpus as files other tools read: ALTO and hOCR per page, text and JSONL per
document, Parquet per table (issue #6).

* **ALTO 4 and hOCR** carry the OCR words of a page with their boxes and confidences, for
  viewers, IIIF/METS pipelines and OCR-D tools. A page's words are those of its newest OCR
  witness (by ``ocr_runs.finished_at``); transcriptions have no boxes, so a page is exported only
  when it has an OCR witness. Boxes are the stored ones: pixels of the scan as stored.
* **Text and JSONL** carry the documents as archivist reads them: the fused reading text, the
  metadata, the segments with their boxes and the entities.
* **Parquet** is a copy of every base table, for pandas, R or Spark users who do not want
  DuckDB; views are left out, as they are queries rather than data.

File names come from ids only, never from paths or text, and are reduced to
``[A-Za-z0-9._-]`` (:func:`safe_name`); every target is checked to resolve inside the output
folder before anything is written (issue #8). Every file is written to a temporary file in its
own folder and renamed into place, so an interrupted export leaves whole files only.
"""

from __future__ import annotations

import datetime
import itertools
import json
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator, Sequence, Set
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from archivist.analytics import dict_rows, open_read_only
from archivist.errors import UsageError, first_line
from archivist.store import RANKED_OCR_WITNESSES
from archivist.outfiles import (atomic_path, check_inside, output_path, prepare_folder,
                                 safe_name, write_bytes)

__all__ = ["ALL_FORMATS", "ALTO_NS", "XHTML_NS", "ExportCounts", "OcrWord", "PageInfo",
           "alto_xml", "export_corpus", "hocr_xhtml", "safe_name"]

ALL_FORMATS: frozenset[str] = frozenset({"alto", "hocr", "text", "jsonl", "parquet"})
ALTO_NS = "http://www.loc.gov/standards/alto/ns-v4#"
ALTO_SCHEMA = "http://www.loc.gov/standards/alto/v4/alto-4-2.xsd"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
XHTML_NS = "http://www.w3.org/1999/xhtml"
HOCR_DOCTYPE = ('<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
                '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">')
HOCR_CAPABILITIES = "ocr_page ocr_carea ocr_par ocr_line ocrx_word ocrp_wconf"

# Rows fetched at a time when streaming a corpus's words: bounded memory on large corpora.
FETCH_ROWS = 10_000
# Characters XML 1.0 cannot carry even escaped; OCR output and file names can contain them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True)
class ExportCounts:
    """What was written: pages (ALTO/hOCR), documents (text/JSONL), tables (Parquet)."""

    pages: int = 0
    documents: int = 0
    tables: int = 0


@dataclass(frozen=True)
class OcrWord:
    """One row of ``words``: Tesseract's layout numbers, the word, its confidence and box."""

    block: int
    par: int
    line: int
    word: int
    text: str
    conf: float | None
    left: int
    top: int
    width: int
    height: int


@dataclass(frozen=True)
class PageInfo:
    """What the page files say about a page besides its words: size, image, OCR engine."""

    page_id: str
    page_index: int
    width: int | None
    height: int | None
    image: str | None
    engine: str | None = None
    engine_version: str | None = None
    model: str | None = None
    processed_at: datetime.datetime | None = None


# -- entry point -------------------------------------------------------------------------------

def export_corpus(db: Path, out_dir: Path,
                  formats: Set[str] = ALL_FORMATS) -> ExportCounts:
    """Write the chosen ``formats`` of the corpus in ``db`` under ``out_dir`` and count them.

    Layout: ``alto/<page_id>.xml``, ``hocr/<page_id>.html``, ``text/<document_id>.txt``,
    ``documents.jsonl`` and ``parquet/<table>.parquet``. The database is opened read-only, so an
    export runs beside other readers (it fails with DatabaseBusy while a run writes). Raises
    UsageError for an unknown format, a missing database or one that is not archivist's.
    """
    db, out_dir = Path(db), Path(out_dir)
    wanted = _check_formats(formats)
    pages = documents = tables = 0
    with open_read_only(db) as con:  # before the output folder: a bad --db creates nothing
        prepare_folder(out_dir, "the export")
        try:
            if wanted & {"alto", "hocr"}:
                pages = _export_pages(con, out_dir, wanted)
            if wanted & {"text", "jsonl"}:
                documents = _export_documents(con, out_dir, wanted)
            if "parquet" in wanted:
                tables = _export_tables(con, out_dir)
        except duckdb.CatalogException as exc:
            raise UsageError(f"{db}: not an archivist database ({first_line(exc)})") from exc
    return ExportCounts(pages=pages, documents=documents, tables=tables)


def _check_formats(formats: Set[str]) -> frozenset[str]:
    """The formats asked for, refused before any work if one is unknown or none is given."""
    wanted = frozenset(formats)
    unknown = sorted(wanted - ALL_FORMATS)
    if unknown:
        raise UsageError(f"unknown export format(s): {', '.join(unknown)} "
                         f"(known: {', '.join(sorted(ALL_FORMATS))})")
    if not wanted:
        raise UsageError(f"no export format given (known: {', '.join(sorted(ALL_FORMATS))})")
    return wanted


def _ensure_folder(out_dir: Path, folder: str) -> None:
    check_inside(out_dir, out_dir / folder)
    (out_dir / folder).mkdir(exist_ok=True)


# -- pages: ALTO and hOCR ----------------------------------------------------------------------

# Each page with an OCR witness, with the words of its newest one (the one assembly reads); a
# page without words gets one row of NULLs.
_PAGE_WORDS_SQL = f"""
WITH newest AS ({RANKED_OCR_WITNESSES})
SELECT p.page_id, p.page_index, p.width, p.height, s.path,
       n.engine, n.engine_version, n.model, n.started_at,
       wd.block, wd.par, wd.line, wd.word, wd.text, wd.conf, wd."left", wd.top, wd.width,
       wd.height
FROM pages p
JOIN newest n ON n.page_id = p.page_id AND n.rank = 1
LEFT JOIN sources s ON s.source_id = p.source_id
LEFT JOIN words wd ON wd.witness_id = n.witness_id
ORDER BY p.page_id, wd.block, wd.par, wd.line, wd.word
"""


def _export_pages(con: duckdb.DuckDBPyConnection, out_dir: Path, wanted: frozenset[str]) -> int:
    """One ALTO and/or hOCR file per page with an OCR witness; returns the number of pages."""
    for folder in wanted & {"alto", "hocr"}:
        _ensure_folder(out_dir, folder)
    count = 0
    for page, words in _pages_with_words(con):
        if "alto" in wanted:
            write_bytes(output_path(out_dir, "alto", page.page_id, ".xml"),
                        alto_xml(page, words))
        if "hocr" in wanted:
            write_bytes(output_path(out_dir, "hocr", page.page_id, ".html"),
                        hocr_xhtml(page, words))
        count += 1
    return count


def _pages_with_words(con: duckdb.DuckDBPyConnection
                      ) -> Iterator[tuple[PageInfo, list[OcrWord]]]:
    """Each page and its words in reading order, streamed so a large corpus is never held
    in memory at once."""
    rows = _stream(con.execute(_PAGE_WORDS_SQL))
    for _, page_rows in itertools.groupby(rows, key=lambda r: r[0]):
        first, *rest = page_rows
        page = PageInfo(*first[:9])
        words = [OcrWord(*row[9:]) for row in (first, *rest) if row[9] is not None]
        yield page, words


def _stream(cursor: duckdb.DuckDBPyConnection) -> Iterator[tuple]:
    while batch := cursor.fetchmany(FETCH_ROWS):
        yield from batch


def _layout(words: Sequence[OcrWord], depth: int
            ) -> Iterator[tuple[tuple[int, ...], list[OcrWord]]]:
    """Consecutive words grouped by their first ``depth`` layout numbers (block, par, line)."""
    def key(word: OcrWord) -> tuple[int, ...]:
        return (word.block, word.par, word.line)[:depth]

    for group_key, members in itertools.groupby(words, key=key):
        yield group_key, list(members)


def _box(words: Sequence[OcrWord]) -> tuple[int, int, int, int]:
    """Union of the words' boxes as (left, top, right, bottom)."""
    return (min(w.left for w in words), min(w.top for w in words),
            max(w.left + w.width for w in words), max(w.top + w.height for w in words))


def _id(prefix: str, numbers: Sequence[int]) -> str:
    """An XML ID (an NCName, unique in the file) from layout numbers: ``line_1_2_3``."""
    return "_".join([prefix, *map(str, numbers)])


def _clean(value: Any) -> str:
    """Text XML can carry: the characters it forbids even escaped become spaces. Escaping
    of ``<`` and ``&`` is ElementTree's job."""
    return _NOT_XML.sub(" ", "" if value is None else str(value))


def _serialise(root: ET.Element, doctype: str | None = None) -> bytes:
    """UTF-8 bytes with an XML declaration (and doctype), indented for people to read."""
    ET.indent(root, space=" ")
    head = '<?xml version="1.0" encoding="UTF-8"?>\n' + (f"{doctype}\n" if doctype else "")
    return head.encode() + ET.tostring(root, encoding="utf-8", xml_declaration=False) + b"\n"


def alto_xml(page: PageInfo, words: Sequence[OcrWord]) -> bytes:
    """The ALTO 4 file of one page: TextBlock per Tesseract paragraph, TextLine per line,
    String per word (HPOS/VPOS/WIDTH/HEIGHT in pixels, WC the confidence over 100) with SP
    between words. ``words`` must be in reading order, as the words table sorts them.

    Elements are written unprefixed under one ``xmlns`` on the root, the way ALTO files
    usually look; parsed back they are in the ALTO 4 namespace.
    """
    root = ET.Element("alto", {"xmlns": ALTO_NS, "xmlns:xsi": XSI_NS,
                               "xsi:schemaLocation": f"{ALTO_NS} {ALTO_SCHEMA}"})
    _alto_description(ET.SubElement(root, "Description"), page)
    page_el = ET.SubElement(ET.SubElement(root, "Layout"), "Page", {
        "ID": f"page_{safe_name(page.page_id)}", "PHYSICAL_IMG_NR": str(page.page_index + 1),
        "WIDTH": str(page.width or 0), "HEIGHT": str(page.height or 0)})
    space = ET.SubElement(page_el, "PrintSpace", {"HPOS": "0", "VPOS": "0",
                                                  "WIDTH": str(page.width or 0),
                                                  "HEIGHT": str(page.height or 0)})
    for block_key, block_words in _layout(words, 2):
        block = ET.SubElement(space, "TextBlock", {"ID": _id("block", block_key),
                                                   **_alto_box(block_words)})
        for line_key, line_words in _layout(block_words, 3):
            line = ET.SubElement(block, "TextLine", {"ID": _id("line", line_key),
                                                     **_alto_box(line_words)})
            _alto_strings(line, line_words)
    return _serialise(root)


def _alto_description(description: ET.Element, page: PageInfo) -> None:
    """Unit, image file and the OCR engine that read the page (OCRProcessing, which ALTO 4
    still accepts and most ALTO readers look for)."""
    ET.SubElement(description, "MeasurementUnit").text = "pixel"
    source = ET.SubElement(description, "sourceImageInformation")
    ET.SubElement(source, "fileName").text = _clean(page.image)
    step = ET.SubElement(ET.SubElement(description, "OCRProcessing", {"ID": "ocr_0"}),
                         "ocrProcessingStep")
    if page.processed_at is not None:
        ET.SubElement(step, "processingDateTime").text = page.processed_at.isoformat()
    if page.model:
        ET.SubElement(step, "processingStepSettings").text = _clean(page.model)
    software = ET.SubElement(step, "processingSoftware")
    ET.SubElement(software, "softwareName").text = _clean(page.engine or "tesseract")
    if page.engine_version:
        ET.SubElement(software, "softwareVersion").text = _clean(page.engine_version)


def _alto_box(words: Sequence[OcrWord]) -> dict[str, str]:
    left, top, right, bottom = _box(words)
    return {"HPOS": str(left), "VPOS": str(top), "WIDTH": str(right - left),
            "HEIGHT": str(bottom - top)}


def _alto_strings(line: ET.Element, words: Sequence[OcrWord]) -> None:
    for i, word in enumerate(words):
        if i:
            ET.SubElement(line, "SP")
        attributes = {"ID": _id("string", (word.block, word.par, word.line, word.word)),
                      "HPOS": str(word.left), "VPOS": str(word.top),
                      "WIDTH": str(word.width), "HEIGHT": str(word.height)}
        if word.conf is not None:
            attributes["WC"] = f"{min(max(word.conf / 100, 0.0), 1.0):.2f}"
        attributes["CONTENT"] = _clean(word.text)
        ET.SubElement(line, "String", attributes)


def hocr_xhtml(page: PageInfo, words: Sequence[OcrWord]) -> bytes:
    """The hOCR file of one page, as XHTML: ocr_carea per Tesseract block, ocr_par per
    paragraph, ocr_line per line, ocrx_word per word with ``bbox`` (left top right bottom) and
    ``x_wconf`` (0-100). ``words`` must be in reading order."""
    html = ET.Element("html", {"xmlns": XHTML_NS, "xml:lang": "en", "lang": "en"})
    _hocr_head(ET.SubElement(html, "head"), page)
    body = ET.SubElement(html, "body")
    page_el = ET.SubElement(body, "div", {
        "class": "ocr_page", "id": f"page_{safe_name(page.page_id)}",
        "title": f"image {_hocr_quote(page.image)}; bbox 0 0 {page.width or 0} "
                 f"{page.height or 0}; ppageno {page.page_index}"})
    for block_key, block_words in _layout(words, 1):
        area = _hocr_element(page_el, "div", "ocr_carea", _id("block", block_key), block_words)
        for par_key, par_words in _layout(block_words, 2):
            par = _hocr_element(area, "p", "ocr_par", _id("par", par_key), par_words)
            for line_key, line_words in _layout(par_words, 3):
                line = _hocr_element(par, "span", "ocr_line", _id("line", line_key), line_words)
                for word in line_words:
                    _hocr_word(line, word)
    return _serialise(html, HOCR_DOCTYPE)


def _hocr_head(head: ET.Element, page: PageInfo) -> None:
    ET.SubElement(head, "title").text = _clean(page.page_id)
    ET.SubElement(head, "meta", {"http-equiv": "Content-Type",
                                 "content": "text/html;charset=utf-8"})
    system = " ".join(_clean(p) for p in (page.engine or "tesseract", page.engine_version) if p)
    ET.SubElement(head, "meta", {"name": "ocr-system", "content": system})
    ET.SubElement(head, "meta", {"name": "ocr-capabilities", "content": HOCR_CAPABILITIES})


def _hocr_quote(value: str | None) -> str:
    """A double-quoted hOCR property string (backslash escapes quote and backslash)."""
    text = _clean(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def _hocr_bbox(words: Sequence[OcrWord]) -> str:
    return "bbox {} {} {} {}".format(*_box(words))


def _hocr_element(parent: ET.Element, tag: str, css_class: str, element_id: str,
                  words: Sequence[OcrWord]) -> ET.Element:
    return ET.SubElement(parent, tag, {"class": css_class, "id": element_id,
                                       "title": _hocr_bbox(words)})


def _hocr_word(line: ET.Element, word: OcrWord) -> None:
    title = _hocr_bbox([word])
    if word.conf is not None:
        title += f"; x_wconf {round(min(max(word.conf, 0.0), 100.0))}"
    span = ET.SubElement(line, "span", {
        "class": "ocrx_word", "id": _id("word", (word.block, word.par, word.line, word.word)),
        "title": title})
    span.text = _clean(word.text)


# -- documents: text and JSONL -----------------------------------------------------------------

_DOCUMENTS_SQL = "SELECT * FROM documents ORDER BY doc_date NULLS LAST, document_id"

# Every page of a document in reading order: canonical pages by their first segment, each
# followed by its duplicates (rescans, carbons), which share the canonical page's document.
_DOCUMENT_PAGES_SQL = """
SELECT p.document_id, p.page_id
FROM pages p
LEFT JOIN page_groups g ON g.page_id = p.page_id
LEFT JOIN page_groups c ON c.group_id = g.group_id AND c.is_canonical
LEFT JOIN (SELECT page_id, min(seq) AS first_seq FROM segments GROUP BY page_id) s
       ON s.page_id = coalesce(c.page_id, p.page_id)
WHERE p.document_id IS NOT NULL
ORDER BY p.document_id, s.first_seq NULLS LAST, coalesce(c.page_id, p.page_id),
         NOT coalesce(g.is_canonical, true), p.page_id
"""

_SEGMENTS_SQL = """
SELECT document_id, segment_id, seq, kind, text, page_id, witness_id, "left", top, width, height
FROM segments ORDER BY document_id, seq, segment_id
"""

# entities has no key or order column; rowid is the order the pipeline wrote the mentions in.
_ENTITIES_SQL = """
SELECT document_id, kind, text, normalized, segment_id FROM entities ORDER BY document_id, rowid
"""


def _export_documents(con: duckdb.DuckDBPyConnection, out_dir: Path,
                      wanted: frozenset[str]) -> int:
    """``text/<document_id>.txt`` and/or ``documents.jsonl``; returns the number of documents."""
    documents = dict_rows(con.execute(_DOCUMENTS_SQL))
    if "text" in wanted:
        _ensure_folder(out_dir, "text")
        for doc in documents:
            target = output_path(out_dir, "text", doc["document_id"], ".txt")
            write_bytes(target, ((doc.get("text") or "") + "\n").encode("utf-8"))
    if "jsonl" in wanted:
        target = out_dir / "documents.jsonl"
        check_inside(out_dir, target)
        _write_jsonl(target, _document_records(con, documents))
    return len(documents)


def _document_records(con: duckdb.DuckDBPyConnection,
                      documents: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Each document row with its page ids, segments and entities attached."""
    pages = _grouped(con.execute(_DOCUMENT_PAGES_SQL).fetchall(), lambda r: r[1])
    segments = _grouped(con.execute(_SEGMENTS_SQL).fetchall(), _segment_record)
    entities = _grouped(con.execute(_ENTITIES_SQL).fetchall(), lambda r: {
        "kind": r[1], "text": r[2], "normalized": r[3], "segment_id": r[4]})
    for doc in documents:
        doc_id = doc["document_id"]
        yield {**doc, "page_ids": pages.get(doc_id, []), "segments": segments.get(doc_id, []),
               "entities": entities.get(doc_id, [])}


def _grouped(rows: list[tuple], record: Callable[[tuple], Any]) -> dict[str, list[Any]]:
    """Rows keyed by their first column (document_id), each turned into ``record(row)``."""
    out: dict[str, list[Any]] = {}
    for row in rows:
        out.setdefault(row[0], []).append(record(row))
    return out


def _segment_record(row: tuple) -> dict[str, Any]:
    _, segment_id, seq, kind, text, page_id, witness_id, left, top, width, height = row
    box = (None if None in (left, top, width, height)
           else {"left": left, "top": top, "width": width, "height": height})
    return {"segment_id": segment_id, "seq": seq, "kind": kind, "text": text,
            "page_id": page_id, "witness_id": witness_id, "box": box}


def _write_jsonl(target: Path, records: Iterator[dict[str, Any]]) -> None:
    """One JSON object a line, UTF-8 (not \\u-escaped), written atomically."""
    with atomic_path(target) as tmp, open(tmp, "w", encoding="utf-8", newline="\n") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False, default=_json_value) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def _json_value(value: Any) -> Any:
    """Dates as ISO strings; DuckDB's DECIMAL as a number."""
    if isinstance(value, (datetime.date, datetime.datetime, datetime.time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


# -- tables: Parquet ---------------------------------------------------------------------------

_TABLES_SQL = """
SELECT table_name FROM duckdb_tables()
WHERE database_name = current_database() AND schema_name = 'main' AND NOT temporary
ORDER BY table_name
"""


def _export_tables(con: duckdb.DuckDBPyConnection, out_dir: Path) -> int:
    """``parquet/<table>.parquet`` for every base table (views are queries, not data)."""
    _ensure_folder(out_dir, "parquet")
    tables = [row[0] for row in con.execute(_TABLES_SQL).fetchall()]
    for table in tables:
        target = output_path(out_dir, "parquet", table, ".parquet")
        with atomic_path(target) as tmp:
            con.execute(f"COPY {_quote_identifier(table)} TO {_quote_literal(str(tmp))} "
                        "(FORMAT parquet)")
    return len(tables)


def _quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
