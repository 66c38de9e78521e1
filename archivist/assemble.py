"""From witnesses to documents: the derived tables, recomputed from what is stored.

The order of work is the archivist's:
1. group rescans and carbons of one page (`collate.duplicate_groups`);
2. find where each transcription copies a page (`align.find_matches`), so that the transcription
   becomes one more witness of that page;
3. fuse each page's witnesses into one reading (`fusion.fuse`), keeping every disagreement;
4. what a transcription holds beyond the scanned pages is collated with itself: a page or a P.S.
   transcribed twice is fused into one passage;
5. split the fused page stream into documents and describe each (`structure`, `metadata`).

The corpus is read from the database a batch of pages at a time (`StoredCorpus`) and the rows
leave a batch at a time (`derived_batches`). What concerns every page (its number in reading
order, its MinHash band keys, the candidate duplicate pairs, its group and the groups' reading
order) lies in temporary tables of the store's connection, which DuckDB spills to disk, not in
Python: what Python holds for the whole collection is ~24 bytes a page while duplicates are
confirmed (quality and union-find arrays), the confirmed duplicate pairs, the vocabulary of
names, the transcriptions (each read whole) and the longest document (held until the page after
it). It writes only temporary tables; the caller writes the rows.
"""

from __future__ import annotations

import contextlib
import re
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import groupby, tee
from typing import Iterator

import duckdb
import numpy as np
import pyarrow as pa
from rapidfuzz.distance import Levenshtein

from archivist.align import Match, Token, find_matches, line_words, tokenize
from archivist.banding import StoredBands
from archivist.collate import (TEXTS_PER_BLOCK, PageGroup, duplicate_groups,
                               page_signatures)
from archivist.collate import normalize as normalize_page
from archivist.fusion import Copy, Fused, fuse, names_in, proper_names
from archivist.metadata import describe
from archivist.ocr import TextLine, lines_to_text
from archivist.passages import PassageIndex, split_passages
from archivist.records import short_id
from archivist.store import RANKED_OCR_WITNESSES, Store
from archivist.structure import (Line, Segment, page_segments, reading_text,
                                 segment_document, segmented_breaks)

MIN_MATCH_TOKENS = 15  # shorter repeats are formulae ("you will remember that"), not copies
MIN_MATCH_SCORE = 70.0
MIN_DOCUMENT_TOKENS = 30  # a leftover of a transcription shorter than this is not a document
# Segment kind of what OCR kept out of a page's text (archivist.nontext's kinds).
NONTEXT_SEGMENT_KINDS = {"stamp": "stamp", "marginalia": "marginalia", "border": "other",
                         "rule": "other"}
# What a page's newest OCR kept out of its text: (kind, text, box) per line of one kind.
Nontext = list[tuple[str, str, tuple[int, int, int, int]]]


@dataclass
class StoredOcr:
    """An earlier OCR pass of a page (a run before a re-OCR): one more witness to fuse."""
    witness_id: str
    lines: list[TextLine] = field(default_factory=list)
    confs: list[list[float]] = field(default_factory=list)

    def tokens(self) -> list[Token]:
        return tokenize([l.text for l in self.lines], self.witness_id, self.confs,
                        [l.char_start for l in self.lines])


@dataclass
class StoredPage:
    """A page as the assembly reads it, a batch at a time: its newest OCR witness in full."""
    page_id: str
    witness_id: str
    width: int | None
    ocr_text: str
    lines: list[TextLine] = field(default_factory=list)
    confs: list[list[float]] = field(default_factory=list)  # per line, per word
    other_ocr: list[StoredOcr] = field(default_factory=list)
    nontext: Nontext = field(default_factory=list)

    def tokens(self) -> list[Token]:
        return tokenize([l.text for l in self.lines], self.witness_id, self.confs,
                        [l.char_start for l in self.lines])

    def lines_of(self, witness_id: str) -> list[TextLine] | None:
        """The lines (with boxes) of one of this page's OCR witnesses, None for another's."""
        if witness_id == self.witness_id:
            return self.lines
        return next((o.lines for o in self.other_ocr if o.witness_id == witness_id), None)


@dataclass
class StoredTranscription:
    witness_id: str
    source_path: str
    lines: list[TextLine] = field(default_factory=list)

    def tokens(self) -> list[Token]:
        return tokenize([l.text for l in self.lines], self.witness_id, None,
                        [l.char_start for l in self.lines])


