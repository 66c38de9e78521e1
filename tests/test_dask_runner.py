"""Page tasks on a Dask cluster (prefect-dask): the same database as the thread runner, the flow
process the only writer, task runs reported to the flow's own Prefect API."""

import os
import shutil
import socket
import sys
import time
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from archivist import synth
from archivist.cli import app
from archivist.errors import ArchivistError, UsageError
from conftest import REPO_SEED
from flows.process_collection import run_collection

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def cluster():
    """Two worker processes with one thread each, as `dask worker --nthreads 1` would give."""
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def drop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed transcription and two small generated scans."""
    root = tmp_path_factory.mktemp("drop")
    shutil.copy(REPO_SEED, root)
    synth.make_collection(root / "scans", 2, seed=31, lines_per_page=12)
    return root


def _run_with_own_cache(folder: Path, db: Path, **runner) -> object:
    """A run whose OCR cache (Prefect's result storage) is its own, so that neither run reuses
    the other's pages."""
    from prefect.settings import PREFECT_LOCAL_STORAGE_PATH, temporary_settings

    with temporary_settings(updates={PREFECT_LOCAL_STORAGE_PATH: db.parent / "results"}):
        return run_collection(str(folder), str(db), **runner)


def _content(db: Path) -> dict:
    """The tables' content without run ids, witness ids (which name the run) and times."""
    con = duckdb.connect(str(db), read_only=True)
    q = lambda sql: sorted(con.execute(sql).fetchall(), key=repr)  # noqa: E731
    try:
        return {
            "sources": q("SELECT path, kind, sha256, bytes, status, error, settings_hash, "
                         "page_count FROM sources"),
            "pages": q("SELECT page_id, source_id, page_index, width, height, dpi, document_id, "
                       "page_number, text, mean_conf, image_hash, preprocessing::VARCHAR "
                       "FROM pages"),
            "witnesses": q("SELECT kind, page_id, source_id, text, mean_conf, raw_text "
                           "FROM witnesses"),
            "words": q('SELECT x.kind, x.page_id, w.block, w.par, w.line, w.word, w.text, '
                       'w.conf, w."left", w.top, w.width, w.height '
                       "FROM words w JOIN witnesses x USING (witness_id)"),
            "lines": q("SELECT x.kind, x.source_id, x.page_id, l.line_no, l.par_no, l.text, "
                       "l.char_start, l.char_end FROM lines l JOIN witnesses x USING "
                       "(witness_id)"),
            "documents": q('SELECT * EXCLUDE (witness_ids) FROM documents'),
            "segments": q("SELECT * EXCLUDE (witness_id) FROM segments"),
            "entities": q("SELECT * FROM entities"),
            "page_groups": q("SELECT * FROM page_groups"),
            "alignments": q("SELECT x.kind, x.source_id, a.* EXCLUDE (witness_id) "
                            "FROM alignments a JOIN witnesses x USING (witness_id)"),
            "passage_groups": q("SELECT x.kind, x.source_id, x.page_id, g.* EXCLUDE (witness_id) "
                                "FROM passage_groups g JOIN witnesses x USING (witness_id)"),
            "variants": q("SELECT variant_id, document_id, page_id, position, chosen, margin "
                          "FROM variants"),
            "failures": q("SELECT path, page_index, stage, error FROM failures"),
        }
    finally:
        con.close()


def _worker_facts() -> dict:
    """Runs in a Dask worker: what it ran and what it started."""
    started_servers = None
    server = sys.modules.get("prefect.server.api.server")
    if server is not None:
        started_servers = [port for port, s in server.SubprocessASGIServer._instances.items()
                           if s.server_process is not None]
    return {"ran_ocr_task": "tasks.ocr" in sys.modules,
            "omp_thread_limit": os.environ.get("OMP_THREAD_LIMIT"),
            "prefect_servers_started": started_servers or []}


def _ocr_task_runs(folder: Path) -> dict[str, tuple[str, str]]:
    """{task run id: (name, state name)} of the OCR task runs the API holds for folder."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import TaskRunFilter, TaskRunFilterName

    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(task_run_filter=TaskRunFilter(
            name=TaskRunFilterName(like_=f"ocr {folder}")))
    return {str(r.id): (r.name, r.state.name) for r in runs}


def _new_task_runs(before: dict, after: dict) -> list[tuple[str, str]]:
    return sorted(v for k, v in after.items() if k not in before)


@pytest.fixture(scope="module")
def runs(cluster, drop: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The same folder run on the Dask cluster and on threads, each with its own OCR cache."""
    root = tmp_path_factory.mktemp("runs")
    before = _ocr_task_runs(drop)
    started = time.monotonic()
    on_dask = _run_with_own_cache(drop, root / "dask" / "archive.duckdb", runner="dask",
                                  address=cluster.scheduler_address)
    dask_s = time.monotonic() - started
    task_runs = _new_task_runs(before, _ocr_task_runs(drop))
    started = time.monotonic()
    on_threads = _run_with_own_cache(drop, root / "threads" / "archive.duckdb",
                                     runner="threads", workers=2)
    print(f"dask {dask_s:.1f} s, threads {time.monotonic() - started:.1f} s")
    return {"dask_db": root / "dask" / "archive.duckdb", "dask": on_dask,
            "threads_db": root / "threads" / "archive.duckdb", "threads": on_threads,
            "dask_task_runs": task_runs}


def test_dask_workers_store_the_same_tables_as_the_thread_runner(runs):
    on_dask, on_threads = runs["dask"], runs["threads"]
    assert on_dask.failed == [] and len(on_dask.new) == 3
    assert (on_dask.pages, on_dask.words, on_dask.documents) == (
        on_threads.pages, on_threads.words, on_threads.documents)
    dask_tables, thread_tables = _content(runs["dask_db"]), _content(runs["threads_db"])
    assert len(dask_tables["pages"]) == 2 and dask_tables["words"] and dask_tables["documents"]
    for table in thread_tables:
        assert dask_tables[table] == thread_tables[table], table


def test_pages_run_in_the_workers_and_report_to_the_flows_prefect_api(runs, cluster):
    from distributed import Client

    # Each page's task run is in this process's API, OCR'd (not taken from a cache), and its
    # result persisted in the run's result storage, which is the OCR cache.
    assert [state for _, state in runs["dask_task_runs"]] == ["Completed", "Completed"]
    assert len(list((runs["dask_db"].parent / "results").glob("ocr-*"))) == 2
    with Client(cluster.scheduler_address, set_as_default=False) as client:
        facts = client.run(_worker_facts)
    assert any(f["ran_ocr_task"] for f in facts.values())
    assert all(f["omp_thread_limit"] == "1" for f in facts.values() if f["ran_ocr_task"])
    assert all(f["prefect_servers_started"] == [] for f in facts.values())


def _events_api_urls() -> list[str]:
    """Runs in a Dask worker: the APIs its Prefect events services send to."""
    from prefect.events.worker import EventsWorker

    return sorted(getattr(getattr(s, "_client", None), "_api_url", "?")
                  for s in list(EventsWorker._instances.values())
                  if isinstance(s, EventsWorker) and not s._stopped)


def test_a_later_run_with_another_api_gets_cached_pages_and_its_task_runs(runs, cluster,
                                                                          drop: Path):
    """A new database beside the first shares its OCR cache: every page is a cache hit. The
    run talks to the API by another name (as a run with its own temporary server would): the
    workers' task runs must go to it, not to the API of the run they served before."""
    from distributed import Client
    from prefect.settings import PREFECT_API_URL, temporary_settings
    from prefect.server.api.server import SubprocessASGIServer

    other_name = SubprocessASGIServer().api_url.replace("127.0.0.1", "localhost")
    before = _ocr_task_runs(drop)
    with temporary_settings(updates={PREFECT_API_URL: other_name}):
        again = _run_with_own_cache(drop, runs["dask_db"].parent / "again.duckdb",
                                    runner="dask", address=cluster.scheduler_address)
    assert [state for _, state in _new_task_runs(before, _ocr_task_runs(drop))] == [
        "Cached", "Cached"]
    assert (again.pages, again.words, again.documents) == (
        runs["dask"].pages, runs["dask"].words, runs["dask"].documents)
    with Client(cluster.scheduler_address, set_as_default=False) as client:
        urls = client.run(_events_api_urls)
    assert {u for worker_urls in urls.values() for u in worker_urls} == {other_name}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_scheduler_is_named_in_a_quick_error(drop: Path, tmp_path: Path):
    address = f"tcp://127.0.0.1:{_free_port()}"
    db = tmp_path / "archive.duckdb"
    started = time.monotonic()
    with pytest.raises(ArchivistError, match=f"cannot reach the Dask scheduler at {address}"):
        run_collection(str(drop), str(db), runner="dask", address=address)
    assert time.monotonic() - started < 15
    assert not db.exists()  # checked before the database is opened


def test_the_cli_reports_an_unreachable_scheduler_with_exit_status_3(drop: Path, tmp_path: Path):
    address = f"tcp://127.0.0.1:{_free_port()}"
    result = CliRunner().invoke(app, ["run", str(drop), "--db", str(tmp_path / "a.duckdb"),
                                      "--runner", "dask", "--address", address])
    assert result.exit_code == 3
    assert f"cannot reach the Dask scheduler at {address}" in result.output


@pytest.mark.parametrize("args, message", [
    (["--runner", "gpu"], "use threads or dask"),
    (["--address", "tcp://127.0.0.1:8786"], "--address is for --runner dask"),
])
def test_runner_options_are_checked_before_anything_runs(drop: Path, tmp_path: Path, args,
                                                         message):
    db = tmp_path / "a.duckdb"
    result = CliRunner().invoke(app, ["run", str(drop), "--db", str(db), *args])
    assert result.exit_code == 2 and message in result.output
    assert not db.exists()


def test_run_collection_refuses_an_unknown_runner(drop: Path, tmp_path: Path):
    with pytest.raises(UsageError, match="unknown runner 'gpu'"):
        run_collection(str(drop), str(tmp_path / "a.duckdb"), runner="gpu")


def test_a_page_that_fails_in_a_worker_gets_a_failure_row(cluster, drop: Path,
                                                          tmp_path: Path):
    folder = tmp_path / "bad"
    folder.mkdir()
    scan = synth.make_collection(tmp_path / "scan", 1, seed=4, lines_per_page=4,
                                 formats=("jpg",))[0]
    (folder / "truncated.jpg").write_bytes(scan.read_bytes()[:3000])  # opens, cannot decode
    db = tmp_path / "archive.duckdb"
    summary = _run_with_own_cache(folder, db, runner="dask", address=cluster.scheduler_address)
    assert [Path(p).name for p in summary.failed] == ["truncated.jpg"]
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("SELECT page_index FROM failures").fetchall() == [(0,)]
    finally:
        con.close()


def test_workers_that_cannot_reach_the_prefect_api_are_named_before_the_run(cluster, drop: Path,
                                                                         tmp_path: Path):
    from prefect.settings import PREFECT_API_URL, temporary_settings

    db = tmp_path / "archive.duckdb"
    with temporary_settings(updates={PREFECT_API_URL: f"http://127.0.0.1:{_free_port()}/api"}):
        with pytest.raises(ArchivistError, match=r"on Dask workers tcp://\S+, tcp://\S+: no "
                                                 r"connection to the Prefect API at 127\.0\.0\.1"):
            run_collection(str(drop), str(db), runner="dask", address=cluster.scheduler_address)
    assert not db.exists()
