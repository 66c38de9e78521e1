"""Fusion against its own witnesses: CER of each of three witnesses per page and of the fused
reading, on generated pages with ground truth.

    .venv/bin/python bench/fusion_cer.py [--pages N] [--workers W]

Pages are degraded like worn carbon copies. Witnesses per page: (1) archivist's OCR (flatten, deskew, denoise, Otsu; psm 3), (2) a second
OCR with other preprocessing (no binarisation) and psm 4, (3) a careless retyping of the ground truth (4 % letter noise).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from archivist import synth  # noqa: E402
from archivist.align import tokenize  # noqa: E402
from archivist.config import OcrSettings, PreprocessSettings, Settings  # noqa: E402
from archivist.preprocess import preprocess  # noqa: E402
from archivist.fusion import Copy, fuse  # noqa: E402
from archivist.images import load_page  # noqa: E402
from archivist.metrics import cer  # noqa: E402
from archivist.ocr import ocr_image, ocr_page, words_to_lines  # noqa: E402

NAMES = ("ocr", "ocr grey psm4", "retyped", "fused")
# Scan qualities: the generator's carbon copy, and a worn carbon (fainter, blurred, noisier) on
# which OCR errs more often than a careless typist.
DEGRADATIONS = {
    "carbon": synth.Degradation.carbon(),
    "worn": synth.Degradation(rotation_deg=1.5, noise=22, blur=1.8, uneven_light=0.5, ink=0.35,
                              jpeg_quality=40, speckle=2.0),
}


def witnesses(path: Path, truth: str, seed: int) -> list[Copy]:
    first = ocr_page(path, "image", 0, Settings())
    page = load_page(path, "image", 0)
    other = Settings(preprocess=PreprocessSettings(binarize="none"), ocr=OcrSettings(psm=4))
    second = ocr_image(preprocess(page.gray, other.preprocess, page.dpi).image, other, page.dpi)
    retyped = synth.noisy_transcription(truth, rate=0.04, seed=seed).splitlines()
    return [_copy(first.words, "ocr"), _copy(second, "ocr2"),
            Copy(tokenize(retyped, "retyped"), "retyped")]


def _copy(words, name: str) -> Copy:
    lines = words_to_lines(words)
    confs, i = [], 0
    for line in lines:
        n = len(line.text.split())
        confs.append([w.conf for w in words[i:i + n]])
        i += n
    return Copy(tokenize([l.text for l in lines], name, confs), name)


def text_of(copy_tokens) -> str:
    return " ".join(t.text for t in copy_tokens)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=8)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--scans", nargs="+", choices=sorted(DEGRADATIONS),
                        default=["carbon", "worn"])
    args = parser.parse_args()
    for scans in args.scans:
        print(f"== {scans} scans")
        run(args.pages, args.workers, DEGRADATIONS[scans])


def run(n_pages: int, workers: int, degradation: synth.Degradation) -> None:
    work = Path(tempfile.mkdtemp(prefix="archivist-fusion-"))
    paths = synth.make_collection(work / "pages", n_pages, seed=5, gt_dir=work / "gt",
                                  degradation=degradation)
    truths = [(work / "gt" / f"{p.stem}.gt.txt").read_text() for p in paths]

    started = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        all_copies = list(pool.map(witnesses, paths, truths, range(len(paths))))
    ocr_s = time.perf_counter() - started
    started = time.perf_counter()
    fused = [fuse(copies) for copies in all_copies]
    fuse_s = time.perf_counter() - started

    rows = []
    for path, truth, copies, result in zip(paths, truths, all_copies, fused):
        scores = [cer(truth, text_of(c.tokens)) for c in copies] + [
            cer(truth, text_of(result.tokens))]
        rows.append(scores)
        print(f"{path.name:18}" + "".join(f"{s * 100:14.2f}" for s in scores))
    print(f"{'page':18}" + "".join(f"{n:>14}" for n in NAMES) + "   (CER %)")
    means = [statistics.mean(col) for col in zip(*rows)]
    print(f"{'mean':18}" + "".join(f"{m * 100:14.2f}" for m in means))
    best_single = min(means[:3])
    print(f"fused CER {means[3] * 100:.2f} % vs best single witness {best_single * 100:.2f} % "
          f"(ratio {means[3] / best_single:.2f}); fused beats the best witness of its own page "
          f"on {sum(r[3] < min(r[:3]) for r in rows)}/{len(rows)} pages")
    print(f"OCR of two witnesses {ocr_s:.1f} s, fusion {fuse_s:.2f} s for {len(rows)} pages")


if __name__ == "__main__":
    main()
