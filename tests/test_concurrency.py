"""Two runs on one database: the second says so and changes nothing."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

pytestmark = pytest.mark.integration


def _archivist(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    return subprocess.run([sys.executable, "-m", "archivist", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


def test_a_run_while_another_process_writes_exits_with_a_clear_message(tmp_path: Path):
    shutil.copy(Path(__file__).resolve().parents[1] / "data" / "raw" /
                "halifax_to_welles_1941-12-23.txt", tmp_path)
    assert _archivist("run", ".", "--db", "a.duckdb", cwd=tmp_path).returncode == 0
    (tmp_path / "more.md").write_text("A second transcription, typed later.\n")
    writer = duckdb.connect(str(tmp_path / "a.duckdb"))  # another writer holds the file
    try:
        blocked = _archivist("run", ".", "--db", "a.duckdb", cwd=tmp_path)
    finally:
        writer.close()
    assert blocked.returncode == 3
    assert "a.duckdb" in blocked.stderr and "another" in blocked.stderr
    assert "Traceback" not in blocked.stderr + blocked.stdout
    after = _archivist("run", ".", "--db", "a.duckdb", cwd=tmp_path)
    assert after.returncode == 0 and "1 new, 1 unchanged" in after.stdout