PAGES_PER_BATCH = 1000
"""Pages read from the database at once (each batch scans the lines and words tables once);
measured with tracemalloc, the assembly's Python peak with batches of 1,000 one-page letters
is ~75 MB."""
ROWS_PER_BATCH = 20_000  # derived rows handed to the writer at once


@dataclass(slots=True)
class PageEntry:
    """A page as the assembly's passes read it from the numbered pages: which witness to load,
    not its text (its quality and its source's length stay in the table, where `quality` and
    `order_stream` read them)."""
    page_id: str
    witness_id: str  # its newest OCR witness
    width: int | None


@dataclass(slots=True)
class StreamedGroup:
    """A duplicate group at its place in the reading order."""
    canonical: PageEntry
    members: list[PageEntry]  # in reading order, the canonical among them
    similarity: list[float]  # each member's to the canonical, rounded (100 for itself)


_ENTRY = "page_id, witness_id, width"  # PageEntry's columns


class StoredCorpus:
    """The witnesses of a Store, read a batch of pages at a time: the assembly never holds the
    whole corpus, so its memory does not grow with the collection's text. The collection's
    pages are numbered, grouped and ordered in temporary tables of the store's connection
    (`number_pages`, `order_stream`), which the passes read a batch at a time: a list of a
    million pages' ids and groups would itself be a gigabyte."""

    def __init__(self, store: Store) -> None:
        self.store = store
        # The temporary tables of this rebuild (the pages numbered, then the groups in reading
        # order; `derived_batches` adds the duplicate candidates'), named apart from any other
        # rebuild's on the same connection.
        self.prefix = f"assembly_{uuid.uuid4().hex[:8]}"
        self.numbered, self.order = f"temp.{self.prefix}_pages", f"temp.{self.prefix}_stream"

    def number_pages(self) -> int:
        """Every page with its newest OCR witness, numbered from 0 in reading order (source
        path, page); the number of pages."""
        self.store.con.execute(f"""
            CREATE OR REPLACE TEMP TABLE {self.numbered} AS
            WITH latest AS ({RANKED_OCR_WITNESSES})
            SELECT row_number() OVER (ORDER BY s.path, p.page_index) - 1 AS position,
                   p.page_id, l.witness_id, p.width, p.mean_conf,
                   (SELECT count(*) FROM words wd WHERE wd.witness_id = l.witness_id) AS words,
                   (SELECT count(*) FROM pages q WHERE q.source_id = p.source_id)
                       AS source_pages
            FROM pages p JOIN sources s USING (source_id)
            JOIN latest l ON l.page_id = p.page_id AND l.rank = 1
            ORDER BY position""")
        return self.store.query(f"SELECT count(*) FROM {self.numbered}")[0][0]

    def entries(self, start: int, stop: int) -> list[PageEntry]:
        """The pages numbered start to stop - 1."""
        return [PageEntry(*r) for r in self.store.query(
            f"SELECT {_ENTRY} FROM {self.numbered} WHERE position >= ? AND position < ? "
            "ORDER BY position", [start, stop])]

    def quality(self) -> tuple[np.ndarray, np.ndarray]:
        """Every page's mean confidence (0 where unknown) and words, by number: what chooses
        a duplicate group's canonical page."""
        found = self.store.con.execute(f"SELECT coalesce(mean_conf, 0.0) AS conf, words "
                                       f"FROM {self.numbered} ORDER BY position").fetchnumpy()
        return np.asarray(found["conf"], np.float64), np.asarray(found["words"], np.int64)

    def normalized_texts(self, positions: list[int]) -> dict[int, str]:
        """The texts of these pages (by number) that confirm duplicates, normalized, read a
        batch at a time."""
        texts: dict[int, str] = {}
        for start in range(0, len(positions), PAGES_PER_BATCH):
            texts.update((i, normalize_page(text)) for i, text in self.store.query(
                f"SELECT p.position, coalesce(w.text, '') FROM {self.numbered} p "
                "LEFT JOIN witnesses w USING (witness_id) "
                "WHERE p.position IN (SELECT unnest(?))",
                [positions[start:start + PAGES_PER_BATCH]]))
        return texts

    def order_stream(self, groups: list[PageGroup]) -> int:
        """The reading order of the duplicate groups (a page alone is a group of one); the
        number of groups.

        A group stands where its member from the longest source stands: a loose carbon of
        page 4 belongs after page 3 of the ribbon copy, not wherever its file name sorts. The
        numbered pages are dropped (their columns are copied into the order): `entries`,
        `quality` and `normalized_texts` serve the first pass only."""
        size = sum(len(g.members) for g in groups)
        table = pa.table({
            "position": np.fromiter((i for g in groups for i, _ in g.members), np.int64, size),
            "canonical": np.fromiter((g.canonical for g in groups for _ in g.members),
                                     np.int64, size),
            "similarity": np.fromiter((s for g in groups for _, s in g.members), np.float64,
                                      size)})
        con = self.store.con
        con.register("_duplicate_members", table)
        try:
            con.execute(f"""
                CREATE OR REPLACE TEMP TABLE {self.order} AS
                WITH member AS (
                    SELECT p.*, coalesce(g.canonical, p.position) AS canonical,
                           coalesce(g.similarity, 100.0) AS similarity
                    FROM {self.numbered} p LEFT JOIN _duplicate_members g USING (position)),
                anchored AS (
                    SELECT canonical, row_number() OVER (ORDER BY anchor) - 1 AS seq
                    FROM (SELECT canonical,
                                 first(position ORDER BY source_pages DESC, position) AS anchor
                          FROM member GROUP BY canonical))
                SELECT a.seq, m.* FROM member m JOIN anchored a USING (canonical)
                ORDER BY a.seq, m.position""")
        finally:
            con.unregister("_duplicate_members")
        con.execute(f"DROP TABLE {self.numbered}")
        return self.store.query(f"SELECT coalesce(max(seq) + 1, 0) FROM {self.order}")[0][0]

    def stream(self, start: int, stop: int) -> list[StreamedGroup]:
        """The groups at places start to stop - 1 of the reading order."""
        rows = self.store.query(
            f"SELECT seq, position = canonical, similarity, {_ENTRY} FROM {self.order} "
            "WHERE seq >= ? AND seq < ? ORDER BY seq, position", [start, stop])
        groups = []
        for _, group in groupby(rows, key=lambda row: row[0]):
            members = [(is_canonical, similarity, PageEntry(*entry))
                       for _, is_canonical, similarity, *entry in group]
            groups.append(StreamedGroup(
                next(entry for is_canonical, _, entry in members if is_canonical),
                [entry for *_, entry in members], [similarity for _, similarity, _ in members]))
        return groups

    def drop_tables(self) -> None:
        """The temporary tables (also gone when the connection closes)."""
        for table in (self.numbered, self.order):
            with contextlib.suppress(duckdb.Error):
                self.store.con.execute(f"DROP TABLE IF EXISTS {table}")

    def texts(self, witness_ids: list[str]) -> dict[str, str]:
        """These witnesses' texts (the duplicate-page check reads only its candidates')."""
        return dict(self.store.query(
            "SELECT witness_id, coalesce(text, '') FROM witnesses "
            "WHERE witness_id IN (SELECT unnest(?))", [witness_ids]))

    def pages(self, entries: list[PageEntry], *, full: bool = True) -> list[StoredPage]:
        """These pages with their newest OCR text and lines; when `full`, also its word
        confidences, the page's earlier OCR passes (re-OCR keeps them as witnesses) and what
        OCR kept out of the text."""
        newest = [e.witness_id for e in entries]
        page_ids = [e.page_id for e in entries]
        others: dict[str, list[str]] = defaultdict(list)
        if full:
            for page_id, wid in self.store.query(
                    f"SELECT page_id, witness_id FROM ({RANKED_OCR_WITNESSES}) "
                    "WHERE rank > 1 AND page_id IN (SELECT unnest(?)) ORDER BY page_id, rank",
                    [page_ids]):
                others[page_id].append(wid)
        every = newest + [w for ws in others.values() for w in ws]
        texts = self.texts(newest)
        lines = _lines_by_witness(self.store, every)
        confs = _confs_by_witness(self.store, every) if full else {}
        nontext = _nontext_by_page(self.store, newest) if full else {}
        return [StoredPage(page_id=r.page_id, witness_id=r.witness_id, width=r.width,
                           ocr_text=texts.get(r.witness_id, ""),
                           lines=lines.get(r.witness_id, []), confs=confs.get(r.witness_id, []),
                           other_ocr=[StoredOcr(w, lines.get(w, []), confs.get(w, []))
                                      for w in others.get(r.page_id, [])],
                           nontext=nontext.get(r.page_id, []))
                for r in entries]

    def transcriptions(self) -> list[StoredTranscription]:
        """Every transcription with its lines (held whole: a transcription is read as one)."""
        rows = self.store.query("""
            SELECT w.witness_id, s.path FROM witnesses w JOIN sources s USING (source_id)
            WHERE w.kind = 'transcription' ORDER BY s.path""")
        lines = _lines_by_witness(self.store, [r[0] for r in rows])
        return [StoredTranscription(r[0], r[1], lines.get(r[0], [])) for r in rows]


