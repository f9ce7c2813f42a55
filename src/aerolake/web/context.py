"""What every request handler shares: settings, the live hub, the serving target, metrics.

The serving target is opened on first use (so the app starts even when the database is down)
and kept open; a failure to open or query becomes a :class:`ServingError`, which the app turns
into HTTP 503 with the reason. Reading a table that was never loaded gives no rows, not an error.
"""

from __future__ import annotations

import datetime as dt
import decimal
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.responses import JSONResponse

from aerolake.serving.target import ServingTarget, open_target
from aerolake.settings import Settings
from aerolake.web.live import LiveHub
from aerolake.web.metrics import WebMetrics


class FastJSON(JSONResponse):
    """JSON via orjson: datetimes as ISO-8601 (UTC offset kept), NaN as null, numpy allowed."""

    def render(self, content: Any) -> bytes:
        options = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS
        return orjson.dumps(content, default=_default, option=options)


def _default(value: object) -> object:
    """Decimals (SQL sums over integers) as numbers; anything else unknown is a bug."""
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")


@dataclass
class BatchState:
    """The admin-triggered batch run, if any (one at a time). Times UTC."""

    running: bool = False
    started_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None
    status: str = "never run"
    error: str | None = None

    def view(self) -> dict[str, Any]:
        return {
            "running": self.running,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "status": self.status,
            "error": self.error,
        }


@dataclass
class WebContext:
    settings: Settings
    hub: LiveHub
    metrics: WebMetrics
    target_factory: Callable[[], ServingTarget]
    batch_runner: Callable[[], object]
    batch: BatchState = field(default_factory=BatchState)
    _target: ServingTarget | None = None
    _tables: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def target(self) -> ServingTarget:
        with self._lock:
            if self._target is None:
                self._target = self.target_factory()
            return self._target

    def rows(self, table: str, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Rows of ``sql`` over ``table``; none when the table was never loaded."""
        target = self.target
        if table not in self._tables:
            if not target.table_exists(table):
                return []
            self._tables.add(table)
        rows: list[dict[str, Any]] = target.query(sql, params).to_pylist()
        return rows

    def close(self) -> None:
        with self._lock:
            if self._target is not None:
                self._target.close()
                self._target = None


def default_target_factory(settings: Settings) -> Callable[[], ServingTarget]:
    return lambda: open_target(settings.serving)


def default_batch_runner(settings: Settings) -> Callable[[], object]:
    """Run the batch job (silver, gold, flights) on the configured lake."""

    def run() -> object:
        from aerolake.lake import Lake
        from aerolake.orchestration.batch import run_batch

        return run_batch(settings, Lake.open(settings.lake, settings.s3_endpoint))

    return run
