"""Ready-made views for the questions historians ask first, and a read-only SQL entry point.

The tables (docs/schema.md) are normalised for the pipeline; the views below answer the common
questions in one `SELECT * FROM view`, so nobody has to rediscover the joins (canonical pages,
variants per document, month gaps). They are plain SQL views: `create_views` stores them in the
database file, where any DuckDB client sees them; `query` defines the ones a file lacks as
temporary views, so `archivist query` offers them even on a file written before they existed.
docs/analytics.md has worked examples.

`query` is what `archivist query "SQL"` runs. It opens the file read-only (DuckDB itself then
refuses every change to it) and accepts only reading statements, so that a typo'd or pasted
`DROP`/`UPDATE` never touches the corpus and the user gets one clear sentence instead of a
traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from archivist.errors import DatabaseBusy, UsageError, first_line

# Pages whose mean word confidence is below this are listed by `low_confidence_pages`. On the
# project's generated scans clean pages read at 93-96 and worn ones in the high 80s; below 80,
# Tesseract's own confidence says a good share of the words are doubtful.
LOW_CONF_THRESHOLD = 80

# Words of fused page text shown on each side of a variant in `variants_to_review`.
CONTEXT_WORDS = 5

VIEWS: dict[str, str] = {
    # One row per document. Pages are the canonical ones (a carbon or rescan is counted once,
    # like documents.page_count); confidences are of those pages, the ones actually read.
    "document_summary": """
        WITH page_stats AS (
            SELECT p.document_id, count(*) AS pages,
                   round(avg(p.mean_conf), 2) AS mean_conf, min(p.mean_conf) AS min_conf
            FROM pages p LEFT JOIN page_groups g USING (page_id)
            WHERE p.document_id IS NOT NULL AND coalesce(g.is_canonical, true)
            GROUP BY p.document_id),
        variant_stats AS (
            SELECT document_id, count(*) AS variants FROM variants GROUP BY document_id)
        SELECT d.document_id, d.doc_date, d.doc_type, d.sender, d.recipient, d.subject,
               d.classification, coalesce(ps.pages, 0) AS pages, ps.mean_conf, ps.min_conf,
               coalesce(vs.variants, 0) AS variants
        FROM documents d
        LEFT JOIN page_stats ps USING (document_id)
        LEFT JOIN variant_stats vs USING (document_id)
        ORDER BY d.doc_date NULLS LAST, d.document_id""",
    # Pages to check or rescan: mean_conf below the threshold, or no words at all (NULL).
    "low_confidence_pages": f"""
        WITH ocr_words AS (
            SELECT w.page_id, count(wd.witness_id) AS words
            FROM witnesses w LEFT JOIN words wd USING (witness_id)
            WHERE w.kind = 'ocr' GROUP BY w.page_id)
        SELECT p.page_id, s.path, p.page_index, p.mean_conf, coalesce(ow.words, 0) AS words,
               p.document_id, p.page_number, coalesce(g.is_canonical, true) AS is_canonical
        FROM pages p
        JOIN sources s USING (source_id)
        LEFT JOIN page_groups g USING (page_id)
        LEFT JOIN ocr_words ow USING (page_id)
        WHERE p.mean_conf IS NULL OR p.mean_conf < {LOW_CONF_THRESHOLD}
        ORDER BY p.mean_conf NULLS FIRST, s.path, p.page_index""",
    # A back-of-the-book index: one row per normalised person, sorted by surname.
    "people": """
        SELECT regexp_replace(trim(e.normalized), '\\s+', ' ', 'g') AS person,
               regexp_extract(trim(e.normalized), '(\\S+)$', 1) AS surname,
               count(DISTINCT e.document_id) AS documents, count(*) AS mentions,
               min(d.doc_date) AS first_date, max(d.doc_date) AS last_date,
               list_sort(list(DISTINCT regexp_replace(e.text, '\\s+', ' ', 'g'))) AS written_as
        FROM entities e JOIN documents d USING (document_id)
        WHERE e.kind = 'person' AND nullif(trim(e.normalized), '') IS NOT NULL
        GROUP BY 1, 2
        ORDER BY lower(surname), person""",
    # Every month from the first dated document to the last, empty months included (so a
    # chart shows the gaps), then one row with month NULL for the undated documents.
    "documents_per_month": """
        WITH dated AS (
            SELECT date_trunc('month', doc_date)::DATE AS month_start, doc_type, page_count,
                   sender
            FROM documents),
        span AS (
            SELECT unnest(generate_series(min(month_start), max(month_start),
                                          INTERVAL 1 MONTH))::DATE AS month_start
            FROM dated WHERE month_start IS NOT NULL),
        counts AS (
            SELECT month_start, count(*) AS documents,
                   coalesce(sum(page_count), 0)::BIGINT AS pages,
                   count(DISTINCT sender) AS senders,
                   list_sort(list(DISTINCT doc_type)) AS doc_types
            FROM dated GROUP BY month_start)
        SELECT strftime(month_start, '%Y-%m') AS month, coalesce(c.documents, 0) AS documents,
               coalesce(c.pages, 0) AS pages, coalesce(c.senders, 0) AS senders, c.doc_types
        FROM span LEFT JOIN counts c USING (month_start)
        UNION ALL
        SELECT NULL, documents, pages, senders, doc_types FROM counts WHERE month_start IS NULL
        ORDER BY month NULLS LAST""",
    # The fusion's closest calls first. `readings` spells out every alternative with where it
    # comes from; `context` is the fused page around the place (NULL for a passage repeated
    # inside a transcription, which has no page).
    "variants_to_review": f"""
        WITH alts AS (
            SELECT variant_id, generate_subscripts(alternatives, 1) AS i,
                   unnest(alternatives) AS alt
            FROM variants),
        labelled AS (
            SELECT alts.variant_id, alts.i,
                   '"' || coalesce(alts.alt.text, '') || '" (' || coalesce(w.kind, '?') || ' '
                   || coalesce(regexp_extract(s.path, '([^/\\\\]+)$', 1), alts.alt.witness_id)
                   || coalesce(' p' || (p.page_index + 1), '')
                   || coalesce(', conf ' || round(alts.alt.conf, 1), '') || ')' AS label
            FROM alts
            LEFT JOIN witnesses w ON w.witness_id = alts.alt.witness_id
            LEFT JOIN sources s ON s.source_id = w.source_id
            LEFT JOIN pages p ON p.page_id = w.page_id),
        readable AS (
            SELECT variant_id, string_agg(label, ' | ' ORDER BY i) AS readings
            FROM labelled GROUP BY variant_id)
        SELECT v.variant_id, v.margin, v.chosen, r.readings,
               array_to_string(string_split_regex(trim(p.text), '\\s+')[
                   greatest(v.position + 1 - {CONTEXT_WORDS}, 1) :
                   v.position + {CONTEXT_WORDS}
                   + coalesce(len(string_split_regex(nullif(trim(v.chosen), ''), '\\s+')), 0)
                   ], ' ') AS context,
               v.document_id, v.page_id, s.path, p.page_index, v.position
        FROM variants v
        LEFT JOIN readable r USING (variant_id)
        LEFT JOIN pages p USING (page_id)
        LEFT JOIN sources s ON s.source_id = p.source_id
        ORDER BY v.margin NULLS FIRST, v.document_id, v.page_id, v.position, v.variant_id""",
}

# Shown by `SELECT view_name, comment FROM duckdb_views()` and in DuckDB's UI.
DESCRIPTIONS: dict[str, str] = {
    "document_summary": "One row per document: date, type, sender, recipient, subject, "
                        "canonical pages, their mean and lowest OCR confidence, variants.",
    "low_confidence_pages": f"Pages whose mean OCR confidence is below {LOW_CONF_THRESHOLD} "
                            "or that have no words, worst first.",
    "people": "Index of persons: normalised name, documents, mentions, first and last date.",
    "documents_per_month": "Documents and pages per month, empty months included; undated "
                           "documents in the row with month NULL.",
    "variants_to_review": "Places where the copies disagree, smallest margin first, with "
                          "every reading, its witness and the fused context.",
}

# Statements `query` runs. Everything else (DDL, DML, COPY, ATTACH, SET, LOAD...) is refused
# before it reaches DuckDB; the read-only connection is the second line of defence.
READING_STATEMENTS = frozenset({"SELECT", "EXPLAIN", "PRAGMA", "CALL", "MULTI"})


def create_views(con: duckdb.DuckDBPyConnection, temporary: bool = False) -> None:
    """Define (or redefine) every view in VIEWS; safe to run on every pipeline run.

    With a write connection the views are stored in the file, so any DuckDB client sees them.
    `temporary=True` defines them for this connection only, which works on a read-only one.
    """
    for name in VIEWS:
        _create_view(con, name, temporary)


def _create_view(con: duckdb.DuckDBPyConnection, name: str, temporary: bool) -> None:
    kind = "TEMP VIEW" if temporary else "VIEW"
    con.execute(f"CREATE OR REPLACE {kind} {name} AS {VIEWS[name]}")
    comment = DESCRIPTIONS[name].replace("'", "''")
    con.execute(f"COMMENT ON VIEW {name} IS '{comment}'")


def query(db_path: Path | str, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run one reading statement on the corpus and return (column names, rows).

    Raises UsageError for anything that would change the database and for SQL errors, with
    DuckDB's explanation of the problem; DatabaseBusy when a run holds the file.
    """
    statement = _single_reading_statement(sql)
    with open_read_only(db_path) as con:
        _define_missing_views(con)
        try:
            cursor = con.execute(statement)
            columns = [d[0] for d in cursor.description or []]
            rows = cursor.fetchall() if cursor.description else []
        except duckdb.Error as exc:
            raise _as_usage_error(exc) from exc
    return columns, rows