def _lines_by_witness(store: Store, witness_ids: list[str]) -> dict[str, list[TextLine]]:
    out: dict[str, list[TextLine]] = defaultdict(list)
    for wid, line_no, par_no, text, start, end, left, top, width, height in store.query(
            """SELECT witness_id, line_no, par_no, text, char_start, char_end, "left", top,
                      width, height FROM lines WHERE witness_id IN (SELECT unnest(?))
               ORDER BY witness_id, line_no""", [witness_ids]):
        box = (left, top, width, height) if left is not None else None
        out[wid].append(TextLine(line_no, par_no, text, start, end, box))
    return out


def _confs_by_witness(store: Store, witness_ids: list[str]) -> dict[str, list[list[float]]]:
    """Word confidences per line, lines numbered as `ocr.words_to_lines` numbers them."""
    out: dict[str, list[list[float]]] = defaultdict(list)
    last: dict[str, tuple] = {}
    for wid, block, par, line, conf in store.query(
            "SELECT witness_id, block, par, line, conf FROM words "
            "WHERE witness_id IN (SELECT unnest(?)) "
            "ORDER BY witness_id, block, par, line, word", [witness_ids]):
        if last.get(wid) != (block, par, line):
            out[wid].append([])
            last[wid] = (block, par, line)
        out[wid][-1].append(conf)
    return out


