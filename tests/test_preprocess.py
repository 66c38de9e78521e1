import numpy as np
import pytest

from archivist import synth
from archivist.config import PreprocessSettings
from archivist.preprocess import estimate_skew, flatten_background, preprocess, rotate, unrotate_box

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
    result = preprocess(page, PreprocessSettings())
    assert set(np.unique(result.image)) <= {0, 255}
    assert set(result.applied) == {"flatten_background", "deskew", "denoise", "binarize"}


def test_a_box_on_the_deskewed_image_maps_back_onto_the_same_ink():
    canvas = np.full((1000, 800), 255, np.uint8)
    canvas[400:430, 200:500] = 0  # a word-like bar
    turned = rotate(canvas, 2.0)
    ys, xs = np.nonzero(turned < 128)
    box = (xs.min(), ys.min(), xs.max() - xs.min(), ys.max() - ys.min())
    left, top, width, height = unrotate_box(box, 2.0, 800, 1000)
    assert abs(left - 200) <= 12 and abs(top - 400) <= 12
    assert abs(left + width - 500) <= 12 and abs(top + height - 430) <= 12
