"""Find the sources in a drop folder and fingerprint their bytes."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from archivist.errors import UsageError

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff"}
PDF_SUFFIXES = {".pdf"}
TEXT_SUFFIXES = {".txt", ".md"}
# Ground truth for evaluation sits beside images; it is not a witness of the text.
IGNORED_SUFFIXES = (".gt.txt",)


@dataclass(frozen=True)
class Source:
    source_id: str
    path: str  # as given, relative to the working directory when possible
    kind: str  # "image" | "pdf" | "text"
    sha256: str
    bytes: int


def source_kind(path: Path) -> str | None:
    name = path.name.lower()
    if name.startswith(".") or name.endswith(IGNORED_SUFFIXES):
        return None
    suffix = path.suffix.lower()
    if suffix in IMAGE_SUFFIXES:
        return "image"
    if suffix in PDF_SUFFIXES:
        return "pdf"
    if suffix in TEXT_SUFFIXES:
        return "text"
    return None


def discover(root: Path | str) -> list[Source]:
    """All sources under root, recursively, in path order (the order pages are read in)."""
    root = Path(root)
    if not root.exists():
        raise UsageError(f"{root}: no such file or folder")
    paths = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
    sources = []
    for path in paths:
        kind = source_kind(path)
        if kind is None:
            continue
        digest, size = file_sha256(path)
        sources.append(Source(source_id=source_id_for(path), path=str(path), kind=kind,
                              sha256=digest, bytes=size))
    return sources


def source_id_for(path: Path) -> str:
    """Stable id from the resolved path: a file edited in place keeps its id, so its old rows are
    replaced rather than duplicated."""
    return "s" + hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:15]


def file_sha256(path: Path) -> tuple[str, int]:
    h = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size
