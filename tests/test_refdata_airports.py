from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from aerolake.refdata.airports import (
    AIRPORT_SCHEMA,
    Airport,
    AirportIndex,
    airports_in,
    load_airports,
)
from aerolake.refdata.geo import haversine_km
from aerolake.refdata.regions import PRESETS, BBox


@pytest.fixture(scope="module")
def index() -> AirportIndex:
    return load_airports()


def test_load_is_cached_and_worldwide(index: AirportIndex) -> None:
    assert load_airports() is index
    assert len(index) > 20_000
    assert all(len(a.icao) == 4 for a in index.airports[:1000])


def test_delhi_fields(index: AirportIndex) -> None:
    vidp = index.by_icao("vidp")
    assert vidp is not None
    assert vidp.iata == "DEL"
    assert vidp.country == "IN"
    # airportsdata gives 777 ft.
    assert vidp.elevation_m == pytest.approx(777 * 0.3048)
    assert index.by_icao("ZZZZ") is None


def test_nearest_delhi_is_vidp_at_zero_km(index: AirportIndex) -> None:
    i, d = index.nearest(np.array([28.5665]), np.array([77.1031]))
    assert index.airports[i[0]].icao == "VIDP"
    assert d[0] == pytest.approx(0.0, abs=1e-6)


def test_nearest_mumbai_found_from_a_point_nearby(index: AirportIndex) -> None:
    i, d = index.nearest(np.array([19.10]), np.array([72.87]))
    assert index.airports[i[0]].icao == "VABB"
    assert 0.5 < d[0] < 2.5


def test_nearest_matches_brute_force(index: AirportIndex) -> None:
    rng = np.random.default_rng(7)
    lat = rng.uniform(6, 37, 200)
    lon = rng.uniform(68, 98, 200)
    i, d = index.nearest(lat, lon, max_km=200.0)
    brute = haversine_km(lat[:, None], lon[:, None], index.lat[None, :], index.lon[None, :])
    best = brute.min(axis=1)
    found = i >= 0
    assert found.sum() > 50
    np.testing.assert_array_equal(found, best <= 200.0)
    np.testing.assert_allclose(d[found], best[found], rtol=1e-9, atol=1e-9)


def test_point_far_from_any_airport_is_minus_one(index: AirportIndex) -> None:
    lat, lon = 15.0, 88.0  # Bay of Bengal
    all_d = haversine_km(lat, lon, index.lat, index.lon)
    assert all_d.min() > 20
    i, d = index.nearest(np.array([lat, 28.5665]), np.array([lon, 77.1031]), max_km=20.0)
    assert i[0] == -1
    assert np.isnan(d[0])
    assert i[1] >= 0


def test_nan_input_is_minus_one(index: AirportIndex) -> None:
    i, d = index.nearest(np.array([np.nan, 28.5665]), np.array([77.0, np.nan]))
    assert (i == -1).all()
    assert np.isnan(d).all()


def test_max_km_is_respected(index: AirportIndex) -> None:
    # 5 km north of VIDP's reference point: found at 10 km, not at 1 km (unless another
    # airport lies closer, which the assertion on distance would reveal).
    i10, d10 = index.nearest(np.array([28.5665 + 5 / 111.2]), np.array([77.1031]), max_km=10.0)
    assert i10[0] >= 0 and d10[0] <= 10.0
    i1, _ = index.nearest(np.array([28.5665 + 5 / 111.2]), np.array([77.1031]), max_km=1.0)
    assert i1[0] == -1 or d10[0] <= 1.0


def test_small_custom_index() -> None:
    a = Airport("AAAA", None, "A", "", "IN", 0.0, 0.0, 0.0)
    b = Airport("BBBB", "BBB", "B", "", "IN", 0.0, 1.0, 0.0)
    idx = AirportIndex([a, b])
    i, d = idx.nearest(np.array([0.0, 0.0]), np.array([0.1, 0.9]), max_km=50.0)
    assert i.tolist() == [0, 1]
    np.testing.assert_allclose(d, haversine_km(0, [0.1, 0.9], 0, [0.0, 1.0]))
    empty = AirportIndex([])
    i, d = empty.nearest(np.array([0.0]), np.array([0.0]))
    assert i.tolist() == [-1]


def test_table_schema_and_rows(index: AirportIndex) -> None:
    table = index.table()
    assert isinstance(table, pa.Table)
    assert table.schema == AIRPORT_SCHEMA
    assert table.num_rows == len(index)
    assert table.column_names == [
        "icao",
        "iata",
        "name",
        "city",
        "country",
        "lat",
        "lon",
        "elevation_m",
    ]


def test_airports_in_india_with_iata() -> None:
    region = PRESETS["india"]
    airports = airports_in(region.bbox, region.countries)
    codes = {a.icao for a in airports}
    assert {"VIDP", "VABB", "VOBL", "VECC", "VOMM"} <= codes
    assert all(a.iata and a.country == "IN" for a in airports)
    assert all(region.bbox.contains(a.lat, a.lon) for a in airports)
    without = airports_in(region.bbox, region.countries, with_iata=False)
    assert len(without) > len(airports)


def test_airports_in_box_without_country_filter() -> None:
    box = BBox(24.0, 50.0, 26.0, 56.0)  # Gulf: UAE and Qatar airports
    countries = {a.country for a in airports_in(box)}
    assert {"AE", "QA"} <= countries
