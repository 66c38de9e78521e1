"""Documents as the whole pipeline builds them: real Tesseract, a Prefect flow run, DuckDB.

Two collections: the seed transcription alone (a letter with every fault old transcriptions
have), and the eighteen scanned pages of six US despatches from the EHRI corpus, processed as
one folder so that the page stream has to be cut into despatches by their content.
"""

from __future__ import annotations

import datetime
import shutil
from pathlib import Path

import duckdb
import pytest

from flows.process_collection import run_collection
from conftest import query_db as _rows

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[1]
SEED = REPO / "data" / "raw" / "halifax_to_welles_1941-12-23.txt"
SHARED = Path(__file__).resolve().parents[2] / "shared"
EHRI_IMAGES = SHARED / "corpus" / "ehri-english" / "images"
D = datetime.date


def _one_document(db: Path) -> dict:
    con = duckdb.connect(str(db), read_only=True)
    try:
        cursor = con.execute("SELECT * FROM documents")
        names = [c[0] for c in cursor.description]
        [row] = cursor.fetchall()
    finally:
        con.close()
    return dict(zip(names, row))


# --- the seed transcription alone -------------------------------------------------------


@pytest.fixture(scope="module")
def seed_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("seed_in")
    shutil.copy(SEED, folder / SEED.name)
    db = tmp_path_factory.mktemp("seed_db") / "out.duckdb"
    run_collection(str(folder), str(db), workers=2)
    return db


@pytest.fixture(scope="module")
def seed_document(seed_db: Path) -> dict:
    return _one_document(seed_db)


def test_seed_alone_is_one_letter_of_its_date(seed_document):
    assert seed_document["doc_type"] == "letter"
    assert seed_document["doc_date"] == D(1941, 12, 23)


def test_seed_correspondents_from_signature_and_addressee_block(seed_document):
    assert seed_document["sender"] == "Halifax"
    assert seed_document["recipient"] == "Sumner Welles"
    assert seed_document["recipient_title"] == "Under Secretary of State of the United States"
    assert seed_document["recipient_place"] == "Washington, D. C."


def test_seed_grading_handling_and_subject(seed_document):
    assert seed_document["classification"] == "SECRET"
    assert seed_document["handling"] == "Personal and Secret"
    assert seed_document["subject"] == "Soviet Union: Post-war Aims"


def test_seed_file_references(seed_document):
    assert {"6253/14/41", "G260/3/41", "G260/5/41"} <= set(seed_document["references"])


def test_seed_typist_reference_segment(seed_db):
    assert ("FRHM:HK",) in _rows(seed_db, "SELECT text FROM segments WHERE kind = 'typist_reference'")


def test_seed_persons_with_and_without_titles(seed_db):
    persons = {n for row in _rows(seed_db, "SELECT normalized, text FROM entities "
                                           "WHERE kind = 'person'") for n in row}
    named = {" ".join(p.split()).split(" ")[-1] for p in persons}
    assert {"Eden", "Stalin", "Winant", "Timoshenko"} <= named


def test_seed_pencil_marks_are_marginalia_and_not_reading_text(seed_db, seed_document):
    marginalia = "\n".join(t for (t,) in _rows(
        seed_db, "SELECT text FROM segments WHERE kind = 'marginalia'"))
    for mark in ("at in -/9/13", "./8", "y - /12 }"):
        assert mark in marginalia
        assert mark not in seed_document["text"]


# --- the EHRI despatches ----------------------------------------------------------------

# What each despatch's first page shows (checked on the images): date, place, number, subject.
# The number of the April 1939 despatch ('No. 227.') is on the page but Tesseract does not read
# it at all, so nothing can be expected there.
DESPATCHES = {
    "19390125": (D(1939, 1, 25), "Bucharest", "720", "The Situation of Jews in Rumania."),
    "19390404": (D(1939, 4, 4), "Sofia", None,
                 "Arrest of Professor Kantardjieff in connection with anti-Semitic demontration."),
    "19390519": (D(1939, 5, 19), "Budapest", "1559", "Hungarian Jew Bill."),
    "19400712": (D(1940, 7, 12), "Bucharest", "1496",
                 "Elimination of Jewish Elements in the Rumanian Press."),
    "19421116": (D(1942, 11, 16), "Istanbul, Turkey", "188",
                 "Transmitting Bulgarian Anti-Jewish Law of August 29, 1942, with Comments"),
    "19430127": (D(1943, 1, 27), "Istanbul, Turkey", "52", "Rumanian Anti-Semitic Activity."),
}


@pytest.fixture(scope="module")
def ehri_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not EHRI_IMAGES.exists():
        pytest.skip(f"{EHRI_IMAGES} is not here (a user's clone has no ../shared test material)")
    folder = tmp_path_factory.mktemp("ehri_in")
    for image in sorted(EHRI_IMAGES.glob("EHRI-DR-*.jpg")):
        shutil.copy(image, folder / image.name)
    db = tmp_path_factory.mktemp("ehri_db") / "out.duckdb"
    run_collection(str(folder), str(db), workers=2)
    return db


@pytest.fixture(scope="module")
def despatches(ehri_db: Path) -> dict[str, dict]:
    """Each document by the despatch its first page's file names (EHRI-DR-<date>-US_<page>)."""
    con = duckdb.connect(str(ehri_db), read_only=True)
    try:
        cursor = con.execute("""
            SELECT d.*, list(s.path ORDER BY s.path) AS paths
            FROM documents d JOIN pages p USING (document_id) JOIN sources s USING (source_id)
            GROUP BY ALL""")
        names = [c[0] for c in cursor.description]
        rows = [dict(zip(names, row)) for row in cursor.fetchall()]
    finally:
        con.close()
    return {Path(row["paths"][0]).name.split("-")[2]: row for row in rows}


def test_ehri_page_stream_is_cut_into_its_six_despatches(despatches):
    assert sorted(despatches) == sorted(DESPATCHES)
    for key, row in despatches.items():
        assert {Path(p).name.split("-")[2] for p in row["paths"]} == {key}


def test_ehri_pages_of_each_despatch_stay_together(ehri_db):
    pages_per_doc = _rows(ehri_db, "SELECT count(*) FROM pages GROUP BY document_id ORDER BY 1")
    assert sorted(n for (n,) in pages_per_doc) == [2, 3, 3, 3, 3, 4]


# Known loss: since OCR reads grey levels instead of an Otsu binarisation (issue #5: CER 4.68 ->
# 3.19 % on the full-ground-truth despatches), Tesseract reads this head's 'No. 1559.' as
# 'Now 15596', so its number is lost; strict, so that a fix is noticed.
_NUMBER_MISREAD = pytest.mark.xfail(strict=True, reason="OCR reads 'No. 1559.' as 'Now 15596'")


@pytest.mark.parametrize("key", [pytest.param(k, marks=_NUMBER_MISREAD) if k == "19390519" else k
                                 for k in sorted(DESPATCHES)])
def test_ehri_despatch_head_from_its_first_page(despatches, key):
    date, place, number, subject = DESPATCHES[key]
    row = despatches[key]
    assert (row["doc_date"], row["place"], row["number"], row["subject"]) == (
        date, place, number, subject)
    assert row["doc_type"] == "despatch"
