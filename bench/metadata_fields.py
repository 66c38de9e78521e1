"""Precision and recall of document metadata on generated letters whose metadata is known.

    .venv/bin/python bench/metadata_fields.py [--letters 12] [--profiles clean degraded]
                                              [--seed 0] [--workers 2] [--errors]

For each scan profile, `archivist.letters` types N documents (British letters, US despatches,
memoranda, telegrams; 1-4 pages), renders one PNG per page into a fresh folder and the real
flow (`run_collection`, OCR included) builds a new DuckDB file from it. Each extracted document
belongs to the letter of its first page (`pages.document_id` and the file names); a letter is
scored on the document that holds its first page.

Per field: `truth` letters that have a value, `extracted` documents with a value, `correct`
documents whose value is right. Precision = correct / extracted, recall = letters whose
first-page document has the right value / truth. Right means equal after normalisation (case,
whitespace, punctuation at the ends); sender and recipient must contain the true surname (or
function) as whole words; references are compared as sets (whitespace removed), counted per
reference. Splitting: letters whose pages became exactly one document, holding nothing else.
Targets of the issue: >= 0.95 on clean scans, >= 0.9 on degraded ones.
"""

from __future__ import annotations

import argparse
import datetime
import re
import shutil
import string
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from archivist import prefect_env  # noqa: E402

FIELDS = ("doc_type", "doc_date", "sender", "recipient", "classification", "subject", "place",
          "number", "references")
TARGETS = {"clean": 0.95, "degraded": 0.9}
PAGE_NAME = re.compile(r"letter_(?P<letter>\d+)_p(?P<page>\d+)\.png$")


# --------------------------------------------------------------------------
# Comparing values
# --------------------------------------------------------------------------

def normalise(value: object) -> str:
    """Case, spacing and surrounding punctuation do not make a value wrong."""
    return " ".join(str(value).split()).casefold().strip(string.punctuation + " ")


def _equal(truth: object, got: object) -> bool:
    if isinstance(truth, datetime.date):
        return truth == got
    return normalise(truth) == normalise(got)


def _contains_name(truth: object, got: object) -> bool:
    """'Whitcomb' is right in 'Harold B. Whitcomb'; 'Secretary of State' in 'The Secretary
    of State'."""
    return re.search(rf"(?<!\w){re.escape(normalise(truth))}(?!\w)", normalise(got)) is not None


MATCHERS: dict[str, Callable[[object, object], bool]] = {
    name: _equal for name in FIELDS if name != "references"} | {
    "sender": _contains_name, "recipient": _contains_name}


def reference_set(values: list[str] | None) -> set[str]:
    return {re.sub(r"\s+", "", normalise(v)) for v in values or []}


# --------------------------------------------------------------------------
# Scoring
# --------------------------------------------------------------------------

@dataclass
class FieldScore:
    truth: int = 0       # letters (or references) in the truth
    extracted: int = 0   # documents with a value (or references extracted)
    correct: int = 0     # of those, right
    found: int = 0       # true values found on the letter's first-page document

    @property
    def precision(self) -> float | None:
        return self.correct / self.extracted if self.extracted else None

    @property
    def recall(self) -> float | None:
        return self.found / self.truth if self.truth else None


@dataclass
class Corpus:
    """What the pipeline made of one folder of letters."""

    documents: dict[str, dict]                  # document_id -> row
    page_docs: dict[tuple[int, int], str]       # (letter, page) -> document_id, both 1-based
    failures: list[str] = field(default_factory=list)

    def owner(self, document_id: str) -> int | None:
        """The letter of a document's first page."""
        pages = sorted(key for key, doc in self.page_docs.items() if doc == document_id)
        return pages[0][0] if pages else None


def score_fields(letters: list, corpus: Corpus) -> tuple[dict[str, FieldScore], list[str]]:
    """Per-field counts, and one line per wrong or missed value for the error listing."""
    scores = {name: FieldScore() for name in FIELDS}
    errors: list[str] = []
    for document_id, row in corpus.documents.items():
        owner = corpus.owner(document_id)
        truth = letters[owner - 1].truth if owner else None
        for name in FIELDS:
            _count_extracted(scores[name], name, row, truth)
    for number, letter in enumerate(letters, 1):
        document_id = corpus.page_docs.get((number, 1))
        row = corpus.documents.get(document_id, {})
        for name in FIELDS:
            error = _count_found(scores[name], name, row, letter.truth)
            if error:
                errors.append(f"letter_{number:03d} ({letter.truth.doc_type}) {name}: {error}")
    return scores, errors


def _count_extracted(score: FieldScore, name: str, row: dict, truth) -> None:
    got = row.get(name)
    if name == "references":
        refs = reference_set(got)
        score.extracted += len(refs)
        score.correct += len(refs & reference_set(truth.references)) if truth else 0
        return
    if got is None:
        return
    score.extracted += 1
    wanted = getattr(truth, name) if truth else None
    if wanted is not None and MATCHERS[name](wanted, got):
        score.correct += 1


def _count_found(score: FieldScore, name: str, row: dict, truth) -> str | None:
    wanted, got = getattr(truth, name), row.get(name)
    if name == "references":
        true_refs, got_refs = reference_set(wanted), reference_set(got)
        score.truth += len(true_refs)
        score.found += len(true_refs & got_refs)
        return None if true_refs == got_refs else f"truth {sorted(wanted)} got {got}"
    if wanted is not None:
        score.truth += 1
        if got is not None and MATCHERS[name](wanted, got):
            score.found += 1
            return None
    elif got is None:
        return None
    return f"truth {_show(wanted)} got {_show(got)}"


