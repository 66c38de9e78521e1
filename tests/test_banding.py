"""Candidate pairs found in DuckDB must be those the in-memory banding finds."""

from __future__ import annotations

import duckdb
import numpy as np
import pytest

from archivist.banding import StoredBands
from archivist.passages import EMPTY, MAX_BUCKET_ALL_PAIRS, candidate_pairs


def _signatures(seed: int) -> np.ndarray:
    """Signatures drawn from few values, so that rows share bands by chance; one band the same
    in 100 rows (a bucket past MAX_BUCKET_ALL_PAIRS), another in 40 of them; a few empty."""
    rng = np.random.default_rng(seed)
    sigs = rng.integers(0, 3, size=(400, 128)).astype(np.uint32)
    sigs[:100, 10:15] = 7
    sigs[60:100, 50:55] = 9
    sigs[[3, 50, 333]] = EMPTY
    return sigs


@pytest.mark.parametrize("block", [1, 7, 400])
def test_stored_bands_give_the_pairs_of_candidate_pairs_a_block_of_first_rows_at_a_time(block):
    sigs = _signatures(5)
    expected = candidate_pairs(sigs)
    assert len(expected) > 1000 and 100 > MAX_BUCKET_ALL_PAIRS
    bands = StoredBands(duckdb.connect(), "test")
    for start in range(0, len(sigs), 64):  # as the survey adds them, a batch at a time
        bands.add(start, sigs[start:start + 64])
    blocks = list(bands.pair_blocks(block))
    assert all(len(np.unique(b[:, 0] // block)) == 1 for b in blocks)
    assert [b[0, 0] // block for b in blocks] == sorted({b[0, 0] // block for b in blocks})
    assert np.array_equal(np.concatenate(blocks), expected)


def test_stored_bands_of_empty_or_lone_signatures_give_no_pairs():
    con = duckdb.connect()
    bands = StoredBands(con, "test")
    bands.add(0, np.full((3, 128), EMPTY, np.uint32))
    bands.add(3, np.arange(128, dtype=np.uint32)[None, :])
    assert list(bands.pair_blocks(10)) == []


def test_dropped_stored_bands_leave_no_table_behind():
    con = duckdb.connect()
    bands = StoredBands(con, "test")
    bands.add(0, _signatures(6)[:50])
    assert list(bands.pair_blocks(10))
    bands.drop()
    assert con.execute("SELECT count(*) FROM duckdb_tables()").fetchone() == (0,)