def _nontext_by_page(store: Store, newest: list[str]) -> dict[str, Nontext]:
    """What each page's newest OCR kept out of its text, a line of one kind at a time."""
    out: dict[str, Nontext] = defaultdict(list)
    for page_id, kind, text, left, top, right, bottom in store.query("""
            SELECT n.page_id, wd.kind, string_agg(wd.text, ' ' ORDER BY wd.word),
                   min(wd."left"), min(wd.top), max(wd."left" + wd.width),
                   max(wd.top + wd.height)
            FROM witnesses n JOIN witnesses o ON o.page_id = n.page_id AND o.run_id = n.run_id
                 AND o.kind = 'ocr'
            JOIN words wd ON wd.witness_id = n.witness_id
            WHERE n.kind = 'nontext' AND o.witness_id IN (SELECT unnest(?))
            GROUP BY n.page_id, wd.kind, wd.block, wd.par, wd.line
            ORDER BY n.page_id, min(wd.top), min(wd."left")""", [newest]):
        out[page_id].append((kind, text, (left, top, right - left, bottom - top)))
    return out


# -- building the derived tables ---------------------------------------------------------

@dataclass
class _Derived:
    """Rows not yet handed to the writer, and the pages' updates."""
    rows: dict[str, list[dict]] = field(default_factory=lambda: defaultdict(list))
    page_updates: list[dict] = field(default_factory=list)

    def size(self) -> int:
        return sum(len(r) for r in self.rows.values()) + len(self.page_updates)

    def take(self) -> tuple[dict[str, list[dict]], list[dict]]:
        """The rows so far, for the writer; the next ones start afresh."""
        batch = (dict(self.rows), self.page_updates)
        self.rows, self.page_updates = defaultdict(list), []
        return batch


@dataclass
class _FusedPage:
    """A canonical page of the stream, fused from every copy of it: only what its document
    needs (a document of hundreds of pages is held whole until the page after it)."""
    page_id: str
    lines: list[Line]
    segments: list[Segment]  # the page segmented on its own (`structure.page_segments`)
    text: str
    variants: list
    nontext: Nontext
    witnesses: list[str]  # every copy fused
    members: list[str]  # the page ids of its duplicate group


