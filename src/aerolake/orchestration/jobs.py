"""The periodic jobs as plain functions: one call = one recorded pipeline run.

The CLI, the embedded scheduler (``aerolake up``) and the Airflow DAGs (``dags/``) all call
these, so a run looks the same in ``pipeline_runs`` whoever triggered it (``trigger`` says who:
``cli``, ``schedule``, ``airflow``, ``web``). Each job opens the lake and the serving target
from ``settings``, records one run with a task per step plus health probes, and raises when a
step fails (the run is then recorded ``failed``; the caller decides whether to retry).

Every job is idempotent: a re-run on unchanged input writes nothing, and what to rebuild is
decided by the lineage signatures of each layer, so a crash between two jobs never leaves a
layer stale — the next run of the later job catches up.

- :func:`ingest_job`: history files -> bronze.
- :func:`silver_job`: bronze -> silver (batch).
- :func:`merge_job`, :func:`flights_job`: silver (batch and speed) -> gold state vectors;
  gold state vectors -> gold flights. :func:`gold_job` runs both as one run.
  :func:`speed_to_gold_job` is the same steps, recorded as the hourly ``speed-to-gold`` run.
- :func:`batch_job`: silver, gold merge, flights and the serving load in one run.
- :func:`load_job`: gold -> serving tables (incremental, or ``full``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from aerolake.errors import ConfigError, SourceError
from aerolake.settings import Settings

if TYPE_CHECKING:
    from aerolake.batch.flights import FlightsSummary
    from aerolake.batch.ingest import FileResult, IngestSummary
    from aerolake.batch.merge import MergeSummary
    from aerolake.batch.silver import SilverSummary
    from aerolake.lake import Lake
    from aerolake.orchestration.batch import BatchSummary, Progress
    from aerolake.orchestration.load import LoadSummary
    from aerolake.serving.runs import Run
    from aerolake.serving.target import ServingTarget


@dataclass(frozen=True)
class GoldResult:
    """What :func:`gold_job` did."""

    run_id: str
    merge: MergeSummary
    flights: FlightsSummary


@dataclass(frozen=True)
class BatchResult:
    """What :func:`batch_job` did; ``load`` is None when it was asked not to load."""

    run_id: str
    batch: BatchSummary
    load: LoadSummary | None


def open_lake(settings: Settings) -> Lake:
    from aerolake.lake import Lake

    return Lake.open(settings.lake, s3_endpoint=settings.s3_endpoint)


@contextmanager
def recorded_run(
    settings: Settings, kind: str, trigger: str
) -> Iterator[tuple[Run, ServingTarget]]:
    """A pipeline run recorded in the serving database, with health probes at the end.

    The run is ``failed`` if the body raises or any of its tasks failed. The serving target
    is opened here and closed on exit.
    """
    from aerolake.serving import open_target
    from aerolake.serving.health import check_lake_writable, check_serving
    from aerolake.serving.runs import RunRecorder

    target = open_target(settings.serving)
    try:
        recorder = RunRecorder(target, settings=settings.redacted())
        with recorder.run(kind, trigger) as run:
            yield run, target
            run.record_health(check_lake_writable(settings.lake))
            run.record_health(check_serving(target))
    finally:
        target.close()


def ingest_job(
    settings: Settings,
    paths: Sequence[str | Path] | None = None,
    *,
    force: bool = False,
    strict: bool = True,
    trigger: str = "cli",
    on_file: Callable[[FileResult], None] | None = None,
) -> IngestSummary:
    """Ingest history files (default: ``AEROLAKE_FILES_PATH``) into bronze; run kind ``ingest``.

    Raises ConfigError when no path is given or configured, or a named path does not exist.
    With ``strict``, a file that failed to ingest fails the task (SourceError, after the other
    files went in); without it the failures are only in the summary (the CLI prints them).
    """
    from aerolake.batch.ingest import ingest
    from aerolake.orchestration.batch import layer_stats

    inputs = list(paths) if paths else ([settings.files_path] if settings.files_path else [])
    if not inputs:
        raise ConfigError(
            "no files to ingest: pass paths or set AEROLAKE_FILES_PATH to the history files "
            "(a file, a directory or a glob)"
        )
    lake = open_lake(settings)
    with recorded_run(settings, "ingest", trigger) as (run, _), run.task("ingest") as task:
        summary = ingest(lake, inputs, force=force, on_file=on_file)
        task.rows_in = task.rows_out = summary.rows
        task.metrics.update(
            {s: summary.count(s) for s in ("ingested", "replaced", "unchanged", "failed")}
        )
        layer_stats(task, lake, "bronze")
        if strict and summary.failed:
            raise SourceError(
                f"{len(summary.failed)} of {len(summary.files)} files failed to ingest: "
                + "; ".join(f.message for f in summary.failed[:5])
            )
    return summary


def silver_job(
    settings: Settings,
    *,
    full: bool = False,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    airlines_anywhere: bool = False,
    trigger: str = "cli",
) -> SilverSummary:
    """Rebuild the batch silver hours whose bronze changed (all with ``full``); run kind
    ``silver``. ``date_from``/``date_to``: inclusive UTC dates of the bronze hours to consider."""
    from aerolake.orchestration.batch import bronze_hours, silver_step

    lake = open_lake(settings)
    with recorded_run(settings, "silver", trigger) as (run, _):
        silver = silver_step(
            settings,
            lake,
            run,
            full=full,
            partitions=bronze_hours(lake, date_from, date_to),
            airlines_anywhere=airlines_anywhere,
        )
    return silver


def gold_job(
    settings: Settings, *, full: bool = False, trigger: str = "cli", kind: str = "gold"
) -> GoldResult:
    """Gold merge (batch silver over speed silver, hour by hour) then the flights of the dates
    whose gold changed (everything with ``full``); one run of ``kind`` with two tasks."""
    from aerolake.orchestration.batch import flights_step, merge_step

    lake = open_lake(settings)
    with recorded_run(settings, kind, trigger) as (run, _):
        merge = merge_step(lake, run, full=full)
        flights = flights_step(settings, lake, run, full=full, merge=merge)
        return GoldResult(run.run_id, merge, flights)


def merge_job(settings: Settings, *, full: bool = False, trigger: str = "cli") -> MergeSummary:
    """The gold merge alone, as run ``gold-merge`` (Airflow's flight mapping, first task)."""
    from aerolake.orchestration.batch import merge_step

    lake = open_lake(settings)
    with recorded_run(settings, "gold-merge", trigger) as (run, _):
        return merge_step(lake, run, full=full)


def flights_job(settings: Settings, *, full: bool = False, trigger: str = "cli") -> FlightsSummary:
    """Flight segmentation alone, as run ``gold-flights``: the dates whose gold changed."""
    from aerolake.orchestration.batch import flights_step

    lake = open_lake(settings)
    with recorded_run(settings, "gold-flights", trigger) as (run, _):
        return flights_step(settings, lake, run, full=full)


def speed_to_gold_job(settings: Settings, *, trigger: str = "schedule") -> GoldResult:
    """The hourly job: fold the hours the speed layer wrote into gold, and their flights.

    Hours the batch layer has loaded keep their batch rows (the merge rule); only changed hours
    and the dates around them are rewritten, so an idle hour costs a signature check."""
    return gold_job(settings, full=False, trigger=trigger, kind="speed-to-gold")


def batch_job(
    settings: Settings,
    *,
    full: bool = False,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    airlines_anywhere: bool = False,
    load: bool = True,
    progress: Progress | None = None,
    trigger: str = "cli",
) -> BatchResult:
    """Silver, gold merge, flights and (with ``load``) the serving tables, as one ``batch`` run."""
    from aerolake.orchestration.batch import run_batch
    from aerolake.orchestration.load import load_serving

    lake = open_lake(settings)
    with recorded_run(settings, "batch", trigger) as (run, target):
        summary = run_batch(
            settings,
            lake,
            full=full,
            date_from=date_from,
            date_to=date_to,
            airlines_anywhere=airlines_anywhere,
            progress=progress,
            run=run,
        )
        loaded = load_serving(settings, lake, target, full=full, recorder_run=run) if load else None
        return BatchResult(run.run_id, summary, loaded)


def load_job(settings: Settings, *, full: bool = False, trigger: str = "cli") -> LoadSummary:
    """Bring the serving tables up to date with gold (all of them with ``full``); run ``load``."""
    from aerolake.orchestration.load import load_serving

    lake = open_lake(settings)
    with recorded_run(settings, "load", trigger) as (run, target):
        return load_serving(settings, lake, target, full=full, recorder_run=run)
