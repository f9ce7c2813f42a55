"""Simulated history: N hours of OpenSky-format files plus a ground-truth flight list."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.feather as feather

from aerolake.refdata.regions import Region

FileFormat = Literal["csv", "csv.gz", "csv.tar", "parquet"]

#: Name of the ground-truth file written beside the simulated state files. Arrow IPC (Feather),
#: not Parquet, so that ingesting the directory does not mistake it for a states file.
GROUND_TRUTH_FILE = "ground_truth_flights.arrow"


@dataclass
class HistorySummary:
    out_dir: Path
    files: list[Path] = field(default_factory=list)
    states: int = 0
    aircraft: int = 0
    flights: int = 0
    airports: int = 0
    airlines: int = 0
    busiest_routes: list[tuple[str, int]] = field(default_factory=list)


def write_history(
    out_dir: Path,
    region: Region,
    start: dt.datetime,
    hours: int,
    *,
    aircraft: int,
    seed: int,
    fmt: FileFormat = "csv.tar",
    on_hour: Callable[[dt.datetime, int], None] | None = None,
) -> HistorySummary:
    """Write one OpenSky-format file per UTC hour and the ground truth into ``out_dir``.

    Deterministic for (region, start, hours, aircraft, seed): the same call writes the same
    bytes. ``on_hour(hour, rows)`` is called after each file (progress reporting).
    """
    from aerolake.sources.files import opensky_filename, write_opensky_file
    from aerolake.sources.simulator import SimulatorConfig, ground_truth, simulate_history_hours

    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware UTC")
    out_dir.mkdir(parents=True, exist_ok=True)
    config = SimulatorConfig(region=region, aircraft=aircraft, seed=seed)
    summary = HistorySummary(out_dir=out_dir)
    icao: set[str] = set()
    for hour, table in simulate_history_hours(config, start, hours):
        path = write_opensky_file(table, out_dir / opensky_filename(hour, fmt), fmt)
        summary.files.append(path)
        summary.states += table.num_rows
        icao.update(pc.unique(table.column("icao24")).to_pylist())
        if on_hour is not None:
            on_hour(hour, table.num_rows)
    truth = ground_truth(config, start, hours)
    feather.write_feather(truth, str(out_dir / GROUND_TRUTH_FILE), compression="zstd")
    summary.aircraft = len(icao)
    summarise_truth(summary, truth)
    return summary


def read_ground_truth(out_dir: Path) -> pa.Table:
    """The ground-truth flight list written by :func:`write_history`."""
    return feather.read_table(str(out_dir / GROUND_TRUTH_FILE))


def summarise_truth(summary: HistorySummary, truth: pa.Table) -> None:
    summary.flights = truth.num_rows
    airports = set(truth.column("origin").to_pylist()) | set(
        truth.column("destination").to_pylist()
    )
    summary.airports = len(airports - {None})
    summary.airlines = len(set(truth.column("airline_icao").to_pylist()) - {None})
    routes = pc.binary_join_element_wise(truth.column("origin"), truth.column("destination"), "-")
    counts = sorted(
        ((c["values"], c["counts"]) for c in pc.value_counts(routes).to_pylist()),
        key=lambda rc: (-rc[1], rc[0]),
    )
    summary.busiest_routes = counts[:5]
