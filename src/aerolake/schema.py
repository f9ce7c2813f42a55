"""The canonical state vector: one pyarrow schema for every layer.

The first 16 columns are OpenSky's historical "states" files, in their order and SI units
(see docs/architecture.md): ``time`` unix seconds (int), angles in degrees, speeds in m/s,
altitudes in metres, ``lastposupdate``/``lastcontact`` unix seconds (fractional).
``origin_country`` is OpenSky's country inferred from the ICAO address; ``source``,
``ingested_at`` (UTC) and ``batch_id`` are provenance added at the source boundary.

Only normalizers at the source boundary rename fields or convert units.
"""

from __future__ import annotations

from typing import Final, Literal

import pyarrow as pa

OPENSKY_COLUMNS: Final[tuple[str, ...]] = (
    "time",
    "icao24",
    "lat",
    "lon",
    "velocity",
    "heading",
    "vertrate",
    "callsign",
    "onground",
    "alert",
    "spi",
    "squawk",
    "baroaltitude",
    "geoaltitude",
    "lastposupdate",
    "lastcontact",
)

OPENSKY_FIELDS: Final[list[pa.Field]] = [
    pa.field("time", pa.int64(), nullable=False),  # unix s the vector is valid for
    pa.field("icao24", pa.string(), nullable=False),  # 6 lower-case hex digits
    pa.field("lat", pa.float64()),  # deg WGS84
    pa.field("lon", pa.float64()),  # deg WGS84
    pa.field("velocity", pa.float64()),  # ground speed, m/s
    pa.field("heading", pa.float64()),  # true track, deg clockwise from north
    pa.field("vertrate", pa.float64()),  # m/s, positive = climbing
    pa.field("callsign", pa.string()),
    pa.field("onground", pa.bool_()),
    pa.field("alert", pa.bool_()),
    pa.field("spi", pa.bool_()),
    pa.field("squawk", pa.string()),  # 4 octal digits, text
    pa.field("baroaltitude", pa.float64()),  # m
    pa.field("geoaltitude", pa.float64()),  # m
    pa.field("lastposupdate", pa.float64()),  # unix s
    pa.field("lastcontact", pa.float64()),  # unix s
]

SourceName = Literal["simulator", "opensky", "files", "simulator-fallback"]

PROVENANCE_FIELDS: Final[list[pa.Field]] = [
    pa.field("origin_country", pa.string()),
    pa.field("source", pa.string(), nullable=False),
    pa.field("ingested_at", pa.timestamp("us", tz="UTC"), nullable=False),
    pa.field("batch_id", pa.string(), nullable=False),
]

#: What every source yields (record batches in exactly this schema).
STATE_SCHEMA: Final[pa.Schema] = pa.schema(OPENSKY_FIELDS + PROVENANCE_FIELDS)

#: Valid rows after validation: the canonical schema plus the ``stale`` mark.
VALID_SCHEMA: Final[pa.Schema] = STATE_SCHEMA.append(pa.field("stale", pa.bool_(), nullable=False))

#: Quarantined rows: the canonical columns as received plus why they were rejected.
QUARANTINE_SCHEMA: Final[pa.Schema] = STATE_SCHEMA.append(
    pa.field("reason", pa.string(), nullable=False)
)

#: Seconds after which a vector is stale (OpenSky keeps emitting for 300 s after last contact).
STALE_AFTER_S: Final[float] = 15.0


def empty_states() -> pa.Table:
    return STATE_SCHEMA.empty_table()


#: Enrichment columns appended by the silver step and by the speed layer.
ENRICHMENT_FIELDS: Final[list[pa.Field]] = [
    pa.field("airline_icao", pa.string()),  # ICAO designator from the callsign, e.g. "IGO"
    pa.field("airline_name", pa.string()),
    pa.field("registration_country", pa.string()),  # from the ICAO 24-bit address block
    pa.field("registration", pa.string()),  # from the imported aircraft database, when known
    pa.field("typecode", pa.string()),
]

#: Silver state vectors (batch and speed): valid rows, enriched, sorted by (icao24, time).
SILVER_SCHEMA: Final[pa.Schema] = pa.schema(list(VALID_SCHEMA) + ENRICHMENT_FIELDS)

#: Batch silver and gold state vectors: silver plus the layer each row came from
#: (``batch`` or ``speed``). Batch silver is written in this schema already, so the gold merge
#: copies its files byte for byte.
GOLD_STATE_SCHEMA: Final[pa.Schema] = SILVER_SCHEMA.append(
    pa.field("data_source", pa.string(), nullable=False)
)
