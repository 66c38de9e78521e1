"""What a run did, for the closing summary of the CLI and the flow's return value."""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator

from archivist.store import Store


@dataclass
class RunSummary:
    new: list[str] = field(default_factory=list)  # processed this run (failed ones included)
    unchanged: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # one line per failed page or file
    removed: int = 0
    pages: int = 0
    words: int = 0
    documents: int = 0
    elapsed_s: float = 0.0
    run_id: str | None = None
    # Seconds per stage of the flow body (not the Prefect start-up before it): "plan" (open the
    # database, discover and hash the sources), "ocr" (wall time of the page phase, the writes
    # of finished sources included), "write" (inside Store.replace_source), "page_seconds" (the
    # sum of PageOcr.seconds: load, preprocess and Tesseract per page, added over the workers;
    # a page taken from the cache counts its first OCR), "assemble" (read the corpus, collate,
    # fuse, structure: building the derived rows), "index" (views and search index) and
    # "store_derived" (writing the derived rows, as they come, the index excluded).
    # bench/pipeline_cost.py prints them.
    stages: dict[str, float] = field(default_factory=dict)

    @property
    def processed_anything(self) -> bool:
        return bool(set(self.new) - set(self.failed)) or bool(self.unchanged)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Add the time spent in the block to stages[name]."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.stages[name] = self.stages.get(name, 0.0) + time.perf_counter() - started

    def count(self, store: Store) -> None:
        self.pages, self.words, self.documents = store.query(
            "SELECT (SELECT count(*) FROM pages), (SELECT count(*) FROM words w JOIN witnesses x "
            "USING (witness_id) WHERE x.kind = 'ocr'), (SELECT count(*) FROM documents)")[0]
