"""Benchmark the files source on a generated OpenSky ``.csv.gz`` (default 10M rows).

Generates (once, cached under ``benchmarks/out/``) an hour of realistic state vectors with numpy,
written by :func:`aerolake.sources.files.write_opensky_file`; then times
:class:`~aerolake.sources.files.FilesSource` reading it, against a baseline measured in the same
run: the stdlib ``csv`` module over ``gzip``, converting types, on a 1M-row prefix.
Target: >= 1M rows/s on a 2-core machine.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gzip
import itertools
import multiprocessing
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

from aerolake.schema import OPENSKY_FIELDS
from aerolake.sources.files import FilesSource, file_checksum, write_opensky_file

OUT = Path(__file__).resolve().parent / "out"
START = 1654473600  # 2022-06-06 00:00 UTC, a Monday as in OpenSky's archive
AIRLINES = ["AIC", "IGO", "SEJ", "AKJ", "VTI", "UAE", "QTR", "DLH", "BAW", "SIA"]


def generate(rows: int, seed: int = 7) -> pa.Table:
    """One hour of 10 s snapshots of ``rows / 360`` aircraft flying straight lines over India."""
    rng = np.random.default_rng(seed)
    snapshots = 360
    aircraft = max(1, -(-rows // snapshots))
    k = np.arange(rows) // aircraft  # snapshot index
    a = np.arange(rows) % aircraft  # aircraft index
    icao = np.char.mod("%06x", rng.integers(0x800000, 0x840000, aircraft))
    callsign = np.char.ljust(
        np.char.add(rng.choice(AIRLINES, aircraft), rng.integers(1, 9999, aircraft).astype(str)), 8
    )
    lat0, lon0 = rng.uniform(8, 35, aircraft), rng.uniform(70, 95, aircraft)
    track = rng.uniform(0, 360, aircraft)
    speed = rng.uniform(60, 260, aircraft)
    alt = np.round(rng.uniform(0, 12500, aircraft) / 7.62) * 7.62
    t = START + 10 * k
    dist = speed[a] * 10 * k / 111_000
    lat = lat0[a] + dist * np.cos(np.radians(track[a]))
    lon = lon0[a] + dist * np.sin(np.radians(track[a]))
    no_position = rng.random(rows) < 0.03
    onground = alt[a] < 1
    contact = t - np.round(rng.uniform(0, 3, rows), 3)
    squawk = np.char.mod("%04o", rng.integers(0, 4096, aircraft))
    columns = {
        "time": t,
        "icao24": icao[a],
        "lat": pa.array(np.round(lat, 5), mask=no_position),
        "lon": pa.array(np.round(lon, 5), mask=no_position),
        "velocity": np.round(speed[a] + rng.normal(0, 1, rows), 2),
        "heading": track[a],
        "vertrate": np.round(rng.normal(0, 2, rows) * 0.32512, 5),
        "callsign": pa.array(callsign[a], mask=rng.random(rows) < 0.02),
        "onground": onground,
        "alert": rng.random(rows) < 0.001,
        "spi": np.zeros(rows, dtype=bool),
        "squawk": pa.array(squawk[a], mask=rng.random(rows) < 0.05),
        "baroaltitude": pa.array(alt[a], mask=onground),
        "geoaltitude": pa.array(alt[a] + 30.48, mask=onground),
        "lastposupdate": np.where(no_position, contact - 30, contact - 0.4),
        "lastcontact": contact,
    }
    return pa.table(columns, schema=pa.schema(OPENSKY_FIELDS))


def generate_file(rows: int, path: Path) -> None:
    started = time.perf_counter()
    table = generate(rows)
    write_opensky_file(table, path, "csv.gz")
    mb = path.stat().st_size / 1e6
    print(
        f"generated {path.name}: {rows:,} rows, {mb:.0f} MB in {time.perf_counter() - started:.1f} s"
    )


def read_ours(path: Path, batch_rows: int) -> tuple[int, float, int]:
    """(rows, seconds, peak Arrow memory in bytes) for FilesSource over ``path``."""
    pool = pa.default_memory_pool()
    source = FilesSource([path], batch_rows=batch_rows, ingested_at=dt.datetime.now(dt.UTC))
    started = time.perf_counter()
    rows = sum(batch.num_rows for batch in source.batches())
    seconds = time.perf_counter() - started
    if source.failures:
        raise SystemExit(f"unexpected failures: {source.failures}")
    return rows, seconds, pool.max_memory() or 0


def read_stdlib(path: Path, rows: int) -> tuple[int, float]:
    """The baseline: csv + gzip, with the same typing (ints, floats, bools, nulls, text)."""

    def num(text: str, kind: type[float] | type[int]) -> float | int | None:
        return kind(text) if text else None

    def flag(text: str) -> bool | None:
        return None if not text else text in ("True", "true", "1")

    started = time.perf_counter()
    count = 0
    with gzip.open(path, "rt", newline="") as f:
        reader = csv.reader(f)
        next(reader)
        for r in itertools.islice(reader, rows):
            (int(r[0]), r[1], num(r[2], float), num(r[3], float), num(r[4], float))
            (num(r[5], float), num(r[6], float), r[7] or None, flag(r[8]), flag(r[9]))
            (flag(r[10]), r[11] or None, num(r[12], float), num(r[13], float))
            (num(r[14], float), num(r[15], float))
            count += 1
    return count, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--baseline-rows", type=int, default=1_000_000)
    parser.add_argument("--batch-rows", type=int, default=1_000_000)
    args = parser.parse_args()

    path = OUT / f"states_bench_{args.rows}.csv.gz"
    if not path.exists():
        # A child process, so generation memory does not count in the reader's peak.
        child = multiprocessing.get_context("spawn").Process(
            target=generate_file, args=(args.rows, path)
        )
        child.start()
        child.join()
        if child.exitcode:
            raise SystemExit(f"generation failed with exit code {child.exitcode}")
    else:
        print(f"cached {path} ({path.stat().st_size / 1e6:.0f} MB)")

    started = time.perf_counter()
    file_checksum(path)
    checksum_s = time.perf_counter() - started
    started = time.perf_counter()
    stream = pa.input_stream(path, compression="gzip")
    while stream.read(1 << 24):
        pass
    inflate_s = time.perf_counter() - started

    base_rows, base_s = read_stdlib(path, args.baseline_rows)
    base_rate = base_rows / base_s
    print(
        f"gunzip only, zlib (floor): {args.rows / inflate_s / 1e6:6.2f} M rows/s ({inflate_s:.2f} s)"
    )
    print(f"sha256 of the file:        {checksum_s:.2f} s (part of the FilesSource time)")
    print(
        f"baseline csv+gzip stdlib:  {base_rate / 1e6:6.2f} M rows/s ({base_rows:,} rows in {base_s:.2f} s)"
    )
    rows, ours_s, peak = read_ours(path, args.batch_rows)
    ours_rate = rows / ours_s
    print(
        f"FilesSource:               {ours_rate / 1e6:6.2f} M rows/s ({rows:,} rows in {ours_s:.2f} s)"
    )
    print(f"peak Arrow memory:         {peak / 2**20:.0f} MiB (batch_rows={args.batch_rows:,})")
    print(f"ratio FilesSource / baseline: {ours_rate / base_rate:.1f}x (target >= 1.0 M rows/s)")


if __name__ == "__main__":
    main()