def _show(value: object) -> str:
    return repr(value.isoformat()) if isinstance(value, datetime.date) else repr(value)


def split_accuracy(letters: list, corpus: Corpus) -> tuple[int, list[str]]:
    """Letters whose pages are exactly one document; a line for each that is not."""
    right, errors = 0, []
    for number, letter in enumerate(letters, 1):
        docs = [corpus.page_docs.get((number, page)) for page in range(1, letter.truth.pages + 1)]
        held = {key for key, doc in corpus.page_docs.items() if doc == docs[0]}
        if None not in docs and len(set(docs)) == 1 and {k[0] for k in held} == {number}:
            right += 1
            continue
        groups = _page_groups(corpus, docs)
        errors.append(f"letter_{number:03d} ({letter.truth.doc_type}, {letter.truth.pages} p.) "
                      f"split as {groups}")
    return right, errors


def _page_groups(corpus: Corpus, docs: list[str | None]) -> str:
    """'[1][2 3]' or '[1 2 + letter_004 p1]': how the pipeline cut a letter's pages."""
    parts = []
    for doc in dict.fromkeys(docs):
        if doc is None:
            parts.append("[missing]")
            continue
        pages = sorted(key for key, d in corpus.page_docs.items() if d == doc)
        parts.append("[" + " ".join(f"{l:03d}p{p}" for l, p in pages) + "]")
    return "".join(parts)


# --------------------------------------------------------------------------
# Running the pipeline
# --------------------------------------------------------------------------

def read_corpus(db: Path, failures: list[str]) -> Corpus:
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        columns = ["document_id", *FIELDS]
        quoted = ", ".join(f'"{c}"' for c in columns)
        documents = {row[0]: dict(zip(columns, row))
                     for row in con.execute(f"SELECT {quoted} FROM documents").fetchall()}
        rows = con.execute("SELECT s.path, p.page_index, p.document_id FROM pages p "
                           "JOIN sources s USING (source_id)").fetchall()
    page_docs = {}
    for path, _, document_id in rows:
        match = PAGE_NAME.search(path)
        if match and document_id:
            page_docs[(int(match["letter"]), int(match["page"]))] = document_id
    return Corpus(documents, page_docs, failures)


def run_profile(profile: str, letters: list, seed: int, workers: int, work: Path
                ) -> tuple[Corpus, float, float]:
    from archivist.letters import write_letters
    from flows.process_collection import run_collection

    folder, db = work / profile, work / f"{profile}.duckdb"
    started = time.perf_counter()
    write_letters(folder, letters, profile=profile, seed=seed)
    rendered = time.perf_counter()
    summary = run_collection(str(folder), str(db), workers=workers)
    finished = time.perf_counter()
    return read_corpus(db, summary.failures), rendered - started, finished - rendered


# --------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------

def _fmt(value: float | None) -> str:
    return "   -  " if value is None else f"{value:6.3f}"


def report(profile: str, letters: list, corpus: Corpus, render_s: float, flow_s: float,
           show_errors: bool) -> None:
    scores, errors = score_fields(letters, corpus)
    split_right, split_errors = split_accuracy(letters, corpus)
    target = TARGETS.get(profile, 0.95)
    pages = sum(letter.truth.pages for letter in letters)
    print(f"\n== profile {profile}: {len(letters)} letters, {pages} pages -> "
          f"{len(corpus.documents)} documents; render {render_s:.1f} s, "
          f"pipeline {flow_s:.1f} s (target >= {target})")
    print(f"{'field':<16}{'truth':>6}{'extracted':>10}{'correct':>8}{'precision':>10}{'recall':>8}")
    below = []
    for name, score in scores.items():
        low = any(v is not None and v < target for v in (score.precision, score.recall))
        if low:
            below.append(name)
        mark = "  < target" if low else ""
        print(f"{name:<16}{score.truth:>6}{score.extracted:>10}{score.correct:>8}"
              f"{_fmt(score.precision):>10}{_fmt(score.recall):>8}{mark}")
    split = split_right / len(letters) if letters else 0.0
    print(f"{'splitting':<16}{len(letters):>6}{'':>10}{split_right:>8}{'':>10}{split:8.3f}"
          f"{'  < target' if split < target else ''}")
    if split < target:
        below.append("splitting")
    print(f"target {'met' if not below else 'NOT met: ' + ', '.join(below)}")
    for line in corpus.failures:
        print(f"  pipeline failure: {line}")
    if show_errors:
        for line in split_errors + errors:
            print(f"  {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", type=int, default=12)
    parser.add_argument("--profiles", nargs="+", default=["clean", "degraded"],
                        choices=["clean", "degraded"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--errors", action="store_true", help="list every wrong value")
    parser.add_argument("--keep", action="store_true", help="keep the scans and databases")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="archivist-metadata-"))
    prefect_env.configure(work / "prefect")
    from archivist.letters import generate_letters

    started = time.perf_counter()
    letters = generate_letters(args.letters, seed=args.seed)
    try:
        for profile in args.profiles:
            corpus, render_s, flow_s = run_profile(profile, letters, args.seed, args.workers, work)
            report(profile, letters, corpus, render_s, flow_s, args.errors)
    finally:
        if args.keep:
            print(f"\nscans and databases kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    print(f"\ntotal time {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
