"""Keeping workers busy: at most `limit` jobs in flight, each freed slot refilled at once.

Both flows submit their page tasks through here, so the `workers` setting holds whatever task
runner a deployment picks (threads, Dask).
"""

from __future__ import annotations

import os
import queue
from collections import deque
from typing import Callable, Iterator

from prefect.futures import PrefectFuture

from archivist.discover import Source


def default_workers() -> int:
    return os.cpu_count() or 1


def costliest_first(sources: list[Source], page_counts: dict[str, int]) -> list[Source]:
    """The scans with the most bytes a page first, transcriptions (cheap to read) last; ties in
    the plan's order, each source's pages kept together.

    With pages handed out in path order, the dearest pages of a folder could come last and one
    worker finish them alone while the others wait for the run's end. Bytes a page is the cost
    known before any page is decoded: on the 22 real scans of bench/pipeline_cost.py, 2 workers
    in path order would finish 0.75 s after an even split of their OCR time; largest first,
    0.18 s after (simulated on the pages' own times, measured one by one).
    """
    def bytes_a_page(source: Source) -> float:
        pages = page_counts.get(source.source_id)
        return source.bytes / pages if source.kind != "text" and pages else 0.0

    return sorted(sources, key=bytes_a_page, reverse=True)


def finished_rounds(jobs: list, submit: Callable[[object], PrefectFuture], limit: int
                    ) -> Iterator[list[tuple[object, object]]]:
    """Run jobs with at most `limit` in flight, yielding the (job, result or exception) pairs
    that finished since the last round: the `workers` setting holds even when a deployment
    picks the task runner.

    Each future reports its own end (a done callback), and the freed slots are refilled before
    the round is handed back: Prefect's `wait(futures, timeout)` returns only when all of them
    are done or the time is up, which kept a finished worker idle for up to that time (~0.1 s a
    page on average at 2 workers), and the caller's write then kept it idle longer.
    """
    pending = deque(jobs)
    in_flight: dict[PrefectFuture, object] = {}
    finished_futures: queue.SimpleQueue[PrefectFuture] = queue.SimpleQueue()

    def refill() -> None:
        while pending and len(in_flight) < limit:
            job = pending.popleft()
            future = submit(job)
            in_flight[future] = job
            future.add_done_callback(finished_futures.put)

    refill()
    while in_flight:
        done = [finished_futures.get()]
        while not finished_futures.empty():
            done.append(finished_futures.get())
        finished = []
        for future in done:
            future.wait()  # sets the final state; the callback can fire before it is set
            finished.append((in_flight.pop(future), future.result(raise_on_failure=False)))
        refill()
        yield finished


def finished_one_by_one(jobs: list, submit: Callable[[object], PrefectFuture], limit: int
                        ) -> Iterator[tuple[object, object]]:
    """As finished_rounds, one (job, result or exception) at a time."""
    for finished in finished_rounds(jobs, submit, limit):
        yield from finished
