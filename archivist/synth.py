"""Deterministic synthetic typewritten scans with ground truth.

The pipeline needs pages whose exact text is known: the sample input of
``make run`` (a 1941 letter from Lord Halifax to Sumner Welles), test
fixtures, and benchmark collections of N pages.  Everything here is a pure
function of its arguments and an explicit seed, so the same call always
produces byte-identical files and test fixtures never drift.

Rendering mimics a 10-pitch office typewriter: every character sits in its
own fixed-width cell, struck with slightly varying force and baseline, then
the sheet goes through a "scanner" (skew, uneven light, blur, dust, noise,
JPEG) described by :class:`Degradation`.
"""

from __future__ import annotations

import argparse
import io
import textwrap
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

FREEMONO = Path("/usr/share/fonts/truetype/freefont/FreeMono.ttf")
DEJAVU_MONO = Path("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf")

TYPE_SIZE_PT = 12          # pica type
PITCH_CPI = 10             # characters per inch
LINE_SPACING = 1.5         # in single-spaced lines (6 lines per inch)
LEFT_MARGIN_IN = 1.0
TOP_MARGIN_IN = 1.0
BOTTOM_MARGIN_IN = 0.75
RIGHT_LIMIT_IN = 0.25      # the carriage may go this close to the right edge
WRAP_COLUMNS = 65          # where our "typist" returns the carriage
PAPER = 246.0              # grey level of blank paper
INK_MAX = 0.88             # fraction of paper brightness a full strike removes

SAMPLE_DPI = 300
SAMPLE_SEED = 19411223
SUPPORTED_FORMATS = {"png": "PNG", "jpg": "JPEG", "tif": "TIFF"}


# --------------------------------------------------------------------------
# Degradation model
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class Degradation:
    """How the typed sheet was copied and scanned.

    ``speckle`` is the expected number of dust specks per square inch.
    """

    rotation_deg: float = 0.0      # skew of the sheet
    noise: float = 0.0             # std-dev of gaussian pixel noise, 0-255 scale
    blur: float = 0.0              # gaussian blur sigma in px
    uneven_light: float = 0.0      # 0..1 strength of a smooth illumination gradient
    ink: float = 1.0               # 1.0 = ribbon copy black; ~0.45 = faint carbon copy
    jpeg_quality: int | None = None  # re-encode through JPEG at that quality when set
    speckle: float = 0.0           # density of dust specks (per square inch)

    @classmethod
    def ribbon(cls) -> "Degradation":
        """A decent scan of the top (ribbon) copy: slight skew, light noise."""
        return cls(rotation_deg=0.6, noise=3.0, blur=0.5, uneven_light=0.15,
                   ink=1.0, speckle=0.15)

    @classmethod
    def carbon(cls) -> "Degradation":
        """A carbon copy on flimsy paper: grey fuzzy strokes, skewed the other way."""
        return cls(rotation_deg=-1.1, noise=7.0, blur=1.1, uneven_light=0.25,
                   ink=0.45, speckle=0.4)

    @classmethod
    def profile(cls, name: str) -> "Degradation":
        """One of the named scan qualities of PROFILES (clean, typical, carbon, poor)."""
        try:
            return PROFILES[name]
        except KeyError:
            raise ValueError(f"unknown degradation profile {name!r}: choose one of "
                             f"{', '.join(PROFILES)}") from None


# Named scan qualities for benchmarks (bench/ocr_accuracy.py), from best to worst:
# - clean: a fresh ribbon copy on a good flatbed;
# - typical: a ribbon copy as archives scan them (the middle of make_collection's ribbon range,
#   saved as JPEG);
# - carbon: Degradation.carbon(), a carbon copy on flimsy paper;
# - poor: a worn carbon, faint, blurred, noisy, dusty and saved at low JPEG quality (bench/
#   fusion_cer.py's "worn"): on the grey image Tesseract finds no text at all.
PROFILES: dict[str, Degradation] = {
    "clean": Degradation(rotation_deg=0.3, noise=2.0, blur=0.3, uneven_light=0.05, ink=1.0,
                         speckle=0.05),
    "typical": Degradation(rotation_deg=0.8, noise=4.0, blur=0.6, uneven_light=0.15, ink=0.9,
                           speckle=0.2, jpeg_quality=75),
    "carbon": Degradation.carbon(),
    "poor": Degradation(rotation_deg=1.5, noise=22.0, blur=1.8, uneven_light=0.5, ink=0.35,
                        jpeg_quality=40, speckle=2.0),
}


