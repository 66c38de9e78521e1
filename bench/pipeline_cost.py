"""What the pipeline costs over bare Tesseract: wall time at 1 and 2 workers on dense pages, the
cost ratio, the speed-up, a no-op rerun, time per stage, peak memory, and OCRmyPDF beside it.

    .venv/bin/python bench/pipeline_cost.py [--pages 50] [--noop-pages 200] [--repeats 3]

Pages: `synth.make_collection` letters filled to the foot of the sheet (37 lines at 1.5 spacing,
~230 words, each page its own seeded scan quality, about one in four a carbon copy), 300 dpi PNG,
seed 7. Bare Tesseract is `pytesseract.image_to_data` on each file, one page after another,
OMP_THREAD_LIMIT=1 (as archivist runs it), no preprocessing.

Each measured flow run is its own process (`--child-flow`), as `archivist run` does it: a
temporary Prefect server started first (archivist.prefect_env.prefect_api), Prefect and the flows
imported meanwhile, then `flows.process_collection.run_collection(input, db, workers)` on a fresh
database with an empty result storage (the OCR cache). The Prefect home (the server's database)
is shared by the runs, as data/processed/.prefect is by a user's runs; its first start-up, which
creates and migrates that database, is measured once before and printed apart. The process wall
(interpreter start to exit) is what a user waits for; "without start-up" is the run_collection
call alone. Peak RSS is the largest sum of the RSS
of the run's whole process tree (the flow process, Prefect's server, the Tesseract processes),
sampled every 50 ms with psutil (installed with distributed).

cost ratio = wall x workers / bare single-thread Tesseract time on the same pages; speed-up =
wall at 1 worker / wall at 2 workers. Figures are medians over --repeats runs (the runs of one
repeat are back to back: bare on 1 thread, bare on 2 threads, 1 worker, 2 workers). Bare
Tesseract on 2 threads is the control: the speed-up the machine itself gives at that moment (on
a shared machine other jobs take cores), the ceiling for the flow's.

No-op rerun: `archivist run DIR --db DB` on --noop-pages short pages (12-line notes, JPEG,
cheaper to generate and OCR than dense pages; the first run's cost per page is then lower, which
makes the no-op fraction larger, not smaller), then the same command again with nothing changed
(the CLI plans against the database and does not start Prefect): rerun / first run.

Stages: the flow's own timings (RunSummary.stages), medians per worker count. Preprocess vs OCR
is split on --sample pages by calling load_page, preprocess and ocr_image one page at a time, and
ocr_page whole (the rest: adaptive re-reading, non-text words);
collation vs structure by re-running the assembly of a 1-worker database with timers around
its reads (StoredCorpus) and its calls into structure and metadata (segment_document, the page
views that decide document breaks, describe).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ["OMP_THREAD_LIMIT"] = "1"
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DENSE_LINES = 37  # every line of a letter-size sheet at 1.5 spacing (synth's geometry)
NOOP_LINES = 12
SEED = 7
TARGETS = {  # figure: (target, higher is better)
    "cost ratio": (1.8, False),
    "speed-up 1 -> 2 workers": (1.7, True),
    "no-op rerun / first run": (0.03, False),
    "peak RSS (GB)": (1.5, False),
    "pages/s over OCRmyPDF": (3.0, True),
    "CER over OCRmyPDF's": (1.0, False),
}


# -- small pure helpers (tests/test_bench_helpers.py) ------------------------------------------

def verdict(value: float, target: float, higher_is_better: bool) -> str:
    ok = value >= target if higher_is_better else value <= target
    return "PASS" if ok else "MISS"


def cost_ratio(wall_s: float, workers: int, bare_single_s: float) -> float:
    """CPU-seconds the pipeline occupies per second of bare single-thread Tesseract."""
    return wall_s * workers / bare_single_s


def sidecar_pages(text: str, n_pages: int) -> list[str]:
    """OCRmyPDF's sidecar text, one string per page: pages end with a form feed, and a page
    with no text reads "[OCR skipped on page(s) ...]"."""
    pages = text.split("\f")
    if pages and not pages[-1].strip() and len(pages) == n_pages + 1:
        pages = pages[:-1]
    pages = ["" if p.strip().startswith("[OCR skipped") else p for p in pages]
    return (pages + [""] * n_pages)[:n_pages]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


# -- measuring processes ------------------------------------------------------------------------

class TreeSampler:
    """Peak summed RSS of a process and all its descendants, sampled in a thread; remembers
    every descendant it saw, so that none can be left running."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        import psutil

        self.psutil = psutil
        self.root = psutil.Process(pid)
        self.interval = interval
        self.peak = 0
        self.seen: dict[int, float] = {}  # pid -> create_time
        self.kinds: dict[int, str] = {}
        self.cpu: dict[tuple[int, float], float] = {}  # last CPU seconds seen per process
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            total = 0
            try:
                procs = [self.root] + self.root.children(recursive=True)
            except self.psutil.Error:
                procs = []
            for p in procs:
                try:
                    total += p.memory_info().rss
                    created = self.seen.setdefault(p.pid, p.create_time())
                    if self.kinds.get(p.pid, "other") == "other":  # a fork not yet exec'd
                        self.kinds[p.pid] = self._kind(p)
                    times = p.cpu_times()
                    self.cpu[(p.pid, created)] = times.user + times.system
                except self.psutil.Error:
                    pass
            self.peak = max(self.peak, total)
            self._stop.wait(self.interval)

    def _kind(self, p) -> str:
        if p.pid == self.root.pid:
            return "main process"
        if p.name().startswith("tesseract"):
            return "tesseract"
        return "prefect server" if "uvicorn" in " ".join(p.cmdline()) else "other"

    def cpu_by_kind(self) -> dict[str, float]:
        """CPU seconds per kind of process, as last sampled (a process's last <50 ms missed)."""
        out: dict[str, float] = {}
        for (pid, _), seconds in self.cpu.items():
            kind = self.kinds.get(pid, "other")
            out[kind] = out.get(kind, 0.0) + seconds
        return out

    def stop(self) -> int:
        """Stop sampling; end descendants still running (ours: same pid and start time)."""
        self._stop.set()
        self._thread.join()
        left = 0
        for pid, created in self.seen.items():
            if pid == self.root.pid:
                continue
            try:
                p = self.psutil.Process(pid)
                if p.create_time() == created:
                    p.terminate()
                    left += 1
            except self.psutil.Error:
                pass
        return left


