"""Bad input, one kind at a time and all together in one real flow run.

Each bad file gives either a correct result (a page read as a person would read it) or exactly
one `failures` row whose message names the file and says what is wrong; the run finishes and
the good pages are not affected.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import struct
import zlib
from pathlib import Path
from typing import Callable

import numpy as np
import pytest
from PIL import Image

from archivist import synth
from archivist.config import Settings
from archivist.discover import discover
from archivist.errors import PageError, SourceError
from archivist.images import MAX_PAGE_PIXELS, count_pages, load_page
from archivist.ocr import ocr_page, unturn_box
from archivist.transcription import read_transcription
from conftest import query_db as _q

pytestmark = pytest.mark.integration

WORDS = ["memorandum", "telegram", "government", "conference", "ambassador", "frontier",
         "agreement", "minister", "negotiation", "question", "position", "proposal"]


# --------------------------------------------------------------------------
# Makers of bad (and good) files
# --------------------------------------------------------------------------

def letter_lines(seed: int, n: int = 9) -> list[str]:
    """A short page of distinct, dictionary-word text (so each page's words are its own)."""
    rng = np.random.default_rng(seed)
    lines = [f"File No. {100 + seed}/{seed % 50 + 1}", "", "Dear Sir,", ""]
    while len(lines) < n:
        picked = [WORDS[int(i)] for i in rng.integers(len(WORDS), size=5)]
        lines.append("     The " + " and the ".join(picked[:3]) + f" of {picked[3]}.")
    return lines


def page(seed: int, n: int = 9) -> Image.Image:
    return synth.render_page(letter_lines(seed, n), seed=seed)


def blank_page(seed: int) -> Image.Image:
    """A blank half-letter sheet, scanned with noise and dust. (Small: Otsu binarisation turns
    a blank page into speckle noise, which Tesseract takes several seconds to find empty.)"""
    return synth.render_page([], seed=seed, degradation=synth.Degradation.ribbon(),
                             page_size_in=(5.5, 4.25))


def png_with_header(width: int, height: int) -> bytes:
    """A PNG whose IHDR declares width x height 8-bit gray pixels, with a tiny IDAT."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(b"\0" * 1024)) + chunk(b"IEND", b""))


_PAD = bytes.fromhex("28BF4E5E4E758A4164004E56FFFA01082E2E00B6D0683E802F0CA9FE6453697A")


def _rc4(key: bytes, data: bytes) -> bytes:
    s, j = list(range(256)), 0
    for i in range(256):
        j = (j + s[i] + key[i % len(key)]) % 256
        s[i], s[j] = s[j], s[i]
    out, i, j = bytearray(), 0, 0
    for byte in data:
        i = (i + 1) % 256
        j = (j + s[i]) % 256
        s[i], s[j] = s[j], s[i]
        out.append(byte ^ s[(s[i] + s[j]) % 256])
    return bytes(out)


def _pdf(objects: list[bytes], trailer: bytes = b"") -> bytes:
    out, offsets = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"), []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += (b"trailer\n<< /Size %d /Root 1 0 R %s >>\nstartxref\n%d\n%%%%EOF\n"
            % (len(objects) + 1, trailer, xref))
    return bytes(out)


def encrypted_pdf(user_password: str = "secret", owner_password: str = "owner") -> bytes:
    """A one-page PDF encrypted with the standard security handler (RC4 40-bit, revision 2),
    written by hand: nothing here can encrypt one. The page has no content stream, so no string
    or stream needs encrypting; the password check is the real one."""
    def pad(password: str) -> bytes:
        return (password.encode("latin-1") + _PAD)[:32]
    doc_id, permissions = hashlib.md5(b"archivist-test").digest(), -4
    owner = _rc4(hashlib.md5(pad(owner_password)).digest()[:5], pad(user_password))
    key = hashlib.md5(pad(user_password) + owner + permissions.to_bytes(4, "little", signed=True)
                      + doc_id).digest()[:5]
    user = _rc4(key, _PAD)
    return _pdf([b"<< /Type /Catalog /Pages 2 0 R >>",
                 b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                 b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
                 b"<< /Filter /Standard /V 1 /R 2 /O <%s> /U <%s> /P %d >>"
                 % (owner.hex().encode(), user.hex().encode(), permissions)],
                b"/Encrypt 4 0 R /ID [<%s> <%s>]" % (doc_id.hex().encode(), doc_id.hex().encode()))


def huge_page_pdf() -> bytes:
    """A valid PDF whose one page is 200 x 200 inches: 3,600 megapixels at 300 dpi."""
    return _pdf([b"<< /Type /Catalog /Pages 2 0 R >>",
                 b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                 b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 14400 14400] >>"])


def broken_xref_pdf(image: Image.Image) -> bytes:
    """A PDF of the page whose cross-reference table points nowhere: every offset and the
    startxref are wrong, as when a file was edited by hand or re-saved by a broken tool."""
    import io
    import re

    buf = io.BytesIO()
    image.save(buf, "PDF", resolution=300)
    data = buf.getvalue()
    at = data.rindex(b"xref")
    tail = re.sub(rb"\d{10} 00000 n", b"0000000999 00000 n", data[at:])
    tail = re.sub(rb"startxref\s+\d+", b"startxref\n999999", tail)
    return data[:at] + tail


def truncated(data: bytes) -> bytes:
    return data[:len(data) // 2]


def encoded(image: Image.Image, fmt: str, **options) -> bytes:
    import io

    buf = io.BytesIO()
    image.save(buf, fmt, **options)
    return buf.getvalue()


def mode_variants(image: Image.Image) -> dict[str, Callable[[], bytes]]:
    """The same page stored the ways scanners and editors store pages (each made on call)."""
    import cv2

    gray = np.asarray(image)

    def transparent() -> Image.Image:
        rgba = np.zeros(gray.shape + (4,), np.uint8)  # black everywhere, ink opaque, paper clear
        rgba[..., 3] = 255 - gray
        return Image.fromarray(rgba, "RGBA")

    return {
        "bilevel.tif": lambda: encoded(image.convert("1", dither=Image.Dither.NONE), "TIFF",
                                       compression="group4"),
        "sixteen_bit.png": lambda: cv2.imencode(".png", gray.astype(np.uint16) * 257)[1].tobytes(),
        "sixteen_bit.tif": lambda: encoded(Image.fromarray(gray.astype(np.uint16) * 257), "TIFF"),
        "cmyk.jpg": lambda: encoded(image.convert("CMYK"), "JPEG", quality=90),
        "cmyk.tif": lambda: encoded(image.convert("CMYK"), "TIFF", compression="tiff_deflate"),
        "palette.png": lambda: encoded(image.convert("P"), "PNG"),
        "alpha.png": lambda: encoded(transparent(), "PNG"),
        "gray_alpha.png": lambda: encoded(transparent().convert("LA"), "PNG"),
        "palette_transparent.png": lambda: encoded(transparent().convert("P"), "PNG"),
    }


# --------------------------------------------------------------------------
# Images and PDFs, one by one
# --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def small_page() -> Image.Image:
    return page(1)


def test_a_zero_byte_image_is_an_empty_file(tmp_path: Path):
    path = tmp_path / "zero.png"
    path.write_bytes(b"")
    with pytest.raises(SourceError, match=r"zero\.png: empty file \(0 bytes\)"):
        count_pages(path, "image")


@pytest.mark.parametrize("name,fmt,options", [
    ("cut.png", "PNG", {}), ("cut.jpg", "JPEG", {"quality": 90}),
    ("cut.tif", "TIFF", {"compression": "tiff_deflate"}), ("cut_raw.tif", "TIFF", {})])
def test_a_truncated_image_fails_naming_the_file(tmp_path: Path, small_page, name, fmt, options):
    path = tmp_path / name
    path.write_bytes(truncated(encoded(small_page, fmt, **options)))
    with pytest.raises((SourceError, PageError)) as caught:
        count_pages(path, "image")
        load_page(path, "image", 0)
    message = str(caught.value)
    assert name in message
    assert "truncated" in message


def test_a_file_that_is_not_what_its_name_says_is_named_for_what_it_is(tmp_path: Path):
    path = tmp_path / "scan.png"
    path.write_bytes(huge_page_pdf())
    with pytest.raises(SourceError, match=r"scan\.png: not a readable PNG image: the file is "
                                          r"a PDF"):
        count_pages(path, "image")


def test_a_pdf_with_a_broken_cross_reference_table_is_repaired_and_read(tmp_path: Path):
    image = page(2)
    path = tmp_path / "broken xref.pdf"
    path.write_bytes(broken_xref_pdf(image))
    assert count_pages(path, "pdf") == 1
    result = ocr_page(path, "pdf", 0, Settings())
    assert "Dear Sir," in result.text() and f"{100 + 2}/3" in result.text()


def test_an_encrypted_pdf_is_refused_saying_it_is_encrypted(tmp_path: Path):
    import pypdfium2 as pdfium

    path = tmp_path / "locked.pdf"
    path.write_bytes(encrypted_pdf())
    pdf = pdfium.PdfDocument(str(path), password="secret")  # a real encrypted PDF
    assert len(pdf) == 1
    pdf.close()
    with pytest.raises(SourceError, match=r"locked\.pdf: the PDF is encrypted with a password"):
        count_pages(path, "pdf")
    with pytest.raises(SourceError, match="encrypted"):
        load_page(path, "pdf", 0)


@pytest.mark.parametrize("width,height", [(100_000, 100_000), (25_000, 25_000)])
def test_a_decompression_bomb_is_refused_before_decoding(tmp_path: Path, monkeypatch,
                                                         width, height):
    """25000 x 25000 is in the band where Pillow only warns and would decode 625 MB."""
    path = tmp_path / "bomb.png"
    path.write_bytes(png_with_header(width, height))

    def no_decoding(self, *args, **kwargs):
        raise AssertionError("decoded before the size was checked")

    monkeypatch.setattr("PIL.ImageFile.ImageFile.load", no_decoding)
    monkeypatch.setattr("PIL.Image.Image.load", no_decoding)
    with pytest.raises(SourceError) as caught:
        count_pages(path, "image")
    with pytest.raises((SourceError, PageError), match="refused before decoding"):
        load_page(path, "image", 0)
    message = str(caught.value)
    assert message.startswith(f"{path}: refused before decoding")
    assert f"{MAX_PAGE_PIXELS / 1e6:,.0f} megapixels" in message
    assert "decompression bomb" in message


def test_a_pdf_page_too_large_to_render_is_refused_before_rendering(tmp_path: Path):
    path = tmp_path / "poster.pdf"
    path.write_bytes(huge_page_pdf())
    assert count_pages(path, "pdf") == 1
    with pytest.raises(PageError, match=r"poster\.pdf page 1: load: refused before rendering: "
                                        r"the page is 200 x 200 inches"):
        load_page(path, "pdf", 0)


def test_every_pixel_format_is_read_as_the_page_looks(tmp_path: Path, small_page):
    """1-bit, 16-bit, CMYK, palette and transparency: the same gray page comes out each time
    (the 1-bit one thresholded, the JPEG one with its compression noise)."""
    reference = np.asarray(small_page).astype(np.int16)
    for name, make in mode_variants(small_page).items():
        path = tmp_path / name
        path.write_bytes(make())
        loaded = load_page(path, "image", 0)
        assert loaded.gray.dtype == np.uint8 and loaded.gray.shape == reference.shape, name
        diff = np.abs(loaded.gray.astype(np.int16) - reference)
        if name.startswith("bilevel"):
            assert np.array_equal(loaded.gray, np.where(reference < 128, 0, 255))
            assert loaded.notes["mode"] == "1"
        else:
            assert diff.mean() < 2.0 and np.percentile(diff, 99) < 12, name
        if "alpha" in name or "transparent" in name:
            assert loaded.notes["alpha"] == "flattened on white", name
        if name.startswith("sixteen"):
            assert loaded.notes["scaled_from_bits"] == 16


def test_alpha_and_16_bit_pages_are_ocred_and_what_was_done_is_recorded(tmp_path: Path):
    image = page(3)
    variants = mode_variants(image)
    for name in ("alpha.png", "sixteen_bit.png"):
        path = tmp_path / name
        path.write_bytes(variants[name]())
        result = ocr_page(path, "image", 0, Settings())
        assert "Dear Sir," in result.text() and "103/4" in result.text(), name
        assert result.mean_conf > 80
        assert "load" in result.preprocessing


def test_an_exif_rotated_photo_is_turned_upright(tmp_path: Path, small_page):
    path = tmp_path / "photo.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # stored turned 90 degrees counter-clockwise; show it turned clockwise
    small_page.transpose(Image.Transpose.ROTATE_90).save(path, exif=exif, quality=92)
    loaded = load_page(path, "image", 0)
    assert loaded.gray.shape == np.asarray(small_page).shape
    assert loaded.notes["exif_orientation"] == 6


# --------------------------------------------------------------------------
# Blank, upside-down and sideways pages
# --------------------------------------------------------------------------

def test_a_blank_page_gives_no_words_and_no_error(tmp_path: Path):
    path = tmp_path / "blank.png"
    blank_page(4).save(path)
    result = ocr_page(path, "image", 0, Settings())
    assert result.words == [] and result.mean_conf is None and result.text() == ""
    assert "skipped" in result.preprocessing["orientation"]


@pytest.fixture(scope="module")
def upright_page() -> Image.Image:
    return synth.render_page(letter_lines(5, 10), seed=5, degradation=synth.Degradation.ribbon())


@pytest.mark.parametrize("turned,clockwise_fix", [(180, 180), (90, 90)])
def test_an_upside_down_or_sideways_page_is_turned_and_read(tmp_path: Path, upright_page,
                                                          turned, clockwise_fix):
    path = tmp_path / f"turned {turned}.png"
    scan = upright_page.rotate(turned, expand=True)  # PIL turns counter-clockwise
    scan.save(path)
    result = ocr_page(path, "image", 0, Settings())
    assert "Dear Sir," in result.text() and "105/6" in result.text()
    orientation = result.preprocessing["orientation"]
    assert orientation["rotate_deg"] == clockwise_fix
    assert orientation["first_pass"]["mean_conf"] < 60
    assert result.mean_conf > 80
    # Boxes are on the scan as stored, like every other box: the ink is where they say.
    assert (result.width, result.height) == scan.size
    pixels = np.asarray(scan)
    for word in result.words:
        if len(word.text) >= 6:
            ink = pixels[word.top:word.top + word.height, word.left:word.left + word.width]
            assert ink.size and ink.min() < 100, word


def test_without_osd_data_a_turned_page_is_kept_as_read_and_the_reason_recorded(
        tmp_path: Path, monkeypatch, upright_page):
    tessdata = Path("/usr/share/tesseract-ocr/5/tessdata")
    if not (tessdata / "eng.traineddata").exists():
        pytest.skip("Debian's tessdata folder is not where this test expects it")
    only_eng = tmp_path / "tessdata"
    only_eng.mkdir()
    (only_eng / "eng.traineddata").symlink_to(tessdata / "eng.traineddata")
    monkeypatch.setenv("TESSDATA_PREFIX", str(only_eng))
    path = tmp_path / "upside down.png"
    upright_page.rotate(180).save(path)
    result = ocr_page(path, "image", 0, Settings())
    orientation = result.preprocessing["orientation"]
    assert orientation["rotate_deg"] == 0
    assert "osd.traineddata is not installed" in orientation["skipped"]
    assert "tesseract-ocr-osd" in orientation["skipped"]


@pytest.mark.parametrize("turns", [1, 2, 3])
def test_boxes_found_on_a_turned_scan_map_back_onto_the_scan(turns):
    scan = np.full((300, 200), 255, np.uint8)
    scan[40:70, 120:180] = 0  # a box at left 120, top 40, 60 wide, 30 high
    turned = np.rot90(scan, turns)
    rows, cols = np.nonzero(turned == 0)
    found = (int(cols.min()), int(rows.min()), int(cols.max() - cols.min() + 1),
             int(rows.max() - rows.min() + 1))
    assert unturn_box(found, turns, 200, 300) == (120, 40, 60, 30)


# --------------------------------------------------------------------------
# Transcriptions
# --------------------------------------------------------------------------

def test_a_cp1252_transcription_is_refused_saying_how_to_convert_it(tmp_path: Path):
    path = tmp_path / "old.txt"
    path.write_bytes("Dear Sir,\n\nThe caf\u00e9 \u2013 \u201cquoted\u201d \u2013 is shut.\n"
                     .encode("cp1252"))
    with pytest.raises(SourceError) as caught:
        read_transcription(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: not UTF-8 text (line 3, byte")
    assert "Windows-1252" in message and "The caf\u00e9 \u2013 \u201cquoted\u201d" in message
    assert "iconv -f WINDOWS-1252 -t UTF-8" in message


def test_a_utf16_transcription_with_its_byte_order_mark_is_read(tmp_path: Path):
    path = tmp_path / "notepad.txt"
    path.write_bytes("Dear Sir,\n\nThe caf\u00e9 is shut.\n".encode("utf-16"))
    assert read_transcription(path).text == "Dear Sir,\n\nThe caf\u00e9 is shut."


@pytest.mark.parametrize("data,reason", [
    (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "binary data, not text: the file is a PNG image"),
    (b"PK\x03\x04" + b"\x00" * 100, "binary data, not text: the file is a ZIP archive"),
    (bytes(range(256)) * 8, "binary data, not text: it contains NUL bytes"),
    (bytes([1, 2, 3, 4, 5, 6, 7, 8, 11, 14, 15, 16, 17]) * 20, "binary data, not text: 260 control"),
    (b"", "empty transcription (0 bytes)"),
    (b"  \n\n\t\r\n", "empty transcription (only blank lines)"),
])
def test_a_text_file_that_is_not_text_is_refused_with_the_reason(tmp_path: Path, data, reason):
    path = tmp_path / "notes.txt"
    path.write_bytes(data)
    with pytest.raises(SourceError) as caught:
        read_transcription(path)
    assert str(caught.value).startswith(f"{path}: {reason}")


# --------------------------------------------------------------------------
# Discovery: links, names, files that vanish
# --------------------------------------------------------------------------

@pytest.mark.timeout(60)
def test_discovery_terminates_on_symlink_loops_and_finds_each_file_once(tmp_path: Path):
    root = tmp_path / "drop"
    (root / "box 1").mkdir(parents=True)
    (root / "box 1" / "a.txt").write_text("a")
    (root / "b.txt").write_text("b")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "c.txt").write_text("c")
    (root / "loop").symlink_to(root, target_is_directory=True)          # back to the root
    (root / "box 1" / "up").symlink_to("..", target_is_directory=True)  # back to a parent
    (root / "self").symlink_to(root / "self")                           # a link to itself
    (root / "ping.txt").symlink_to(root / "pong.txt")                   # two links in a ring
    (root / "pong.txt").symlink_to(root / "ping.txt")
    (root / "linked box").symlink_to(outside, target_is_directory=True)  # followed: not a loop
    (root / "again.txt").symlink_to(root / "b.txt")                     # same file, second name
    found = [Path(s.path).relative_to(root).as_posix() for s in discover(root)]
    assert found == ["b.txt", "box 1/a.txt", "linked box/c.txt"]


def test_names_with_spaces_and_non_ascii_letters_are_sources(tmp_path: Path):
    names = ["Brief an Herrn Müller.txt", "lettre à M. Lévêque (copie).md", "Москва 1941.txt",
             "東京 電報.txt"]
    for name in names:
        (tmp_path / name).write_text("Dear Sir,\n", encoding="utf-8")
    found = sorted(Path(s.path).name for s in discover(tmp_path))
    assert found == sorted(names)
    for source in discover(tmp_path):
        assert read_transcription(source.path).text == "Dear Sir,"


def test_a_name_that_is_not_utf8_is_skipped_with_a_warning(tmp_path: Path, caplog):
    (tmp_path / "good.txt").write_text("text")
    bad = os.fsdecode(b"caf\xe9.txt")
    try:
        (tmp_path / bad).write_text("text")
    except OSError:
        pytest.skip("this file system refuses names that are not UTF-8")
    with caplog.at_level(logging.WARNING, logger="archivist.discover"):
        found = [Path(s.path).name for s in discover(tmp_path)]
    assert found == ["good.txt"]
    assert "caf\\xe9.txt: skipped: the file name is not valid UTF-8" in caplog.text


def test_a_file_that_vanished_after_discovery_fails_saying_so(tmp_path: Path, small_page):
    image, text = tmp_path / "gone.png", tmp_path / "gone.txt"
    small_page.save(image)
    text.write_text("Dear Sir,")
    assert len(discover(tmp_path)) == 2
    image.unlink()
    text.unlink()
    with pytest.raises(SourceError, match=r"gone\.png: the file disappeared before it could be "
                                          r"read"):
        count_pages(image, "image")
    with pytest.raises(PageError, match=r"gone\.png page 1: load: the file disappeared"):
        load_page(image, "image", 0)
    with pytest.raises(SourceError, match=r"gone\.txt: the file disappeared"):
        read_transcription(text)


# --------------------------------------------------------------------------
# Everything at once, through the real flow
# --------------------------------------------------------------------------

# file name -> what its one failures row must say
FAILING = {
    "empty scan.png": "empty file (0 bytes)",
    "truncated.png": "the image data is cut short",
    "truncated.jpg": "the image data is cut short",
    "truncated.tif": "not a readable TIFF image",
    "locked.pdf": "the PDF is encrypted with a password",
    "bomb.png": "refused before decoding",
    "notes cp1252.txt": "not UTF-8 text",
    "picture named.txt": "binary data, not text: the file is a PNG image",
    "empty.txt": "empty transcription (0 bytes)",
    "vanishing.png": "the file disappeared before it could be read",
    "vanishing.md": "the file disappeared before it could be read",
}
# file name -> a string its OCR text must contain
READ = {
    "Brief an Müller – 1941.png": "111/12",
    "page two.tif": "112/13",
    "broken xref.pdf": "113/14",
    "bilevel.tif": "114/15",
    "sixteen_bit.png": "115/16",
    "cmyk.jpg": "116/17",
    "palette.png": "117/18",
    "alpha.png": "118/19",
    "upside down.png": "119/20",
    "sideways.png": "120/21",
}


@pytest.fixture(scope="module")
def bad_folder_run(tmp_path_factory: pytest.TempPathFactory):
    import flows.process_collection as flow_module

    root = tmp_path_factory.mktemp("bad")
    folder = root / "drop"
    (folder / "sub dir").mkdir(parents=True)
    pages = {name: page(11 + i) for i, name in enumerate(READ)}
    pages["Brief an Müller – 1941.png"].save(folder / "Brief an Müller – 1941.png", dpi=(300, 300))
    pages["page two.tif"].save(folder / "sub dir" / "page two.tif", compression="tiff_deflate")
    (folder / "broken xref.pdf").write_bytes(broken_xref_pdf(pages["broken xref.pdf"]))
    for name in ("bilevel.tif", "sixteen_bit.png", "cmyk.jpg", "palette.png", "alpha.png"):
        (folder / name).write_bytes(mode_variants(pages[name])[name]())
    pages["upside down.png"].rotate(180).save(folder / "upside down.png")
    pages["sideways.png"].rotate(90, expand=True).save(folder / "sideways.png")
    blank_page(21).save(folder / "blank.png")

    spare = page(30)
    (folder / "empty scan.png").write_bytes(b"")
    (folder / "truncated.png").write_bytes(truncated(encoded(spare, "PNG")))
    (folder / "truncated.jpg").write_bytes(truncated(encoded(spare, "JPEG", quality=90)))
    (folder / "truncated.tif").write_bytes(truncated(encoded(spare, "TIFF",
                                                             compression="tiff_deflate")))
    (folder / "locked.pdf").write_bytes(encrypted_pdf())
    (folder / "bomb.png").write_bytes(png_with_header(100_000, 100_000))
    (folder / "notes cp1252.txt").write_bytes("Dear Sir,\n\nThe caf\u00e9 is shut.\n"
                                              .encode("cp1252"))
    (folder / "picture named.txt").write_bytes(encoded(spare, "PNG"))
    (folder / "empty.txt").write_bytes(b"")
    (folder / "vanishing.png").write_bytes(encoded(spare, "PNG"))
    (folder / "vanishing.md").write_text("Dear Sir,\n")
    (folder / "loop").symlink_to(folder, target_is_directory=True)
    (folder / "sub dir" / "up").symlink_to("..", target_is_directory=True)

    real_make_plan = flow_module.make_plan

    def make_plan_then_lose_two_files(*args, **kwargs):
        plan = real_make_plan(*args, **kwargs)
        (folder / "vanishing.png").unlink()
        (folder / "vanishing.md").unlink()
        return plan

    mp = pytest.MonkeyPatch()
    mp.setattr(flow_module, "make_plan", make_plan_then_lose_two_files)
    try:
        db = root / "archive.duckdb"
        summary = flow_module.run_collection(str(folder), str(db), workers=2)
    finally:
        mp.undo()
    return folder, db, summary



def test_the_run_over_every_bad_input_completes_with_a_summary(bad_folder_run):
    folder, _, summary = bad_folder_run
    assert summary.processed_anything
    assert sorted(Path(p).name for p in summary.failed) == sorted(FAILING)
    assert len(summary.new) == len(FAILING) + len(READ) + 1  # + the blank page
    assert summary.pages == len(READ) + 1
    assert len(summary.failures) == len(FAILING)


def test_every_good_page_is_in_pages_and_read(bad_folder_run):
    _, db, _ = bad_folder_run
    rows = _q(db, "SELECT s.path, p.mean_conf, w.text, p.preprocessing FROM pages p "
                  "JOIN sources s USING (source_id) JOIN witnesses w USING (page_id) "
                  "WHERE w.kind = 'ocr'")
    by_name = {Path(path).name: (conf, text, pre) for path, conf, text, pre in rows}
    assert sorted(by_name) == sorted([*READ, "blank.png"])  # each once: no loop duplicates
    for name, expected in READ.items():
        conf, text, _ = by_name[name]
        assert expected in text and "Dear Sir," in text, name
        assert conf > 80, name
    assert by_name["blank.png"][1] == ""
    assert '"rotate_deg":180' in by_name["upside down.png"][2].replace(" ", "")
    assert '"rotate_deg":90' in by_name["sideways.png"][2].replace(" ", "")
    assert '"flattened on white"' in by_name["alpha.png"][2]


def test_every_bad_file_has_exactly_one_failure_row_naming_it_with_a_reason(bad_folder_run):
    folder, db, _ = bad_folder_run
    rows = _q(db, "SELECT path, page_index, stage, error FROM failures")
    assert sorted(Path(path).name for path, *_ in rows) == sorted(FAILING)
    for path, page_index, stage, error in rows:
        name = Path(path).name
        assert Path(path).parent == folder
        assert FAILING[name] in error, (name, error)
        assert "\n" not in error and len(error) < 400
        assert stage in ("read", "load")
    statuses = dict(_q(db, "SELECT path, status FROM sources"))
    assert {Path(p).name for p, s in statuses.items() if s != "done"} == set(FAILING)
