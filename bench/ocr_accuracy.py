"""OCR accuracy and cost, raw Tesseract and archivist side by side, on real and generated pages.

    .venv/bin/python bench/ocr_accuracy.py [--pages N] [--workers W] [--ehri DIR] [--no-ehri]
                                           [--profiles clean typical carbon poor]

Groups of pages (one table, one row per group):
- EHRI full: the 13 US despatch pages of ../shared/corpus/ehri-english whose ground truth is
  complete (baseline_tesseract.tsv gt_scope "full"); CER and GT-side error (S+D)/len(GT);
- EHRI partial: the 7 pages whose ground truth leaves out letterheads, stamps and the like
  (gt_scope "partial?"), scored by GT-side error only (insertions there are mostly real text the
  transcribers left out);
- EHRI other (hold-out): the 7 other fully transcribed pages (letters and testimonies, 100-150
  dpi scans), never used to tune anything;
- generated: N pages per scan profile of archivist.synth.PROFILES (clean, typical, carbon, poor).
The EHRI groups are skipped with a message when the corpus is absent.

Each page is read by raw Tesseract (the page as loaded, `tesseract --dpi D`, as `archivist eval`
does, handed over as an uncompressed BMP like archivist's own passes) and by archivist's
ocr_page, one after the other in the same worker process, alternating which goes first. Time
is the CPU time of the worker and its Tesseract processes (user + system), which other jobs on
the machine slow far less than wall time; the wall-clock ratio is shown beside it.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ["OMP_THREAD_LIMIT"] = "1"

import pytesseract  # noqa: E402

from archivist import synth  # noqa: E402
from archivist.config import Settings  # noqa: E402
from archivist.images import load_page  # noqa: E402
from archivist.metrics import Score, score, total  # noqa: E402
from archivist.ocr import ocr_page, tesseract_input  # noqa: E402

EHRI = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "ehri-english"
PROFILE_TARGETS = {"clean": None, "typical": 0.015, "carbon": 0.02, "poor": 0.05}
TIME_BUDGET = 1.6


@dataclass
class PageRun:
    group: str
    name: str
    raw: Score
    ours: Score
    raw_cpu: float
    ours_cpu: float
    raw_wall: float
    ours_wall: float
    passes: list[str] = field(default_factory=list)
    nontext: int = 0


def _cpu() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _raw(path: Path) -> str:
    page = load_page(path, "image", 0)
    return pytesseract.image_to_string(tesseract_input(page.gray), config=f"--dpi {page.dpi}")


def read_page(job: tuple[str, str, str, str, int]) -> PageRun:
    """Raw Tesseract and archivist on one page, in this process, in the given order."""
    group, name, image, truth_path, order = job
    truth = Path(truth_path).read_text(encoding="utf-8")
    settings = Settings()
    results: dict[str, tuple[object, float, float]] = {}
    for which in (("raw", "ours") if order % 2 == 0 else ("ours", "raw")):
        cpu, wall = _cpu(), time.perf_counter()
        out = _raw(Path(image)) if which == "raw" else ocr_page(image, "image", 0, settings)
        results[which] = (out, _cpu() - cpu, time.perf_counter() - wall)
    raw_text, raw_cpu, raw_wall = results["raw"]
    page, ours_cpu, ours_wall = results["ours"]
    return PageRun(group, name, score(truth, raw_text), score(truth, page.text()),
                   raw_cpu, ours_cpu, raw_wall, ours_wall,
                   passes=[f"{p.name}:{p.used}" for p in page.passes], nontext=len(page.nontext))


def ehri_jobs(folder: Path) -> list[tuple[str, str, str, str]]:
    rows = list(csv.DictReader(open(folder / "baseline_tesseract.tsv", encoding="utf-8"),
                               delimiter="\t"))
    jobs = []
    for row in rows:
        name = row["basename"]
        if row["gt_scope"].startswith("partial"):
            group = "EHRI partial"
        elif "-DR-" in name:
            group = "EHRI full"
        else:
            group = "EHRI other (hold-out)"
        image = next(folder.glob(f"images/{name}.*"))
        jobs.append((group, name, str(image), str(folder / "gt" / f"{name}.gt.txt")))
    return jobs


def generated_jobs(work: Path, profiles: list[str], n_pages: int, seed: int
                   ) -> list[tuple[str, str, str, str]]:
    jobs = []
    for profile in profiles:
        out = work / profile
        paths = synth.make_collection(out / "pages", n_pages, seed=seed, gt_dir=out / "gt",
                                      degradation=synth.Degradation.profile(profile))
        jobs += [(f"generated {profile}", p.stem, str(p), str(out / "gt" / f"{p.stem}.gt.txt"))
                 for p in paths]
    return jobs


def _pct(value: float) -> str:
    return f"{value * 100:.2f}"


def _ratio(ours: float, raw: float) -> str:
    return f"{ours / raw:.2f}x" if raw else "n/a"


def verdict(group: str, raw: Score, ours: Score) -> str:
    """The issue's target for the group, and whether it is met."""
    if group == "EHRI full":
        cer_ok = ours.cer <= 0.70 * raw.cer
        side_ok = ours.gt_side_error <= 0.85 * raw.gt_side_error
        return (f"CER <= 0.70x raw: {'met' if cer_ok else 'NOT met'}; "
                f"GT-side <= 0.85x raw: {'met' if side_ok else 'NOT met'}")
    if group == "EHRI partial":
        ok = ours.gt_side_error <= 0.90 * raw.gt_side_error
        return f"GT-side <= 0.90x raw: {'met' if ok else 'NOT met'}"
    if group.startswith("generated "):
        profile = group.split()[-1]
        target = PROFILE_TARGETS.get(profile)
        if target is None:
            ok = ours.cer <= raw.cer
            return f"CER never worse than raw: {'met' if ok else 'NOT met'}"
        return f"CER <= {target * 100:g} %: {'met' if ours.cer <= target else 'NOT met'}"
    return "(no target)"


