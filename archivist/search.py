"""Ranked full-text search over documents.text (Okapi BM25), in plain SQL, offline.

Why not DuckDB's `fts` extension: it is not bundled in the duckdb wheel and is downloaded at
run time, which fails on the offline machines archives use, and the PyPI package that ships it
is pinned to one DuckDB release. BM25 is a dozen lines of SQL over a term table, so we own it.

The index is two tables, rebuilt whole from `documents` by `build_index` (the pipeline calls it
after it recomputes the derived tables; documents are few and short, see docs/analytics.md for
timings):

- `search_terms(document_id, term, tf)`: how often each term occurs in each document, stored
  sorted by term so that DuckDB's min/max zone maps skip everything but the query's terms;
- `search_docs(document_id, length, text_hash)`: document length in terms, and DuckDB's hash()
  of the text the row was built from, so a search can tell that the index is out of date (md5
  would survive DuckDB upgrades but made the check 3x slower: ~100 ms on 20,000 documents).

Tokens: the text is lower-cased, accents are stripped (`strip_accents`: "Molotov" finds
"Mólotov"), and every maximal run of Unicode letters and digits is a term ("6253/14/41" gives
"6253", "14", "41"; "Eden's" gives "eden", "s"). There is no stemming: the queries are mostly
names, places and dates, which a stemmer mangles ("Welles" -> "welle", "Paris" -> "pari") for
the small gain of matching plurals; search "aim aims" to get both. No stop words either: BM25's
idf already gives "the" almost no weight.

`search` opens the database read-only. If the stored index is missing or stale (a database
from before search existed, or documents rewritten since), it builds the same index in
temporary tables for that one search: slower, never wrong.
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, NamedTuple

import duckdb

from archivist.analytics import create_views, open_read_only
from archivist.errors import UsageError

K1 = 1.2  # term-frequency saturation
B = 0.75  # document-length normalisation
SNIPPET_BEFORE = 60  # characters of context shown before the first matching term
SNIPPET_LENGTH = 200

# Lower-case, accents stripped, maximal runs of letters and digits. The one tokenizer for both
# the index and the query, so they cannot disagree.
TERM_PATTERN = r"[\p{L}\p{N}]+"


def tokens_sql(expr: str) -> str:
    """SQL for the list of terms of the VARCHAR expression `expr`."""
    return f"regexp_extract_all(strip_accents(lower(coalesce({expr}, ''))), '{TERM_PATTERN}')"


class Hit(NamedTuple):
    document_id: str
    score: float
    doc_date: dt.date | None
    sender: str | None
    recipient: str | None
    subject: str | None
    snippet: str


def rebuild_views_and_index(con: duckdb.DuckDBPyConnection) -> None:
    """The analytics views and the full-text index follow the tables they read: both flows
    pass this to Store.replace_derived, inside the transaction that rewrites those tables."""
    create_views(con)
    build_index(con)


def build_index(con: duckdb.DuckDBPyConnection, temporary: bool = False) -> None:
    """(Re)build search_terms and search_docs from documents.text.

    It does not begin or commit a transaction, so the writer can include it in its own. The
    terms are written before the fingerprints, so an interruption between the two leaves
    fingerprints that no longer match and the next search notices. `temporary=True` builds
    the index for this connection only (works on a read-only connection).
    """
    kind = "TEMP TABLE" if temporary else "TABLE"
    with _quiet(con):
        _create_index_tables(con, kind)


def _create_index_tables(con: duckdb.DuckDBPyConnection, kind: str) -> None:
    con.execute(f"""
        CREATE OR REPLACE {kind} search_terms AS
        SELECT document_id, term, count(*)::INTEGER AS tf
        FROM (SELECT document_id, unnest({tokens_sql('text')}) AS term FROM documents)
        GROUP BY document_id, term
        ORDER BY term, document_id""")
    con.execute(f"""
        CREATE OR REPLACE {kind} search_docs AS
        SELECT document_id, len({tokens_sql('text')})::INTEGER AS length,
               hash(coalesce(text, '')) AS text_hash
        FROM documents ORDER BY document_id""")


@contextmanager
def _quiet(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """No DuckDB progress bar on the caller's terminal (the pipeline prints its own summary);
    the connection's setting is restored afterwards."""
    before = con.execute("SELECT current_setting('enable_progress_bar')").fetchone()[0]
    con.execute("SET enable_progress_bar = false")
    try:
        yield
    finally:
        con.execute(f"SET enable_progress_bar = {'true' if before else 'false'}")


