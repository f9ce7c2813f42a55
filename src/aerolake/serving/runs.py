"""Run records: every pipeline run and its tasks, written to the serving database as they go.

    recorder = RunRecorder(target, settings=settings.redacted())
    with recorder.run("batch", trigger="cli") as run:
        with run.task("flights") as task:
            task.rows_in = states.num_rows
            task.add_layer_stats("gold", files=3, bytes=1_234)
        run.record_health(check_serving(target))

A task that raises is recorded as failed and re-raises; a run with any failed task is failed,
even if the caller caught the task's exception. Records are upserted (``pipeline_runs``,
``task_runs``, ``health_checks``): the run row at start (``running``) and end, each task row
when the task ends. Times are UTC; durations in seconds.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

import pyarrow as pa

from aerolake.serving.ddl import TABLES
from aerolake.serving.health import HealthCheck
from aerolake.serving.target import ServingTarget

log = logging.getLogger(__name__)

Status = Literal["running", "succeeded", "failed"]
Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class TaskRecord:
    """One task's figures; the caller fills them in while the task runs."""

    run_id: str
    task: str
    started_at: dt.datetime
    ended_at: dt.datetime | None = None
    status: Status = "running"
    rows_in: int | None = None
    rows_out: int | None = None
    rows_quarantined: int | None = None
    quarantine: dict[str, int] = field(default_factory=dict)  # reason code -> rows
    files: dict[str, int] = field(default_factory=dict)  # lake layer -> files written
    bytes: dict[str, int] = field(default_factory=dict)  # lake layer -> bytes written
    metrics: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    def add_layer_stats(self, layer: str, files: int, bytes: int) -> None:
        """Count files and bytes written to a lake layer (accumulates)."""
        self.files[layer] = self.files.get(layer, 0) + files
        self.bytes[layer] = self.bytes.get(layer, 0) + bytes

    def add_quarantine(self, reason: str, rows: int) -> None:
        """Count quarantined rows under their reason code (accumulates into rows_quarantined)."""
        self.quarantine[reason] = self.quarantine.get(reason, 0) + rows
        self.rows_quarantined = (self.rows_quarantined or 0) + rows

    @property
    def duration_s(self) -> float | None:
        if self.ended_at is None:
            return None
        return (self.ended_at - self.started_at).total_seconds()

    def row(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "task": self.task,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "duration_s": self.duration_s,
            "status": self.status,
            "rows_in": self.rows_in,
            "rows_out": self.rows_out,
            "rows_quarantined": self.rows_quarantined,
            "quarantine_json": _json(self.quarantine),
            "files_json": _json(self.files),
            "bytes_json": _json(self.bytes),
            "metrics_json": _json(self.metrics),
            "error": self.error,
        }


@dataclass
class Run:
    """A pipeline run in progress. Use :meth:`task` for each step."""

    run_id: str
    kind: str  # ingest | batch | load | speed-flush | ...
    trigger: str  # cli | schedule | api | ...
    started_at: dt.datetime
    settings: Mapping[str, Any] | None
    _recorder: RunRecorder
    ended_at: dt.datetime | None = None
    status: Status = "running"
    error: str | None = None
    tasks: list[TaskRecord] = field(default_factory=list)
    health: list[HealthCheck] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(t.status == "failed" for t in self.tasks) or self.status == "failed"

    @contextmanager
    def task(self, name: str) -> Iterator[TaskRecord]:
        """Time a task; on an exception mark it (and so the run) failed and re-raise.

        A repeated name gets a ``#2``, ``#3``... suffix so every task keeps its own row.
        """
        taken = {t.task for t in self.tasks}
        unique, n = name, 1
        while unique in taken:
            n += 1
            unique = f"{name}#{n}"
        record = TaskRecord(self.run_id, unique, self._recorder.clock())
        self.tasks.append(record)
        try:
            yield record
        except BaseException as exc:
            record.status, record.error = "failed", _describe(exc)
            raise
        else:
            record.status = "succeeded"
        finally:
            record.ended_at = self._recorder.clock()
            self._recorder.write("task_runs", [record.row()], quiet=record.status == "failed")

    def record_health(self, check: HealthCheck) -> HealthCheck:
        """Store a health check's outcome with this run; returns it."""
        self.health.append(check)
        row = {
            "run_id": self.run_id,
            "check_name": check.name,
            "ok": check.ok,
            "detail": check.detail,
            "duration_ms": check.duration_ms,
            "checked_at": check.checked_at,
        }
        self._recorder.write("health_checks", [row])
        return check

    def row(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "kind": self.kind,
            "trigger": self.trigger,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "status": self.status,
            "error": self.error,
            "settings_json": _json(dict(self.settings)) if self.settings is not None else None,
        }


class RunRecorder:
    """Writes run records to a serving target. ``settings`` must already be redacted."""

    def __init__(
        self,
        target: ServingTarget,
        *,
        settings: Mapping[str, Any] | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self.target = target
        self.settings = settings
        self.clock = clock

    @contextmanager
    def run(self, kind: str, trigger: str, *, run_id: str | None = None) -> Iterator[Run]:
        """Record a run; its status is ``failed`` if the body raises or any task failed."""
        started = self.clock()
        run_id = run_id or f"{kind}-{started:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"
        run = Run(run_id, kind, trigger, started, self.settings, self)
        self.write("pipeline_runs", [run.row()])
        try:
            yield run
        except BaseException as exc:
            run.status, run.error = "failed", _describe(exc)
            raise
        else:
            failed = [t for t in run.tasks if t.status == "failed"]
            run.status = "failed" if failed else "succeeded"
            if failed:
                run.error = "; ".join(f"task {t.task} failed: {t.error}" for t in failed)
        finally:
            run.ended_at = self.clock()
            self.write("pipeline_runs", [run.row()], quiet=run.status == "failed")

    def write(self, table: str, rows: list[dict[str, Any]], *, quiet: bool = False) -> None:
        """Upsert record rows. ``quiet``: an exception is already propagating, so a failure to
        record is logged instead of replacing it."""
        data = pa.Table.from_pylist(rows, schema=TABLES[table].arrow_schema)
        try:
            self.target.upsert(table, data)
        except Exception:
            if not quiet:
                raise
            log.warning("could not record %s for a failed run", table, exc_info=True)


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _json(value: Mapping[str, Any]) -> str:
    """Compact, sorted JSON; non-finite floats become null (JSON has no NaN)."""

    def clean(v: Any) -> Any:
        if isinstance(v, float) and not math.isfinite(v):
            return None
        if isinstance(v, Mapping):
            return {str(k): clean(x) for k, x in v.items()}
        if isinstance(v, list | tuple):
            return [clean(x) for x in v]
        if isinstance(v, dt.datetime | dt.date):
            return v.isoformat()
        return v

    return json.dumps(clean(value), sort_keys=True, separators=(",", ":"), default=str)