class _Transcriptions:
    """The transcriptions, held whole while the pages stream past (a transcription is read as
    one), with an index of their passages to find the pages they may copy, and which of their
    words the pages account for."""

    def __init__(self, transcriptions: list[StoredTranscription]) -> None:
        self.all = transcriptions
        self.tokens = {t.witness_id: t.tokens() for t in transcriptions}
        self.passages = [p for t in transcriptions
                         for p in split_passages(t.witness_id, lines_to_text(t.lines))]
        self.index = PassageIndex(self.passages) if self.passages else None
        self.covered: dict[str, set[int]] = defaultdict(set)

    def candidates(self, pages: list[StoredPage]) -> dict[str, set[str]]:
        """Which transcriptions each of these pages may be copied in: those sharing a
        near-duplicate passage with it (MinHash LSH), so that matching stays near-linear in
        the number of pages instead of trying every transcription against every page."""
        found: dict[str, set[str]] = defaultdict(set)
        if self.index is None:
            return found
        passages = [p for page in pages for p in split_passages(page.page_id, page.ocr_text)]
        for i, j in self.index.matches(passages):
            found[passages[i].witness_id].add(self.passages[j].witness_id)
        return found

    def copies_of(self, page_id: str, page_tokens: list[Token], candidates: set[str],
                  out: _Derived) -> list[Copy]:
        """The passages of transcriptions that copy this page, as copies of it (and as
        `alignments` rows)."""
        copies = []
        for wid, tokens in self.tokens.items():
            if wid not in candidates:
                continue
            for m in find_matches(page_tokens, tokens, min_tokens=MIN_MATCH_TOKENS,
                                  min_score=MIN_MATCH_SCORE):
                copies.append(Copy(tokens[m.b_start:m.b_end], wid))
                self.covered[wid].update(range(m.b_start, m.b_end))
                out.rows["alignments"].append({
                    "witness_id": wid, "line_start": tokens[m.b_start].line,
                    "line_end": tokens[m.b_end - 1].line,
                    "char_start": tokens[m.b_start].start,
                    "char_end": tokens[m.b_end - 1].start + len(tokens[m.b_end - 1].text),
                    "page_id": page_id, "score": m.score})
        return copies


def derived_batches(corpus: StoredCorpus, *, century: int | None = None
                    ) -> Iterator[tuple[dict[str, list[dict]], list[dict]]]:
    """Rows for the derived tables and the pages' document_id/page_number/text updates, a
    batch at a time (`Store.replace_derived` writes them as they come).

    Two passes over the pages, a batch of pages in memory at a time: the first learns what
    needs the whole collection (the vocabulary of names, the duplicate pages); the second
    fuses each canonical page in reading order with its duplicates and transcribed copies,
    and hands on each document as soon as the next page opens another."""
    bands = StoredBands(corpus.store.con, f"{corpus.prefix}_page")
    try:
        pages = corpus.number_pages()
        texts = _Transcriptions(corpus.transcriptions())
        names = _survey(corpus, pages, texts, bands)
        groups = duplicate_groups(*corpus.quality(), bands.pair_blocks(TEXTS_PER_BLOCK),
                                  corpus.normalized_texts, TEXTS_PER_BLOCK)
        bands.drop()
        places = corpus.order_stream(groups)
        del groups
        out = _Derived()
        for doc in _documents(_fused_stream(corpus, places, texts, names, out)):
            _add_page_document(out, doc, century, names)
            if out.size() >= ROWS_PER_BATCH:
                yield out.take()
        for t in texts.all:
            for chunk in _uncovered_chunks(texts.tokens[t.witness_id],
                                           texts.covered[t.witness_id]):
                _add_transcription_document(out, t, chunk, names, century)
        yield out.take()
    finally:
        with contextlib.suppress(duckdb.Error):
            bands.drop()
        corpus.drop_tables()


