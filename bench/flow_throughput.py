"""Time the whole flow on N generated pages against bare Tesseract on the same pages.

    .venv/bin/python bench/flow_throughput.py [--pages N] [--workers W]

Both sides run in the same process run, with the same number of parallel workers and one
Tesseract thread each; the flow starts cold (empty Prefect result cache, new database). The flow
time includes Prefect's temporary server start-up, which is reported apart as well.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from archivist import prefect_env  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=12)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="archivist-bench-"))
    prefect_env.configure(work / "prefect")
    from archivist import synth

    pages_dir = work / "pages"
    paths = synth.make_collection(pages_dir, args.pages, seed=11,
                                  degradation=synth.Degradation.ribbon())
    bare = time_bare_tesseract(paths, args.workers)
    startup, flow_time, summary = time_flow(pages_dir, work / "bench.duckdb", args.workers)

    n = args.pages
    print(f"pages                      {n} (workers {args.workers}, OMP_THREAD_LIMIT=1)")
    print(f"bare tesseract             {bare:7.2f} s  {n / bare:6.2f} pages/s")
    print(f"archivist flow             {flow_time:7.2f} s  {n / flow_time:6.2f} pages/s "
          f"(documents {summary.documents}, words {summary.words})")
    print(f"  of which Prefect start   {startup:7.2f} s")
    print(f"ratio flow / bare          {flow_time / bare:7.2f}x")
    print(f"ratio without start-up     {(flow_time - startup) / bare:7.2f}x")


def time_bare_tesseract(paths: list[Path], workers: int) -> float:
    """What any user gets for free: `tesseract page.png` on each page, nothing else."""
    import pytesseract

    os.environ["OMP_THREAD_LIMIT"] = "1"
    started = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(lambda p: pytesseract.image_to_data(str(p)), paths))
    return time.perf_counter() - started


def time_flow(input_dir: Path, db: Path, workers: int):
    started = time.perf_counter()
    from prefect.client.orchestration import get_client

    from flows.process_collection import run_collection

    with get_client(sync_client=True) as client:  # starts the temporary server
        client.hello()
    startup = time.perf_counter() - started
    summary = run_collection(str(input_dir), str(db), workers)
    return startup, time.perf_counter() - started, summary


if __name__ == "__main__":
    main()
