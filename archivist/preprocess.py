"""OpenCV clean-up of a page before Tesseract: flatten, deskew, denoise, binarise.

Each step is a small function of (image, settings); `preprocess` records what each step measured
(the skew angle, the Otsu threshold) so that an OCR result can always be traced to exactly what
was done to its image.

The steps come in two groups. Flattening and deskewing change where things are; denoising and
binarising only change how they look. `Preprocessed.deskewed` keeps the image between the two,
so another clean-up (`clean_up`) can be tried on the same geometry: word boxes of both readings
then refer to the same pixels and lines can be compared and exchanged.

By default no binarisation is done: Tesseract 5 binarises for its layout analysis itself but
recognises text on the grey image, and keeping the grey levels lets its LSTM see faint strokes
that a global threshold cuts (on the EHRI despatches Otsu turned "h" into "n" and "g" into "s";
CER 4.68 % with median and Otsu, 4.33 % without).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from archivist.config import PreprocessSettings

cv2.setNumThreads(1)  # pages run in parallel already; nested threads only oversubscribe


@dataclass
class Preprocessed:
    image: np.ndarray
    applied: dict = field(default_factory=dict)  # step -> what it measured or used
    deskewed: np.ndarray | None = None  # after flatten and deskew, before denoise and binarise


def preprocess(gray: np.ndarray, settings: PreprocessSettings, dpi: int = 300) -> Preprocessed:
    applied: dict = {}
    image = gray
    if settings.flatten_background:
        kernel = _scaled_odd(settings.background_kernel, dpi)
        image = flatten_background(image, kernel, settings.background_denoise)
        applied["flatten_background"] = {"kernel": kernel,
                                         **({"denoise": "median5"}
                                            if settings.background_denoise else {})}
    if settings.deskew:
        angle = estimate_skew(image, settings.max_skew_deg)
        image = rotate(image, angle)
        applied["deskew"] = {"angle_deg": round(angle, 2)}
    deskewed = image
    image, cleaned = clean_up(image, settings, dpi)
    applied.update(cleaned)
    return Preprocessed(image=image, applied=applied, deskewed=deskewed)


def clean_up(image: np.ndarray, settings: PreprocessSettings, dpi: int = 300
             ) -> tuple[np.ndarray, dict]:
    """The denoise, binarise and despeckle steps of a recipe (they move nothing), and what they
    used."""
    applied: dict = {}
    if settings.denoise == "median3":
        image = cv2.medianBlur(image, 3)
        applied["denoise"] = {"method": "median", "ksize": 3}
    if settings.binarize == "otsu":
        threshold, image = cv2.threshold(image, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
        applied["binarize"] = {"method": "otsu", "threshold": float(threshold)}
        if settings.despeckle_px > 0:
            area = max(1, int(round(settings.despeckle_px * (dpi / 300) ** 2)))
            image, removed = despeckle(image, area)
            applied["despeckle"] = {"min_area_px": area, "removed": removed}
    return image, applied


def despeckle(binary: np.ndarray, min_area: int) -> tuple[np.ndarray, int]:
    """A binary page without the blobs of ink smaller than `min_area` pixels (dust, noise that
    survived the median: on a worn carbon Tesseract reads each as a letter or a stop), and how
    many were removed. A typed full stop at 300 dpi covers 40 pixels and more."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(255 - binary, connectivity=8)
    small = stats[:, cv2.CC_STAT_AREA] < min_area
    small[0] = False  # the paper
    removed = int(small.sum())
    if not removed:
        return binary, 0
    out = binary.copy()
    out[small[labels]] = 255
    return out, removed


# Below this many grey levels between Otsu's two classes there is no ink, only paper split in
# two by its own noise (a blank sheet measures 4; a worn carbon 17-33, a carbon 67, a ribbon
# copy 100-225).
MIN_INK_CONTRAST = 10.0


