"""The review report: static HTML pages to check the corpus by eye (`archivist report`).

`write_report` turns the database into a folder a reviewer opens in any browser, offline:

- `index.html`: every document with its date, sender, recipient, subject, pages and mean OCR
  confidence;
- `documents/<document id>.html`: each scanned page beside its fused reading, the word boxes of
  its newest OCR drawn over the scan and coloured by confidence, the places where the copies
  disagree (`variants`) highlighted in the text (a click lists every reading and its witness),
  and the document's metadata. A transcription-only document gets the same page without scans;
- `images/<page id>.jpg`: the scans, downscaled to at most IMAGE_WIDTH pixels;
- `report.css`, `report.js`: shared by all pages. No CDN, no network: the folder can be zipped
  and mailed.

Everything taken from the database or the input files is text, never markup: it is escaped
(`_e`), and a Content-Security-Policy forbids inline scripts as a second line of defence. File
names come only from ids reduced to [A-Za-z0-9._-] (`safe_name`), and every path is checked to
stay inside the output folder before it is written. Files are written to a temporary name and
renamed, so a browser open on the report never shows half a page.

A scan that cannot be read (moved, deleted, changed since it was processed) gets a placeholder
saying why; the report is still written.
"""

from __future__ import annotations

import difflib
import html
import io
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
from PIL import Image

from archivist.analytics import dict_rows, open_read_only
from archivist.discover import file_sha256
from archivist.errors import UsageError, first_line
from archivist.store import RANKED_OCR_WITNESSES
from archivist.images import load_page
from archivist.outfiles import output_path, prepare_folder, safe_name, write_bytes

__all__ = ["IMAGE_WIDTH", "CONF_BANDS", "ReportCounts", "write_report", "safe_name"]

# Scans are downscaled to this width: a 300 dpi letter page is 2550 px wide, far more than a
# screen column shows, and ~1000 px keeps typescript legible at ~150 KB a page.
IMAGE_WIDTH = 1000
JPEG_QUALITY = 80

# Word confidence bands, highest first: (lowest confidence in the band, CSS class, label).
# On typescript Tesseract's words at 90+ are nearly always right; 70-90 holds most misreadings
# worth a glance; below 70 the word is more often wrong than not.
CONF_BANDS: tuple[tuple[float, str, str], ...] = (
    (90.0, "conf-high", "90 and above"),
    (70.0, "conf-mid", "70 to 90"),
    (float("-inf"), "conf-low", "below 70"),
)

# How far (in words) a transcription-only document's variant may sit from where its passage
# offset puts it. Fused passages and documents.text drift apart by the words the fusion
# inserted or dropped and by marks left out of the reading text (marginalia, catchwords).
MAX_DRIFT = 12

# Inline scripts and styles are refused by the browser even if escaping ever failed; the
# report's own script and style sheet are files beside the pages.
CSP = ("default-src 'none'; img-src 'self'; style-src 'self'; script-src 'self'; "
       "base-uri 'none'; form-action 'none'")

_WORD = re.compile(r"\S+")


@dataclass(frozen=True)
class ReportCounts:
    """What `write_report` wrote, for the command line's summary."""

    documents: int
    page_images: int
    missing_images: int  # pages shown with a placeholder instead of their scan
    variants: int


@dataclass
class _Page:
    page_id: str
    source_id: str
    path: str
    kind: str
    sha256: str
    page_index: int
    width: int | None
    height: int | None
    dpi: int | None
    mean_conf: float | None
    text: str
    group_id: str | None
    words: list[tuple] = field(default_factory=list)  # (text, conf, left, top, width, height)
    copies: list["_Page"] = field(default_factory=list)  # other scans of this page


@dataclass
class _Variant:
    variant_id: str
    page_id: str | None
    position: int
    chosen: str
    alternatives: list[dict]
    margin: float | None


@dataclass
class _Placed:
    """Where a variant sits in a text: `count` words from word `start` (0 = an omission,
    shown as a marker before word `start`)."""

    start: int
    count: int
    variant: _Variant


@dataclass
class _Image:
    """The outcome of writing one scan: its file and size, or why there is none."""

    name: str | None = None
    width: int = 0
    height: int = 0
    scale_x: float = 1.0
    scale_y: float = 1.0
    problem: str | None = None


# -- entry point ----------------------------------------------------------------------------

def write_report(db: Path, out_dir: Path) -> ReportCounts:
    """Write the HTML report of the corpus in `db` into `out_dir` (created if needed).

    The database is opened read-only, so a report can be made beside other readers. Raises
    UsageError naming the file when the database is missing or not an archivist database,
    DatabaseBusy while a run writes to it.
    """
    db, out_dir = Path(db), Path(out_dir)
    prepare_folder(out_dir, "the report")
    con = open_read_only(db)
    try:
        try:
            return _write_all(con, db, out_dir)
        except duckdb.CatalogException as exc:
            raise UsageError(f"{db}: not an archivist database ({first_line(exc)})") from exc
    finally:
        con.close()


