"""The assembly reads the corpus and writes the derived tables a batch at a time; what it
stores must not depend on where the batches fall."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import query_db

from archivist import assemble
from archivist.store import DERIVED_TABLES, Store
from flows.process_collection import run_collection


def _derived(db: Path) -> dict[str, list[str]]:
    tables = {t: query_db(db, f"SELECT * FROM {t}") for t in DERIVED_TABLES}
    tables["pages"] = query_db(db, "SELECT page_id, document_id, page_number, text FROM pages")
    return {t: sorted(map(repr, rows)) for t, rows in tables.items()}


def test_derived_tables_are_the_same_whatever_the_batch_size(sample_dir, tmp_path, monkeypatch):
    """One page read per batch and every document written as it ends: the four-page letter is
    read in four batches, its carbon page 4 is found in another batch (and another block of
    duplicate candidates) than its ribbon page and fused with it, the transcription is matched
    page by page; every derived row must come out as the flow's default batches made it, and
    the assembly's temporary tables must be gone."""
    db = tmp_path / "flow.duckdb"
    run_collection(str(sample_dir), str(db), workers=2)
    rebuilt = tmp_path / "rebuilt.duckdb"
    shutil.copy(db, rebuilt)
    monkeypatch.setattr(assemble, "PAGES_PER_BATCH", 1)
    monkeypatch.setattr(assemble, "ROWS_PER_BATCH", 1)
    monkeypatch.setattr(assemble, "TEXTS_PER_BLOCK", 1)
    with Store(rebuilt) as store:
        store.replace_derived(assemble.derived_batches(assemble.StoredCorpus(store)))
        assert store.query("SELECT table_name FROM duckdb_tables() WHERE temporary") == []
    expected = _derived(db)
    assert expected["documents"] and expected["alignments"] and expected["variants"]
    assert query_db(db, "SELECT count(*) FROM page_groups WHERE NOT is_canonical") == [(1,)]
    assert _derived(rebuilt) == expected
