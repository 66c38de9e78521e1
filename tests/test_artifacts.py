"""A run's summary is published as Prefect artifacts, so the UI tells what the CLI tells."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from flows.artifacts import _md, _report
from archivist.summary import RunSummary
from conftest import REPO_SEED


def test_report_escapes_markdown_in_file_names():
    summary = RunSummary(new=["a|b.png"], failed=["a|b.png"],
                         failures=["box_1/*x*.png page 1: load: <b>truncated</b>"])
    report = _report(summary)
    assert "\\*x\\*" in report and "\\<b\\>" in report and "box\\_1" in report
    assert "| sources | 0 new, 0 unchanged, 1 failed, 0 removed |" in report


def test_markdown_escape_leaves_plain_text_alone():
    assert _md("scan 12 page 3: Tesseract timed out") == "scan 12 page 3: Tesseract timed out"


@pytest.mark.integration
def test_a_flow_run_publishes_a_table_and_a_markdown_artifact(tmp_path: Path):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
    from prefect.client.schemas.sorting import ArtifactSort

    from flows.process_collection import run_collection

    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(REPO_SEED, raw)
    summary = run_collection(str(raw), str(tmp_path / "a.duckdb"), 1)
    assert summary.documents == 1

    found = {}
    with get_client(sync_client=True) as client:  # newest first: other tests' runs came before
        for artifact in client.read_artifacts(
                artifact_filter=ArtifactFilter(key=ArtifactFilterKey(
                    any_=["archivist-run", "archivist-sources"])),
                sort=ArtifactSort.CREATED_DESC):
            found.setdefault(artifact.key, artifact)
    assert found["archivist-run"].type == "markdown"
    assert "| documents | 1 |" in found["archivist-run"].data
    assert found["archivist-sources"].type == "table"
    assert REPO_SEED.name in str(found["archivist-sources"].data)
