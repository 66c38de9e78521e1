"""Reading transcriptions and assembling the derived tables, as Prefect tasks."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE

from archivist.assemble import Corpus, build_derived
from archivist.transcription import Transcription, read_transcription


@task(name="read-transcription", cache_policy=NO_CACHE, task_run_name="read {path}")
def read_transcription_task(path: str) -> Transcription:
    return read_transcription(path)


@task(name="assemble-documents", cache_policy=NO_CACHE)
def assemble_task(corpus: Corpus) -> tuple[dict[str, list[dict]], list[dict]]:
    return build_derived(corpus)
