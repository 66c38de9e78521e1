"""The run's story in the Prefect UI: a table of what each source gave and a short report.

The same figures as the CLI's closing summary, so a scheduled run seen in the UI tells what a
run from the terminal tells. Artifacts are a view, never the record: the database is.
"""

from __future__ import annotations

import logging

from prefect.artifacts import create_markdown_artifact, create_table_artifact

from archivist.store import Store
from archivist.summary import RunSummary

log = logging.getLogger(__name__)


def publish_run(summary: RunSummary, store: Store) -> None:
    """A table of this run's sources and a markdown summary, keyed so the UI keeps a history."""
    try:
        create_table_artifact(_source_rows(summary, store), key="archivist-sources",
                              description="Sources processed by this run")
        create_markdown_artifact(_report(summary), key="archivist-run",
                                 description="archivist run summary")
    except Exception as exc:  # the UI's copy must never fail a run whose data is stored
        log.warning("could not publish the run's Prefect artifacts: %s", exc)


def _source_rows(summary: RunSummary, store: Store) -> list[dict]:
    if not summary.new:
        return [{"path": "(no new or changed source)", "status": "", "pages": 0, "error": ""}]
    rows = store.query("""
        SELECT s.path, s.status, count(p.page_id), coalesce(s.error, '')
        FROM sources s LEFT JOIN pages p USING (source_id)
        WHERE list_contains(?, s.path) GROUP BY ALL ORDER BY s.path""", [summary.new])
    return [{"path": p, "status": st, "pages": n, "error": e} for p, st, n, e in rows]


def _report(summary: RunSummary) -> str:
    lines = [
        "# archivist run",
        "",
        "| | |", "|---|---|",
        f"| sources | {len(summary.new) - len(summary.failed)} new, {len(summary.unchanged)} "
        f"unchanged, {len(summary.failed)} failed, {summary.removed} removed |",
        f"| pages in the corpus | {summary.pages} |",
        f"| OCR words | {summary.words} |",
        f"| documents | {summary.documents} |",
        f"| elapsed | {summary.elapsed_s:.1f} s |",
    ]
    if summary.run_id:
        lines.append(f"| OCR run | `{summary.run_id}` |")
    if summary.failures:
        lines += ["", "## Failures", ""] + [f"- {_md(line)}" for line in summary.failures]
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    """A failure message as literal markdown text (file names can hold `*`, `_`, `|`, `<`)."""
    for ch in "\\`*_[]<>|#":
        text = text.replace(ch, "\\" + ch)
    return text
