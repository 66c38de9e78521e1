"""What a run did, for the closing summary of the CLI and the flow's return value."""

from __future__ import annotations

from dataclasses import dataclass, field

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

    @property
    def processed_anything(self) -> bool:
        return bool(set(self.new) - set(self.failed)) or bool(self.unchanged)

    def count(self, store: Store) -> None:
        self.pages, self.words, self.documents = store.query(
            "SELECT (SELECT count(*) FROM pages), (SELECT count(*) FROM words w JOIN witnesses x "
            "USING (witness_id) WHERE x.kind = 'ocr'), (SELECT count(*) FROM documents)")[0]