def index_is_current(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether search_docs exists and describes exactly the documents as they are now."""
    tables = {r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE table_name IN "
        "('search_terms', 'search_docs')").fetchall()}
    if tables != {"search_terms", "search_docs"}:
        return False
    stale = con.execute("""
        SELECT count(*) FROM documents d FULL JOIN search_docs s USING (document_id)
        WHERE d.document_id IS NULL OR s.document_id IS NULL
           OR s.text_hash IS DISTINCT FROM hash(coalesce(d.text, ''))""").fetchone()[0]
    return stale == 0


SEARCH_SQL = f"""
WITH q AS (SELECT DISTINCT unnest({tokens_sql('$text')}) AS term),
corpus AS (SELECT count(*) AS n, avg(length) AS avgdl FROM search_docs),
df AS (
    SELECT t.term, count(*) AS df FROM search_terms t JOIN q USING (term) GROUP BY t.term),
scored AS (
    SELECT t.document_id,
           sum(ln(1 + (c.n - df.df + 0.5) / (df.df + 0.5))
               * t.tf * ({K1} + 1)
               / (t.tf + {K1} * (1 - {B} + {B} * d.length / c.avgdl))) AS score
    FROM search_terms t JOIN df USING (term) JOIN search_docs d USING (document_id)
    CROSS JOIN corpus c
    GROUP BY t.document_id
    ORDER BY score DESC, t.document_id
    LIMIT $limit),
hits AS (
    SELECT s.document_id, s.score, doc.doc_date, doc.sender, doc.recipient, doc.subject,
           regexp_replace(coalesce(doc.text, ''), '\\s+', ' ', 'g') AS flat
    FROM scored s JOIN documents doc USING (document_id)),
located AS (
    SELECT *, length(regexp_extract(strip_accents(lower(flat)),
               '(?s)^(.*?(?:^|[^\\p{{L}}\\p{{N}}]))(?:' || (SELECT string_agg(term, '|') FROM q)
               || ')(?:[^\\p{{L}}\\p{{N}}]|$)', 1)) AS hit_at
    FROM hits),
windowed AS (
    SELECT *, greatest(hit_at - {SNIPPET_BEFORE}, 0) AS cut_start,
           greatest(hit_at - {SNIPPET_BEFORE}, 0) + {SNIPPET_LENGTH} < length(flat) AS cut_end
    FROM located)
SELECT document_id, score, doc_date, sender, recipient, subject,
       -- cut at word boundaries: drop the partial first and last words of the window
       CASE WHEN cut_start > 0 THEN '…' ELSE '' END
       || trim(regexp_replace(regexp_replace(
              substring(flat, cut_start + 1, {SNIPPET_LENGTH}),
              CASE WHEN cut_start > 0 THEN '^\\S*\\s' ELSE '^$' END, ''),
              CASE WHEN cut_end THEN '\\s\\S*$' ELSE '^$' END, ''))
       || CASE WHEN cut_end THEN '…' ELSE '' END AS snippet
FROM windowed
ORDER BY score DESC, document_id
"""


def search(db_path: Path | str, text: str, limit: int = 10) -> list[Hit]:
    """The `limit` documents that best match the words of `text`, best first (BM25, k1=1.2,
    b=0.75), each with a snippet around the first matching word. Read-only."""
    if limit < 1:
        raise UsageError(f"archivist search: limit must be at least 1, got {limit}")
    with open_read_only(db_path) as con:
        if not query_terms(con, text):
            raise UsageError("archivist search: give at least one word to search for "
                             "(letters or digits)")
        if not index_is_current(con):
            build_index(con, temporary=True)
        rows = con.execute(SEARCH_SQL, {"text": text, "limit": limit}).fetchall()
    return [Hit(*row) for row in rows]


def query_terms(con: duckdb.DuckDBPyConnection, text: str) -> list[str]:
    """The terms a search for `text` looks up, by the index's own tokenizer."""
    return con.execute(f"SELECT {tokens_sql('$text')}", {"text": text}).fetchone()[0]
