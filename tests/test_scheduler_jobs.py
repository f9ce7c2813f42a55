"""The jobs the scheduler and the DAGs run: each one call = one recorded pipeline run; a failed
step fails its run; a re-run on unchanged input writes nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from aerolake.errors import ConfigError
from aerolake.orchestration import jobs
from aerolake.orchestration.history import write_history
from aerolake.orchestration.scheduler import Job, Scheduler
from aerolake.serving import open_target
from aerolake.settings import Settings, load_settings

START = dt.datetime(2024, 6, 1, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("history")
    write_history(out, load_settings().region_def, START, 2, aircraft=30, seed=5)
    return out


def settings_for(data_dir: Path, **kw: Any) -> Settings:
    return load_settings(data_dir=data_dir, lake_url=None, serving_url=None, **kw)


def runs(settings: Settings) -> list[dict[str, Any]]:
    target = open_target(settings.serving)
    try:
        return target.query(
            "SELECT kind, trigger, status, error FROM pipeline_runs ORDER BY started_at"
        ).to_pylist()
    finally:
        target.close()


def test_ingest_silver_gold_load_each_record_one_run(tmp_path: Path, history: Path) -> None:
    settings = settings_for(tmp_path, files_path=str(history))
    ingested = jobs.ingest_job(settings, trigger="airflow")
    assert ingested.count("ingested") == 2 and ingested.rows > 0
    silver = jobs.silver_job(settings, trigger="airflow")
    assert silver.partitions_built == 2
    merge = jobs.merge_job(settings, trigger="airflow")
    assert merge.batch_hours == 2
    flights = jobs.flights_job(settings, trigger="airflow")
    assert flights.flights > 0
    loaded = jobs.load_job(settings, trigger="airflow")
    assert loaded.rows["fact_flight_history"] == flights.flights
    assert [r["kind"] for r in runs(settings)] == [
        "ingest",
        "silver",
        "gold-merge",
        "gold-flights",
        "load",
    ]
    assert {(r["trigger"], r["status"]) for r in runs(settings)} == {("airflow", "succeeded")}
    # idempotent: the hourly job finds nothing to do on an unchanged lake
    again = jobs.speed_to_gold_job(settings)
    assert again.merge.changed == [] and again.flights.dates_built == 0


def test_batch_job_is_silver_gold_and_load_in_one_run(tmp_path: Path, history: Path) -> None:
    settings = settings_for(tmp_path)
    jobs.ingest_job(settings, [history])
    result = jobs.batch_job(settings)
    assert result.batch.flights > 0
    assert result.load is not None and result.load.rows["fact_flight_history"] > 0
    assert [(r["kind"], r["status"]) for r in runs(settings)] == [
        ("ingest", "succeeded"),
        ("batch", "succeeded"),
    ]
    unloaded = jobs.batch_job(settings, load=False)
    assert unloaded.load is None and unloaded.batch.nothing_to_do


def test_ingest_job_needs_paths(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="AEROLAKE_FILES_PATH"):
        jobs.ingest_job(settings_for(tmp_path))


def test_a_failing_step_fails_its_run(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    with pytest.raises(ConfigError, match="no such file"):
        jobs.ingest_job(settings, [tmp_path / "missing"], trigger="schedule")
    [run] = runs(settings)
    assert (run["kind"], run["trigger"], run["status"]) == ("ingest", "schedule", "failed")
    assert "no such file" in run["error"]


def test_a_corrupt_file_fails_a_strict_ingest_but_not_a_lenient_one(tmp_path: Path) -> None:
    bad = tmp_path / "files" / "states_2024-06-01-00.csv"
    bad.parent.mkdir()
    bad.write_text("this is not a states file\n\x00\x01")
    settings = settings_for(tmp_path / "data")
    lenient = jobs.ingest_job(settings, [bad], strict=False)
    assert lenient.failed
    with pytest.raises(Exception, match="failed to ingest"):
        jobs.ingest_job(settings, [bad], force=True)
    assert [r["status"] for r in runs(settings)] == ["succeeded", "failed"]


def test_the_scheduler_records_a_failed_job_run_and_keeps_going(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    missing = tmp_path / "missing"
    sched = Scheduler(
        [Job("ingest", None, lambda: jobs.ingest_job(settings, [missing]), at_start=True)],
        threaded=False,
    )
    assert sched.tick() == ["ingest"]
    assert sched.state()["ingest"]["status"] == "failed"
    assert [r["status"] for r in runs(settings)] == ["failed"]
