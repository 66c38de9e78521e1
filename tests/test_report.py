"""The HTML review report (`archivist report`), on a corpus made by the real pipeline, checked in
headless Chromium (Debian's package, driven by Playwright).

One flow run serves the whole module: the sample (seed transcription, ribbon scans, carbon of
page 4: a scanned letter with variants) plus a small hostile transcription written here, whose
text and file name carry markup. It becomes a transcription-only document, with variants of its
own, one of them reading `<script>...</script>`.
"""

from __future__ import annotations

import hashlib
import html
import re
import shutil
from pathlib import Path

import duckdb
import pytest

from archivist.errors import UsageError
from archivist.report import ReportCounts, safe_name, write_report
from conftest import query_db

CHROMIUM = Path("/usr/bin/chromium")

HOSTILE_NAME = 'letter <b>x<i> & "q".txt'
SCRIPT_1 = "<script>window.__pwned=1</script>"
SCRIPT_3 = "<script>window.__pwned=3</script>"
IMG = '<img src=x onerror="window.__pwned=2">'
# A transcription-only letter. Its second paragraph is transcribed twice, once with a script
# where a place name was: the transcription is collated with itself, giving variants.
HOSTILE_TEXT = f"""SECRET

Subject: The {SCRIPT_1} conference

London, 3rd March 1942.

My dear Smith,

I write to tell you that the meeting with the delegation went better than any of us had \
expected, and that {IMG} was the word the chairman used at the close of the afternoon session.

The committee agreed that the shipments of grain would be resumed in April and that the \
convoys would sail from Liverpool under the escort promised by the Admiralty in January.

The committee agreed that the shipments of grain would be resumed in April and that the \
convoys would sail from {SCRIPT_3} under the escort promised by the Admiralty in January.

I shall write again when the minutes reach me.

Yours sincerely,

JONES
"""


# -- fixtures -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def corpus(sample_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample and the hostile transcription through the real flow."""
    from flows.process_collection import run_collection

    folder = tmp_path_factory.mktemp("report")
    raw = folder / "raw"
    shutil.copytree(sample_dir, raw)
    (raw / HOSTILE_NAME).write_text(HOSTILE_TEXT, encoding="utf-8")
    db = folder / "archive.duckdb"
    summary = run_collection(str(raw), str(db), workers=2)
    assert not summary.failed
    return db


