"""Load the serving tables from gold: ``aerolake load [--full]`` and the end of ``aerolake batch``.

Six tables, each built by the SQL model of the same name (``analytics/sql/<table>.sql``):

- per date, replaced date by date: ``fact_flight_history`` (by ``flight_date``),
  ``dim_airspace_heatmap`` and ``dim_aircraft_utilization`` (by ``date``);
- global, recomputed whole from all gold: ``dim_route_analytics``, ``raw_telemetry`` and
  ``dim_airspace_hourly_profile`` (folded from the heatmap as loaded, so it never rescans states).

What changed: every gold date has a signature, the content hashes of its ``gold/flights``
partition and its ``gold/state_vectors`` hours plus a digest of the models and their parameters.
Each per-date table keeps ``{date: signature}`` as its watermark in ``serving_watermarks``,
written in the same transaction as its rows; an incremental load replaces the dates whose
signature differs (and deletes dates gone from gold). Utilization also redoes the dates either
side of a changed one: a turnaround is counted on the day of the take-off after a landing the day
before, and a day's last position may lie in the next day's state vectors. The global tables
keep the digest of all signatures and the raw-telemetry cap.

Atomicity. Every load is ONE target transaction (``ServingTarget.apply``): an incremental load
replaces the changed dates of the per-date tables, the three global tables and every watermark
together, so readers see the previous state or the new one, and a watermark always describes
exactly the rows committed with it; a crash before the commit changes nothing, and the next run
redoes the same work. ``full`` rebuilds all six tables and every watermark in one transaction.
Idempotent: a second incremental load of an unchanged lake writes nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Final

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from aerolake.analytics.engine import Engine, load_model, open_engine
from aerolake.analytics.flights_schema import FLIGHT_SCHEMA
from aerolake.batch.lineage import signature
from aerolake.batch.merge import GOLD_STATE_SCHEMA
from aerolake.lake import GOLD_FLIGHTS, GOLD_STATES, Lake, Manifest
from aerolake.refdata.airports import load_airports
from aerolake.serving.ddl import TABLES
from aerolake.serving.health import check_serving
from aerolake.serving.runs import Run, RunRecorder, TaskRecord
from aerolake.serving.target import ServingTarget
from aerolake.settings import Settings

#: Per-date tables and the DATE column they are replaced by.
PER_DATE_TABLES: Final[Mapping[str, str]] = {
    "fact_flight_history": "flight_date",
    "dim_airspace_heatmap": "date",
    "dim_aircraft_utilization": "date",
}
GLOBAL_TABLES: Final[tuple[str, ...]] = (
    "dim_route_analytics",
    "dim_airspace_hourly_profile",
    "raw_telemetry",
)
SERVING_TABLES: Final[tuple[str, ...]] = (*PER_DATE_TABLES, *GLOBAL_TABLES)
#: Route code of an unknown end airport (never a real ICAO code, safe in a URL).
UNKNOWN_AIRPORT: Final = "UNKNOWN"
#: Heatmap cell size, degrees of latitude and longitude.
CELL_DEG: Final = 0.5
#: Longest ground stop counted as a turnaround; longer is parked time (overnight).
MAX_TURNAROUND_MIN: Final = 360
#: The view each model mainly reads: its rows are the task's ``rows_in``.
MAIN_INPUT: Final[Mapping[str, str]] = {
    "fact_flight_history": "flights",
    "dim_route_analytics": "flights",
    "dim_airspace_heatmap": "states",
    "dim_aircraft_utilization": "flights",
    "raw_telemetry": "states",
    "dim_airspace_hourly_profile": "airspace_heatmap",
}
WATERMARK_PREFIX: Final = "serving:"
ONE_DAY: Final = dt.timedelta(days=1)


@dataclass
class LoadSummary:
    """What a load did: rows written, seconds and dates recomputed per table (UTC dates)."""

    full: bool
    run_id: str | None = None
    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    dates: dict[str, list[dt.date]] = field(default_factory=dict)
    flights_without_route: int = 0

    @property
    def nothing_to_do(self) -> bool:
        return not self.rows


def model_params(settings: Settings) -> dict[str, object]:
    """The parameters of the serving models (pure)."""
    return {
        "unknown_airport": UNKNOWN_AIRPORT,
        "cell_deg": CELL_DEG,
        "max_turnaround_min": MAX_TURNAROUND_MIN,
        "cap": settings.raw_telemetry_cap,
    }


def models_digest() -> str:
    """A digest of the model texts and fixed parameters: a change reloads every date."""
    digest = hashlib.sha256(f"{UNKNOWN_AIRPORT}|{CELL_DEG}|{MAX_TURNAROUND_MIN}".encode())
    for name in SERVING_TABLES:
        digest.update(load_model(name).sql.encode())
    return digest.hexdigest()[:32]


def date_signatures(lake: Lake, extra: str = "") -> dict[str, str]:
    """``{'YYYY-MM-DD': signature}`` of every UTC date with gold flights or state vectors."""
    flights = {str(m.partition["date"]): m for m in lake.manifests(GOLD_FLIGHTS)}
    states: dict[str, list[Manifest]] = {}
    for manifest in lake.manifests(GOLD_STATES):
        states.setdefault(str(manifest.partition["date"]), []).append(manifest)
    return {
        day: signature([flights.get(day), *states.get(day, [])], extra)
        for day in sorted(flights.keys() | states.keys())
    }


def changed_dates(current: Mapping[str, str], stored: Mapping[str, str]) -> set[dt.date]:
    """Dates whose signature differs, including dates that are gone from gold."""
    return {
        dt.date.fromisoformat(day)
        for day in current.keys() | stored.keys()
        if current.get(day) != stored.get(day)
    }


def with_neighbours(days: Iterable[dt.date]) -> set[dt.date]:
    return {d + shift for d in days for shift in (-ONE_DAY, dt.timedelta(0), ONE_DAY)}


def load_serving(
    settings: Settings,
    lake: Lake,
    target: ServingTarget,
    *,
    full: bool = False,
    recorder_run: Run | None = None,
    trigger: str = "cli",
) -> LoadSummary:
    """Bring the serving tables up to date with gold (everything with ``full``).

    Records one task per table in ``recorder_run`` (e.g. the batch run it ends), else in a new
    ``load`` run, plus a serving health check. Raises ServingError / LakeError; a failed load
    leaves every table and its watermark as committed before the failure.
    """
    if recorder_run is not None:
        return _load(settings, lake, target, full, recorder_run)
    recorder = RunRecorder(target, settings=settings.redacted())
    with recorder.run("load", trigger) as run:
        return _load(settings, lake, target, full, run)


def _load(
    settings: Settings, lake: Lake, target: ServingTarget, full: bool, run: Run
) -> LoadSummary:
    summary = LoadSummary(full=full, run_id=run.run_id)
    sigs = date_signatures(lake, models_digest())
    global_sig = signature([], json.dumps(sigs, sort_keys=True), str(settings.raw_telemetry_cap))
    engine = open_engine(settings.engine, **settings.engine_options())
    try:
        models = _Models(engine, lake, model_params(settings), run, summary)
        if full:
            _load_full(models, target, sigs, global_sig)
        else:
            _load_incremental(models, target, sigs, global_sig)
    finally:
        engine.close()
    run.record_health(check_serving(target))
    return summary


def _load_full(
    models: _Models, target: ServingTarget, sigs: dict[str, str], global_sig: str
) -> None:
    models.use_states(None)
    tables = {name: models.build(name) for name in PER_DATE_TABLES}
    models.register("airspace_heatmap", tables["dim_airspace_heatmap"])
    for name in GLOBAL_TABLES:
        tables[name] = models.build(name)
    days = sorted(dt.date.fromisoformat(d) for d in sigs)
    for name in PER_DATE_TABLES:
        models.summary.dates[name] = days
    watermark = {_watermark_name(name): _dump(sigs) for name in PER_DATE_TABLES}
    watermark[_watermark_name("global")] = global_sig
    with models.task("serving commit") as task:
        target.replace_tables(tables, watermark=watermark)
        task.rows_out = sum(t.num_rows for t in tables.values())


def _load_incremental(
    models: _Models, target: ServingTarget, sigs: dict[str, str], global_sig: str
) -> None:
    partitions: dict[str, tuple[str, Sequence[object], pa.Table]] = {}
    watermark: dict[str, str] = {}
    heatmap_days: set[dt.date] = set()
    new_heatmap: pa.Table | None = None
    for name, key in PER_DATE_TABLES.items():
        stored = _stored_signatures(target, name)
        days = changed_dates(sigs, stored)
        if name == "dim_aircraft_utilization":
            days = with_neighbours(days)
            models.use_states(days | {d + ONE_DAY for d in days})
        elif name == "dim_airspace_heatmap":
            models.use_states(days)
        if not days and target.table_exists(name):
            continue
        data = models.build(name, only=(key, days))
        partitions[name] = (key, sorted(days), data)
        watermark[_watermark_name(name)] = _dump(sigs)
        models.summary.dates[name] = sorted(days)
        if name == "dim_airspace_heatmap":
            heatmap_days, new_heatmap = days, data
    replace: dict[str, pa.Table] = {}
    fresh = all(target.table_exists(name) for name in GLOBAL_TABLES)
    if not (fresh and target.watermark(_watermark_name("global")) == global_sig):
        models.use_states(None)
        models.register("airspace_heatmap", _heatmap_after(target, heatmap_days, new_heatmap))
        replace = {name: models.build(name) for name in GLOBAL_TABLES}
        watermark[_watermark_name("global")] = global_sig
    if not partitions and not replace:
        return
    with models.task("serving commit") as task:
        target.apply(replace=replace, partitions=partitions, watermark=watermark)
        task.rows_out = sum(t.num_rows for t in replace.values()) + sum(
            p[2].num_rows for p in partitions.values()
        )


def _heatmap_after(
    target: ServingTarget, replaced: set[dt.date], new_rows: pa.Table | None
) -> pa.Table:
    """The heatmap as it will be after this load commits: kept dates plus the new rows."""
    schema = TABLES["dim_airspace_heatmap"].arrow_schema
    kept = (
        target.query("SELECT * FROM dim_airspace_heatmap")
        if target.table_exists("dim_airspace_heatmap")
        else schema.empty_table()
    )
    if replaced:
        days = pa.array(sorted(replaced), pa.date32())
        kept = kept.filter(pc.invert(pc.is_in(kept.column("date").cast(pa.date32()), days)))
    parts = [kept.cast(schema)] + ([new_rows.cast(schema)] if new_rows is not None else [])
    return pa.concat_tables(parts)


class _Models:
    """Runs the models on one engine over the lake's gold, timing and recording each."""

    def __init__(
        self,
        engine: Engine,
        lake: Lake,
        params: dict[str, object],
        run: Run,
        summary: LoadSummary,
    ) -> None:
        self.engine, self.lake, self.params = engine, lake, params
        self.run, self.summary = run, summary
        self.rows_in: dict[str, int] = {}
        self.register("airports", load_airports().table())
        self.register("flights", *self._source(GOLD_FLIGHTS, None, FLIGHT_SCHEMA))

    def register(
        self, view: str, source: pa.Table | ds.Dataset | list[str], rows: int | None = None
    ) -> None:
        self.engine.register(view, source)
        self.rows_in[view] = source.num_rows if isinstance(source, pa.Table) else rows or 0

    def use_states(self, days: set[dt.date] | None) -> None:
        """Expose the gold state vectors of ``days`` (all when None) as view ``states``."""
        wanted = None if days is None else [{"date": d.isoformat()} for d in sorted(days)]
        self.register("states", *self._source(GOLD_STATES, wanted, GOLD_STATE_SCHEMA))

    def build(self, name: str, only: tuple[str, set[dt.date]] | None = None) -> pa.Table:
        """Run model ``name``; with ``only=(column, days)`` keep the rows of those dates."""
        with self.task(name, table=name) as task:
            task.rows_in = self.rows_in.get(MAIN_INPUT[name])
            data = self.engine.run(name, self.params)
            if only is not None:
                column, days = only
                wanted = pa.array(sorted(days), pa.date32())
                data = data.filter(pc.is_in(data.column(column), value_set=wanted))
            task.rows_out = data.num_rows
            if name == "fact_flight_history":
                unrouted = int(pc.sum(pc.is_null(data.column("route"))).as_py() or 0)
                task.metrics["flights_without_route"] = unrouted
                self.summary.flights_without_route = unrouted
            self.summary.rows[name] = data.num_rows
        return data

    @contextmanager
    def task(self, name: str, table: str | None = None) -> Iterator[TaskRecord]:
        """A recorded task; its seconds count towards ``table`` (else ``name``) in the summary."""
        started = time.perf_counter()
        with self.run.task(name) as task:
            yield task
        key = table or name
        self.summary.seconds[key] = self.summary.seconds.get(key, 0.0) + (
            time.perf_counter() - started
        )

    def _source(
        self, table: str, partitions: Sequence[Mapping[str, object]] | None, schema: pa.Schema
    ) -> tuple[pa.Table | ds.Dataset | list[str], int]:
        """What the engine reads (:meth:`Lake.engine_source`: local paths, or a lazy dataset on
        S3) and its row count from the manifests."""
        if partitions is not None and not partitions:
            return schema.empty_table(), 0
        rows = sum(m.rows for m in self.lake.manifests(table, partitions))
        return self.lake.engine_source(table, partitions, schema), rows


def _watermark_name(table: str) -> str:
    return WATERMARK_PREFIX + table


def _dump(sigs: Mapping[str, str]) -> str:
    return json.dumps(dict(sigs), sort_keys=True, separators=(",", ":"))


def _stored_signatures(target: ServingTarget, table: str) -> dict[str, str]:
    """The per-date signatures loaded into ``table``; {} when absent, unreadable or dropped."""
    if not target.table_exists(table):
        return {}
    raw = target.watermark(_watermark_name(table))
    try:
        value = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    if not isinstance(value, dict):
        return {}
    return {str(k): str(v) for k, v in value.items()}
