"""Non-text kept out of the page text, and reading chosen by signals, with the real Tesseract."""

from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest

from archivist import synth
from archivist.config import Settings
from archivist.metrics import cer
from archivist.ocr import ocr_page

pytestmark = pytest.mark.integration

LINES = ["B 2708/13/42", "                                          September 2nd, 1942.", "",
         "My dear Ambassador,", "",
         "     I understand that the Foreign Office has considered the question",
         "of frontiers in the present circumstances, and the Admiralty will",
         "examine the arrangements for convoys before the end of the month.",
         "     It would seem that the Prime Minister attaches great importance",
         "to the terms of the declaration, and I think you should know that",
         "the Department of State is reviewing the shipping programme.", "",
         "                                   Yours sincerely,", "",
         "                                          GORDON MUNRO"]


def _save(tmp_path: Path, pixels: np.ndarray, name: str) -> Path:
    path = tmp_path / name
    cv2.imwrite(str(path), pixels)
    return path


def test_a_scrawl_and_a_stamp_stay_out_of_the_text_but_are_kept(tmp_path: Path):
    page = np.asarray(synth.render_page(LINES, seed=3, degradation=synth.Degradation.ribbon()))
    page = page.copy()
    rng = np.random.default_rng(1)
    # a pen scrawl in the right margin and a framed receipt stamp at the bottom
    points = np.cumsum(rng.normal(0, 14, (60, 2)), axis=0) + (2300, 900)
    cv2.polylines(page, [points.astype(np.int32)], False, 40, 5)
    cv2.rectangle(page, (1500, 2700), (2250, 3000), 60, 6)
    cv2.putText(page, "RECEIVED", (1560, 2800), cv2.FONT_HERSHEY_TRIPLEX, 2.2, 60, 4)
    cv2.putText(page, "DEC 3 1942", (1560, 2950), cv2.FONT_HERSHEY_TRIPLEX, 2.2, 60, 4)
    path = _save(tmp_path, page, "stamped.png")
    result = ocr_page(path, "image", 0, Settings())
    truth = synth.ground_truth(LINES)
    plain = ocr_page(path, "image", 0, replace(Settings(), ocr=replace(
        Settings().ocr, nontext=False, adaptive=False)))
    assert cer(truth, result.text()) < cer(truth, plain.text())
    assert cer(truth, result.text()) < 0.03
    assert result.nontext and {n.kind for n in result.nontext} <= {
        "stamp", "marginalia", "speck", "border", "rule"}
    assert all(n.reason for n in result.nontext)
    # body and non-text words together are everything the first reading found
    first = result.passes[0]
    assert first.scope == "page" and first.used in (0, 1)
    assert len(first.words) >= len(result.words)
    nontext = result.preprocessing.get("adaptive", {})
    assert "first" in nontext


def test_a_worn_carbon_is_read_with_the_noisy_recipe(tmp_path: Path):
    image = synth.render_page(LINES, seed=5, degradation=synth.Degradation.profile("poor"))
    path = tmp_path / "worn.png"
    image.save(path)
    truth = synth.ground_truth(LINES)
    result = ocr_page(path, "image", 0, Settings())
    assert "noisy" in result.preprocessing["adaptive"]
    assert result.preprocessing["contrast_to_noise"] < 7
    assert result.passes[0].name.startswith("median3+otsu+despeckle")
    assert cer(truth, result.text()) < 0.05
    grey = ocr_page(path, "image", 0, replace(Settings(), ocr=replace(Settings().ocr,
                                                                      adaptive=False)))
    assert cer(truth, grey.text()) > 0.5  # Tesseract on the grey page finds next to nothing


def test_small_type_is_read_enlarged_and_boxes_stay_on_the_scan(tmp_path: Path):
    image = synth.render_page(LINES, seed=6, dpi=100, degradation=synth.Degradation.ribbon())
    path = tmp_path / "small.png"
    image.save(path, dpi=(100, 100))
    result = ocr_page(path, "image", 0, Settings())
    assert result.preprocessing["upscale"]["factor"] == 2.0
    assert result.passes[0].name.startswith("grey x2")
    pixels = np.asarray(image)
    for word in result.words:
        assert word.left + word.width <= result.width and word.top + word.height <= result.height
        if len(word.text) >= 6:
            ink = pixels[word.top:word.top + word.height, word.left:word.left + word.width]
            assert ink.size and ink.min() < 180, word


def test_curly_quotes_become_straight_and_every_pass_is_a_witness(tmp_path: Path):
    lines = ['     He said: "Timoshenko who was present was most confident".', "",
             "the 'surplus' Jews"] + LINES[5:11]
    image = synth.render_page(lines, seed=8, degradation=synth.Degradation.profile("carbon"))
    path = tmp_path / "quotes.png"
    image.save(path)
    result = ocr_page(path, "image", 0, Settings())
    text = result.text()
    assert not set("“”‘’") & set(text)
    assert cer(synth.ground_truth(lines), text) < 0.03
    assert [p.used for p in result.passes if p.scope == "page"].count(1) == 1
    for p in result.passes:
        assert p.name and p.seconds >= 0 and isinstance(p.signals, dict)