def contrast_to_noise(gray: np.ndarray) -> float:
    """(paper - ink) / spread of the paper, the two split by Otsu, on every other pixel (no
    averaging, which would hide the noise). Typed pages, ribbon or carbon, scanned at 300 dpi
    measure 10 and more; a faint carbon under heavy noise about 5, where Tesseract on the grey
    image finds no text at all and a median filter with Otsu reads it. A page with no ink at all
    (paper and "ink" closer than MIN_INK_CONTRAST levels) measures infinity: there is nothing
    to bring out, and Otsu on it would make ink of the paper's grain."""
    sample = np.ascontiguousarray(gray[::2, ::2])
    if sample.size == 0:
        return 0.0
    threshold, _ = cv2.threshold(sample, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    ink, paper = sample[sample <= threshold], sample[sample > threshold]
    if ink.size == 0 or paper.size == 0:
        return float("inf")  # one tone only: nothing to separate, no noise either
    contrast = float(paper.mean() - ink.mean())
    if contrast < MIN_INK_CONTRAST:
        return float("inf")
    return contrast / max(float(paper.std()), 1.0)


def type_height(gray: np.ndarray) -> float:
    """Height in px of the type, estimated before any OCR: the 75th percentile of the heights of
    glyph-sized blobs of ink (Otsu), which is about the height of a capital or a word box. 0 when
    nothing looks like a glyph."""
    if gray.size == 0:
        return 0.0
    # Pages over 2000 px are measured on every other pixel (4x faster): heights lose a pixel of
    # precision where type that small would need a tiny page to fit.
    step = 2 if max(gray.shape) > 2000 else 1
    sample = np.ascontiguousarray(gray[::step, ::step])
    _, ink = cv2.threshold(sample, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    _, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    h, w = stats[1:, cv2.CC_STAT_HEIGHT], stats[1:, cv2.CC_STAT_WIDTH]
    lo = 4 // step
    glyphs = (h >= lo) & (h <= 150 // step) & (w >= 2 // step) & (w <= 3 * h) & (
        stats[1:, cv2.CC_STAT_AREA] >= 8 // (step * step))
    return step * float(np.percentile(h[glyphs], 75)) if glyphs.any() else 0.0


def upscale(image: np.ndarray, factor: float) -> np.ndarray:
    """Enlarged by `factor` (bicubic): Tesseract reads best with capitals of 20-30 px."""
    if factor == 1.0:
        return image
    return cv2.resize(image, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)


def flatten_background(gray: np.ndarray, kernel: int, denoise: bool = False) -> np.ndarray:
    """Divide by an estimate of the paper's brightness so uneven light and yellowing vanish.

    The background is estimated at quarter size (a dilation removes the dark strokes, a median
    smooths what is left), which keeps the cost far below one Tesseract pass.

    `denoise` puts a 5 x 5 median first, for noisy scans: the dilation keeps the brightest pixel
    around, and on a noisy scan that is the paper plus three times the noise, clipped at white on
    the bright side only, so the dark side comes out grey and a global threshold turns it into
    ink (a worn carbon read at 90-130 % CER instead of 0-0.2 %). Not by default: on a clean or
    blank page the median's estimate sits inside the paper's grain, half the paper turns white
    and Tesseract reads the rest as words.
    """
    small = cv2.resize(gray, None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)
    if denoise:
        small = cv2.medianBlur(small, 5)
    k = max(3, (kernel // 4) | 1)
    background = cv2.dilate(small, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    background = cv2.medianBlur(background, k if k <= 255 else 255)
    background = cv2.resize(background, (gray.shape[1], gray.shape[0]),
                            interpolation=cv2.INTER_LINEAR)
    return cv2.divide(gray, np.maximum(background, 1), scale=255)


def estimate_skew(gray: np.ndarray, max_deg: float) -> float:
    """Angle (degrees, counter-clockwise) that makes text lines horizontal.

    Projection profiles: rotate a small ink mask and keep the angle whose row sums are sharpest.
    Robust on typewritten pages where minAreaRect on ink is thrown off by stamps and margins.
    """
    scale = min(1.0, 1000.0 / max(gray.shape))
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    _, ink = cv2.threshold(small, 0, 1, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    if ink.sum() < 50:
        return 0.0
    ink = ink.astype(np.float32)
    best = _best_angle(ink, np.arange(-max_deg, max_deg + 1e-6, 0.5))
    best = _best_angle(ink, np.arange(best - 0.5, best + 0.5 + 1e-6, 0.1))
    return float(best)


def _best_angle(ink: np.ndarray, angles: np.ndarray) -> float:
    def sharpness(angle: float) -> float:
        rows = rotate(ink, angle, border=0).sum(axis=1)
        return float(np.square(np.diff(rows)).sum())

    return float(max(angles, key=sharpness))


def unrotate_box(box: tuple[int, int, int, int], angle: float, width: int, height: int
                 ) -> tuple[int, int, int, int]:
    """A box found on the deskewed image, in the coordinates of the scan as stored: the
    axis-aligned hull of its corners turned back by `angle`, clipped to the page."""
    left, top, w, h = box
    if abs(angle) < 0.05:
        return box
    matrix = cv2.invertAffineTransform(cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0))
    corners = np.array([[left, top, 1], [left + w, top, 1], [left, top + h, 1],
                        [left + w, top + h, 1]], dtype=np.float64)
    xs, ys = (matrix @ corners.T)
    x0, y0 = max(0, int(np.floor(xs.min()))), max(0, int(np.floor(ys.min())))
    x1, y1 = min(width, int(np.ceil(xs.max()))), min(height, int(np.ceil(ys.max())))
    return x0, y0, max(0, x1 - x0), max(0, y1 - y0)


def rotate(image: np.ndarray, angle: float, border: int = 255) -> np.ndarray:
    if abs(angle) < 0.05:
        return image
    h, w = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    return cv2.warpAffine(image, matrix, (w, h), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=border)


def _scaled_odd(px_at_300: int, dpi: int) -> int:
    return max(3, int(round(px_at_300 * dpi / 300)) | 1)
