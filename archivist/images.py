"""Page images out of PNG, JPEG, TIFF (multi-page too) and PDF files.

Pages are counted and loaded one at a time so that each page can be its own unit of work: a
200-page PDF is never held in memory whole, and a broken page does not take its neighbours down.

Whatever the file holds, a page comes out as 8-bit grayscale, read the way a person looking at the
file would see it:
- 1-bit, palette, RGB and CMYK images are converted to gray;
- 16-bit (and 32-bit integer or float) images are scaled to 0-255, not clipped;
- transparency (an alpha channel, a palette or colour key marked transparent) is flattened onto
  white paper: transparent pixels often hold black, which would otherwise turn the page black;
- an EXIF orientation tag (phone and camera pictures) is applied.
What was done is returned in `PageImage.notes` and recorded with the page's preprocessing.

Nothing is decoded before its size is checked: a header that declares more than
MAX_PAGE_PIXELS pixels (a decompression bomb, or a corrupt header) is refused with a SourceError.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

from archivist.errors import PageError, SourceError

MAX_PAGE_PIXELS = 400_000_000  # a 600 dpi A1 scan; well past any page a typist produced
# Pillow's own guard warns above this and refuses above twice it; ours refuses above it.
Image.MAX_IMAGE_PIXELS = MAX_PAGE_PIXELS

_FORMAT_NAMES = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".tif": "TIFF", ".tiff": "TIFF",
                 ".pdf": "PDF"}
_MAGIC = [(b"\x89PNG\r\n\x1a\n", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"),
          (b"II*\x00", "a TIFF image"), (b"MM\x00*", "a TIFF image"), (b"%PDF", "a PDF"),
          (b"PK\x03\x04", "a ZIP archive (or a .docx/.odt document)"), (b"GIF8", "a GIF image"),
          (b"BM", "a BMP image"), (b"\xd0\xcf\x11\xe0", "an old Microsoft Office document"),
          (b"RIFF", "a RIFF file (WebP, WAV, AVI)"), (b"\x1f\x8b", "a gzip archive"),
          (b"{\\rtf", "an RTF document"), (b"7z\xbc\xaf", "a 7-Zip archive")]


@dataclass
class PageImage:
    gray: np.ndarray  # uint8, 2-D
    dpi: int
    notes: dict = field(default_factory=dict)  # how the file's pixels became gray (mode, alpha...)

    @property
    def width(self) -> int:
        return int(self.gray.shape[1])

    @property
    def height(self) -> int:
        return int(self.gray.shape[0])

    def content_hash(self) -> str:
        return hashlib.sha256(self.gray.tobytes()).hexdigest()[:16]


def sniff(data: bytes) -> str | None:
    """What the first bytes of a file say it is ("a PNG image"...), or None."""
    for magic, what in _MAGIC:
        if data.startswith(magic):
            return what
    return None


def count_pages(path: Path | str, kind: str) -> int:
    """Number of pages, or SourceError naming the file when it cannot be opened."""
    _check_readable_file(path)
    try:
        if kind == "pdf":
            return _count_pdf_pages(path)
        with Image.open(path) as im:
            pages = 0
            for frame in ImageSequence.Iterator(im):
                _check_pixels(path, frame.size, pages)
                pages += 1
            return pages
    except SourceError:
        raise
    except Image.DecompressionBombError as exc:
        raise SourceError(path, _refusal(str(exc))) from exc
    except FileNotFoundError as exc:
        raise SourceError(path, _GONE) from exc
    except PermissionError as exc:
        raise SourceError(path, "permission denied: the file cannot be read") from exc
    except UnidentifiedImageError as exc:
        raise SourceError(path, _unreadable_image(path)) from exc
    except Exception as exc:  # OSError, ValueError, pypdfium2's PdfiumError...
        raise SourceError(path, f"cannot open {_format_name(path, kind)}: "
                                f"{_one_line(exc)}") from exc


def load_page(path: Path | str, kind: str, index: int, *, pdf_dpi: int = 300,
              default_dpi: int = 300) -> PageImage:
    try:
        if kind == "pdf":
            return _render_pdf_page(path, index, pdf_dpi)
        return _read_image_frame(path, index, default_dpi)
    except (PageError, SourceError):
        raise
    except FileNotFoundError as exc:
        raise PageError(path, index, "load", _GONE) from exc
    except Image.DecompressionBombError as exc:
        raise PageError(path, index, "load", _refusal(str(exc))) from exc
    except OSError as exc:
        if "truncated" in str(exc):
            raise PageError(path, index, "load", f"the image data is cut short, the file ends "
                                                 f"early ({_one_line(exc)})") from exc
        raise PageError(path, index, "load", f"{type(exc).__name__}: {_one_line(exc)}") from exc
    except Exception as exc:
        raise PageError(path, index, "load", f"{type(exc).__name__}: {_one_line(exc)}") from exc


_GONE = "the file disappeared before it could be read (moved or deleted during the run)"


def _check_readable_file(path: Path | str) -> None:
    try:
        size = os.stat(path).st_size
    except FileNotFoundError as exc:
        raise SourceError(path, _GONE) from exc
    except OSError as exc:
        raise SourceError(path, f"cannot be read: {exc.strerror or exc}") from exc
    if size == 0:
        raise SourceError(path, "empty file (0 bytes)")


def _check_pixels(path: Path | str, size: tuple[int, int], index: int | None = None) -> None:
    width, height = size
    if width * height > MAX_PAGE_PIXELS:
        where = f"page {index + 1} " if index else ""
        raise SourceError(path, f"refused before decoding: {where}declares {width} x {height} "
                                f"pixels ({width * height / 1e6:,.0f} megapixels), over the limit of "
                                f"{MAX_PAGE_PIXELS / 1e6:,.0f} megapixels for one page (a "
                                f"decompression bomb, or a corrupt header)")


def _refusal(pillow_message: str) -> str:
    """Pillow refused an oversized image at open, before decoding; say so in our words."""
    found = re.search(r"\((\d+) pixels\)", pillow_message)
    declared = f"declares {int(found.group(1)) / 1e6:,.0f} megapixels" if found else \
        "declares too many pixels"
    return (f"refused before decoding: {declared}, over the limit of "
            f"{MAX_PAGE_PIXELS / 1e6:,.0f} megapixels for one page (a decompression bomb, or a "
            f"corrupt header)")


def _unreadable_image(path: Path | str) -> str:
    expected = _format_name(path, "image")
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except OSError:
        head = b""
    actual = sniff(head)
    if actual and expected.lower() not in actual.lower():
        return f"not a readable {expected} image: the file is {actual}"
    if actual:
        return f"not a readable {expected} image: corrupt or truncated"
    return f"not a readable {expected} image: corrupt, truncated or not an image at all"


def _format_name(path: Path | str, kind: str) -> str:
    return _FORMAT_NAMES.get(Path(path).suffix.lower(), kind)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


# --------------------------------------------------------------------------
# Raster images
# --------------------------------------------------------------------------

def _read_image_frame(path: Path | str, index: int, default_dpi: int) -> PageImage:
    with Image.open(path) as im:
        im.seek(index)
        _check_pixels(path, im.size, index)
        dpi = _dpi_of(im, default_dpi)
        im.load()
        gray, notes = to_gray(im)
    return PageImage(gray=gray, dpi=dpi, notes=notes)


def to_gray(im: Image.Image) -> tuple[np.ndarray, dict]:
    """8-bit grayscale pixels of a decoded frame, and what it took to get them."""
    notes: dict = {}
    if im.mode not in ("L",):
        notes["mode"] = im.mode
    try:
        orientation = im.getexif().get(0x0112, 1)
    except Exception:  # a corrupt EXIF block does not make the pixels unreadable
        orientation = 1
    if orientation in (2, 3, 4, 5, 6, 7, 8):
        im = ImageOps.exif_transpose(im)
        notes["exif_orientation"] = int(orientation)
    if _has_transparency(im):
        im = _flatten_on_white(im)
        notes["alpha"] = "flattened on white"
    if im.mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        gray, bits = _scaled_wide(im)
        notes["scaled_from_bits"] = bits
        return gray, notes
    if im.mode != "L":
        im = im.convert("L")
    return np.asarray(im, dtype=np.uint8).copy(), notes


def _has_transparency(im: Image.Image) -> bool:
    return im.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in im.info


def _flatten_on_white(im: Image.Image) -> Image.Image:
    if im.mode in ("I;16", "I;16L", "I;16B", "I;16N", "I"):  # a 16-bit colour key: rare
        im = Image.fromarray(_scaled_wide(im)[0])
    rgba = im.convert("RGBA")
    paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    return Image.alpha_composite(paper, rgba).convert("L")


def _scaled_wide(im: Image.Image) -> tuple[np.ndarray, int]:
    """16-bit, 32-bit integer and float gray images scaled to 8 bits by their bit depth (not by
    their own range: a faint page must stay faint)."""
    if im.mode.startswith("I;16"):
        values = np.asarray(im).astype(np.float64)
        bits = 16
    else:
        values = np.asarray(im).astype(np.float64)
        top = float(values.max()) if values.size else 0.0
        if im.mode == "F" and top <= 1.0:
            return np.clip(values * 255.0 + 0.5, 0, 255).astype(np.uint8), 1
        bits = 8 if top <= 255 else 16 if top <= 65535 else 32
    scaled = values / (2 ** bits - 1) * 255.0 if bits > 8 else values
    return np.clip(scaled + 0.5, 0, 255).astype(np.uint8), bits


def _dpi_of(im: Image.Image, default_dpi: int) -> int:
    """The file's resolution when it is plausible for a scan; many files say 72 or nothing."""
    dpi = im.info.get("dpi")
    try:
        value = int(round(float(dpi[0]))) if dpi else 0
    except (TypeError, ValueError, IndexError):
        value = 0
    return value if 100 <= value <= 1200 else default_dpi


