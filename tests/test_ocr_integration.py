"""OCR of generated pages with the real Tesseract, through every image container we read."""

from pathlib import Path

import numpy as np
import pytest

from archivist import synth
from archivist.config import Settings
from archivist.errors import PageError, SourceError
from archivist.images import count_pages
from archivist.ocr import ocr_page

pytestmark = pytest.mark.integration

LINES = ["December 23rd, 1941.", "", "My dear Welles,", "",
         "     You will remember that at our last conversation I gave",
         "you the substance of the telegrams which I had received."]


@pytest.fixture(scope="module")
def page_image():
    return synth.render_page(LINES, seed=7, degradation=synth.Degradation.ribbon())


def test_generated_page_gives_words_with_confidences_and_boxes(tmp_path: Path, page_image):
    path = tmp_path / "page.png"
    page_image.save(path, dpi=(300, 300))
    page = ocr_page(path, "image", 0, Settings())
    texts = [w.text for w in page.words]
    for expected in ["December", "Welles,", "conversation", "telegrams"]:
        assert expected in texts
    assert all(0 <= w.conf <= 100 for w in page.words)
    assert page.mean_conf > 80
    for w in page.words:
        assert 0 <= w.left and w.left + w.width <= page.width
        assert 0 <= w.top and w.top + w.height <= page.height
        assert w.block >= 1 and w.line >= 1 and w.word >= 1
    december = page.words[texts.index("December")]
    scan = np.asarray(page_image)
    for w in (december, page.words[texts.index("telegrams")]):  # boxes are on the scan
        ink = scan[w.top:w.top + w.height, w.left:w.left + w.width]
        assert ink.min() < 100 and ink.mean() < scan.mean() - 20
    welles = page.words[texts.index("Welles,")]
    assert december.top < welles.top  # reading order follows the page
    assert page.preprocessing["deskew"]["angle_deg"] != 0  # the ribbon copy is skewed


def test_pdf_pages_are_rendered_at_300_dpi_and_read(tmp_path: Path, page_image):
    path = tmp_path / "letter.pdf"
    page_image.save(path, "PDF", resolution=300)
    assert count_pages(path, "pdf") == 1
    page = ocr_page(path, "pdf", 0, Settings())
    assert page.dpi == 300 and abs(page.width - page_image.width) <= 2
    assert "telegrams" in page.text()


def test_every_frame_of_a_multipage_tiff_is_a_page(tmp_path: Path, page_image):
    second = synth.render_page(["SECRET", "", "Personal and Secret"], seed=3)
    path = tmp_path / "two.tif"
    page_image.save(path, save_all=True, append_images=[second], compression="tiff_deflate",
                    dpi=(300, 300))
    assert count_pages(path, "image") == 2
    assert "Personal and Secret" in ocr_page(path, "image", 1, Settings()).text()


def test_a_corrupt_image_is_a_source_error_naming_the_file(tmp_path: Path):
    path = tmp_path / "broken.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 10)
    with pytest.raises(SourceError, match="broken.png"):
        count_pages(path, "image")


def test_a_truncated_image_is_a_page_error_at_load(tmp_path: Path, page_image):
    path = tmp_path / "cut.png"
    page_image.save(path)
    path.write_bytes(path.read_bytes()[:5000])
    with pytest.raises(PageError, match="cut.png page 1: load"):
        ocr_page(path, "image", 0, Settings())


def test_a_tesseract_time_out_is_a_page_error(tmp_path: Path, page_image):
    path = tmp_path / "page.png"
    page_image.save(path)
    settings = Settings()
    settings = type(settings)(preprocess=settings.preprocess,
                              ocr=type(settings.ocr)(timeout_s=0.01))
    with pytest.raises(PageError, match="timed out"):
        ocr_page(path, "image", 0, settings)
