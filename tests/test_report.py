"""The metrics report: its sections, honest efficiency, failed runs shown as failed."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from aerolake.errors import ServingError
from aerolake.serving import ServingTarget, open_target
from aerolake.serving.health import HealthCheck
from aerolake.serving.report import RunView, format_report, render_report
from aerolake.serving.runs import RunRecorder

T0 = dt.datetime(2024, 6, 1, 12, 0, tzinfo=dt.UTC)
SECTIONS = [
    "RUN INFORMATION",
    "TASK EXECUTION METRICS",
    "DATA LAYER STATISTICS",
    "DATA PROCESSING METRICS",
    "PERFORMANCE SUMMARY",
    "HEALTH CHECKS",
]


@pytest.fixture
def target(tmp_path: Path) -> Iterator[ServingTarget]:
    opened = open_target(f"duckdb:///{tmp_path / 'serving.duckdb'}")
    yield opened
    opened.close()


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def task(name: str, start: float, end: float, **fields: object) -> dict[str, object]:
    row: dict[str, object] = {
        "task": name,
        "started_at": at(start),
        "ended_at": at(end),
        "duration_s": end - start,
        "status": "succeeded",
        "rows_in": None,
        "rows_out": None,
        "rows_quarantined": None,
        "quarantine_json": "{}",
        "files_json": "{}",
        "bytes_json": "{}",
        "metrics_json": "{}",
        "error": None,
    }
    row.update(fields)
    return row


def run_row(end: float | None, status: str = "succeeded") -> dict[str, object]:
    return {
        "run_id": "r1",
        "kind": "batch",
        "trigger": "cli",
        "started_at": T0,
        "ended_at": at(end) if end is not None else None,
        "status": status,
        "error": None,
        "settings_json": "{}",
    }


def figure(report: str, label: str) -> str:
    match = re.search(rf"^  {re.escape(label)}\s*: (.*)$", report, re.M)
    assert match, f"{label} not in report"
    return match.group(1)


def test_rendered_from_stored_records_with_every_section(target: ServingTarget) -> None:
    clock = iter(at(s) for s in [0, 0, 4, 4, 9, 10])
    recorder = RunRecorder(target, clock=lambda: next(clock))
    with recorder.run("batch", "cli", run_id="r1") as run:
        with run.task("silver") as t:
            t.rows_in, t.rows_out = 1_000_000, 999_000
            t.add_quarantine("bad_position", 1000)
            t.add_layer_stats("silver", files=4, bytes=3 * 1024 * 1024)
        with run.task("gold") as t:
            t.rows_in, t.rows_out = 999_000, 1234
            t.metrics["flights"] = 1234
        run.record_health(HealthCheck("lake_writable", True, "ok", 1.5, at(9)))
        run.record_health(HealthCheck("bus", False, "refused", 2.0, at(9)))
    report = render_report(target)  # the latest run
    assert all(title in report for title in SECTIONS)
    assert figure(report, "Status") == "SUCCEEDED"
    assert figure(report, "Wall time") == "10.00 s"
    assert figure(report, "Sum of task times") == "9.000 s"
    assert figure(report, "Efficiency") == "90.0% (covered / wall)"
    assert figure(report, "Throughput") == "100,000 rows/s (first task's input / wall time)"
    assert figure(report, "Rows quarantined") == "1,000"
    assert "silver" in report and "3.0 MiB" in report and "bad_position" in report
    assert "gold.flights: 1,234" in report
    assert "[FAIL] bus" in report and "1 of 2 checks passed" in report
    assert report == render_report(target, "r1")
    assert all(ord(ch) < 128 for ch in report)  # plain text, no emoji


def test_efficiency_never_exceeds_100_percent_with_overlapping_tasks() -> None:
    # Two parallel tasks of 8 s each inside a 10 s run: the sum (16 s) exceeds wall time.
    view = RunView(
        run_row(end=10),
        [task("a", 1, 9, rows_in=10), task("b", 1, 9, rows_in=10)],
        [],
    )
    report = format_report(view, now=at(100))
    assert figure(report, "Efficiency") == "80.0% (covered / wall)"
    assert figure(report, "Parallelism") == "2.00x (sum / covered)"
    assert figure(report, "Sum of task times") == "16.00 s"


def test_clock_skew_cannot_push_efficiency_past_100_percent() -> None:
    view = RunView(run_row(end=5), [task("a", -1, 7)], [])
    assert figure(format_report(view, now=at(100)), "Efficiency") == "100.0% (covered / wall)"


def test_a_failed_task_shows_a_failed_run_even_if_the_row_says_otherwise() -> None:
    view = RunView(
        run_row(end=3, status="succeeded"),
        [task("load", 0, 2, status="failed", error="ServingError: down")],
        [],
    )
    report = format_report(view, now=at(100))
    assert figure(report, "Status") == "FAILED"
    assert figure(report, "Failed tasks") == "load"
    assert "error: ServingError: down" in report


def test_missing_figures_print_as_dashes_not_zeros() -> None:
    report = format_report(RunView(run_row(end=None, status="running"), [], []), now=at(4))
    assert figure(report, "Ended (UTC)") == "- (still running)"
    assert figure(report, "Wall time") == "4.000 s"
    assert figure(report, "Rows into first task") == "-"
    assert figure(report, "Throughput") == "- rows/s (first task's input / wall time)"


def test_unknown_run_is_a_clear_error(target: ServingTarget) -> None:
    with pytest.raises(ServingError, match="no record of any run"):
        render_report(target)
    with pytest.raises(ServingError, match="no record of run 'nope'"):
        render_report(target, "nope")
