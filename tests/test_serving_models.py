"""The serving models on hand-built gold: tracks of known shape between real airports.

The state vectors are written by hand (great-circle arcs sampled every 2 minutes); gold flights
are cut from them by the real segmentation, as ``aerolake batch`` does. Both go into a temporary
lake, ``load_serving`` fills a DuckDB serving database, and the tests check known answers.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from aerolake.analytics.engine import load_model, open_engine, render_sql
from aerolake.analytics.flights_schema import FLIGHT_SCHEMA
from aerolake.analytics.segment import segment_flights
from aerolake.batch.merge import GOLD_STATE_SCHEMA
from aerolake.lake import GOLD_FLIGHTS, GOLD_STATES, Lake
from aerolake.orchestration.load import SERVING_TABLES, load_serving, model_params
from aerolake.refdata.airports import load_airports
from aerolake.serving import TABLES, open_target
from aerolake.settings import Settings

DAY1 = dt.date(2024, 3, 4)
DAY2 = dt.date(2024, 3, 5)
STEP = 120  # s between points
TAXI = 3  # ground points at each end
AIR = 61  # airborne points, the first over the origin, the last over the destination
EARTH_KM = 6371.0088
GROUND_M = {"VIDP": 237.0, "VABB": 12.0}  # geometric altitude reported while on the ground


def at(day: dt.date, hour: int, minute: int = 0) -> int:
    return int(dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=dt.UTC).timestamp())


def state(icao24: str, time: int, lat: float, lon: float, **values: Any) -> dict[str, Any]:
    callsign = values.get("callsign")
    airline = callsign[:3] if callsign else None
    row: dict[str, Any] = {
        "time": time,
        "icao24": icao24,
        "lat": lat,
        "lon": lon,
        "velocity": 150.0,
        "heading": 200.0,
        "vertrate": 0.0,
        "onground": False,
        "alert": False,
        "spi": False,
        "squawk": "1000",
        "lastposupdate": float(time),
        "lastcontact": float(time),
        "origin_country": "India",
        "source": "files",
        "ingested_at": dt.datetime(2024, 3, 6, tzinfo=dt.UTC),
        "batch_id": "test",
        "stale": False,
        "airline_icao": airline,
        "airline_name": {"IGO": "IndiGo", "AIC": "Air India"}.get(airline or ""),
        "registration_country": "India",
        "data_source": "batch",
    }
    row.update(values)
    return row


def arc(a: tuple[float, float], b: tuple[float, float], n: int) -> list[tuple[float, float]]:
    """``n`` points evenly spaced on the great circle from ``a`` to ``b`` (both included)."""

    def unit(lat: float, lon: float) -> tuple[float, float, float]:
        la, lo = math.radians(lat), math.radians(lon)
        return (math.cos(la) * math.cos(lo), math.cos(la) * math.sin(lo), math.sin(la))

    p, q = unit(*a), unit(*b)
    omega = math.acos(sum(x * y for x, y in zip(p, q, strict=True)))
    out = []
    for i in range(n):
        f = i / (n - 1)
        s, t = math.sin((1 - f) * omega) / math.sin(omega), math.sin(f * omega) / math.sin(omega)
        x, y, z = (s * u + t * v for u, v in zip(p, q, strict=True))
        out.append((math.degrees(math.asin(z)), math.degrees(math.atan2(y, x))))
    return out


def airport(code: str) -> tuple[float, float]:
    found = load_airports().by_icao(code)
    assert found is not None
    return found.lat, found.lon


def trip(icao24: str, callsign: str, start: int, origin: str, dest: str) -> list[dict[str, Any]]:
    """Taxi out (3 points), fly the great circle (61 points), taxi in (3 points), 2 min apart.

    Take-off at start + 6 min, landing at start + 6 + 122 min; level at 10,000 m in between.
    """
    a, b = airport(origin), airport(dest)
    rows = [
        state(
            icao24,
            start + i * STEP,
            *a,
            callsign=callsign,
            onground=True,
            velocity=8.0,
            baroaltitude=None,
            geoaltitude=GROUND_M[origin],
        )
        for i in range(TAXI)
    ]
    for i, (lat, lon) in enumerate(arc(a, b, AIR)):
        ramp = min(i, AIR - 1 - i)
        alt = min(10_000.0, 500.0 + ramp * 1_000.0)
        climbing = 0.0 if alt >= 10_000.0 else (8.0 if i < AIR // 2 else -8.0)
        rows.append(
            state(
                icao24,
                start + (TAXI + i) * STEP,
                lat,
                lon,
                callsign=callsign,
                baroaltitude=alt,
                geoaltitude=alt + 50.0,
                vertrate=climbing,
                velocity=158.0,
            )
        )
    rows += [
        state(
            icao24,
            start + (TAXI + AIR + i) * STEP,
            *b,
            callsign=callsign,
            onground=True,
            velocity=8.0,
            baroaltitude=None,
            geoaltitude=GROUND_M[dest],
        )
        for i in range(TAXI)
    ]
    return rows


def overflight(start: int) -> list[dict[str, Any]]:
    """AIC101: 10 airborne points in cell (25.0, 80.0), tracks alternating 350 and 10 degrees,
    squawking 7700 once; one velocity is NaN; plus a stale repeat that must not count."""
    rows = [
        state(
            "800ccc",
            start + 60 * i,
            25.1 + 0.03 * i,
            80.1 + 0.03 * i,
            callsign="AIC101",
            heading=350.0 if i % 2 else 10.0,
            baroaltitude=11_000.0,
            geoaltitude=11_100.0,
            velocity=float("nan") if i == 4 else 200.0 + i,
            squawk="7700" if i == 5 else "2000",
        )
        for i in range(10)
    ]
    rows.append(state("800ccc", start + 630, 25.4, 80.4, callsign="AIC101", stale=True))
    return rows


def leaves_airborne(start: int) -> list[dict[str, Any]]:
    """IGO555 takes off at VIDP and is lost at 8,000 m: destination unknown."""
    a = airport("VIDP")
    rows = [
        state(
            "800fff",
            start + i * STEP,
            *a,
            callsign="IGO555",
            onground=True,
            baroaltitude=None,
            geoaltitude=237.0,
        )
        for i in range(TAXI)
    ]
    rows += [
        state(
            "800fff",
            start + (TAXI + i) * STEP,
            a[0],
            a[1] + 0.1 * i,
            callsign="IGO555",
            baroaltitude=500.0 + 750.0 * i,
            geoaltitude=550.0 + 750.0 * i,
        )
        for i in range(11)
    ]
    return rows


def scenario_states() -> list[dict[str, Any]]:
    """Two days of traffic; see the module docstring of each helper."""
    land_a1 = at(DAY1, 4) + (TAXI + AIR) * STEP
    return [
        *trip("800aaa", "IGO123", at(DAY1, 4), "VIDP", "VABB"),
        # A 45-minute turnaround at VABB: take-off 45 min after the landing.
        *trip("800aaa", "IGO124", land_a1 + 45 * 60 - TAXI * STEP, "VABB", "VIDP"),
        *trip("800bbb", "IGO777", at(DAY1, 9), "VIDP", "VABB"),
        *overflight(at(DAY1, 12, 10)),
        *leaves_airborne(at(DAY1, 15)),
        *trip("800ddd", "IGO999", at(DAY1, 23), "VABB", "VIDP"),  # lands on DAY2
        *trip("800eee", "AIC202", at(DAY2, 8), "VABB", "VIDP"),
    ]


def gold_states(rows: Iterable[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist(list(rows), schema=GOLD_STATE_SCHEMA)


def gold_flights(states: pa.Table) -> pa.Table:
    engine = open_engine("duckdb", threads=1)
    try:
        return segment_flights(engine, states)
    finally:
        engine.close()


def day_of(table: pa.Table, column: str) -> pa.ChunkedArray:
    values = table.column(column)
    if pa.types.is_timestamp(values.type):
        return pc.cast(pc.cast(values, pa.timestamp("s", tz="UTC")), pa.date32())
    return pc.cast(pc.floor(pc.divide(pc.cast(values, pa.float64()), 86400.0)), pa.int32()).cast(
        pa.date32()
    )


def write_day(lake: Lake, day: dt.date, states: pa.Table, flights: pa.Table) -> None:
    """Gold state vectors of ``day`` by hour, and the flights that started on ``day``."""
    mine = states.filter(pc.equal(day_of(states, "time"), pa.scalar(day, pa.date32())))
    hours = pc.cast(pc.divide(pc.subtract(mine.column("time"), at(day, 0)), 3600), pa.int64())
    for hour in sorted(set(hours.to_pylist())):
        rows = mine.filter(pc.equal(hours, hour))
        lake.replace_partition(
            GOLD_STATES, {"date": day, "hour": hour}, rows, "gold-batch", GOLD_STATE_SCHEMA
        )
    started = flights.filter(pc.equal(day_of(flights, "first_seen"), pa.scalar(day, pa.date32())))
    lake.replace_partition(GOLD_FLIGHTS, {"date": day}, started, "flights", FLIGHT_SCHEMA)


def settings(tmp_path: Path, **values: Any) -> Settings:
    return Settings(data_dir=tmp_path, **values)


def read_all(target: Any) -> dict[str, list[dict[str, Any]]]:
    """Every serving table, rows sorted by primary key."""
    out = {}
    for name in SERVING_TABLES:
        table = target.query(f"SELECT * FROM {name}")
        keys = [(k, "ascending") for k in TABLES[name].primary_key]
        out[name] = table.sort_by(keys).to_pylist()
    return out


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("serving")
    states = gold_states(scenario_states())
    flights = gold_flights(states)
    lake = Lake.open(str(tmp / "lake"))
    write_day(lake, DAY1, states, flights)
    write_day(lake, DAY2, states, flights)
    target = open_target("duckdb:///" + str(tmp / "s.duckdb"))
    summary = load_serving(settings(tmp), lake, target, full=True)
    tables = read_all(target)
    target.close()
    return {"tables": tables, "summary": summary, "states": states, "flights": flights}


def rows_of(loaded: dict[str, Any], table: str, **where: Any) -> list[dict[str, Any]]:
    return [r for r in loaded["tables"][table] if all(r[k] == v for k, v in where.items())]


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    la1, lo1, la2, lo2 = map(math.radians, (*a, *b))
    h = (
        math.sin((la2 - la1) / 2) ** 2
        + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    )
    return 2 * EARTH_KM * math.asin(math.sqrt(h))


# --- fact_flight_history -------------------------------------------------------------------------


def test_flight_between_two_airports_has_known_distance_and_exact_duration(loaded: Any) -> None:
    [f] = rows_of(loaded, "fact_flight_history", callsign="IGO123")
    assert (f["origin_icao"], f["origin_iata"], f["origin_city"]) == ("VIDP", "DEL", "New Delhi")
    assert (f["destination_icao"], f["destination_iata"]) == ("VABB", "BOM")
    assert f["route"] == "VIDP-VABB" and f["origin_known"] and f["destination_known"]
    assert f["airline_icao"] == "IGO" and f["airline_name"] == "IndiGo"
    assert f["great_circle_km"] == pytest.approx(1140.0, rel=0.005)
    assert f["path_distance_km"] == pytest.approx(1140.0, rel=0.005)
    assert f["route_efficiency"] == pytest.approx(1.0, abs=1e-6)  # flown along the great circle
    duration = (2 * TAXI + AIR - 1) * STEP
    assert f["duration_s"] == duration
    assert f["duration_min"] == pytest.approx(duration / 60)
    assert f["duration_h"] == pytest.approx(duration / 3600)
    assert f["airborne_seconds"] == AIR * STEP
    assert f["on_ground_seconds"] == (2 * TAXI - 1) * STEP
    assert f["takeoff_time"] == dt.datetime.fromtimestamp(at(DAY1, 4) + TAXI * STEP, dt.UTC)
    assert f["total_data_points"] == 2 * TAXI + AIR
    assert f["cruise_altitude_m"] == 10_000.0
    assert f["max_baro_altitude_m"] == 10_000.0 and f["min_baro_altitude_m"] == 500.0
    assert f["flight_date"] == DAY1 and f["data_source"] == "batch"
    flown = f["seconds_below_3km"] + f["seconds_3_to_9km"] + f["seconds_above_9km"]
    assert flown == f["airborne_seconds"]


def test_circular_mean_of_350_and_10_is_0_and_emergency_is_flagged(loaded: Any) -> None:
    [f] = rows_of(loaded, "fact_flight_history", callsign="AIC101")
    assert f["avg_track_deg"] == pytest.approx(0.0, abs=1e-6)
    assert f["emergency_squawk"] is True and f["unique_squawk_codes"] == 2
    assert f["route"] is None and not f["origin_known"] and not f["destination_known"]
    assert f["origin_reason"] == "entered_airborne"
    assert f["avg_velocity_ms"] is None  # a NaN velocity poisons the mean: stored as NULL


def test_one_unknown_end_gets_the_placeholder(loaded: Any) -> None:
    [f] = rows_of(loaded, "fact_flight_history", callsign="IGO555")
    assert f["route"] == "VIDP-UNKNOWN" and f["destination_icao"] is None
    assert f["destination_reason"] == "left_airborne"
    assert loaded["summary"].flights_without_route == 1  # the overflight


# --- dim_route_analytics -------------------------------------------------------------------------


def test_routes_count_airlines_not_callsigns(loaded: Any) -> None:
    [r] = rows_of(loaded, "dim_route_analytics", origin_icao="VIDP", destination_icao="VABB")
    assert r["route"] == "VIDP-VABB" and r["total_flights"] == 2
    assert r["distinct_airlines"] == 1  # IGO123 and IGO777 are both IndiGo
    assert r["distinct_aircraft"] == 2
    assert r["flights_per_day"] == 1.0  # 2 flights over 2 observed days
    assert r["avg_flight_time_min"] == pytest.approx(AIR * STEP / 60)
    assert r["median_flight_time_min"] == pytest.approx(AIR * STEP / 60)
    assert r["great_circle_km"] == pytest.approx(
        haversine_km(airport("VIDP"), airport("VABB")), abs=1e-5
    )
    assert r["on_ground_percentage"] == pytest.approx(100 * 5 / 66, abs=1e-5)
    assert r["busiest_hour_utc"] == 4  # 04:06 and 09:06: a tie goes to the earlier hour
    assert (r["first_flight_date"], r["last_flight_date"]) == (DAY1, DAY1)
    [back] = rows_of(loaded, "dim_route_analytics", origin_icao="VABB", destination_icao="VIDP")
    assert back["total_flights"] == 3 and back["distinct_airlines"] == 2  # IGO, AIC
    assert back["last_flight_date"] == DAY2


def test_unknown_ends_are_placeholders_and_overflights_no_route(loaded: Any) -> None:
    routes = {
        (r["origin_icao"], r["destination_icao"]) for r in loaded["tables"]["dim_route_analytics"]
    }
    assert routes == {("VIDP", "VABB"), ("VABB", "VIDP"), ("VIDP", "UNKNOWN")}
    [r] = rows_of(loaded, "dim_route_analytics", destination_icao="UNKNOWN")
    assert r["great_circle_km"] is None and r["total_flights"] == 1


# --- dim_aircraft_utilization --------------------------------------------------------------------


def test_utilization_from_flight_times_with_turnaround(loaded: Any) -> None:
    [u] = rows_of(loaded, "dim_aircraft_utilization", icao24="800aaa", date=DAY1)
    assert u["number_of_flights"] == 2
    assert u["airborne_hours"] == pytest.approx(2 * AIR * STEP / 3600)
    assert u["utilization_pct"] == pytest.approx(100 * 2 * AIR * STEP / 86_400)
    assert u["avg_turnaround_min"] == pytest.approx(45.0)
    assert u["callsigns"] == "IGO123,IGO124" and u["airlines"] == "IGO"
    assert (u["last_lat"], u["last_lon"]) == airport("VIDP")
    assert u["last_altitude_m"] == 237.0  # no barometric altitude on the ground: geometric
    assert u["total_distance_km"] == pytest.approx(2 * 1138.23, rel=1e-3)
    [single] = rows_of(loaded, "dim_aircraft_utilization", icao24="800bbb", date=DAY1)
    assert single["avg_turnaround_min"] is None


def test_a_flight_counts_on_the_day_it_started(loaded: Any) -> None:
    [u] = rows_of(loaded, "dim_aircraft_utilization", icao24="800ddd")
    assert u["date"] == DAY1
    assert u["last_seen"].date() == DAY2
    assert u["last_altitude_m"] == 237.0  # landed at VIDP: read from the next day's state vectors


# --- heatmap -------------------------------------------------------------------------------------


def test_heatmap_counts_points_in_a_known_cell(loaded: Any) -> None:
    [cell] = rows_of(
        loaded, "dim_airspace_heatmap", date=DAY1, hour_utc=12, cell_lat=25.0, cell_lon=80.0
    )
    assert (cell["center_lat"], cell["center_lon"]) == (25.25, 80.25)
    assert cell["data_points"] == 10  # the stale repeat is not counted
    assert cell["distinct_aircraft"] == 1
    assert cell["avg_altitude_m"] == 11_000.0
    speeds = [200.0 + i for i in range(10) if i != 4]  # the NaN counts as missing
    assert cell["avg_velocity_ms"] == pytest.approx(sum(speeds) / len(speeds))
    mean = sum(speeds) / len(speeds)
    sd = math.sqrt(sum((s - mean) ** 2 for s in speeds) / (len(speeds) - 1))
    assert cell["velocity_stddev_ms"] == pytest.approx(sd)


def test_heatmap_counts_every_fresh_point_exactly_once(loaded: Any) -> None:
    states = loaded["states"].filter(pc.invert(loaded["states"].column("stale")))
    cells: dict[tuple[Any, ...], set[str]] = {}
    counts: dict[tuple[Any, ...], int] = {}
    for r in states.to_pylist():
        t = dt.datetime.fromtimestamp(r["time"], dt.UTC)
        key = (t.date(), t.hour, math.floor(r["lat"] / 0.5) * 0.5, math.floor(r["lon"] / 0.5) * 0.5)
        cells.setdefault(key, set()).add(r["icao24"])
        counts[key] = counts.get(key, 0) + 1
    got = {
        (r["date"], r["hour_utc"], r["cell_lat"], r["cell_lon"]): (
            r["data_points"],
            r["distinct_aircraft"],
        )
        for r in loaded["tables"]["dim_airspace_heatmap"]
    }
    assert got == {k: (counts[k], len(cells[k])) for k in counts}


def test_hourly_profile_folds_days(loaded: Any) -> None:
    [p] = rows_of(loaded, "dim_airspace_hourly_profile", hour_utc=12, cell_lat=25.0, cell_lon=80.0)
    assert p["days"] == 1 and p["data_points"] == 10
    assert p["distinct_aircraft_avg"] == 0.5  # one aircraft on one of two observed days
    total = sum(r["data_points"] for r in loaded["tables"]["dim_airspace_heatmap"])
    assert sum(r["data_points"] for r in loaded["tables"]["dim_airspace_hourly_profile"]) == total


# --- raw_telemetry and the whole load -------------------------------------------------------------


def test_raw_telemetry_keeps_whole_flights_when_under_the_cap(loaded: Any) -> None:
    rows = loaded["tables"]["raw_telemetry"]
    per_flight: dict[str, int] = {}
    for r in rows:
        per_flight[r["flight_id"]] = per_flight.get(r["flight_id"], 0) + 1
    facts = {
        f["flight_id"]: f["total_data_points"] for f in loaded["tables"]["fact_flight_history"]
    }
    assert per_flight == facts
    assert all(r["ts"] == dt.datetime.fromtimestamp(r["time"], dt.UTC) for r in rows)


def test_raw_telemetry_cap_is_exact_and_keeps_whole_flights(tmp_path: Path) -> None:
    start = at(DAY1, 6)
    rows = []
    for n, icao24 in zip((4, 5, 6), ("900001", "900002", "900003"), strict=True):
        rows += [
            state(
                icao24,
                start + 60 * i,
                20.0 + 0.01 * i,
                75.0,
                callsign=f"T{icao24}",
                baroaltitude=3000.0,
            )
            for i in range(n)
        ]
    states = gold_states(rows)
    flights = gold_flights(states)
    assert sorted(flights.column("points").to_pylist()) == [4, 5, 6]
    lake = Lake.open(str(tmp_path / "lake"))
    write_day(lake, DAY1, states, flights)
    target = open_target("duckdb:///" + str(tmp_path / "s.duckdb"))
    load_serving(settings(tmp_path, raw_telemetry_cap=10), lake, target, full=True)
    got = target.query("SELECT flight_id, COUNT(*) AS n FROM raw_telemetry GROUP BY flight_id")
    target.close()
    ordered = sorted(
        zip(
            flights.column("flight_id").to_pylist(),
            flights.column("points").to_pylist(),
            strict=True,
        ),
        key=lambda p: hashlib.md5(p[0].encode()).hexdigest(),
    )
    expected, total = {}, 0
    for flight_id, n in ordered:
        if total + n > 10:
            break
        expected[flight_id] = n
        total += n
    assert (
        dict(zip(got.column("flight_id").to_pylist(), got.column("n").to_pylist(), strict=True))
        == expected
    )
    assert 0 < sum(expected.values()) <= 10


def test_no_nan_or_infinity_is_stored(tmp_path: Path) -> None:
    states = gold_states(scenario_states())
    flights = gold_flights(states)
    # Poison some gold metrics: the serving tables must hold NULL instead.
    poisoned = {"velocity_stddev": float("nan"), "great_circle_km": float("inf")}
    for name, value in poisoned.items():
        i = flights.schema.get_field_index(name)
        flights = flights.set_column(
            i, flights.schema.field(i), pa.array([value] * flights.num_rows)
        )
    lake = Lake.open(str(tmp_path / "lake"))
    write_day(lake, DAY1, states, flights)
    write_day(lake, DAY2, states, flights)
    target = open_target("duckdb:///" + str(tmp_path / "s.duckdb"))
    load_serving(settings(tmp_path), lake, target, full=True)
    for name, rows in read_all(target).items():
        for row in rows:
            for column, value in row.items():
                assert not (isinstance(value, float) and not math.isfinite(value)), (name, column)
    fact = target.query("SELECT great_circle_km, route_efficiency FROM fact_flight_history")
    assert fact.column("great_circle_km").null_count == fact.num_rows
    assert fact.column("route_efficiency").null_count == fact.num_rows
    target.close()


def test_models_have_headers_and_transpile_to_spark() -> None:
    sqlglot = pytest.importorskip("sqlglot")
    params = model_params(Settings())
    for name in SERVING_TABLES:
        sql = load_model(name).sql
        header = sql.split("\n\n", 1)[0]
        for word in ("Grain:", "Time column:", "Inputs:"):
            assert word in header, f"{name}.sql header lacks {word}"
        spark = sqlglot.transpile(render_sql(sql, params), read="duckdb", write="spark")[0]
        for construct in ("QUALIFY", "ASOF", "STRING_AGG", "LISTAGG", "HASH("):
            assert construct not in spark.upper(), (name, construct)
        sqlglot.parse_one(spark, read="spark")