def children_cpu() -> float:
    """CPU seconds (user + system) of this process's finished, waited-for descendants: a
    measured run's whole tree (Prefect's server is waited for at exit, Tesseract by its caller)."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def clean_env() -> dict[str, str]:
    """This environment without PREFECT_* settings: each run gets its own Prefect home."""
    return {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}


def run_measured(cmd: list[str], env: dict[str, str], cpu_by_kind: dict | None = None
                 ) -> tuple[float, int, str, int]:
    """(wall seconds, peak tree RSS bytes, stdout, leftover processes ended) of one command;
    CPU seconds per kind of process into `cpu_by_kind` when given."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=ROOT)
    sampler = TreeSampler(proc.pid)
    out, err = proc.communicate()
    wall = time.perf_counter() - started
    left = sampler.stop()
    if cpu_by_kind is not None:
        cpu_by_kind.update(sampler.cpu_by_kind())
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited with {proc.returncode}: {err[-2000:]}")
    return wall, sampler.peak, out, left


def prefect_home(work: Path) -> Path:
    return work / "prefect-home"


def first_startup(work: Path) -> float:
    """Seconds from interpreter start to a Prefect API answering, in a fresh Prefect home."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child-startup",
           str(prefect_home(work))]
    out = subprocess.run(cmd, env=clean_env(), cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout
    return json.loads(out.splitlines()[-1])["startup"]


def child_startup(state: str) -> None:
    started = time.perf_counter()
    from archivist import prefect_env

    with prefect_env.prefect_api(state) as prefect_ready:
        import flows.process_collection  # noqa: F401

        prefect_ready()
        print(json.dumps({"startup": time.perf_counter() - started}))


def flow_run(pages_dir: Path, work: Path, workers: int, tag: str) -> dict:
    storage = work / f"storage-{tag}"
    db = work / f"flow-{tag}.duckdb"
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child-flow", str(pages_dir),
           str(db), str(workers), str(prefect_home(work))]
    cpu, kinds = children_cpu(), {}
    env = clean_env() | {"PREFECT_LOCAL_STORAGE_PATH": str(storage)}
    wall, peak, out, left = run_measured(cmd, env, kinds)
    cpu = children_cpu() - cpu
    result = json.loads([line for line in out.splitlines() if line.startswith("{")][-1])
    shutil.rmtree(storage, ignore_errors=True)
    return result | {"wall": wall, "cpu": cpu, "cpu_by_kind": kinds, "peak_rss": peak,
                     "left": left, "db": str(db)}


def child_flow(input_dir: str, db: str, workers: int, state: str) -> None:
    """One measured run, in its own process, started as `archivist run` starts one."""
    import resource

    started = time.perf_counter()
    from archivist import prefect_env

    with prefect_env.prefect_api(state) as prefect_ready:
        from flows.process_collection import run_collection

        prefect_ready()
        startup = time.perf_counter() - started
        flow_started = time.perf_counter()
        summary = run_collection(input_dir, db, workers)
        flow = time.perf_counter() - flow_started
    print(json.dumps({"startup": startup, "flow": flow, "elapsed_s": summary.elapsed_s,
                      "stages": summary.stages, "pages": summary.pages, "words": summary.words,
                      "documents": summary.documents, "failed": len(summary.failed),
                      "self_maxrss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))


def bare_tesseract(paths: list[Path], threads: int = 1) -> float:
    """`tesseract page.png` on each page, `threads` pages at a time, one OpenMP thread each."""
    from concurrent.futures import ThreadPoolExecutor

    import pytesseract

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(lambda p: pytesseract.image_to_data(str(p)), paths))
    return time.perf_counter() - started


# -- the parts of the benchmark -------------------------------------------------------------------

def measure_cost(paths: list[Path], pages_dir: Path, work: Path, worker_counts: list[int],
                 repeats: int
                 ) -> tuple[dict[int, list[float]], dict[int, list[float]], dict[int, list[dict]]]:
    """Bare Tesseract (1 thread, and as many threads as the most workers: how much parallelism
    the machine gives right now) and the flow at each worker count, back to back per repeat."""
    threads = sorted({1, max(worker_counts)})
    bare: dict[int, list[float]] = {t: [] for t in threads}
    bare_cpu: dict[int, list[float]] = {t: [] for t in threads}
    runs: dict[int, list[dict]] = {w: [] for w in worker_counts}
    for r in range(repeats):
        print(f"  repeat {r + 1} (load {os.getloadavg()[0]:.1f}):", end="", flush=True)
        for t in threads:
            cpu = children_cpu()
            bare[t].append(bare_tesseract(paths, t))
            bare_cpu[t].append(children_cpu() - cpu)
            print(f" bare x{t} {bare[t][-1]:.1f} s,", end="", flush=True)
        for w in worker_counts:
            runs[w].append(flow_run(pages_dir, work, w, f"w{w}-r{r}"))
            print(f" {w} worker(s) {runs[w][-1]['wall']:.1f} s,", end="", flush=True)
        print(f" load {os.getloadavg()[0]:.1f} after")
    return bare, bare_cpu, runs


def measure_noop(work: Path, n_pages: int, repeats: int) -> tuple[list[float], list[float], int]:
    from archivist import synth

    pages_dir = work / "noop-pages"
    synth.make_collection(pages_dir, n_pages, seed=SEED + 1, lines_per_page=NOOP_LINES,
                          formats=("jpg",))
    cli = str(Path(sys.executable).with_name("archivist"))
    firsts, reruns, left = [], [], 0
    for r in range(repeats):
        db = work / f"noop-{r}" / "archive.duckdb"  # the CLI keeps Prefect's state beside it
        cmd = [cli, "run", str(pages_dir), "--db", str(db), "--workers", "2"]
        wall, _, _, n_left = run_measured(cmd, clean_env())
        firsts.append(wall)
        left += n_left
        again = []
        for _ in range(3):
            wall, _, out, n_left = run_measured(cmd, clean_env())
            if f"0 new, {n_pages} unchanged" not in out:
                raise RuntimeError(f"the rerun was not a no-op:\n{out}")
            again.append(wall)
            left += n_left
        reruns.append(median(again))
        shutil.rmtree(db.parent, ignore_errors=True)
    return firsts, reruns, left


def cli_startup(repeats: int = 3) -> float:
    """Median wall of `archivist run --help`: the interpreter and the CLI's own imports."""
    cli = str(Path(sys.executable).with_name("archivist"))
    return median([run_measured([cli, "run", "--help"], clean_env())[0] for _ in range(repeats)])


