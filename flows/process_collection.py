"""The main job: a drop folder of scans and transcriptions in, the DuckDB corpus out.

Pages are OCR'd in parallel (one Tesseract thread each); this flow's process is the only writer
of the database and writes each source in its own transaction as soon as its pages are done, so a
run killed half-way keeps every source it finished.
"""

from __future__ import annotations

import time
import uuid
from typing import Callable

from prefect import flow
from prefect.futures import PrefectFuture
from prefect.task_runners import ThreadPoolTaskRunner

from archivist.config import Settings
from archivist.discover import Source
from archivist.errors import ArchivistError, UsageError
from archivist.images import count_pages
from archivist.ocr import tesseract_version
from archivist.plan import Plan, make_plan
from archivist.search import rebuild_views_and_index
from archivist.records import (failed_source_rows, image_source_rows, now, run_row,
                               text_source_rows)
from archivist.store import Store
from archivist.summary import RunSummary
from flows.artifacts import publish_run
from flows.scheduling import costliest_first, default_workers, finished_rounds
from tasks.ingest import assemble_task, read_transcription_task
from tasks.ocr import ocr_page_task

# Set by the CLI to show progress: called with ("pages", total) once, then ("page", path) per
# finished page and ("source", path, status) per stored source.
ProgressHook = Callable[..., None]
progress_hooks: list[ProgressHook] = []


@flow(name="process_collection", log_prints=False,
      task_runner=ThreadPoolTaskRunner(max_workers=default_workers()))
def process_collection(input_dir: str = "data/raw",
                       db: str = "data/processed/archive.duckdb",
                       workers: int | None = None) -> RunSummary:
    """Process every new or changed source under input_dir into the database at db."""
    started = time.perf_counter()
    settings = Settings()
    with Store(db) as store:
        plan = make_plan(input_dir, store.known_sources(), settings,
                         dict(store.query("SELECT source_id, path FROM sources")))
        summary = RunSummary(unchanged=[s.path for s in plan.unchanged],
                             removed=len(plan.removed))
        summary.stages["plan"] = time.perf_counter() - started
        if plan.removed:
            with summary.stage("write"):
                store.drop_sources(plan.removed)
        if plan.todo:
            _process_sources(store, plan, settings, summary, workers or default_workers())
        if plan.has_work or store.derived_is_stale():
            def timed_views_and_index(con) -> None:
                with summary.stage("index"):
                    rebuild_views_and_index(con)

            with summary.stage("store_derived"):
                assemble_task(store, also=timed_views_and_index, stage=summary.stage)
            summary.stages["store_derived"] -= (summary.stages.get("index", 0.0)
                                                + summary.stages.get("assemble", 0.0))
        summary.count(store)
        summary.elapsed_s = round(time.perf_counter() - started, 2)
        publish_run(summary, store)
    return summary


def _process_sources(store: Store, plan: Plan, settings: Settings, summary: RunSummary,
                     workers: int) -> None:
    run_id = "r" + uuid.uuid4().hex[:15]
    summary.run_id = run_id
    run = run_row(run_id, settings, tesseract_version(), purpose="run")
    store.add_run(run)

    def save(ready: list[tuple[Source, dict, dict]]) -> None:
        """Store the sources finished together in one transaction: one commit per source would
        cap a large cluster at ~100 one-page sources a second (docs/scaling.md)."""
        if not ready:
            return
        with summary.stage("write"):
            store.replace_sources([(source_row, rows) for _, source_row, rows in ready])
        for source, source_row, rows in ready:
            summary.new.append(source.path)
            if source_row["status"] != "done":
                summary.failed.append(source.path)
                summary.failures.extend(_failure_line(f) for f in rows.get("failures", []))
            _notify("source", source.path, source_row["status"])

    page_counts: dict[str, int] = {}
    for source in plan.todo:
        if source.kind == "text":
            continue
        try:
            page_counts[source.source_id] = count_pages(source.path, source.kind)
        except ArchivistError as exc:  # the file cannot even be opened
            save([(source, *failed_source_rows(source, exc, plan.settings_hash))])
    jobs: list[tuple[Source, int | None]] = []
    for source in costliest_first(plan.todo, page_counts):
        if source.kind == "text":
            jobs.append((source, None))
        elif source.source_id in page_counts:
            jobs.extend((source, i) for i in range(page_counts[source.source_id]))
    _notify("pages", sum(1 for _, i in jobs if i is not None))

    def submit(job: tuple[Source, int | None]) -> PrefectFuture:
        source, index = job
        if index is None:
            return read_transcription_task.submit(source.path)
        return ocr_page_task.submit(source.path, source.kind, index, source.sha256,
                                    plan.settings_hash, settings)

    outcomes: dict[str, list] = {}
    pages_started = time.perf_counter()
    summary.stages["page_seconds"] = 0.0
    for finished in finished_rounds(jobs, submit, workers):
        ready = []
        for (source, index), outcome in finished:
            if source.kind == "text":
                ready.append((source, *_text_rows(source, outcome, plan.settings_hash)))
                continue
            _notify("page", source.path)
            if not isinstance(outcome, BaseException):
                summary.stages["page_seconds"] += outcome.seconds
            done = outcomes.setdefault(source.source_id, [])
            done.append(outcome)
            if len(done) == page_counts[source.source_id]:
                results = [o for o in done if not isinstance(o, BaseException)]
                errors = [o for o in done if isinstance(o, BaseException)]
                ready.append((source, *image_source_rows(
                    source, page_counts[source.source_id], results, errors, run_id,
                    plan.settings_hash)))
                del outcomes[source.source_id]
        save(ready)
    summary.stages["ocr"] = time.perf_counter() - pages_started
    store.add_run(run | {"finished_at": now()})


def _text_rows(source: Source, outcome: object, settings_hash: str
               ) -> tuple[dict, dict[str, list[dict]]]:
    if isinstance(outcome, BaseException):
        return failed_source_rows(source, outcome, settings_hash)
    return text_source_rows(source, outcome, settings_hash)


def _failure_line(row: dict) -> str:
    page = f" page {row['page_index'] + 1}" if row.get("page_index") is not None else ""
    return f"{row['path']}{page}: {row['stage']}: {row['error']}"


def _notify(*event: object) -> None:
    for hook in progress_hooks:
        hook(*event)


def run_collection(input_dir: str, db: str, workers: int | None = None,
                   runner: str = "threads", address: str | None = None) -> RunSummary:
    """Run the flow, its page tasks on `runner`; this process alone writes the database.

    - "threads": a pool of `workers` threads here (default: the number of CPUs), one Tesseract
      process each;
    - "dask": the Dask cluster whose scheduler is at `address` (tcp://HOST:PORT), or a local
      one of `workers` processes; see flows/dask_runner.py and docs/scaling.md.
    """
    if runner == "threads":
        if address:
            raise UsageError("--address is for --runner dask")
        n = workers or default_workers()
        task_runner = ThreadPoolTaskRunner(max_workers=n)
        return process_collection.with_options(task_runner=task_runner)(input_dir, db, n)
    if runner != "dask":
        raise UsageError(f"unknown runner {runner!r}: use threads or dask")
    from flows.dask_runner import on_dask

    return on_dask(process_collection, input_dir, db, workers, address)


if __name__ == "__main__":
    print(process_collection())
