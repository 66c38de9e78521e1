"""The whole flow, for real: Tesseract, a Prefect flow run, a DuckDB file."""

import datetime
import shutil
from pathlib import Path

import pytest

from flows.process_collection import run_collection
from conftest import query_db as _q

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def first_run(sample_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    db = tmp_path_factory.mktemp("db") / "archive.duckdb"
    summary = run_collection(str(sample_dir), str(db), workers=2)
    return db, summary



def test_sample_pages_are_stored_with_their_ocr_words(first_run):
    db, summary = first_run
    assert summary.failed == [] and len(summary.new) == 3
    assert _q(db, "SELECT count(*) FROM pages") == [(5,)]  # 4 ribbon pages + 1 carbon
    per_page = _q(db, "SELECT p.page_id, count(w.text), min(w.conf), max(w.conf) FROM pages p "
                      "JOIN witnesses x USING (page_id) JOIN words w USING (witness_id) "
                      "GROUP BY p.page_id")
    assert len(per_page) == 5
    assert all(n > 50 and 0 <= lo <= hi <= 100 for _, n, lo, hi in per_page)
    assert summary.pages == 5 and summary.words > 250


def test_seed_transcription_is_a_witness_with_its_lines(first_run):
    db, _ = first_run
    ((witness_id, text, raw),) = _q(db, "SELECT witness_id, text, raw_text FROM witnesses "
                                        "WHERE kind = 'transcription'")
    assert "awful banquet" in text and "actual bandage" in text
    assert "Honourable  \n" in raw  # the Markdown hard break is kept in the raw text
    assert _q(db, f"SELECT count(*) > 50 FROM lines WHERE witness_id = '{witness_id}'") == [(True,)]


def test_the_halifax_letter_is_a_document_dated_23_december_1941(first_run):
    db, _ = first_run
    rows = _q(db, "SELECT doc_date, classification, text FROM documents "
                  "WHERE doc_date = DATE '1941-12-23'")
    assert len(rows) == 1
    doc_date, classification, text = rows[0]
    assert doc_date == datetime.date(1941, 12, 23)
    assert classification == "SECRET"
    assert "Russian pre-war frontiers" in text


def test_ribbon_and_carbon_of_the_last_page_form_one_group(first_run):
    db, _ = first_run
    groups = _q(db, "SELECT g.group_id, list(s.path ORDER BY s.path), count(*), "
                    "sum(g.is_canonical::INT) FROM page_groups g JOIN pages p USING (page_id) "
                    "JOIN sources s USING (source_id) GROUP BY g.group_id HAVING count(*) > 1")
    assert len(groups) == 1
    _, paths, size, canonical = groups[0]
    assert size == 2 and canonical == 1
    assert any("carbon" in p for p in paths) and any("ribbon" in p for p in paths)


def test_the_loose_carbon_of_page_4_is_read_after_page_3_not_where_its_file_sorts(first_run):
    """halifax_carbon_p4.jpg sorts before halifax_ribbon.tif; its group stands where the ribbon
    copy's page 4 stands, so the letter reads pages 1-4 in order as one document."""
    db, _ = first_run
    scans = dict(_q(db, "SELECT p.page_id, if(s.path LIKE '%carbon%', 'carbon', "
                        "'ribbon ' || p.page_index) FROM pages p JOIN sources s USING (source_id) "
                        "WHERE s.path NOT LIKE '%.txt'"))
    assert len(scans) == 5
    assert len({r[0] for r in _q(db, "SELECT document_id FROM pages WHERE page_id IN "
                                     "(SELECT unnest(?))", [list(scans)])}) == 1
    read = [scans[r[0]] for r in _q(db, "SELECT page_id FROM segments WHERE page_id IN "
                                        "(SELECT unnest(?)) GROUP BY page_id ORDER BY min(seq)",
                                    [list(scans)])]
    assert read[:3] == ["ribbon 0", "ribbon 1", "ribbon 2"]
    assert read[3:] in (["ribbon 3"], ["carbon"])


def test_transcription_passages_are_aligned_to_pages(first_run):
    db, _ = first_run
    (n_pages,) = _q(db, "SELECT count(DISTINCT page_id) FROM alignments")[0]
    assert n_pages >= 4


def test_ocr_run_records_engine_and_preprocessing(first_run):
    db, _ = first_run
    ((engine, version, config),) = _q(db, "SELECT engine, engine_version, config FROM ocr_runs")
    assert engine == "tesseract" and version.startswith("5")
    assert '"binarize": "none"' in config and '"adaptive": true' in config
    assert _q(db, "SELECT count(*) FROM pages WHERE preprocessing->>'$.deskew.angle_deg' "
                  "IS NOT NULL") == [(5,)]


def test_a_second_run_finds_every_source_unchanged(first_run, sample_dir):
    db, _ = first_run
    summary = run_collection(str(sample_dir), str(db), workers=2)
    assert summary.new == [] and len(summary.unchanged) == 3
    assert summary.pages == 5


def test_a_corrupt_image_gets_a_failure_row_and_the_rest_is_processed(
        sample_dir: Path, tmp_path: Path):
    folder = tmp_path / "raw"
    shutil.copytree(sample_dir, folder)
    (folder / "aaa_corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\nthis is not an image")
    (folder / "bbb_truncated.jpg").write_bytes(
        (folder / "synthetic" / "halifax_carbon_p4.jpg").read_bytes()[:3000])
    db = tmp_path / "archive.duckdb"
    summary = run_collection(str(folder), str(db), workers=2)
    failures = _q(db, "SELECT path, stage, error FROM failures ORDER BY path")
    assert [Path(p).name for p, _, _ in failures] == ["aaa_corrupt.png", "bbb_truncated.jpg"]
    assert all(error for _, _, error in failures)
    assert _q(db, "SELECT count(*) FROM pages") == [(5,)]
    assert sorted(Path(p).name for p in summary.failed) == ["aaa_corrupt.png",
                                                           "bbb_truncated.jpg"]
    assert _q(db, "SELECT status FROM sources WHERE path LIKE '%aaa_corrupt.png'") == [("failed",)]


def test_a_run_killed_before_rebuilding_documents_is_completed_by_the_next(
        seed_text_path, tmp_path: Path):
    from archivist.discover import discover
    from archivist.records import text_source_rows
    from archivist.store import Store
    from archivist.transcription import read_transcription

    folder = tmp_path / "drop"
    folder.mkdir()
    shutil.copy(seed_text_path, folder)
    db = tmp_path / "archive.duckdb"
    run_collection(str(folder), str(db), workers=1)
    later = folder / "later.md"
    later.write_text("SECRET\n\nMay 31, 1939.\n\nDear Sir,\n\n" + "A later letter about the "
                     "shipping programme and the allocation of tonnage. " * 4 + "\n")
    # What a run killed after storing its sources, before rebuilding documents, leaves behind:
    (source,) = [s for s in discover(folder) if s.path.endswith("later.md")]
    with Store(db) as store:
        store.replace_source(*text_source_rows(source, read_transcription(later),
                                               _settings_hash()))
    summary = run_collection(str(folder), str(db), workers=1)
    assert summary.new == []  # no file changed...
    assert _q(db, "SELECT count(*) FROM documents") == [(2,)]  # ...but documents caught up


def _settings_hash() -> str:
    from archivist.config import Settings
    from archivist.plan import settings_hash

    return settings_hash(Settings())
