"""What a run with anything new redoes: the assembly of the whole corpus (collation, fusion,
documents, metadata) and the writing of its rows, its time and memory as the corpus grows.

    .venv/bin/python bench/assembly_scale.py [--pages 1000 4000 16000] [--letters]

For each size, one process stores bench/duckdb_scale.py's generated pages (one single-page scan
per page, 25 lines of ~10 words from a Zipf-weighted vocabulary) with the pipeline's writer, and
another opens the database and runs `Store.replace_derived(assemble.derived_batches(...))`, as
the flow calls it after its pages (the views and search index it rebuilds after are not
included), so that the peak RSS reported is the rebuild's own.
Those pages carry no letter structure, so they make one long document: the worst case for
segmenting, and for memory (a document is held whole until the page after it). With --letters
each page is instead the text of a one-page letter from archivist.synth (reference, date,
salutation, body, closing, signature; `synth.letter_page_lines`, as make_collection types it),
so each page is its own document. Prints seconds, milliseconds per page, and the process's peak
RSS once the database is open and after the rebuild, against issue 7's 1.5 GB: what the rebuild
holds for the whole collection is the slope between sizes.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
RSS_TARGET_GB = 1.5


def peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6


def build(n_pages: int, letters: bool, db: Path) -> None:
    """The generated pages, stored with the pipeline's writer (a process of its own, so that
    what storing them kept in memory is not counted against the rebuild)."""
    from functools import partial

    import numpy as np

    import duckdb_scale
    from archivist.store import Store
    from archivist.synth import letter_page_lines

    rng = np.random.default_rng(7)
    vocab, probs = duckdb_scale.vocabulary(rng)
    page_lines = partial(letter_page_lines, 7) if letters else None
    with Store(db) as store:
        for start in range(0, n_pages, 500):
            rows, _ = duckdb_scale.page_rows(rng, vocab, probs,
                                             range(start, min(n_pages, start + 500)), page_lines)
            store.replace_sources(duckdb_scale.by_source(rows))


def rebuild(db: Path) -> None:
    from archivist.assemble import StoredCorpus, derived_batches
    from archivist.store import Store

    with Store(db) as store:
        before = peak_rss_gb()
        t0 = time.perf_counter()
        store.replace_derived(derived_batches(StoredCorpus(store)))
        seconds = time.perf_counter() - t0
        documents = store.query("SELECT count(*) FROM documents")[0][0]
    print(json.dumps({"seconds": seconds, "documents": documents, "rss_before": before,
                      "rss_after": peak_rss_gb()}))


def measure(n_pages: int, letters: bool) -> dict:
    work = Path(tempfile.mkdtemp(prefix="archivist-assembly-"))
    db = work / "archive.duckdb"
    try:
        subprocess.run([sys.executable, __file__, "--build", str(n_pages), str(db)]
                       + (["--letters"] if letters else []), cwd=ROOT, check=True)
        out = subprocess.run([sys.executable, __file__, "--rebuild", str(db)], cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout
        return json.loads(out.splitlines()[-1])
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, nargs="+", default=[1000, 4000, 16000])
    parser.add_argument("--letters", action="store_true", help="one-page letters (synth's "
                        "text: head, salutation, body, closing) instead of vocabulary words")
    parser.add_argument("--build", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--rebuild", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build:
        build(int(args.build[0]), args.letters, Path(args.build[1]))
        return
    if args.rebuild:
        rebuild(args.rebuild)
        return
    what = "one-page letters" if args.letters else "pages of vocabulary words (one long document)"
    print(f"whole-corpus assembly (derived_batches into Store.replace_derived) on generated "
          f"{what}; peak RSS target {RSS_TARGET_GB} GB")
    print(f"{'pages':>7} {'documents':>10} {'seconds':>8} {'ms/page':>8} {'RSS open GB':>14} "
          f"{'RSS after GB':>13}")
    for n in args.pages:
        r = measure(n, args.letters)
        verdict = "PASS" if r["rss_after"] <= RSS_TARGET_GB else "MISS"
        print(f"{n:>7} {r['documents']:>10} {r['seconds']:>8.1f} "
              f"{r['seconds'] / n * 1000:>8.1f} {r['rss_before']:>14.2f} "
              f"{r['rss_after']:>13.2f}  {verdict}")


if __name__ == "__main__":
    main()
