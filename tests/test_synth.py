"""Tests for the synthetic scan generator (no OCR engine needed)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from archivist import synth
from archivist.synth import Degradation


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[Path]]:
    """The Halifax sample is the slowest thing to make (4 pages at 300 dpi), so make it once."""
    root = tmp_path_factory.mktemp("sample")
    out_dir, gt_dir = root / "raw", root / "gt"
    return out_dir, gt_dir, synth.write_sample(out_dir, gt_dir)


def _letter_text() -> str:
    return "\n".join(synth.ground_truth(page) for page in synth.halifax_letter())


def _flat(text: str) -> str:
    return " ".join(text.split())


# -- rendering --------------------------------------------------------------

def test_font_path_exists() -> None:
    assert synth.font_path().is_file()


def test_render_page_size_mode_and_dpi() -> None:
    image = synth.render_page(["Hello", "", "  indented"], seed=1, dpi=100)
    assert image.mode == "L"
    assert image.size == (850, 1100)
    assert image.info["dpi"] == (100, 100)


def test_render_page_custom_page_size() -> None:
    image = synth.render_page(["A5 sheet"], seed=1, dpi=100, page_size_in=(5.8, 8.3))
    assert image.size == (580, 830)


@pytest.mark.parametrize("degradation", [Degradation(), Degradation.ribbon(), Degradation.carbon(),
                                         Degradation(jpeg_quality=60, speckle=2.0)])
def test_same_seed_gives_identical_pixels(degradation: Degradation) -> None:
    lines = synth.halifax_letter()[0]
    first = synth.render_page(lines, seed=7, dpi=100, degradation=degradation)
    again = synth.render_page(lines, seed=7, dpi=100, degradation=degradation)
    assert first.tobytes() == again.tobytes()


def test_different_seed_gives_different_pixels() -> None:
    lines = ["The quick brown fox"]
    first = synth.render_page(lines, seed=1, dpi=100, degradation=Degradation.ribbon())
    other = synth.render_page(lines, seed=2, dpi=100, degradation=Degradation.ribbon())
    assert first.tobytes() != other.tobytes()


def test_text_makes_ink_and_blank_page_does_not() -> None:
    blank = np.asarray(synth.render_page([], seed=1, dpi=100))
    typed = np.asarray(synth.render_page(["MMMMMMMMMM"], seed=1, dpi=100))
    assert blank.min() > 200
    assert typed.min() < 100


def test_indentation_is_by_character_cells() -> None:
    dpi = 100
    image = np.asarray(synth.render_page(["    X"], seed=3, dpi=dpi))
    ink_columns = np.flatnonzero((image < 128).any(axis=0))
    left_margin, cell = dpi * 1.0, dpi / 10
    assert abs(ink_columns.min() - (left_margin + 4 * cell)) <= cell / 2


def test_too_many_lines_raises_naming_capacity() -> None:
    with pytest.raises(ValueError, match=r"only 37 lines fit"):
        synth.render_page(["x"] * 100, seed=0, dpi=300)


def test_too_long_line_raises() -> None:
    with pytest.raises(ValueError, match="characters"):
        synth.render_page(["x" * 200], seed=0, dpi=100)


# -- ground truth -----------------------------------------------------------

def test_ground_truth_strips_trailing_spaces_and_keeps_blank_lines() -> None:
    assert synth.ground_truth(["Dear Sir,   ", "", "     Indented.  "]) == "Dear Sir,\n\n     Indented."


def test_letter_has_four_pages_that_fit_the_sheet() -> None:
    pages = synth.halifax_letter()
    assert len(pages) == 4
    for number, page in enumerate(pages[1:], 2):
        assert page[0].strip() == f"- {number} -"
    assert all(len(line) <= 65 for page in pages for line in page)


@pytest.mark.parametrize("reading", [
    "December 23rd, 1941.", "HALIFAX", "SECRET", "6253/14/41", "Soviet Union: Post-war Aims",
    "BRITISH EMBASSY,", "WASHINGTON, D. C.", "Personal and Secret", "My dear Welles,",
    "The Honourable", "Sumner Welles,", "FRHM:HK", "Russian/", "resumed", "Winant",
    "awful banquet", "our stuff", "till 5 a.m.", "Yours very sincerely,",
    "South. Both he and Stalin emphasise fall in German morale",
])
def test_letter_has_correct_readings(reading: str) -> None:
    assert reading in _flat(_letter_text())


@pytest.mark.parametrize("bad", ["HALLIDAY", "renewed", "bandage", "our staff", "July 5",
                                 "South East Asia", "(SGD)"])
def test_letter_has_none_of_the_bad_transcription(bad: str) -> None:
    assert bad not in _letter_text()


# -- the sample -------------------------------------------------------------

def test_sample_writes_ribbon_tiff_and_carbon_jpeg(sample) -> None:
    out_dir, _, paths = sample
    assert [p.name for p in paths] == ["halifax_ribbon.tif", "halifax_carbon_p4.jpg"]
    assert sorted(p.name for p in out_dir.iterdir()) == sorted(p.name for p in paths)


def test_sample_tiff_has_four_greyscale_frames(sample) -> None:
    out_dir, _, _ = sample
    with Image.open(out_dir / "halifax_ribbon.tif") as tiff:
        assert tiff.n_frames == 4
        assert tiff.mode == "L"
        assert tiff.size == (2550, 3300)
        assert tuple(round(v) for v in tiff.info["dpi"]) == (300, 300)


def test_carbon_is_lighter_than_ribbon_page_four(sample) -> None:
    out_dir, _, _ = sample
    with Image.open(out_dir / "halifax_ribbon.tif") as tiff:
        tiff.seek(3)
        ribbon = np.asarray(tiff, dtype=np.float64)
    with Image.open(out_dir / "halifax_carbon_p4.jpg") as jpeg:
        carbon = np.asarray(jpeg.convert("L"), dtype=np.float64)
    assert carbon.mean() > ribbon.mean()
    assert np.percentile(carbon, 1) > np.percentile(ribbon, 1) + 40  # darkest strokes are grey


def test_sample_ground_truth_files(sample) -> None:
    _, gt_dir, _ = sample
    names = sorted(p.name for p in gt_dir.iterdir())
    assert names == ["halifax_carbon_p4_p01.gt.txt"] + [f"halifax_ribbon_p{n:02d}.gt.txt" for n in range(1, 5)]
    pages = synth.halifax_letter()
    for n, page in enumerate(pages, 1):
        assert (gt_dir / f"halifax_ribbon_p{n:02d}.gt.txt").read_text() == synth.ground_truth(page) + "\n"
    assert (gt_dir / "halifax_carbon_p4_p01.gt.txt").read_text() == synth.ground_truth(pages[3]) + "\n"


def test_sample_rewrite_is_identical_and_leaves_mtimes(sample) -> None:
    out_dir, gt_dir, paths = sample
    files = paths + sorted(gt_dir.iterdir())
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in files}
    for p in files:  # make any rewrite detectable even on coarse-mtime filesystems
        mtime = before[p][1] - 10**9
        os.utime(p, ns=(mtime, mtime))
    synth.write_sample(out_dir, gt_dir)
    for p in files:
        assert p.read_bytes() == before[p][0]
        assert p.stat().st_mtime_ns == before[p][1] - 10**9


def test_sample_never_writes_text_into_out_dir(sample) -> None:
    out_dir, _, _ = sample
    assert not list(out_dir.glob("*.txt"))


# -- collections --------------------------------------------------------------

def test_make_collection_writes_pages_and_ground_truth(tmp_path: Path) -> None:
    out_dir, gt_dir = tmp_path / "pages", tmp_path / "gt"
    paths = synth.make_collection(out_dir, 5, seed=3, dpi=60, formats=("png", "jpg", "tif"),
                                  gt_dir=gt_dir)
    assert [p.name for p in paths] == ["page_00001.png", "page_00002.jpg", "page_00003.tif",
                                       "page_00004.png", "page_00005.jpg"]
    assert sorted(out_dir.iterdir()) == sorted(paths)
    for path in paths:
        with Image.open(path) as image:
            assert image.size == (510, 660)
        text = (gt_dir / f"{path.stem}.gt.txt").read_text()
        assert 10 <= len(text.splitlines()) <= 25
    assert len(list(gt_dir.iterdir())) == 5


def test_make_collection_text_depends_on_seed(tmp_path: Path) -> None:
    def texts(seed: int, name: str) -> list[str]:
        gt_dir = tmp_path / name
        synth.make_collection(tmp_path / f"img_{name}", 2, seed=seed, dpi=40, gt_dir=gt_dir)
        return [p.read_text() for p in sorted(gt_dir.iterdir())]

    assert texts(1, "a") == texts(1, "b")
    assert texts(1, "a") != texts(2, "c")


def test_make_collection_is_byte_identical(tmp_path: Path) -> None:
    first = synth.make_collection(tmp_path / "a", 2, seed=5, dpi=60, formats=("jpg", "tif"))
    second = synth.make_collection(tmp_path / "b", 2, seed=5, dpi=60, formats=("jpg", "tif"))
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]


def test_make_collection_fixed_degradation_and_line_count(tmp_path: Path) -> None:
    gt_dir = tmp_path / "gt"
    synth.make_collection(tmp_path / "img", 1, dpi=40, lines_per_page=12,
                          degradation=Degradation(), gt_dir=gt_dir)
    assert len((gt_dir / "page_00001.gt.txt").read_text().splitlines()) <= 12


def test_make_collection_rejects_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="formats"):
        synth.make_collection(tmp_path, 1, formats=("bmp",))


def test_cli_collection(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert synth.main(["collection", str(tmp_path / "out"), "1", "--seed", "4",
                       "--gt", str(tmp_path / "gt")]) == 0
    assert (tmp_path / "out" / "page_00001.png").is_file()
    assert (tmp_path / "gt" / "page_00001.gt.txt").is_file()
    assert "page_00001.png" in capsys.readouterr().out


def test_named_scan_profiles_run_from_clean_to_poor():
    assert list(synth.PROFILES) == ["clean", "typical", "carbon", "poor"]
    assert synth.Degradation.profile("carbon") == synth.Degradation.carbon()
    inks = [synth.Degradation.profile(name).ink for name in synth.PROFILES]
    noises = [synth.Degradation.profile(name).noise for name in synth.PROFILES]
    assert inks == sorted(inks, reverse=True) and noises == sorted(noises)
    with pytest.raises(ValueError, match="choose one of clean, typical, carbon, poor"):
        synth.Degradation.profile("pristine")


def test_letter_page_lines_are_the_lines_make_collection_types(tmp_path: Path) -> None:
    synth.make_collection(tmp_path / "pages", 2, seed=5, lines_per_page=20, gt_dir=tmp_path)
    typed = (tmp_path / "page_00002.gt.txt").read_text(encoding="utf-8")
    assert typed == synth.ground_truth(synth.letter_page_lines(5, 1, 20)) + "\n"
    assert synth.letter_page_lines(5, 1, 20) != synth.letter_page_lines(5, 0, 20)
