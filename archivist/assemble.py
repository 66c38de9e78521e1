"""From witnesses to documents: the derived tables, recomputed from what is stored.

The order of work is the archivist's:
1. group rescans and carbons of one page (`collate.group_pages`);
2. find where each transcription copies a page (`align.find_matches`), so that the transcription
   becomes one more witness of that page;
3. fuse each page's witnesses into one reading (`fusion.fuse`), keeping every disagreement;
4. what a transcription holds beyond the scanned pages is collated with itself: a page or a P.S.
   transcribed twice is fused into one passage;
5. split the fused page stream into documents and describe each (`structure`, `metadata`).
Pure except for `load_corpus`, which only reads.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from rapidfuzz.distance import Levenshtein

from archivist.align import Match, Token, find_matches, tokenize
from archivist.collate import PageText, group_pages
from archivist.fusion import Copy, Fused, fuse, proper_names
from archivist.metadata import describe
from archivist.ocr import TextLine, lines_to_text
from archivist.passages import group_passages, split_passages
from archivist.records import short_id
from archivist.store import RANKED_OCR_WITNESSES, Store
from archivist.structure import Line, Segment, document_starts, reading_text, segment_document

MIN_MATCH_TOKENS = 15  # shorter repeats are formulae ("you will remember that"), not copies
MIN_MATCH_SCORE = 70.0
MIN_DOCUMENT_TOKENS = 30  # a leftover of a transcription shorter than this is not a document
# Segment kind of what OCR kept out of a page's text (archivist.nontext's kinds).
NONTEXT_SEGMENT_KINDS = {"stamp": "stamp", "marginalia": "marginalia", "border": "other",
                         "rule": "other"}


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
    page_id: str
    witness_id: str
    source_path: str
    page_index: int
    width: int | None
    mean_conf: float | None
    ocr_text: str
    words: int
    source_pages: int = 1
    lines: list[TextLine] = field(default_factory=list)
    confs: list[list[float]] = field(default_factory=list)  # per line, per word
    other_ocr: list[StoredOcr] = field(default_factory=list)
    # What the newest OCR kept out of the text: (kind, text, box) per line of one kind.
    nontext: list[tuple[str, str, tuple[int, int, int, int]]] = field(default_factory=list)

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


@dataclass
class Corpus:
    pages: list[StoredPage]
    transcriptions: list[StoredTranscription]


def load_corpus(store: Store) -> Corpus:
    """Each page with its newest OCR witness (lines and word confidences) and its earlier OCR
    passes (re-OCR keeps them as witnesses); each transcription with its lines."""
    page_rows = store.query(f"""
        WITH latest AS ({RANKED_OCR_WITNESSES})
        SELECT p.page_id, l.witness_id, s.path, p.page_index, p.width, p.mean_conf, l.text,
               (SELECT count(*) FROM words wd WHERE wd.witness_id = l.witness_id),
               (SELECT count(*) FROM pages q WHERE q.source_id = p.source_id)
        FROM pages p JOIN sources s USING (source_id)
        JOIN latest l ON l.page_id = p.page_id AND l.rank = 1
        ORDER BY s.path, p.page_index""")
    lines_by_witness = _lines_by_witness(store)
    confs_by_witness = _confs_by_witness(store)
    pages = [StoredPage(page_id=r[0], witness_id=r[1], source_path=r[2], page_index=r[3],
                        width=r[4], mean_conf=r[5], ocr_text=r[6] or "", words=r[7],
                        source_pages=r[8], lines=lines_by_witness.get(r[1], []),
                        confs=confs_by_witness.get(r[1], [])) for r in page_rows]
    by_id = {p.page_id: p for p in pages}
    for page_id, wid in store.query(f"SELECT page_id, witness_id FROM ({RANKED_OCR_WITNESSES}) "
                                    "ORDER BY page_id, rank"):
        page = by_id.get(page_id)
        if page is not None and wid != page.witness_id:
            page.other_ocr.append(StoredOcr(wid, lines_by_witness.get(wid, []),
                                            confs_by_witness.get(wid, [])))
    for page_id, kind, text, left, top, right, bottom in store.query("""
            SELECT n.page_id, wd.kind, string_agg(wd.text, ' ' ORDER BY wd.word),
                   min(wd."left"), min(wd.top), max(wd."left" + wd.width),
                   max(wd.top + wd.height)
            FROM witnesses n JOIN witnesses o ON o.page_id = n.page_id AND o.run_id = n.run_id
                 AND o.kind = 'ocr'
            JOIN words wd ON wd.witness_id = n.witness_id
            WHERE n.kind = 'nontext' AND list_contains(?, o.witness_id)
            GROUP BY n.page_id, wd.kind, wd.block, wd.par, wd.line
            ORDER BY n.page_id, min(wd.top), min(wd."left")""",
            [[p.witness_id for p in pages]]):
        if page_id in by_id:
            by_id[page_id].nontext.append((kind, text, (left, top, right - left, bottom - top)))
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


def _confs_by_witness(store: Store) -> dict[str, list[list[float]]]:
    """Word confidences per line, lines numbered as `ocr.words_to_lines` numbers them."""
    out: dict[str, list[list[float]]] = defaultdict(list)
    last: dict[str, tuple] = {}
    for wid, block, par, line, conf in store.query(
            "SELECT witness_id, block, par, line, conf FROM words "
            "ORDER BY witness_id, block, par, line, word"):
        if last.get(wid) != (block, par, line):
            out[wid].append([])
            last[wid] = (block, par, line)
        out[wid][-1].append(conf)
    return out


# -- building the derived tables ---------------------------------------------------------

@dataclass
class _Derived:
    rows: dict[str, list[dict]] = field(default_factory=lambda: defaultdict(list))
    page_document: dict[str, str] = field(default_factory=dict)
    page_numbers: dict[str, int] = field(default_factory=dict)
    page_texts: dict[str, str] = field(default_factory=dict)
    page_variants: dict[str, list] = field(default_factory=dict)
    page_witnesses: dict[str, list[str]] = field(default_factory=dict)  # every copy fused


def build_derived(corpus: Corpus, *, century: int | None = None
                  ) -> tuple[dict[str, list[dict]], list[dict]]:
    """Rows for the derived tables, and the pages' document_id/page_number/text updates."""
    out = _Derived()
    members = group_pages([PageText(p.page_id, p.ocr_text, p.mean_conf, p.words)
                           for p in corpus.pages])
    out.rows["page_groups"] = [vars(m) | {} for m in members]
    canonical_of = _canonical_of(members)
    stream = _page_stream(corpus.pages, canonical_of)
    page_tokens = {p.page_id: p.tokens() for p in corpus.pages}
    text_tokens = {t.witness_id: t.tokens() for t in corpus.transcriptions}
    names = proper_names([t for ts in [*page_tokens.values(), *text_tokens.values()] for t in ts])

    page_matches = _match_transcriptions(stream, page_tokens, corpus.transcriptions,
                                         text_tokens, out)
    fused_pages = _fuse_pages(corpus.pages, stream, canonical_of, page_tokens, text_tokens,
                              page_matches, names, out)
    for doc_pages in _split(stream, fused_pages):
        _add_page_document(out, doc_pages, fused_pages, century, names)

    for t in corpus.transcriptions:
        covered = {i for m, _ in page_matches.get(t.witness_id, []) for i in
                   range(m.b_start, m.b_end)}
        for chunk in _uncovered_chunks(text_tokens[t.witness_id], covered):
            _add_transcription_document(out, t, chunk, names, century)

    for p in corpus.pages:  # duplicates follow their canonical page
        canonical = canonical_of.get(p.page_id, p.page_id)
        if canonical in out.page_document:
            out.page_document[p.page_id] = out.page_document[canonical]
            out.page_texts[p.page_id] = out.page_texts[canonical]
    updates = [{"page_id": pid, "document_id": doc,
                "page_number": out.page_numbers.get(canonical_of.get(pid, pid)),
                "text": out.page_texts.get(pid)}
               for pid, doc in out.page_document.items()]
    return dict(out.rows), updates


