"""Re-OCR as a new run: earlier witnesses stay, fusion is recomputed, runs can be compared."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from archivist.errors import UsageError
from archivist.reocr import reocr_settings, select_pages, word_changes
from conftest import REPO_SEED, query_db


def _archivist(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    return subprocess.run([sys.executable, "-m", "archivist", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


# -- pure logic ---------------------------------------------------------------------------

def test_word_changes_lists_each_changed_stretch_in_order():
    assert word_changes("the war was resumed at once", "the war was renewed at one") == [
        ("resumed", "renewed"), ("once", "one")]
    assert word_changes("a b c", "a b c") == []
    assert word_changes("a b", "a x y b") == [("", "x y")]


def test_reocr_settings_change_only_model_and_recipe():
    best = reocr_settings("best", "raw")
    assert best.ocr.model == "best" and best.preprocess.binarize == "none"
    assert best.ocr.psm == reocr_settings().ocr.psm
    assert reocr_settings().fingerprint("5") != best.fingerprint("5")


@pytest.mark.parametrize("model, recipe", [("huge", None), ("fast", "nosuch")])
def test_unknown_model_or_recipe_is_a_usage_error(model: str, recipe: str | None):
    with pytest.raises(UsageError, match="choose one of"):
        reocr_settings(model, recipe)


def test_select_pages_refuses_statements_and_names_a_bad_predicate(tmp_path: Path):
    from archivist.store import Store

    db = tmp_path / "a.duckdb"
    Store(db).close()
    with pytest.raises(UsageError, match="no ';'"):
        select_pages(db, "true; DROP TABLE pages")
    with pytest.raises(UsageError, match="not a predicate over pages"):
        select_pages(db, "DROP TABLE pages")
    with pytest.raises(UsageError, match="nosuchcolumn"):
        select_pages(db, "nosuchcolumn > 1")
    assert query_db(db, "SELECT count(*) FROM pages") == [(0,)]


# -- the real thing: Tesseract, DuckDB, Prefect ---------------------------------------------

@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`archivist run` on the seed transcription and the sample's worn carbon of page 4."""
    from archivist import synth

    root = tmp_path_factory.mktemp("reocr")
    raw = root / "raw"
    raw.mkdir()
    shutil.copy(REPO_SEED, raw)
    synth.write_sample(root / "sample")
    shutil.copy(root / "sample" / "halifax_carbon_p4.jpg", raw)
    result = _archivist("run", "raw", "--db", "out/a.duckdb", cwd=root)
    assert result.returncode == 0, result.stderr
    return root


@pytest.mark.integration
def test_reocr_adds_a_run_and_keeps_the_earlier_witnesses(corpus: Path):
    db = corpus / "out" / "a.duckdb"
    before = query_db(db, "SELECT witness_id, text FROM witnesses WHERE kind = 'ocr'")
    assert len(before) == 1
    low = query_db(db, "SELECT count(*) FROM pages WHERE mean_conf < 90")[0][0]
    assert low == 1, "the sample's worn carbon should read below 90 mean confidence"

    result = _archivist("reocr", "--where", "mean_conf < 90", "--model", "best", "--db",
                        "out/a.duckdb", cwd=corpus)
    assert result.returncode == 0, result.stderr
    assert "1 read again, 0 failed" in result.stdout
    (new_conf,) = query_db(db, "SELECT w.mean_conf FROM witnesses w JOIN ocr_runs r "
                               "USING (run_id) WHERE w.kind = 'ocr' AND r.config->>'purpose' = "
                               "'reocr'")[0]
    assert f"{round(new_conf, 1)} in this run" in result.stdout  # its text, not stamps or passes

    runs = query_db(db, "SELECT run_id, model, config->>'purpose' FROM ocr_runs "
                        "ORDER BY started_at")
    assert [r[2] for r in runs] == ["run", "reocr"] and "best" in runs[1][1]
    after = query_db(db, f"SELECT witness_id, text, run_id FROM witnesses WHERE kind = 'ocr' "
                         f"ORDER BY (run_id = '{runs[1][0]}')")
    assert [(w, t) for w, t, _ in after[:1]] == before  # the earlier reading is untouched
    new_witness = after[1][0]
    assert query_db(db, f"SELECT count(*) FROM words WHERE witness_id = '{new_witness}'")[0][0]
    # fusion was recomputed with the new witness among the page's copies
    assert query_db(db, f"SELECT count(*) FROM passage_groups WHERE witness_id = "
                        f"'{new_witness}'")[0][0] == 1
    assert query_db(db, "SELECT sources_fingerprint FROM derived_state")

    listed = _archivist("runs", "--db", "out/a.duckdb", cwd=corpus)
    assert listed.returncode == 0 and runs[0][0] in listed.stdout and "reocr" in listed.stdout

    diff = _archivist("diff", runs[0][0], runs[1][0], "--db", "out/a.duckdb", cwd=corpus)
    assert diff.returncode == 0, diff.stderr
    assert "halifax_carbon_p4.jpg p1" in diff.stdout and "1 pages read in both runs" in diff.stdout

    again = _archivist("run", "raw", "--db", "out/a.duckdb", cwd=corpus)
    assert again.returncode == 0 and "0 new, 2 unchanged" in again.stdout
    assert query_db(db, "SELECT count(*) FROM witnesses WHERE kind = 'ocr'") == [(2,)]


@pytest.mark.integration
def test_reocr_of_a_page_whose_file_changed_records_a_failure(corpus: Path, tmp_path: Path):
    work = tmp_path / "w"
    shutil.copytree(corpus, work, ignore=shutil.ignore_patterns(".prefect"))
    (work / "raw" / "halifax_carbon_p4.jpg").write_bytes(b"not the scanned page any more")
    result = _archivist("reocr", "--where", "true", "--db", "out/a.duckdb", cwd=work)
    assert result.returncode == 1  # nothing could be read again
    assert "changed since it was processed" in result.stdout
    rows = query_db(work / "out" / "a.duckdb",
                    "SELECT path, stage, error FROM failures WHERE stage = 'reocr'")
    assert len(rows) == 1 and rows[0][0].endswith("halifax_carbon_p4.jpg")


@pytest.mark.integration
def test_reocr_and_diff_name_what_is_wrong(corpus: Path):
    nothing = _archivist("reocr", "--where", "mean_conf > 100", "--db", "out/a.duckdb",
                         cwd=corpus)
    assert nothing.returncode == 1 and "nothing to do" in nothing.stdout
    bad = _archivist("diff", "rnope", "rnope2", "--db", "out/a.duckdb", cwd=corpus)
    assert bad.returncode == 2 and "no run 'rnope'" in bad.stderr
    missing = _archivist("runs", "--db", "out/none.duckdb", cwd=corpus)
    assert missing.returncode == 2 and "no such database" in missing.stderr