def _survey(corpus: StoredCorpus, pages: int, texts: _Transcriptions, bands: StoredBands
            ) -> Counter:
    """The first pass: the collection's vocabulary of names (words capitalised inside a
    sentence, counted over every page and transcription as one stream); each page's MinHash
    band keys go to `bands`."""
    names: Counter = Counter()
    last: list[str] = []  # the word before the batch: names are words inside a sentence
    for start in range(0, pages, PAGES_PER_BATCH):
        batch = corpus.pages(corpus.entries(start, start + PAGES_PER_BATCH), full=False)
        words = last + line_words([line.text for p in batch for line in p.lines])
        names += names_in(words)
        last = words[-1:]
        bands.add(start, page_signatures([p.ocr_text for p in batch]))
    for tokens in texts.tokens.values():
        words = [t.text for t in tokens]
        names += names_in(last + words)
        last = words[-1:] or last
    return names


def _fused_stream(corpus: StoredCorpus, places: int, texts: _Transcriptions, names: Counter,
                  out: _Derived) -> Iterator[_FusedPage]:
    """Each canonical page in reading order, fused from every scan of it (its duplicates
    wherever they stand, its earlier OCR passes) and every transcribed copy; its group's
    `page_groups` rows."""
    for start in range(0, places, PAGES_PER_BATCH):
        batch = corpus.stream(start, start + PAGES_PER_BATCH)
        loaded = {p.page_id: p for p in corpus.pages([m for g in batch for m in g.members])}
        candidates = texts.candidates([loaded[g.canonical.page_id] for g in batch])
        for group in batch:
            entry = group.canonical
            page = loaded[entry.page_id]
            copies, own = [], []
            for member, similarity in zip(group.members, group.similarity):
                out.rows["page_groups"].append({
                    "group_id": "g" + entry.page_id, "page_id": member.page_id,
                    "is_canonical": member is entry, "similarity": similarity})
                p = loaded[member.page_id]
                copies.append(Copy(p.tokens(), p.witness_id))
                if p is page:
                    own = copies[-1].tokens
                copies.extend(Copy(o.tokens(), o.witness_id) for o in p.other_ocr)
            copies += texts.copies_of(entry.page_id, own, candidates.get(entry.page_id, set()),
                                      out)
            fused = fuse(copies, _names_outside(names, copies))
            _add_passage_group(out, "g" + entry.page_id, copies, fused)
            lines = _page_lines(page, fused)
            yield _FusedPage(entry.page_id, lines, page_segments(lines),
                             "\n".join(_lines_of(fused.tokens)), fused.variants, page.nontext,
                             [c.witness_id for c in copies],
                             [m.page_id for m in group.members])


def _documents(pages: Iterator[_FusedPage]) -> Iterator[list[_FusedPage]]:
    """The stream of fused pages cut into documents as it is read (`segmented_breaks` looks
    one page back)."""
    ahead, behind = tee(pages)
    breaks = segmented_breaks(p.segments for p in ahead)
    doc: list[_FusedPage] = []
    for page, opens in zip(behind, breaks):
        if opens and doc:
            yield doc
            doc = []
        doc.append(page)
        if len(doc) > 1:  # its breaks are read; a page's own segments serve one-page documents
            doc[0].segments = page.segments = []
    if doc:
        yield doc


def _names_outside(names: Counter, copies: list[Copy]) -> Counter:
    inside = Counter()
    for copy in copies:
        inside.update(proper_names(copy.tokens))
    return names - inside


def _add_passage_group(out: _Derived, group_id: str, copies: list[Copy], fused: Fused) -> None:
    """A duplicate passage group: every copy, its span in its witness, the canonical one."""
    if len(copies) < 2:
        return
    canonical = [t.key for t in copies[fused.pivot].tokens]
    for i, copy in enumerate(copies):
        if not copy.tokens:
            continue
        first, last = copy.tokens[0], copy.tokens[-1]
        similarity = 100.0 * Levenshtein.normalized_similarity(
            canonical, [t.key for t in copy.tokens])
        out.rows["passage_groups"].append({
            "group_id": group_id, "witness_id": copy.witness_id, "start": first.start,
            "end": last.start + len(last.text), "text": " ".join(t.text for t in copy.tokens),
            "similarity": round(similarity, 1), "is_canonical": i == fused.pivot})


def _lines_of(tokens: list[Token]) -> list[str]:
    """Rebuild lines: consecutive words that came from one line of their witness."""
    lines: list[list[str]] = []
    last = None
    for t in tokens:
        if t.line != last or not lines:
            lines.append([])
            last = t.line
        lines[-1].append(t.text)
    return [" ".join(words) for words in lines]


