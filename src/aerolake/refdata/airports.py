"""Airports from the installed ``airportsdata`` package, and a fast nearest-airport index.

Nothing is downloaded: ``airportsdata`` ships its table inside the wheel. The world list is
loaded once per process (``functools.lru_cache``) on first use, never at import time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa
from scipy.spatial import cKDTree

from aerolake.refdata.geo import EARTH_RADIUS_KM, to_unit_xyz
from aerolake.refdata.regions import BBox

FEET_TO_M: Final[float] = 0.3048
#: Points from which a nearest-airport query uses every core (below it, threads cost more).
_PARALLEL_QUERY_MIN: Final[int] = 200_000

AIRPORT_SCHEMA: Final[pa.Schema] = pa.schema(
    [
        pa.field("icao", pa.string(), nullable=False),
        pa.field("iata", pa.string()),
        pa.field("name", pa.string(), nullable=False),
        pa.field("city", pa.string(), nullable=False),
        pa.field("country", pa.string(), nullable=False),  # ISO 3166-1 alpha-2
        pa.field("lat", pa.float64(), nullable=False),  # deg WGS84
        pa.field("lon", pa.float64(), nullable=False),  # deg WGS84
        pa.field("elevation_m", pa.float64(), nullable=False),  # m above mean sea level
    ]
)


@dataclass(frozen=True)
class Airport:
    """One airport. ``country`` is ISO 3166-1 alpha-2; ``elevation_m`` is metres AMSL."""

    icao: str
    iata: str | None
    name: str
    city: str
    country: str
    lat: float
    lon: float
    elevation_m: float


class AirportIndex:
    """Airports with a k-d tree over their unit-sphere coordinates for nearest-neighbour lookups.

    The tree works on chord lengths, which grow monotonically with great-circle distance, so the
    nearest point in 3-D is the nearest on the sphere. Immutable after construction.
    """

    def __init__(self, airports: Sequence[Airport]) -> None:
        self.airports: tuple[Airport, ...] = tuple(airports)
        self.lat = np.array([a.lat for a in self.airports], dtype=np.float64)
        self.lon = np.array([a.lon for a in self.airports], dtype=np.float64)
        self._tree = cKDTree(to_unit_xyz(self.lat, self.lon)) if self.airports else None
        self._by_icao = {a.icao: i for i, a in enumerate(self.airports)}

    def __len__(self) -> int:
        return len(self.airports)

    def by_icao(self, code: str) -> Airport | None:
        """The airport with this ICAO code (case-insensitive), or None."""
        i = self._by_icao.get(code.strip().upper())
        return None if i is None else self.airports[i]

    def nearest(
        self, lat: npt.ArrayLike, lon: npt.ArrayLike, max_km: float = 10.0
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        """For each point, the nearest airport within ``max_km`` (great-circle).

        Returns ``(index, distance_km)``: ``index`` into :attr:`airports` (-1 when no airport is
        within ``max_km`` or the point has a NaN coordinate), ``distance_km`` NaN in that case.
        """
        lat_a = np.atleast_1d(np.asarray(lat, dtype=np.float64))
        lon_a = np.atleast_1d(np.asarray(lon, dtype=np.float64))
        lat_a, lon_a = np.broadcast_arrays(lat_a, lon_a)
        index = np.full(lat_a.shape, -1, dtype=np.int64)
        dist = np.full(lat_a.shape, np.nan, dtype=np.float64)
        ok = np.isfinite(lat_a) & np.isfinite(lon_a)
        if self._tree is None or not ok.any() or max_km < 0:
            return index, dist
        # Chord length of an arc of max_km; a hair larger so a point exactly at max_km counts.
        bound = 2.0 * np.sin(min(max_km / (2.0 * EARTH_RADIUS_KM), np.pi / 2)) * (1 + 1e-12)
        points = to_unit_xyz(lat_a[ok], lon_a[ok])
        # Threads pay off only for large queries (a batch day); a stream batch stays on its core.
        workers = -1 if len(points) >= _PARALLEL_QUERY_MIN else 1
        chord, found = self._tree.query(points, k=1, distance_upper_bound=bound, workers=workers)
        hit = np.isfinite(chord)
        sub_index = np.where(hit, found, -1).astype(np.int64)
        sub_dist = np.where(
            hit,
            2.0 * EARTH_RADIUS_KM * np.arcsin(np.clip(np.where(hit, chord, 0.0) / 2.0, 0.0, 1.0)),
            np.nan,
        )
        index[ok] = sub_index
        dist[ok] = sub_dist
        return index, dist

    def table(self) -> pa.Table:
        """All airports as an Arrow table in :data:`AIRPORT_SCHEMA` (for loading into SQL)."""
        cols = {name: [getattr(a, name) for a in self.airports] for name in AIRPORT_SCHEMA.names}
        return pa.table(cols, schema=AIRPORT_SCHEMA)


def _from_record(rec: Mapping[str, Any]) -> Airport:
    iata = str(rec.get("iata") or "").strip()
    return Airport(
        icao=str(rec["icao"]).strip().upper(),
        iata=iata.upper() or None,
        name=str(rec.get("name") or ""),
        city=str(rec.get("city") or ""),
        country=str(rec.get("country") or ""),
        lat=float(rec["lat"]),
        lon=float(rec["lon"]),
        elevation_m=float(rec.get("elevation") or 0.0) * FEET_TO_M,
    )


@lru_cache(maxsize=1)
def load_airports() -> AirportIndex:
    """Every airport worldwide with an ICAO code, from ``airportsdata`` (cached per process)."""
    import airportsdata

    records = airportsdata.load("ICAO")
    airports = sorted(
        (_from_record(r) for r in records.values() if len(str(r.get("icao") or "").strip()) == 4),
        key=lambda a: a.icao,
    )
    return AirportIndex(airports)


@lru_cache(maxsize=64)
def _airports_in(bbox: BBox, countries: tuple[str, ...], with_iata: bool) -> tuple[Airport, ...]:
    index = load_airports()
    mask = (
        (index.lat >= bbox.lamin)
        & (index.lat <= bbox.lamax)
        & (index.lon >= bbox.lomin)
        & (index.lon <= bbox.lomax)
    )
    wanted = {c.upper() for c in countries}
    return tuple(
        a
        for a, inside in zip(index.airports, mask, strict=True)
        if inside and (not wanted or a.country in wanted) and (not with_iata or a.iata)
    )


def airports_in(
    bbox: BBox, countries: tuple[str, ...] = (), with_iata: bool = True
) -> list[Airport]:
    """Airports inside ``bbox`` (edges included), ordered by ICAO code.

    ``countries`` (ISO2) further restricts the list when non-empty. ``with_iata`` keeps only
    airports with an IATA code, a good proxy for airports with scheduled service.
    """
    return list(_airports_in(bbox, tuple(countries), with_iata))
