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


def test_eval_scores_archivist_and_raw_tesseract_side_by_side(tmp_path: Path):
    from archivist import synth

    synth.make_collection(tmp_path / "pages", 1, seed=3, gt_dir=tmp_path / "pages",
                          lines_per_page=12)
    result = _archivist("eval", str(tmp_path / "pages"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "page_00001" in result.stdout and "archivist / raw: CER" in result.stdout


def test_eval_without_ground_truth_is_a_usage_error(tmp_path: Path):
    result = _archivist("eval", str(tmp_path), cwd=tmp_path)
    assert result.returncode == 2 and "gt.txt" in result.stderr


@pytest.fixture(scope="module")
def seed_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A corpus made by `archivist run` from the seed transcription alone."""
    root = tmp_path_factory.mktemp("seed_corpus")
    shutil.copy(Path(__file__).resolve().parents[1] / "data" / "raw" /
                "halifax_to_welles_1941-12-23.txt", root)
    assert _archivist("run", str(root), "--db", "out/a.duckdb", cwd=root).returncode == 0
    return root


def test_export_cmif_writes_the_letters_of_a_corpus(seed_corpus: Path):
    import xml.etree.ElementTree as ET

    result = _archivist("export", "cmif", "letters.xml", "--db", "out/a.duckdb", cwd=seed_corpus)
    assert result.returncode == 0, result.stderr
    ns = {"tei": "http://www.tei-c.org/ns/1.0"}
    root = ET.parse(seed_corpus / "letters.xml").getroot()
    (sent,) = root.findall(".//tei:correspAction[@type='sent']", ns)
    assert sent.find("tei:date", ns).get("when") == "1941-12-23"


def test_query_prints_rows_and_refuses_to_change_the_database(seed_corpus: Path):
    result = _archivist("query", "SELECT doc_date, sender FROM documents", "--db",
                        "out/a.duckdb", cwd=seed_corpus)
    assert result.returncode == 0 and "1941-12-23" in result.stdout
    refused = _archivist("query", "DROP TABLE pages", "--db", "out/a.duckdb", cwd=seed_corpus)
    assert refused.returncode == 2 and "read-only" in refused.stderr
    still = _archivist("query", "SELECT count(*) AS n FROM pages", "--db", "out/a.duckdb",
                       cwd=seed_corpus)
    assert still.returncode == 0


def test_search_ranks_the_letter_that_holds_the_words(seed_corpus: Path):
    result = _archivist("search", "Stalin Japan", "--db", "out/a.duckdb", cwd=seed_corpus)
    assert result.returncode == 0 and "1941-12-23" in result.stdout
