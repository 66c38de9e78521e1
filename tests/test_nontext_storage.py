"""What OCR keeps out of a page's text is stored, not lost: words of a 'nontext' witness, and
stamp/marginalia segments of the page's document."""

from __future__ import annotations

from pathlib import Path

from archivist.assemble import _nontext_segments
from archivist.nontext import NonText
from archivist.ocr import PageOcr, Word
from archivist.records import ocr_witness_rows
from archivist.store import Store, insert_rows


def _word(text: str, line: int, left: int, conf: float = 90.0) -> Word:
    return Word(block=1, par=1, line=line, word=left // 100, text=text, conf=conf, left=left,
                top=100 * line, width=80, height=30)


def _page() -> PageOcr:
    return PageOcr(page_index=0, width=2550, height=3300, dpi=300, image_hash="h",
                   words=[_word("Dear", 1, 100), _word("Sir,", 1, 200)],
                   nontext=[NonText(_word("G260/3/41", 5, 2000, 40.0), "stamp", "in a frame"),
                            NonText(_word("./8", 6, 2300, 20.0), "marginalia", "outside column"),
                            NonText(_word("•", 7, 10, 5.0), "speck", "punctuation only")])


def test_words_kept_out_of_the_text_become_a_nontext_witness():
    rows = ocr_witness_rows("p1", "s1", _page(), "r1")
    ocr, nontext = rows["witnesses"]
    assert ocr["kind"] == "ocr" and ocr["text"] == "Dear Sir,"
    assert nontext["kind"] == "nontext" and nontext["run_id"] == "r1"
    assert "G260/3/41" in nontext["text"] and "G260" not in ocr["text"]
    kinds = {w["text"]: (w["kind"], w["reason"]) for w in rows["words"].to_pylist()
             if w["witness_id"] == nontext["witness_id"]}
    assert kinds == {"G260/3/41": ("stamp", "in a frame"), "./8": ("marginalia", "outside column"),
                     "•": ("speck", "punctuation only")}
    assert all(w["kind"] is None for w in rows["words"].to_pylist()
               if w["witness_id"] == ocr["witness_id"])


def test_a_page_without_nontext_words_has_no_nontext_witness():
    page = _page()
    page.nontext = []
    assert [w["kind"] for w in ocr_witness_rows("p1", "s1", page, "r1")["witnesses"]] == ["ocr"]


def test_nontext_rows_store_with_their_kind(tmp_path: Path):
    rows = ocr_witness_rows("p1", "s1", _page(), "r1")
    with Store(tmp_path / "a.duckdb") as store:
        for table, table_rows in rows.items():
            insert_rows(store.con, table, table_rows)
        assert store.query("SELECT text, kind FROM words WHERE kind IS NOT NULL "
                           "ORDER BY text") == [("./8", "marginalia"), ("G260/3/41", "stamp"),
                                                ("•", "speck")]


def test_stamps_and_marginalia_become_segments_and_specks_do_not():
    page = [("stamp", "G260/3/41", (2000, 500, 80, 30)),
            ("marginalia", "./8", (2300, 600, 80, 30)),
            ("speck", "•", (10, 700, 80, 30)),
            ("border", "|||", (0, 0, 5, 3300))]
    segments = _nontext_segments([page])
    assert [(s.kind, s.text) for s in segments] == [
        ("stamp", "G260/3/41"), ("marginalia", "./8"), ("other", "|||")]
    assert segments[0].box == (2000, 500, 80, 30) and segments[0].page == 0


def test_other_readings_of_the_page_are_kept_as_pass_witnesses():
    from archivist.ocr import OcrPass

    page = _page()
    chosen = OcrPass(name="grey psm3", scope="page", words=page.words, signals={"mean_conf": 90},
                     seconds=1.0, used=1)
    other = OcrPass(name="otsu psm3", scope="page", words=[_word("Dcar", 1, 100, 60.0)],
                    signals={"mean_conf": 60.0}, seconds=1.0, used=0)
    lines = OcrPass(name="otsu lines psm6", scope="lines", words=[_word("Sir,", 1, 200, 80.0)],
                    signals={"mean_conf": 80.0}, seconds=0.3, used=1)
    page.passes = [chosen, other, lines]
    rows = ocr_witness_rows("p1", "s1", page, "r1")
    passes = [w for w in rows["witnesses"] if w["kind"] == "pass"]
    assert [(w["pass"], w["text"], w["mean_conf"]) for w in passes] == [
        ("otsu psm3 (page, used 0)", "Dcar", 60.0), ("otsu lines psm6 (lines, used 1)", "Sir,", 80.0)]
    assert set(rows["words"]["witness_id"].to_pylist()) >= {w["witness_id"] for w in passes}


def test_pass_witnesses_store_with_their_name(tmp_path: Path):
    from archivist.ocr import OcrPass

    page = _page()
    page.passes = [OcrPass(name="otsu psm3", scope="page", words=page.words,
                           signals={"mean_conf": 88.0}, seconds=1.0, used=0)]
    with Store(tmp_path / "a.duckdb") as store:
        for table, table_rows in ocr_witness_rows("p1", "s1", page, "r1").items():
            insert_rows(store.con, table, table_rows)
        assert store.query("SELECT kind, pass FROM witnesses ORDER BY kind") == [
            ("nontext", None), ("ocr", None), ("pass", "otsu psm3 (page, used 0)")]
