"""From witnesses to documents: the derived tables, recomputed from what is stored.

Reads the pages (with their best OCR lines) and the transcriptions out of the store, groups
duplicate pages, aligns transcriptions to pages, splits the canonical page stream into documents,
and describes each document. Pure except for `load_corpus`, which only reads.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from archivist.collate import PageText, align_passages, group_pages
from archivist.metadata import describe
from archivist.ocr import TextLine
from archivist.records import short_id
from archivist.store import Store
from archivist.structure import Line, Segment, document_starts, reading_text, segment_document


@dataclass
class StoredPage:
    page_id: str
    source_path: str
    page_index: int
    width: int | None
    mean_conf: float | None
    text: str
    words: int
    source_pages: int = 1
    lines: list[TextLine] = field(default_factory=list)


@dataclass
class StoredTranscription:
    witness_id: str
    source_path: str
    lines: list[TextLine] = field(default_factory=list)


@dataclass
class Corpus:
    pages: list[StoredPage]
    transcriptions: list[StoredTranscription]


def load_corpus(store: Store) -> Corpus:
    """Each page with the lines of its newest OCR witness; each transcription with its lines."""
    page_rows = store.query("""
        WITH latest AS (
            SELECT w.page_id, w.witness_id,
                   row_number() OVER (PARTITION BY w.page_id
                                      ORDER BY r.finished_at DESC NULLS LAST, w.witness_id) AS rk
            FROM witnesses w LEFT JOIN ocr_runs r USING (run_id)
            WHERE w.kind = 'ocr')
        SELECT p.page_id, s.path, p.page_index, p.width, p.mean_conf, p.text, l.witness_id,
               (SELECT count(*) FROM words wd WHERE wd.witness_id = l.witness_id),
               (SELECT count(*) FROM pages q WHERE q.source_id = p.source_id)
        FROM pages p JOIN sources s USING (source_id)
        JOIN latest l ON l.page_id = p.page_id AND l.rk = 1
        ORDER BY s.path, p.page_index""")
    lines_by_witness = _lines_by_witness(store)
    pages = [StoredPage(page_id=r[0], source_path=r[1], page_index=r[2], width=r[3],
                        mean_conf=r[4], text=r[5] or "", words=r[7], source_pages=r[8],
                        lines=lines_by_witness.get(r[6], [])) for r in page_rows]
    text_rows = store.query("""
        SELECT w.witness_id, s.path FROM witnesses w JOIN sources s USING (source_id)
        WHERE w.kind = 'transcription' ORDER BY s.path""")
    transcriptions = [StoredTranscription(r[0], r[1], lines_by_witness.get(r[0], []))
                      for r in text_rows]
    return Corpus(pages=pages, transcriptions=transcriptions)


def _lines_by_witness(store: Store) -> dict[str, list[TextLine]]:
    out: dict[str, list[TextLine]] = defaultdict(list)
    for wid, line_no, par_no, text, start, end, left, top, width, height in store.query(
            """SELECT witness_id, line_no, par_no, text, char_start, char_end, "left", top,
                      width, height FROM lines ORDER BY witness_id, line_no"""):
        box = (left, top, width, height) if left is not None else None
        out[wid].append(TextLine(line_no, par_no, text, start, end, box))
    return out


def build_derived(corpus: Corpus, *, century: int | None = None
                  ) -> tuple[dict[str, list[dict]], list[dict]]:
    """Rows for the derived tables, and the pages' document_id/page_number updates."""
    rows: dict[str, list[dict]] = defaultdict(list)
    page_texts = [PageText(p.page_id, p.text, p.mean_conf, p.words) for p in corpus.pages]
    members = group_pages(page_texts)
    rows["page_groups"] = [vars(m) | {} for m in members]
    canonical_of = _canonical_of(members)
    canonical = _page_stream(corpus.pages, canonical_of)

    page_document: dict[str, str] = {}
    page_numbers: dict[str, int] = {}
    for doc_pages in _split(canonical):
        doc_id = short_id("d", doc_pages[0].page_id)
        lines = [Line(text=l.text, page=i, box=l.box, page_width=p.width)
                 for i, p in enumerate(doc_pages) for l in _with_blank_lines(p.lines)]
        page_ids = [p.page_id for p in doc_pages]
        segments = segment_document(lines)
        _add_document(rows, doc_id, segments, page_ids, witness_ids=[], century=century)
        for p in doc_pages:
            page_document[p.page_id] = doc_id
        page_numbers.update(_printed_page_numbers(segments, page_ids))

    for t in corpus.transcriptions:
        alignments = align_passages(t.witness_id, t.lines, canonical)
        rows["alignments"].extend(vars(a) | {} for a in alignments)
        target = _covered_document(t, alignments, page_document)
        if target is not None:
            _attach_witness(rows, target, t.witness_id)
            continue
        doc_id = short_id("d", t.witness_id)
        segments = segment_document(transcription_lines(t.lines))
        _add_document(rows, doc_id, segments, [None], [t.witness_id], century)

    for p in corpus.pages:  # duplicates follow their canonical page
        doc = page_document.get(canonical_of.get(p.page_id, p.page_id))
        if doc:
            page_document[p.page_id] = doc
    updates = [{"page_id": pid, "document_id": doc, "page_number": page_numbers.get(
        canonical_of.get(pid, pid))} for pid, doc in page_document.items()]
    return dict(rows), updates


