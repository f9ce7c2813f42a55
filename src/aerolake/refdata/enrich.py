"""Enrichment of valid state vectors with reference data: the silver columns.

Shared by the batch silver step and the speed layer so both produce the same
:data:`~aerolake.schema.SILVER_SCHEMA` rows. Pure: no I/O (the caller loads the aircraft table
with :func:`~aerolake.refdata.aircraft_db.load_aircraft_db` and passes it in).
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from aerolake.refdata.airlines import airline_for_callsign, airlines_table
from aerolake.refdata.countries import registration_country
from aerolake.schema import SILVER_SCHEMA, VALID_SCHEMA


def _lookup(keys: pa.Array, table: pa.Table, key: str, values: list[str]) -> list[pa.Array]:
    """``table[v]`` for each v in ``values`` at the first row whose ``table[key]`` equals each
    key; null where no row matches. The hash of ``table[key]`` is built once."""
    if len(keys) < table.num_rows:
        # Hash the smaller side: keep only rows whose key occurs (order, hence "first", kept).
        table = table.filter(pc.is_in(table.column(key), value_set=pc.unique(keys)))
    positions = pc.index_in(keys, value_set=table.column(key).combine_chunks())
    return [pc.take(table.column(v).combine_chunks().cast(pa.string()), positions) for v in values]


def enrich(valid: pa.Table, aircraft: pa.Table | None) -> pa.Table:
    """Append airline, registration country and aircraft columns; rows keep their order.

    ``valid`` must hold the :data:`~aerolake.schema.VALID_SCHEMA` columns (extra columns are
    dropped). ``aircraft`` is the imported aircraft database (``icao24`` plus ``registration``
    and ``typecode``) or None, in which case those two columns are null. Returns a table in
    exactly :data:`~aerolake.schema.SILVER_SCHEMA`.
    """
    missing = [name for name in VALID_SCHEMA.names if name not in valid.schema.names]
    if missing:
        raise ValueError(f"enrich expects the VALID_SCHEMA columns; missing {missing}")
    base = valid.select(VALID_SCHEMA.names).cast(VALID_SCHEMA)
    n = base.num_rows
    icao24 = base.column("icao24").combine_chunks()

    airline_icao = airline_for_callsign(base.column("callsign"))
    (airline_name,) = _lookup(airline_icao, airlines_table(), "icao", ["name"])
    country = registration_country(icao24)
    if aircraft is None or aircraft.num_rows == 0:
        registration = pa.nulls(n, pa.string())
        typecode = pa.nulls(n, pa.string())
    else:
        registration, typecode = _lookup(icao24, aircraft, "icao24", ["registration", "typecode"])

    columns = [*base.columns, airline_icao, airline_name, country, registration, typecode]
    return pa.Table.from_arrays(columns, schema=SILVER_SCHEMA)
