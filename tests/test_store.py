import duckdb
import pytest

import archivist.store
from archivist.store import JSON_COLUMNS, Store


def _source(sid="s1", sha="aa"):
    return {"source_id": sid, "path": f"/x/{sid}.png", "kind": "image", "sha256": sha,
            "bytes": 1, "status": "done", "error": None, "settings_hash": "h",
            "page_count": 1, "processed_at": None}


def _page(sid="s1", text="old"):
    return {"page_id": f"{sid}-p0000", "source_id": sid, "page_index": 0, "text": text}


def test_schema_has_the_contract_tables_and_columns(tmp_path):
    with Store(tmp_path / "a.duckdb") as store:
        cols = {(t, c) for t, c in store.query(
            "SELECT table_name, column_name FROM information_schema.columns")}
    for table, columns in {
        "sources": "source_id path kind sha256 bytes status error",
        "pages": "page_id source_id page_index width height dpi document_id page_number text "
                 "mean_conf",
        "ocr_runs": "run_id started_at finished_at engine engine_version model config",
        "witnesses": "witness_id kind run_id page_id source_id text mean_conf",
        "words": "witness_id block par line word text conf left top width height",
        "documents": "document_id doc_type doc_date date_text sender recipient classification "
                     "subject text",
        "segments": "segment_id document_id seq kind text page_id",
        "entities": "document_id kind text normalized",
        "failures": "source_id page_index stage error occurred_at",
    }.items():
        for column in columns.split():
            assert (table, column) in cols, f"{table}.{column}"


def test_the_writer_serialises_dicts_into_every_json_column_and_only_those(tmp_path):
    with Store(tmp_path / "a.duckdb") as store:
        found = store.query("SELECT table_name, column_name FROM duckdb_columns() "
                            "WHERE data_type = 'JSON' ORDER BY ALL")
        store.replace_source(_source(), {"pages": [_page() | {"preprocessing": {"deskew": 0.5}}]})
        stored = store.query("SELECT preprocessing ->> 'deskew' FROM pages")
    assert found == sorted((t, c) for t, cols in JSON_COLUMNS.items() for c in cols)
    assert stored == [("0.5",)]


def test_replacing_a_source_swaps_its_rows(tmp_path):
    with Store(tmp_path / "a.duckdb") as store:
        store.replace_source(_source(), {"pages": [_page(text="old")]})
        store.replace_source(_source(sha="bb"), {"pages": [_page(text="new")]})
        assert store.query("SELECT text FROM pages") == [("new",)]
        assert store.query("SELECT sha256 FROM sources") == [("bb",)]


def test_a_failed_write_leaves_the_earlier_rows_whole(tmp_path):
    with Store(tmp_path / "a.duckdb") as store:
        store.replace_source(_source(), {"pages": [_page(text="old")]})
        with pytest.raises(duckdb.Error):
            store.replace_source(_source(sha="bb"), {"pages": [_page(text="new")],
                                                     "no_such_table": [{"x": 1}]})
        assert store.query("SELECT text FROM pages") == [("old",)]
        assert store.query("SELECT sha256 FROM sources") == [("aa",)]


def test_a_failed_rebuild_of_the_derived_tables_keeps_the_earlier_ones(tmp_path):
    """The derived rows arrive a batch at a time while the writer writes: an error in a later
    batch must undo the earlier batches too."""
    def batches(document_id: str, fail: bool):
        yield ({"documents": [{"document_id": document_id}]},
               [{"page_id": "s1-p0000", "document_id": document_id, "page_number": 1,
                 "text": "new"}])
        if fail:
            raise RuntimeError("assembly failed")
        yield {"segments": [{"segment_id": f"{document_id}-0", "document_id": document_id}]}, []

    with Store(tmp_path / "a.duckdb") as store:
        store.replace_source(_source(), {"pages": [_page(text="old")]})
        store.replace_derived(batches("d1", fail=False))
        before = _table_names(store)
        with pytest.raises(RuntimeError):
            store.replace_derived(batches("d2", fail=True))
        assert store.query("SELECT document_id FROM documents") == [("d1",)]
        assert store.query("SELECT segment_id FROM segments") == [("d1-0",)]
        assert store.query("SELECT document_id, text FROM pages") == [("d1", "new")]
        assert not store.derived_is_stale()
        assert _table_names(store) == before


def _table_names(store: Store) -> list[str]:
    return sorted(r[0] for r in store.query("SELECT table_name FROM duckdb_tables()"))


def _pages(n: int) -> list[dict]:
    return [{"page_id": f"s1-p{i:04d}", "source_id": "s1", "page_index": i, "text": f"old {i}"}
            for i in range(n)]


@pytest.mark.parametrize("chunk", [1, 2, 5])
def test_a_rebuild_updates_every_page_whatever_the_chunk_size(tmp_path, monkeypatch, chunk):
    """The pages are updated a chunk of page ids per transaction: every chunk size must give
    the same pages, a page without an update leaving its document and keeping its text."""
    monkeypatch.setattr(archivist.store, "PAGES_PER_UPDATE", chunk)
    updates = [{"page_id": f"s1-p{i:04d}", "document_id": "d1", "page_number": i + 1,
                "text": None if i == 3 else f"new {i}"} for i in (0, 1, 3, 4)]
    with Store(tmp_path / "a.duckdb") as store:
        store.replace_source(_source(), {"pages": _pages(5)})
        store.query("UPDATE pages SET document_id = 'd0', page_number = 9")
        store.replace_derived([({"documents": [{"document_id": "d1"}]}, updates)])
        assert store.query("SELECT page_id, document_id, page_number, text FROM pages "
                           "ORDER BY page_id") == [
            ("s1-p0000", "d1", 1, "new 0"), ("s1-p0001", "d1", 2, "new 1"),
            ("s1-p0002", None, None, "old 2"), ("s1-p0003", "d1", 4, "old 3"),
            ("s1-p0004", "d1", 5, "new 4")]


