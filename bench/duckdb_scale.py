"""DuckDB at corpus scale: load rate of the pipeline's insert path, and five typical queries, on a
generated corpus of 10M OCR words.

    .venv/bin/python bench/duckdb_scale.py [--words 10000000] [--runs 5] [--seed 7]

The corpus looks like what `archivist run` writes for a large collection: one single-page image
source per page (~250 words: 25 lines of ~10 words, 1-3 blocks), so 40,000 sources, pages, OCR
witnesses and 1M lines for 10M words; words drawn from a Zipf-weighted vocabulary of ~40,000
made-up words plus real ones (names, places, function words); word confidences around 91 with
page-to-page spread (a few % of pages below 80). Then the derived tables: documents of 1-4
pages (dated 1938-1946, a few undated), segments, person/place/date entities, page groups,
variants.

Load: the per-source rows (sources, pages, witnesses, words, lines) go in with the pipeline's
writer, `Store.replace_sources`, 200 sources per transaction, as the flow writes the sources that
finish together (on a cluster, many at once); words/s counts only the time inside that call
(deleting the sources' old rows, the words' Arrow table and the other tables' dict rows turned
into Arrow, into DuckDB), not generating the rows (records.word_table makes the words' table from
Word objects, as the flow does). A source that finishes alone is one transaction,
`Store.replace_source`; that path is timed too, on --per-source sources into the empty database
and into the full one. The derived tables, views and search index go in with
`Store.replace_derived`, as the flow does.

Queries: five from docs/analytics.md, each through `archivist.analytics.query` (or
`archivist.search.search`), which opens the file read-only per call as `archivist query` does;
median of --runs runs after one warm-up.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path
from typing import Callable

import numpy as np
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from archivist.analytics import query  # noqa: E402
from archivist.ocr import Word  # noqa: E402
from archivist.records import page_id_for, short_id, word_table  # noqa: E402
from archivist.search import rebuild_views_and_index, search  # noqa: E402
from archivist.store import JSON_COLUMNS, Store, _arrow  # noqa: E402

WORDS_PER_LINE = 10
LINES_PER_PAGE = 25
BATCH_PAGES = 200
LOAD_TARGET = 500_000  # words/s
QUERY_TARGET = 0.5  # s
RUN_ID = "rbench0000000000"
SETTINGS_HASH = "0123456789abcdef"

REAL_WORDS = """the of and to a in that is was his he it with as for on be at by had not are
but from or have an they which one you were her all she there would their we him been has when
who will more no if out so said what up its about into than them can only other new some could
time these two may then do first any my now such like our over man me even most made after also
did many before must through back years where much your way well down should because each just
those people how too little state good very make world still own see men work long get here
between both life being under never day same another know while last might us great old year
off come since against go came right used take three government minister ambassador despatch
memorandum letter telegram conference treaty embassy office foreign war peace army navy question
answer matter policy situation opinion view president prime secretary general admiral""".split()
NAMES = """Stalin Churchill Roosevelt Eden Halifax Welles Hull Molotov Maisky Cadogan Butler
Vansittart Hopkins Harriman Winant Beaverbrook Attlee Bevin Cripps Dalton Morgenthau Stimson Knox
Marshall Dill Wavell Auchinleck Alexander Montgomery Mountbatten Chiang Matsuoka Konoye Tojo
Ribbentrop Ciano Darlan Petain Weygand Giraud Sikorski Benes Masaryk Smuts Mackenzie Curtin Menzies
Casey Campbell Balfour Munro Hayter Lothian Duff Cooper Lampson Kerr Clark Ismay Brooke""".split()
PLACES = """Japan Moscow London Washington Singapore Berlin Rome Paris Tokyo Chungking Ankara
Cairo Delhi Ottawa Canberra Lisbon Madrid Stockholm Berne Vichy Algiers Teheran Baghdad Kabul
Rangoon Batavia Manila Honolulu Vladivostok Leningrad Stalingrad Warsaw Prague Vienna Budapest
Belgrade Athens Sofia Bucharest Helsinki Oslo Copenhagen Brussels Hague Dublin""".split()
DOC_TYPES = ["letter", "despatch", "memorandum", "telegram", "minute"]
CLASSIFICATIONS = [None, None, "SECRET", "MOST SECRET", "CONFIDENTIAL", "PERSONAL AND SECRET"]


def vocabulary(rng: np.random.Generator, size: int = 40_000) -> tuple[np.ndarray, np.ndarray]:
    """Words and Zipf weights: real words (and a few names) most frequent, made-up ones after."""
    syllables = ["ba", "ce", "di", "fo", "gu", "ha", "je", "ki", "lo", "mu", "na", "pe", "ri",
                 "so", "tu", "va", "we", "xi", "yo", "za", "ar", "en", "il", "or", "un", "st",
                 "tr", "pl", "gr", "th"]
    made = set()
    while len(made) < size - len(REAL_WORDS) - len(NAMES) - len(PLACES):
        made.add("".join(rng.choice(syllables, int(rng.integers(2, 5)))))
    words = np.array(REAL_WORDS + NAMES + PLACES + sorted(made), dtype=object)
    ranks = np.arange(1, len(words) + 1)
    weights = 1.0 / (ranks + 2.7) ** 1.07
    return words, weights / weights.sum()


def page_rows(rng: np.random.Generator, vocab: np.ndarray, probs: np.ndarray, pages: range,
              page_lines: Callable[[int], list[str]] | None = None
              ) -> tuple[dict[str, list[dict]], list[tuple[str, str, float]]]:
    """Per-source rows for these pages, as records.image_source_rows makes them (the words as
    an Arrow table, from Word objects: records.word_table); and
    (page_id, page text, mean_conf) for the derived tables. The text: LINES_PER_PAGE lines of
    WORDS_PER_LINE vocabulary words, or `page_lines(index)` (blank lines leave a gap)."""
    n_pages = len(pages)
    if page_lines is None:
        per_page = LINES_PER_PAGE * WORDS_PER_LINE
        flat = vocab[rng.choice(len(vocab), size=n_pages * per_page, p=probs)].tolist()
        layout = [[flat[(k * LINES_PER_PAGE + n) * WORDS_PER_LINE:
                        (k * LINES_PER_PAGE + n + 1) * WORDS_PER_LINE]
                   for n in range(LINES_PER_PAGE)] for k in range(n_pages)]
    else:
        layout = [[line.split() for line in page_lines(index)] for index in pages]
    counts = [sum(len(words) for words in page) for page in layout]
    texts = [w for page in layout for words in page for w in words]
    total = len(texts)
    page_conf = np.clip(rng.normal(91, 4, n_pages), 40, 97)
    page_conf[rng.random(n_pages) < 0.03] -= 20  # worn carbons and bad scans
    conf = np.clip(rng.normal(np.repeat(page_conf, counts), 6), 0, 100).round(6).tolist()
    lens = np.array([len(t) for t in texts])
    widths = (lens * 30 + rng.integers(-4, 5, total)).tolist()
    heights = rng.integers(28, 44, total).tolist()
    rows: dict = {"sources": [], "pages": [], "witnesses": [], "lines": []}
    word_tables = []
    derived = []
    processed = datetime(2026, 11, 27, 10, 0, 0)
    base = 0
    for k, index in enumerate(pages):
        path = f"collection/box_{index // 500:03d}/folder_{index // 25 % 20:02d}/" \
               f"scan_{index:06d}.png"
        sid = short_id("s", path)
        pid = page_id_for(sid, 0)
        wid = short_id("w", pid, RUN_ID)
        lines_text, line_rows, offset, words = [], [], 0, []
        i = base
        for line, line_words in enumerate(layout[k]):
            if not line_words:
                continue
            block = 1 + line * 3 // len(layout[k])
            par = 1 + line // 6
            top = 300 + line * 75
            left = 300
            for w, text in enumerate(line_words):
                words.append(Word(block=block, par=par, line=line + 1, word=w + 1,
                                  text=text, conf=conf[i], left=left, top=top,
                                  width=widths[i], height=heights[i]))
                left += widths[i] + 30
                i += 1
            text = " ".join(line_words)
            lines_text.append(text)
            line_rows.append({"witness_id": wid, "line_no": len(line_rows), "par_no": par - 1,
                              "text": text, "char_start": offset,
                              "char_end": offset + len(text), "left": 300, "top": top,
                              "width": left - 330, "height": 44})
            offset += len(text) + 1
        page_text = "\n".join(lines_text)
        mean_conf = round(sum(conf[base:i]) / max(1, i - base), 2)
        base = i
        rows["lines"].extend(line_rows)
        word_tables.append(word_table(wid, words))
        rows["sources"].append({"source_id": sid, "path": path, "kind": "image",
                                "sha256": short_id("h", path)[1:] * 4, "bytes": 4_500_000,
                                "status": "done", "error": None, "settings_hash": SETTINGS_HASH,
                                "page_count": 1, "processed_at": processed})
        rows["pages"].append({"page_id": pid, "source_id": sid, "page_index": 0, "width": 2550,
                              "height": 3300, "dpi": 300, "document_id": None,
                              "page_number": None, "text": page_text, "mean_conf": mean_conf,
                              "image_hash": short_id("i", path)[1:],
                              "preprocessing": {"deskew": {"angle_deg": 0.4},
                                                "binarize": {"method": "otsu",
                                                             "threshold": 151.0}}})
        rows["witnesses"].append({"witness_id": wid, "kind": "ocr", "run_id": RUN_ID,
                                  "page_id": pid, "source_id": sid, "text": page_text,
                                  "mean_conf": mean_conf, "raw_text": None})
        derived.append((pid, wid, page_text, mean_conf))
    rows["words"] = pa.concat_tables(word_tables)
    return rows, derived


def derived_rows(rng: np.random.Generator, pages: list[tuple[str, str, str, float]]
                 ) -> tuple[dict[str, list[dict]], list[dict]]:
    """Documents of 1-4 consecutive pages, with segments, entities, page groups and variants."""
    people = [f"{t} {n}" for n in NAMES for t in ("Mr.", "M.", "Lord", "Sir", "General")][:300]
    rows: dict[str, list[dict]] = {"documents": [], "segments": [], "entities": [],
                                   "page_groups": [], "variants": []}
    updates = []
    i = 0
    while i < len(pages):
        n = int(rng.integers(1, 5))
        doc_pages = pages[i:i + n]
        i += n
        doc_id = short_id("d", doc_pages[0][0])
        undated = rng.random() < 0.03
        day = date(1938, 1, 1).toordinal() + int(rng.integers(0, 9 * 365))
        doc_date = None if undated else date.fromordinal(day)
        sender, recipient = (people[int(j)] for j in rng.integers(0, len(people), 2))
        seq = 0
        for number, (pid, wid, text, conf) in enumerate(doc_pages, 1):
            updates.append({"page_id": pid, "document_id": doc_id, "page_number": number,
                            "text": text})
            rows["page_groups"].append({"group_id": "g" + pid, "page_id": pid,
                                        "is_canonical": True, "similarity": 100.0})
            lines = text.split("\n")
            for start in range(0, len(lines), 5):
                rows["segments"].append({
                    "segment_id": f"{doc_id}-{seq:04d}", "document_id": doc_id, "seq": seq,
                    "kind": "paragraph" if start else "place_date", "text":
                    "\n".join(lines[start:start + 5]), "page_id": pid, "witness_id": None,
                    "left": 300, "top": 300 + start * 75, "width": 1900, "height": 360})
                seq += 1
            for v in range(int(rng.integers(0, 4))):
                rows["variants"].append({
                    "variant_id": short_id("v", doc_id, pid, v), "document_id": doc_id,
                    "page_id": pid, "position": int(rng.integers(0, 250)), "chosen": "the",
                    "alternatives": [{"text": "the", "witness_id": wid, "conf": conf},
                                     {"text": "tho", "witness_id": wid, "conf": conf - 20}],
                    "margin": float(rng.random())})
        for e in range(int(rng.integers(2, 9))):
            person = people[int(rng.integers(0, len(people)))]
            rows["entities"].append({"document_id": doc_id, "kind": "person", "text": person,
                                     "normalized": person,
                                     "segment_id": f"{doc_id}-{int(rng.integers(0, seq)):04d}"})
        for e in range(int(rng.integers(0, 4))):
            place = PLACES[int(rng.integers(0, len(PLACES)))]
            rows["entities"].append({"document_id": doc_id, "kind": "place", "text": place,
                                     "normalized": place, "segment_id": f"{doc_id}-0000"})
        rows["documents"].append({
            "document_id": doc_id, "doc_type": DOC_TYPES[int(rng.integers(0, len(DOC_TYPES)))],
            "doc_date": doc_date, "date_text": None if undated else doc_date.strftime("%B %d, %Y."),
            "sender": sender, "recipient": recipient,
            "classification": CLASSIFICATIONS[int(rng.integers(0, len(CLASSIFICATIONS)))],
            "subject": " ".join(doc_pages[0][2].split()[3:9]),
            "text": "\n\n".join(p[2] for p in doc_pages), "place": None, "number": None,
            "sender_title": None, "sender_org": "British Embassy", "recipient_title": None,
            "recipient_place": None, "handling": None, "references": [f"{i}/14/41"],
            "salutation": "Dear Sir,", "closing": "Yours sincerely,", "page_count": n,
            "witness_ids": []})
    return rows, updates


def by_source(rows: dict) -> list[tuple[dict, dict]]:
    """(source row, its rows) per source, as the flow hands them to the writer."""
    out: dict[str, dict] = {}
    wid_source = {w["witness_id"]: w["source_id"] for w in rows["witnesses"]}
    for table in ("pages", "witnesses"):
        for r in rows[table]:
            out.setdefault(r["source_id"], {}).setdefault(table, []).append(r)
    for r in rows["lines"]:
        out[wid_source[r["witness_id"]]].setdefault("lines", []).append(r)
    words = rows["words"]
    for sid, (start, length) in _runs(words["witness_id"].to_pylist(), wid_source).items():
        out[sid]["words"] = words.slice(start, length)
    return [(source, out[source["source_id"]]) for source in rows["sources"]]


def _runs(witness_ids: list[str], wid_source: dict[str, str]) -> dict[str, tuple[int, int]]:
    """(start, length) of each source's words: a page's words are contiguous."""
    runs: dict[str, list[int]] = {}
    for i, wid in enumerate(witness_ids):
        run = runs.setdefault(wid_source[wid], [i, 0])
        run[1] += 1
    return {sid: (start, length) for sid, (start, length) in runs.items()}


def per_source(store: Store, rows: dict) -> float:
    """Seconds to write these sources one at a time with Store.replace_source."""
    sources = by_source(rows)
    started = time.perf_counter()
    for source_row, source_rows in sources:
        store.replace_source(source_row, source_rows)
    return time.perf_counter() - started


QUERIES = {
    "low-confidence pages (view)":
        "SELECT path, page_index + 1 AS page, mean_conf, words, is_canonical "
        "FROM low_confidence_pages",
    "words per page stats":
        "SELECT count(*) AS pages, avg(n), median(n), min(n), max(n), avg(c), "
        "quantile_cont(c, 0.05) FROM (SELECT witness_id, count(*) AS n, avg(conf) AS c "
        "FROM words GROUP BY witness_id)",
    "documents per month (view)": "SELECT * FROM documents_per_month",
    "people index (view)":
        "SELECT person, documents, mentions, first_date, last_date, written_as FROM people",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--per-source", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    vocab, probs = vocabulary(rng)
    per_page = LINES_PER_PAGE * WORDS_PER_LINE
    n_pages = max(1, args.words // per_page)
    work = Path(tempfile.mkdtemp(prefix="archivist-duckdb-"))
    db = work / "archive.duckdb"
    print(f"{n_pages * per_page:,} words on {n_pages:,} pages; {os.cpu_count()} CPUs, load "
          f"average {os.getloadavg()[0]:.2f} at start")
    try:
        run(args, rng, vocab, probs, n_pages, db)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(args, rng, vocab, probs, n_pages: int, db: Path) -> None:
    per_page = LINES_PER_PAGE * WORDS_PER_LINE
    gen_s = load_s = 0.0
    derived_pages: list[tuple[str, str, str, float]] = []
    first = min(args.per_source, n_pages)
    last = min(args.per_source, max(0, n_pages - first))
    with Store(db) as store:
        rows, d = page_rows(rng, vocab, probs, range(first))
        derived_pages += d
        empty_s = per_source(store, rows) if first else float("nan")
        started_all = time.perf_counter()
        for start in range(first, n_pages - last, BATCH_PAGES):
            t0 = time.perf_counter()
            rows, d = page_rows(rng, vocab, probs, range(start, min(start + BATCH_PAGES,
                                                                    n_pages - last)))
            derived_pages += d
            sources = by_source(rows)
            t1 = time.perf_counter()
            store.replace_sources(sources)
            t2 = time.perf_counter()
            gen_s += t1 - t0
            load_s += t2 - t1
        t0 = time.perf_counter()  # what is still in the write-ahead log, folded in: counted
        store.con.execute("CHECKPOINT")
        checkpoint_s = time.perf_counter() - t0
        load_s += checkpoint_s
        wall_s = time.perf_counter() - started_all
        rows, d = page_rows(rng, vocab, probs, range(n_pages - last, n_pages))
        derived_pages += d
        full_s = per_source(store, rows) if last else float("nan")
        bulk_words = (n_pages - first - last) * per_page
        batches = max(1, len(range(first, n_pages - last, BATCH_PAGES)))
        # Where a batch's time goes: the rows (dicts) to Arrow, in Python, before DuckDB.
        sample, _ = page_rows(rng, vocab, probs, range(n_pages, n_pages + BATCH_PAGES))
        t0 = time.perf_counter()
        for table, table_rows in sample.items():
            if table != "words":  # already a table, as records make it
                _arrow(table_rows, JSON_COLUMNS.get(table, ()))
        arrow_s = time.perf_counter() - t0
        del sample

        t0 = time.perf_counter()
        drows, updates = derived_rows(rng, derived_pages)
        t1 = time.perf_counter()
        store.replace_derived([(drows, updates)], also=rebuild_views_and_index)
        derived_s = time.perf_counter() - t1
        derived_gen_s = t1 - t0
        counts = store.query("SELECT (SELECT count(*) FROM words), (SELECT count(*) FROM lines), "
                             "(SELECT count(*) FROM documents), (SELECT count(*) FROM entities),"
                             " (SELECT count(*) FROM search_terms)")[0]
    del derived_pages, drows, updates
    size_mb = db.stat().st_size / 1e6
    rss_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6

    print(f"\n== load ({counts[0]:,} words, {counts[1]:,} lines, {counts[2]:,} documents, "
          f"{counts[3]:,} entities, {counts[4]:,} search terms; file {size_mb:.0f} MB)")
    rate = bulk_words / load_s
    print(f"Store.replace_sources, {BATCH_PAGES} sources per transaction: {load_s:.1f} s in the "
          f"writer for {bulk_words:,} words -> {rate:,.0f} words/s "
          f"(of which the final checkpoint {checkpoint_s:.1f} s; generating the rows: "
          f"{gen_s:.1f} s; wall {wall_s:.1f} s)")
    print(f"  of a batch's {load_s / batches:.2f} s, {arrow_s:.2f} s go to turning the other "
          f"tables' dict rows into Arrow (store._arrow), the rest to DuckDB")
    if first:
        print(f"Store.replace_source, one source per transaction, empty database: "
              f"{empty_s / first * 1000:.1f} ms per source -> {first * per_page / empty_s:,.0f} "
              f"words/s")
    if last:
        print(f"Store.replace_source, one source per transaction, at {counts[0]:,} words: "
              f"{full_s / last * 1000:.1f} ms per source -> {last * per_page / full_s:,.0f} "
              f"words/s")
    print(f"derived tables + views + search index (Store.replace_derived): {derived_s:.1f} s "
          f"(generating them: {derived_gen_s:.1f} s)")

    print(f"\n== queries (s; median of {args.runs} after a warm-up; each opens the file "
          f"read-only)")
    timings = {}
    jobs = {name: (lambda sql=sql: query(db, sql)) for name, sql in QUERIES.items()}
    jobs["BM25 search 'stalin japan' (search)"] = lambda: search(db, "stalin japan", 10)
    for name, job in jobs.items():
        result = job()
        times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            job()
            times.append(time.perf_counter() - started)
        timings[name] = statistics.median(times)
        n_rows = len(result[1]) if isinstance(result, tuple) else len(result)
        print(f"  {name:40} {timings[name]:7.3f}  (min {min(times):.3f}, max {max(times):.3f};"
              f" {n_rows} rows)")

    print(f"\n== targets (load average {os.getloadavg()[0]:.2f} at the end; peak RSS of this "
          f"process {rss_gb:.1f} GB)")
    print(f"  {'load, Store.replace_sources (words/s)':44} {rate:>10,.0f}   target >= "
          f"{LOAD_TARGET:,}   {'PASS' if rate >= LOAD_TARGET else 'MISS'}")
    if last:
        one = last * per_page / full_s
        print(f"  {'load, replace_source per source (words/s)':44} {one:>10,.0f}   target >= "
              f"{LOAD_TARGET:,}   {'PASS' if one >= LOAD_TARGET else 'MISS'}")
    for name, t in timings.items():
        print(f"  {name:44} {t:>10.3f}   target <= {QUERY_TARGET}       "
              f"{'PASS' if t <= QUERY_TARGET else 'MISS'}")


if __name__ == "__main__":
    main()