def _write_all(con: duckdb.DuckDBPyConnection, db: Path, out_dir: Path) -> ReportCounts:
    docs = _documents(con)
    witnesses = _witnesses(con)
    sources = _SourceFiles(db)
    _write_file(out_dir, "", "report.css", CSS.encode())
    _write_file(out_dir, "", "report.js", JS.encode())
    images = missing = variants = 0
    for n, doc in enumerate(docs):
        pages = _pages(con, doc["document_id"])
        doc_variants = _variants(con, doc["document_id"])
        written = {}
        for page in [p for canonical in pages for p in [canonical, *canonical.copies]]:
            written[page.page_id] = image = _write_page_image(out_dir, page, sources)
            images += image.name is not None
            missing += image.name is None
        neighbours = (docs[n - 1] if n else None, docs[n + 1] if n + 1 < len(docs) else None)
        anchors = [] if pages else _transcription_anchors(
            con, doc.get("witness_ids") or [], (doc.get("text") or "").split())
        body = _document_body(doc, pages, written, doc_variants, witnesses,
                              _entities(con, doc["document_id"]), neighbours, anchors)
        _write_file(out_dir, "documents", safe_name(doc["document_id"]) + ".html",
                    _html_page(_doc_title(doc), body, "../").encode())
        variants += len(doc_variants)
    _write_file(out_dir, "", "index.html", _html_page("archivist report",
                                                       _index_body(docs, db), "").encode())
    return ReportCounts(documents=len(docs), page_images=images, missing_images=missing,
                        variants=variants)


# -- reading the database -------------------------------------------------------------------

def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    return dict_rows(con.execute(sql, params or []))


