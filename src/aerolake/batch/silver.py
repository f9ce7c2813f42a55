"""Silver: bronze hours -> validated, deduplicated, enriched, region-filtered state vectors.

Per bronze (date, hour) partition whose content changed since it was last built (see
:mod:`aerolake.batch.lineage`): validate (rejects -> ``silver/quarantine`` with a reason code),
deduplicate on (icao24, time) across all files of the hour, enrich, keep the region's rows, sort
by (icao24, time) so that segmentation downstream is a streaming pass, and replace the silver and
quarantine partitions. Batch silver rows carry ``data_source = 'batch'``
(:data:`~aerolake.schema.GOLD_STATE_SCHEMA`), so the gold merge copies their files as they are. Rows outside the region are not errors: they stay in bronze and are
counted as ``out_of_region``.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from aerolake.batch.lineage import Lineage, signature
from aerolake.lake import BRONZE_STATES, SILVER_QUARANTINE, SILVER_STATES, Lake, Partition
from aerolake.lake import partition_path as ppath
from aerolake.refdata.airlines import airlines_of_country
from aerolake.refdata.enrich import enrich
from aerolake.refdata.regions import Region
from aerolake.schema import GOLD_STATE_SCHEMA, QUARANTINE_SCHEMA, STATE_SCHEMA
from aerolake.validate import validate

#: Bumped when the silver rules change, so that every partition is rebuilt once.
SILVER_VERSION = "silver-v2"


@dataclass(frozen=True)
class RegionFilter:
    """Keep rows inside ``region.bbox``; with ``airlines_anywhere``, also rows of the region's
    airlines (by correct ICAO designator) wherever they fly."""

    region: Region
    airlines_anywhere: bool = False

    def token(self) -> str:
        b = self.region.bbox
        return f"{b.lamin},{b.lomin},{b.lamax},{b.lomax},{self.airlines_anywhere}"

    def mask(self, table: pa.Table) -> pa.ChunkedArray:
        b = self.region.bbox
        lat, lon = table.column("lat"), table.column("lon")
        inside = pc.and_(
            pc.and_(pc.greater_equal(lat, b.lamin), pc.less_equal(lat, b.lamax)),
            pc.and_(pc.greater_equal(lon, b.lomin), pc.less_equal(lon, b.lomax)),
        )
        if self.airlines_anywhere and self.region.countries:
            codes = [a.icao for c in self.region.countries for a in airlines_of_country(c)]
            ours = pc.is_in(table.column("airline_icao"), value_set=pa.array(codes, pa.string()))
            inside = pc.or_(inside, ours)
        return pc.fill_null(inside, False)


@dataclass
class SilverSummary:
    partitions_built: int = 0
    partitions_unchanged: int = 0
    rows_in: int = 0
    rows_out: int = 0
    out_of_region: int = 0
    quarantined: Counter[str] = field(default_factory=Counter)
    built: list[Partition] = field(default_factory=list)


def build_silver(
    lake: Lake,
    region_filter: RegionFilter,
    *,
    aircraft: pa.Table | None = None,
    partitions: list[Partition] | None = None,
    full: bool = False,
    now: dt.datetime | None = None,
    on_partition: Callable[[Partition], None] | None = None,
) -> SilverSummary:
    """Rebuild the silver hours whose bronze input changed (all of them with ``full``)."""
    lineage = Lineage(lake, "silver")
    summary = SilverSummary()
    changes: dict[str, str | None] = {}
    aircraft_token = "aircraft" if aircraft is None else f"aircraft:{aircraft.num_rows}"
    for partition in partitions if partitions is not None else lake.partitions(BRONZE_STATES):
        key = ppath(partition)
        sig = signature(
            [lake.manifest(BRONZE_STATES, partition)],
            SILVER_VERSION,
            region_filter.token(),
            aircraft_token,
        )
        if not full and lineage.get(key) == sig:
            summary.partitions_unchanged += 1
        else:
            _build_one(lake, partition, region_filter, aircraft, now, summary)
            summary.built.append(partition)
            summary.partitions_built += 1
            changes[key] = sig
        if on_partition is not None:
            on_partition(partition)
    lineage.update(changes)
    return summary


def _build_one(
    lake: Lake,
    partition: Partition,
    region_filter: RegionFilter,
    aircraft: pa.Table | None,
    now: dt.datetime | None,
    summary: SilverSummary,
) -> None:
    bronze = lake.read(BRONZE_STATES, [partition], columns=STATE_SCHEMA.names)
    # Deterministic input order whatever the file order: by (icao24, time, batch_id).
    bronze = bronze.sort_by(
        [("icao24", "ascending"), ("time", "ascending"), ("batch_id", "ascending")]
    )
    checked = validate(bronze, now=now)
    silver = enrich(checked.valid, aircraft)
    keep = region_filter.mask(silver)
    kept = silver.filter(keep)
    summary.rows_in += bronze.num_rows
    summary.rows_out += kept.num_rows
    summary.out_of_region += silver.num_rows - kept.num_rows
    summary.quarantined.update(checked.reason_counts())
    kept = kept.sort_by([("icao24", "ascending"), ("time", "ascending")])
    kept = kept.append_column(
        GOLD_STATE_SCHEMA.field("data_source"), pa.repeat(pa.scalar("batch"), kept.num_rows)
    )
    key = f"silver-{ppath(partition).replace('/', '-')}"
    _replace_or_delete(lake, SILVER_STATES, partition, kept, key, GOLD_STATE_SCHEMA)
    _replace_or_delete(
        lake, SILVER_QUARANTINE, partition, checked.quarantined, key, QUARANTINE_SCHEMA
    )


def _replace_or_delete(
    lake: Lake, table: str, partition: Partition, data: pa.Table, key: str, schema: pa.Schema
) -> None:
    if data.num_rows:
        lake.replace_partition(table, partition, data, key, schema)
    elif lake.manifest(table, partition) is not None:
        lake.delete_partition(table, partition)
