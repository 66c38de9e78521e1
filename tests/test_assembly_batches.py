"""The assembly reads the corpus and writes the derived tables a batch at a time; what it
stores must not depend on where the batches fall."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import query_db

from archivist import assemble
from archivist import store as store_module
from archivist.store import DERIVED_TABLES, Store, insert_rows
from flows.process_collection import run_collection


@pytest.fixture(scope="module")
def flow_db(sample_dir, tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("assembly") / "flow.duckdb"
    run_collection(str(sample_dir), str(db), workers=2)
    return db


def _derived(db: Path) -> dict[str, list[str]]:
    tables = {t: query_db(db, f"SELECT * FROM {t}") for t in DERIVED_TABLES}
    tables["pages"] = query_db(db, "SELECT page_id, document_id, page_number, text FROM pages")
    return {t: sorted(map(repr, rows)) for t, rows in tables.items()}


def _temporary_tables(store: Store) -> list[tuple]:
    return store.query("SELECT table_name FROM duckdb_tables() WHERE temporary")


def test_derived_tables_are_the_same_whatever_the_batch_size(flow_db, tmp_path, monkeypatch):
    """One page read per batch and every document written as it ends: the four-page letter is
    read in four batches, its carbon page 4 is found in another batch (and another block of
    duplicate candidates) than its ribbon page and fused with it, the transcription is matched
    page by page; every derived row must come out as the flow's default batches made it, and
    the assembly's temporary tables must be gone."""
    rebuilt = tmp_path / "rebuilt.duckdb"
    shutil.copy(flow_db, rebuilt)
    monkeypatch.setattr(assemble, "PAGES_PER_BATCH", 1)
    monkeypatch.setattr(assemble, "ROWS_PER_BATCH", 1)
    monkeypatch.setattr(assemble, "TEXTS_PER_BLOCK", 1)
    with Store(rebuilt) as store:
        store.replace_derived(assemble.derived_batches(assemble.StoredCorpus(store)))
        assert _temporary_tables(store) == []
    expected = _derived(flow_db)
    assert expected["documents"] and expected["alignments"] and expected["variants"]
    assert query_db(flow_db, "SELECT count(*) FROM page_groups WHERE NOT is_canonical") == [(1,)]
    assert _derived(rebuilt) == expected


def test_two_rebuilds_on_one_connection_keep_their_own_temporary_tables(flow_db, tmp_path,
                                                                        monkeypatch):
    """Each rebuild names its working tables apart: one finishing (and dropping its tables)
    while another is half-way must not take the other's."""
    db = tmp_path / "two.duckdb"
    shutil.copy(flow_db, db)
    monkeypatch.setattr(assemble, "ROWS_PER_BATCH", 1)
    with Store(db) as store:
        first = assemble.derived_batches(assemble.StoredCorpus(store))
        second = assemble.derived_batches(assemble.StoredCorpus(store))
        head = next(second)
        alone = list(first)
        together = [head, *second]
        assert together == alone
        assert _temporary_tables(store) == []


def test_a_rebuild_that_fails_while_writing_drops_its_temporary_tables_at_once(
        flow_db, tmp_path, monkeypatch):
    """The writer fails half-way (the assembly suspended between two batches): the assembly's
    temporary tables are dropped then, not whenever its generator is collected, and the derived
    tables stay as they were."""
    db = tmp_path / "failing.duckdb"
    shutil.copy(flow_db, db)
    monkeypatch.setattr(assemble, "ROWS_PER_BATCH", 1)
    written = []

    def failing_insert(con, table, rows, into=None):
        if len(written) == len(DERIVED_TABLES) + 1:  # the second batch
            raise RuntimeError("disk full")
        written.append(table)
        return insert_rows(con, table, rows, into=into)

    monkeypatch.setattr(store_module, "insert_rows", failing_insert)
    with Store(db) as store:
        batches = assemble.derived_batches(assemble.StoredCorpus(store))
        with pytest.raises(RuntimeError, match="disk full"):
            store.replace_derived(batches)
        assert _temporary_tables(store) == []
    assert _derived(db) == _derived(flow_db)