# --------------------------------------------------------------------------
# Fonts and page geometry
# --------------------------------------------------------------------------

def font_path() -> Path:
    """The monospace face that stands in for typewriter type (Courier-like FreeMono preferred)."""
    for candidate in (FREEMONO, DEJAVU_MONO):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(
        f"no monospace font found: install fonts-freefont-ttf ({FREEMONO}) "
        f"or fonts-dejavu-core ({DEJAVU_MONO})")


@lru_cache(maxsize=8)
def _font(path: str, size_px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size_px)


@dataclass(frozen=True)
class _Geometry:
    """Pixel layout of a typed page at a given resolution."""

    width: int
    height: int
    size_px: int
    cell: float
    pitch: float
    left: float
    first_baseline: float
    bottom_limit: float
    right_limit: float
    descent: int

    @classmethod
    def for_page(cls, dpi: int, page_size_in: tuple[float, float]) -> "_Geometry":
        size_px = max(1, round(TYPE_SIZE_PT * dpi / 72))
        ascent, descent = _font(str(font_path()), size_px).getmetrics()
        return cls(
            width=round(page_size_in[0] * dpi),
            height=round(page_size_in[1] * dpi),
            size_px=size_px,
            cell=dpi / PITCH_CPI,
            pitch=LINE_SPACING * dpi / 6,
            left=LEFT_MARGIN_IN * dpi,
            first_baseline=TOP_MARGIN_IN * dpi + ascent,
            bottom_limit=(page_size_in[1] - BOTTOM_MARGIN_IN) * dpi,
            right_limit=(page_size_in[0] - RIGHT_LIMIT_IN) * dpi,
            descent=descent,
        )

    @property
    def max_lines(self) -> int:
        room = self.bottom_limit - self.descent - self.first_baseline
        return max(0, int(room // self.pitch) + 1)

    @property
    def max_columns(self) -> int:
        return max(0, int((self.right_limit - self.left) // self.cell))


def _check_fits(lines: list[str], geom: _Geometry) -> None:
    """Refuse text the typist could not have put on the sheet, rather than cropping it."""
    if len(lines) > geom.max_lines:
        raise ValueError(f"{len(lines)} lines do not fit on the page: "
                         f"only {geom.max_lines} lines fit")
    for number, line in enumerate(lines, 1):
        if len(line.rstrip()) > geom.max_columns:
            raise ValueError(f"line {number} has {len(line.rstrip())} characters: "
                             f"only {geom.max_columns} fit across the page")


# --------------------------------------------------------------------------
# Typing
# --------------------------------------------------------------------------

@lru_cache(maxsize=4096)
def _glyph(path: str, size_px: int, stroke: int, ch: str) -> tuple[np.ndarray, int, int]:
    """Coverage bitmap (0..1) of one type slug and its offset from (cell left, baseline).

    Cached because a page strikes the same few dozen slugs thousands of times.
    """
    font = _font(path, size_px)
    left, top, right, bottom = font.getbbox(ch, anchor="ls", stroke_width=stroke)
    if right <= left or bottom <= top:
        return np.zeros((0, 0), np.float32), 0, 0
    image = Image.new("L", (right - left, bottom - top), 0)
    ImageDraw.Draw(image).text((-left, -top), ch, font=font, fill=255, anchor="ls",
                               stroke_width=stroke, stroke_fill=255)
    return np.asarray(image, np.float32) / 255.0, left, top


def _typebar_offsets(rng: np.random.Generator, scale: float) -> dict[str, int]:
    """Each typebar of a worn machine hits a little high or low, the same way every time."""
    alphabet = [chr(c) for c in range(33, 127)]
    shifts = np.round(rng.normal(0.0, 0.5 * scale, len(alphabet))).astype(int)
    return dict(zip(alphabet, shifts.tolist()))


def _type_lines(lines: list[str], geom: _Geometry, rng: np.random.Generator) -> np.ndarray:
    """Ink coverage (0..1, float32) of the typed sheet, one strike per character cell."""
    scale = geom.cell / 30.0                       # 1.0 at 300 dpi
    stroke = max(0, round(scale))                  # typewriter strokes are bolder than FreeMono
    path = str(font_path())
    typebar = _typebar_offsets(rng, scale)
    coverage = np.zeros((geom.height, geom.width), np.float32)
    for row, line in enumerate(lines):
        baseline = geom.first_baseline + row * geom.pitch
        text = line.rstrip()
        force = rng.uniform(0.72, 1.0, len(text))
        jitter = np.clip(np.round(rng.normal(0.0, 0.6 * scale, (len(text), 2))), -2 * scale, 2 * scale)
        for col, ch in enumerate(text):
            if ch.isspace():
                continue
            bitmap, dx, dy = _glyph(path, geom.size_px, stroke, ch)
            x = round(geom.left + col * geom.cell + dx + jitter[col, 0])
            y = round(baseline + dy + jitter[col, 1] + typebar.get(ch, 0))
            _strike(coverage, bitmap * force[col], x, y)
    return coverage


def _strike(coverage: np.ndarray, stamp: np.ndarray, x: int, y: int) -> None:
    """Overlay one glyph; clipped so an unusually placed slug can never raise."""
    h, w = stamp.shape
    y0, x0 = max(y, 0), max(x, 0)
    y1, x1 = min(y + h, coverage.shape[0]), min(x + w, coverage.shape[1])
    if y1 <= y0 or x1 <= x0:
        return
    region = coverage[y0:y1, x0:x1]
    np.maximum(region, stamp[y0 - y:y1 - y, x0 - x:x1 - x], out=region)


# --------------------------------------------------------------------------
# Copying and scanning
# --------------------------------------------------------------------------

def _degrade(coverage: np.ndarray, d: Degradation, rng: np.random.Generator, dpi: int) -> np.ndarray:
    """Turn ink coverage into a scanned greyscale page (uint8)."""
    coverage = _carbon_fuzz(coverage, d.ink, dpi)
    page = PAPER * (1.0 - INK_MAX * min(max(d.ink, 0.0), 1.0) * coverage)  # stays float32
    page = _rotate(page, d.rotation_deg)
    page = _uneven_light(page, d.uneven_light, rng)
    if d.blur > 0:
        page = cv2.GaussianBlur(page, (0, 0), d.blur)
    page = _speckle(page, d.speckle, rng, dpi)
    if d.noise > 0:
        page += rng.standard_normal(page.shape, dtype=np.float32) * np.float32(d.noise)
    out = np.clip(np.rint(page), 0, 255).astype(np.uint8)
    return _jpeg_roundtrip(out, d.jpeg_quality) if d.jpeg_quality else out


def _carbon_fuzz(coverage: np.ndarray, ink: float, dpi: int) -> np.ndarray:
    """Carbon copies are struck through the top sheet, so their strokes spread and soften."""
    sigma = max(0.0, 1.0 - ink) * 1.6 * dpi / 300
    if sigma < 0.3:
        return coverage
    spread = cv2.GaussianBlur(coverage, (0, 0), sigma)
    return np.minimum(spread * 1.35, 1.0)


def _rotate(page: np.ndarray, degrees: float) -> np.ndarray:
    """Skew the sheet on the scanner bed; exposed corners show blank paper."""
    if degrees == 0:
        return page
    h, w = page.shape
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    return cv2.warpAffine(page, matrix, (w, h), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=PAPER)


def _uneven_light(page: np.ndarray, strength: float, rng: np.random.Generator) -> np.ndarray:
    """A smooth lamp gradient plus vignette; centred on 1 so it shades without darkening overall."""
    if strength <= 0:
        return page
    h, w = page.shape
    small = 64
    yy, xx = np.mgrid[0:small, 0:small].astype(np.float32) / (small - 1)
    angle = rng.uniform(0, 2 * np.pi)
    ramp = (np.cos(angle) * (xx - 0.5) + np.sin(angle) * (yy - 0.5))
    vignette = (xx - 0.5) ** 2 + (yy - 0.5) ** 2
    field = ramp + 0.8 * vignette
    field = (field - field.min()) / max(float(np.ptp(field)), 1e-6)
    gain = 1.0 + 0.35 * strength * (0.5 - field)
    gain = cv2.resize(gain.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
    return page * gain


def _speckle(page: np.ndarray, density: float, rng: np.random.Generator, dpi: int) -> np.ndarray:
    """Dust and toner specks: small dark dots, Poisson-many per square inch."""
    if density <= 0:
        return page
    h, w = page.shape
    count = rng.poisson(density * (w / dpi) * (h / dpi))
    if count == 0:
        return page
    mask = np.zeros((h, w), np.uint8)
    xs = rng.integers(0, w, count)
    ys = rng.integers(0, h, count)
    radii = np.maximum(1, np.round(rng.gamma(1.5, 0.8, count) * dpi / 300)).astype(int)
    shades = rng.integers(90, 230, count)
    for x, y, r, s in zip(xs.tolist(), ys.tolist(), radii.tolist(), shades.tolist()):
        cv2.circle(mask, (x, y), r, s, thickness=-1, lineType=cv2.LINE_AA)
    return page * (1.0 - mask.astype(np.float32) / 255.0 * 0.8)


def _jpeg_roundtrip(page: np.ndarray, quality: int) -> np.ndarray:
    ok, buf = cv2.imencode(".jpg", page, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE)


# --------------------------------------------------------------------------
# Public rendering API
# --------------------------------------------------------------------------

def render_page(lines: list[str], *, seed: int, dpi: int = 300,
                degradation: Degradation = Degradation(),
                page_size_in: tuple[float, float] = (8.5, 11.0)) -> Image.Image:
    """Typewriter page: 12 pt monospace (10 pitch), left margin ~1 inch, top ~1 inch, double-ish
    line spacing (~1.5 lines), each glyph placed per character cell with tiny random jitter in
    baseline and darkness (typewriter look). Lines that start with spaces are indented by cells.
    Empty strings are blank lines. Returns a mode "L" image of page_size_in * dpi pixels, with
    dpi info set. Lines that don't fit raise ValueError naming how many lines fit."""
    geom = _Geometry.for_page(dpi, page_size_in)
    _check_fits(lines, geom)
    rng = np.random.default_rng(seed)
    coverage = _type_lines(lines, geom, rng)
    pixels = _degrade(coverage, degradation, rng, dpi)
    image = Image.fromarray(pixels)  # 2-D uint8 -> mode "L"
    image.info["dpi"] = (dpi, dpi)
    return image


def ground_truth(lines: list[str]) -> str:
    """The text as typed: lines joined by "\\n", trailing spaces stripped, blank lines kept."""
    return "\n".join(line.rstrip() for line in lines)


# --------------------------------------------------------------------------
# The Halifax letter
# --------------------------------------------------------------------------

def _para(text: str, indent: int = 5) -> list[str]:
    """Wrap a paragraph the way a typist would: first-line indent, ~65 columns, no hyphenation."""
    return textwrap.wrap(" ".join(text.split()), width=WRAP_COLUMNS,
                         initial_indent=" " * indent, break_long_words=False,
                         break_on_hyphens=False)


def _at(column: int, text: str) -> str:
    return " " * column + text


def _right(text: str) -> str:
    return _at(WRAP_COLUMNS - len(text), text)


def _centre(text: str) -> str:
    return _at((WRAP_COLUMNS - len(text)) // 2, text)


def halifax_letter() -> list[list[str]]:
    """The sample letter as typed lines, one list per page (4 pages)."""
    return [_halifax_page1(), _halifax_page2(), _halifax_page3(), _halifax_page4()]


def _halifax_page1() -> list[str]:
    return [
        _at(50, "SECRET"),
        "6253/14/41",
        "",
        _at(42, "BRITISH EMBASSY,"),
        _at(42, "WASHINGTON, D. C."),
        "Soviet Union: Post-war Aims",
        _at(42, "December 23rd, 1941."),
        "",
        "Personal and Secret",
        "",
        "My dear Welles,",
        "",
        *_para("You will remember that at our last conversation I gave you the "
               "substance of the telegrams which I had received from Mr. Eden giving "
               "an account of his conversations with M. Stalin in Moscow. A few more "
               "telegrams have now come in from Moscow and I think you will be "
               "interested to know their contents."),
        "",
        *_para("In the first place, as regards Mr. Eden's general discussions with the "
               "Soviet representatives, you will remember that I explained that "
               "M. Stalin was insistent that any agreement that might be signed should "
               "include a reference to the restoration of the"),
        _right("Russian/"),
        "",
        "The Honourable",
        "Sumner Welles,",
        "Under Secretary of State",
        "of the United States,",
        "Washington, D. C.",
        "",
        "FRHM:HK",
    ]


def _halifax_page2() -> list[str]:
    return [
        _centre("- 2 -"),
        "",
        *_para("Russian pre-war frontiers. In a telegram dated December 20th, Mr. Eden "
               "reported that at a further meeting with M. Stalin on that day it had "
               "been agreed to postpone the negotiation of any actual agreements. "
               "Instead, M. Stalin had proposed that a full communiqué should be "
               "issued. Mr. Eden concurred in this suggestion, and I enclose herein a "
               "copy of the text of the communiqué as finally agreed upon. It would "
               "seem that it has also been agreed that this communiqué shall be "
               "broadcast at midnight, Greenwich Mean Time, on December 28th/29th, and "
               "that for reasons of security nothing should be published before that "
               "time.", indent=0),
        "",
        *_para("In his telegram of December 20th Mr. Eden stated that the meeting that "
               "day had been cordial, and in a subsequent telegram dated December 22nd "
               "Mr. Eden reported that his discussions had ended on a friendly note. "
               "The final talks with M. Stalin had been most satisfactory, and Mr. Eden "
               "felt sure"),
        _right("that/"),
    ]


def _halifax_page3() -> list[str]:
    return [
        _centre("- 3 -"),
        "",
        *_para("that his visit had been worthwhile and that some at least of past "
               "suspicions on the part of the Russians had been allayed. Mr. Eden "
               "expressed the view that M. Stalin was sincerely anxious to conclude "
               "some definite agreement with the British Government. M. Stalin would, "
               "however, definitely not sign until the British Government recognised "
               "the Russian frontiers, and continued pressure on this question was to "
               "be anticipated. Mr. Eden added that meanwhile the positions of Great "
               "Britain and of the United States were completely safeguarded.",
               indent=0),
        "",
        *_para("Secondly, as regards the Far East, you will remember that I told you "
               "that M. Stalin had explained to Mr. Eden that while he would be in a "
               "position to give assistance in the spring he was most anxious not to "
               "provoke Japan at the present moment. A subsequent telegram from "
               "Mr. Eden dated December 22nd reported a further conversation with "
               "M. Stalin in which the latter confirmed his previous attitude. "
               "M. Stalin had stated that a Soviet declaration of war on Japan would "
               "involve Russia in serious fighting for which they were not at present "
               "ready. Preparations were being made to"),
        _right("replace/"),
    ]


def _halifax_page4() -> list[str]:
    return [
        _centre("- 4 -"),
        "",
        *_para("replace the Russian troops now being moved from the Far East, but the "
               "necessary arrangements would not be completed for about four months. "
               "M. Stalin had gone on to say that he thought that from the point of "
               "view of Russian opinion it would be much better if Japan were left to "
               "attack the U.S.S.R. - a possibility which he thought very likely, "
               "though not just at the present moment but rather later on.", indent=0),
        "",
        *_para("Mr. Eden pointed out to M. Stalin that in the meantime the Japanese "
               "might adopt the policy of dealing with their enemies piecemeal and "
               "that the next few months would be very difficult in the Far East. "
               "M. Stalin had then concluded by saying that he would like the "
               "discussions regarding the Far East to be resumed in the spring when "
               "the Soviet Government would be in a better state of preparation. He "
               "thought however that the Japanese might attack the U.S.S.R. earlier, "
               "in which case the position would be clarified."),
        "",
        _at(35, "Yours very sincerely,"),
        "",
        "",
        _at(42, "HALIFAX"),
        "",
        *_para("P.S. You know most of this already from Winant, but I thought it might "
               "be useful to you to have our stuff in order.", indent=0),
        "",
        *_para("In telegraphing about an awful banquet that Eden had the last night "
               "and which went on till 5 a.m., Eden says, \"Timoshenko who was present "
               "was most confident of Russian prospects in South. Both he and Stalin "
               "emphasise fall in German morale\"."),
    ]


# --------------------------------------------------------------------------
# Writing files
# --------------------------------------------------------------------------

def _write_if_changed(path: Path, data: bytes) -> None:
    """Leave identical files alone so make-style mtime checks don't see churn."""
    if path.is_file() and path.read_bytes() == data:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _encode(pages: list[Image.Image], fmt: str, dpi: int) -> bytes:
    """Encode one or more pages in memory (multi-page only for TIFF)."""
    buf = io.BytesIO()
    first, rest = pages[0], pages[1:]
    if fmt == "TIFF":
        first.save(buf, format="TIFF", save_all=bool(rest), append_images=rest,
                   compression="tiff_deflate", dpi=(dpi, dpi))
    elif rest:
        raise ValueError(f"{fmt} cannot hold several pages")
    elif fmt == "JPEG":
        first.save(buf, format="JPEG", quality=85, dpi=(dpi, dpi))
    else:
        first.save(buf, format=fmt, dpi=(dpi, dpi))
    return buf.getvalue()


def _gt_bytes(lines: list[str]) -> bytes:
    """Ground-truth file content: :func:`ground_truth` plus a final newline."""
    return (ground_truth(lines) + "\n").encode("utf-8")


# The sample's carbon is a worn one (archivist reads it at ~84 mean confidence, ~3 % CER), so
# that the sample has a page worth re-OCR (`archivist reocr --where "mean_conf < 90"`).
SAMPLE_WORN_CARBON = Degradation(rotation_deg=-1.6, noise=20.0, blur=2.6, uneven_light=0.45,
                                 ink=0.28, speckle=2.5, jpeg_quality=25)


def write_sample(out_dir: Path, gt_dir: Path | None = None) -> list[Path]:
    """Writes the sample scans of the Halifax letter: the ribbon copy of all 4 pages as ONE
    multi-page TIFF `halifax_ribbon.tif` (greyscale, deflate), and the last page again as a
    worn carbon copy `halifax_carbon_p4.jpg` (JPEG). If gt_dir is given, writes
    `<stem>_pNN.gt.txt` ground truth there (NN = frame number within that image file, so the
    carbon's is `halifax_carbon_p4_p01.gt.txt`). Never writes .txt files into out_dir. Skips
    files that already exist with identical bytes (so mtimes don't churn). Returns the image
    paths (written or already up to date)."""
    out_dir, letter = Path(out_dir), halifax_letter()
    ribbon = [render_page(lines, seed=SAMPLE_SEED + n, dpi=SAMPLE_DPI,
                          degradation=Degradation.ribbon())
              for n, lines in enumerate(letter, 1)]
    carbon = render_page(letter[3], seed=SAMPLE_SEED + 40, dpi=SAMPLE_DPI,
                         degradation=SAMPLE_WORN_CARBON)
    outputs = [(out_dir / "halifax_ribbon.tif", ribbon, "TIFF", letter),
               (out_dir / "halifax_carbon_p4.jpg", [carbon], "JPEG", [letter[3]])]
    for path, pages, fmt, texts in outputs:
        _write_if_changed(path, _encode(pages, fmt, SAMPLE_DPI))
        if gt_dir is not None:
            _write_page_gts(Path(gt_dir), path.stem, texts)
    return [path for path, *_ in outputs]


def _write_page_gts(gt_dir: Path, stem: str, texts: list[list[str]]) -> None:
    for n, lines in enumerate(texts, 1):
        _write_if_changed(gt_dir / f"{stem}_p{n:02d}.gt.txt", _gt_bytes(lines))


# --------------------------------------------------------------------------
# Synthetic collections
# --------------------------------------------------------------------------

_SUBJECTS = [
    "His Majesty's Government", "the Foreign Office", "the Soviet Government",
    "the Prime Minister", "Mr. Eden", "M. Molotov", "the Ambassador",
    "the Department of State", "the Chief of the Air Staff", "the War Cabinet",
    "the Netherlands Government", "the Chinese Minister", "our representative",
    "the Secretary of State", "the Admiralty", "the Dominions Office",
    "the President", "General Sikorski", "the Polish Government",
    "the Minister of Supply", "the Combined Shipping Board",
]
_VERBS = [
    "has considered", "wishes to discuss", "will examine", "has received",
    "is unable to accept", "has agreed to postpone", "would welcome",
    "is anxious to settle", "has drawn attention to", "proposes to raise",
    "has reserved its position on", "cannot yet determine", "has approved",
    "is reviewing", "attaches great importance to", "will communicate",
]
_OBJECTS = [
    "the proposed agreement", "the question of frontiers", "the supply of munitions",
    "the draft communique", "the situation in the Far East", "the terms of the declaration",
    "the shipping programme", "the recent telegrams", "the future of the Baltic States",
    "the arrangements for convoys", "the text of the memorandum", "the allocation of tonnage",
    "the question of Lend-Lease", "the position in Persia", "the defence of Singapore",
    "the exchange of information", "the post-war settlement", "the Atlantic Charter",
    "the treatment of prisoners", "the despatch of aircraft", "the oil situation",
]
_TAILS = [
    "at the earliest opportunity", "in the present circumstances",
    "before the end of the month", "without further delay",
    "in consultation with Washington", "with the utmost discretion",
    "as a matter of urgency", "in the light of recent events",
    "for the time being", "when the situation is clearer", "by telegram",
]
_OPENERS = [
    "", "", "", "I understand that ", "It would seem that ", "I am informed that ",
    "You will no doubt have heard that ", "I think you should know that ",
    "It is my impression that ", "We are told that ",
]
_SALUTATIONS = ["My dear Welles,", "Dear Mr. Secretary,", "Sir,",
                "My dear Ambassador,", "My dear Hull,", "Dear Mr. Berle,"]
_CLOSINGS = ["Yours very sincerely,", "Yours sincerely,", "Believe me,",
             "I have the honour to be, Sir,"]
_SIGNATURES = ["HALIFAX", "R. I. CAMPBELL", "N. M. BUTLER", "J. BALFOUR",
               "GORDON MUNRO", "W. HAYTER"]
_MONTHS = ["January", "February", "March", "April", "May", "June", "July",
           "August", "September", "October", "November", "December"]


def _pick(rng: np.random.Generator, items: list[str]) -> str:
    return items[int(rng.integers(len(items)))]


def _ordinal(day: int) -> str:
    suffix = "th" if 11 <= day <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def _sentence(rng: np.random.Generator) -> str:
    """One plausible clause of 1940s diplomatic prose (templated, not meaningful)."""
    opener = _pick(rng, _OPENERS)
    subject = _pick(rng, _SUBJECTS)
    clause = f"{subject} {_pick(rng, _VERBS)} {_pick(rng, _OBJECTS)}"
    if rng.random() < 0.6:
        clause += f" {_pick(rng, _TAILS)}"
    if rng.random() < 0.3:
        clause += f", and {_pick(rng, _SUBJECTS)} {_pick(rng, _VERBS)} {_pick(rng, _OBJECTS)}"
    text = opener + clause
    return text[0].upper() + text[1:] + "."


def _body(rng: np.random.Generator, n_lines: int) -> list[str]:
    """Paragraphs of 2-4 sentences, blank line between, as many whole sentences as fit in
    n_lines (so a page never stops mid-sentence unless not even one sentence fits)."""
    done: list[str] = []
    sentences: list[str] = []
    target = int(rng.integers(2, 5))
    while True:
        trial = sentences + [_sentence(rng)]
        if len(_add_paragraph(done, trial)) > n_lines:
            break
        sentences = trial
        if len(sentences) == target:
            done, sentences, target = _add_paragraph(done, sentences), [], int(rng.integers(2, 5))
    body = _add_paragraph(done, sentences) if sentences else done
    return body or _para(_sentence(rng))[:n_lines]


def _add_paragraph(lines: list[str], sentences: list[str]) -> list[str]:
    return lines + ([""] if lines else []) + _para(" ".join(sentences))


def _letter_lines(rng: np.random.Generator, n_lines: int) -> list[str]:
    """A letter page: reference and date, salutation, body, closing and signature."""
    day, month, year = int(rng.integers(1, 29)), _pick(rng, _MONTHS), int(rng.integers(1940, 1946))
    head = [f"{chr(65 + int(rng.integers(26)))} {int(rng.integers(100, 9999))}/"
            f"{int(rng.integers(1, 99))}/{year % 100}",
            _at(42, f"{month} {_ordinal(day)}, {year}."), "",
            _pick(rng, _SALUTATIONS), ""]
    foot = ["", _at(35, _pick(rng, _CLOSINGS)), "", _at(42, _pick(rng, _SIGNATURES))]
    room = n_lines - len(head) - len(foot)
    if room < 1:
        return _body(rng, n_lines)
    return head + _body(rng, room) + foot


def letter_page_lines(seed: int, index: int, lines_per_page: int = 25) -> list[str]:
    """The typed lines of make_collection's page `index` (0-based) for `seed`, without rendering
    it: for benchmarks that need a corpus of letters' text at a scale no one would OCR."""
    return _letter_lines(np.random.default_rng([seed, index]), lines_per_page)


def _varied_degradation(rng: np.random.Generator) -> Degradation:
    """Mostly ribbon copies, about one in four a carbon, each scanned a little differently."""
    if rng.random() < 0.25:
        return Degradation(rotation_deg=float(rng.uniform(-1.5, 1.5)),
                           noise=float(rng.uniform(5, 9)), blur=float(rng.uniform(0.8, 1.3)),
                           uneven_light=float(rng.uniform(0.1, 0.35)),
                           ink=float(rng.uniform(0.45, 0.6)), speckle=float(rng.uniform(0.2, 0.6)))
    return Degradation(rotation_deg=float(rng.uniform(-1.2, 1.2)),
                       noise=float(rng.uniform(2, 6)), blur=float(rng.uniform(0.0, 0.8)),
                       uneven_light=float(rng.uniform(0.0, 0.25)),
                       ink=float(rng.uniform(0.85, 1.0)), speckle=float(rng.uniform(0.0, 0.3)))


def make_collection(out_dir: Path, n_pages: int, *, seed: int = 0, dpi: int = 300,
                    lines_per_page: int = 25, formats: tuple[str, ...] = ("png",),
                    degradation: Degradation | None = None,
                    gt_dir: Path | None = None) -> list[Path]:
    """n_pages synthetic letter pages of plausible English (1940s diplomatic vocabulary from a
    built-in word list, sentences, date lines, salutations), one file per page named
    page_00001.png ...; cycles through `formats` among png/jpg/tif. Ground truth as
    <stem>.gt.txt in gt_dir when given. With degradation=None each page gets its own
    seeded scan quality (mostly ribbon, some carbon). Used by benchmarks and tests."""
    unknown = [f for f in formats if f not in SUPPORTED_FORMATS]
    if not formats or unknown:
        raise ValueError(f"formats must be among {sorted(SUPPORTED_FORMATS)}, got {formats!r}")
    out_dir = Path(out_dir)
    paths = []
    for index in range(n_pages):
        rng = np.random.default_rng([seed, index])
        lines = _letter_lines(rng, lines_per_page)
        page_degradation = degradation if degradation is not None else _varied_degradation(rng)
        image = render_page(lines, seed=int(rng.integers(2**32)), dpi=dpi,
                            degradation=page_degradation)
        ext = formats[index % len(formats)]
        path = out_dir / f"page_{index + 1:05d}.{ext}"
        _write_if_changed(path, _encode([image], SUPPORTED_FORMATS[ext], dpi))
        if gt_dir is not None:
            _write_if_changed(Path(gt_dir) / f"{path.stem}.gt.txt", _gt_bytes(lines))
        paths.append(path)
    return paths


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------

def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m archivist.synth",
                                     description="Generate synthetic typewritten scans.")
    sub = parser.add_subparsers(dest="command", required=True)
    sample = sub.add_parser("sample", help="the 4-page Halifax letter (ribbon TIFF + carbon JPEG)")
    sample.add_argument("out_dir", type=Path)
    sample.add_argument("--gt", type=Path, default=None, help="directory for ground truth")
    coll = sub.add_parser("collection", help="N synthetic letter pages")
    coll.add_argument("out_dir", type=Path)
    coll.add_argument("n", type=int)
    coll.add_argument("--seed", type=int, default=0)
    coll.add_argument("--gt", type=Path, default=None, help="directory for ground truth")
    return parser


def main(argv: list[str] | None = None) -> int:
    """`python -m archivist.synth sample OUT_DIR [--gt DIR]` and
    `python -m archivist.synth collection OUT_DIR N [--seed S] [--gt DIR]`."""
    args = _parser().parse_args(argv)
    if args.command == "sample":
        paths = write_sample(args.out_dir, args.gt)
    else:
        paths = make_collection(args.out_dir, args.n, seed=args.seed, gt_dir=args.gt)
    for path in paths:
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


def noisy_transcription(text: str, *, rate: float = 0.03, seed: int = 0) -> str:
    """A careless retyping of `text`: about `rate` of the letters substituted, dropped or
    doubled, as a third, independent witness for fusion tests and benchmarks."""
    rng = np.random.default_rng(seed)
    letters = "abcdefghijklmnopqrstuvwxyz"
    out = []
    for ch in text:
        if ch.isalpha() and rng.random() < rate:
            action = rng.integers(3)
            if action == 0:
                out.append(letters[int(rng.integers(26))])
            elif action == 2:
                out.append(ch + ch)
            continue
        out.append(ch)
    return "".join(out)
