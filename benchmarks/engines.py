"""Benchmark the SQL engines: flight segmentation (silver -> flights) on DuckDB and on Spark.

For each ``--rows`` size: simulated silver state vectors (the simulator's history mode over
India, validated and enriched, about one UTC day with a fleet scaled to the size) are written
to a temporary hive-partitioned Parquet table; then ``segment()`` runs on it with
``engine=duckdb`` (2 threads; the numpy kernel plus the model's SQL, as ``aerolake batch``)
and ``engine=spark`` (``local[2]``; the whole SQL model), in parts of at most
``aerolake.batch.flights.ROWS_PER_PART`` rows as ``aerolake batch`` does. Prints rows/s for
each, the DuckDB/Spark ratio, whether the flights are identical, and peak RSS (the Python
process; for Spark, the JVM's). Spark's start-up is timed separately, not in its rate. No
assertions on time. Segmentation is the engine-bound bulk of the batch pipeline; the serving
models are not timed here.

``python benchmarks/engines.py`` (10M), ``--rows 10000000 50000000``, ``--quick`` (1M).
"""

from __future__ import annotations

import os

from aerolake import memory

# Before pyarrow loads, as the aerolake command does (aerolake.memory).
os.environ.update(memory.ENVIRONMENT | os.environ)

import argparse
import datetime as dt
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from aerolake.analytics import open_engine
from aerolake.analytics.segment import segment
from aerolake.analytics.spark_engine import SparkEngine
from aerolake.batch.flights import ROWS_PER_PART
from aerolake.refdata.enrich import enrich
from aerolake.refdata.regions import PRESETS
from aerolake.sources.simulator import SimulatorConfig, simulate_history_hours
from aerolake.validate import validate

START = dt.datetime(2024, 5, 6, tzinfo=dt.UTC)
#: State vectors per aircraft and hour in the simulator's history mode, roughly.
ROWS_PER_AIRCRAFT_HOUR = 240


def write_silver(rows: int, folder: Path, seed: int = 7) -> list[str]:
    """At least ``rows`` silver rows (then cut) as ``date=/hour=`` Parquet files; their paths."""
    aircraft = max(200, rows // (24 * ROWS_PER_AIRCRAFT_HOUR))
    config = SimulatorConfig(PRESETS["india"], aircraft=aircraft, seed=seed)
    now = START + dt.timedelta(days=30)
    paths: list[str] = []
    written = 0
    started = time.perf_counter()
    for hour, raw in simulate_history_hours(config, START, 24 * 30):
        silver = enrich(validate(raw, now=now).valid, None).slice(0, rows - written)
        part = folder / f"date={hour.date().isoformat()}" / f"hour={hour.hour}"
        part.mkdir(parents=True, exist_ok=True)
        pq.write_table(silver, part / "part-0.parquet")
        paths.append(str(part / "part-0.parquet"))
        written += silver.num_rows
        if written >= rows:
            break
    elapsed = time.perf_counter() - started
    print(
        f"  silver: {written:,} rows, {aircraft:,} aircraft, {len(paths)} hours ({elapsed:.1f} s)"
    )
    return paths


def bench_duckdb(paths: list[str], rows: int) -> tuple[float, pa.Table]:
    engine = open_engine("duckdb", threads=2)
    try:
        started = time.perf_counter()
        result = segment(engine, paths, parts=_parts(rows))
        elapsed = time.perf_counter() - started
    finally:
        engine.close()
    print(
        f"  duckdb: {result.flights.num_rows:,} flights in {elapsed:.1f} s -> "
        f"{rows / elapsed:,.0f} rows/s; peak RSS (python) {_self_peak_mb():,.0f} MB"
    )
    return rows / elapsed, result.flights


def bench_spark(paths: list[str], rows: int, memory: str) -> tuple[float, pa.Table]:
    started = time.perf_counter()
    engine = SparkEngine("local[2]", driver_memory=memory)
    print(f"  spark: session started in {time.perf_counter() - started:.1f} s")
    try:
        started = time.perf_counter()
        result = segment(engine, paths, parts=_parts(rows))
        elapsed = time.perf_counter() - started
        jvm = _jvm_peak_mb(engine)
    finally:
        engine.close()
    print(
        f"  spark:  {result.flights.num_rows:,} flights in {elapsed:.1f} s -> "
        f"{rows / elapsed:,.0f} rows/s; peak RSS (JVM) {jvm:,.0f} MB"
    )
    return rows / elapsed, result.flights


def compare(want: pa.Table, got: pa.Table) -> str:
    """'identical', 'equal (floats within 1e-9 relative)' or what differs."""
    if want.equals(got):
        return "identical"
    if want.schema != got.schema or want.num_rows != got.num_rows:
        return f"DIFFERENT ({want.num_rows:,} vs {got.num_rows:,} rows)"
    for name in want.column_names:
        a, b = want.column(name), got.column(name)
        if a.equals(b):
            continue
        if not pa.types.is_floating(a.type) or not a.is_null().equals(b.is_null()):
            return f"DIFFERENT in column {name}"
        x = a.to_numpy(zero_copy_only=False)
        y = b.to_numpy(zero_copy_only=False)
        if not np.allclose(x, y, rtol=1e-9, atol=0.0, equal_nan=True):
            return f"DIFFERENT in column {name}"
    return "equal (floats within 1e-9 relative)"


def _parts(rows: int) -> int:
    return max(1, min(16, -(-rows // ROWS_PER_PART)))


def _self_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _jvm_peak_mb(engine: SparkEngine) -> float:
    """VmHWM of the JVM behind the session (Linux); 0 when it cannot be read."""
    try:
        pid = engine.session.sparkContext._gateway.proc.pid  # type: ignore[union-attr]
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (AttributeError, OSError, ValueError):
        pass
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000_000])
    parser.add_argument("--quick", action="store_true", help="1M rows only")
    parser.add_argument("--spark-memory", default="6g", help="Spark driver memory (local mode)")
    args = parser.parse_args()
    memory.configure()
    sizes = [1_000_000] if args.quick else args.rows
    print(f"cores: {os.cpu_count()}; DuckDB threads=2, Spark local[2]")
    for rows in sizes:
        print(f"\n{rows:,} state vectors, {_parts(rows)} part(s)")
        with tempfile.TemporaryDirectory(prefix="aerolake-engines-") as tmp:
            paths = write_silver(rows, Path(tmp) / "silver")
            duck_rate, duck_flights = bench_duckdb(paths, rows)
            spark_rate, spark_flights = bench_spark(paths, rows, args.spark_memory)
        print(
            f"  ratio duckdb/spark: {duck_rate / spark_rate:.1f}x "
            f"(DuckDB rows/s over Spark rows/s); flights: {compare(duck_flights, spark_flights)}"
        )


if __name__ == "__main__":
    main()