def measure_page_split(paths: list[Path]) -> dict[str, float]:
    """Median seconds per page, one page at a time: load, preprocess and the first Tesseract
    reading (calling them directly), and what else `ocr_page` does (its total minus those three:
    the adaptive re-reading of weak lines or of a poor page, setting non-text words apart)."""
    from archivist.config import Settings
    from archivist.images import load_page
    from archivist.ocr import ocr_image, ocr_page
    from archivist.preprocess import preprocess

    settings = Settings()
    times: dict[str, list[float]] = {"load": [], "preprocess": [], "first tesseract": [],
                                     "rest of ocr_page": []}
    for path in paths:
        t0 = time.perf_counter()
        page = load_page(path, "image", 0)
        t1 = time.perf_counter()
        cleaned = preprocess(page.gray, settings.preprocess, page.dpi)
        t2 = time.perf_counter()
        ocr_image(cleaned.image, settings, page.dpi)
        t3 = time.perf_counter()
        whole = ocr_page(path, "image", 0, settings).seconds
        times["load"].append(t1 - t0)
        times["preprocess"].append(t2 - t1)
        times["first tesseract"].append(t3 - t2)
        times["rest of ocr_page"].append(max(0.0, whole - (t3 - t0)))
    return {k: median(v) for k, v in times.items()}


