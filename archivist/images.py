"""Page images out of PNG, JPEG, TIFF (multi-page too) and PDF files.

Pages are counted and loaded one at a time so that each page can be its own unit of work: a
200-page PDF is never held in memory whole, and a broken page does not take its neighbours down.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageSequence, UnidentifiedImageError

from archivist.errors import PageError, SourceError

Image.MAX_IMAGE_PIXELS = 400_000_000  # a 600 dpi A0 scan, not a decompression bomb


@dataclass
class PageImage:
    gray: np.ndarray  # uint8, 2-D
    dpi: int

    @property
    def width(self) -> int:
        return int(self.gray.shape[1])

    @property
    def height(self) -> int:
        return int(self.gray.shape[0])

    def content_hash(self) -> str:
        return hashlib.sha256(self.gray.tobytes()).hexdigest()[:16]


def count_pages(path: Path | str, kind: str) -> int:
    """Number of pages, or SourceError naming the file when it cannot be opened."""
    try:
        if kind == "pdf":
            import pypdfium2 as pdfium

            pdf = pdfium.PdfDocument(str(path))
            try:
                return len(pdf)
            finally:
                pdf.close()
        with Image.open(path) as im:
            return sum(1 for _ in ImageSequence.Iterator(im))
    except (OSError, UnidentifiedImageError, ValueError) as exc:
        raise SourceError(path, f"cannot open {kind}: {exc}") from exc
    except Exception as exc:  # pypdfium2 raises its own PdfiumError
        raise SourceError(path, f"cannot open {kind}: {exc}") from exc


def load_page(path: Path | str, kind: str, index: int, *, pdf_dpi: int = 300,
              default_dpi: int = 300) -> PageImage:
    try:
        if kind == "pdf":
            return _render_pdf_page(path, index, pdf_dpi)
        return _read_image_frame(path, index, default_dpi)
    except PageError:
        raise
    except Exception as exc:
        raise PageError(path, index, "load", f"{type(exc).__name__}: {exc}") from exc


def _read_image_frame(path: Path | str, index: int, default_dpi: int) -> PageImage:
    with Image.open(path) as im:
        im.seek(index)
        dpi = _dpi_of(im, default_dpi)
        frame = im.convert("L") if im.mode not in ("L",) else im.copy()
        frame.load()
    return PageImage(gray=np.asarray(frame, dtype=np.uint8).copy(), dpi=dpi)


def _dpi_of(im: Image.Image, default_dpi: int) -> int:
    """The file's resolution when it is plausible for a scan; many files say 72 or nothing."""
    dpi = im.info.get("dpi")
    try:
        value = int(round(float(dpi[0]))) if dpi else 0
    except (TypeError, ValueError, IndexError):
        value = 0
    return value if 100 <= value <= 1200 else default_dpi


def _render_pdf_page(path: Path | str, index: int, dpi: int) -> PageImage:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path))
    try:
        page = pdf[index]
        bitmap = page.render(scale=dpi / 72, grayscale=True)
        gray = np.asarray(bitmap.to_pil().convert("L"), dtype=np.uint8).copy()
        page.close()
    finally:
        pdf.close()
    return PageImage(gray=gray, dpi=dpi)
