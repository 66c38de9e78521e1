"""BM25 full-text search: ranking on a real pipeline corpus, the formula against a reference,
the tokenizer, and the fallback when the stored index is missing or stale."""

from __future__ import annotations

import datetime
import math
import re
import shutil
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from archivist import search as search_module
from archivist.errors import UsageError
from archivist.search import B, K1, build_index, index_is_current, query_terms, search
from archivist.store import Store, insert_rows

SEED = Path(__file__).resolve().parents[1] / "data" / "raw" / "halifax_to_welles_1941-12-23.txt"

OTHER_DOCUMENTS = [
    {"document_id": "dother0000000001", "doc_type": "despatch",
     "doc_date": datetime.date(1941, 11, 2), "sender": "Craigie", "recipient": "Eden",
     "subject": "Japanese trade",
     "text": "Japan is pressing for new trade terms. The Japanese delegation in Tokyo says Japan "
             "will not wait. Japan has also asked about shipping."},
    {"document_id": "dother0000000002", "doc_type": "telegram",
     "doc_date": datetime.date(1942, 1, 5), "sender": "Cripps", "recipient": "Eden",
     "subject": "Moscow conversations",
     "text": "Stalin received me late last night and spoke of the winter offensive."},
    {"document_id": "dother0000000003", "doc_type": "minute",
     "doc_date": datetime.date(1942, 2, 1), "sender": "Cadogan", "recipient": None,
     "subject": "Shipping", "text": "Nothing further on the shipping question."},
]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed transcription through the real flow, three other documents inserted by hand,
    then the index stored as the pipeline's writer does."""
    from flows.process_collection import run_collection

    raw = tmp_path_factory.mktemp("search_raw")
    shutil.copy(SEED, raw / SEED.name)
    db = tmp_path_factory.mktemp("search_db") / "archive.duckdb"
    run_collection(str(raw), str(db), workers=2)
    con = duckdb.connect(str(db))
    try:
        insert_rows(con, "documents", OTHER_DOCUMENTS)
        build_index(con)
    finally:
        con.close()
    return db


@pytest.fixture
def small_db(tmp_path: Path) -> Path:
    """Hand-made documents with an ASCII vocabulary, for checking scores against a reference."""
    texts = {
        "d1": "the treaty of alliance with the soviet union",
        "d2": "the treaty the treaty the treaty and the frontiers of poland",
        "d3": "frontiers frontiers and more frontiers of the soviet union in europe",
        "d4": "a note on shipping",
        "d5": None,
    }
    db = tmp_path / "small.duckdb"
    with Store(db) as store:
        insert_rows(store.con, "documents",
                    [{"document_id": k, "doc_type": "letter", "text": v} for k, v in texts.items()])
        build_index(store.con)
    return db


def reference_bm25(texts: dict[str, str | None], query: str) -> dict[str, float]:
    """Okapi BM25 written out plainly, for ASCII texts."""
    docs = {k: re.findall(r"[a-z0-9]+", (v or "").lower()) for k, v in texts.items()}
    n = len(docs)
    avgdl = sum(len(t) for t in docs.values()) / n
    terms = set(re.findall(r"[a-z0-9]+", query.lower()))
    scores = {}
    for doc_id, tokens in docs.items():
        tf = Counter(tokens)
        score = 0.0
        for term in terms:
            df = sum(1 for t in docs.values() if term in t)
            if tf[term]:
                idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
                score += idf * tf[term] * (K1 + 1) / (
                    tf[term] + K1 * (1 - B + B * len(tokens) / avgdl))
        if score:
            scores[doc_id] = score
    return scores


# -- the real corpus ---------------------------------------------------------------------------

@pytest.mark.integration
def test_stalin_japan_finds_the_halifax_letter_first(corpus: Path):
    hits = search(corpus, "Stalin Japan")
    assert hits[0].doc_date == datetime.date(1941, 12, 23)
    assert hits[0].sender == "Halifax"
    assert re.search(r"\b(Stalin|Japan)\b", hits[0].snippet)
    # both other documents that mention one of the words follow, best score first
    assert {h.document_id for h in hits[1:]} == {"dother0000000001", "dother0000000002"}
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True) and all(s > 0 for s in scores)


@pytest.mark.integration
def test_a_hit_carries_the_document_description(corpus: Path):
    (hit,) = search(corpus, "winter offensive")
    assert hit == (hit.document_id, hit.score, datetime.date(1942, 1, 5), "Cripps", "Eden",
                   "Moscow conversations", hit.snippet)
    assert hit.document_id == "dother0000000002"
    assert hit.snippet == "Stalin received me late last night and spoke of the winter offensive."


