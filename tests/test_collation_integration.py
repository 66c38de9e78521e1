"""Collation through a real flow run: the seed transcription alone, then with the scans."""

import shutil
from pathlib import Path

import pytest

from flows.process_collection import run_collection
from conftest import query_db as _q

pytestmark = pytest.mark.integration

ONCE = ["left to attack the U.S.S.R.", "would be clarified", "You know most of this already from",
        "most confident of Russian prospects", "Yours very sincerely",
        "restoration of the Russian pre-war frontiers", "arrangements would not be completed"]
READINGS = {"Winant": "without", "awful banquet": "actual bandage", "our stuff": "our staff",
            "till 5 a.m.": "July 5 a.m.", "HALIFAX": "HALLIDAY"}


@pytest.fixture(scope="module")
def seed_only_db(seed_text_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("seed")
    shutil.copy(seed_text_path, folder)
    db = folder / "archive.duckdb"
    run_collection(str(folder), str(db), workers=1)
    return db


@pytest.fixture(scope="module")
def seed_text_path() -> Path:
    return Path(__file__).resolve().parents[1] / "data" / "raw" / "halifax_to_welles_1941-12-23.txt"



def test_seed_alone_is_one_letter_with_every_passage_once(seed_only_db):
    ((text,),) = _q(seed_only_db, "SELECT text FROM documents")
    for phrase in ONCE:
        assert text.count(phrase) == 1, phrase


@pytest.mark.parametrize("kept,lost", READINGS.items())
def test_seed_alone_keeps_the_better_reading_and_records_the_other(seed_only_db, kept, lost):
    ((text,),) = _q(seed_only_db, "SELECT text FROM documents")
    assert kept in text and lost not in text
    kept_word, lost_word = next((k, w) for k, w in zip(kept.split(), lost.split()) if k != w)
    rows = _q(seed_only_db, f"""
        SELECT chosen, margin FROM variants
        WHERE len([a FOR a IN alternatives IF a.text LIKE '{lost_word}%']) > 0""")
    assert rows and all(chosen.rstrip(",.") == kept_word for chosen, _ in rows)


def test_seed_alone_records_its_repeated_passages_as_groups(seed_only_db):
    groups = _q(seed_only_db, """
        SELECT group_id, count(*), sum(is_canonical::INT), min(similarity)
        FROM passage_groups GROUP BY group_id""")
    assert len(groups) == 2  # page 4 and the P.S., each transcribed twice
    assert all(n == 2 and canonical == 1 and sim > 50 for _, n, canonical, sim in groups)
    spans = _q(seed_only_db, 'SELECT start, "end", text FROM passage_groups')
    raw = _q(seed_only_db, "SELECT text FROM witnesses")[0][0]
    for start, end, text in spans:  # offsets point into the witness text
        assert raw[start:end].split() == text.split()


def test_with_the_scans_the_transcription_is_a_witness_of_the_pages(sample_dir, tmp_path):
    db = tmp_path / "archive.duckdb"
    run_collection(str(sample_dir), str(db), workers=2)
    ((n_docs, text),) = _q(db, "SELECT count(*), any_value(text) FROM documents")
    assert n_docs == 1
    for phrase in ONCE:
        assert text.count(phrase) == 1, phrase
    for kept, lost in READINGS.items():
        assert kept in text and lost not in text
    witnesses_of_page_4 = _q(db, """
        SELECT count(DISTINCT witness_id) FROM passage_groups g
        JOIN page_groups p ON g.group_id = p.group_id""")
    assert witnesses_of_page_4[0][0] >= 3  # ribbon OCR, carbon OCR and the transcription
