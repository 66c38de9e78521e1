"""Tesseract through pytesseract: every word with its text, confidence, box and layout numbers.

Tesseract's OpenMP threads fight each other when pages already run in parallel (measured on our
2-core machines: 11-19 s per page by default, 1.8 s with one thread), so every call here runs
Tesseract with OMP_THREAD_LIMIT=1 and the caller parallelises over pages.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytesseract

from archivist.config import Settings
from archivist.errors import PageError, TesseractMissing
from archivist.images import load_page
from archivist.preprocess import preprocess, unrotate_box

os.environ["OMP_THREAD_LIMIT"] = "1"


@dataclass(frozen=True)
class Word:
    block: int
    par: int
    line: int
    word: int
    text: str
    conf: float
    left: int
    top: int
    width: int
    height: int


@dataclass(frozen=True)
class TextLine:
    """A line of a witness: its text, where it starts in the witness text, and its box if any."""

    line_no: int
    par_no: int
    text: str
    char_start: int
    char_end: int
    box: tuple[int, int, int, int] | None = None


@dataclass
class PageOcr:
    """The result of OCR on one page; picklable, so Prefect can persist and reuse it."""

    page_index: int
    width: int
    height: int
    dpi: int
    image_hash: str
    words: list[Word]
    preprocessing: dict = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def mean_conf(self) -> float | None:
        confs = [w.conf for w in self.words]
        return round(sum(confs) / len(confs), 2) if confs else None

    def lines(self) -> list[TextLine]:
        return words_to_lines(self.words)

    def text(self) -> str:
        return lines_to_text(self.lines())


@lru_cache(maxsize=1)
def tesseract_version() -> str:
    try:
        return str(pytesseract.get_tesseract_version())
    except pytesseract.TesseractNotFoundError as exc:
        raise TesseractMissing(
            "tesseract is not installed: run `make run` (it installs Debian's tesseract-ocr) "
            "or `apt-get install tesseract-ocr tesseract-ocr-eng`") from exc


def ocr_page(path: Path | str, kind: str, page_index: int, settings: Settings) -> PageOcr:
    """Load, preprocess and OCR one page; any failure becomes a PageError naming file and page."""
    started = time.perf_counter()
    page = load_page(path, kind, page_index, pdf_dpi=settings.ocr.pdf_dpi,
                     default_dpi=settings.ocr.default_dpi)
    try:
        cleaned = preprocess(page.gray, settings.preprocess, page.dpi)
    except Exception as exc:
        raise PageError(path, page_index, "preprocess", f"{type(exc).__name__}: {exc}") from exc
    words = ocr_image(cleaned.image, settings, page.dpi, path=path, page_index=page_index)
    angle = cleaned.applied.get("deskew", {}).get("angle_deg", 0.0)
    words = [_in_scan_coordinates(w, angle, page.width, page.height) for w in words]
    return PageOcr(page_index=page_index, width=page.width, height=page.height, dpi=page.dpi,
                   image_hash=page.content_hash(), words=words, preprocessing=cleaned.applied,
                   seconds=round(time.perf_counter() - started, 3))


def ocr_image(image: np.ndarray, settings: Settings, dpi: int, *, path: Path | str = "<image>",
              page_index: int = 0) -> list[Word]:
    config = f"--psm {settings.ocr.psm} --dpi {dpi}"
    try:
        data = pytesseract.image_to_data(image, lang=settings.ocr.lang, config=config,
                                         output_type=pytesseract.Output.DICT,
                                         timeout=settings.ocr.timeout_s)
    except pytesseract.TesseractNotFoundError:
        tesseract_version()  # raises TesseractMissing with the install hint
        raise
    except RuntimeError as exc:  # pytesseract's time-out
        raise PageError(path, page_index, "ocr", f"Tesseract timed out after "
                        f"{settings.ocr.timeout_s:g} s") from exc
    except pytesseract.TesseractError as exc:
        raise PageError(path, page_index, "ocr", f"Tesseract failed: {exc}") from exc
    return words_from_data(data)


def _in_scan_coordinates(word: Word, angle: float, width: int, height: int) -> Word:
    """Boxes refer to the scan as stored, not to our deskewed copy, so a viewer can draw them."""
    left, top, w, h = unrotate_box((word.left, word.top, word.width, word.height), angle,
                                   width, height)
    return replace(word, left=left, top=top, width=w, height=h)


def words_from_data(data: dict) -> list[Word]:
    """Word rows of Tesseract's TSV (level 5 with text); layout rows carry conf -1 and no text."""
    words = []
    for i, text in enumerate(data["text"]):
        text = (text or "").strip()
        conf = float(data["conf"][i])
        if int(data["level"][i]) != 5 or not text or conf < 0:
            continue
        words.append(Word(block=int(data["block_num"][i]), par=int(data["par_num"][i]),
                          line=int(data["line_num"][i]), word=int(data["word_num"][i]),
                          text=text, conf=conf, left=int(data["left"][i]),
                          top=int(data["top"][i]), width=int(data["width"][i]),
                          height=int(data["height"][i])))
    return words


def words_to_lines(words: list[Word]) -> list[TextLine]:
    """Group words into lines in Tesseract's reading order; paragraphs numbered across blocks."""
    groups: dict[tuple[int, int, int], list[Word]] = {}
    for w in words:
        groups.setdefault((w.block, w.par, w.line), []).append(w)
    lines, offset, par_no, last_par = [], 0, 0, None
    for key, members in groups.items():
        if last_par is not None and key[:2] != last_par:
            par_no += 1
            offset += 1  # the blank line between paragraphs
        last_par = key[:2]
        text = " ".join(w.text for w in members)
        left = min(w.left for w in members)
        top = min(w.top for w in members)
        right = max(w.left + w.width for w in members)
        bottom = max(w.top + w.height for w in members)
        lines.append(TextLine(line_no=len(lines), par_no=par_no, text=text, char_start=offset,
                              char_end=offset + len(text),
                              box=(left, top, right - left, bottom - top)))
        offset += len(text) + 1
    return lines


def lines_to_text(lines: list[TextLine]) -> str:
    """Lines joined by newlines, paragraphs by a blank line (offsets in TextLine match this)."""
    parts: list[str] = []
    for i, line in enumerate(lines):
        if i and line.par_no != lines[i - 1].par_no:
            parts.append("")
        parts.append(line.text)
    return "\n".join(parts)
