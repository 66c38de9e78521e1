"""The temporary Prefect server archivist starts for a command: real server processes."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from archivist.prefect_server import PrefectServerError, TemporaryServer, _healthy

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[1]


def _env_without_prefect(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    return env | {"PREFECT_HOME": str(home)} | extra


def _gone(pid: int, within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


def test_cli_run_records_its_flow_and_task_runs_on_the_temporary_server(tmp_path: Path):
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "letter.txt").write_text("Dear Sir,\n\nA short letter.\n\nYours, X\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    result = subprocess.run([sys.executable, "-m", "archivist", "run", "raw", "--db",
                             "out/a.duckdb"], cwd=tmp_path, env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr

    # The server ran in ephemeral mode, with the services that record task runs.
    with sqlite3.connect(tmp_path / "out" / ".prefect" / "prefect.db") as con:
        flows = con.execute("SELECT state_type FROM flow_run").fetchall()
        tasks = con.execute("SELECT count(*) FROM task_run WHERE state_type = 'COMPLETED'"
                            ).fetchone()[0]
        events = dict(con.execute("SELECT event, count(*) FROM events GROUP BY event"))
    assert flows == [("COMPLETED",)]
    assert tasks >= 2  # reading the transcription, assembling the corpus
    # No heartbeats: nothing outlives this server to watch them (archivist/prefect_env.py).
    assert events.get("prefect.flow-run.Completed") == 1
    assert "prefect.flow-run.heartbeat" not in events


def test_server_answers_then_stops_and_forgets_its_address(tmp_path: Path, monkeypatch):
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    server = TemporaryServer(tmp_path).start()
    try:
        assert os.environ["PREFECT_API_URL"] == server.api_url
        server.wait_ready(timeout=120)
        assert _healthy(server.api_url)
        process = server.process
    finally:
        server.stop()
    assert process.poll() is not None
    assert not _healthy(server.api_url)
    assert "PREFECT_API_URL" not in os.environ


def test_server_dies_with_a_killed_parent(tmp_path: Path):
    """`archivist run` killed outright (SIGKILL, the OOM killer) leaves no server behind."""
    script = ("import sys, time\n"
              "from archivist.prefect_server import TemporaryServer\n"
              "s = TemporaryServer(__import__('pathlib').Path(sys.argv[1])).start()\n"
              "s.wait_ready(120)\n"
              "print(s.process.pid, flush=True)\n"
              "time.sleep(600)\n")
    parent = subprocess.Popen([sys.executable, "-c", script, str(tmp_path)], cwd=REPO,
                              env=_env_without_prefect(tmp_path), stdout=subprocess.PIPE,
                              text=True)
    try:
        server_pid = int(parent.stdout.readline())
    finally:
        parent.send_signal(signal.SIGKILL)
        parent.wait()
    assert _gone(server_pid, within=15), "the server outlived its parent"


def test_server_that_cannot_start_is_an_error_naming_its_log(tmp_path: Path, monkeypatch):
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the database's folder should be")
    monkeypatch.setenv("PREFECT_API_DATABASE_CONNECTION_URL",
                       f"sqlite+aiosqlite:///{blocked}/prefect.db")
    server = TemporaryServer(tmp_path).start()
    try:
        with pytest.raises(PrefectServerError, match="temporary-server.log"):
            server.wait_ready(timeout=120)
    finally:
        server.stop()
    assert "PREFECT_API_URL" not in os.environ


def _server_env(server: TemporaryServer) -> dict[str, str]:
    raw = Path(f"/proc/{server.process.pid}/environ").read_bytes()
    return dict(item.split("=", 1) for item in raw.decode().split("\0") if "=" in item)


def _started(home: Path) -> TemporaryServer:
    server = TemporaryServer(home).start()
    server.wait_ready(timeout=120)
    return server


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_the_migration_check_is_skipped_only_on_a_database_this_prefect_brought_up_to_date(
        tmp_path: Path, monkeypatch):
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.delenv("PREFECT_API_DATABASE_MIGRATE_ON_START", raising=False)
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path))
    first = _started(tmp_path)  # a new home: the database is created and migrated
    try:
        assert "PREFECT_API_DATABASE_MIGRATE_ON_START" not in _server_env(first)
    finally:
        first.stop()

    second = _started(tmp_path)
    try:
        assert _server_env(second)["PREFECT_API_DATABASE_MIGRATE_ON_START"] == "false"
    finally:
        second.stop()

    (tmp_path / "prefect.db").unlink()  # gone: it must be created and migrated again
    third = _started(tmp_path)
    try:
        assert "PREFECT_API_DATABASE_MIGRATE_ON_START" not in _server_env(third)
        with sqlite3.connect(tmp_path / "prefect.db") as con:
            tables = {name for (name,) in con.execute("SELECT name FROM sqlite_master")}
        assert {"flow_run", "task_run", "events"} <= tables
    finally:
        third.stop()

    for stamp in tmp_path.glob(".migrated-by-prefect-*"):  # made by another Prefect release
        stamp.rename(tmp_path / ".migrated-by-prefect-0.0.1")
    fourth = _started(tmp_path)
    try:
        assert "PREFECT_API_DATABASE_MIGRATE_ON_START" not in _server_env(fourth)
    finally:
        fourth.stop()
