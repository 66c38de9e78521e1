"""How the flow keeps its workers busy: jobs in flight, rounds of finished ones.

The futures here are stand-ins with the three methods the scheduler uses (add_done_callback,
wait, result); the real task runners are exercised by the flow integration and Dask tests.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Callable

from archivist.discover import Source
from flows.scheduling import costliest_first, finished_one_by_one, finished_rounds


class StandInFuture:
    def __init__(self, inner: Future) -> None:
        self.inner = inner

    def add_done_callback(self, fn: Callable[[StandInFuture], None]) -> None:
        self.inner.add_done_callback(lambda _: fn(self))

    def wait(self) -> None:
        self.inner.exception()

    def result(self, raise_on_failure: bool = True) -> object:
        error = self.inner.exception()
        if error is not None:
            if raise_on_failure:
                raise error
            return error
        return self.inner.result()


def test_a_freed_slot_takes_the_next_job_before_the_round_is_handed_back():
    """The caller writes a finished round to the database; the freed worker must not wait for
    that write, nor for the slow job beside it."""
    slow_may_end = threading.Event()
    submitted: list[str] = []

    def work(job: str) -> str:
        if job == "slow":
            assert slow_may_end.wait(10), "the slow job was never let go"
        return job.upper()

    def submit(job: str) -> StandInFuture:
        submitted.append(job)
        return StandInFuture(pool.submit(work, job))

    rounds = []
    with ThreadPoolExecutor(2) as pool:
        for round_ in finished_rounds(["slow", "fast", "third"], submit, 2):
            rounds.append(sorted(job for job, _ in round_))
            if rounds[-1] == ["fast"]:
                assert submitted == ["slow", "fast", "third"]
            slow_may_end.set()
    assert rounds[0] == ["fast"]
    assert sorted(job for round_ in rounds for job in round_) == ["fast", "slow", "third"]


def test_no_more_jobs_run_at_once_than_the_limit_and_failures_come_back_as_exceptions():
    running, most = 0, 0
    lock = threading.Lock()

    def work(job: int) -> int:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        try:
            if job % 5 == 0:
                raise ValueError(f"page {job} is unreadable")
            return job * 10
        finally:
            with lock:
                running -= 1

    with ThreadPoolExecutor(8) as pool:
        outcomes = dict(finished_one_by_one(list(range(20)),
                                 lambda j: StandInFuture(pool.submit(work, j)), 3))
    assert most <= 3
    assert set(outcomes) == set(range(20))
    assert all(isinstance(outcomes[j], ValueError) for j in (0, 5, 10, 15))
    assert outcomes[7] == 70


def test_no_jobs_give_nofinished_rounds():
    assert list(finished_rounds([], lambda j: None, 2)) == []


def test_scans_with_the_most_bytes_a_page_go_first_and_transcriptions_last():
    def source(name: str, kind: str, size: int) -> Source:
        return Source(source_id=name, path=f"{name}.x", kind=kind, sha256=name, bytes=size)

    sources = [source("notes", "text", 9_000_000), source("small", "image", 300_000),
               source("pdf", "pdf", 8_000_000), source("big", "image", 2_000_000),
               source("twin", "image", 300_000), source("unopened", "image", 5_000_000)]
    counts = {"small": 1, "pdf": 10, "big": 1, "twin": 1}  # "unopened" could not be counted
    order = [s.source_id for s in costliest_first(sources, counts)]
    assert order == ["big", "pdf", "small", "twin", "notes", "unopened"]
