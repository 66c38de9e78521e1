"""The analytics views and `archivist query`, on a corpus made by the real pipeline.

Every ```sql block of docs/analytics.md is run here, so the documented examples cannot rot.
"""

from __future__ import annotations

import datetime
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from archivist import analytics
from archivist.analytics import create_views, query
from archivist.errors import DatabaseBusy, UsageError
from archivist.search import build_index
from archivist.store import Store, insert_rows

DOC = Path(__file__).resolve().parents[1] / "docs" / "analytics.md"
SQL_BLOCK = re.compile(r"^```sql\n(.*?)^```", re.MULTILINE | re.DOTALL)


def doc_queries() -> list[str]:
    return [block.strip() for block in SQL_BLOCK.findall(DOC.read_text(encoding="utf-8"))]


@pytest.fixture(scope="module")
def corpus(sample_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample (seed transcription, ribbon scans, carbon of page 4) through the real flow,
    then the views and search index stored as the pipeline's writer does."""
    from flows.process_collection import run_collection

    db = tmp_path_factory.mktemp("analytics") / "archive.duckdb"
    run_collection(str(sample_dir), str(db), workers=2)
    con = duckdb.connect(str(db))
    try:
        create_views(con)
        build_index(con)
    finally:
        con.close()
    return db


@pytest.fixture
def tiny_db(tmp_path: Path) -> Path:
    """A schema-only database with one hand-made document and page: no stored views."""
    db = tmp_path / "tiny.duckdb"
    with Store(db) as store:
        insert_rows(store.con, "sources", [{"source_id": "s1", "path": "box/a.tif",
                                            "kind": "image", "sha256": "x", "status": "done"}])
        insert_rows(store.con, "pages", [{"page_id": "s1-p0000", "source_id": "s1",
                                          "page_index": 0, "mean_conf": 42.5,
                                          "document_id": "d1"}])
        insert_rows(store.con, "documents", [{"document_id": "d1", "doc_type": "letter",
                                              "doc_date": datetime.date(1940, 5, 10),
                                              "sender": "Eden", "text": "A short note."}])
    return db


# -- every documented query ------------------------------------------------------------------

def test_the_doc_has_at_least_ten_queries():
    assert len(doc_queries()) >= 10


@pytest.mark.integration
@pytest.mark.parametrize("sql", doc_queries(), ids=lambda s: s.splitlines()[0][:50])
def test_documented_query_runs(corpus: Path, sql: str):
    columns, rows = query(corpus, sql)
    assert columns
    # the same query in a plain DuckDB client, on the views stored in the file
    con = duckdb.connect(str(corpus), read_only=True)
    try:
        assert sorted(map(repr, con.execute(sql).fetchall())) == sorted(map(repr, rows))
    finally:
        con.close()


# -- the views' content ----------------------------------------------------------------------

def _dicts(db: Path, sql: str) -> list[dict]:
    columns, rows = query(db, sql)
    return [dict(zip(columns, row)) for row in rows]


@pytest.mark.integration
def test_document_summary_has_the_halifax_letter(corpus: Path):
    (letter,) = _dicts(corpus, "SELECT * FROM document_summary "
                               "WHERE doc_date = DATE '1941-12-23'")
    assert letter["sender"] == "Halifax"
    assert "Welles" in letter["recipient"]
    assert letter["doc_type"] == "letter"
    assert letter["pages"] == 4  # the carbon of page 4 is counted once
    assert 50 < letter["mean_conf"] <= 100 and letter["min_conf"] <= letter["mean_conf"]
    variants = query(corpus, "SELECT count(*) FROM variants "
                             f"WHERE document_id = '{letter['document_id']}'")[1][0][0]
    assert letter["variants"] == variants > 0


@pytest.mark.integration
def test_people_index_lists_stalin_and_eden(corpus: Path):
    people = {p["surname"]: p for p in _dicts(corpus, "SELECT * FROM people")}
    stalin = people["Stalin"]
    assert "Stalin" in stalin["person"]
    assert stalin["documents"] == 1 and stalin["mentions"] > 5
    assert stalin["first_date"] == stalin["last_date"] == datetime.date(1941, 12, 23)
    assert "Eden" in people
    assert list(people) == sorted(people, key=str.lower)


@pytest.mark.integration
def test_documents_per_month(corpus: Path):
    assert ("1941-12", 1) in query(corpus, "SELECT month, documents FROM documents_per_month")[1]


@pytest.mark.integration
def test_variants_to_review_are_readable_and_smallest_margin_first(corpus: Path):
    rows = _dicts(corpus, "SELECT * FROM variants_to_review")
    assert rows
    margins = [r["margin"] for r in rows]
    assert margins == sorted(margins)
    for r in rows:
        assert r["readings"].count('" (') >= 2  # at least two alternatives, each labelled
    # the transcription is named among the witnesses of some reading
    assert any("halifax_to_welles_1941-12-23.txt" in r["readings"] for r in rows)
    assert any(r["context"] for r in rows if r["page_id"])


@pytest.mark.integration
def test_low_confidence_pages_follow_the_threshold(corpus: Path):
    low = query(corpus, "SELECT page_id FROM low_confidence_pages")[1]
    expected = query(corpus, "SELECT page_id FROM pages WHERE mean_conf IS NULL OR mean_conf < "
                             f"{analytics.LOW_CONF_THRESHOLD}")[1]
    assert sorted(low) == sorted(expected)


def test_low_confidence_pages_on_a_hand_made_page(tiny_db: Path):
    rows = _dicts(tiny_db, "SELECT * FROM low_confidence_pages")
    assert rows == [{"page_id": "s1-p0000", "path": "box/a.tif", "page_index": 0,
                     "mean_conf": 42.5, "words": 0, "document_id": "d1", "page_number": None,
                     "is_canonical": True}]


def test_query_offers_the_views_on_a_file_without_them(tiny_db: Path):
    """A database written before the views existed (or before the pipeline stored them)."""
    columns, rows = query(tiny_db, "SELECT document_id, sender, pages, mean_conf, variants "
                                   "FROM document_summary")
    assert rows == [("d1", "Eden", 1, 42.5, 0)]
    con = duckdb.connect(str(tiny_db), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM duckdb_views() WHERE NOT internal "
                           "AND NOT temporary").fetchone() == (0,)  # nothing was written
    finally:
        con.close()


def test_create_views_is_idempotent_and_comments_them(tiny_db: Path):
    con = duckdb.connect(str(tiny_db))
    try:
        create_views(con)
        create_views(con)
        stored = dict(con.execute("SELECT view_name, comment FROM duckdb_views() "
                                  "WHERE NOT internal").fetchall())
    finally:
        con.close()
    assert set(stored) == set(analytics.VIEWS)
    assert all(stored.values())


# -- read-only ---------------------------------------------------------------------------------

@pytest.mark.parametrize("sql", [
    "DROP TABLE pages",
    "drop table pages;",
    "DELETE FROM pages",
    "UPDATE pages SET mean_conf = 0",
    "INSERT INTO pages (page_id, source_id, page_index) VALUES ('x', 'y', 0)",
    "CREATE TABLE t AS SELECT 1",
    "CREATE TEMP TABLE t AS SELECT 1",
    "ALTER TABLE pages ADD COLUMN x INTEGER",
    "COPY pages TO 'pages.csv'",
    "ATTACH 'other.duckdb'",
    "SET threads = 1",
])
def test_query_refuses_writes_and_leaves_the_table(tiny_db: Path, sql: str):
    with pytest.raises(UsageError, match=r"^archivist query is read-only: \w+ statements are "
                                         r"refused"):
        query(tiny_db, sql)
    assert query(tiny_db, "SELECT page_id, mean_conf FROM pages")[1] == [("s1-p0000", 42.5)]


def test_the_connection_itself_is_read_only(tiny_db: Path, monkeypatch: pytest.MonkeyPatch):
    """Second line of defence: were a writing statement let through, DuckDB refuses it."""
    monkeypatch.setattr(analytics, "READING_STATEMENTS", analytics.READING_STATEMENTS | {"DROP"})
    with pytest.raises(UsageError, match="read-only"):
        query(tiny_db, "DROP TABLE pages")
    assert query(tiny_db, "SELECT count(*) FROM pages")[1] == [(1,)]


@pytest.mark.parametrize("sql, problem", [
    ("SELEC 1", "syntax error"),
    ("SELECT nocol FROM pages", "nocol"),
    ("SELECT * FROM nosuch", "nosuch"),
    ("SELECT 1; SELECT 2", "one statement at a time"),
    ("  ", "no SQL statement"),
])
def test_sql_errors_name_the_problem(tiny_db: Path, sql: str, problem: str):
    with pytest.raises(UsageError, match=re.escape(problem)) as info:
        query(tiny_db, sql)
    assert "\n" not in str(info.value)


def test_reading_statements_other_than_select(tiny_db: Path):
    assert ("documents",) in query(tiny_db, "SHOW TABLES")[1]
    assert query(tiny_db, "DESCRIBE pages")[0][0] == "column_name"
    assert query(tiny_db, "EXPLAIN SELECT * FROM pages")[1]
    assert query(tiny_db, "FROM documents SELECT sender")[1] == [("Eden",)]


def test_missing_database_is_a_usage_error(tmp_path: Path):
    with pytest.raises(UsageError, match="no such database"):
        query(tmp_path / "none.duckdb", "SELECT 1")
    assert not (tmp_path / "none.duckdb").exists()


def test_a_database_being_written_is_reported_busy(tiny_db: Path):
    """Another process holding the write lock, as a running `archivist run` does."""
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import duckdb, sys, time
            con = duckdb.connect({str(tiny_db)!r})
            print("locked", flush=True)
            sys.stdin.read()
        """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(DatabaseBusy, match="archivist run"):
            query(tiny_db, "SELECT 1")
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)


def test_documents_per_month_shows_empty_months_and_undated(tiny_db: Path):
    con = duckdb.connect(str(tiny_db))
    try:
        insert_rows(con, "documents", [
            {"document_id": "d2", "doc_date": datetime.date(1940, 8, 31), "page_count": 2},
            {"document_id": "d3", "doc_date": datetime.date(1940, 8, 1), "page_count": 1},
            {"document_id": "d4", "doc_date": None, "page_count": 3}])
    finally:
        con.close()
    assert query(tiny_db, "SELECT month, documents, pages FROM documents_per_month")[1] == [
        ("1940-05", 1, 0), ("1940-06", 0, 0), ("1940-07", 0, 0), ("1940-08", 2, 3),
        (None, 1, 3)]
