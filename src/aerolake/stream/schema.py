"""The speed layer's output table: silver state vectors plus what tracking adds."""

from __future__ import annotations

from typing import Final

import pyarrow as pa

from aerolake.schema import SILVER_SCHEMA

#: Columns the processor appends to :data:`~aerolake.schema.SILVER_SCHEMA`.
TRACKING_FIELDS: Final[list[pa.Field]] = [
    pa.field("category", pa.int8()),  # OpenSky emitter category 0..20, when the source sent it
    pa.field("flight_id", pa.string(), nullable=False),  # "{icao24}-{start:%Y%m%dT%H%M%SZ}"
    pa.field("phase", pa.string(), nullable=False),  # ground | climb | cruise | descent
    pa.field("nearest_airport", pa.string()),  # ICAO code, for low aircraft near an airport
    # False for simulated fallback states: shown on the live map, never written to the lake.
    pa.field("persist", pa.bool_(), nullable=False),
]

#: Rows on ``aerolake.states.enriched``, sorted by (icao24, time) within a processed batch.
ENRICHED_SCHEMA: Final[pa.Schema] = pa.schema(list(SILVER_SCHEMA) + TRACKING_FIELDS)
