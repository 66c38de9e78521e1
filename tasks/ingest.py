"""Reading transcriptions and assembling the derived tables, as Prefect tasks."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Callable, Iterable, Iterator

import duckdb
from prefect import task
from prefect.cache_policies import NO_CACHE

from archivist.assemble import StoredCorpus, derived_batches
from archivist.store import Store
from archivist.transcription import Transcription, read_transcription

Stage = Callable[[str], AbstractContextManager]


@task(name="read-transcription", cache_policy=NO_CACHE, task_run_name="read {path}")
def read_transcription_task(path: str) -> Transcription:
    return read_transcription(path)


@task(name="assemble-documents", cache_policy=NO_CACHE)
def assemble_task(store: Store, also: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
                  stage: Stage | None = None) -> None:
    """Rebuild the derived tables from the stored witnesses, each batch of rows written as it
    is built; `stage` (RunSummary.stage) is told the time spent building them ("assemble"),
    apart from the time spent writing them."""
    batches = derived_batches(StoredCorpus(store))
    store.replace_derived(batches if stage is None else _timed(batches, stage), also=also)


def _timed(batches: Iterable, stage: Stage) -> Iterator:
    """The batches, the time spent making each (not writing it) told to `stage`."""
    it = iter(batches)
    while True:
        with stage("assemble"):
            batch = next(it, None)
        if batch is None:
            return
        yield batch
