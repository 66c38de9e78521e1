"""Errors a user can act on, one type per kind of failure.

Each message names the file (and page) concerned, so that a line in the run summary or in the
`failures` table is enough to find and fix the input.
"""

from __future__ import annotations

from pathlib import Path


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (DuckDB's run on with hints and carets), or
    its type when it has none: what a one-line error message quotes."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class ArchivistError(Exception):
    """Base class: anything the CLI reports as a one-line message instead of a traceback."""


class UsageError(ArchivistError):
    """The command line or the settings ask for something impossible (missing input folder...)."""


class SourceError(ArchivistError):
    """A source file cannot be read at all: not decodable, empty, wrong encoding."""

    def __init__(self, path: Path | str, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{path}: {problem}")

    def __reduce__(self):  # rebuilt from its fields, so it crosses to and from Dask workers
        return (type(self), (self.path, self.problem))


class PageError(ArchivistError):
    """One page of a source failed (decode, preprocessing, Tesseract error or time-out)."""

    def __init__(self, path: Path | str, page_index: int, stage: str, problem: str) -> None:
        self.path = str(path)
        self.page_index = page_index
        self.stage = stage
        self.problem = problem
        super().__init__(f"{path} page {page_index + 1}: {stage}: {problem}")

    def __reduce__(self):  # rebuilt from its fields, so it crosses to and from Dask workers
        return (type(self), (self.path, self.page_index, self.stage, self.problem))


class TesseractMissing(ArchivistError):
    """The tesseract binary or its language data is not installed."""


class DatabaseBusy(ArchivistError):
    """Another process holds the DuckDB file open for writing."""
