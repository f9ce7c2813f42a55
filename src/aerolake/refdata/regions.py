"""Geographic regions: named presets or an explicit ``lamin,lomin,lamax,lomax`` box."""

from __future__ import annotations

from dataclasses import dataclass

from aerolake.errors import ConfigError


@dataclass(frozen=True)
class BBox:
    """A latitude/longitude box in degrees (WGS84). Does not cross the antimeridian."""

    lamin: float
    lomin: float
    lamax: float
    lomax: float

    def __post_init__(self) -> None:
        if not (-90 <= self.lamin < self.lamax <= 90):
            raise ConfigError(
                f"region latitudes must satisfy -90 <= lamin < lamax <= 90, got {self.lamin}, {self.lamax}"
            )
        if not (-180 <= self.lomin < self.lomax <= 180):
            raise ConfigError(
                f"region longitudes must satisfy -180 <= lomin < lomax <= 180, got {self.lomin}, {self.lomax}"
            )

    @property
    def area_sq_deg(self) -> float:
        """Latitude span times longitude span, the unit OpenSky prices ``/states/all`` by."""
        return (self.lamax - self.lamin) * (self.lomax - self.lomin)

    def contains(self, lat: float, lon: float) -> bool:
        return self.lamin <= lat <= self.lamax and self.lomin <= lon <= self.lomax


@dataclass(frozen=True)
class Region:
    """A named area of interest. ``countries`` (ISO 3166 alpha-2) picks the airports and airlines
    the simulator flies between and the "region's airlines" filter; empty means "any"."""

    name: str
    bbox: BBox
    countries: tuple[str, ...] = ()


PRESETS: dict[str, Region] = {
    # The user's box: 6-37 N, 68-98 E (930 square degrees, 4 OpenSky credits a call).
    "india": Region("india", BBox(6.0, 68.0, 37.0, 98.0), ("IN",)),
    "europe": Region("europe", BBox(35.0, -11.0, 60.0, 30.0), ()),
    "usa": Region("usa", BBox(24.0, -125.0, 50.0, -66.0), ("US",)),
    "world": Region("world", BBox(-90.0, -180.0, 90.0, 180.0), ()),
}


def parse_region(text: str) -> Region:
    """A preset name (``india``) or four comma-separated numbers ``lamin,lomin,lamax,lomax``."""
    key = text.strip().lower()
    if key in PRESETS:
        return PRESETS[key]
    parts = [p.strip() for p in key.split(",")]
    if len(parts) != 4:
        raise ConfigError(
            f"AEROLAKE_REGION must be a preset ({', '.join(sorted(PRESETS))}) or "
            f"'lamin,lomin,lamax,lomax'; got {text!r}"
        )
    try:
        lamin, lomin, lamax, lomax = (float(p) for p in parts)
    except ValueError as exc:
        raise ConfigError(f"AEROLAKE_REGION bbox must be four numbers; got {text!r}") from exc
    return Region("custom", BBox(lamin, lomin, lamax, lomax), ())
