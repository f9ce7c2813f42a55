"""Health checks that really probe: write to the lake, query the database, reach the bus.

Each check returns a :class:`HealthCheck`; none raises. A failing probe is recorded with the
reason, so a run report can show what was down.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow.fs as pafs

from aerolake.settings import redact_url

if TYPE_CHECKING:
    from aerolake.serving.target import ServingTarget


@dataclass(frozen=True)
class HealthCheck:
    name: str
    ok: bool
    detail: str
    duration_ms: float
    checked_at: dt.datetime  # UTC


def probe(name: str, fn: Callable[[], str]) -> HealthCheck:
    """Run ``fn``; ok when it returns (its text is the detail), failed with the error if not."""
    checked_at = dt.datetime.now(dt.UTC)
    start = time.perf_counter()
    try:
        detail, ok = fn(), True
    except Exception as exc:
        detail, ok = f"{type(exc).__name__}: {exc}", False
    elapsed_ms = (time.perf_counter() - start) * 1000.0
    return HealthCheck(name, ok, detail, elapsed_ms, checked_at)


def check_lake_writable(lake_root: str, filesystem: pafs.FileSystem | None = None) -> HealthCheck:
    """Write, read back and delete a probe file under ``<lake_root>/_health/``.

    ``lake_root`` is a local path or a URI pyarrow understands (``s3://bucket/prefix``); pass
    ``filesystem`` to use a configured one (e.g. an S3 endpoint override).
    """

    def run() -> str:
        fs, root = _filesystem(lake_root, filesystem)
        folder = f"{root.rstrip('/')}/_health"
        fs.create_dir(folder, recursive=True)
        path = f"{folder}/probe-{uuid.uuid4().hex}.txt"
        payload = b"aerolake health probe"
        with fs.open_output_stream(path) as out:
            out.write(payload)
        with fs.open_input_stream(path) as src:
            if src.read() != payload:
                raise OSError(f"probe file {path} read back different bytes")
        fs.delete_file(path)
        return f"wrote, read and deleted a probe file in {redact_url(lake_root)}"

    return probe("lake_writable", run)


def check_serving(target: ServingTarget) -> HealthCheck:
    """The serving database answers ``SELECT 1``."""

    def run() -> str:
        rows = target.query("SELECT 1 AS ok").to_pylist()
        if rows != [{"ok": 1}]:
            raise RuntimeError(f"SELECT 1 returned {rows!r}")
        return f"SELECT 1 answered by {target.url}"

    return probe("serving_database", run)


def check_bus(url: str, reach: Callable[[], object]) -> HealthCheck:
    """The message bus at ``url`` is reachable: ``reach`` must return without raising.

    A hook until the bus exists: the bus adapter passes a callable that really round-trips.
    """

    def run() -> str:
        reach()
        return f"bus {redact_url(url)} reachable"

    return probe("bus", run)


def check_spark(session: Any) -> HealthCheck:
    """A Spark session runs a one-row job (only when the Spark engine is used)."""

    def run() -> str:
        count = session.range(1).count()
        if count != 1:
            raise RuntimeError(f"spark.range(1).count() returned {count}")
        return f"Spark {session.version} ran a job"

    return probe("spark_session", run)


def _filesystem(root: str, filesystem: pafs.FileSystem | None) -> tuple[pafs.FileSystem, str]:
    if filesystem is not None:
        return filesystem, root
    if "://" not in root:
        return pafs.LocalFileSystem(), str(Path(root).resolve())
    fs, path = pafs.FileSystem.from_uri(root)
    return fs, path
