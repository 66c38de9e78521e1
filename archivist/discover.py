"""Find the sources in a drop folder and fingerprint their bytes."""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from archivist.errors import UsageError

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff"}
PDF_SUFFIXES = {".pdf"}
TEXT_SUFFIXES = {".txt", ".md"}
# Ground truth for evaluation sits beside images; it is not a witness of the text.
IGNORED_SUFFIXES = (".gt.txt",)

log = logging.getLogger(__name__)


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
    """All sources under root, recursively, in path order (the order pages are read in).

    Symlinked files and folders are followed, but a folder already visited (a link back to a
    parent makes a loop) is not entered again, and a file reached by several paths is one source,
    under its own path rather than a link's when it has one. A file that vanishes while it is
    listed or hashed is not a source; one that cannot be read (permissions) still is, so that
    its failure is recorded. A name that is not valid UTF-8 cannot be stored: it is skipped with
    a warning saying to rename it.
    """
    root = Path(root)
    if not root.exists():
        raise UsageError(f"{root}: no such file or folder")
    paths = [root] if root.is_file() else _walk_files(root)
    chosen: dict[Path, Path] = {}  # real file -> the path it is listed under
    for path in paths:
        if source_kind(path) is None:
            continue
        if not _storable_name(path):
            log.warning("%s: skipped: the file name is not valid UTF-8; rename the file",
                        _printable(path))
            continue
        try:
            resolved = path.resolve()
        except (OSError, RuntimeError):  # RuntimeError: a symlink loop on Python < 3.13
            continue
        before = chosen.get(resolved)
        if before is None or (_through_links(before) and not _through_links(path)):
            chosen[resolved] = path
    sources = []
    for path in sorted(chosen.values()):
        try:
            digest, size = _fingerprint(path)
        except FileNotFoundError:
            continue  # gone since it was listed: not a source (any earlier rows are dropped)
        except OSError:
            digest, size = "", _size_or_zero(path)  # recorded as a failed source when read
        sources.append(Source(source_id=source_id_for(path), path=str(path),
                              kind=source_kind(path), sha256=digest, bytes=size))
    return sources


def _walk_files(root: Path) -> list[Path]:
    """Files under root in path order. Real folders are walked first; then symlinked folders,
    each only when the folder it leads to has not been walked already (so a loop ends)."""
    files: list[Path] = []
    visited: set[tuple[int, int]] = set()
    pending = [str(root)]
    while pending:
        links: list[str] = []
        for top in pending:
            for folder, dirnames, filenames in os.walk(top):  # does not descend into links
                try:
                    st = os.stat(folder)
                except OSError:
                    dirnames[:] = []
                    continue
                if (st.st_dev, st.st_ino) in visited:
                    dirnames[:] = []
                    continue
                visited.add((st.st_dev, st.st_ino))
                links.extend(os.path.join(folder, d) for d in dirnames
                             if os.path.islink(os.path.join(folder, d)))
                for name in filenames:
                    path = Path(folder) / name
                    try:
                        if path.is_file():
                            files.append(path)
                    except OSError:
                        continue
        pending = sorted(links)
    return sorted(files)


def _through_links(path: Path) -> bool:
    """Whether a symlink lies anywhere on the path."""
    return os.path.realpath(path) != os.path.abspath(path)


def _storable_name(path: Path) -> bool:
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _printable(path: Path) -> str:
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def _size_or_zero(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def source_id_for(path: Path) -> str:
    """Stable id from the resolved path: a file edited in place keeps its id, so its old rows are
    replaced rather than duplicated."""
    return "s" + hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:15]


# (device, inode, size, mtime, ctime) -> (sha256, size) of files hashed by this process.
_HASHED: OrderedDict[tuple[int, ...], tuple[str, int]] = OrderedDict()
HASH_MEMO_FILES = 200_000  # ~40 MB at most
SETTLED_S = 2.0  # a file changed more recently may still be being written


def _fingerprint(path: Path) -> tuple[str, int]:
    """file_sha256, once per file and version in this process: `archivist run` plans before it
    starts Prefect (to do nothing at all when nothing changed) and the flow plans again, which
    read every byte of a drop folder twice. Any write to a file changes its ctime, so a file
    changed in between is hashed again; a file changed in the last seconds is not remembered
    (timestamps move in clock ticks: two writes within one tick can leave them equal)."""
    st = path.stat()
    key = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    known = _HASHED.get(key)
    if known is not None:
        _HASHED.move_to_end(key)
        return known
    fingerprint = file_sha256(path)
    if time.time_ns() - max(st.st_mtime_ns, st.st_ctime_ns) > SETTLED_S * 1e9:
        _HASHED[key] = fingerprint
        if len(_HASHED) > HASH_MEMO_FILES:
            _HASHED.popitem(last=False)
    return fingerprint


def file_sha256(path: Path) -> tuple[str, int]:
    h = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size
