"""Duplicate-page candidates found inside DuckDB, for collections whose pairs outgrow memory.

`passages.candidate_pairs` bands a whole array of signatures in numpy and returns every pair:
16 bytes a pair, and pages that share text (letterheads, formulae, a series of forms) make the
pairs grow faster than the pages (1.4 million at 16,000 of our generated letters, 7.8 million at
64,000). Here each page's band keys are stored as its batch of signatures is computed, the
buckets are paired by SQL into a sorted table (DuckDB sorts, joins and aggregates beyond its
memory limit by spilling to disk), and the pairs are read back one block of first pages at a
time: what Python holds is one batch of keys, or one block's pairs.

The pairs are `candidate_pairs`' (a test pins it), but for one difference: a band's five values
are hashed into one 64-bit key, so two different bands of two pages collide with probability
~2^-64 (a spurious candidate, or a bucket pushed past the cap that then gives fewer pairs).
"""

from __future__ import annotations

from typing import Iterator

import duckdb
import numpy as np
import pyarrow as pa

from archivist.passages import MAX_BUCKET_ALL_PAIRS, NUM_PERM, band_shape, non_empty

_MIX = np.uint64(0x9E3779B97F4A7C15)


class StoredBands:
    """LSH band keys of numbered signatures in a temporary table of `con`, and the candidate
    pairs (i < j, rows sharing a band) they give. Temporary tables live as long as the
    connection, spill like any other, and are dropped by `drop`."""

    def __init__(self, con: duckdb.DuckDBPyConnection, name: str, threshold: float = 0.5,
                 num_perm: int = NUM_PERM) -> None:
        self.con = con
        self.keys, self.pairs = f"temp.{name}_bands", f"temp.{name}_pairs"
        self.bands, self.width = band_shape(threshold, num_perm)
        con.execute(f"CREATE OR REPLACE TEMP TABLE {self.keys} "
                    "(row INTEGER, band UTINYINT, key UBIGINT)")
        con.execute(f"DROP TABLE IF EXISTS {self.pairs}")

    def add(self, first_row: int, sigs: np.ndarray) -> None:
        """The band keys of signatures numbered from `first_row` (empty ones match nothing)."""
        rows = non_empty(sigs)
        if not len(rows):
            return
        keys = band_keys(sigs[rows], self.bands, self.width)
        table = pa.table({
            "row": pa.array(np.tile(rows + first_row, self.bands).astype(np.int32)),
            "band": pa.array(np.repeat(np.arange(self.bands, dtype=np.uint8), len(rows))),
            "key": pa.array(keys.T.ravel())})
        self.con.register("_new_band_keys", table)
        try:
            self.con.execute(f"INSERT INTO {self.keys} SELECT * FROM _new_band_keys")
        finally:
            self.con.unregister("_new_band_keys")

    def pair_blocks(self, block: int) -> Iterator[np.ndarray]:
        """The candidate pairs as sorted (n, 2) int64 arrays, one for each block of `block`
        first rows that has any (`pairs[:, 0] // block` is the same throughout an array).

        A bucket of up to MAX_BUCKET_ALL_PAIRS rows gives all its pairs; past that, each row is
        paired with the bucket's first and with its predecessor only, as `candidate_pairs`
        does."""
        self.con.execute(f"""
            CREATE OR REPLACE TEMP TABLE {self.pairs} AS
            WITH bucketed AS (
                SELECT row, band, key, count(*) OVER bucket AS size,
                       row_number() OVER (bucket ORDER BY row) AS pos,
                       first_value(row) OVER (bucket ORDER BY row) AS head,
                       lag(row) OVER (bucket ORDER BY row) AS prev
                FROM {self.keys} WINDOW bucket AS (PARTITION BY band, key)),
            small AS (SELECT row, band, key FROM bucketed
                      WHERE size BETWEEN 2 AND {MAX_BUCKET_ALL_PAIRS})
            SELECT DISTINCT i, j FROM (
                SELECT a.row AS i, b.row AS j FROM small a JOIN small b USING (band, key)
                WHERE a.row < b.row
                UNION ALL
                SELECT head, row FROM bucketed WHERE size > {MAX_BUCKET_ALL_PAIRS} AND pos > 1
                UNION ALL
                SELECT prev, row FROM bucketed WHERE size > {MAX_BUCKET_ALL_PAIRS} AND pos > 2)
            ORDER BY i, j""")
        # The table is written in order, so each block's read skips the others' row groups.
        blocks = self.con.execute(f"SELECT DISTINCT i // {block} FROM {self.pairs} ORDER BY 1"
                                  ).fetchall()
        for (k,) in blocks:
            found = self.con.execute(
                f"SELECT i, j FROM {self.pairs} WHERE i >= ? AND i < ? ORDER BY i, j",
                [k * block, (k + 1) * block]).fetchnumpy()
            yield np.stack([found["i"], found["j"]], axis=1).astype(np.int64)

    def drop(self) -> None:
        """The tables, once the pairs are read (the connection's close would drop them too)."""
        for table in (self.keys, self.pairs):
            self.con.execute(f"DROP TABLE IF EXISTS {table}")


def band_keys(sigs: np.ndarray, bands: int, width: int) -> np.ndarray:
    """One uint64 per signature and band: the band's `width` values folded by multiply and
    xor-shift (each step a bijection of the running value)."""
    keys = np.zeros((len(sigs), bands), np.uint64)
    for band in range(bands):
        h = np.zeros(len(sigs), np.uint64)
        for value in sigs[:, band * width:(band + 1) * width].T:
            h ^= value.astype(np.uint64)
            h *= _MIX
            h ^= h >> np.uint64(29)
        keys[:, band] = h
    return keys