def measure_assembly_split(db: str, repeats: int = 3) -> dict[str, float]:
    """Read the corpus, collate and fuse, and structure (segments, document breaks, metadata),
    on a database the flow wrote: the assembly the flow runs (its rows not written), timed
    from outside."""
    from archivist import assemble, structure
    from archivist.store import Store

    spent = {"read": 0.0, "structure": 0.0}
    patched = [(assemble, "segment_document", "structure"), (assemble, "describe", "structure"),
               (assemble, "page_segments", "structure"), (structure, "_view", "structure")]
    patched += [(assemble.StoredCorpus, name, "read")
                for name in ("number_pages", "entries", "quality", "normalized_texts",
                             "order_stream", "stream", "texts", "pages", "transcriptions")]
    originals = [(owner, name, getattr(owner, name)) for owner, name, _ in patched]
    depth = {"read": 0, "structure": 0}  # a timed call inside another (pages calls texts)

    def timed(fn, bucket):
        def wrapper(*args, **kwargs):
            depth[bucket] += 1
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                depth[bucket] -= 1
                if not depth[bucket]:
                    spent[bucket] += time.perf_counter() - started
        return wrapper

    result: dict[str, list[float]] = {"read corpus": [], "collation + fusion": [],
                                      "structure + metadata": []}
    try:
        for (owner, name, bucket), (_, _, fn) in zip(patched, originals):
            setattr(owner, name, timed(fn, bucket))
        for _ in range(repeats):
            spent.update(read=0.0, structure=0.0)
            with Store(db, read_only=True) as store:
                t0 = time.perf_counter()
                for _ in assemble.derived_batches(assemble.StoredCorpus(store)):
                    pass
                total = time.perf_counter() - t0
            result["read corpus"].append(spent["read"])
            result["collation + fusion"].append(total - spent["read"] - spent["structure"])
            result["structure + metadata"].append(spent["structure"])
    finally:
        for owner, name, fn in originals:
            setattr(owner, name, fn)
    return {k: median(v) for k, v in result.items()}


def archivist_cer(db: str, gt_dir: Path) -> tuple[float, dict[str, str]]:
    """CER of archivist's OCR witnesses against the ground truth, over all pages."""
    import duckdb

    from archivist.metrics import score, total

    con = duckdb.connect(db, read_only=True)
    rows = con.execute("SELECT s.path, w.text FROM witnesses w JOIN sources s USING (source_id) "
                       "WHERE w.kind = 'ocr' ORDER BY s.path").fetchall()
    con.close()
    texts = {Path(path).stem: text for path, text in rows}
    scores = [score((gt_dir / f"{stem}.gt.txt").read_text(), texts.get(stem, ""))
              for stem in sorted(p.name[:-len(".gt.txt")] for p in gt_dir.glob("*.gt.txt"))]
    return total(scores).cer, texts


