"""Writing files whose names come from the database: never outside the output folder, never half.

Exports and the review report name files after page and document ids. Ids are hashes in every
database the pipeline writes, but an output must not go where a crafted or foreign database says,
and a reader (a browser, a harvester) must never see a half-written file.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Iterator

from archivist.errors import UsageError

MAX_STEM = 120  # characters of an id kept in a file name
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]|\.{2,}|^\.")


def safe_name(identifier: str) -> str:
    """A file name stem for ``identifier`` that cannot leave its folder.

    Only ``[A-Za-z0-9._-]`` is kept; runs of dots and a leading dot are replaced too (no ``..``
    anywhere, no hidden files); an empty or over-long result is filled in. The pipeline's ids
    pass unchanged; an id that had to change gets a hash of the original appended, so two ids
    that differ only in unsafe characters (``a/b``, ``a_b``) still get two files.
    """
    identifier = str(identifier)
    stem = _UNSAFE.sub("_", identifier)
    if stem == identifier and 0 < len(stem) <= MAX_STEM:
        return stem
    digest = hashlib.sha256(identifier.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return f"{stem[:MAX_STEM] or '_'}-{digest}"


def prepare_folder(out_dir: Path, what: str) -> None:
    """Create the output folder, or say clearly why it cannot be used."""
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"cannot write {what} to {out_dir}: it is not a folder")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot write {what} to {out_dir}: {exc.strerror or exc}") from exc


def output_path(out_dir: Path, folder: str, identifier: str, suffix: str) -> Path:
    """``out_dir/folder/<safe name><suffix>``, its folder made; refused unless it resolves
    inside ``out_dir`` (a symlinked folder planted in the output must not redirect the write)."""
    folder_path = out_dir / folder if folder else out_dir
    check_inside(out_dir, folder_path)
    folder_path.mkdir(exist_ok=True)
    path = folder_path / f"{safe_name(identifier)}{suffix}"
    check_inside(out_dir, path)
    return path


def check_inside(out_dir: Path, path: Path) -> None:
    if not path.resolve().is_relative_to(out_dir.resolve()):
        raise UsageError(f"refusing to write {path}: it resolves outside {out_dir}")


@contextlib.contextmanager
def atomic_path(final: Path) -> Iterator[Path]:
    """A temporary path beside ``final`` to write to; renamed onto it when the block succeeds,
    removed when it fails. Readers see the old file or the new one, never a part."""
    fd, tmp_name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; publish like a normal file
        os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_bytes(final: Path, data: bytes) -> None:
    with atomic_path(final) as tmp, open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _umask() -> int:
    """The process umask (only readable by setting it, so set it straight back)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask
