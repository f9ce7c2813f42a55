from __future__ import annotations

import numpy as np
import pytest

from aerolake.refdata.geo import (
    EARTH_RADIUS_KM,
    destination_point,
    haversine_km,
    initial_bearing_deg,
    interpolate_great_circle,
)

DEL = (28.5665, 77.1031)
BOM = (19.0887, 72.8679)


def test_haversine_known_distance_delhi_mumbai() -> None:
    # Great-circle DEL-BOM is about 1,138 km (published route distances: 1,136-1,140 km).
    assert haversine_km(*DEL, *BOM) == pytest.approx(1138, abs=3)


def test_haversine_quarter_meridian() -> None:
    assert haversine_km(0, 0, 90, 0) == pytest.approx(np.pi / 2 * EARTH_RADIUS_KM)


def test_haversine_broadcasts_and_propagates_nan() -> None:
    d = haversine_km(np.array([0.0, np.nan, 10.0]), 0.0, 0.0, 0.0)
    assert d.shape == (3,)
    assert d[0] == 0.0
    assert np.isnan(d[1])
    assert d[2] > 1000


def test_initial_bearing_cardinal_directions() -> None:
    b = initial_bearing_deg([0, 0, 0, 0], [0, 0, 0, 0], [1, 0, -1, 0], [0, 1, 0, -1])
    np.testing.assert_allclose(b, [0, 90, 180, 270], atol=1e-9)


def test_destination_point_roundtrips_with_bearing_and_distance() -> None:
    rng = np.random.default_rng(1)
    lat = rng.uniform(-60, 60, 100)
    lon = rng.uniform(-180, 180, 100)
    brg = rng.uniform(0, 360, 100)
    dist = rng.uniform(1, 3000, 100)
    lat2, lon2 = destination_point(lat, lon, brg, dist)
    np.testing.assert_allclose(haversine_km(lat, lon, lat2, lon2), dist, rtol=1e-9)
    np.testing.assert_allclose(initial_bearing_deg(lat, lon, lat2, lon2), brg, atol=1e-6)
    assert ((lon2 >= -180) & (lon2 < 180)).all()


def test_interpolate_endpoints_and_midpoint() -> None:
    f = np.array([0.0, 0.5, 1.0])
    lat, lon = interpolate_great_circle(*DEL, *BOM, f)
    assert (lat[0], lon[0]) == pytest.approx(DEL)
    assert (lat[2], lon[2]) == pytest.approx(BOM)
    total = haversine_km(*DEL, *BOM)
    assert haversine_km(*DEL, lat[1], lon[1]) == pytest.approx(total / 2, rel=1e-9)
    assert haversine_km(lat[1], lon[1], *BOM) == pytest.approx(total / 2, rel=1e-9)


def test_interpolate_follows_the_great_circle_not_the_rhumb_line() -> None:
    # Along the 60N parallel the great circle bulges poleward.
    lat, _ = interpolate_great_circle(60.0, -30.0, 60.0, 30.0, 0.5)
    assert lat > 60.5


def test_interpolate_coincident_points() -> None:
    lat, lon = interpolate_great_circle(10.0, 20.0, 10.0, 20.0, np.array([0.0, 0.3, 1.0]))
    np.testing.assert_allclose(lat, 10.0)
    np.testing.assert_allclose(lon, 20.0)
