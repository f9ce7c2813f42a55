"""Great-circle geometry on a spherical earth, vectorised with numpy.

Angles are degrees (latitude north, longitude east, bearings clockwise from true north),
distances are kilometres. Every function broadcasts its arguments like a numpy ufunc and
returns float64 arrays (0-d for scalar input). NaN in, NaN out; nothing raises on bad values.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

#: Mean earth radius (IUGG), km.
EARTH_RADIUS_KM: Final[float] = 6371.0088

FloatArray = npt.NDArray[np.float64]


def _f(x: npt.ArrayLike) -> FloatArray:
    return np.asarray(x, dtype=np.float64)


def haversine_km(
    lat1: npt.ArrayLike, lon1: npt.ArrayLike, lat2: npt.ArrayLike, lon2: npt.ArrayLike
) -> FloatArray:
    """Great-circle distance in km between (lat1, lon1) and (lat2, lon2)."""
    p1, p2 = np.radians(_f(lat1)), np.radians(_f(lat2))
    dphi = p2 - p1
    dlmb = np.radians(_f(lon2) - _f(lon1))
    a = np.sin(dphi / 2.0) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2.0) ** 2
    return _f(2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))))


def initial_bearing_deg(
    lat1: npt.ArrayLike, lon1: npt.ArrayLike, lat2: npt.ArrayLike, lon2: npt.ArrayLike
) -> FloatArray:
    """Initial bearing in [0, 360) from point 1 towards point 2 along the great circle."""
    p1, p2 = np.radians(_f(lat1)), np.radians(_f(lat2))
    dlmb = np.radians(_f(lon2) - _f(lon1))
    y = np.sin(dlmb) * np.cos(p2)
    x = np.cos(p1) * np.sin(p2) - np.sin(p1) * np.cos(p2) * np.cos(dlmb)
    return _f(np.mod(np.degrees(np.arctan2(y, x)), 360.0))


def destination_point(
    lat: npt.ArrayLike,
    lon: npt.ArrayLike,
    bearing_deg: npt.ArrayLike,
    distance_km: npt.ArrayLike,
) -> tuple[FloatArray, FloatArray]:
    """The (lat, lon) reached by flying ``distance_km`` from (lat, lon) on ``bearing_deg``.

    Longitude is normalised to [-180, 180).
    """
    p1, l1 = np.radians(_f(lat)), np.radians(_f(lon))
    theta = np.radians(_f(bearing_deg))
    delta = _f(distance_km) / EARTH_RADIUS_KM
    sin_p2 = np.sin(p1) * np.cos(delta) + np.cos(p1) * np.sin(delta) * np.cos(theta)
    p2 = np.arcsin(np.clip(sin_p2, -1.0, 1.0))
    l2 = l1 + np.arctan2(
        np.sin(theta) * np.sin(delta) * np.cos(p1), np.cos(delta) - np.sin(p1) * np.sin(p2)
    )
    lon2 = np.mod(np.degrees(l2) + 180.0, 360.0) - 180.0
    return np.degrees(p2), lon2


def to_unit_xyz(lat: npt.ArrayLike, lon: npt.ArrayLike) -> FloatArray:
    """Points on the unit sphere, shape ``(..., 3)`` (x towards 0N 0E, z towards the north pole)."""
    p, lmb = np.radians(_f(lat)), np.radians(_f(lon))
    cos_p = np.cos(p)
    return np.stack([cos_p * np.cos(lmb), cos_p * np.sin(lmb), np.sin(p)], axis=-1)


def from_unit_xyz(xyz: FloatArray) -> tuple[FloatArray, FloatArray]:
    """(lat, lon) in degrees of vectors of shape ``(..., 3)``; they need not be unit length."""
    x, y, z = xyz[..., 0], xyz[..., 1], xyz[..., 2]
    lat = np.degrees(np.arctan2(z, np.hypot(x, y)))
    lon = np.degrees(np.arctan2(y, x))
    return lat, lon


def interpolate_great_circle(
    lat1: npt.ArrayLike,
    lon1: npt.ArrayLike,
    lat2: npt.ArrayLike,
    lon2: npt.ArrayLike,
    fraction: npt.ArrayLike,
) -> tuple[FloatArray, FloatArray]:
    """The point ``fraction`` of the way from point 1 to point 2 along the great circle.

    ``fraction`` 0 gives point 1, 1 gives point 2; values outside [0, 1] extrapolate.
    Antipodal endpoints have no unique great circle: the result is NaN there.
    """
    a = to_unit_xyz(lat1, lon1)
    b = to_unit_xyz(lat2, lon2)
    f = _f(fraction)[..., np.newaxis]
    dot = np.clip(np.sum(a * b, axis=-1, keepdims=True), -1.0, 1.0)
    omega = np.arccos(dot)
    sin_omega = np.sin(omega)
    with np.errstate(invalid="ignore", divide="ignore"):
        wa = np.sin((1.0 - f) * omega) / sin_omega
        wb = np.sin(f * omega) / sin_omega
    # Coincident (or numerically very close) endpoints: linear weights are exact enough.
    tiny = omega < 1e-12
    wa = np.where(tiny, 1.0 - f, wa)
    wb = np.where(tiny, f, wb)
    antipodal = omega > np.pi - 1e-9
    wa = np.where(antipodal, np.nan, wa)
    return from_unit_xyz(wa * a + wb * b)
