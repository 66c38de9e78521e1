"""The deployments of prefect.yaml, for real, as the README sets them up: `prefect server start` on
loopback, a process work pool, `prefect deploy --all`, `prefect worker start`, a run triggered
through the API with `prefect deployment run`, the flow run Completed, rows in DuckDB.

Everything Prefect keeps (server database, results) lives under tmp_path, the deployment is made
from a copy of the project in tmp_path, and the run's input and database are parameter overrides
into tmp_path: nothing is written into the repository. Server and worker run in process groups of
their own and are stopped (SIGTERM, then SIGKILL) whatever happens.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil
import pytest

from conftest import REPO, REPO_SEED, query_db

pytestmark = pytest.mark.integration

PREFECT = [sys.executable, "-m", "prefect"]
DEPLOYMENT = "process_collection/nightly"
STARTUP_TIMEOUT_S = 120
RUN_TIMEOUT_S = 240
GIVE_UP_STATES = {"FAILED", "CRASHED", "CANCELLED", "CANCELLING"}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _tail(path: Path, chars: int = 6000) -> str:
    text = path.read_text(errors="replace") if path.exists() else "(no log)"
    return text[-chars:]


class Background:
    """Long-running Prefect processes (server, worker), each in its own session and process
    group, their output in a log file."""

    def __init__(self, logs: Path):
        self.logs = logs
        self.started: list[tuple[str, subprocess.Popen, object]] = []

    def start(self, name: str, args: list[str], env: dict[str, str], cwd: Path
              ) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "wb")
        proc = subprocess.Popen(args, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
        self.started.append((name, proc, log))
        return proc

    def report(self) -> str:
        return "\n".join(f"----- {name} (exit {proc.poll()}) -----\n"
                         f"{_tail(self.logs / f'{name}.log')}"
                         for name, proc, _ in self.started)

    def stop_all(self, grace_s: float = 15.0) -> None:
        """Last started first (the worker before the server). The process worker starts each
        flow run in a session of its own, so descendants are collected before anything is
        signalled (an orphan would be re-parented out of reach) and signalled one by one."""
        procs = [proc for _, proc, _ in reversed(self.started)]
        descendants: list[psutil.Process] = []
        for proc in procs:
            try:
                descendants += psutil.Process(proc.pid).children(recursive=True)
            except psutil.NoSuchProcess:
                pass
        for sig in (signal.SIGTERM, signal.SIGKILL):
            for proc in procs:
                if proc.poll() is None:
                    _killpg(proc.pid, sig)
            for child in descendants:
                try:
                    child.send_signal(sig)
                except psutil.NoSuchProcess:
                    pass
            deadline = time.monotonic() + grace_s
            for proc in procs:
                try:
                    proc.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    pass
            _, descendants = psutil.wait_procs(descendants,
                                               timeout=max(0.1, deadline - time.monotonic()))
            if all(proc.poll() is not None for proc in procs) and not descendants:
                break
        for _, _, log in self.started:
            log.close()


def _killpg(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


@pytest.fixture
def background(tmp_path: Path):
    logs = tmp_path / "logs"
    logs.mkdir()
    processes = Background(logs)
    try:
        yield processes
    finally:
        processes.stop_all()


def _prefect_env(home: Path, port: int) -> dict[str, str]:
    """This process's environment without its Prefect settings (conftest points them at the
    in-process test setup), plus the settings of a real server on loopback."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update({
        "PREFECT_HOME": str(home),
        "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
        "PREFECT_SERVER_API_HOST": "127.0.0.1",
        "PREFECT_SERVER_API_PORT": str(port),
        "PREFECT_CLI_PROMPT": "false",              # no TTY in CI: never ask
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        # No scheduled runs of the nightly cron during the test (CI at 02:00 UTC would get one).
        "PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "false",
        "PREFECT_WORKER_QUERY_SECONDS": "1",
        "PREFECT_WORKER_PREFETCH_SECONDS": "2",
        "PREFECT_LOGGING_LEVEL": "INFO",
    })
    return env


