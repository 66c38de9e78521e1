"""Prefect's temporary API server, started by us as a command begins instead of by Prefect when
the flow first calls its API.

With no PREFECT_API_URL, Prefect starts a temporary server itself, but late and serially: it
imports its whole server package into our process (2 s of CPU), only then launches the server
process, which imports it again and (in a fresh Prefect home) migrates its database, and waits.
Launching the same server process first lets it come up while this process imports archivist,
Prefect and the flows on the other core: a one-shot `archivist run` starts working ~3 s sooner
(bench/pipeline_cost.py prints the start-up). The server is launched exactly as Prefect's own
`SubprocessASGIServer` launches it (uvicorn, `create_app` in ephemeral mode: the task-run
recorder and event services on, UI and schedulers off), so the run's history is the same.
Once this Prefect release has brought the home's database up to date, later servers skip the
check of its migrations (`_database_is_current`).

The server dies with us: it is stopped on exit and, on Linux, killed by the kernel if this
process is killed outright (no orphan server holding a port and the Prefect database).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from importlib.metadata import version
from pathlib import Path

from archivist.errors import ArchivistError

# Prefect's own variables for the server it starts (prefect/server/api/server.py).
EPHEMERAL_SERVER_ENV = {
    "PREFECT_UI_ENABLED": "0",
    "PREFECT__SERVER_EPHEMERAL": "1",
    "PREFECT__SERVER_FINAL": "1",
}
PORT_IN_USE_EXIT = 3  # uvicorn's exit status when it cannot bind
DATABASE = "prefect.db"  # the server's SQLite file in the Prefect home, unless a URL says else


class PrefectServerError(ArchivistError):
    """The temporary Prefect server did not come up: its log says why."""


class TemporaryServer:
    """A Prefect API server on a free loopback port, for as long as this process needs it."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.log_path = home / "temporary-server.log"
        self.port = 0
        self.process: subprocess.Popen | None = None

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def start(self) -> TemporaryServer:
        """Launch the server and point this process's Prefect settings at it; returns at once."""
        self.port = _free_port()
        env = os.environ | EPHEMERAL_SERVER_ENV
        if self._database_is_current():
            env.setdefault("PREFECT_API_DATABASE_MIGRATE_ON_START", "false")
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "--factory",
                 "prefect.server.api.server:create_app", "--host", "127.0.0.1",
                 "--port", str(self.port), "--log-level", "error", "--lifespan", "on"],
                env=env, stdin=subprocess.DEVNULL,
                stdout=log, stderr=log, preexec_fn=_die_with_parent)
        os.environ["PREFECT_API_URL"] = self.api_url
        return self

    def wait_ready(self, timeout: float = 120.0) -> None:
        """Block until the API answers; restart once on a port taken meanwhile."""
        deadline = time.monotonic() + timeout
        restarted = False
        while time.monotonic() < deadline:
            assert self.process is not None, "start() first"
            code = self.process.poll()
            if code == PORT_IN_USE_EXIT and not restarted:
                restarted = True
                self.start()
                continue
            if code is not None:
                raise PrefectServerError(f"the temporary Prefect server exited with status "
                                         f"{code}: {self._log_tail()} (log: {self.log_path})")
            if _healthy(self.api_url):
                self._migrated_stamp().touch()
                return
            time.sleep(0.05)
        self.stop()
        raise PrefectServerError(f"the temporary Prefect server did not answer within "
                                 f"{timeout:g} s (log: {self.log_path})")

    def stop(self) -> None:
        """End the server (gracefully, then by force) and forget its address."""
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None
        if os.environ.get("PREFECT_API_URL") == self.api_url:
            del os.environ["PREFECT_API_URL"]

    def __enter__(self) -> TemporaryServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _migrated_stamp(self) -> Path:
        return self.home / f".migrated-by-prefect-{version('prefect')}"

    def _database_is_current(self) -> bool:
        """The server's database was brought up to date by this Prefect release already: its
        check of the migrations (0.3-0.4 s of the server's ~3 s start-up) can be skipped. A
        release that differs, a database moved elsewhere or deleted: the check runs."""
        return ("PREFECT_API_DATABASE_CONNECTION_URL" not in os.environ
                and (self.home / DATABASE).is_file() and self._migrated_stamp().is_file())

    def _log_tail(self, lines: int = 3) -> str:
        try:
            text = self.log_path.read_text(errors="replace").strip()
        except OSError:
            return "(no log)"
        return " | ".join(line.strip() for line in text.splitlines()[-lines:]) or "(empty log)"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(api_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def _die_with_parent() -> None:
    """In the child before exec: the kernel sends SIGTERM when our process ends, however."""
    if sys.platform.startswith("linux"):
        import ctypes

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