@pytest.fixture(scope="module")
def report(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ReportCounts]:
    out = tmp_path_factory.mktemp("report-out") / "site"
    return out, write_report(corpus, out)


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (Debian's chromium package)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            yield chromium
        finally:
            chromium.close()


class Page:
    """A browser tab that records console errors and uncaught exceptions."""

    def __init__(self, browser) -> None:
        self.tab = browser.new_page(viewport={"width": 1400, "height": 1000})
        self.errors: list[str] = []
        self.tab.on("console", lambda m: self.errors.append(m.text) if m.type == "error"
                    else None)
        self.tab.on("pageerror", lambda exc: self.errors.append(f"page error: {exc}"))

    def open(self, path: Path) -> "Page":
        self.tab.goto(path.resolve().as_uri())
        self.tab.wait_for_load_state("load")
        return self


@pytest.fixture
def tab(browser):
    page = Page(browser)
    yield page
    page.tab.close()


def _documents(db: Path) -> dict[str, dict]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        cursor = con.execute("SELECT * FROM documents")
        names = [d[0] for d in cursor.description]
        return {r[0]: dict(zip(names, r)) for r in cursor.fetchall()}
    finally:
        con.close()


def _doc_file(out: Path, document_id: str) -> Path:
    return out / "documents" / f"{safe_name(document_id)}.html"


def _hostile_doc(db: Path) -> str:
    ((doc_id,),) = query_db(db, "SELECT document_id FROM documents WHERE page_count = 0")
    return doc_id


def _scanned_doc(db: Path) -> str:
    ((doc_id,),) = query_db(db, "SELECT document_id FROM documents WHERE page_count > 0")
    return doc_id


# -- without a database ---------------------------------------------------------------------

def test_missing_database_names_the_file(tmp_path: Path):
    db = tmp_path / "nowhere.duckdb"
    with pytest.raises(UsageError, match=re.escape(str(db))):
        write_report(db, tmp_path / "out")


def test_a_file_in_place_of_the_output_folder_is_refused(tmp_path: Path):
    target = tmp_path / "report"
    target.write_text("not a folder")
    with pytest.raises(UsageError, match="not a folder"):
        write_report(tmp_path / "nowhere.duckdb", target)
    assert target.read_text() == "not a folder"


def test_a_database_that_is_not_archivists_is_refused(tmp_path: Path):
    db = tmp_path / "other.duckdb"
    duckdb.connect(str(db)).close()
    with pytest.raises(UsageError, match="not an archivist database"):
        write_report(db, tmp_path / "out")


@pytest.mark.parametrize("ident", ["../../etc/passwd", "/etc/passwd", "..", ".hidden",
                                   "a/b\\c", "", "x" * 300, "d<script>", "é", "a b"])
def test_safe_name_keeps_names_to_one_plain_file(ident: str):
    name = safe_name(ident)
    assert re.fullmatch(r"[A-Za-z0-9._-]+", name)
    assert not name.startswith(".") and len(name) <= 140  # room for a suffix within 255 bytes


def test_safe_name_keeps_pipeline_ids_and_separates_the_ones_it_changes():
    assert safe_name("d45aad11bf7368f6") == "d45aad11bf7368f6"
    assert safe_name("s6ebf603411c16a3-p0000") == "s6ebf603411c16a3-p0000"
    assert safe_name("a/b") != safe_name("a_b") != safe_name("a?b")
    assert safe_name("a/b") != safe_name("a?b")


# -- the files ------------------------------------------------------------------------------

@pytest.mark.integration
def test_report_writes_index_one_page_per_document_and_one_image_per_page(report, corpus):
    out, counts = report
    docs = _documents(corpus)
    pages = query_db(corpus, "SELECT page_id FROM pages WHERE document_id IS NOT NULL")
    n_variants = query_db(corpus, "SELECT count(*) FROM variants")[0][0]
    assert counts == ReportCounts(documents=len(docs), page_images=len(pages), missing_images=0,
                                  variants=n_variants)
    assert len(docs) == 2 and len(pages) == 5 and n_variants > 0
    for doc_id in docs:
        assert _doc_file(out, doc_id).is_file()
    for (page_id,) in pages:
        image = out / "images" / f"{safe_name(page_id)}.jpg"
        assert image.read_bytes()[:3] == b"\xff\xd8\xff"
    assert {p.name for p in out.iterdir()} == {"index.html", "documents", "images",
                                                 "report.css", "report.js"}
    assert not [p for p in out.rglob("*") if p.name.startswith(".")]  # no temporary left


@pytest.mark.integration
def test_images_are_downscaled_and_word_boxes_scaled_with_them(report, corpus):
    from PIL import Image

    out, _ = report
    doc_html = _doc_file(out, _scanned_doc(corpus)).read_text()
    ((page_id, width, height, left, top),) = query_db(corpus, """
        SELECT p.page_id, p.width, p.height, wd."left", wd.top
        FROM pages p JOIN witnesses w USING (page_id) JOIN words wd USING (witness_id)
        WHERE p.page_index = 0 AND p.page_id LIKE '%p0000' AND w.kind = 'ocr'
        ORDER BY p.page_id DESC, wd.block, wd.par, wd.line, wd.word LIMIT 1""")
    with Image.open(out / "images" / f"{page_id}.jpg") as im:
        assert im.width == 1000 < width and abs(im.height - height * 1000 / width) <= 1
        scale_x, scale_y = im.width / width, im.height / height
    assert f'x="{left * scale_x:.1f}" y="{top * scale_y:.1f}"' in doc_html


@pytest.mark.integration
def test_writing_again_replaces_the_files_in_place(report, corpus, tmp_path):
    out = tmp_path / "site"
    write_report(corpus, out)
    first = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    write_report(corpus, out)
    second = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert first == second


# -- in the browser -------------------------------------------------------------------------

@pytest.mark.integration
def test_every_page_loads_without_console_errors_and_its_images_show(report, corpus, tab):
    out, _ = report
    files = [out / "index.html", *(_doc_file(out, d) for d in _documents(corpus))]
    images_seen = 0
    for path in files:
        tab.open(path)
        widths = tab.tab.evaluate("Array.from(document.images, i => i.complete && i.naturalWidth)")
        assert all(w and w > 0 for w in widths), (path, widths)
        images_seen += len(widths)
    assert images_seen == 5
    assert tab.errors == []


@pytest.mark.integration
def test_index_lists_each_document_with_its_figures(report, corpus, tab):
    out, _ = report
    tab.open(out / "index.html")
    rows = tab.tab.locator("table.index tbody tr")
    docs = _documents(corpus)
    assert rows.count() == len(docs)
    scanned = docs[_scanned_doc(corpus)]
    ((mean_conf,),) = query_db(corpus, """
        SELECT avg(p.mean_conf) FROM pages p JOIN page_groups g USING (page_id)
        WHERE g.is_canonical AND p.document_id IS NOT NULL""")
    row = rows.filter(has_text=scanned["subject"]).inner_text().split("\t")
    assert row[:6] == [str(scanned["doc_date"]), scanned["doc_type"], scanned["sender"],
                       scanned["recipient"], scanned["subject"], "4"]
    assert row[6] == f"{mean_conf:.1f}"
    tab.tab.locator("table.index a").first.click()
    tab.tab.wait_for_load_state("load")
    assert tab.tab.url.endswith(".html") and "/documents/" in tab.tab.url
    assert tab.errors == []


@pytest.mark.integration
def test_word_boxes_are_drawn_for_every_word_of_the_newest_ocr(report, corpus, tab):
    out, _ = report
    tab.open(_doc_file(out, _scanned_doc(corpus)))
    per_image = tab.tab.evaluate("""Array.from(document.querySelectorAll('.scan-frame'),
        f => [f.querySelector('img').getAttribute('src'), f.querySelectorAll('rect').length])""")
    words = dict(query_db(corpus, """
        SELECT w.page_id, count(*) FROM witnesses w JOIN words wd USING (witness_id)
        WHERE w.kind = 'ocr'
        GROUP BY w.page_id"""))
    assert {src.split("/")[-1][:-4]: n for src, n in per_image} == words
    assert tab.tab.locator("rect.conf-high").count() > 0


@pytest.mark.integration
def test_a_click_on_a_variant_shows_its_readings_and_their_witnesses(report, corpus, tab):
    out, _ = report
    rows = query_db(corpus, """
        SELECT v.variant_id, v.chosen, [a.text FOR a IN v.alternatives], s.path
        FROM variants v JOIN pages p USING (page_id) JOIN sources s USING (source_id)
        WHERE v.chosen <> '' AND len(list_distinct([a.text FOR a IN v.alternatives
                                                    IF a.text <> ''])) > 1
        ORDER BY v.margin LIMIT 1""")
    ((variant_id, chosen, readings, _),) = rows
    witness_paths = [p for (p,) in query_db(corpus, f"""
        SELECT DISTINCT s.path
        FROM (SELECT unnest(alternatives) AS a FROM variants WHERE variant_id = '{variant_id}')
        JOIN witnesses w ON w.witness_id = a.witness_id JOIN sources s USING (source_id)""")]
    assert len(witness_paths) >= 2
    tab.open(_doc_file(out, _scanned_doc(corpus)))
    panel = tab.tab.locator("#variant-panel")
    mark = tab.tab.locator(f'mark[data-variant="alts-{variant_id}"]')
    assert mark.inner_text() == chosen
    assert not panel.is_visible()
    mark.click()
    shown = tab.tab.locator(f"#alts-{variant_id}")
    assert panel.is_visible() and shown.is_visible()
    text = shown.inner_text()
    for reading in {r for r in readings if r}:
        assert reading in text
    for path in witness_paths:
        assert path in text
    # only the clicked variant's readings are shown
    assert tab.tab.locator("#variant-panel .alts:visible").count() == 1
    tab.tab.locator("[data-close-panel]").click()
    assert not panel.is_visible()
    assert tab.errors == []


# -- hostile text ---------------------------------------------------------------------------

@pytest.mark.integration
def test_markup_in_the_inputs_is_written_as_text(report, corpus):
    out, _ = report
    doc_id = _hostile_doc(corpus)
    assert SCRIPT_1 in _documents(corpus)[doc_id]["text"]  # the pipeline kept it as written
    for path in [out / "index.html", _doc_file(out, doc_id)]:
        page = path.read_text()
        assert "<script>window" not in page and "<img src=x" not in page
        assert "<b>x<i>" not in page
        assert re.findall(r"<script\b[^>]*>", page) == ['<script src="../report.js" defer>'
                                                        if "documents" in str(path) else
                                                        '<script src="report.js" defer>']
    page = _doc_file(out, doc_id).read_text()
    assert html.escape(SCRIPT_3) in page and html.escape(IMG) in page
    assert html.escape(HOSTILE_NAME) in page


@pytest.mark.integration
def test_markup_in_the_inputs_shows_as_text_and_never_runs(report, corpus, tab):
    out, _ = report
    doc_id = _hostile_doc(corpus)
    for path in [out / "index.html", _doc_file(out, doc_id)]:
        tab.open(path)
        assert tab.tab.evaluate("typeof window.__pwned") == "undefined"
        assert SCRIPT_1 in tab.tab.inner_text("body")
    reading = tab.tab.locator(".reading").inner_text()
    assert SCRIPT_3 in reading and IMG in reading
    assert tab.tab.locator("img").count() == 0  # the transcription's <img> is text
    assert tab.tab.evaluate("document.scripts.length") == 1
    for mark in tab.tab.locator("mark.variant").all():  # open every panel
        mark.click()
        assert tab.tab.evaluate("typeof window.__pwned") == "undefined"
    assert HOSTILE_NAME in tab.tab.locator("#variant-panel").inner_text() or \
        HOSTILE_NAME in tab.tab.locator(".metadata").inner_text()
    assert tab.errors == []


@pytest.mark.integration
def test_a_transcription_only_document_has_text_metadata_and_its_variants(report, corpus, tab):
    out, _ = report
    doc_id = _hostile_doc(corpus)
    variants = query_db(corpus, f"""
        SELECT variant_id, chosen, [a.text FOR a IN alternatives IF a.text <> '']
        FROM variants WHERE document_id = '{doc_id}'""")
    assert variants  # the repeated paragraph
    tab.open(_doc_file(out, doc_id))
    assert tab.tab.locator(".scan, img").count() == 0
    assert "JONES" in tab.tab.locator(".reading").inner_text()
    metadata = tab.tab.locator(".metadata").inner_text()
    assert "Smith" in metadata and HOSTILE_NAME in metadata
    for variant_id, chosen, readings in variants:
        tab.tab.locator(f'mark[data-variant="alts-{variant_id}"]').click()
        shown = tab.tab.locator(f"#alts-{variant_id}")
        assert shown.is_visible()
        for reading in readings:
            assert reading in shown.inner_text()
    # the place of the repeated paragraph's readings is found in the document's text
    assert tab.tab.locator(".reading mark.variant").count() == len(variants)
    assert tab.errors == []


# -- what cannot be shown, and where files go -------------------------------------------------

def _copy_db(corpus: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    copy = folder / "copy.duckdb"
    shutil.copy(corpus, copy)
    return copy


@pytest.mark.integration
def test_scans_that_cannot_be_shown_get_a_placeholder_saying_why(corpus, tmp_path, tab):
    """A moved scan, one changed since it was processed, one that cannot be decoded: the
    report is still written, each page saying what is wrong."""
    db = _copy_db(corpus, tmp_path)
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff not really a JPEG")
    con = duckdb.connect(str(db))
    try:
        paths = dict(con.execute("SELECT path, source_id FROM sources WHERE kind = 'image'")
                     .fetchall())
        ribbon = next(p for p in paths if p.endswith(".tif"))
        carbon = next(p for p in paths if p.endswith(".jpg"))
        con.execute("UPDATE sources SET path = ? WHERE source_id = ?",
                    [str(tmp_path / "moved.tif"), paths[ribbon]])
        con.execute("UPDATE sources SET path = ?, sha256 = ? WHERE source_id = ?",
                    [str(broken), hashlib.sha256(broken.read_bytes()).hexdigest(),
                     paths[carbon]])
    finally:
        con.close()
    out = tmp_path / "out"
    counts = write_report(db, out)
    assert counts.missing_images == 5 and counts.page_images == 0
    tab.open(_doc_file(out, _scanned_doc(corpus)))
    missing = tab.tab.locator(".scan-missing")
    assert missing.count() == 5
    texts = missing.all_text_contents()  # a carbon may sit in a closed <details>
    assert sum("moved.tif was not found" in t for t in texts) == 4
    assert sum("broken.jpg page 1 cannot be shown" in t for t in texts) == 1, texts
    assert tab.errors == []

    con = duckdb.connect(str(db))  # the ribbon replaced by another file under its name
    try:
        con.execute("UPDATE sources SET path = ? WHERE source_id = ?", [carbon, paths[ribbon]])
    finally:
        con.close()
    write_report(db, out)
    tab.open(_doc_file(out, _scanned_doc(corpus)))
    assert sum("has changed since it was processed" in t
               for t in tab.tab.locator(".scan-missing").all_text_contents()) == 4


@pytest.mark.integration
def test_relative_source_paths_are_found_from_the_database_folder(corpus, tmp_path):
    """`sources.path` is as the run was given it; a report made from another directory finds
    the scans from the database's folder upwards."""
    folder = corpus.parent
    db = _copy_db(corpus, tmp_path / "nested")
    con = duckdb.connect(str(db))
    try:
        con.execute("UPDATE sources SET path = replace(path, ?, '')", [f"{folder}/"])
        relative = [p for (p,) in con.execute("SELECT path FROM sources").fetchall()]
    finally:
        con.close()
    assert all(not Path(p).is_absolute() for p in relative)
    shutil.copytree(folder / "raw", tmp_path / "raw")  # beside the database's folder
    counts = write_report(db, tmp_path / "out")
    assert counts.page_images == 5 and counts.missing_images == 0


@pytest.mark.integration
def test_ids_from_a_crafted_database_never_lead_outside_the_output_folder(corpus, tmp_path,
                                                                          tab):
    db = _copy_db(corpus, tmp_path / "db")
    hostile_id = "../../../escaped"
    con = duckdb.connect(str(db))
    try:
        old = _hostile_doc(corpus)
        for table in ("documents", "segments", "entities", "variants"):
            con.execute(f"UPDATE {table} SET document_id = ? WHERE document_id = ?",
                        [hostile_id, old])
    finally:
        con.close()
    before = set(tmp_path.rglob("*"))
    out = tmp_path / "a" / "b" / "out"
    write_report(db, out)
    written = set(tmp_path.rglob("*")) - before
    assert written and all(p == out or out in p.parents or p in out.parents for p in written)
    page = _doc_file(out, hostile_id)
    assert page.parent == out / "documents" and page.is_file()
    tab.open(out / "index.html")
    tab.tab.locator(f'a[href="documents/{page.name}"]').click()
    tab.tab.wait_for_load_state("load")
    assert SCRIPT_1 in tab.tab.inner_text(".sub")
    assert tab.errors == []