def _cli(args: list[str], env: dict[str, str], cwd: Path, timeout: float = 240) -> str:
    done = subprocess.run([*PREFECT, *args], env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, (f"prefect {' '.join(args)} exited {done.returncode}\n"
                                  f"{done.stdout}\n{done.stderr}")
    return done.stdout


def _wait_healthy(api_url: str, server: subprocess.Popen, background: Background) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"prefect server exited with {server.returncode}\n{background.report()}")
        try:
            with urllib.request.urlopen(f"{api_url}/health", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    pytest.fail(f"no answer from {api_url}/health in {STARTUP_TIMEOUT_S} s\n"
                f"{background.report()}")


def _project_copy(root: Path) -> Path:
    """What `prefect deploy` needs from the project: prefect.yaml and the flow code. (The
    archivist package itself is installed in the venv.)"""
    root.mkdir()
    shutil.copy(REPO / "prefect.yaml", root / "prefect.yaml")
    for package in ("flows", "tasks"):
        shutil.copytree(REPO / package, root / package,
                        ignore=shutil.ignore_patterns("__pycache__"))
    return root


def _drop_folder(root: Path) -> Path:
    """The seed transcription and one generated scan (page 1 of the same letter)."""
    from archivist import synth

    root.mkdir()
    shutil.copy(REPO_SEED, root / REPO_SEED.name)
    page = synth.render_page(synth.halifax_letter()[0], seed=synth.SAMPLE_SEED + 1,
                             dpi=synth.SAMPLE_DPI, degradation=synth.Degradation.ribbon())
    page.save(root / "halifax_ribbon_p1.png", dpi=(synth.SAMPLE_DPI, synth.SAMPLE_DPI))
    return root


def _wait_for_run(client, flow_run_id, worker: subprocess.Popen):
    """The flow run once it is Completed, or has given up, or the worker has exited, or after
    RUN_TIMEOUT_S; and the seconds waited."""
    started = time.monotonic()
    while True:
        flow_run = client.read_flow_run(flow_run_id)
        state = flow_run.state_type.value if flow_run.state_type else None
        waited = time.monotonic() - started
        if (state == "COMPLETED" or state in GIVE_UP_STATES or worker.poll() is not None
                or waited > RUN_TIMEOUT_S):
            return flow_run, waited
        time.sleep(1)


def test_nightly_deployment_runs_on_a_worker_and_fills_duckdb(tmp_path: Path, background):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId
    from prefect.settings import PREFECT_API_URL, temporary_settings

    port = _free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    env = _prefect_env(tmp_path / "prefect-home", port)
    project = _project_copy(tmp_path / "project")
    drop = _drop_folder(tmp_path / "drop")
    db = tmp_path / "out" / "archive.duckdb"

    server = background.start("server", [*PREFECT, "server", "start"], env, tmp_path)
    _wait_healthy(api_url, server, background)
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30) as response:
        assert b"<html" in response.read().lower()  # the UI, where the README says it is
    _cli(["work-pool", "create", "archivist", "--type", "process"], env, tmp_path)
    worker = background.start("worker", [*PREFECT, "worker", "start", "--pool", "archivist",
                                         "--limit", "1", "--name", "archivist-test"],
                              env, project)
    _cli(["deploy", "--all"], env, project)
    _cli(["deployment", "run", DEPLOYMENT,
          "--param", f"input_dir={json.dumps(str(drop))}",
          "--param", f"db={json.dumps(str(db))}"], env, project)

    with temporary_settings({PREFECT_API_URL: api_url}), get_client(sync_client=True) as client:
        deployments = {f"{client.read_flow(d.flow_id).name}/{d.name}": d
                       for d in client.read_deployments()}
        (flow_run,) = client.read_flow_runs(deployment_filter=DeploymentFilter(
            id=DeploymentFilterId(any_=[deployments[DEPLOYMENT].id])))
        flow_run, waited_s = _wait_for_run(client, flow_run.id, worker)

    state = flow_run.state_type.value if flow_run.state_type else None
    assert state == "COMPLETED", (
        f"flow run {flow_run.name} is {flow_run.state_name} after {waited_s:.0f} s; worker "
        f"exit {worker.poll()}; {flow_run.state.message if flow_run.state else ''}\n"
        f"{background.report()}")

    # The deployments are the ones prefect.yaml declares, made in the project copy...
    assert sorted(deployments) == ["process_collection/nightly", "reocr_pages/reocr_pages"]
    deployment = deployments[DEPLOYMENT]
    assert deployment.work_pool_name == "archivist"
    assert deployment.parameters == {"input_dir": "data/raw",
                                     "db": "data/processed/archive.duckdb", "workers": 2}
    assert [(s.schedule.cron, s.schedule.timezone) for s in deployment.schedules] \
        == [("0 2 * * *", "UTC")]
    assert deployment.pull_steps == [{"prefect.deployments.steps.set_working_directory": {
        "directory": str(project.resolve())}}]
    reocr = deployments["reocr_pages/reocr_pages"]
    assert reocr.parameters == {"where": "mean_conf < 90", "db": "data/processed/archive.duckdb",
                                "model": "best", "recipe": None, "workers": 2}
    assert reocr.schedules == [] and reocr.work_pool_name == "archivist"
    # ...and the run used the overrides, not the defaults relative to the project.
    assert flow_run.parameters == {"input_dir": str(drop), "db": str(db), "workers": 2}
    assert not (project / "data").exists()

    assert query_db(db, "SELECT count(*), count(*) FILTER (status = 'done') FROM sources") \
        == [(2, 2)]
    assert query_db(db, "SELECT count(*) FROM pages") == [(1,)]
    assert query_db(db, "SELECT count(*) > 50 FROM words") == [(True,)]
    assert query_db(db, "SELECT count(*) >= 1 FROM documents") == [(True,)]
