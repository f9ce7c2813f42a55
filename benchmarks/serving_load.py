"""Serving load benchmark: 1M fact_flight_history + 1M raw_telemetry rows into PostgreSQL.

Measures the production path (``PostgresTarget.replace_tables``: each staging table loaded by
binary COPY FREEZE on its own connection in parallel, its primary key and indexes built
several at a time on further connections, then one short swap transaction) for each table
alone and both together; in the same run, alternating, both together with
``index_builders=0`` (each table's indexes one after the other in its COPY transaction), and
a baseline of psycopg ``executemany`` INSERTs into an identical empty table (same primary key
and indexes). Prints rows/s, the per-phase wall times of the load, the CPU seconds spent by
this process, by the PostgreSQL server (when local) and by everything else on the machine,
and the load average: other processes skew every wall-clock figure. Target: >= 200k rows/s
for both. With wal_level=replica every row and index page is also written to WAL, so disk
speed and server settings matter (printed).

    .venv/bin/python benchmarks/serving_load.py [--admin-url URL] [--rows N] [--repeat R]

A scratch database is created on the server and dropped afterwards (unless --database-url).
"""

from __future__ import annotations

import argparse
import glob
import os
import resource
import statistics
import time
import uuid
from contextlib import suppress

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
    parser.add_argument("--repeat", type=int, default=2, help="combined loads per variant")
    args = parser.parse_args()

    scratch = None if args.database_url else f"aerolake_bench_{uuid.uuid4().hex[:8]}"
    url = args.database_url or _create_database(args.admin_url, scratch or "")
    try:
        run(url, args.rows, args.baseline_rows, args.repeat)
    finally:
        if scratch:
            _drop_database(args.admin_url, scratch)


def run(url: str, rows: int, baseline_rows: int, repeat: int) -> None:
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
        # Same run, alternating: the default build against index_builders=0 (each table's
        # indexes one after the other in its COPY transaction, as before).
        default_builders = getattr(target, "index_builders", 0)
        results: dict[int, list[float]] = {default_builders: [], 0: []}
        for attempt in range(repeat):
            for builders in results:
                if hasattr(target, "index_builders"):
                    target.index_builders = builders
                usage = _CpuUsage(url)
                start = time.perf_counter()
                target.replace_tables(data, watermark={"bench": str(attempt)})
                elapsed = time.perf_counter() - start
                results[builders].append(2 * rows / elapsed)
                print(
                    f"replace_tables(both, one atomic load, index_builders={builders}):"
                    f" {2 * rows:,} rows in {elapsed:.1f} s = {2 * rows / elapsed:,.0f} rows/s"
                    f" (target >= 200,000){_load()}\n    CPU seconds: {usage.report()}"
                )
                if builders == default_builders:
                    _print_phases(getattr(target, "last_load", {}))
        combined = statistics.median(results[default_builders])
        print(
            f"median of {repeat}: {combined:,.0f} rows/s (index_builders={default_builders}),"
            f" {statistics.median(results[0]):,.0f} rows/s (index_builders=0):"
            f" {combined / statistics.median(results[0]):.2f}x"
        )
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


class _CpuUsage:
    """CPU seconds since creation: this process, the PostgreSQL server's processes (only
    when the server runs on this machine and /proc is readable) and the rest of the machine.

    Other processes on a shared machine take CPU from the load; their share is printed so
    that figures taken under different loads can be compared.
    """

    def __init__(self, url: str) -> None:
        self.local = any(h in url for h in ("@127.0.0.1", "@localhost", "@[::1]"))
        self.start = self._sample()

    def _sample(self) -> tuple[float, float | None, float | None]:
        own = resource.getrusage(resource.RUSAGE_SELF)
        client = own.ru_utime + own.ru_stime
        if not self.local or not os.path.exists("/proc/stat"):
            return client, None, None
        tick = os.sysconf("SC_CLK_TCK")
        server = 0
        for stat in glob.glob("/proc/[0-9]*/stat"):
            with suppress(OSError), open(stat) as f:
                text = f.read()
            if "(postgres)" in text:  # utime, stime and reaped children (parallel workers)
                server += sum(int(v) for v in text.rsplit(")", 1)[1].split()[11:15])
        with open("/proc/stat") as f:
            ticks = [int(v) for v in f.readline().split()[1:]]
        busy = sum(ticks) - ticks[3] - ticks[4]  # all but idle and iowait
        return client, server / tick, busy / tick

    def report(self) -> str:
        end = self._sample()
        client = end[0] - self.start[0]
        if end[1] is None or end[2] is None or self.start[1] is None or self.start[2] is None:
            return f"client {client:.1f} (server not local: not measured)"
        server = end[1] - self.start[1]
        others = max(0.0, end[2] - self.start[2] - client - server)
        return (
            f"client {client:.1f} + PostgreSQL {server:.1f} = {client + server:.1f};"
            f" other processes {others:.1f}"
        )


def _print_phases(phases: dict[str, float]) -> None:
    """The target's per-phase wall times (parallel staging builds overlap)."""
    for phase, seconds in phases.items():
        print(f"    {phase:<66} {seconds:6.2f} s")


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
