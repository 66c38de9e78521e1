"""Re-OCR chosen pages as a new run: with a better model, another recipe, or just again.

Nothing is overwritten: each page read again is stored as one more OCR witness of the new run,
then fusion, documents and the search index are rebuilt from all witnesses. The flow's process is
the only writer, as in process_collection.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field

from prefect import flow

from archivist.config import Settings
from archivist.discover import Source
from archivist.ocr import tesseract_version
from archivist.records import failure_row, now, ocr_witness_rows, run_row
from archivist.reocr import PageRef, changed_since_stored, reocr_settings, select_pages
from archivist.search import rebuild_views_and_index
from archivist.store import Store
from flows.scheduling import default_workers, finished_one_by_one
from tasks.ingest import assemble_task
from tasks.ocr import ocr_page_task


@dataclass
class ReocrSummary:
    run_id: str | None = None
    selected: int = 0
    read: int = 0
    failures: list[str] = field(default_factory=list)
    mean_conf_before: float | None = None
    mean_conf_after: float | None = None
    elapsed_s: float = 0.0


@flow(name="reocr_pages", log_prints=False)
def reocr_pages(where: str, db: str = "data/processed/archive.duckdb", model: str = "fast",
                recipe: str | None = None, workers: int | None = None) -> ReocrSummary:
    """OCR again the pages matching `where` (SQL over `pages`), as a new run."""
    started = time.perf_counter()
    settings = reocr_settings(model, recipe)
    pages = select_pages(db, where)  # read-only, before the writer opens the file
    summary = ReocrSummary(selected=len(pages))
    if not pages:
        return summary
    with Store(db) as store:
        page_ids = [p.page_id for p in pages]
        summary.mean_conf_before = _mean_conf(store, page_ids)
        summary.run_id = _read_again(store, pages, settings, where, recipe,
                                     workers or default_workers(), summary)
        summary.mean_conf_after = _mean_conf(store, page_ids, summary.run_id)
        assemble_task(store, also=rebuild_views_and_index)
    summary.elapsed_s = round(time.perf_counter() - started, 2)
    return summary


def _read_again(store: Store, pages: list[PageRef], settings: Settings, where: str,
                recipe: str | None, workers: int, summary: ReocrSummary) -> str:
    run_id = "r" + uuid.uuid4().hex[:15]
    settings_hash = settings.fingerprint(tesseract_version())
    run = run_row(run_id, settings, tesseract_version(), purpose="reocr", where=where,
                  recipe=recipe)
    store.add_run(run)
    todo = []
    for page in pages:
        problem = changed_since_stored(page)
        if problem:
            _store_failure(store, page, problem, summary)
        else:
            todo.append(page)

    def submit(page: PageRef):
        return ocr_page_task.submit(page.path, page.kind, page.page_index, page.sha256,
                                    settings_hash, settings)

    for page, outcome in finished_one_by_one(todo, submit, workers):
        if isinstance(outcome, BaseException):
            _store_failure(store, page, outcome, summary)
            continue
        store.add_witnesses(ocr_witness_rows(page.page_id, page.source_id, outcome, run_id), [])
        summary.read += 1
    store.add_run(run | {"finished_at": now()})
    return run_id


def _store_failure(store: Store, page: PageRef, problem: str | BaseException,
                   summary: ReocrSummary) -> None:
    source = Source(page.source_id, page.path, page.kind, page.sha256, 0)
    error = problem if isinstance(problem, BaseException) else RuntimeError(problem)
    row = failure_row(source, error, page.page_index) | {"stage": "reocr"}
    if not isinstance(problem, BaseException):
        row["error"] = problem
    store.add_witnesses({}, [row])
    summary.failures.append(f"{page.path} page {page.page_index + 1}: {row['error']}")


def _mean_conf(store: Store, page_ids: list[str], run_id: str | None = None) -> float | None:
    """Mean confidence of the pages as first read, or as read by `run_id`."""
    if run_id is None:
        sql, params = "SELECT avg(mean_conf) FROM pages WHERE list_contains(?, page_id)", [page_ids]
    else:
        sql = ("SELECT avg(mean_conf) FROM witnesses WHERE run_id = ? AND kind = 'ocr' "
               "AND list_contains(?, page_id)")
        params = [run_id, page_ids]
    value = store.query(sql, params)[0][0]
    return None if value is None else round(value, 1)

if __name__ == "__main__":
    print(reocr_pages("mean_conf < 90"))
