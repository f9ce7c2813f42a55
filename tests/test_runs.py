"""Run records: tasks and runs are stored as they go; a failed task fails its run."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from aerolake.serving import ServingTarget, open_target
from aerolake.serving.health import check_bus, check_lake_writable, check_serving
from aerolake.serving.runs import RunRecorder

T0 = dt.datetime(2024, 6, 1, 12, 0, tzinfo=dt.UTC)


def ticking(step_s: float = 1.0) -> Callable[[], dt.datetime]:
    """A clock that advances ``step_s`` per reading."""
    state = {"now": T0}

    def now() -> dt.datetime:
        value = state["now"]
        state["now"] = value + dt.timedelta(seconds=step_s)
        return value

    return now


@pytest.fixture(params=["duckdb", pytest.param("postgresql", marks=pytest.mark.postgres)])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ServingTarget]:
    if request.param == "duckdb":
        url = f"duckdb:///{tmp_path / 'serving.duckdb'}"
    else:
        url = str(request.getfixturevalue("pg_url"))
    opened = open_target(url)
    yield opened
    opened.close()


def records(target: ServingTarget, table: str) -> list[dict[str, Any]]:
    return target.query(f"SELECT * FROM {table} ORDER BY started_at").to_pylist()


def test_successful_run_records_run_and_tasks(target: ServingTarget) -> None:
    recorder = RunRecorder(target, settings={"serving": "postgresql://u:***@h/db"}, clock=ticking())
    with recorder.run("batch", trigger="cli", run_id="r1") as run, run.task("silver") as task:
        task.rows_in = 1000
        task.rows_out = 990
        task.add_quarantine("bad_position", 7)
        task.add_quarantine("bad_icao24", 3)
        task.add_layer_stats("silver", files=2, bytes=2048)
        task.add_layer_stats("silver", files=1, bytes=1024)
        task.metrics["stale_share"] = 0.25
        task.metrics["nan_metric"] = float("nan")
    [stored] = records(target, "pipeline_runs")
    assert stored["run_id"] == "r1" and stored["status"] == "succeeded"
    assert stored["kind"] == "batch" and stored["trigger"] == "cli"
    assert stored["started_at"] == T0 and stored["ended_at"] == T0 + dt.timedelta(seconds=3)
    assert json.loads(stored["settings_json"]) == {"serving": "postgresql://u:***@h/db"}
    [task_row] = records(target, "task_runs")
    assert task_row["status"] == "succeeded" and task_row["duration_s"] == 1.0
    assert (task_row["rows_in"], task_row["rows_out"], task_row["rows_quarantined"]) == (
        1000,
        990,
        10,
    )
    assert json.loads(task_row["quarantine_json"]) == {"bad_icao24": 3, "bad_position": 7}
    assert json.loads(task_row["files_json"]) == {"silver": 3}
    assert json.loads(task_row["bytes_json"]) == {"silver": 3072}
    assert json.loads(task_row["metrics_json"]) == {"nan_metric": None, "stale_share": 0.25}


def test_run_row_exists_while_running(target: ServingTarget) -> None:
    recorder = RunRecorder(target, clock=ticking())
    with recorder.run("ingest", trigger="schedule", run_id="live") as run:
        [row] = records(target, "pipeline_runs")
        assert row["status"] == "running" and row["ended_at"] is None
        assert run.status == "running"


def test_failing_task_fails_itself_and_the_run_and_reraises(target: ServingTarget) -> None:
    recorder = RunRecorder(target, clock=ticking())
    with pytest.raises(ValueError, match="boom"), recorder.run("batch", "cli", run_id="r2") as run:
        with run.task("bronze"):
            pass
        with run.task("silver"):
            raise ValueError("boom")
    [stored] = records(target, "pipeline_runs")
    assert stored["status"] == "failed" and "ValueError: boom" in stored["error"]
    statuses = {r["task"]: (r["status"], r["error"]) for r in records(target, "task_runs")}
    assert statuses == {"bronze": ("succeeded", None), "silver": ("failed", "ValueError: boom")}


def test_caught_task_failure_still_fails_the_run(target: ServingTarget) -> None:
    recorder = RunRecorder(target, clock=ticking())
    with recorder.run("load", "cli", run_id="r3") as run:
        with pytest.raises(RuntimeError), run.task("copy"):
            raise RuntimeError("disk full")
        with run.task("report"):
            pass
    [stored] = records(target, "pipeline_runs")
    assert stored["status"] == "failed"
    assert stored["error"] == "task copy failed: RuntimeError: disk full"


def test_repeated_task_names_get_their_own_rows(target: ServingTarget) -> None:
    recorder = RunRecorder(target, clock=ticking())
    with recorder.run("speed-flush", "stream", run_id="r4") as run:
        for _ in range(3):
            with run.task("flush") as task:
                task.rows_out = 5
    assert [r["task"] for r in records(target, "task_runs")] == ["flush", "flush#2", "flush#3"]


def test_health_checks_are_stored_with_the_run(target: ServingTarget, tmp_path: Path) -> None:
    recorder = RunRecorder(target)
    with recorder.run("batch", "cli", run_id="r5") as run:
        run.record_health(check_lake_writable(str(tmp_path / "lake")))
        run.record_health(check_serving(target))
        run.record_health(check_bus("kafka://127.0.0.1:1", lambda: 1 / 0))
    rows = target.query("SELECT * FROM health_checks ORDER BY check_name").to_pylist()
    assert [(r["check_name"], r["ok"]) for r in rows] == [
        ("bus", False),
        ("lake_writable", True),
        ("serving_database", True),
    ]
    assert "ZeroDivisionError" in rows[0]["detail"]
    assert list((tmp_path / "lake" / "_health").iterdir()) == []  # the probe cleaned up