def table(runs: list[PageRun]) -> list[str]:
    header = (f"{'group':22} {'pages':>5} {'raw CER%':>9} {'arch CER%':>9} {'ratio':>6} "
              f"{'raw GTs%':>9} {'arch GTs%':>9} {'ratio':>6} {'raw ins%':>8} {'arch ins%':>9} "
              f"{'raw s':>6} {'arch s':>6} {'time':>6}  target")
    lines = [header, "-" * len(header)]
    groups = list(dict.fromkeys(r.group for r in runs))
    all_raw = all_ours = 0.0
    for group in groups:
        rs = [r for r in runs if r.group == group]
        raw, ours = total([r.raw for r in rs]), total([r.ours for r in rs])
        raw_cpu = statistics.mean(r.raw_cpu for r in rs)
        ours_cpu = statistics.mean(r.ours_cpu for r in rs)
        all_raw += sum(r.raw_cpu for r in rs)
        all_ours += sum(r.ours_cpu for r in rs)

        def ins_share(s: Score) -> str:
            return f"{s.insertions / s.distance * 100:.0f}" if s.distance else "-"

        lines.append(
            f"{group:22} {len(rs):5d} {_pct(raw.cer):>9} {_pct(ours.cer):>9} "
            f"{_ratio(ours.cer, raw.cer):>6} {_pct(raw.gt_side_error):>9} "
            f"{_pct(ours.gt_side_error):>9} {_ratio(ours.gt_side_error, raw.gt_side_error):>6} "
            f"{ins_share(raw):>8} {ins_share(ours):>9} {raw_cpu:6.2f} {ours_cpu:6.2f} "
            f"{_ratio(ours_cpu, raw_cpu):>6}  {verdict(group, raw, ours)}")
    lines.append("-" * len(header))
    ratio = all_ours / all_raw if all_raw else float("nan")
    wall = sum(r.ours_wall for r in runs) / max(1e-9, sum(r.raw_wall for r in runs))
    usual = [r for r in runs if r.group != "generated poor"]
    usual_ratio = sum(r.ours_cpu for r in usual) / max(1e-9, sum(r.raw_cpu for r in usual))
    lines.append(f"CPU time archivist / raw: all pages {ratio:.2f}x, all but the worn carbons "
                 f"(where raw Tesseract labours over noise) {usual_ratio:.2f}x, budget "
                 f"{TIME_BUDGET}x: "
                 f"{'met' if max(ratio, usual_ratio) <= TIME_BUDGET else 'NOT met'}; "
                 f"wall-clock {wall:.2f}x")
    lines.append("CER and GT-side error summed over the group's pages; ins% = insertions as a "
                 "share of all edits; s = mean CPU seconds per page (process + Tesseract); "
                 "time = archivist / raw")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=6, help="generated pages per profile")
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--profiles", nargs="+", choices=list(synth.PROFILES),
                        default=list(synth.PROFILES))
    parser.add_argument("--seed", type=int, default=101)
    parser.add_argument("--ehri", type=Path, default=EHRI)
    parser.add_argument("--no-ehri", action="store_true")
    parser.add_argument("--per-page", action="store_true", help="also print every page")
    args = parser.parse_args()

    jobs: list[tuple[str, str, str, str]] = []
    if args.no_ehri:
        print("EHRI pages skipped (--no-ehri)")
    elif not (args.ehri / "baseline_tesseract.tsv").exists():
        print(f"EHRI pages skipped: {args.ehri} is absent (the shared corpus is not here)")
    else:
        jobs += ehri_jobs(args.ehri)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="archivist-ocr-accuracy-") as work:
        jobs += generated_jobs(Path(work), args.profiles, args.pages, args.seed)
        with ProcessPoolExecutor(args.workers) as pool:
            runs = list(pool.map(read_page, [(*job, i) for i, job in enumerate(jobs)]))
    if args.per_page:
        for r in runs:
            print(f"{r.group:22} {r.name:28} raw {_pct(r.raw.cer):>7} arch {_pct(r.ours.cer):>7} "
                  f"GT-side {_pct(r.raw.gt_side_error):>6} {_pct(r.ours.gt_side_error):>6} "
                  f"cpu {r.raw_cpu:5.2f} {r.ours_cpu:5.2f} nontext {r.nontext:3d} "
                  f"{' '.join(r.passes)}")
    print("\n".join(table(runs)))
    print(f"{len(runs)} pages in {time.perf_counter() - started:.0f} s with {args.workers} "
          f"workers; Tesseract {pytesseract.get_tesseract_version()}, OMP_THREAD_LIMIT=1")


if __name__ == "__main__":
    main()
