"""Re-OCR of chosen pages as a new run, and the comparison of two runs.

A re-OCR never overwrites: each page read again becomes one more OCR witness (of the new run)
beside the earlier ones, and fusion then weighs them all. The pages are chosen by a SQL
predicate over the `pages` table, evaluated on a read-only connection so that it can select but
never change anything.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import duckdb
from rapidfuzz.distance import Levenshtein

from archivist.analytics import dict_rows, open_read_only
from archivist.config import MODELS, RECIPES, Settings
from archivist.discover import file_sha256
from archivist.errors import UsageError
from archivist.metrics import cer


@dataclass(frozen=True)
class PageRef:
    """A stored page to read again, with what is needed to find and check its file."""
    page_id: str
    source_id: str
    page_index: int
    path: str
    kind: str
    sha256: str


def reocr_settings(model: str = "fast", recipe: str | None = None,
                   base: Settings | None = None) -> Settings:
    """The settings of a re-OCR run: the usual ones with another model and/or recipe."""
    base = base or Settings()
    if model not in MODELS:
        raise UsageError(f"unknown model {model!r}: choose one of {', '.join(MODELS)}")
    if recipe is not None and recipe not in RECIPES:
        raise UsageError(f"unknown recipe {recipe!r}: choose one of {', '.join(RECIPES)}")
    preprocess = RECIPES[recipe] if recipe else base.preprocess
    return replace(base, preprocess=preprocess, ocr=replace(base.ocr, model=model))


def select_pages(db: Path | str, where: str) -> list[PageRef]:
    """The scanned pages matching `where`, a predicate over the columns of `pages`."""
    if ";" in where:
        raise UsageError("--where takes one SQL predicate over pages (no ';')")
    con = open_read_only(db)
    try:
        rows = con.execute(f"""
            SELECT p.page_id, p.source_id, p.page_index, s.path, s.kind, s.sha256
            FROM (SELECT * FROM pages WHERE ({where})) p JOIN sources s USING (source_id)
            WHERE s.kind IN ('image', 'pdf')
            ORDER BY s.path, p.page_index""").fetchall()
    except duckdb.Error as exc:
        detail = " ".join(str(exc).split())
        raise UsageError(f"--where {where!r} is not a predicate over pages: "
                         f"{detail[:300]}") from exc
    finally:
        con.close()
    return [PageRef(*r) for r in rows]


def changed_since_stored(page: PageRef) -> str | None:
    """Why the page's file can no longer be read as the stored page, or None if it can."""
    try:
        sha, _ = file_sha256(Path(page.path))
    except OSError as exc:
        return f"the file cannot be read ({exc.strerror or exc}); run `archivist run` first"
    if sha != page.sha256:
        return "the file changed since it was processed; run `archivist run` first"
    return None


@dataclass
class PageDiff:
    page_id: str
    path: str
    page_index: int
    cer: float
    changes: list[tuple[str, str]]  # (words in A, words in B), one per changed stretch


def diff_runs(db: Path | str, run_a: str, run_b: str) -> list[PageDiff]:
    """Per page read in both runs: the CER of B's text against A's, and the changed words."""
    con = open_read_only(db)
    try:
        known = {r[0] for r in con.execute("SELECT run_id FROM ocr_runs").fetchall()}
        for run in (run_a, run_b):
            if run not in known:
                raise UsageError(f"no run {run!r} in {db} (see `archivist runs`)")
        rows = con.execute("""
            SELECT a.page_id, s.path, p.page_index, a.text, b.text
            FROM witnesses a JOIN witnesses b USING (page_id)
            JOIN pages p USING (page_id) JOIN sources s ON s.source_id = p.source_id
            WHERE a.run_id = ? AND b.run_id = ? AND a.kind = 'ocr' AND b.kind = 'ocr'
            ORDER BY s.path, p.page_index""", [run_a, run_b]).fetchall()
    finally:
        con.close()
    return [PageDiff(pid, path, index, cer(a or "", b or ""), word_changes(a or "", b or ""))
            for pid, path, index, a, b in rows]


def word_changes(a: str, b: str) -> list[tuple[str, str]]:
    """The stretches of words that differ between two readings, in order."""
    words_a, words_b = a.split(), b.split()
    return [(" ".join(words_a[op.src_start:op.src_end]), " ".join(words_b[op.dest_start:op.dest_end]))
            for op in Levenshtein.opcodes(words_a, words_b) if op.tag != "equal"]


def list_runs(db: Path | str) -> list[dict]:
    """Every OCR run, oldest first, with how many pages it read and their mean confidence."""
    con = open_read_only(db)
    try:
        cur = con.execute("""
            SELECT r.run_id, r.started_at, r.finished_at, r.model,
                   coalesce(json_extract_string(r.config, '$.purpose'), 'run') AS purpose,
                   json_extract_string(r.config, '$.recipe') AS recipe,
                   count(w.witness_id) AS pages, round(avg(w.mean_conf), 1) AS mean_conf
            FROM ocr_runs r LEFT JOIN witnesses w ON w.run_id = r.run_id AND w.kind = 'ocr'
            GROUP BY ALL ORDER BY r.started_at, r.run_id""")
        return dict_rows(cur)
    finally:
        con.close()
