import numpy as np
import pytest

from archivist import synth
from archivist.config import RECIPES, PreprocessSettings
from archivist.preprocess import (clean_up, contrast_to_noise, estimate_skew, flatten_background,
                                  preprocess, rotate, unrotate_box, upscale)

LINES = ["     You will remember that at our last conversation I gave you",
         "the substance of the telegrams which I had received from Mr. Eden",
         "giving an account of his conversations in Moscow. A few more",
         "telegrams have now come in and I think you will be interested."] * 4


@pytest.mark.parametrize("degrees", [-2.5, -0.8, 1.2, 3.0])
def test_deskew_finds_the_rotation_of_a_typed_page(degrees):
    page = np.asarray(synth.render_page(LINES, seed=1,
                                        degradation=synth.Degradation(rotation_deg=degrees)))
    assert estimate_skew(page, 5.0) == pytest.approx(-degrees, abs=0.25)


def test_flattening_removes_uneven_light_but_keeps_the_ink():
    page = np.asarray(synth.render_page(LINES, seed=2,
                                        degradation=synth.Degradation(uneven_light=0.8)))
    flat = flatten_background(page, 61)
    paper = flat[page > 150]
    assert paper.std() < page[page > 150].std() / 2
    assert flat[page < 80].mean() < 120


def test_preprocessing_records_what_it_did_and_binarises():
    page = np.asarray(synth.render_page(LINES, seed=3, degradation=synth.Degradation.ribbon()))
    result = preprocess(page, RECIPES["otsu"])
    assert set(np.unique(result.image)) <= {0, 255}
    assert set(result.applied) == {"flatten_background", "deskew", "denoise", "binarize"}


def test_the_default_recipe_keeps_grey_levels_and_the_deskewed_image():
    page = np.asarray(synth.render_page(LINES, seed=3, degradation=synth.Degradation.ribbon()))
    result = preprocess(page, PreprocessSettings())
    assert set(result.applied) == {"flatten_background", "deskew"}
    assert len(np.unique(result.image)) > 2
    assert result.deskewed is result.image


def test_clean_up_only_denoises_and_binarises_the_same_geometry():
    page = np.asarray(synth.render_page(LINES, seed=3, degradation=synth.Degradation.ribbon()))
    grey = preprocess(page, PreprocessSettings())
    otsu = preprocess(page, RECIPES["otsu"])
    image, applied = clean_up(grey.deskewed, RECIPES["otsu"])
    assert np.array_equal(image, otsu.image)
    assert set(applied) == {"denoise", "binarize"}
    unchanged, nothing = clean_up(grey.deskewed, PreprocessSettings())
    assert unchanged is grey.deskewed and nothing == {}


def test_contrast_to_noise_tells_a_worn_carbon_from_ordinary_scans():
    def cnr(profile: str) -> float:
        page = np.asarray(synth.render_page(LINES, seed=4,
                                            degradation=synth.Degradation.profile(profile)))
        return contrast_to_noise(flatten_background(page, 61))

    assert cnr("poor") < 7.0 < cnr("carbon") < cnr("clean")
    assert contrast_to_noise(np.full((50, 50), 200, np.uint8)) == float("inf")


def test_upscale_enlarges_by_the_factor():
    assert upscale(np.zeros((100, 60), np.uint8), 2.0).shape == (200, 120)


def test_a_box_on_the_deskewed_image_maps_back_onto_the_same_ink():
    canvas = np.full((1000, 800), 255, np.uint8)
    canvas[400:430, 200:500] = 0  # a word-like bar
    turned = rotate(canvas, 2.0)
    ys, xs = np.nonzero(turned < 128)
    box = (xs.min(), ys.min(), xs.max() - xs.min(), ys.max() - ys.min())
    left, top, width, height = unrotate_box(box, 2.0, 800, 1000)
    assert abs(left - 200) <= 12 and abs(top - 400) <= 12
    assert abs(left + width - 500) <= 12 and abs(top + height - 430) <= 12


def test_flattening_a_noisy_scan_estimates_the_paper_through_a_median():
    page = np.asarray(synth.render_page([], seed=9, degradation=synth.Degradation(
        noise=22.0, uneven_light=0.8))).astype(np.uint8)

    def spread(flat: np.ndarray) -> float:  # paper brightness, brightest vs darkest region
        means = [flat[y:y + 300, x:x + 300].mean() for y in range(0, 3000, 300)
                 for x in range(0, 2400, 300)]
        return max(means) - min(means)

    assert spread(flatten_background(page, 61, denoise=True)) < \
        0.7 * spread(flatten_background(page, 61))
    assert preprocess(page, RECIPES["despeckled"]).applied["flatten_background"] == {
        "kernel": 61, "denoise": "median5"}


def test_despeckle_removes_blobs_smaller_than_a_full_stop():
    from archivist.preprocess import despeckle

    binary = np.full((200, 200), 255, np.uint8)
    binary[10:12, 10:12] = 0  # 4 px of dust
    binary[50:58, 50:58] = 0  # a 64 px full stop
    cleaned, removed = despeckle(binary, 30)
    assert removed == 1 and cleaned[10, 10] == 255 and cleaned[54, 54] == 0
    again, none = despeckle(cleaned, 30)
    assert none == 0 and again is cleaned


def test_a_blank_sheet_has_no_ink_to_measure():
    paper = np.clip(np.random.default_rng(0).normal(248, 2, (400, 300)), 0, 255).astype(np.uint8)
    assert contrast_to_noise(paper) == float("inf")
