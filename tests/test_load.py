"""``load_serving``: full and incremental loads give the same tables; run records; PostgreSQL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from aerolake.lake import Lake
from aerolake.orchestration.load import (
    SERVING_TABLES,
    changed_dates,
    date_signatures,
    load_serving,
    with_neighbours,
)
from aerolake.serving import open_target
from aerolake.serving.report import render_report
from test_serving_models import (
    DAY1,
    DAY2,
    gold_flights,
    gold_states,
    read_all,
    scenario_states,
    settings,
    write_day,
)


@pytest.fixture(scope="module")
def gold() -> tuple[pa.Table, pa.Table]:
    states = gold_states(scenario_states())
    return states, gold_flights(states)


def test_changed_dates_and_neighbours() -> None:
    current = {"2024-03-04": "a", "2024-03-05": "b"}
    stored = {"2024-03-04": "a", "2024-03-03": "x"}
    assert changed_dates(current, stored) == {dt.date(2024, 3, 5), dt.date(2024, 3, 3)}
    assert with_neighbours([DAY1]) == {DAY1 - dt.timedelta(days=1), DAY1, DAY2}


def test_incremental_after_adding_a_day_equals_full(
    tmp_path: Path, gold: tuple[pa.Table, pa.Table]
) -> None:
    states, flights = gold
    lake = Lake.open(str(tmp_path / "lake"))
    config = settings(tmp_path)
    # Day 1 alone: the flight that lands after midnight has no state vectors for its end yet.
    write_day(lake, DAY1, states, flights)
    incremental = open_target("duckdb:///" + str(tmp_path / "inc.duckdb"))
    first = load_serving(config, lake, incremental, full=False)
    assert first.dates["fact_flight_history"] == [DAY1]
    before = read_all(incremental)
    [late] = [r for r in before["dim_aircraft_utilization"] if r["icao24"] == "800ddd"]
    assert late["last_altitude_m"] is None

    write_day(lake, DAY2, states, flights)
    second = load_serving(config, lake, incremental, full=False)
    assert second.dates["fact_flight_history"] == [DAY2]  # day 1 is unchanged
    assert second.dates["dim_airspace_heatmap"] == [DAY2]
    assert DAY1 in second.dates["dim_aircraft_utilization"]  # its last position moved
    got = read_all(incremental)
    assert got["fact_flight_history"][:3] == before["fact_flight_history"][:3]

    full_target = open_target("duckdb:///" + str(tmp_path / "full.duckdb"))
    load_serving(config, lake, full_target, full=True)
    want = read_all(full_target)
    for name in SERVING_TABLES:
        assert got[name] == want[name], name
        assert want[name], f"{name} is empty: the comparison proves nothing"
    [late] = [r for r in got["dim_aircraft_utilization"] if r["icao24"] == "800ddd"]
    assert late["last_altitude_m"] == 237.0

    third = load_serving(config, lake, incremental, full=False)
    assert third.nothing_to_do and third.dates == {}
    assert read_all(incremental) == got
    incremental.close()
    full_target.close()


def test_a_date_gone_from_gold_is_deleted(tmp_path: Path, gold: tuple[pa.Table, pa.Table]) -> None:
    states, flights = gold
    lake = Lake.open(str(tmp_path / "lake"))
    write_day(lake, DAY1, states, flights)
    write_day(lake, DAY2, states, flights)
    target = open_target("duckdb:///" + str(tmp_path / "s.duckdb"))
    load_serving(settings(tmp_path), lake, target, full=False)
    for table in ("gold/flights", "gold/state_vectors"):
        for partition in lake.partitions(table):
            if str(partition["date"]) == DAY2.isoformat():
                lake.delete_partition(table, partition)
    assert list(date_signatures(lake)) == [DAY1.isoformat()]
    summary = load_serving(settings(tmp_path), lake, target, full=False)
    assert DAY2 in summary.dates["fact_flight_history"]
    dates = target.query("SELECT DISTINCT flight_date FROM fact_flight_history")
    assert dates.column(0).to_pylist() == [DAY1]
    routes = target.query("SELECT MAX(last_flight_date) AS d FROM dim_route_analytics")
    assert routes.column(0).to_pylist() == [DAY1]
    target.close()


def test_a_load_records_a_run_with_a_task_per_table(
    tmp_path: Path, gold: tuple[pa.Table, pa.Table]
) -> None:
    states, flights = gold
    lake = Lake.open(str(tmp_path / "lake"))
    write_day(lake, DAY1, states, flights)
    target = open_target("duckdb:///" + str(tmp_path / "s.duckdb"))
    summary = load_serving(settings(tmp_path), lake, target, full=True)
    assert set(summary.rows) == set(SERVING_TABLES)
    assert all(summary.seconds[name] >= 0 for name in SERVING_TABLES)
    tasks = target.query(
        "SELECT task, rows_in, rows_out, status FROM task_runs WHERE run_id = $1",
        [summary.run_id],
    ).to_pylist()
    by_task = {t["task"]: t for t in tasks}
    for name in SERVING_TABLES:
        assert by_task[name]["rows_out"] == summary.rows[name]
        assert by_task[name]["status"] == "succeeded"
    gold_rows = sum(m.rows for m in lake.manifests("gold/state_vectors"))
    assert by_task["dim_airspace_heatmap"]["rows_in"] == gold_rows > 0
    count = target.query("SELECT COUNT(*) AS n FROM fact_flight_history").column(0)[0].as_py()
    assert summary.rows["fact_flight_history"] == count
    checks = target.query(
        "SELECT check_name, ok FROM health_checks WHERE run_id = $1", [summary.run_id]
    ).to_pylist()
    assert checks == [{"check_name": "serving_database", "ok": True}]
    assert "fact_flight_history" in render_report(target, summary.run_id)
    target.close()


@pytest.mark.postgres
def test_postgres_full_and_incremental_match_duckdb(
    tmp_path: Path, pg_url: str, gold: tuple[pa.Table, pa.Table]
) -> None:
    states, flights = gold
    lake = Lake.open(str(tmp_path / "lake"))
    config = settings(tmp_path)
    write_day(lake, DAY1, states, flights)
    pg = open_target(pg_url)
    load_serving(config, lake, pg, full=False)
    write_day(lake, DAY2, states, flights)
    load_serving(config, lake, pg, full=False)
    duck = open_target("duckdb:///" + str(tmp_path / "s.duckdb"))
    load_serving(config, lake, duck, full=True)
    got, want = read_all(pg), read_all(duck)
    for name in SERVING_TABLES:
        assert _rounded(got[name]) == _rounded(want[name]), name
    [route] = [r for r in got["dim_route_analytics"] if r["route"] == "VIDP-VABB"]
    assert route["total_flights"] == 2 and route["distinct_airlines"] == 1
    pg.close()
    duck.close()


def _rounded(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """PostgreSQL and DuckDB may differ in the last bit of a double; compare to 1e-9."""
    return [{k: round(v, 9) if isinstance(v, float) else v for k, v in row.items()} for row in rows]


def test_an_empty_lake_creates_empty_tables_once(tmp_path: Path) -> None:
    target = open_target("duckdb:///" + str(tmp_path / "s.duckdb"))
    lake = Lake.open(str(tmp_path / "lake"))
    first = load_serving(settings(tmp_path), lake, target)
    assert first.rows == dict.fromkeys(SERVING_TABLES, 0)
    assert all(target.table_exists(name) for name in SERVING_TABLES)
    assert load_serving(settings(tmp_path), lake, target).nothing_to_do
    target.close()