def test_a_rebuild_keeps_the_derived_tables_definitions_and_leaves_no_staging_tables(tmp_path):
    """The rows are written into staging tables that replace the derived ones by renaming:
    the constraints (variants' primary key) must come through, and nothing else remain."""
    variant = {"variant_id": "v1", "document_id": "d1", "position": 0, "chosen": "a"}
    with Store(tmp_path / "a.duckdb") as store:
        before = _table_names(store)
        store.replace_derived([({"documents": [{"document_id": "d1"}],
                                 "variants": [variant]}, [])])
        store.replace_derived([({"documents": [{"document_id": "d2"}],
                                 "variants": [variant]}, [])])
        assert _table_names(store) == before
        assert store.query("SELECT document_id FROM documents") == [("d2",)]
        with pytest.raises(duckdb.ConstraintException):
            store.query("INSERT INTO variants (variant_id) VALUES ('v1')")
        store.query("CREATE TABLE _rebuild_documents AS SELECT * FROM documents")  # as a kill
    with Store(tmp_path / "a.duckdb") as store:  # leaves it; the writer's next open drops it
        assert _table_names(store) == before


def test_a_rebuild_that_fails_after_updating_the_pages_leaves_the_derived_tables_stale(
        tmp_path):
    """Past the first page chunk the old derived tables no longer match the pages: a failure
    there (here in what rebuilds the views) must leave them whole but marked stale, so that the
    next run rebuilds them."""
    def failing_views(con: duckdb.DuckDBPyConnection) -> None:
        raise RuntimeError("views failed")

    with Store(tmp_path / "a.duckdb") as store:
        store.replace_source(_source(), {"pages": [_page(text="old")]})
        store.replace_derived([({"documents": [{"document_id": "d1"}]}, [])])
        before = _table_names(store)
        with pytest.raises(RuntimeError):
            store.replace_derived([({"documents": [{"document_id": "d2"}]},
                                    [{"page_id": "s1-p0000", "document_id": "d2",
                                      "page_number": 1, "text": "new"}])], also=failing_views)
        assert store.query("SELECT document_id FROM documents") == [("d1",)]
        assert store.derived_is_stale()
        assert _table_names(store) == before


def test_sources_written_together_replace_their_own_rows_and_keep_all_columns(tmp_path):
    """The flow writes the sources that finished together in one transaction: a transcription's
    page row has fewer columns than a scan's, and neither may lose any."""
    with Store(tmp_path / "a.duckdb") as store:
        store.replace_sources([(_source("s1"), {"pages": [_page("s1", text="old")]}),
                               (_source("s3"), {"pages": [_page("s3", text="kept")]})])
        scan_page = _page("s2", text="scan") | {"width": 2550, "mean_conf": 91.5}
        store.replace_sources([(_source("s1", sha="bb"), {"pages": [_page("s1", text="new")]}),
                               (_source("s2"), {"pages": [scan_page]})])
        assert store.query("SELECT source_id, text, width, mean_conf FROM pages ORDER BY 1") == [
            ("s1", "new", None, None), ("s2", "scan", 2550, 91.5), ("s3", "kept", None, None)]
        assert store.query("SELECT source_id, sha256 FROM sources ORDER BY 1") == [
            ("s1", "bb"), ("s2", "aa"), ("s3", "aa")]


def test_a_failed_write_of_sources_together_keeps_every_earlier_row(tmp_path):
    with Store(tmp_path / "a.duckdb") as store:
        store.replace_source(_source("s1"), {"pages": [_page("s1", text="old")]})
        with pytest.raises(duckdb.Error):
            store.replace_sources([(_source("s1", sha="bb"), {"pages": [_page("s1", text="new")]}),
                                   (_source("s2"), {"no_such_table": [{"x": 1}]})])
        assert store.query("SELECT source_id, text FROM pages") == [("s1", "old")]
        assert store.query("SELECT source_id, sha256 FROM sources") == [("s1", "aa")]


def test_dropping_a_source_removes_its_witnesses_and_words(tmp_path):
    with Store(tmp_path / "a.duckdb") as store:
        store.replace_source(_source(), {
            "pages": [_page()],
            "witnesses": [{"witness_id": "w1", "kind": "ocr", "source_id": "s1"}],
            "words": [{"witness_id": "w1", "text": "x", "conf": 90.0}]})
        store.drop_sources(["s1"])
        assert store.query("SELECT (SELECT count(*) FROM words) + (SELECT count(*) FROM "
                           "witnesses) + (SELECT count(*) FROM sources)") == [(0,)]


def test_an_older_database_is_migrated_once_and_keeps_its_rows(tmp_path, monkeypatch):
    from archivist import store as store_module

    path = tmp_path / "a.duckdb"
    with Store(path) as store:
        store.replace_source(_source(), {"pages": [_page(text="kept")]})
    current = store_module.SCHEMA_VERSION
    monkeypatch.setattr(store_module, "MIGRATIONS", store_module.MIGRATIONS + [
        (current + 1, "ALTER TABLE pages ADD COLUMN reviewed BOOLEAN DEFAULT false")])
    for _ in range(2):  # a second open must not apply it again
        with Store(path) as store:
            assert store.query("SELECT text, reviewed FROM pages") == [("kept", False)]
            assert store.query("SELECT list(version ORDER BY version) FROM schema_version") == [
                (list(range(1, current + 2)),)]
