"""Serving load benchmark: 1M fact_flight_history + 1M raw_telemetry rows into PostgreSQL.

Measures the production path (``PostgresTarget.replace_tables``: each staging table built on
its own connection in parallel (binary COPY FREEZE, then primary key and indexes), then one
short swap transaction) for each table alone and both together, and, in the same run, a
baseline of psycopg ``executemany`` INSERTs into an identical empty table (same primary key
and indexes). Prints rows/s, the ratios, and the load average (other processes on the machine
skew every figure). Target: >= 200k rows/s for both. With wal_level=replica every row and
index page is also written to WAL, so disk speed and server settings matter (printed).

    .venv/bin/python benchmarks/serving_load.py [--admin-url URL] [--rows N]

A scratch database is created on the server and dropped afterwards (unless --database-url).
"""

from __future__ import annotations

import argparse
import os
import time
import uuid

import pyarrow as pa

from aerolake.serving import open_target
from aerolake.serving.conform import conform
from aerolake.serving.ddl import TABLES, create_index_sql, create_table_sql, quote
from aerolake.serving.pgbinary import copy_order, encode_batch
from aerolake.serving.synthetic import synthetic_rows
from aerolake.settings import redact_url

DEFAULT_ADMIN_URL = "postgresql://postgres:postgres@127.0.0.1:5432/postgres"
BENCH_TABLES = ("fact_flight_history", "raw_telemetry")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--admin-url", default=os.environ.get("AEROLAKE_TEST_PG_URL", DEFAULT_ADMIN_URL)
    )
    parser.add_argument("--database-url", help="use this database instead of a scratch one")
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows per table")
    parser.add_argument("--baseline-rows", type=int, default=20_000, help="rows per table")
    args = parser.parse_args()

    scratch = None if args.database_url else f"aerolake_bench_{uuid.uuid4().hex[:8]}"
    url = args.database_url or _create_database(args.admin_url, scratch or "")
    try:
        run(url, args.rows, args.baseline_rows)
    finally:
        if scratch:
            _drop_database(args.admin_url, scratch)


def run(url: str, rows: int, baseline_rows: int) -> None:
    print(f"server: {redact_url(url)}  {_server_settings(url)}")
    print(f"load average before: {_load_average()}")
    start = time.perf_counter()
    data = {name: synthetic_rows(name, rows) for name in BENCH_TABLES}
    print(f"generated {rows:,} rows per table in {time.perf_counter() - start:.1f} s (not timed)")

    for name, table in data.items():
        start = time.perf_counter()
        conformed = conform(TABLES[name], table)
        conformed = conformed.select(copy_order(conformed))
        middle = time.perf_counter()
        for batch in conformed.to_batches(max_chunksize=65_536):
            encode_batch(batch)
        end = time.perf_counter()
        print(
            f"  client side alone, {name}: conform {rows / (middle - start):,.0f} rows/s,"
            f" binary encode {rows / (end - middle):,.0f} rows/s (one thread)"
        )

    target = open_target(url)
    try:
        per_table = {}
        for name, table in data.items():
            start = time.perf_counter()
            target.replace_tables({name: table})
            per_table[name] = rows / (time.perf_counter() - start)
            print(f"replace_tables({name}) alone: {per_table[name]:,.0f} rows/s{_load()}")
            _print_phases(getattr(target, "last_load", {}))
        start = time.perf_counter()
        target.replace_tables(data, watermark={"bench": "1"})
        elapsed = time.perf_counter() - start
        combined = 2 * rows / elapsed
        print(
            f"replace_tables(both, one atomic load): {2 * rows:,} rows in {elapsed:.1f} s"
            f" = {combined:,.0f} rows/s (target >= 200,000){_load()}"
        )
        _print_phases(getattr(target, "last_load", {}))
        one_after_other = 2 * rows / sum(rows / rate for rate in per_table.values())
        print(
            f"  vs the two alone, one after the other ({one_after_other:,.0f} rows/s):"
            f" {combined / one_after_other:.2f}x (parallel staging builds)"
        )
    finally:
        target.close()

    print(f"load average after the loads: {_load_average()}")
    rates = []
    for name, table in data.items():
        rate = _executemany_rate(url, name, table.slice(0, baseline_rows))
        rates.append(rate)
        print(
            f"baseline executemany INSERT {name} ({baseline_rows:,} rows): {rate:,.0f} rows/s;"
            f" COPY path is {per_table[name] / rate:.1f}x faster{_load()}"
        )
    both_baseline = 2 / sum(1 / r for r in rates)
    print(f"both: COPY path is {combined / both_baseline:.1f}x the executemany baseline")


def _print_phases(phases: dict[str, float]) -> None:
    """The target's per-phase wall times (parallel staging builds overlap)."""
    for phase, seconds in phases.items():
        print(f"    {phase:<55} {seconds:6.2f} s")


def _load() -> str:
    return f"  [load average {_load_average()}]"


def _load_average() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def _executemany_rate(url: str, name: str, table: pa.Table) -> float:
    import psycopg

    spec = TABLES[name]
    rows = [tuple(r.values()) for r in conform(spec, table).to_pylist()]
    cols = ", ".join(quote(c) for c in spec.column_names)
    marks = ", ".join(["%s"] * len(spec.columns))
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP TABLE IF EXISTS {quote(name + '_baseline')}")
        conn.execute(create_table_sql(spec, name + "_baseline"))
        for index in spec.indexes:  # same indexes as the served table, for a fair comparison
            conn.execute(create_index_sql(index, name + "_baseline", index.name + "_baseline"))
        start = time.perf_counter()
        with conn.transaction(), conn.cursor() as cur:
            cur.executemany(
                f"INSERT INTO {quote(name + '_baseline')} ({cols}) VALUES ({marks})", rows
            )
        elapsed = time.perf_counter() - start
        conn.execute(f"DROP TABLE {quote(name + '_baseline')}")
    return len(rows) / elapsed


def _server_settings(url: str) -> str:
    import psycopg

    names = ("server_version", "wal_level", "max_wal_size", "shared_buffers", "synchronous_commit")
    with psycopg.connect(url) as conn:
        values = [conn.execute(f"SHOW {n}").fetchone() for n in names]
    return " ".join(f"{n}={v[0] if v else '?'}" for n, v in zip(names, values, strict=True))


def _create_database(admin_url: str, name: str) -> str:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {quote(name)}")
    return f"{admin_url.rsplit('/', 1)[0]}/{name}"


def _drop_database(admin_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {quote(name)} WITH (FORCE)")


if __name__ == "__main__":
    main()
