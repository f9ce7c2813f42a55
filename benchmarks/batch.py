"""Batch layer benchmark: ingest, silver, gold (merge + flights) on N simulated state vectors.

Generates about ``--rows`` state vectors with the simulator (a day of traffic over India with a
fleet sized to reach N, written as hourly OpenSky Parquet files, cached under benchmarks/out/),
then times each step in its own process so that peak RSS is per step (wall and CPU seconds,
and the 1-minute load average at the end of the step, since other work on the machine skews
wall times):

- ingest: files -> bronze;
- silver: bronze -> validated, enriched, sorted silver;
- gold: batch/speed merge and flight segmentation (silver -> flights).

Baseline, same run: the plain Polars segmentation of ``benchmarks/segment_baseline.py`` on the
same silver rows (one process, in memory). Figures are rows/s and ratios; no assertions.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
ROWS_PER_AIRCRAFT_DAY = 4_400  # measured: 600 aircraft x 24 h ~ 2.65M states


def peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def cpu_seconds() -> float:
    """User + system CPU time of this process so far, all threads."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def generate(rows: int) -> Path:
    from aerolake.orchestration.history import write_history
    from aerolake.refdata.regions import PRESETS

    aircraft = max(50, rows // ROWS_PER_AIRCRAFT_DAY)
    out = OUT / f"batch-{aircraft}ac"
    if (out / "done").exists():
        return out
    shutil.rmtree(out, ignore_errors=True)
    started = time.perf_counter()
    summary = write_history(
        out,
        PRESETS["india"],
        dt.datetime(2024, 6, 3, tzinfo=dt.UTC),
        24,
        aircraft=aircraft,
        seed=11,
        fmt="parquet",
    )
    (out / "done").write_text(str(summary.states))
    print(
        f"generated {summary.states:,} states ({aircraft} aircraft) in {time.perf_counter() - started:.1f} s"
    )
    return out


def run_step(step: str, lake_dir: Path, files: Path) -> dict[str, float]:
    """Run one step in this process and return seconds, rows and peak RSS."""
    if step != "baseline":  # the baseline runs on its libraries' own allocator settings
        from aerolake import memory

        memory.configure()  # first, as the aerolake command does (before pyarrow loads)
    from aerolake.batch.flights import build_flights
    from aerolake.batch.ingest import ingest
    from aerolake.batch.merge import merge_gold
    from aerolake.batch.silver import RegionFilter, build_silver
    from aerolake.lake import Lake
    from aerolake.refdata.regions import PRESETS
    from aerolake.settings import load_settings

    lake = Lake.open(str(lake_dir))
    settings = load_settings(data_dir=lake_dir.parent)
    started = time.perf_counter()
    cpu = cpu_seconds()
    extra: dict[str, float] = {}
    if step == "ingest":
        rows = ingest(lake, [files]).rows
    elif step == "silver":
        rows = build_silver(lake, RegionFilter(PRESETS["india"])).rows_in
    elif step == "gold":
        rows = merge_gold(lake).rows
        extra["merge_seconds"] = time.perf_counter() - started
        build_flights(lake, settings=settings)
    elif step == "baseline":
        sys.path.insert(0, str(HERE))
        import polars as pl

        from segment_baseline import polars_segment

        silver = pl.read_parquet(lake.files("silver/state_vectors"))
        started = time.perf_counter()
        cpu = cpu_seconds()
        rows = silver.height
        polars_segment(silver)
    else:
        raise SystemExit(f"unknown step {step}")
    return {
        "seconds": time.perf_counter() - started,
        "cpu_seconds": cpu_seconds() - cpu,
        "rows": rows,
        "rss_gb": peak_rss_gb(),
        "load": os.getloadavg()[0],
        **extra,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument(
        "--no-baseline",
        action="store_true",
        help="skip the in-memory Polars baseline (it needs ~0.4 GB per million rows)",
    )
    parser.add_argument("--step", help=argparse.SUPPRESS)
    parser.add_argument("--lake", help=argparse.SUPPRESS)
    parser.add_argument("--files", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        print(json.dumps(run_step(args.step, Path(args.lake), Path(args.files))))
        return
    files = generate(args.rows)
    work = OUT / "batch-lake"
    shutil.rmtree(work, ignore_errors=True)
    lake_dir = work / "lake"
    results: dict[str, dict[str, float]] = {}
    steps = (
        ("ingest", "silver", "gold")
        if args.no_baseline
        else ("ingest", "silver", "gold", "baseline")
    )
    for step in steps:
        # The previous step's files are flushed first, so that the kernel's writeback of them
        # is not charged to this step.
        os.sync()
        proc = subprocess.run(
            [
                sys.executable,
                __file__,
                "--step",
                step,
                "--lake",
                str(lake_dir),
                "--files",
                str(files),
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        results[step] = json.loads(proc.stdout.strip().splitlines()[-1])
        r = results[step]
        print(
            f"{step:9s} {r['rows']:>12,.0f} rows  {r['seconds']:7.2f} s  "
            f"{r['rows'] / r['seconds']:>12,.0f} rows/s  CPU {r['cpu_seconds']:6.2f} s  "
            f"peak RSS {r['rss_gb']:.2f} GB  load {r['load']:.2f}",
            flush=True,
        )
        if "merge_seconds" in r:
            flights_s = r["seconds"] - r["merge_seconds"]
            print(
                f"          merge {r['merge_seconds']:.2f} s, flights {flights_s:.2f} s "
                f"({r['rows'] / flights_s:,.0f} rows/s)",
                flush=True,
            )
    gold = results["gold"]
    if "baseline" not in results:
        print(
            f"silver -> flights (merge + segmentation): {gold['rows'] / gold['seconds']:,.0f} rows/s"
        )
        return
    base = results["baseline"]
    print(
        f"silver -> flights (merge + segmentation): {gold['rows'] / gold['seconds']:,.0f} rows/s; "
        f"Polars baseline segmentation: {base['rows'] / base['seconds']:,.0f} rows/s; "
        f"ratio ours/baseline = {base['seconds'] / gold['seconds']:.2f}"
    )


if __name__ == "__main__":
    main()
