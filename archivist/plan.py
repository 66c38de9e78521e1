"""Decide what a run must do before any work starts: new or changed sources, the rest skipped."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from archivist.config import Settings
from archivist.discover import Source, discover
from archivist.ocr import tesseract_version
from archivist.store import KnownSource, Store


@dataclass
class Plan:
    settings_hash: str
    todo: list[Source] = field(default_factory=list)
    unchanged: list[Source] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # source ids no longer on disk

    @property
    def has_work(self) -> bool:
        return bool(self.todo or self.removed)


def settings_hash(settings: Settings) -> str:
    return settings.fingerprint(engine_version=tesseract_version())


def make_plan(input_path: Path | str, known: dict[str, KnownSource], settings: Settings,
              known_paths: dict[str, str] | None = None) -> Plan:
    """A source is skipped only when its bytes and the settings are those of a complete earlier
    run; failed or partial sources are tried again (a time-out may not recur)."""
    fingerprint = settings_hash(settings)
    plan = Plan(settings_hash=fingerprint)
    sources = discover(input_path)
    for source in sources:
        before = known.get(source.source_id)
        unchanged = (before is not None and before.sha256 == source.sha256
                     and before.settings_hash == fingerprint and before.status == "done")
        (plan.unchanged if unchanged else plan.todo).append(source)
    present = {s.source_id for s in sources}
    root = Path(input_path).resolve()
    for sid, path in (known_paths or {}).items():
        if sid not in present and Path(path).resolve().is_relative_to(root):
            plan.removed.append(sid)
    return plan


def plan_from_db(input_path: Path | str, db_path: Path | str, settings: Settings) -> Plan:
    """Plan against the database without taking the write lock (read-only when it exists)."""
    if not Path(db_path).exists():
        return make_plan(input_path, {}, settings)
    with Store(db_path, read_only=True) as store:
        known = store.known_sources()
        paths = dict(store.query("SELECT source_id, path FROM sources"))
    return make_plan(input_path, known, settings, paths)
