"""Both serving targets: atomic loads, partitions, watermarks, schema checks, bad input.

PostgreSQL cases run against a real server (marker ``postgres``; see tests/conftest.py).
"""

from __future__ import annotations

import datetime as dt
import math
import threading
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from aerolake.errors import ServingError
from aerolake.serving import Retry, ServingTarget, open_target
from aerolake.serving.synthetic import synthetic_rows

NO_WAIT = Retry(delays_s=(0.0, 0.0), sleep=lambda _s: None)
DAYS = [dt.date(2024, 6, 1), dt.date(2024, 6, 2), dt.date(2024, 6, 3)]


@pytest.fixture(params=["duckdb", pytest.param("postgresql", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    if request.param == "duckdb":
        return f"duckdb:///{tmp_path / 'serving.duckdb'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def target(url: str) -> Any:
    opened = open_target(url, retry=NO_WAIT)
    yield opened
    opened.close()


def raw_execute(url: str, sql: str) -> None:
    """Run DDL/DML outside the target, as another tool or an old version would."""
    if url.startswith("duckdb"):
        conn = duckdb.connect(url.removeprefix("duckdb:///"))
        conn.execute(sql)
        conn.close()
    else:
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql)


def flights(n: int = 300, offset: int = 0) -> pa.Table:
    return synthetic_rows("fact_flight_history", n, start=DAYS[0], days=3, offset=offset)


def rows_of(target: ServingTarget, table: str, key: str) -> list[dict[str, Any]]:
    return target.query(f"SELECT * FROM {table} ORDER BY {key}").to_pylist()


def test_load_then_read_back_equals_the_input(target: ServingTarget) -> None:
    data = flights()
    target.replace_tables(
        {"fact_flight_history": data, "raw_telemetry": synthetic_rows("raw_telemetry", 50)}
    )
    assert (
        rows_of(target, "fact_flight_history", "flight_id") == data.sort_by("flight_id").to_pylist()
    )
    assert target.query("SELECT count(*) AS n FROM raw_telemetry").to_pylist() == [{"n": 50}]
    back = target.query("SELECT first_seen, flight_date FROM fact_flight_history LIMIT 1")
    assert back.schema.field("first_seen").type == pa.timestamp("us", tz="UTC")
    assert back.schema.field("flight_date").type == pa.date32()


def test_reload_with_same_content_is_idempotent(target: ServingTarget) -> None:
    data = flights()
    target.replace_tables({"fact_flight_history": data}, watermark={"fact": "2024-06-03"})
    first = rows_of(target, "fact_flight_history", "flight_id")
    target.replace_tables({"fact_flight_history": data}, watermark={"fact": "2024-06-03"})
    assert rows_of(target, "fact_flight_history", "flight_id") == first
    assert len(first) == 300
    assert target.watermark("fact") == "2024-06-03"


def test_full_replace_drops_rows_not_in_the_new_data(target: ServingTarget) -> None:
    target.replace_tables({"fact_flight_history": flights(300)})
    target.replace_tables({"fact_flight_history": flights(10, offset=1000)})
    ids = [r["flight_id"] for r in rows_of(target, "fact_flight_history", "flight_id")]
    assert ids == sorted(f"flight_id-{i}" for i in range(1000, 1010))


def test_replace_partitions_equals_full_replace(target: ServingTarget) -> None:
    old = flights(300)
    target.replace_tables({"fact_flight_history": old})
    # Day 2 is recomputed with different flights; days 1 and 3 stay.
    new_day2 = flights(300, offset=5000).filter(pc.equal(pc.field("flight_date"), DAYS[1]))
    expected = pa.concat_tables(
        [old.filter(pc.not_equal(pc.field("flight_date"), DAYS[1])), new_day2]
    )
    target.replace_partitions(
        "fact_flight_history", new_day2, "flight_date", [DAYS[1]], watermark={"fact": "d2"}
    )
    assert (
        rows_of(target, "fact_flight_history", "flight_id")
        == expected.sort_by("flight_id").to_pylist()
    )
    assert target.watermark("fact") == "d2"
    # Replaying the same partition is idempotent.
    target.replace_partitions("fact_flight_history", new_day2, "flight_date", [DAYS[1]])
    assert len(rows_of(target, "fact_flight_history", "flight_id")) == expected.num_rows


def test_replace_partitions_with_no_rows_empties_the_partition(target: ServingTarget) -> None:
    target.replace_tables({"fact_flight_history": flights(30)})
    empty = flights(0)
    target.replace_partitions("fact_flight_history", empty, "flight_date", [DAYS[2]])
    dates = {r["flight_date"] for r in rows_of(target, "fact_flight_history", "flight_id")}
    assert dates == {DAYS[0], DAYS[1]}


def test_replace_partitions_creates_a_missing_table(target: ServingTarget) -> None:
    day = synthetic_rows("dim_airspace_heatmap", 24, start=DAYS[0], days=1)
    target.replace_partitions("dim_airspace_heatmap", day, "date", [DAYS[0]])
    assert target.query("SELECT count(*) AS n FROM dim_airspace_heatmap").to_pylist() == [{"n": 24}]


def test_rows_outside_the_replaced_partitions_are_refused(target: ServingTarget) -> None:
    target.replace_tables({"fact_flight_history": flights(30)})
    with pytest.raises(ServingError, match="outside the partitions"):
        target.replace_partitions("fact_flight_history", flights(30), "flight_date", [DAYS[0]])
    assert len(rows_of(target, "fact_flight_history", "flight_id")) == 30


def test_failed_load_keeps_old_data_and_old_watermark(target: ServingTarget) -> None:
    old = flights(30)
    telemetry = synthetic_rows("raw_telemetry", 20)
    target.replace_tables(
        {"fact_flight_history": old, "raw_telemetry": telemetry}, watermark={"fact": "v1"}
    )
    duplicate_keys = pa.concat_tables([telemetry, telemetry.slice(0, 1)])  # PK violation
    with pytest.raises(ServingError, match="rolled back"):
        target.replace_tables(
            {"fact_flight_history": flights(5, offset=900), "raw_telemetry": duplicate_keys},
            watermark={"fact": "v2"},
        )
    assert (
        rows_of(target, "fact_flight_history", "flight_id") == old.sort_by("flight_id").to_pylist()
    )
    assert target.query("SELECT count(*) AS n FROM raw_telemetry").to_pylist() == [{"n": 20}]
    assert target.watermark("fact") == "v1"


def test_failed_partition_replace_keeps_old_rows_and_watermark(target: ServingTarget) -> None:
    old = flights(30)
    target.replace_tables({"fact_flight_history": old}, watermark={"fact": "v1"})
    day = old.filter(pc.equal(pc.field("flight_date"), DAYS[0]))
    broken = pa.concat_tables([day, day.slice(0, 1)])
    with pytest.raises(ServingError):
        target.replace_partitions(
            "fact_flight_history", broken, "flight_date", [DAYS[0]], watermark={"fact": "v2"}
        )
    assert len(rows_of(target, "fact_flight_history", "flight_id")) == 30
    assert target.watermark("fact") == "v1"


def test_nan_and_infinity_are_stored_as_null(target: ServingTarget) -> None:
    data = synthetic_rows("raw_telemetry", 4)
    col = data.schema.get_field_index("velocity")
    data = data.set_column(col, "velocity", pa.array([math.nan, math.inf, -math.inf, 3.0]))
    target.replace_tables({"raw_telemetry": data})
    out = target.query("SELECT velocity FROM raw_telemetry ORDER BY icao24")
    assert out.column("velocity").to_pylist() == [None, None, None, 3.0]
    nulls = target.query("SELECT count(*) AS n FROM raw_telemetry WHERE velocity IS NULL")
    assert nulls.to_pylist() == [{"n": 3}]


def test_unexpected_live_schema_raises_and_migrate_sets_it_aside(
    url: str, target: ServingTarget
) -> None:
    raw_execute(url, "CREATE TABLE dim_route_analytics (route TEXT, flights INTEGER)")
    raw_execute(url, "INSERT INTO dim_route_analytics VALUES ('VIDP-VABB', 7)")
    data = synthetic_rows("dim_route_analytics", 5)
    with pytest.raises(ServingError) as err:
        target.replace_tables({"dim_route_analytics": data})
    message = str(err.value)
    assert "dim_route_analytics" in message and "'flights'" in message
    assert "'origin_icao'" in message and "migrate" in message
    kept = target.query("SELECT * FROM dim_route_analytics").to_pylist()
    assert kept == [{"route": "VIDP-VABB", "flights": 7}]

    moved = target.migrate()
    assert len(moved) == 1 and moved[0].startswith("dim_route_analytics__legacy_")
    target.replace_tables({"dim_route_analytics": data})
    assert target.query(f'SELECT * FROM "{moved[0]}"').to_pylist() == kept
    assert len(rows_of(target, "dim_route_analytics", "origin_icao")) == 5


def test_changed_bookkeeping_table_fails_at_open(url: str) -> None:
    raw_execute(url, "CREATE TABLE serving_watermarks (name TEXT PRIMARY KEY, value BIGINT)")
    with pytest.raises(ServingError, match=r"serving_watermarks.*updated_at"):
        open_target(url, retry=NO_WAIT)


def test_query_is_read_only(target: ServingTarget) -> None:
    target.replace_tables({"raw_telemetry": synthetic_rows("raw_telemetry", 3)})
    with pytest.raises(ServingError):
        target.query("DELETE FROM raw_telemetry")
    assert target.query("SELECT count(*) AS n FROM raw_telemetry").to_pylist() == [{"n": 3}]


def test_query_parameters_are_positional(target: ServingTarget) -> None:
    target.replace_tables({"fact_flight_history": flights(30)})
    out = target.query(
        "SELECT count(*) AS n FROM fact_flight_history WHERE flight_date = $1 AND icao24 <> $2",
        [DAYS[0], "icao24-0"],
    )
    assert out.to_pylist() == [{"n": 9}]


def test_unknown_table_is_refused(target: ServingTarget) -> None:
    with pytest.raises(ServingError, match="unknown serving table 'flights'"):
        target.replace_tables({"flights": flights(1)})


def test_concurrent_reader_never_sees_a_missing_or_empty_table(target: ServingTarget) -> None:
    target.replace_tables({"fact_flight_history": flights(3000)})
    stop = threading.Event()
    counts: list[int] = []
    errors: list[str] = []

    def read() -> None:
        while not stop.is_set():
            try:
                counts.append(
                    target.query("SELECT count(*) AS n FROM fact_flight_history")
                    .column(0)[0]
                    .as_py()
                )
            except Exception as exc:
                errors.append(repr(exc))

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for round_ in range(6):
            target.replace_tables({"fact_flight_history": flights(3000, offset=round_ * 10_000)})
    finally:
        stop.set()
        reader.join()
    assert errors == []
    assert counts and set(counts) == {3000}


def test_unreachable_postgres_fails_after_bounded_retries_with_password_redacted() -> None:
    sleeps: list[float] = []
    retry = Retry(delays_s=(0.25, 1.0), sleep=sleeps.append)
    with pytest.raises(ServingError) as err:
        open_target("postgresql://aero:s3cret-pw@127.0.0.1:1/serving", retry=retry)
    message = str(err.value)
    assert sleeps == [0.25, 1.0]
    assert "postgresql://aero:***@127.0.0.1:1/serving" in message
    assert "after 3 attempts" in message
    assert "s3cret-pw" not in message and "s3cret-pw" not in repr(err.value.__cause__)


def test_unopenable_duckdb_file_fails_after_bounded_retries(tmp_path: Any) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    sleeps: list[float] = []
    with pytest.raises(ServingError, match="after 3 attempts"):
        open_target(f"duckdb:///{blocker}/serving.duckdb", retry=Retry(sleep=sleeps.append))
    assert sleeps == [0.5, 2.0]


def test_unknown_scheme_is_refused() -> None:
    with pytest.raises(ServingError, match=r"unsupported serving URL 'mysql://u:\*\*\*@h/db'"):
        open_target("mysql://u:pw@h/db")


def test_apply_commits_partitions_tables_and_watermarks_together(target: ServingTarget) -> None:
    old = flights(30)
    telemetry = synthetic_rows("raw_telemetry", 20)
    target.replace_tables(
        {"fact_flight_history": old, "raw_telemetry": telemetry}, watermark={"w": "v1"}
    )
    day = old.filter(pc.equal(pc.field("flight_date"), DAYS[0]))
    # A failing whole-table part rolls back the partition part too.
    with pytest.raises(ServingError, match="rolled back"):
        target.apply(
            replace={"raw_telemetry": pa.concat_tables([telemetry, telemetry.slice(0, 1)])},
            partitions={"fact_flight_history": ("flight_date", [DAYS[0]], day.slice(0, 1))},
            watermark={"w": "v2"},
        )
    assert len(rows_of(target, "fact_flight_history", "flight_id")) == 30
    assert target.watermark("w") == "v1"
    # A good one lands whole.
    target.apply(
        replace={"raw_telemetry": telemetry.slice(0, 5)},
        partitions={"fact_flight_history": ("flight_date", [DAYS[0]], day.slice(0, 1))},
        watermark={"w": "v3"},
    )
    assert len(rows_of(target, "fact_flight_history", "flight_id")) == 30 - day.num_rows + 1
    assert target.query("SELECT count(*) AS n FROM raw_telemetry").to_pylist() == [{"n": 5}]
    assert target.watermark("w") == "v3"


def pg_tables(url: str) -> set[str]:
    import psycopg

    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT relname FROM pg_class WHERE relnamespace = current_schema()::regnamespace"
        ).fetchall()
    return {str(r[0]) for r in rows}


@pytest.mark.postgres
def test_postgres_staging_left_by_a_crash_is_replaced(pg_url: str) -> None:
    raw_execute(pg_url, "CREATE TABLE fact_flight_history__staging (junk INTEGER)")
    raw_execute(pg_url, "CREATE TABLE raw_telemetry__staging (junk INTEGER)")
    target = open_target(pg_url, retry=NO_WAIT)
    try:
        target.replace_tables(
            {
                "fact_flight_history": flights(40),
                "raw_telemetry": synthetic_rows("raw_telemetry", 9),
            }
        )
        assert len(rows_of(target, "fact_flight_history", "flight_id")) == 40
        assert target.query("SELECT count(*) AS n FROM raw_telemetry").to_pylist() == [{"n": 9}]
    finally:
        target.close()
    names = pg_tables(pg_url)
    assert not {n for n in names if "staging" in n}
    assert {"fact_flight_history_pkey", "fact_flight_history_route_idx"} <= names


@pytest.mark.postgres
def test_postgres_failed_parallel_build_leaves_no_staging_tables(pg_url: str) -> None:
    target = open_target(pg_url, retry=NO_WAIT)
    telemetry = synthetic_rows("raw_telemetry", 20)
    try:
        with pytest.raises(ServingError, match="rolled back"):
            target.replace_tables(
                {
                    "fact_flight_history": flights(50),
                    "raw_telemetry": pa.concat_tables([telemetry, telemetry.slice(3, 1)]),
                },
                watermark={"w": "v1"},
            )
        assert target.watermark("w") is None
        assert not target.table_exists("fact_flight_history")
    finally:
        target.close()
    assert not {n for n in pg_tables(pg_url) if "staging" in n}


def test_last_load_reports_each_phase(target: ServingTarget) -> None:
    target.replace_tables({"fact_flight_history": flights(20)})
    phases = target.last_load  # type: ignore[attr-defined]
    assert {"conform", "load transaction"} <= set(phases)
    assert all(seconds >= 0 for seconds in phases.values())
    if "fact_flight_history: copy" in phases:  # PostgreSQL builds staging tables apart
        assert "fact_flight_history: index fact_flight_history_route_idx" in phases


@pytest.mark.postgres
@pytest.mark.parametrize("builders", [0, 1, 3])
def test_postgres_index_builders_give_the_ddl_indexes_and_primary_key(
    pg_url: str, builders: int
) -> None:
    target = open_target(pg_url, retry=NO_WAIT)
    try:
        target.index_builders = builders  # type: ignore[attr-defined]
        telemetry = synthetic_rows("raw_telemetry", 30)
        target.replace_tables({"fact_flight_history": flights(60), "raw_telemetry": telemetry})
        assert len(rows_of(target, "fact_flight_history", "flight_id")) == 60
        # Row 0 again under row 1's flight: its (icao24, time) key is taken, so it is refused.
        twin = telemetry.slice(0, 1)
        position = twin.schema.get_field_index("flight_id")
        other_flight = telemetry["flight_id"][1].as_py()
        twin = twin.set_column(position, "flight_id", pa.array([other_flight]))
        with pytest.raises(ServingError, match="rolled back"):
            target.replace_partitions("raw_telemetry", twin, "flight_id", [other_flight])
    finally:
        target.close()
    import psycopg

    with psycopg.connect(pg_url) as conn:
        indexes = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'fact_flight_history'"
        ).fetchall()
        constraints = conn.execute(
            "SELECT conname, contype FROM pg_constraint WHERE conrelid = 'raw_telemetry'::regclass"
        ).fetchall()
    assert {name for name, _ in indexes} == {
        "fact_flight_history_pkey",
        "fact_flight_history_flight_date_idx",
        "fact_flight_history_icao24_first_seen_idx",
        "fact_flight_history_route_idx",
        "fact_flight_history_callsign_idx",
    }
    assert ("raw_telemetry_pkey", "p") in constraints


@pytest.mark.postgres
def test_postgres_replaced_tables_are_dropped_also_after_a_crash_before_the_drop(
    pg_url: str,
) -> None:
    target = open_target(pg_url, retry=NO_WAIT)
    try:
        target.replace_tables({"fact_flight_history": flights(10)})
        # What a crash between the swap's commit and the drop leaves behind.
        raw_execute(pg_url, "CREATE TABLE fact_flight_history__retired (junk INTEGER)")
        target.replace_tables({"fact_flight_history": flights(20, offset=100)})
        target.replace_tables({"fact_flight_history": flights(30, offset=200)})
        rows = rows_of(target, "fact_flight_history", "flight_id")
        assert [r["flight_id"] for r in rows] == flights(30, offset=200)["flight_id"].to_pylist()
    finally:
        target.close()
    names = pg_tables(pg_url)
    assert not {n for n in names if "retired" in n or "staging" in n}
    assert {"fact_flight_history_pkey", "fact_flight_history_callsign_idx"} <= names