# --------------------------------------------------------------------------
# PDF
# --------------------------------------------------------------------------

# PDFium is not thread-safe, not even across documents, and pages are loaded from a thread pool:
# every call into it holds this lock (rendering takes a fraction of a Tesseract pass).
_PDFIUM_LOCK = threading.RLock()

def _open_pdf(path: Path | str):
    import pypdfium2 as pdfium

    try:
        return pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        message = str(exc)
        if "password" in message.lower():
            raise SourceError(path, "the PDF is encrypted with a password: remove the password "
                                    "(e.g. `qpdf --decrypt --password=... in.pdf out.pdf`) and "
                                    "add the decrypted copy") from exc
        if "security" in message.lower():
            raise SourceError(path, "the PDF uses an encryption scheme that cannot be read: "
                                    "save a decrypted copy and add that") from exc
        if "format" in message.lower():
            raise SourceError(path, "not a readable PDF: corrupt or truncated "
                                    f"({_one_line(exc)})") from exc
        raise


def _count_pdf_pages(path: Path | str) -> int:
    with _PDFIUM_LOCK:
        pdf = _open_pdf(path)
        try:
            return len(pdf)
        finally:
            pdf.close()


def _render_pdf_page(path: Path | str, index: int, dpi: int) -> PageImage:
    with _PDFIUM_LOCK:
        return _render_pdf_page_locked(path, index, dpi)


def _render_pdf_page_locked(path: Path | str, index: int, dpi: int) -> PageImage:
    pdf = _open_pdf(path)
    try:
        page = pdf[index]
        try:
            width_pt, height_pt = page.get_size()
            scale = dpi / 72
            size = (int(round(width_pt * scale)), int(round(height_pt * scale)))
            if size[0] * size[1] > MAX_PAGE_PIXELS:
                raise PageError(path, index, "load", f"refused before rendering: the page is "
                                f"{width_pt / 72:,.0f} x {height_pt / 72:,.0f} inches, "
                                f"{size[0] * size[1] / 1e6:,.0f} megapixels at {dpi} dpi, over the "
                                f"limit of {MAX_PAGE_PIXELS / 1e6:,.0f} megapixels for one page")
            bitmap = page.render(scale=scale, grayscale=True)
            gray = np.asarray(bitmap.to_pil().convert("L"), dtype=np.uint8).copy()
        finally:
            page.close()
    finally:
        pdf.close()
    return PageImage(gray=gray, dpi=dpi)