def _match_transcriptions(stream: list[StoredPage], page_tokens: dict[str, list[Token]],
                          transcriptions: list[StoredTranscription],
                          text_tokens: dict[str, list[Token]], out: _Derived
                          ) -> dict[str, list[tuple[Match, str]]]:
    """Where each transcription copies each canonical page: transcription id -> (match, page)."""
    found: dict[str, list[tuple[Match, str]]] = defaultdict(list)
    candidates = _candidate_pages(stream, transcriptions)
    for wid, tokens in text_tokens.items():
        for page in stream:
            if page.page_id not in candidates[wid]:
                continue
            for m in find_matches(page_tokens[page.page_id], tokens,
                                  min_tokens=MIN_MATCH_TOKENS, min_score=MIN_MATCH_SCORE):
                found[wid].append((m, page.page_id))
                out.rows["alignments"].append({
                    "witness_id": wid, "line_start": tokens[m.b_start].line,
                    "line_end": tokens[m.b_end - 1].line,
                    "char_start": tokens[m.b_start].start,
                    "char_end": tokens[m.b_end - 1].start + len(tokens[m.b_end - 1].text),
                    "page_id": page.page_id, "score": m.score})
    return found


def _candidate_pages(stream: list[StoredPage], transcriptions: list[StoredTranscription]
                     ) -> dict[str, set[str]]:
    """Which pages each transcription may copy: those sharing a near-duplicate passage with it
    (MinHash LSH, `passages.group_passages`), so that matching stays near-linear in the number of
    pages instead of trying every transcription against every page."""
    passages = []
    for page in stream:
        passages += split_passages(page.page_id, page.ocr_text)
    for t in transcriptions:
        passages += split_passages(t.witness_id, lines_to_text(t.lines))
    groups: dict[str, set[str]] = defaultdict(set)
    for member in group_passages(passages):
        groups[member.group_id].add(member.witness_id)
    text_ids = {t.witness_id for t in transcriptions}
    candidates: dict[str, set[str]] = defaultdict(set)
    for ids in groups.values():
        for wid in ids & text_ids:
            candidates[wid] |= ids - text_ids
    return candidates


