"""The simulated fleet: the region's airports and airlines, and aircraft with fixed identities.

Airports come from :func:`aerolake.refdata.airports.airports_in` (those with an IATA code, i.e.
with scheduled service) and are weighted so that hubs see most of the traffic; airlines from
:func:`aerolake.refdata.airlines.airlines_of_country` for the region's countries (or, for a
region without countries, every country with an airport in the box). Each aircraft gets one
airline, a unique ICAO 24-bit address from its airline's country block, a home base and a few
personal traits (report interval, cruise speed, duty hours). Deterministic for a config.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from aerolake.errors import ConfigError
from aerolake.refdata.airlines import Airline, airlines_of_country
from aerolake.refdata.airports import Airport, airports_in
from aerolake.refdata.countries import icao24_block, registration_country
from aerolake.sources.simulator.config import SimulatorConfig
from aerolake.sources.simulator.hashing import key, unit

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
Bool = npt.NDArray[np.bool_]

#: Relative traffic of busy airports (roughly proportional to annual movements); others get 1.
HUB_WEIGHTS: Final[dict[str, float]] = {
    # India
    "VIDP": 40, "VABB": 34, "VOBL": 28, "VOMM": 16, "VECC": 15, "VOHS": 18, "VAAH": 10,
    "VOCI": 8, "VOGO": 5, "VOGA": 4, "VAPO": 7, "VILK": 6, "VIJP": 5, "VOTV": 4, "VEGT": 5,
    "VEPT": 4, "VEBS": 3, "VANP": 3, "VOCB": 3, "VIBN": 3, "VISR": 3, "VOCL": 2, "VIAR": 2,
    "VIDX": 3, "VAID": 3, "VERC": 2, "VEBD": 2, "VOBZ": 2, "VOTR": 2, "VOMD": 2, "VOML": 2,
    # Europe
    "EGLL": 30, "LFPG": 30, "EHAM": 30, "EDDF": 28, "LEMD": 25, "LTFM": 28, "LEBL": 18,
    "EDDM": 18, "LIRF": 16, "EGKK": 14, "LSZH": 12, "LOWW": 12, "EKCH": 12, "ENGM": 11,
    "ESSA": 10, "EIDW": 12, "LPPT": 12, "EBBR": 10, "LFPO": 10, "LGAV": 10, "EPWA": 8,
    # North America
    "KATL": 35, "KORD": 32, "KDFW": 32, "KDEN": 30, "KLAX": 28, "KJFK": 22, "KLAS": 20,
    "KSFO": 18, "KSEA": 18, "KCLT": 22, "KPHX": 18, "KMCO": 18, "KMIA": 15, "KIAH": 18,
    "KEWR": 16, "KBOS": 16, "KMSP": 15, "KDTW": 15, "KLGA": 15, "KPHL": 12, "KSLC": 12,
}  # fmt: skip

#: Relative fleet sizes of major carriers (by ICAO designator); other active airlines get 0.5.
AIRLINE_WEIGHTS: Final[dict[str, float]] = {
    "IGO": 60, "AIC": 18, "AXB": 10, "AKJ": 5, "SEJ": 5, "VTI": 3, "LLR": 2, "SDG": 1,
    "DAL": 30, "AAL": 30, "UAL": 28, "SWA": 30, "ASA": 8, "JBU": 8, "NKS": 6, "SKW": 15,
    "RYR": 30, "EZY": 20, "DLH": 20, "AFR": 15, "BAW": 15, "KLM": 10, "THY": 20, "IBE": 8,
    "VLG": 8, "WZZ": 10, "SAS": 8, "AZA": 5, "SWR": 6, "AUA": 4, "TAP": 6, "EIN": 4,
}  # fmt: skip

#: Share of aircraft flying the night bank (duty starting in the local evening).
NIGHT_SHARE: Final[float] = 0.08
#: Share of smaller airports whose receivers see little below ~600 m.
POOR_COVERAGE_SHARE: Final[float] = 0.35


@dataclass(frozen=True)
class Fleet:
    """Airports, airlines and aircraft of one simulation. Arrays are indexed by airport,
    airline or aircraft number. Times of day are seconds after local midnight (UTC offset
    ``utc_offset_s`` derived from the region's central longitude)."""

    airports: tuple[Airport, ...]
    airport_lat: F64
    airport_lon: F64
    airport_elev: F64
    airport_weight: F64
    poor_coverage: Bool
    airlines: tuple[Airline, ...]
    airline: I64  # per aircraft: index into airlines
    icao24: pa.Array  # per aircraft: 6 lower-case hex digits
    origin_country: pa.Array  # per aircraft: registration country name
    home: I64  # per aircraft: index into airports
    period_s: F64  # per aircraft: mean report interval
    cruise_speed: F64  # per aircraft: long-leg cruise ground speed, m/s
    duty_start_s: F64  # per aircraft: local time of day its duty starts
    duty_len_s: F64  # per aircraft: duty length
    utc_offset_s: float

    @property
    def size(self) -> int:
        return len(self.home)

    def airline_codes(self) -> pa.Array:
        """ICAO designator per aircraft."""
        return pa.array([self.airlines[i].icao for i in self.airline], pa.string())


def region_airports(config: SimulatorConfig) -> list[Airport]:
    region = config.region
    found = airports_in(region.bbox, countries=region.countries, with_iata=True)
    if len(found) < 2:
        raise ConfigError(
            f"region {region.name!r} holds {len(found)} airport(s) with scheduled service; the "
            "simulator needs at least two. Choose a larger box or other countries."
        )
    return found


def region_airlines(config: SimulatorConfig, airports: list[Airport]) -> list[tuple[Airline, str]]:
    """Active airlines with an ICAO designator, each with its country's ISO2 code."""
    countries = config.region.countries or tuple(sorted({a.country for a in airports}))
    found = {
        airline.icao: (airline, country.upper())
        for country in countries
        for airline in airlines_of_country(country)
        if airline.active and len(airline.icao or "") == 3 and airline.icao.isalpha()
    }
    if not found:
        raise ConfigError(
            f"no active airline with an ICAO designator is registered in {', '.join(countries)}; "
            "the simulator needs one to name its flights. Choose a region with airlines."
        )
    return [found[code] for code in sorted(found)]


def build_fleet(config: SimulatorConfig) -> Fleet:
    """The fleet for ``config``; a pure function of it (plus the shipped reference data)."""
    airports = region_airports(config)
    pairs = region_airlines(config, airports)
    airlines = [airline for airline, _ in pairs]
    rng = np.random.default_rng([config.seed, 0xF1EE7])
    n = config.aircraft

    a_weight = np.array([HUB_WEIGHTS.get(a.icao, 1.0) for a in airports])
    l_weight = np.array([AIRLINE_WEIGHTS.get(a.icao, 0.5) for a in airlines])
    airline = rng.choice(len(airlines), size=n, p=l_weight / l_weight.sum())
    home = rng.choice(len(airports), size=n, p=a_weight / a_weight.sum())
    icao24 = _addresses(rng, [pairs[i][1] for i in airline])
    hex_ids = pa.array([f"{v:06x}" for v in icao24], pa.string())

    low, high = config.sample_s
    night = rng.random(n) < NIGHT_SHARE
    # Most duties start in the early local morning (05:00-09:30), a few in the evening.
    duty_start = 5 * 3600 + np.clip(rng.normal(1.5 * 3600, 3600, n), 0, 4.5 * 3600)
    duty_start = np.where(night, duty_start + 12 * 3600, duty_start)
    hub = np.array([a.icao in HUB_WEIGHTS for a in airports])
    coverage_draw = unit(key(config.seed, np.arange(len(airports)), 0xC0DE))
    lon_mid = 0.5 * (config.region.bbox.lomin + config.region.bbox.lomax)
    return Fleet(
        airports=tuple(airports),
        airport_lat=np.array([a.lat for a in airports]),
        airport_lon=np.array([a.lon for a in airports]),
        airport_elev=np.array([a.elevation_m for a in airports]),
        airport_weight=a_weight,
        poor_coverage=~hub & (coverage_draw < POOR_COVERAGE_SHARE),
        airlines=tuple(airlines),
        airline=airline.astype(np.int64),
        icao24=hex_ids,
        origin_country=registration_country(hex_ids),
        home=home.astype(np.int64),
        period_s=rng.uniform(low, high, n),
        cruise_speed=rng.uniform(220.0, 250.0, n),
        duty_start_s=duty_start,
        duty_len_s=rng.uniform(14 * 3600, 19 * 3600, n),
        utc_offset_s=round(lon_mid / 7.5) * 1800.0,
    )


def _addresses(rng: np.random.Generator, countries: list[str]) -> I64:
    """Unique ICAO addresses drawn from each aircraft's country block."""
    out = np.zeros(len(countries), dtype=np.int64)
    codes = np.array(countries)
    for country in sorted(set(countries)):
        members = np.flatnonzero(codes == country)
        first, last = icao24_block(country)
        size = last - first + 1
        if len(members) > size:
            raise ConfigError(
                f"{len(members)} simulated aircraft from {country} do not fit its ICAO block of "
                f"{size} addresses; lower the fleet size"
            )
        out[members] = first + rng.choice(size, size=len(members), replace=False)
    return out
