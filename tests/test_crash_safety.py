"""A machine that dies mid-run loses nothing: `archivist run` killed with SIGKILL at random
moments, then run again, leaves the same database as one clean run."""

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from archivist import synth
from flows.process_collection import run_collection

pytestmark = pytest.mark.integration

TRIALS = 10


def _start(folder: Path, db: Path, api_url: str | None = None) -> subprocess.Popen:
    """A run in its own process group, so that killing the group kills everything it started,
    as a power cut would. With `api_url` it talks to that Prefect server instead of starting
    its own (which saves the start-up, so kills land in the work)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    if api_url:
        env["PREFECT_API_URL"] = api_url
    return subprocess.Popen([sys.executable, "-m", "archivist", "run", str(folder), "--db",
                             str(db), "--workers", "2"], env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _run(folder: Path, db: Path, api_url: str | None = None) -> float:
    started = time.monotonic()
    assert _start(folder, db, api_url).wait(timeout=600) == 0
    return time.monotonic() - started


@pytest.fixture(scope="module")
def api_url() -> str:
    """The address of this test process's own temporary Prefect server."""
    from prefect.client.orchestration import get_client
    from prefect.server.api.server import SubprocessASGIServer

    with get_client(sync_client=True) as client:
        client.hello()
    return SubprocessASGIServer().api_url


def _state(db: Path) -> dict:
    """What must be equal after a crash and a rerun: every table's content without run ids and
    timestamps, and no orphans."""
    con = duckdb.connect(str(db), read_only=True)
    q = lambda sql: sorted(con.execute(sql).fetchall())  # noqa: E731
    try:
        state = {
            "sources": q("SELECT path, kind, sha256, status FROM sources"),
            "pages": q("SELECT page_id, text, document_id, page_number, mean_conf FROM pages"),
            "witnesses": q("SELECT kind, page_id, source_id, text FROM witnesses"),
            "words": q("SELECT x.page_id, w.block, w.par, w.line, w.word, w.text, w.conf "
                       "FROM words w JOIN witnesses x USING (witness_id)"),
            "documents": q("SELECT document_id, doc_date, sender, text FROM documents"),
            "segments": q("SELECT segment_id, kind, text FROM segments"),
            "variants": q("SELECT variant_id, chosen FROM variants"),
            "failures": q("SELECT path, page_index, stage, error FROM failures"),
        }
        state["orphans"] = q("""
            SELECT 'word', witness_id FROM words WHERE witness_id NOT IN (SELECT witness_id FROM witnesses)
            UNION ALL SELECT 'line', witness_id FROM lines WHERE witness_id NOT IN (SELECT witness_id FROM witnesses)
            UNION ALL SELECT 'witness', witness_id FROM witnesses WHERE source_id NOT IN (SELECT source_id FROM sources)
            UNION ALL SELECT 'page', page_id FROM pages WHERE source_id NOT IN (SELECT source_id FROM sources)
            UNION ALL SELECT 'run', witness_id FROM witnesses WHERE run_id IS NOT NULL AND run_id NOT IN (SELECT run_id FROM ocr_runs)
            UNION ALL SELECT 'segment', segment_id FROM segments WHERE document_id NOT IN (SELECT document_id FROM documents)""")
        state["duplicate_witnesses"] = q("""
            SELECT page_id, count(*) FROM witnesses WHERE kind = 'ocr' GROUP BY page_id HAVING count(*) > 1""")
        return state
    finally:
        con.close()


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("drop")
    shutil.copy(Path(__file__).resolve().parents[1] / "data" / "raw" /
                "halifax_to_welles_1941-12-23.txt", root)
    synth.make_collection(root / "scans", 6, seed=21, lines_per_page=14)
    (root / "scans" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not an image")
    return root


def test_killed_runs_then_a_rerun_equal_one_clean_run(folder: Path, tmp_path: Path,
                                                     api_url: str):
    clean_db = tmp_path / "clean.duckdb"
    _run(folder, clean_db)  # a run exactly as a user starts it
    duration = _run(folder, tmp_path / "timing.duckdb", api_url)
    expected = _state(clean_db)
    assert expected["orphans"] == [] and expected["duplicate_witnesses"] == []
    rng = random.Random(8)
    for trial in range(TRIALS):
        db = tmp_path / f"crash{trial}.duckdb"
        for _ in range(2 if trial % 3 == 0 else 1):  # sometimes die twice in a row
            run = _start(folder, db, api_url)
            time.sleep(rng.uniform(0.1, 1.0) * duration)
            os.killpg(run.pid, signal.SIGKILL)
            run.wait()
        run_collection(str(folder), str(db), workers=2)  # the rerun, in this process
        assert _state(db) == expected, f"trial {trial}"