def _fuse_pages(pages: list[StoredPage], stream: list[StoredPage], canonical_of: dict[str, str],
                page_tokens: dict[str, list[Token]], text_tokens: dict[str, list[Token]],
                page_matches: dict[str, list[tuple[Match, str]]], names: Counter,
                out: _Derived) -> dict[str, Fused]:
    """One fused reading per canonical page, from every scan of it and every transcribed copy."""
    copies: dict[str, list[Copy]] = defaultdict(list)
    for p in pages:
        group = copies[canonical_of.get(p.page_id, p.page_id)]
        group.append(Copy(page_tokens[p.page_id], p.witness_id))
        group.extend(Copy(o.tokens(), o.witness_id) for o in p.other_ocr)
    for wid, matches in page_matches.items():
        for m, page_id in matches:
            copies[page_id].append(Copy(text_tokens[wid][m.b_start:m.b_end], wid))
    fused = {}
    for page in stream:
        group = copies[page.page_id]
        fused[page.page_id] = result = fuse(group, _names_outside(names, group))
        out.page_texts[page.page_id] = "\n".join(_lines_of(result.tokens))
        _add_passage_group(out, "g" + page.page_id, group, result)
        out.page_variants[page.page_id] = result.variants
        out.page_witnesses[page.page_id] = [c.witness_id for c in group]
    return fused


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


def _add_page_document(out: _Derived, doc_pages: list[StoredPage], fused: dict[str, Fused],
                       century: int | None, names: Counter | None = None) -> None:
    doc_id = short_id("d", doc_pages[0].page_id)
    page_ids = [p.page_id for p in doc_pages]
    lines = [line for i, p in enumerate(doc_pages) for line in _page_lines(p, fused[p.page_id], i)]
    segments = segment_document(lines)
    witnesses = sorted({w for p in doc_pages for w in out.page_witnesses.get(p.page_id, [])})
    _add_document(out.rows, doc_id, segments, page_ids, witnesses, century, names,
                  kept_out=_nontext_segments(doc_pages))
    for p in doc_pages:
        out.page_document[p.page_id] = doc_id
        _add_variants(out.rows, doc_id, p.page_id, out.page_variants.get(p.page_id, []))
    out.page_numbers.update(_printed_page_numbers(segments, page_ids))


def _page_lines(page: StoredPage, fused: Fused, index: int) -> list[Line]:
    """The fused page as lines. Where the fused reading kept the page's own OCR layout, lines
    keep their boxes and paragraphs their blank line; otherwise (a transcription was the best
    copy) the transcription's line breaks stand."""
    own = page.lines_of(fused.pivot_witness) or []
    by_no = {l.line_no: l for l in own}
    lines: list[Line] = []
    last_line, last_par = None, None
    for t in fused.tokens:
        if t.line == last_line and lines:
            lines[-1].text += " " + t.text
            continue
        source = by_no.get(t.line)
        par = source.par_no if source else None
        lines.append(Line(text=t.text, page=index, page_width=page.width,
                          box=source.box if source else None))
        last_line, last_par = t.line, par
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


def _split(stream: list[StoredPage], fused: dict[str, Fused]) -> list[list[StoredPage]]:
    if not stream:
        return []
    pages = [_page_lines(p, fused[p.page_id], i) for i, p in enumerate(stream)]
    starts = sorted(set(document_starts(pages)) | {0})
    bounds = starts + [len(stream)]
    return [stream[a:b] for a, b in zip(bounds, bounds[1:]) if a < b]


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


def _nontext_segments(doc_pages: list[StoredPage]) -> list[Segment]:
    """Stamps, marginalia and the like that OCR kept out of the text, as segments of their own
    kind (specks are noise: their words stay in `words`, they make no segment)."""
    return [Segment(kind=NONTEXT_SEGMENT_KINDS[kind], text=text, page=i, first_line=-1,
                    last_line=-1, box=box)
            for i, page in enumerate(doc_pages) for kind, text, box in page.nontext
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
