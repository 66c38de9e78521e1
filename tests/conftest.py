"""Shared fixtures. Prefect is pointed at a throw-away home before anything imports it."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from archivist import prefect_env

_PREFECT_HOME = Path(tempfile.mkdtemp(prefix="archivist-prefect-"))
prefect_env.configure(_PREFECT_HOME)

SHARED = Path(__file__).resolve().parents[2] / "shared"
SEED = SHARED / "seed" / "halifax_to_welles_1941-12-23.txt"
REPO = Path(__file__).resolve().parents[1]
REPO_SEED = REPO / "data" / "raw" / "halifax_to_welles_1941-12-23.txt"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    shutil.rmtree(_PREFECT_HOME, ignore_errors=True)


@pytest.fixture
def seed_text_path() -> Path:
    """The seed transcription as shipped in data/raw (a copy of ../shared/seed)."""
    return REPO_SEED


@pytest.fixture(scope="session")
def sample_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample drop folder: the seed transcription plus generated ribbon and carbon scans."""
    from archivist import synth

    root = tmp_path_factory.mktemp("raw")
    shutil.copy(REPO_SEED, root / REPO_SEED.name)
    synth.write_sample(root / "synthetic")
    return root


def query_db(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    """Rows of one query on a finished run's database, read-only, the connection closed."""
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def requires_shared(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} is not here (a user's clone has no ../shared test material)")
    return path


# A US telegram as received (form head, grading, addressee, text in capitals, signature):
# read by test_structure for its parts and by test_metadata for its fields.
TELEGRAM_FORM = """
TELEGRAM RECEIVED

SECRET

FROM  Ankara

Dated 1943 MAY 4

Rec'd 9:40 a.m.

Secretary of State,
Washington.

THE MINISTER HAS AGREED TO THE PROPOSED TERMS STOP THE GOVERNMENT
RECEIVED THE NOTE OF THE FOREIGN OFFICE STOP WE
EXPECT A REPLY SHORTLY.

HALLORAN
"""