def measure_ocrmypdf(paths: list[Path], gt_dir: Path, work: Path, repeats: int
                     ) -> tuple[float, float] | str:
    """(median wall, CER) of OCRmyPDF on the same pages as one PDF, or why not."""
    exe = shutil.which("ocrmypdf", path=str(Path(sys.executable).parent)) or shutil.which("ocrmypdf")
    if exe is None:
        return "skipped: ocrmypdf not installed (make bench installs it: the bench extra)"
    import img2pdf  # OCRmyPDF's own way of taking images: each page at its file's resolution

    from archivist.metrics import score, total

    pdf = work / "ocrmypdf-in.pdf"
    pdf.write_bytes(img2pdf.convert([str(p) for p in paths]))
    walls, sidecar = [], work / "ocrmypdf.txt"
    for _ in range(repeats):
        cmd = [exe, "-j", "2", "--deskew", "--clean", "--output-type", "pdf", "--optimize", "0",
               "--sidecar", str(sidecar), str(pdf), str(work / "ocrmypdf-out.pdf")]
        try:
            wall, _, _, _ = run_measured(cmd, dict(os.environ))
        except RuntimeError as exc:
            return f"failed: {exc}"
        walls.append(wall)
    pages = sidecar_pages(sidecar.read_text(), len(paths))
    scores = [score((gt_dir / f"{p.stem}.gt.txt").read_text(), text)
              for p, text in zip(paths, pages)]
    return median(walls), total(scores).cer


# -- report ---------------------------------------------------------------------------------------