def _add_page_document(out: _Derived, doc: list[_FusedPage], century: int | None,
                       names: Counter | None = None) -> None:
    """A document of scanned pages: its rows, and its pages' updates (duplicates follow their
    canonical page)."""
    doc_id = short_id("d", doc[0].page_id)
    page_ids = [p.page_id for p in doc]
    segments = doc[0].segments if len(doc) == 1 else segment_document(
        [Line(line.text, i, line.box, line.page_width)
         for i, page in enumerate(doc) for line in page.lines])
    witnesses = sorted({w for p in doc for w in p.witnesses})
    _add_document(out.rows, doc_id, segments, page_ids, witnesses, century, names,
                  kept_out=_nontext_segments([p.nontext for p in doc]))
    numbers = _printed_page_numbers(segments, page_ids)
    for p in doc:
        _add_variants(out.rows, doc_id, p.page_id, p.variants)
        out.page_updates += [{"page_id": member, "document_id": doc_id,
                              "page_number": numbers.get(p.page_id), "text": p.text}
                             for member in p.members]


def _page_lines(page: StoredPage, fused: Fused) -> list[Line]:
    """The fused page as lines. Where the fused reading kept the page's own OCR layout, lines
    keep their boxes; otherwise (a transcription was the best copy) the transcription's line
    breaks stand."""
    own = page.lines_of(fused.pivot_witness) or []
    by_no = {l.line_no: l for l in own}
    lines: list[Line] = []
    last_line = None
    for t in fused.tokens:
        if t.line == last_line and lines:
            lines[-1].text += " " + t.text
            continue
        source = by_no.get(t.line)
        lines.append(Line(text=t.text, page_width=page.width,
                          box=source.box if source else None))
        last_line = t.line
    return lines


def _uncovered_chunks(tokens: list[Token], covered: set[int]) -> list[list[Token]]:
    """Runs of a transcription's words that no scanned page accounts for."""
    chunks: list[list[Token]] = []
    current: list[Token] = []
    for i, t in enumerate(tokens):
        if i in covered:
            if current:
                chunks.append(current)
            current = []
        else:
            current.append(t)
    if current:
        chunks.append(current)
    return [c for c in chunks if sum(1 for t in c if t.key) >= MIN_DOCUMENT_TOKENS]


def _add_transcription_document(out: _Derived, transcription: StoredTranscription,
                                tokens: list[Token], names: Counter,
                                century: int | None) -> None:
    """A transcription (or the part of it no scan covers) as a document of its own, its repeated
    passages fused into one."""
    deduped, variants = collate_with_itself(tokens, transcription.witness_id, names, out)
    par_of = {l.line_no: l.par_no for l in transcription.lines}
    kept: list[TextLine] = []
    for t in deduped:
        if kept and kept[-1].line_no == t.line:
            last = kept[-1]
            kept[-1] = TextLine(last.line_no, last.par_no, f"{last.text} {t.text}",
                                last.char_start, last.char_end)
        else:
            kept.append(TextLine(t.line, par_of.get(t.line, 0), t.text, t.start, t.start))
    doc_id = short_id("d", transcription.witness_id, tokens[0].start)
    segments = segment_document(transcription_lines(kept))
    _add_document(out.rows, doc_id, segments, [None], [transcription.witness_id], century, names)
    _add_variants(out.rows, doc_id, None, variants)


def collate_with_itself(tokens: list[Token], witness_id: str, names: Counter,
                        out: _Derived | None = None) -> tuple[list[Token], list]:
    """A witness with its repeated passages fused: each group of copies becomes one fused passage
    standing where its best copy stood; the other copies are dropped (their readings are kept as
    variants)."""
    matches = find_matches(tokens, min_tokens=MIN_MATCH_TOKENS, min_score=MIN_MATCH_SCORE)
    groups = _overlapping_groups(matches)
    replaced: dict[int, tuple[int, Fused]] = {}  # start of kept copy -> (its end, fused)
    dropped: set[int] = set()
    variants = []
    for spans in groups:
        copies = [Copy(tokens[a:b], witness_id) for a, b in spans]
        fused = fuse(copies, _names_outside(names, copies))
        keep = spans[fused.pivot]
        replaced[keep[0]] = (keep[1], fused)
        for n, (a, b) in enumerate(spans):
            if n != fused.pivot:
                dropped.update(range(a, b))
        if out is not None:
            _add_passage_group(out, short_id("p", witness_id, tokens[keep[0]].start), copies,
                               fused)
        variants.extend(fused.variants)
    result: list[Token] = []
    i = 0
    while i < len(tokens):
        if i in replaced:
            end, fused = replaced[i]
            result.extend(fused.tokens)
            i = end
            continue
        if i not in dropped:
            result.append(tokens[i])
        i += 1
    return result, variants