def dict_rows(cursor: duckdb.DuckDBPyConnection) -> list[dict]:
    """The rows of an executed query as dicts keyed by column name."""
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def open_read_only(db_path: Path | str) -> duckdb.DuckDBPyConnection:
    """A read-only connection to an existing corpus, with the CLI's errors for the usual
    reasons it cannot be opened (no such file, a run writing to it)."""
    path = Path(db_path)
    if not path.is_file():
        raise UsageError(f"{path}: no such database (make one with `archivist run`)")
    try:
        return duckdb.connect(str(path), read_only=True)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise DatabaseBusy(f"{path}: the database is being written (is `archivist run` "
                               "still running?); query it when the run has finished") from exc
        raise UsageError(f"{path}: cannot open the database: {first_line(exc)}") from exc
    except duckdb.Error as exc:
        raise UsageError(f"{path}: cannot open the database: {first_line(exc)}") from exc


def _single_reading_statement(sql: str) -> str:
    """The one statement in `sql`, refused unless it only reads. Checked before the database
    is opened, so a refused statement cannot have any effect."""
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise UsageError(f"archivist query: SQL error: {first_line(exc)}") from exc
    if not statements:
        raise UsageError("archivist query: no SQL statement given")
    if len(statements) > 1:
        raise UsageError(f"archivist query runs one statement at a time; got {len(statements)}")
    kind = statements[0].type.name
    if kind not in READING_STATEMENTS:
        raise UsageError(f"archivist query is read-only: {kind} statements are refused (only "
                         "SELECT-like queries run); the database was not changed")
    return sql


def _define_missing_views(con: duckdb.DuckDBPyConnection) -> None:
    """Temporary copies of the VIEWS this file lacks (written before they existed, or by a
    pipeline that does not store them). Views stored in the file are left to answer, so that
    `archivist query` and any other DuckDB client agree. A view whose tables the file lacks (an
    old schema) is left out rather than failing the query."""
    stored = {r[0] for r in con.execute(
        "SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
    for name in VIEWS:
        if name in stored:
            continue
        try:
            _create_view(con, name, temporary=True)
        except duckdb.Error:
            continue


def _as_usage_error(exc: duckdb.Error) -> UsageError:
    text = first_line(exc)
    if "read-only" in text:
        return UsageError(f"archivist query is read-only: {text}")
    return UsageError(f"archivist query: SQL error: {_describe(exc)}")


def _describe(exc: duckdb.Error) -> str:
    """DuckDB's message without its trailing blank lines, candidate lists kept (they name the
    columns the user probably meant)."""
    lines = [line.rstrip() for line in str(exc).strip().splitlines() if line.strip()]
    return " ".join(line for line in lines if not line.startswith(("LINE ", " ")) and
                    set(line.strip()) != {"^"})
