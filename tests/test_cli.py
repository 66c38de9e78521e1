"""`archivist run` as a user types it, in a subprocess."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration


def _archivist(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    return subprocess.run([sys.executable, "-m", "archivist", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


def test_run_then_rerun_reports_unchanged_without_noise(sample_dir: Path, tmp_path: Path):
    shutil.copytree(sample_dir, tmp_path / "data" / "raw")
    first = _archivist("run", "--workers", "2", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "3 new, 0 unchanged, 0 failed" in first.stdout
    assert "documents" in first.stdout
    for noise in ("Traceback", "ERROR", "Error"):
        assert noise not in first.stdout + first.stderr
    assert (tmp_path / "data" / "processed" / "archive.duckdb").exists()
    assert (tmp_path / "data" / "processed" / ".prefect").is_dir()  # state under the data folder

    again = _archivist("run", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "0 new, 3 unchanged, 0 failed" in again.stdout


def test_missing_input_is_a_usage_error(tmp_path: Path):
    result = _archivist("run", str(tmp_path / "nowhere"), cwd=tmp_path)
    assert result.returncode == 2
    assert "nowhere" in result.stderr and "Traceback" not in result.stderr


def test_nothing_processable_exits_non_zero_and_lists_the_file(tmp_path: Path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "bad.png").write_bytes(b"not a png")
    result = _archivist("run", "in", "--db", "out/a.duckdb", cwd=tmp_path)
    assert result.returncode == 1
    assert "bad.png" in result.stdout and "Traceback" not in result.stdout + result.stderr
