"""Prefect settings for a run with no server to set up.

Must run before `prefect` is imported: Prefect reads its settings at import. State (the
temporary server's database, cached OCR results) is kept under the data folder so that a project
directory is self-contained and `rm -r data/processed` starts afresh.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator


def configure(state_dir: Path | str, *, verbose: bool = False) -> None:
    home = Path(state_dir).resolve()
    home.mkdir(parents=True, exist_ok=True)
    defaults = {
        "PREFECT_HOME": str(home),
        "PREFECT_LOCAL_STORAGE_PATH": str(home / "storage"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
        "PREFECT_LOGGING_LEVEL": "INFO" if verbose else "CRITICAL",
        "PREFECT_LOGGING_TO_API_ENABLED": "false",
    }
    for key, value in defaults.items():
        os.environ.setdefault(key, value)
    if verbose:
        os.environ["PREFECT_LOGGING_LEVEL"] = "INFO"


@contextmanager
def prefect_api(state_dir: Path | str, *, verbose: bool = False) -> Iterator[Callable[[], None]]:
    """Prefect set up for one command; yields `ready`, to call just before the first flow.

    The API is the server named by PREFECT_API_URL in the environment (a server of the
    user's, e.g. the one their deployments use) or else a temporary one, launched now so that
    it comes up while the caller imports Prefect and the flows (archivist/prefect_server.py),
    and stopped when the block ends.
    """
    configure(state_dir, verbose=verbose)
    if os.environ.get("PREFECT_API_URL"):
        yield lambda: None
        return
    from archivist.prefect_server import TemporaryServer

    with TemporaryServer(Path(os.environ["PREFECT_HOME"])).start() as server:
        from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

        # Heartbeats let a lasting server mark a flow run crashed when they stop; a temporary
        # server dies with this process, so no one would notice, and each flow run paid for
        # them at its end (Prefect joins the heartbeat thread, which sleeps in 1 s steps: 0.5 s
        # on average). A user's server (PREFECT_API_URL, above) keeps them.
        with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
            yield server.wait_ready
