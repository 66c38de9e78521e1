"""What a run with anything new redoes: the assembly of the whole corpus (collation, fusion,
documents, metadata) and the writing of its rows, its time and memory as the corpus grows.

    .venv/bin/python bench/assembly_scale.py [--pages 1000 4000 16000] [--letters]

Each size is its own process (peak RSS is per process): bench/duckdb_scale.py's generated pages
(one single-page scan per page, 25 lines of ~10 words from a Zipf-weighted vocabulary) stored
with the pipeline's writer, then `Store.replace_derived(assemble.derived_batches(...))`, as the
flow calls it after its pages (the views and search index it rebuilds after are not included).
Those pages carry no letter structure, so they make one long document: the worst case for
segmenting, and for memory (a document is held whole until the page after it). With --letters
each page is instead the text of a one-page letter from archivist.synth (reference, date,
salutation, body, closing, signature; `synth.letter_page_lines`, as make_collection types it),
so each page is its own document. Prints seconds, milliseconds per page, and the process's peak
RSS before and after the assembly, against issue 7's 1.5 GB: what the assembly holds for the
whole collection is the slope between sizes.
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


def child(n_pages: int, letters: bool) -> None:
    from functools import partial

    import numpy as np

    import duckdb_scale
    from archivist.assemble import StoredCorpus, derived_batches
    from archivist.store import Store
    from archivist.synth import letter_page_lines

    rng = np.random.default_rng(7)
    vocab, probs = duckdb_scale.vocabulary(rng)
    page_lines = partial(letter_page_lines, 7) if letters else None
    work = Path(tempfile.mkdtemp(prefix="archivist-assembly-"))
    try:
        with Store(work / "archive.duckdb") as store:
            for start in range(0, n_pages, 500):
                rows, _ = duckdb_scale.page_rows(rng, vocab, probs,
                                                 range(start, min(n_pages, start + 500)),
                                                 page_lines)
                store.replace_sources(duckdb_scale.by_source(rows))
            before = peak_rss_gb()
            t0 = time.perf_counter()
            store.replace_derived(derived_batches(StoredCorpus(store)))
            seconds = time.perf_counter() - t0
            documents = store.query("SELECT count(*) FROM documents")[0][0]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps({"seconds": seconds, "documents": documents, "rss_before": before,
                      "rss_after": peak_rss_gb()}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, nargs="+", default=[1000, 4000, 16000])
    parser.add_argument("--letters", action="store_true", help="one-page letters (synth's "
                        "text: head, salutation, body, closing) instead of vocabulary words")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.letters)
        return
    what = "one-page letters" if args.letters else "pages of vocabulary words (one long document)"
    print(f"whole-corpus assembly (derived_batches into Store.replace_derived) on generated "
          f"{what}; peak RSS target {RSS_TARGET_GB} GB")
    print(f"{'pages':>7} {'documents':>10} {'seconds':>8} {'ms/page':>8} {'RSS before GB':>14} "
          f"{'RSS after GB':>13}")
    for n in args.pages:
        out = subprocess.run([sys.executable, __file__, "--child", str(n)]
                             + (["--letters"] if args.letters else []), cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout
        r = json.loads(out.splitlines()[-1])
        verdict = "PASS" if r["rss_after"] <= RSS_TARGET_GB else "MISS"
        print(f"{n:>7} {r['documents']:>10} {r['seconds']:>8.1f} "
              f"{r['seconds'] / n * 1000:>8.1f} {r['rss_before']:>14.2f} "
              f"{r['rss_after']:>13.2f}  {verdict}")


if __name__ == "__main__":
    main()