@pytest.mark.integration
def test_snippet_of_a_long_document_is_cut_at_words_around_the_match(corpus: Path):
    hit = search(corpus, "banquet")[0]
    assert hit.snippet.startswith("…") and hit.snippet.endswith("…")
    assert "banquet" in hit.snippet and len(hit.snippet) <= search_module.SNIPPET_LENGTH + 2
    con = duckdb.connect(str(corpus), read_only=True)
    try:
        (text,) = con.execute("SELECT text FROM documents WHERE document_id = ?",
                              [hit.document_id]).fetchone()
    finally:
        con.close()
    flat, inner = " ".join(text.split()), hit.snippet[1:-1]
    start = flat.index(inner)  # the document's own words, whitespace collapsed
    assert flat[start - 1] == " " and flat[start + len(inner)] == " "  # whole words only


@pytest.mark.integration
def test_stored_index_is_current_after_the_build(corpus: Path):
    con = duckdb.connect(str(corpus), read_only=True)
    try:
        assert index_is_current(con)
    finally:
        con.close()


@pytest.mark.integration
def test_search_is_read_only_and_limit_is_respected(corpus: Path):
    before = corpus.stat().st_mtime_ns, corpus.stat().st_size
    assert len(search(corpus, "the", limit=2)) == 2
    assert search(corpus, "zanzibar") == []
    assert (corpus.stat().st_mtime_ns, corpus.stat().st_size) == before


def test_empty_query_and_bad_limit_are_usage_errors(small_db: Path):
    with pytest.raises(UsageError, match="at least one word"):
        search(small_db, " -- / ")
    with pytest.raises(UsageError, match="limit"):
        search(small_db, "treaty", limit=0)


# -- the formula and the tokenizer --------------------------------------------------------------

@pytest.mark.parametrize("q", ["treaty", "soviet frontiers", "the treaty of poland", "shipping",
                               "treaty treaty"])
def test_scores_match_a_reference_bm25(small_db: Path, q: str):
    con = duckdb.connect(str(small_db), read_only=True)
    try:
        texts = dict(con.execute("SELECT document_id, text FROM documents").fetchall())
    finally:
        con.close()
    expected = reference_bm25(texts, q)
    hits = search(small_db, q, limit=10)
    assert {h.document_id: pytest.approx(h.score) for h in hits} == expected
    assert [h.document_id for h in hits] == sorted(expected, key=lambda d: (-expected[d], d))


def test_tokenizer_lowercases_strips_accents_and_splits_on_non_alphanumerics(small_db: Path):
    con = duckdb.connect(str(small_db), read_only=True)
    try:
        assert query_terms(con, "Mólotov's ALLIES, 6253/14/41") == [
            "molotov", "s", "allies", "6253", "14", "41"]
    finally:
        con.close()


def test_accented_query_finds_unaccented_text(small_db: Path):
    assert {h.document_id for h in search(small_db, "SÓVIET")} == {"d1", "d3"}


# -- freshness -------------------------------------------------------------------------------

def test_stale_index_falls_back_without_writing(small_db: Path):
    con = duckdb.connect(str(small_db))
    try:
        insert_rows(con, "documents", [{"document_id": "d6", "text": "zanzibar cloves"}])
        assert not index_is_current(con)
    finally:
        con.close()
    assert [h.document_id for h in search(small_db, "zanzibar")] == ["d6"]
    con = duckdb.connect(str(small_db), read_only=True)
    try:  # the stored index was not touched
        assert not index_is_current(con)
        assert con.execute("SELECT count(*) FROM search_docs").fetchone() == (5,)
    finally:
        con.close()


def test_changed_text_with_the_same_id_is_noticed(small_db: Path):
    con = duckdb.connect(str(small_db))
    try:
        con.execute("UPDATE documents SET text = 'a note on cloves' WHERE document_id = 'd4'")
        assert not index_is_current(con)
        assert [h.document_id for h in search_inside(con, "cloves")] == []  # stored: stale
    finally:
        con.close()
    assert [h.document_id for h in search(small_db, "cloves")] == ["d4"]


def search_inside(con: duckdb.DuckDBPyConnection, text: str) -> list:
    """The stored index's answer, bypassing the freshness check."""
    rows = con.execute(search_module.SEARCH_SQL, {"text": text, "limit": 10}).fetchall()
    return [search_module.Hit(*r) for r in rows]


def test_missing_index_falls_back(tmp_path: Path):
    db = tmp_path / "noindex.duckdb"
    with Store(db) as store:
        insert_rows(store.con, "documents", [{"document_id": "d1", "text": "Stalin and Japan"}])
    assert [h.document_id for h in search(db, "japan")] == ["d1"]


def test_build_index_is_idempotent_and_keeps_the_progress_bar_setting(small_db: Path):
    con = duckdb.connect(str(small_db))
    try:
        con.execute("SET enable_progress_bar = true")
        build_index(con)
        build_index(con)
        assert con.execute("SELECT current_setting('enable_progress_bar')").fetchone() == (True,)
        assert index_is_current(con)
        assert con.execute("SELECT sum(tf) FROM search_terms WHERE term = 'treaty'"
                           ).fetchone() == (4,)
        assert con.execute("SELECT length FROM search_docs WHERE document_id = 'd5'"
                           ).fetchone() == (0,)
    finally:
        con.close()
