"""Score archivist's OCR against ground truth, side by side with raw Tesseract on the same images
in the same run: the baseline every user gets for free.

Pages are NAME.gt.txt files with an image NAME.png|jpg|jpeg|tif|tiff beside them or in the
images folder given. CER and WER as dinglehopper defines them; the GT-side error (S+D)/len(GT)
for pages whose ground truth covers only part of the page.
"""

from __future__ import annotations

import os
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytesseract

from archivist.config import Settings
from archivist.errors import UsageError
from archivist.images import load_page
from archivist.metrics import Score, score, total
from archivist.ocr import ocr_page

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff")


@dataclass
class PageResult:
    name: str
    raw: Score
    archivist: Score
    raw_words: Score
    archivist_words: Score
    raw_s: float
    archivist_s: float


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

    def one(pair: tuple[str, Path, Path]) -> PageResult:
        name, image, gt = pair
        truth = gt.read_text(encoding="utf-8")
        started = time.perf_counter()
        page = load_page(image, "image", 0)
        raw_text = pytesseract.image_to_string(page.gray, config=f"--dpi {page.dpi}")
        raw_s = time.perf_counter() - started
        started = time.perf_counter()
        ours = ocr_page(image, "image", 0, settings).text()
        ours_s = time.perf_counter() - started
        return PageResult(name, score(truth, raw_text), score(truth, ours),
                          score(truth, raw_text, words=True), score(truth, ours, words=True),
                          raw_s, ours_s)

    with ThreadPoolExecutor(workers or os.cpu_count() or 1) as pool:
        return list(pool.map(one, pairs))


def summary_rows(results: list[PageResult]) -> dict[str, float]:
    raw, ours = total([r.raw for r in results]), total([r.archivist for r in results])
    raw_w = total([r.raw_words for r in results])
    ours_w = total([r.archivist_words for r in results])
    raw_time = statistics.median(r.raw_s for r in results)
    ours_time = statistics.median(r.archivist_s for r in results)
    return {"raw_cer": raw.cer, "archivist_cer": ours.cer,
            "raw_wer": raw_w.cer, "archivist_wer": ours_w.cer,
            "raw_gt_side": raw.gt_side_error, "archivist_gt_side": ours.gt_side_error,
            "cer_ratio": ours.cer / raw.cer if raw.cer else float("nan"),
            "gt_side_ratio": (ours.gt_side_error / raw.gt_side_error
                              if raw.gt_side_error else float("nan")),
            "raw_s_median": raw_time, "archivist_s_median": ours_time,
            "time_ratio": ours_time / raw_time if raw_time else float("nan")}