def _page_stream(pages: list[StoredPage], canonical_of: dict[str, str]) -> list[StoredPage]:
    """One page per duplicate group, in reading order.

    A group stands where its member from the longest source stands: a loose carbon of page 4
    belongs after page 3 of the ribbon copy, not wherever its file name sorts.
    """
    by_id = {p.page_id: p for p in pages}
    anchor: dict[str, tuple[int, int]] = {}
    for position, page in enumerate(pages):
        group = canonical_of.get(page.page_id, page.page_id)
        rank = (-page.source_pages, position)
        anchor[group] = min(anchor.get(group, rank), rank)
    return [by_id[g] for g in sorted(anchor, key=lambda g: anchor[g][1])]


def _canonical_of(members: list) -> dict[str, str]:
    canonical = {m.group_id: m.page_id for m in members if m.is_canonical}
    return {m.page_id: canonical[m.group_id] for m in members}


def _split(pages: list[StoredPage]) -> list[list[StoredPage]]:
    if not pages:
        return []
    streams = [[Line(text=l.text, page=i, box=l.box, page_width=p.width)
                for l in _with_blank_lines(p.lines)] for i, p in enumerate(pages)]
    starts = sorted(set(document_starts(streams)) | {0})
    bounds = starts + [len(pages)]
    return [pages[a:b] for a, b in zip(bounds, bounds[1:]) if a < b]


def transcription_lines(lines: list[TextLine]) -> list[Line]:
    """A transcription as the structure stage reads it: one page, paragraphs apart."""
    return [Line(text=l.text, page=0) for l in _with_blank_lines(lines)]


def _with_blank_lines(lines: list[TextLine]) -> list[TextLine]:
    """Re-insert the blank line between paragraphs that the structure stage reads as a break."""
    out: list[TextLine] = []
    for line in lines:
        if out and line.par_no != out[-1].par_no and out[-1].text:
            out.append(TextLine(-1, out[-1].par_no, "", line.char_start, line.char_start))
        out.append(line)
    return out


def _add_document(rows: dict, doc_id: str, segments: list[Segment], page_ids: list,
                  witness_ids: list[str], century: int | None) -> None:
    meta, entities = describe(segments, century=century)
    segment_ids = [f"{doc_id}-{seq:04d}" for seq in range(len(segments))]
    fields = vars(meta).copy()
    rows["documents"].append({"document_id": doc_id, **fields,
                              "text": reading_text(segments),
                              "page_count": sum(1 for p in page_ids if p),
                              "witness_ids": witness_ids})
    for seq, seg in enumerate(segments):
        left, top, width, height = seg.box if seg.box else (None, None, None, None)
        page_id = page_ids[seg.page] if seg.page < len(page_ids) else None
        rows["segments"].append({"segment_id": segment_ids[seq], "document_id": doc_id,
                                 "seq": seq, "kind": seg.kind, "text": seg.text,
                                 "page_id": page_id,
                                 "witness_id": witness_ids[0] if witness_ids else None,
                                 "left": left, "top": top, "width": width, "height": height})
    for e in entities:
        seg_id = segment_ids[e.segment] if 0 <= e.segment < len(segment_ids) else None
        rows["entities"].append({"document_id": doc_id, "kind": e.kind, "text": e.text,
                                 "normalized": e.normalized, "segment_id": seg_id})


def _covered_document(t: StoredTranscription, alignments: list, page_document: dict
                      ) -> str | None:
    """The document whose pages hold most of a transcription's text, if they hold at least half
    of it; otherwise the transcription stands as a document of its own."""
    total = sum(len(l.text) for l in t.lines) or 1
    covered: dict[str, dict[int, int]] = defaultdict(dict)
    lengths = {l.line_no: len(l.text) for l in t.lines}
    for a in alignments:
        doc = page_document.get(a.page_id)
        if doc:
            for n in range(a.line_start, a.line_end + 1):
                covered[doc][n] = lengths.get(n, 0)
    best = max(covered, key=lambda d: sum(covered[d].values()), default=None)
    if best is None or sum(covered[best].values()) < total / 2:
        return None
    return best


def _attach_witness(rows: dict, doc_id: str, witness_id: str) -> None:
    for doc in rows["documents"]:
        if doc["document_id"] == doc_id:
            doc["witness_ids"] = [*doc["witness_ids"], witness_id]


def _printed_page_numbers(segments: list[Segment], page_ids: list[str]) -> dict[str, int]:
    numbers = {}
    for seg in segments:
        if seg.kind == "page_number" and seg.page < len(page_ids):
            digits = re.search(r"\d+", seg.text)
            if digits:
                numbers[page_ids[seg.page]] = int(digits.group())
    return numbers
