"""OpenCV clean-up of a page before Tesseract: flatten, deskew, denoise, binarise.

Each step is a small function of (image, settings); `preprocess` records what each step measured
(the skew angle, the Otsu threshold) so that an OCR result can always be traced to exactly what
was done to its image.
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


def preprocess(gray: np.ndarray, settings: PreprocessSettings, dpi: int = 300) -> Preprocessed:
    applied: dict = {}
    image = gray
    if settings.flatten_background:
        kernel = _scaled_odd(settings.background_kernel, dpi)
        image = flatten_background(image, kernel)
        applied["flatten_background"] = {"kernel": kernel}
    if settings.deskew:
        angle = estimate_skew(image, settings.max_skew_deg)
        image = rotate(image, angle)
        applied["deskew"] = {"angle_deg": round(angle, 2)}
    if settings.denoise == "median3":
        image = cv2.medianBlur(image, 3)
        applied["denoise"] = {"method": "median", "ksize": 3}
    if settings.binarize == "otsu":
        threshold, image = cv2.threshold(image, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
        applied["binarize"] = {"method": "otsu", "threshold": float(threshold)}
    return Preprocessed(image=image, applied=applied)


def flatten_background(gray: np.ndarray, kernel: int) -> np.ndarray:
    """Divide by an estimate of the paper's brightness so uneven light and yellowing vanish.

    The background is estimated at quarter size (a dilation removes the dark strokes, a median
    smooths what is left), which keeps the cost far below one Tesseract pass.
    """
    small = cv2.resize(gray, None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)
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