def _overlapping_groups(matches: list[Match]) -> list[list[tuple[int, int]]]:
    """Spans that repeat each other, grouped. A span that mostly overlaps a known span is the
    same copy; one that only grazes it (region extension can run a word or two into the next
    passage) is trimmed so that no word belongs to two copies."""
    spans: list[tuple[int, int]] = []
    parent: list[int] = []

    def span_id(a: int, b: int) -> int | None:
        for n, (x, y) in enumerate(spans):
            overlap = min(b, y) - max(a, x)
            if overlap > 0.5 * min(b - a, y - x):
                spans[n] = (min(a, x), max(b, y))
                return n
            if overlap > 0:
                a, b = (y, b) if a >= x else (a, x)
        if b - a < MIN_MATCH_TOKENS:
            return None
        spans.append((a, b))
        parent.append(len(parent))
        return len(spans) - 1

    def find(n: int) -> int:
        while parent[n] != n:
            n = parent[n]
        return n

    for m in sorted(matches, key=lambda m: -(m.a_end - m.a_start)):
        x, y = span_id(m.a_start, m.a_end), span_id(m.b_start, m.b_end)
        if x is not None and y is not None and x != y:
            parent[find(y)] = find(x)
    groups: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for n, span in enumerate(spans):
        groups[find(n)].append(span)
    return [sorted(g) for g in groups.values() if len(g) > 1]


def _add_variants(rows: dict, doc_id: str, page_id: str | None, variants: list) -> None:
    for n, v in enumerate(variants):  # n: rejected insertions can share a position
        rows["variants"].append({
            "variant_id": short_id("v", doc_id, page_id, v.position, v.chosen, n),
            "document_id": doc_id, "page_id": page_id, "position": v.position,
            "chosen": v.chosen, "alternatives": v.alternatives, "margin": v.margin})


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


def _nontext_segments(doc_pages: list[Nontext]) -> list[Segment]:
    """Stamps, marginalia and the like that OCR kept out of the document's pages' text, as
    segments of their own kind (specks are noise: their words stay in `words`, they make no
    segment)."""
    return [Segment(kind=NONTEXT_SEGMENT_KINDS[kind], text=text, page=i, first_line=-1,
                    last_line=-1, box=box)
            for i, nontext in enumerate(doc_pages) for kind, text, box in nontext
            if kind in NONTEXT_SEGMENT_KINDS]


def _add_document(rows: dict, doc_id: str, segments: list[Segment], page_ids: list,
                  witness_ids: list[str], century: int | None,
                  names: Counter | None = None, kept_out: list[Segment] | None = None) -> None:
    """A document's row, its segments (those kept out of the text last, after describing
    the document from its text) and its entities."""
    meta, entities = describe(segments, century=century, names=names)
    segments = segments + (kept_out or [])
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
                                 "witness_id": witness_ids[0] if len(witness_ids) == 1 else None,
                                 "left": left, "top": top, "width": width, "height": height})
    for e in entities:
        seg_id = segment_ids[e.segment] if 0 <= e.segment < len(segment_ids) else None
        rows["entities"].append({"document_id": doc_id, "kind": e.kind, "text": e.text,
                                 "normalized": e.normalized, "segment_id": seg_id})


def _printed_page_numbers(segments: list[Segment], page_ids: list[str]) -> dict[str, int]:
    numbers = {}
    for seg in segments:
        if seg.kind == "page_number" and seg.page < len(page_ids):
            digits = re.search(r"\d+", seg.text)
            if digits:
                numbers[page_ids[seg.page]] = int(digits.group())
    return numbers