def _documents(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """Every document with the figures of the index: canonical pages (a carbon counts once, as
    in `document_summary`), their mean confidence, and the number of variants."""
    has_variants = _has_table(con, "variants")
    variant_count = ("(SELECT count(*) FROM variants v WHERE v.document_id = d.document_id)"
                     if has_variants else "0")
    return _rows(con, f"""
        WITH page_stats AS (
            SELECT p.document_id, count(*) AS pages, avg(p.mean_conf) AS mean_conf
            FROM pages p LEFT JOIN page_groups g USING (page_id)
            WHERE p.document_id IS NOT NULL AND coalesce(g.is_canonical, true)
            GROUP BY p.document_id)
        SELECT d.*, coalesce(ps.pages, 0) AS scanned_pages, ps.mean_conf AS pages_mean_conf,
               {variant_count} AS variant_count
        FROM documents d LEFT JOIN page_stats ps USING (document_id)
        ORDER BY d.doc_date NULLS LAST, d.document_id""")


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Whether the file has a table (`variants` came with migration 2; a read-only connection
    cannot migrate an older file, so the report does without)."""
    return bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?",
                            [name]).fetchone()[0])


def _pages(con: duckdb.DuckDBPyConnection, document_id: str) -> list[_Page]:
    """The document's canonical pages in reading order (the order of their segments), each with
    its word boxes and the other scans of it (carbons, rescans) as `copies`."""
    rows = _rows(con, """
        SELECT p.page_id, p.source_id, s.path, s.kind, s.sha256, p.page_index, p.width,
               p.height, p.dpi, p.mean_conf, coalesce(p.text, '') AS text, g.group_id,
               coalesce(g.is_canonical, true) AS is_canonical,
               (SELECT min(seq) FROM segments sg WHERE sg.page_id = p.page_id
                  AND sg.document_id = p.document_id) AS first_seq
        FROM pages p JOIN sources s USING (source_id) LEFT JOIN page_groups g USING (page_id)
        WHERE p.document_id = ?
        ORDER BY first_seq NULLS LAST, s.path, p.page_index""", [document_id])
    words = _words(con, [r["page_id"] for r in rows])
    pages = [_Page(**{k: v for k, v in r.items() if k not in ("is_canonical", "first_seq")},
                   words=words.get(r["page_id"], [])) for r in rows]
    canonical = [p for p, r in zip(pages, rows) if r["is_canonical"]]
    by_group = {p.group_id: p for p in canonical if p.group_id}
    for page, row in zip(pages, rows):
        if not row["is_canonical"] and page.group_id in by_group:
            by_group[page.group_id].copies.append(page)
        elif not row["is_canonical"]:
            canonical.append(page)  # a copy whose canonical page is elsewhere: shown alone
    return canonical


def _words(con: duckdb.DuckDBPyConnection, page_ids: list[str]) -> dict[str, list[tuple]]:
    """Word boxes of each page's newest OCR witness (the one assembly reads, by
    `ocr_runs.finished_at`)."""
    if not page_ids:
        return {}
    out: dict[str, list[tuple]] = defaultdict(list)
    for page_id, *word in con.execute(f"""
            WITH latest AS ({RANKED_OCR_WITNESSES})
            SELECT l.page_id, wd.text, wd.conf, wd."left", wd.top, wd.width, wd.height
            FROM latest l JOIN words wd USING (witness_id)
            WHERE l.rank = 1 AND list_contains(?, l.page_id) AND wd."left" IS NOT NULL
            ORDER BY l.page_id, wd.block, wd.par, wd.line, wd.word""", [page_ids]).fetchall():
        out[page_id].append(tuple(word))
    return out


def _variants(con: duckdb.DuckDBPyConnection, document_id: str) -> list[_Variant]:
    if not _has_table(con, "variants"):
        return []
    return [_Variant(**r) for r in _rows(con, """
        SELECT variant_id, page_id, position, coalesce(chosen, '') AS chosen, alternatives,
               margin
        FROM variants WHERE document_id = ?
        ORDER BY page_id NULLS LAST, position, variant_id""", [document_id])]


def _witnesses(con: duckdb.DuckDBPyConnection) -> dict[str, dict]:
    """Every witness's kind and where it comes from (source path, page), for the variant
    panels and the list of transcriptions."""
    return {r["witness_id"]: r for r in _rows(con, """
        SELECT w.witness_id, w.kind, s.path, p.page_index
        FROM witnesses w LEFT JOIN sources s USING (source_id)
        LEFT JOIN pages p ON p.page_id = w.page_id""")}


def _entities(con: duckdb.DuckDBPyConnection, document_id: str) -> dict[str, list[str]]:
    """Distinct normalised mentions of the document, by kind, alphabetical."""
    by_kind: dict[str, list[str]] = defaultdict(list)
    rows = con.execute("""
        SELECT DISTINCT kind, normalized FROM entities
        WHERE document_id = ? AND nullif(trim(normalized), '') IS NOT NULL""",
                       [document_id]).fetchall()
    for kind, name in sorted(rows, key=lambda r: (r[0] or "", r[1].lower(), r[1])):
        by_kind[kind].append(name)
    return by_kind


def _transcription_anchors(con: duckdb.DuckDBPyConnection, witness_ids: list[str],
                           words: list[str]) -> list[int]:
    """Word offsets in a transcription-only document's text where its fused passages start.

    `variants.position` of such a document counts words in a fused passage (a page or P.S. the
    transcription repeats), not in the document. Each passage is found in the document by
    its canonical copy (`passage_groups`): the offset of their longest run of common words.
    """
    anchors = []
    for (text,) in con.execute("""
            SELECT text FROM passage_groups
            WHERE is_canonical AND list_contains(?, witness_id) ORDER BY start""",
                               [witness_ids]).fetchall():
        copy = (text or "").split()
        matcher = difflib.SequenceMatcher(None, words, copy, autojunk=False)
        block = max(matcher.get_matching_blocks(), key=lambda b: b.size)
        if block.size >= min(5, len(copy)) > 0:
            anchors.append(block.a - block.b)
    return anchors


# -- placing variants in a text -------------------------------------------------------------

def _place(variants: list[_Variant], words: list[str], anchors: list[int], drift: int
           ) -> tuple[list[_Placed], list[_Variant]]:
    """Where each variant's chosen reading stands in `words`: the occurrence nearest to
    anchor + position (within `drift` words), not overlapping one already placed. Returns the
    placed variants and those that could not be placed (shown in a list below the text).

    An omission (chosen '') has no words to find; it is placed only when there is one anchor,
    where the position points to.
    """
    placed: list[_Placed] = []
    taken: set[int] = set()
    unplaced: list[_Variant] = []
    starts: dict[str, list[int]] = defaultdict(list)  # word -> where it occurs
    for i, word in enumerate(words):
        starts[word].append(i)
    for v in variants:
        chosen = v.chosen.split()
        expected = [a + v.position for a in anchors]
        spot = None
        if not chosen:
            if len(anchors) == 1 and 0 <= expected[0] <= len(words):
                spot = expected[0]
        else:
            n = len(chosen)
            candidates = [i for i in starts.get(chosen[0], [])
                          if words[i:i + n] == chosen and not taken & set(range(i, i + n))]
            scored = [(min(abs(i - e) for e in expected), i) for i in candidates if expected]
            if scored and min(scored)[0] <= drift:
                spot = min(scored)[1]
                taken.update(range(spot, spot + n))
        if spot is None:
            unplaced.append(v)
        else:
            placed.append(_Placed(spot, len(chosen), v))
    return placed, unplaced


def _marked_text(text: str, placed: list[_Placed]) -> str:
    """`text` escaped, its layout kept, with each placed variant wrapped in a clickable mark
    (an omission is a marker before the word it precedes)."""
    words = list(_WORD.finditer(text))
    spans = {p.start: p for p in placed if p.count}
    inserts: dict[int, list[_Placed]] = defaultdict(list)
    for p in placed:
        if not p.count:
            inserts[p.start].append(p)
    out, pos, i = [], 0, 0
    while i < len(words):
        out.append(_e(text[pos:words[i].start()]))
        out.extend(_omission_mark(p.variant) for p in inserts.get(i, []))
        span = spans.get(i)
        last = words[i + span.count - 1] if span else words[i]
        shown = _e(text[words[i].start():last.end()])
        out.append(_variant_mark(span.variant, shown) if span else shown)
        pos, i = last.end(), i + (span.count if span else 1)
    out.append(_e(text[pos:]))
    out.extend(_omission_mark(p.variant) for p in inserts.get(len(words), []))
    return "".join(out)


def _variant_mark(v: _Variant, shown: str) -> str:
    return (f'<mark class="variant" role="button" tabindex="0" '
            f'data-variant="{_e(_panel_id(v))}" title="{_e(_variant_title(v))}">{shown}</mark>')


def _omission_mark(v: _Variant) -> str:
    return (f'<mark class="variant omission" role="button" tabindex="0" '
            f'data-variant="{_e(_panel_id(v))}" title="{_e(_variant_title(v))}" '
            f'aria-label="omitted reading">&#8248;</mark>')


def _variant_title(v: _Variant) -> str:
    readings = len({a.get("text") or "" for a in v.alternatives or []})
    return f"{readings} readings; click for the alternatives and their witnesses"


def _panel_id(v: _Variant) -> str:
    return "alts-" + safe_name(v.variant_id)


# -- writing images -------------------------------------------------------------------------

class _SourceFiles:
    """Finds the file a page was read from, and says why when it cannot.

    `sources.path` is as the run was given it, often relative to the directory the run was
    started in; the report may be made from elsewhere. A file is accepted only when its
    sha256 is the one stored, so the word boxes drawn over it are those read from it.
    """

    def __init__(self, db: Path) -> None:
        self.db = db
        self.found: dict[str, tuple[Path | None, str | None]] = {}

    def locate(self, page: _Page) -> tuple[Path | None, str | None]:
        if page.source_id not in self.found:
            self.found[page.source_id] = self._search(page.path, page.sha256)
        return self.found[page.source_id]

    def _search(self, stored: str, sha256: str) -> tuple[Path | None, str | None]:
        path = Path(stored)
        candidates = [path] if path.is_absolute() else \
            [Path.cwd() / path, *(folder / path for folder in self.db.resolve().parents)]
        changed = None
        for candidate in candidates:
            try:
                if not candidate.is_file():
                    continue
                if file_sha256(candidate)[0] == sha256:
                    return candidate, None
            except OSError as exc:
                return None, f"the scan {stored} cannot be read ({exc.strerror or exc})"
            changed = candidate
        if changed is not None:
            return None, (f"the scan {stored} has changed since it was processed (its sha256 "
                          "differs), so the word boxes would not match it; run "
                          "`archivist run` again")
        return None, f"the scan {stored} was not found (moved or deleted since it was processed)"


def _write_page_image(out_dir: Path, page: _Page, sources: _SourceFiles) -> _Image:
    """The page's scan as a JPEG at most IMAGE_WIDTH wide, and the scale from stored word box
    coordinates (those of the page as loaded) to it. Any failure becomes a placeholder reason:
    one unreadable scan must not stop the report."""
    path, problem = sources.locate(page)
    if path is None:
        return _Image(problem=problem)
    try:
        loaded = load_page(path, page.kind, page.page_index, pdf_dpi=page.dpi or 300,
                           default_dpi=page.dpi or 300)
        image = Image.fromarray(loaded.gray)
        if image.width > IMAGE_WIDTH:
            size = (IMAGE_WIDTH, max(1, round(image.height * IMAGE_WIDTH / image.width)))
            image = image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=JPEG_QUALITY, optimize=True)
    except Exception as exc:  # PageError, MemoryError, a Pillow error: show why, go on
        return _Image(problem=f"the scan {page.path} page {page.page_index + 1} cannot be "
                              f"shown: {first_line(exc)}")
    name = safe_name(page.page_id) + ".jpg"
    _write_file(out_dir, "images", name, buffer.getvalue())
    return _Image(name=name, width=image.width, height=image.height,
                  scale_x=image.width / (page.width or loaded.width),
                  scale_y=image.height / (page.height or loaded.height))


# -- HTML -----------------------------------------------------------------------------------

def _e(value: Any) -> str:
    """Text as HTML, safe in element content and in quoted attributes alike."""
    return "" if value is None else html.escape(str(value), quote=True)


def _html_page(title: str, body: str, root: str) -> str:
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f'<meta http-equiv="Content-Security-Policy" content="{_e(CSP)}">\n'
            f'<title>{_e(title)}</title>\n'
            f'<link rel="stylesheet" href="{root}report.css">\n'
            f'<script src="{root}report.js" defer></script>\n'
            f'</head>\n<body>\n{body}\n</body>\n</html>\n')


def _doc_title(doc: dict) -> str:
    parts = [doc.get("doc_type") or "document", _date_of(doc)]
    if doc.get("sender") or doc.get("recipient"):
        parts.append(f"{doc.get('sender') or '?'} to {doc.get('recipient') or '?'}")
    return " · ".join(p for p in parts if p)


def _date_of(doc: dict) -> str:
    return str(doc["doc_date"]) if doc.get("doc_date") else (doc.get("date_text") or "undated")


def _conf(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def _index_body(docs: list[dict], db: Path) -> str:
    rows = "\n".join(
        f'<tr><td><a href="documents/{_e(safe_name(d["document_id"]))}.html">'
        f'{_e(_date_of(d))}</a></td><td>{_e(d.get("doc_type"))}</td>'
        f'<td>{_e(d.get("sender"))}</td><td>{_e(d.get("recipient"))}</td>'
        f'<td>{_e(d.get("subject"))}</td><td class="num">{_e(d["scanned_pages"])}</td>'
        f'<td class="num">{_e(_conf(d["pages_mean_conf"]))}</td>'
        f'<td class="num">{_e(d["variant_count"])}</td></tr>' for d in docs)
    empty = "" if docs else '<p class="empty">The database holds no documents.</p>'
    count = f"{len(docs)} document{'' if len(docs) == 1 else 's'}"
    return (f'<header><h1>archivist report</h1><p class="sub">{_e(count)} '
            f'from {_e(db.name)}</p></header>\n<main>\n{empty}'
            f'<table class="index"><thead><tr><th>date</th><th>type</th><th>sender</th>'
            f'<th>recipient</th><th>subject</th><th class="num">pages</th>'
            f'<th class="num">mean confidence</th><th class="num">variants</th></tr></thead>\n'
            f'<tbody>\n{rows}\n</tbody></table>\n</main>')


def _document_body(doc: dict, pages: list[_Page], images: dict[str, _Image],
                   variants: list[_Variant], witnesses: dict[str, dict],
                   entities: dict[str, list[str]], neighbours: tuple, anchors: list[int]
                   ) -> str:
    nav = ['<a href="../index.html">all documents</a>']
    for label, other in zip(("previous", "next"), neighbours):
        if other is not None:
            nav.append(f'<a href="{_e(safe_name(other["document_id"]))}.html">{label}: '
                       f'{_e(_doc_title(other))}</a>')
    parts = [f'<header><nav>{" · ".join(nav)}</nav><h1>{_e(_doc_title(doc))}</h1>'
             f'<p class="sub">{_e(doc.get("subject"))}</p></header>', '<main>',
             _metadata(doc, witnesses, entities)]
    unplaced: list[_Variant] = []
    if pages:
        parts.append(_legend())
        by_page: dict[str | None, list[_Variant]] = defaultdict(list)
        for v in variants:
            by_page[v.page_id].append(v)
        for n, page in enumerate(pages):
            words = page.text.split()
            placed, lost = _place(by_page.pop(page.page_id, []), words, [0], 0)
            unplaced += lost
            parts.append(_page_section(n, page, images, _marked_text(page.text, placed)))
        unplaced += [v for vs in by_page.values() for v in vs]
        parts.append(f'<details class="doc-text"><summary>Reading text of the whole document'
                     f'</summary><div class="reading">{_e(doc.get("text"))}</div></details>')
    else:
        section, unplaced = _transcription_section(doc.get("text") or "", variants, anchors)
        parts.append(section)
    parts.append(_unplaced_section(unplaced))
    parts.append(_variant_panel(variants, witnesses))
    parts.append('</main>')
    return "\n".join(p for p in parts if p)


def _transcription_section(text: str, variants: list[_Variant], anchors: list[int]
                           ) -> tuple[str, list[_Variant]]:
    """A document with no scans: its reading text, with its variants where they can be found
    (see `_transcription_anchors`), and the variants that could not be placed."""
    placed, lost = _place(variants, text.split(), anchors, MAX_DRIFT)
    return (f'<section class="page transcription-only"><h2>Reading text</h2>'
            f'<p class="note">No scanned pages: this document was read from a transcription.'
            f'</p><div class="reading">{_marked_text(text, placed)}</div></section>', lost)


def _page_section(n: int, page: _Page, images: dict[str, _Image], marked: str) -> str:
    copies = ""
    if page.copies:
        figures = "\n".join(_figure(c, images[c.page_id]) for c in page.copies)
        copies = (f'<details class="copies"><summary>{len(page.copies)} other scan(s) of this '
                  f'page</summary>{figures}</details>')
    return (f'<section class="page" id="page-{n + 1}"><h2>Page {n + 1}</h2>'
            f'<div class="page-grid"><div>{_figure(page, images[page.page_id])}{copies}</div>'
            f'<div class="reading">{marked}</div></div></section>')


def _figure(page: _Page, image: _Image) -> str:
    caption = (f'{_e(page.path)}, page {page.page_index + 1} · mean confidence '
               f'{_e(_conf(page.mean_conf))} · {len(page.words)} words')
    if image.name is None:
        return (f'<figure class="scan"><div class="scan-missing" role="img" '
                f'aria-label="scan not available">Scan not available: {_e(image.problem)}'
                f'</div><figcaption>{caption}</figcaption></figure>')
    boxes = "".join(
        f'<rect class="{_band(conf)}" x="{left * image.scale_x:.1f}" '
        f'y="{top * image.scale_y:.1f}" width="{width * image.scale_x:.1f}" '
        f'height="{height * image.scale_y:.1f}"><title>{_e(text)} ({_e(_conf(conf))})</title>'
        f'</rect>' for text, conf, left, top, width, height in page.words)
    return (f'<figure class="scan"><div class="scan-frame">'
            f'<img src="../images/{_e(image.name)}" width="{image.width}" '
            f'height="{image.height}" alt="Scan of {_e(page.path)}, page {page.page_index + 1}">'
            f'<svg class="boxes" viewBox="0 0 {image.width} {image.height}" '
            f'preserveAspectRatio="none" aria-hidden="true">{boxes}</svg></div>'
            f'<figcaption>{caption}</figcaption></figure>')


def _band(conf: float | None) -> str:
    for lowest, css, _ in CONF_BANDS:
        if conf is not None and conf >= lowest:
            return css
    return CONF_BANDS[-1][1]


def _legend() -> str:
    items = "".join(f'<li><span class="swatch {css}"></span>{_e(label)}</li>'
                    for _, css, label in CONF_BANDS)
    return (f'<div class="legend"><label><input type="checkbox" id="toggle-boxes" checked> '
            f'word boxes</label> by OCR confidence: <ul>{items}</ul> '
            f'<span class="hint">highlighted words: the copies disagree (click one)</span></div>')


_METADATA_FIELDS = (
    ("type", "doc_type"), ("date", "doc_date"), ("date as written", "date_text"),
    ("place", "place"), ("sender", "sender"), ("sender's function", "sender_title"),
    ("sender's organisation", "sender_org"), ("recipient", "recipient"),
    ("recipient's function", "recipient_title"), ("recipient's place", "recipient_place"),
    ("classification", "classification"), ("handling", "handling"), ("number", "number"),
    ("subject", "subject"), ("references", "references"), ("salutation", "salutation"),
    ("closing", "closing"), ("scanned pages", "page_count"), ("document id", "document_id"))


def _metadata(doc: dict, witnesses: dict[str, dict], entities: dict[str, list[str]]) -> str:
    """Every metadata field, empty ones shown as such: a reviewer checks what was not found as
    much as what was."""
    rows = []
    for label, column in _METADATA_FIELDS:
        value = doc.get(column)
        if isinstance(value, list):
            value = ", ".join(map(str, value))
        shown = _e(value) if value not in (None, "") else '<span class="none">—</span>'
        rows.append(f'<dt>{_e(label)}</dt><dd>{shown}</dd>')
    listed = "; ".join(_witness_label(w, witnesses) for w in doc.get("witness_ids") or [])
    rows.append(f'<dt>witnesses (witness_ids)</dt><dd>{_e(listed) or "—"}</dd>')
    for kind, names in entities.items():
        rows.append(f'<dt>{_e(kind)}s mentioned</dt><dd>{_e("; ".join(names))}</dd>')
    return f'<section class="metadata"><h2>Metadata</h2><dl>{"".join(rows)}</dl></section>'


def _witness_label(witness_id: str, witnesses: dict[str, dict]) -> str:
    """'ocr: box/a.tif, page 2' or 'transcription: notes.txt'; the bare id when unknown."""
    w = witnesses.get(witness_id)
    if w is None:
        return witness_id
    page = f", page {w['page_index'] + 1}" if w.get("page_index") is not None else ""
    return f"{w.get('kind') or '?'}: {w.get('path') or witness_id}{page}"


def _unplaced_section(unplaced: list[_Variant]) -> str:
    if not unplaced:
        return ""
    marks = " ".join(_variant_mark(v, _e(v.chosen) if v.chosen else "<i>(nothing)</i>")
                     for v in unplaced)
    return (f'<section class="unplaced"><h2>Variants not placed in the text</h2>'
            f'<p class="note">Their place in the reading text could not be determined '
            f'(an omission, or a reading that occurs elsewhere too).</p><p>{marks}</p></section>')


def _variant_panel(variants: list[_Variant], witnesses: dict[str, dict]) -> str:
    """One hidden list of readings per variant; the script shows the one clicked."""
    if not variants:
        return ""
    lists = "\n".join(_alternatives(v, witnesses) for v in variants)
    return (f'<aside id="variant-panel" hidden aria-live="polite"><button type="button" '
            f'class="close" data-close-panel aria-label="close">×</button>'
            f'<h2>Readings</h2>{lists}</aside>')


def _alternatives(v: _Variant, witnesses: dict[str, dict]) -> str:
    rows = []
    for alt in v.alternatives or []:
        text = alt.get("text") or ""
        w = witnesses.get(alt.get("witness_id") or "", {})
        where = w.get("path") or alt.get("witness_id") or "?"
        if w.get("page_index") is not None:
            where = f"{where}, page {w['page_index'] + 1}"
        reading = f'<span class="reading-text">{_e(text)}</span>' if text else \
            '<i>(nothing)</i>'
        chosen = ' class="chosen"' if text == v.chosen else ""
        rows.append(f'<tr{chosen}><td>{reading}</td><td>{_e(w.get("kind") or "?")}</td>'
                    f'<td>{_e(where)}</td><td class="num">{_e(_conf(alt.get("conf")))}</td></tr>')
    margin = "—" if v.margin is None else f"{v.margin:.3f}"
    chosen = _e(v.chosen) if v.chosen else "<i>(nothing)</i>"
    return (f'<div class="alts" id="{_e(_panel_id(v))}" hidden><p>Chosen: <b>{chosen}</b> '
            f'(margin {_e(margin)})</p><table><thead><tr><th>reading</th><th>witness</th>'
            f'<th>source</th><th>conf</th></tr></thead><tbody>{"".join(rows)}</tbody></table>'
            f'</div>')


# -- files ----------------------------------------------------------------------------------

def _write_file(out_dir: Path, folder: str, name: str, data: bytes) -> None:
    """Atomically, so an open report never shows half a file; `name` is already safe."""
    stem, dot, suffix = name.rpartition(".")
    path = output_path(out_dir, folder, stem, dot + suffix)
    write_bytes(path, data)


# -- static assets --------------------------------------------------------------------------

CSS = """\
:root { --ink: #1d1d1f; --muted: #6b6b70; --line: #d9d9de; --accent: #7a3e00;
        --high: 34, 139, 34; --mid: 230, 160, 0; --low: 214, 40, 40; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, sans-serif; color: var(--ink); background: #fafaf7; }
header { padding: 1rem 1.5rem .5rem; border-bottom: 1px solid var(--line); background: #fff; }
header h1 { margin: .2rem 0; font-size: 1.4rem; }
nav a { margin-right: .3rem; }
.sub { margin: 0; color: var(--muted); }
main { padding: 1rem 1.5rem 4rem; }
h2 { font-size: 1.05rem; margin: 1.2rem 0 .5rem; }
table { border-collapse: collapse; }
th, td { text-align: left; padding: .3rem .6rem; border-bottom: 1px solid var(--line);
         vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
table.index { width: 100%; background: #fff; }
.metadata dl { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem;
               margin: 0; }
.metadata dt { color: var(--muted); }
.metadata dd { margin: 0; }
.none { color: var(--muted); }
.legend { display: flex; flex-wrap: wrap; gap: .3rem 1rem; align-items: center;
          margin: 1rem 0; color: var(--muted); }
.legend ul { display: flex; gap: 1rem; list-style: none; margin: 0; padding: 0; }
.swatch { display: inline-block; width: 1em; height: .8em; margin-right: .3em;
          vertical-align: middle; border: 2px solid; }
.page { border-top: 1px solid var(--line); }
.page-grid { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 1.5rem;
             align-items: start; }
@media (max-width: 900px) { .page-grid { grid-template-columns: 1fr; } }
figure.scan { margin: 0 0 1rem; }
.scan-frame { position: relative; border: 1px solid var(--line); background: #fff; }
.scan-frame img { display: block; width: 100%; height: auto; }
svg.boxes { position: absolute; inset: 0; width: 100%; height: 100%; }
svg.boxes rect { stroke-width: 1.5; vector-effect: non-scaling-stroke; }
body.hide-boxes svg.boxes { display: none; }
.conf-high { fill: rgba(var(--high), .10); stroke: rgb(var(--high));
             border-color: rgb(var(--high)); }
.conf-mid { fill: rgba(var(--mid), .20); stroke: rgb(var(--mid)); border-color: rgb(var(--mid)); }
.conf-low { fill: rgba(var(--low), .25); stroke: rgb(var(--low)); border-color: rgb(var(--low)); }
.scan-missing { padding: 3rem 1.5rem; border: 2px dashed rgb(var(--low)); color: #8a1f1f;
                background: #fff5f5; }
figcaption { color: var(--muted); font-size: .85rem; margin-top: .3rem; overflow-wrap: anywhere; }
.reading { white-space: pre-wrap; overflow-wrap: anywhere;
           font: 15px/1.6 "Courier New", "FreeMono", monospace; background: #fff;
           padding: 1rem; border: 1px solid var(--line); }
mark.variant { background: #ffe08a; color: inherit; border-bottom: 2px solid var(--accent);
               cursor: pointer; border-radius: 2px; }
mark.variant:hover, mark.variant:focus, mark.variant.active { background: #ffbf47;
               outline: 2px solid var(--accent); }
mark.omission { padding: 0 .2em; font-weight: bold; color: var(--accent); }
.note { color: var(--muted); }
#variant-panel { position: fixed; right: 1rem; bottom: 1rem; width: min(40rem, 92vw);
                 font-size: 14px;
                 max-height: 60vh; overflow: auto; background: #fff; padding: .5rem 1rem 1rem;
                 border: 1px solid var(--accent); box-shadow: 0 6px 24px rgba(0, 0, 0, .18);
                 border-radius: 6px; }
#variant-panel[hidden], .alts[hidden] { display: none; }
#variant-panel h2 { margin-top: .4rem; }
#variant-panel .close { position: absolute; right: .5rem; top: .3rem; font-size: 1.3rem;
                        border: 0; background: none; cursor: pointer; }
#variant-panel table { width: 100%; table-layout: fixed; }
#variant-panel th:nth-child(1) { width: 27%; }
#variant-panel th:nth-child(2) { width: 19%; }
#variant-panel th:nth-child(4) { width: 9%; }
#variant-panel td { overflow-wrap: anywhere; }
#variant-panel tr.chosen td:first-child { font-weight: bold; }
.reading-text { font-family: "Courier New", "FreeMono", monospace; }
details.copies, details.doc-text { margin: .5rem 0 1rem; }
"""

JS = """\
// archivist report: a click (or Enter/Space) on a highlighted reading shows, in the panel, every
// reading of that place and its witness; the checkbox hides the word boxes over the scans.
(function () {
  "use strict";
  var panel = document.getElementById("variant-panel");
  var active = null;

  function show(mark) {
    if (!panel) { return; }
    var id = mark.getAttribute("data-variant");
    var lists = panel.querySelectorAll(".alts");
    for (var i = 0; i < lists.length; i++) { lists[i].hidden = lists[i].id !== id; }
    if (active) { active.classList.remove("active"); }
    active = mark;
    mark.classList.add("active");
    panel.hidden = false;
  }

  function close() {
    if (panel) { panel.hidden = true; }
    if (active) { active.classList.remove("active"); active = null; }
  }

  document.addEventListener("click", function (event) {
    var mark = event.target.closest("[data-variant]");
    if (mark) { show(mark); return; }
    if (event.target.closest("[data-close-panel]")) { close(); }
  });
  document.addEventListener("keydown", function (event) {
    var mark = event.target.closest && event.target.closest("[data-variant]");
    if (mark && (event.key === "Enter" || event.key === " ")) {
      event.preventDefault();
      show(mark);
    } else if (event.key === "Escape") {
      close();
    }
  });
  var toggle = document.getElementById("toggle-boxes");
  if (toggle) {
    toggle.addEventListener("change", function () {
      document.body.classList.toggle("hide-boxes", !toggle.checked);
    });
  }
}());
"""