def target_line(name: str, value: float, fmt: str, note: str = "") -> str:
    target, higher = TARGETS[name]
    sign = ">=" if higher else "<="
    return (f"  {name + (' ' + note if note else ''):44} {format(value, fmt):>8}   "
            f"target {sign} {format(target, fmt):>6}   {verdict(value, target, higher)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=50, help="dense pages")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--noop-pages", type=int, default=200, help="0: no no-op rerun")
    parser.add_argument("--scans", type=Path, nargs="+", help="instead of generated pages, "
                        "the scans of these corpus folders (e.g. ../shared/corpus/ehri-english)")
    parser.add_argument("--sample", type=int, default=8,
                        help="pages for the preprocess / OCR split")
    parser.add_argument("--child-flow", nargs=4, metavar=("INPUT", "DB", "WORKERS", "STATE"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--child-startup", metavar="STATE", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_startup:
        child_startup(args.child_startup)
        return
    if args.child_flow:
        input_dir, db, workers, state = args.child_flow
        child_flow(input_dir, db, int(workers), state)
        return

    from archivist import synth

    missing = [str(f) for f in args.scans or [] if not (f / "manifest.tsv").is_file()]
    if missing:
        print(f"skipped: no corpus at {', '.join(missing)} (the scans not in the repository "
              f"are in ../shared/corpus, beside the project)")
        return
    work = Path(tempfile.mkdtemp(prefix="archivist-cost-"))
    try:
        report(args, work, synth)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def real_scans(folders: list[Path], pages_dir: Path, gt_dir: Path, limit: int) -> list[Path]:
    """The first `limit` pages of corpus folders (images/, gt/, manifest.tsv, as
    ../shared/corpus has them) whose files state a resolution of 200 dpi or more (OCRmyPDF takes
    a page's size from it), copied under pages_dir with their ground truth under gt_dir."""
    import csv

    pages_dir.mkdir(parents=True)
    gt_dir.mkdir(parents=True)
    paths = []
    for folder in folders:
        with open(folder / "manifest.tsv", newline="") as f:
            for row in csv.DictReader(f, delimiter="\t"):
                dpi = row["dpi_tag"].split("x")[0]
                if not dpi or float(dpi) < 200:
                    continue
                if len(paths) == limit:
                    return paths
                image = folder / row["image"]
                paths.append(Path(shutil.copy(image, pages_dir / image.name)))
                shutil.copy(folder / "gt" / f"{row['basename']}.gt.txt", gt_dir)
    return paths


def report(args: argparse.Namespace, work: Path, synth) -> None:
    pages_dir, gt_dir = work / "pages", work / "gt"
    started = time.perf_counter()
    if args.scans:
        paths = real_scans(args.scans, pages_dir, gt_dir, args.pages)
        args.pages = len(paths)
        what = f"{len(paths)} real scans (200 dpi or more) from " + ", ".join(
            f.name for f in args.scans)
    else:
        paths = synth.make_collection(pages_dir, args.pages, seed=SEED,
                                      lines_per_page=DENSE_LINES, gt_dir=gt_dir)
        what = f"{args.pages} dense pages generated in {time.perf_counter() - started:.0f} s"
    print(f"{what}; {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start")

    startup = first_startup(work)
    print(f"first start-up in a fresh Prefect home (its database created): {startup:.1f} s")
    bares, bare_cpus, runs = measure_cost(paths, pages_dir, work, args.workers, args.repeats)
    n = args.pages
    bare_s, bare_cpu = median(bares[1]), median(bare_cpus[1])
    first = runs[args.workers[0]][0]
    print(f"\n== wall time, {n} pages ({first['words']} OCR words, {first['documents']} "
          f"documents), medians of {args.repeats}")
    print(f"{'':28}{'wall s':>8}{'pages/s':>8}{'start-up s':>11}{'no start-up s':>14}"
          f"{'ratio':>7}{'ratio w/o':>10}{'CPU s':>8}{'CPU ratio':>10}{'peak RSS GB':>12}"
          f"{'flow proc GB':>13}")
    for t, times in bares.items():
        print(f"{f'bare tesseract, {t} thread(s)':28}{median(times):8.1f}"
              f"{n / median(times):8.2f}{'':50}{median(bare_cpus[t]):8.1f}")
    summary = {}
    for w in args.workers:
        rs = runs[w]
        wall, flow = median([r["wall"] for r in rs]), median([r["flow"] for r in rs])
        startup = median([r["wall"] - r["flow"] for r in rs])
        cpu = median([r["cpu"] for r in rs])
        peak = max(r["peak_rss"] for r in rs) / 1e9
        own = max(r["self_maxrss"] for r in rs) / 1e9
        summary[w] = (wall, flow, peak)
        print(f"{f'archivist, {w} worker(s)':28}{wall:8.1f}{n / wall:8.2f}{startup:11.1f}"
              f"{flow:14.1f}{cost_ratio(wall, w, bare_s):7.2f}"
              f"{cost_ratio(flow, w, bare_s):10.2f}{cpu:8.1f}{cpu / bare_cpu:10.2f}"
              f"{peak:12.2f}{own:13.2f}")
    print("  start-up = process wall - run_collection call (interpreter, imports, Prefect's "
          "temporary server, shutdown);\n"
          "  ratio = wall x workers / bare 1-thread wall; CPU s = user+system CPU of the whole "
          "process tree (Tesseract, Prefect's server included), CPU ratio = that / bare "
          "Tesseract's CPU:\n  other jobs on the machine stretch walls, not CPU seconds;\n"
          "  peak RSS = whole process tree (max over repeats); flow proc = the flow process "
          "alone (ru_maxrss)")
    for w in args.workers:
        kinds = sorted({k for r in runs[w] for k in r["cpu_by_kind"]})
        print(f"  CPU s by process, {w} worker(s) (sampled every 50 ms, medians): " + ", ".join(
            f"{k} {median([r['cpu_by_kind'].get(k, 0.0) for r in runs[w]]):.1f}" for k in kinds))
    failed = sum(r["failed"] for rs in runs.values() for r in rs)
    left = sum(r["left"] for rs in runs.values() for r in rs)
    if failed or left:
        print(f"  note: {failed} failed sources; {left} processes left running were ended")

    print(f"\n== time per stage (s, medians of {args.repeats}; RunSummary.stages)")
    names = ["plan", "ocr", "write", "page_seconds", "assemble", "store_derived", "index"]
    print(f"{'stage':16}" + "".join(f"{f'{w} worker(s)':>14}" for w in args.workers))
    for name in names + ["flow body", "start-up"]:
        cells = []
        for w in args.workers:
            rs = runs[w]
            if name == "flow body":
                v = median([r["elapsed_s"] for r in rs])
            elif name == "start-up":
                v = median([r["wall"] - r["flow"] for r in rs])
            else:
                v = median([r["stages"].get(name, float("nan")) for r in rs])
            cells.append(f"{v:14.2f}")
        print(f"{name:16}" + "".join(cells))
    print("  ocr = wall of the page phase (writes included); write = Store.replace_source; "
          "page_seconds = sum of per-page load+preprocess+Tesseract over the workers")
    split = measure_page_split(paths[:args.sample])
    per_page = sum(split.values())
    print(f"per page, {len(paths[:args.sample])} pages one at a time (median s; bare Tesseract "
          f"{bare_s / n:.2f}): "
          + ", ".join(f"{k} {v:.2f} ({v / per_page:.0%})" for k, v in split.items()))
    asm = measure_assembly_split(runs[args.workers[0]][-1]["db"])
    print("assembly of the 1-worker database (median of 3, s): "
          + ", ".join(f"{k} {v:.2f}" for k, v in asm.items()))

    cer_ours, _ = archivist_cer(runs[args.workers[-1]][-1]["db"], gt_dir)
    print(f"\n== OCRmyPDF (-j 2 --deskew --clean --output-type pdf --optimize 0 --sidecar), "
          f"same {n} pages")
    print(f"archivist CER {cer_ours * 100:.2f} % (its OCR witnesses, {args.workers[-1]} workers)")
    other = measure_ocrmypdf(paths, gt_dir, work, args.repeats)
    if isinstance(other, str):
        print(other)
    else:
        wall, cer_theirs = other
        print(f"ocrmypdf wall {wall:.1f} s ({n / wall:.2f} pages/s), CER "
              f"{cer_theirs * 100:.2f} %; archivist {args.workers[-1]} workers "
              f"{summary[args.workers[-1]][0]:.1f} s ({n / summary[args.workers[-1]][0]:.2f} "
              f"pages/s)")

    if not args.noop_pages:
        print_targets(args, summary, bares, bare_s, other, cer_ours)
        return
    print(f"\n== no-op rerun, {args.noop_pages} short pages ({NOOP_LINES}-line notes, JPEG), "
          f"`archivist run --workers 2`, medians of {args.repeats}")
    firsts, reruns, left = measure_noop(work, args.noop_pages, args.repeats)
    first_s, rerun_s = median(firsts), median(reruns)
    print(f"first run {first_s:.1f} s, rerun with nothing changed {rerun_s:.2f} s (of which "
          f"`archivist run --help`, i.e. interpreter and CLI imports, {cli_startup():.2f} s)"
          + (f"; {left} processes left running were ended" if left else ""))

    print_targets(args, summary, bares, bare_s, other, cer_ours)
    print(target_line("no-op rerun / first run", rerun_s / first_s, ".3f"))


def print_targets(args: argparse.Namespace, summary: dict, bares: dict, bare_s: float,
                  other: tuple[float, float] | str, cer_ours: float) -> None:
    print(f"\n== targets (load average {os.getloadavg()[0]:.2f} at the end)")
    lo, hi = args.workers[0], args.workers[-1]
    bare_w = {w: cost_ratio(summary[w][0], w, bare_s) for w in args.workers}
    for w in args.workers:
        print(target_line("cost ratio", bare_w[w], ".2f", f"({w} worker(s))"))
        print(target_line("cost ratio", cost_ratio(summary[w][1], w, bare_s), ".2f",
                          f"({w} worker(s), no start-up)"))
    if lo != hi:
        print(f"  (bare Tesseract's own speed-up 1 -> {hi} threads here and now: "
              f"{bare_s / median(bares[hi]):.2f}, the ceiling for the flow's)")
        print(target_line("speed-up 1 -> 2 workers", summary[lo][0] / summary[hi][0], ".2f"))
        print(target_line("speed-up 1 -> 2 workers", summary[lo][1] / summary[hi][1], ".2f",
                          "(no start-up)"))
    print(target_line("peak RSS (GB)", max(s[2] for s in summary.values()), ".2f"))
    if not isinstance(other, str):
        wall_theirs, cer_theirs = other
        print(target_line("pages/s over OCRmyPDF",
                          wall_theirs / summary[hi][0], ".2f", "(--deskew --clean)"))
        print(target_line("CER over OCRmyPDF's", cer_ours / cer_theirs if cer_theirs else
                          float("inf"), ".2f", "(below 1: lower)"))


if __name__ == "__main__":
    main()
