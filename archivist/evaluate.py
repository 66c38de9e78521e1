"""Score archivist's OCR against ground truth, side by side with raw Tesseract on the same images
in the same run: the baseline every user gets for free.

Pages are NAME.gt.txt files with an image NAME.png|jpg|jpeg|tif|tiff beside them or in the
images folder given. CER and WER as dinglehopper defines them; the GT-side error (S+D)/len(GT)
for pages whose ground truth covers only part of the page.

Each page is read by both in one worker process, one after the other (which goes first
alternates from page to page), and the time of each is measured twice: wall-clock seconds, and
the CPU seconds of the worker and its Tesseract processes, which other jobs on the machine slow
far less; the time ratio is taken from the CPU seconds.
"""

from __future__ import annotations

import os
import resource
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pytesseract

from archivist.config import Settings
from archivist.errors import UsageError
from archivist.images import load_page
from archivist.metrics import Score, score, total
from archivist.ocr import ocr_page, tesseract_input

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff")


@dataclass
class PageResult:
    name: str
    raw: Score
    archivist: Score
    raw_words: Score
    archivist_words: Score
    raw_s: float  # wall-clock seconds
    archivist_s: float
    raw_cpu: float = 0.0  # CPU seconds, Tesseract's included
    archivist_cpu: float = 0.0
    nontext: int = 0  # words archivist kept out of the text (stamps, marginalia, specks...)


def find_pairs(gt_dir: Path, images_dir: Path | None = None) -> list[tuple[str, Path, Path]]:
    """(name, image, ground truth) for every ground-truth file that has an image."""
    gt_dir = Path(gt_dir)
    if not gt_dir.is_dir():
        raise UsageError(f"{gt_dir}: not a folder of NAME.gt.txt files")
    pairs = []
    for gt in sorted(gt_dir.glob("*.gt.txt")):
        name = gt.name[: -len(".gt.txt")]
        for folder in (images_dir, gt_dir, gt_dir.parent / "images"):
            image = next((folder / f"{name}{s}" for s in IMAGE_SUFFIXES
                          if folder and (folder / f"{name}{s}").exists()), None)
            if image:
                pairs.append((name, image, gt))
                break
    if not pairs:
        raise UsageError(f"{gt_dir}: no NAME.gt.txt with a NAME.png/jpg/tif image found")
    return pairs


def evaluate(pairs: list[tuple[str, Path, Path]], workers: int | None = None,
             settings: Settings | None = None) -> list[PageResult]:
    settings = settings or Settings()
    os.environ["OMP_THREAD_LIMIT"] = "1"
    jobs = [(*pair, order) for order, pair in enumerate(pairs)]
    with ProcessPoolExecutor(workers or os.cpu_count() or 1) as pool:
        return list(pool.map(partial(_evaluate_page, settings=settings), jobs))


def _cpu_seconds() -> float:
    """CPU time of this process and of its children that have ended (Tesseract runs)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def _evaluate_page(job: tuple[str, Path, Path, int], settings: Settings) -> PageResult:
    name, image, gt, order = job
    truth = gt.read_text(encoding="utf-8")

    def raw() -> str:
        page = load_page(image, "image", 0)
        # The same pixels as `tesseract IMAGE`, handed over as archivist hands its own.
        return pytesseract.image_to_string(tesseract_input(page.gray),
                                           config=f"--dpi {page.dpi}")

    def ours():
        return ocr_page(image, "image", 0, settings)

    done: dict[str, tuple[object, float, float]] = {}
    for which, read in (("raw", raw), ("ours", ours))[::1 if order % 2 == 0 else -1]:
        cpu, wall = _cpu_seconds(), time.perf_counter()
        result = read()
        done[which] = (result, time.perf_counter() - wall, _cpu_seconds() - cpu)
    raw_text, raw_s, raw_cpu = done["raw"]
    page, ours_s, ours_cpu = done["ours"]
    text = page.text()
    return PageResult(name, score(truth, raw_text), score(truth, text),
                      score(truth, raw_text, words=True), score(truth, text, words=True),
                      raw_s, ours_s, raw_cpu, ours_cpu, len(page.nontext))


def summary_rows(results: list[PageResult]) -> dict[str, float]:
    raw, ours = total([r.raw for r in results]), total([r.archivist for r in results])
    raw_w = total([r.raw_words for r in results])
    ours_w = total([r.archivist_words for r in results])
    raw_time = statistics.median(r.raw_s for r in results)
    ours_time = statistics.median(r.archivist_s for r in results)
    raw_cpu = sum(r.raw_cpu for r in results)
    ours_cpu = sum(r.archivist_cpu for r in results)
    if raw_cpu:
        time_ratio = ours_cpu / raw_cpu
    else:  # no CPU figures: wall-clock medians
        time_ratio = ours_time / raw_time if raw_time else float("nan")
    return {"raw_cer": raw.cer, "archivist_cer": ours.cer,
            "raw_wer": raw_w.cer, "archivist_wer": ours_w.cer,
            "raw_gt_side": raw.gt_side_error, "archivist_gt_side": ours.gt_side_error,
            "cer_ratio": ours.cer / raw.cer if raw.cer else float("nan"),
            "gt_side_ratio": (ours.gt_side_error / raw.gt_side_error
                              if raw.gt_side_error else float("nan")),
            "raw_insertions": raw.insertions, "archivist_insertions": ours.insertions,
            "raw_s_median": raw_time, "archivist_s_median": ours_time,
            "raw_cpu_s": raw_cpu, "archivist_cpu_s": ours_cpu,
            "time_ratio": time_ratio}
