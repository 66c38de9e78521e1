"""The pure helpers of bench/pipeline_cost.py and RunSummary's stage timer (no timing here)."""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

import pytest

from archivist.summary import RunSummary

_SPEC = importlib.util.spec_from_file_location(
    "pipeline_cost", Path(__file__).resolve().parents[1] / "bench" / "pipeline_cost.py")
pipeline_cost = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(pipeline_cost)


def test_cost_ratio_counts_every_worker_busy_for_the_whole_wall():
    assert pipeline_cost.cost_ratio(60.0, 2, 100.0) == pytest.approx(1.2)
    assert pipeline_cost.cost_ratio(120.0, 1, 100.0) == pytest.approx(1.2)


@pytest.mark.parametrize("value, target, higher, expected", [
    (1.8, 1.8, False, "PASS"), (1.81, 1.8, False, "MISS"),
    (1.7, 1.7, True, "PASS"), (1.69, 1.7, True, "MISS"),
])
def test_verdict_at_and_beyond_the_target(value, target, higher, expected):
    assert pipeline_cost.verdict(value, target, higher) == expected


def test_sidecar_pages_split_on_form_feeds():
    text = "first page\n\fsecond page\n\f[OCR skipped on page(s) 3]\f"
    assert pipeline_cost.sidecar_pages(text, 3) == ["first page\n", "second page\n", ""]


def test_sidecar_pages_pads_missing_and_drops_extra_pages():
    assert pipeline_cost.sidecar_pages("only one\f", 2) == ["only one", ""]
    assert pipeline_cost.sidecar_pages("a\fb\fc", 2) == ["a", "b"]


def test_stage_timer_adds_up_and_survives_errors():
    summary = RunSummary()
    with summary.stage("write"):
        time.sleep(0.01)
    with pytest.raises(ValueError):
        with summary.stage("write"):
            time.sleep(0.01)
            raise ValueError("boom")
    assert summary.stages["write"] >= 0.02
    assert set(summary.stages) == {"write"}
