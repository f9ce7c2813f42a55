"""Flight segmentation on hand-built tracks (DuckDB engine, real airports from airportsdata)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from aerolake.analytics import FLIGHT_SCHEMA, SegmentationRules, open_engine, segment
from aerolake.analytics.engine import Engine
from aerolake.analytics.segment import model_params, segment_flights
from aerolake.refdata.geo import haversine_km, interpolate_great_circle
from aerolake.schema import SILVER_SCHEMA

VIDP = (28.5665, 77.1031)  # Delhi, elevation 237 m
VABB = (19.0887, 72.8679)  # Mumbai, elevation 11 m
SEA = (15.0, 65.0)  # Arabian Sea: no airport within 10 km
T0 = int(datetime(2024, 3, 4, 6, 0, tzinfo=UTC).timestamp())


# --- track builder ---------------------------------------------------------------------------


def leg(
    t0: int,
    n: int,
    *,
    step: int = 10,
    at: tuple[float, float] = SEA,
    to: tuple[float, float] | None = None,
    alt: float = 10_000.0,
    onground: bool = False,
    callsign: str | None = "IGO123",
    heading: float = 90.0,
    squawk: str | None = "2000",
) -> list[dict[str, object]]:
    """``n`` points every ``step`` s from ``t0``, at ``at`` or moving from ``at`` to ``to``."""
    frac = np.linspace(0.0, 1.0, n) if n > 1 else np.zeros(1)
    if to is None:
        lats, lons = np.full(n, at[0]), np.full(n, at[1])
    else:
        lats, lons = interpolate_great_circle(at[0], at[1], to[0], to[1], frac)
    return [
        {
            "time": t0 + i * step,
            "lat": float(lats[i]),
            "lon": float(lons[i]),
            "baroaltitude": alt,
            "geoaltitude": alt + 20.0,
            "onground": onground,
            "callsign": callsign,
            "heading": heading,
            "squawk": squawk,
        }
        for i in range(n)
    ]


def silver(*legs: list[dict[str, object]], icao24: str = "800abc") -> pa.Table:
    """Silver rows (``SILVER_SCHEMA``) of one aircraft from the given legs."""
    rows = [r for part in legs for r in part]
    n = len(rows)
    times = [int(r["time"]) for r in rows]  # type: ignore[call-overload]
    data: dict[str, list[object]] = {
        "time": list(times),
        "icao24": [icao24] * n,
        "lat": [r["lat"] for r in rows],
        "lon": [r["lon"] for r in rows],
        "velocity": [10.0 if r["onground"] else 230.0 for r in rows],
        "heading": [r["heading"] for r in rows],
        "vertrate": [0.0] * n,
        "callsign": [r["callsign"] for r in rows],
        "onground": [r["onground"] for r in rows],
        "alert": [False] * n,
        "spi": [False] * n,
        "squawk": [r["squawk"] for r in rows],
        "baroaltitude": [r["baroaltitude"] for r in rows],
        "geoaltitude": [r["geoaltitude"] for r in rows],
        "lastposupdate": [float(t) for t in times],
        "lastcontact": [float(t) for t in times],
        "origin_country": ["India"] * n,
        "source": ["simulator"] * n,
        "ingested_at": [datetime.fromtimestamp(T0, UTC)] * n,
        "batch_id": ["test"] * n,
        "stale": [False] * n,
        "airline_icao": ["IGO" if r["callsign"] else None for r in rows],
        "airline_name": ["IndiGo" if r["callsign"] else None for r in rows],
        "registration_country": ["India"] * n,
        "registration": ["VT-ABC"] * n,
        "typecode": ["A20N"] * n,
    }
    return pa.table(data, schema=SILVER_SCHEMA)


def concat(*tables: pa.Table) -> pa.Table:
    return pa.concat_tables(tables)


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    eng = open_engine("duckdb", threads=2)
    yield eng
    eng.close()


def flights_of(engine: Engine, table: pa.Table, **kw: object) -> pa.Table:
    return segment_flights(engine, table, **kw)  # type: ignore[arg-type]


def delhi_mumbai(t0: int = T0, callsign: str | None = "IGO123") -> list[list[dict[str, object]]]:
    """Taxi at VIDP, 85 min airborne to VABB, taxi at VABB."""
    return [
        leg(t0, 30, at=VIDP, onground=True, alt=237.0, callsign=callsign),
        leg(t0 + 300, 171, step=30, at=VIDP, to=VABB, alt=9_000.0, callsign=callsign),
        leg(t0 + 300 + 171 * 30, 30, at=VABB, onground=True, alt=11.0, callsign=callsign),
    ]


# --- rules -----------------------------------------------------------------------------------


def test_gap_over_ten_minutes_splits(engine: Engine) -> None:
    split = flights_of(engine, silver(leg(T0, 30), leg(T0 + 290 + 601, 30)))
    kept = flights_of(engine, silver(leg(T0, 30), leg(T0 + 290 + 599, 30)))
    assert split.num_rows == 2
    assert kept.num_rows == 1
    assert kept.column("points").to_pylist() == [60]


def test_ground_stop_splits_at_its_middle(engine: Engine) -> None:
    arrive = leg(T0, 60, to=VABB, alt=3_000.0)
    stop = leg(T0 + 600, 240, at=VABB, onground=True, alt=11.0)  # 40 min on the ground
    depart = leg(T0 + 600 + 2400, 60, at=VABB, to=SEA, alt=3_000.0)
    flights = flights_of(engine, silver(arrive, stop, depart))
    assert flights.num_rows == 2
    first, second = flights.to_pylist()
    # Not airborne from T0 + 590 to T0 + 3000: the middle is T0 + 1795.
    assert first["last_seen"].timestamp() == T0 + 1790
    assert second["first_seen"].timestamp() == T0 + 1800
    assert first["destination"] == "VABB" and second["origin"] == "VABB"
    assert first["points"] + second["points"] == 360


def test_short_ground_contact_does_not_split(engine: Engine) -> None:
    touch_and_go = leg(T0 + 600, 6, at=VABB, onground=True, alt=11.0)  # one minute
    flights = flights_of(
        engine, silver(leg(T0, 60), touch_and_go, leg(T0 + 660, 60, at=VABB, to=SEA))
    )
    assert flights.num_rows == 1


def test_callsign_change_splits_but_first_callsign_does_not(engine: Engine) -> None:
    changed = flights_of(
        engine, silver(leg(T0, 30, callsign="AIC1"), leg(T0 + 300, 30, callsign="AIC2"))
    )
    assert changed.column("callsign").to_pylist() == ["AIC1", "AIC2"]
    appeared = flights_of(
        engine, silver(leg(T0, 30, callsign=None), leg(T0 + 300, 30, callsign="AIC1"))
    )
    assert appeared.num_rows == 1
    assert appeared.column("callsign").to_pylist() == ["AIC1"]


def test_points_without_callsign_stay_with_their_flight(engine: Engine) -> None:
    table = silver(
        leg(T0, 20, callsign="AIC1"),
        leg(T0 + 200, 20, callsign=None),
        leg(T0 + 400, 20, callsign="AIC1"),
    )
    flights = flights_of(engine, table)
    assert flights.num_rows == 1
    assert flights.column("points").to_pylist() == [60]
    assert flights.column("airline_icao").to_pylist() == ["IGO"]


def test_callsign_changes_across_a_gap_add_no_extra_split(engine: Engine) -> None:
    # A ... gap ... (no callsign) ... B: two flights, not three.
    table = silver(
        leg(T0, 20, callsign="AIC1"),
        leg(T0 + 2000, 20, callsign=None),
        leg(T0 + 2200, 20, callsign="AIC2"),
    )
    flights = flights_of(engine, table)
    assert flights.column("points").to_pylist() == [20, 40]
    assert flights.column("callsign").to_pylist() == ["AIC1", "AIC2"]


def test_callsign_change_during_a_ground_stop_cuts_there(engine: Engine) -> None:
    table = silver(
        leg(T0, 60, to=VABB, alt=3_000.0, callsign="AIC1"),
        leg(T0 + 600, 60, at=VABB, onground=True, alt=11.0, callsign="AIC1"),
        leg(T0 + 1200, 180, at=VABB, onground=True, alt=11.0, callsign="AIC2"),
        leg(T0 + 3000, 60, at=VABB, to=SEA, alt=3_000.0, callsign="AIC2"),
    )
    flights = flights_of(engine, table)
    assert flights.column("callsign").to_pylist() == ["AIC1", "AIC2"]
    assert flights.column("first_seen").to_pylist()[1].timestamp() == T0 + 1200


@pytest.mark.parametrize("start", ["2024-03-04T23:50:00", "2024-03-04T10:50:00"])
def test_midnight_and_hour_crossings_stay_one_flight(engine: Engine, start: str) -> None:
    t0 = int(datetime.fromisoformat(start).replace(tzinfo=UTC).timestamp())
    flights = flights_of(engine, silver(leg(t0, 120)))  # 20 minutes across the boundary
    assert flights.num_rows == 1
    assert flights.column("duration_s").to_pylist() == [1190]


def test_single_point_is_a_fragment_not_a_flight(engine: Engine) -> None:
    result = segment(engine, silver(leg(T0, 30), leg(T0 + 3600, 1, at=VIDP, onground=True)))
    assert result.flights.num_rows == 1
    assert result.fragments == 1


def test_parked_aircraft_is_ground_only(engine: Engine) -> None:
    result = segment(engine, silver(leg(T0, 100, at=VIDP, onground=True, alt=237.0)))
    assert result.flights.num_rows == 0
    assert (result.ground_only, result.ground_only_points) == (1, 100)


# --- take-off, landing, airports -------------------------------------------------------------


def test_delhi_to_mumbai(engine: Engine) -> None:
    flights = flights_of(engine, silver(*delhi_mumbai()))
    assert flights.num_rows == 1
    f = flights.to_pylist()[0]
    assert (f["origin"], f["destination"]) == ("VIDP", "VABB")
    assert f["origin_reason"] is None and f["destination_reason"] is None
    expected = float(haversine_km(*VIDP, *VABB))
    assert 1130 < expected < 1150
    assert f["great_circle_km"] == pytest.approx(expected, rel=0.005)
    assert f["path_distance_km"] == pytest.approx(expected, rel=0.005)
    assert f["takeoff_time"].timestamp() == T0 + 300
    assert f["landing_time"].timestamp() == T0 + 300 + 171 * 30
    assert f["onground_s"] + f["airborne_s"] == f["duration_s"]
    assert f["airborne_s"] == 171 * 30
    assert f["between_3_9km_s"] == 171 * 30  # every airborne interval is at 9,000 m


def test_track_starting_airborne_has_no_origin(engine: Engine) -> None:
    airborne = leg(T0, 100, at=(27.0, 76.0), to=VABB, alt=10_000.0)
    landed = leg(T0 + 1000, 10, at=VABB, onground=True, alt=11.0)
    f = flights_of(engine, silver(airborne, landed)).to_pylist()[0]
    assert f["origin"] is None
    assert f["origin_reason"] == "entered_airborne"
    assert f["takeoff_time"] is None
    assert f["destination"] == "VABB"


def test_track_starting_low_near_an_airport_has_that_origin(engine: Engine) -> None:
    climbing = leg(T0, 60, at=VIDP, to=SEA, alt=237.0 + 400.0)
    f = flights_of(engine, silver(climbing)).to_pylist()[0]
    assert f["origin"] == "VIDP"
    assert f["takeoff_time"].timestamp() == T0
    assert (f["destination"], f["destination_reason"]) == (None, "left_airborne")


def test_takeoff_far_from_any_airport(engine: Engine) -> None:
    table = silver(leg(T0, 10, onground=True, alt=0.0), leg(T0 + 100, 30, alt=2_000.0))
    f = flights_of(engine, table).to_pylist()[0]
    assert (f["origin"], f["origin_reason"]) == (None, "no_airport_within_10km")


def test_circular_mean_of_350_and_10_is_0(engine: Engine) -> None:
    table = silver(leg(T0, 10, heading=350.0), leg(T0 + 100, 10, heading=10.0))
    mean = flights_of(engine, table).column("track_mean").to_pylist()[0]
    assert mean == pytest.approx(0.0, abs=1e-6)


def test_emergency_squawks(engine: Engine) -> None:
    table = silver(leg(T0, 10, squawk="7700"), leg(T0 + 100, 10, squawk="2000"))
    f = flights_of(engine, table).to_pylist()[0]
    assert (f["emergency_squawk"], f["emergency_squawks"], f["unique_squawk_codes"]) == (
        True,
        "7700",
        2,
    )


# --- identity, determinism, windows ----------------------------------------------------------


def test_flight_id_is_icao24_and_first_time(engine: Engine) -> None:
    ids = flights_of(engine, silver(*delhi_mumbai(), icao24="8015cd")).column("flight_id")
    assert ids.to_pylist() == ["8015cd-20240304T060000Z"]


def test_same_input_same_output_in_any_row_order(engine: Engine) -> None:
    table = concat(
        silver(*delhi_mumbai(), icao24="800001"),
        silver(leg(T0, 30), leg(T0 + 2000, 30, callsign="X1"), icao24="800002"),
    )
    first = flights_of(engine, table)
    again = flights_of(engine, table)
    shuffled = table.take(np.random.default_rng(1).permutation(table.num_rows))
    assert first.num_rows == 3
    assert first.equals(again)
    assert first.equals(flights_of(engine, shuffled))
    assert first.equals(flights_of(engine, shuffled, parts=3))
    assert first.schema.equals(FLIGHT_SCHEMA)


def test_window_keeps_flights_that_start_in_it(engine: Engine) -> None:
    table = concat(
        silver(leg(T0 - 1800, 360), icao24="800001"),  # 05:30-06:30, starts before the window
        silver(*delhi_mumbai(T0 + 1800), icao24="800002"),  # starts 06:30
    )
    full = flights_of(engine, table)
    window = (datetime.fromtimestamp(T0, UTC), datetime.fromtimestamp(T0 + 3600, UTC))
    part = flights_of(engine, table, window=window)
    assert part.column("icao24").to_pylist() == ["800002"]
    assert part.equals(full.slice(1, 1))


def test_reads_hive_partitioned_parquet_across_midnight(engine: Engine, tmp_path: Path) -> None:
    t0 = int(datetime(2024, 3, 4, 23, 50, tzinfo=UTC).timestamp())
    rows = silver(leg(t0, 120))
    before, after = rows.slice(0, 60), rows.slice(60)
    paths = []
    for part, day, hour in ((before, "2024-03-04", "23"), (after, "2024-03-05", "00")):
        folder = tmp_path / "silver" / f"date={day}" / f"hour={hour}"
        folder.mkdir(parents=True)
        pq.write_table(part, folder / "part-0.parquet")
        paths.append(str(folder / "part-0.parquet"))
    flights = flights_of(engine, paths)  # type: ignore[arg-type]
    assert flights.num_rows == 1
    assert flights.column("points").to_pylist() == [120]


def test_empty_input_gives_empty_flights(engine: Engine) -> None:
    flights = segment_flights(engine, [])
    assert flights.num_rows == 0 and flights.schema.equals(FLIGHT_SCHEMA)


def test_flights_model_matches_the_schema_exactly(engine: Engine) -> None:
    engine.register("silver", silver(*delhi_mumbai()))
    from aerolake.refdata.airports import load_airports

    engine.register("airports", load_airports().table())
    out = engine.run("flights", model_params(SegmentationRules()))
    assert [(f.name, f.type) for f in out.schema] == [(f.name, f.type) for f in FLIGHT_SCHEMA]
    assert out.num_rows == 1


def test_rules_are_validated() -> None:
    from aerolake.errors import ConfigError

    with pytest.raises(ConfigError):
        SegmentationRules(airport_radius_km=50.0)
    with pytest.raises(ConfigError):
        SegmentationRules(gap_s=0)
    with pytest.raises(ValueError, match="timezone-aware"):
        model_params(SegmentationRules(), (datetime(2024, 1, 1), datetime(2024, 1, 2)))  # noqa: DTZ001
