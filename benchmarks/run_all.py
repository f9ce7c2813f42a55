"""Run every benchmark in sequence (``make bench``).

Each benchmark is a plain script that prints its figures and a ratio against a baseline measured
in the same run. Sizes default to the issue targets; pass ``--quick`` for a smoke run.
Extra arguments after ``--`` go to every script.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

# (script, full-size arguments, quick arguments)
# (a None quick entry: skipped in a quick run)
BENCHMARKS: list[tuple[str, list[str], list[str] | None]] = [
    ("refdata.py", [], ["--points", "200000"]),
    ("simulator.py", [], ["--hours", "1"]),
    ("files.py", ["--rows", "10000000"], ["--rows", "1000000"]),
    ("batch.py", ["--rows", "10000000"], ["--rows", "1000000"]),
    ("batch.py", ["--rows", "50000000", "--no-baseline"], None),
    ("serving_load.py", [], ["--rows", "100000"]),
    ("stream.py", [], ["--quick"]),
    ("web.py", [], ["--quick"]),
    ("engines.py", ["--rows", "10000000", "50000000"], ["--quick"]),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--only", nargs="*", help="run only these scripts (e.g. files.py)")
    args = parser.parse_args()
    failures = 0
    for script, full, quick in BENCHMARKS:
        path = HERE / script
        if args.only and script not in args.only:
            continue
        if args.quick and quick is None:
            continue
        if not path.exists():
            print(f"== {script}: not present yet, skipped")
            continue
        argv = (quick or []) if args.quick else full
        print(f"\n== {script} {' '.join(argv)}", flush=True)
        started = time.perf_counter()
        result = subprocess.run([sys.executable, str(path), *argv], check=False)
        print(f"== {script}: exit {result.returncode} after {time.perf_counter() - started:.1f} s")
        failures += result.returncode != 0
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
