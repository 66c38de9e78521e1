"""Page tasks on a Dask cluster (prefect-dask); the flow's process stays the only writer.

The workers read the pages at the paths this process sees (a shared filesystem), run the OCR task
under this run's Prefect settings (the API its task runs report to, the result storage that is
the OCR cache) and send back PageOcr objects, ~9 KiB each. See docs/scaling.md.
"""

from __future__ import annotations

import logging
import os
from typing import Any
from urllib.parse import urlsplit

from distributed.core import rpc
from prefect import Flow
from prefect.client.orchestration import get_client
from prefect.settings import PREFECT_API_URL, PREFECT_LOGGING_LEVEL, temporary_settings
from prefect.utilities.asyncutils import run_coro_as_sync
from prefect_dask import DaskTaskRunner

from archivist.errors import ArchivistError, UsageError
from archivist.ocr import tesseract_version

CONNECT_TIMEOUT_S = 5


def on_dask(flow: Flow, input_dir: str, db: str, workers: int | None,
            address: str | None) -> Any:
    """Run `flow` with its tasks on the cluster at `address`, or on a local cluster of
    `workers` processes with one thread each; checked before Prefect starts or the database
    is opened, so a wrong address or a misfit worker costs seconds and changes nothing."""
    # Dask's own logs (scheduler, nannies) as loud as Prefect's: none unless `run -v`.
    logging.getLogger("distributed").setLevel(PREFECT_LOGGING_LEVEL.value())
    cluster: dict = {}
    if address:
        cluster = _identify(address)
        n = workers or cluster.get("total_threads") or os.cpu_count() or 1
        task_runner = DaskTaskRunner(address=address)
    else:
        n = workers or os.cpu_count() or 1
        task_runner = DaskTaskRunner(cluster_kwargs={
            "n_workers": n, "threads_per_worker": 1, "processes": True,
            "dashboard_address": None})
    api_url = _api_url()
    if address and cluster.get("n_workers"):
        _check_workers(address, api_url, input_dir)
    with temporary_settings(updates={PREFECT_API_URL: api_url}):
        return flow.with_options(task_runner=task_runner)(input_dir, db, n)


def _identify(address: str) -> dict:
    """The scheduler's description of its cluster, or an error naming the address."""
    async def identity() -> dict:
        async with rpc(address, timeout=CONNECT_TIMEOUT_S) as scheduler:
            return await scheduler.identity()

    try:
        return run_coro_as_sync(identity())
    except ValueError as exc:  # not an address at all
        raise UsageError(f"--address {address}: {exc}") from None
    except MemoryError:  # a frame length read from something that does not speak Dask
        raise ArchivistError(f"{address} did not answer as a Dask scheduler does: check the "
                             f"address (the scheduler's, port 8786 by default)") from None
    except Exception as exc:
        raise ArchivistError(f"cannot reach the Dask scheduler at {address}: {exc} (is "
                             f"`dask scheduler` running there?)") from None


def _api_url() -> str:
    """The API the workers' task runs report to. They take this run's settings, sent with each
    task, not their own environment; with no PREFECT_API_URL that is the temporary server,
    which only this process knows: start it and name it to them."""
    api_url = PREFECT_API_URL.value()
    if api_url:
        return api_url
    from prefect.server.api.server import SubprocessASGIServer

    with get_client(sync_client=True) as client:
        client.hello()
    return SubprocessASGIServer().api_url


def _check_workers(address: str, api_url: str, input_dir: str) -> None:
    """Every worker's problems, grouped by problem, as one error; nothing when all fit."""
    from distributed import Client

    url = urlsplit(api_url)
    api = (url.hostname or "127.0.0.1", url.port or (443 if url.scheme == "https" else 80))
    with Client(address, timeout=CONNECT_TIMEOUT_S, set_as_default=False) as client:
        answers = client.run(check_worker, api_url, api, input_dir,
                             os.path.realpath(input_dir), tesseract_version())
    on_workers: dict[str, list[str]] = {}  # problem -> the workers that have it
    for worker, problems in sorted(answers.items()):
        for problem in problems:
            on_workers.setdefault(problem, []).append(worker)
    if on_workers:
        raise ArchivistError("; ".join(f"on Dask worker{'s' * (len(w) > 1)} {', '.join(w)}: "
                                       f"{problem}" for problem, w in on_workers.items()))


def check_worker(api_url: str, api: tuple[str, int], folder: str, real_folder: str,
                 tesseract: str) -> list[str]:
    """Runs on each worker: can it reach the Prefect API, see the input where we do, and OCR
    as we would? Also drops what an earlier run left bound to another API."""
    import socket

    _drop_stale_events_service(api_url)
    problems = []
    try:
        theirs = tesseract_version()
    except Exception as exc:  # archivist or Tesseract not installed there
        problems.append(f"cannot run archivist's OCR ({type(exc).__name__}: {exc})")
    else:
        if theirs != tesseract:
            problems.append(f"Tesseract {theirs}, not {tesseract} as here: the run records one "
                            f"version (and caches OCR under it), so install the same")
    try:
        socket.create_connection(api, timeout=CONNECT_TIMEOUT_S).close()
    except OSError as exc:
        problems.append(f"no connection to the Prefect API at {api[0]}:{api[1]} ({exc}): set "
                        f"PREFECT_API_URL to a Prefect server the workers can reach")
    if not os.path.exists(folder) or os.path.realpath(folder) != real_folder:
        problems.append(f"{folder} is not {real_folder} there: the workers read the pages "
                        f"themselves, so the input must be on a filesystem they share, at the "
                        f"same path (give an absolute path)")
    return problems


def _drop_stale_events_service(api_url: str) -> None:
    """Prefect keeps one events service per process, bound to the API of the run that started
    it: a worker that served a run with another (temporary) API would send this run's task runs
    there. Stop it; the next task run starts one for this run's API."""
    try:
        from prefect.events.worker import EventsWorker
        for service in list(EventsWorker._instances.values()):
            client = getattr(service, "_client", None)
            if (isinstance(service, EventsWorker)
                    and getattr(client, "_api_url", api_url) != api_url):
                service._drain()
    except Exception:  # Prefect's internals changed: at worst task runs go unreported
        pass
