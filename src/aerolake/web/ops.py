"""Operations endpoints: pipeline runs, stream status, health probes, admin actions.

Health probes really touch things (``SELECT 1`` on the serving database, a probe file written
to and deleted from the lake, the bus reached) and run concurrently, each bounded by
``PROBE_TIMEOUT_S``. ``/api/health`` answers 200 when every required probe passed, else 503,
with the same body either way. Admin actions need the bearer token (:mod:`.security`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import threading
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request

from aerolake.errors import ServingError
from aerolake.serving.health import (
    HealthCheck,
    check_bus,
    check_lake_writable,
    check_serving,
)
from aerolake.settings import Settings
from aerolake.web import queries
from aerolake.web.context import FastJSON, WebContext
from aerolake.web.security import require_admin

log = logging.getLogger(__name__)

PROBE_TIMEOUT_S: Final[float] = 10.0
LIVE_FRESH_S: Final[float] = 120.0


def _ctx(request: Request) -> WebContext:
    ctx: WebContext = request.app.state.ctx
    return ctx


def ops_router(settings: Settings) -> APIRouter:
    """The ops routes; admin routes check the token configured in ``settings``."""
    router = APIRouter(prefix="/api", default_response_class=FastJSON)
    admin = [Depends(require_admin(settings))]

    @router.get("/runs", summary="Pipeline runs, newest first")
    def runs(request: Request, limit: Annotated[int, Query(ge=1, le=200)] = 20) -> FastJSON:
        return FastJSON({"items": _ctx(request).rows("pipeline_runs", queries.RUNS, [limit])})

    @router.get("/runs/{run_id}", summary="One run with its tasks, health checks and report")
    def run(
        request: Request, run_id: Annotated[str, Path(pattern=r"^[0-9A-Za-z:_.-]{1,100}$")]
    ) -> FastJSON:
        from aerolake.serving.report import render_report

        ctx = _ctx(request)
        found = ctx.rows("pipeline_runs", queries.RUN, [run_id])
        if not found:
            raise HTTPException(status_code=404, detail=f"no run {run_id!r} recorded")
        record = found[0]
        record["settings"] = json.loads(record.pop("settings_json") or "null")
        return FastJSON(
            {
                **record,
                "tasks": ctx.rows("task_runs", queries.RUN_TASKS, [run_id]),
                "health": ctx.rows("health_checks", queries.RUN_HEALTH, [run_id]),
                "report": render_report(ctx.target, run_id),
            }
        )

    @router.get("/stream", summary="Speed layer status: lag, throughput, restarts, dead letters")
    def stream(request: Request) -> FastJSON:
        return FastJSON(stream_status(_ctx(request)))

    @router.get("/health", summary="Health probes (200 when all required pass, else 503)")
    async def health(request: Request) -> FastJSON:
        ctx = _ctx(request)
        checks = await run_probes(ctx)
        ok = all(c.ok for c in checks)
        views = [_check_view(c, required=True) for c in checks]
        views.append(_check_view(live_check(ctx), required=False))
        body = {"status": "ok" if ok else "failing", "checks": views}
        return FastJSON(body, status_code=200 if ok else 503)

    @router.post("/admin/batch", status_code=202, dependencies=admin, summary="Start a batch run")
    def admin_batch(request: Request) -> FastJSON:
        ctx = _ctx(request)
        if not start_batch(ctx):
            raise HTTPException(status_code=409, detail="a batch run started here is still running")
        log.info("admin: batch run started")
        return FastJSON(ctx.batch.view(), status_code=202)

    @router.get("/admin/batch", summary="The batch run started from this server, if any")
    def admin_batch_status(request: Request) -> FastJSON:
        return FastJSON(_ctx(request).batch.view())

    @router.post("/admin/clear-live", dependencies=admin, summary="Clear the live map")
    def admin_clear(request: Request) -> FastJSON:
        removed = _ctx(request).hub.clear()
        log.info("admin: live state cleared (%d aircraft)", removed)
        return FastJSON({"removed": removed})

    return router


def stream_status(ctx: WebContext) -> dict[str, Any]:
    """The speed layer's status files if any part wrote one, else the in-process hub's view."""
    hub = ctx.hub
    live = {
        "aircraft": hub.stats(),
        "rows_received": hub.rows_received,
        "last_update_age_s": None
        if hub.last_update is None
        else round(hub.clock() - hub.last_update, 1),
    }
    try:
        from aerolake.stream.status import read_status

        status = read_status(ctx.settings.data_dir)
    except ImportError:
        status = {"parts": {}, "totals": None}
    source = "status-files" if status["parts"] else "in-process"
    return {"source": source, **status, "live": live}


async def run_probes(ctx: WebContext) -> list[HealthCheck]:
    """The required probes, concurrently in threads, each bounded by PROBE_TIMEOUT_S."""
    settings = ctx.settings

    def serving() -> HealthCheck:
        try:
            target = ctx.target
        except ServingError as exc:
            return HealthCheck("serving_database", False, f"ServingError: {exc}", 0.0, _now())
        return check_serving(target)

    def bus() -> HealthCheck:
        def reach() -> None:
            from aerolake.stream.bus import ENRICHED, open_bus

            handle = open_bus(settings.bus_url)
            try:
                handle.ensure_topics([ENRICHED])
            finally:
                handle.close()

        return check_bus(settings.bus_url, reach)

    names = ("serving_database", "lake_writable", "bus")
    jobs = (serving, lambda: check_lake_writable(settings.lake), bus)
    results = await asyncio.gather(
        *(asyncio.wait_for(asyncio.to_thread(job), PROBE_TIMEOUT_S) for job in jobs),
        return_exceptions=True,
    )
    checks = []
    for name, result in zip(names, results, strict=True):
        if isinstance(result, HealthCheck):
            checks.append(result)
        else:
            reason = f"no answer within {PROBE_TIMEOUT_S:g} s"
            if not isinstance(result, TimeoutError):
                reason = f"{type(result).__name__}: {result}"
            checks.append(HealthCheck(name, False, reason, PROBE_TIMEOUT_S * 1000, _now()))
    return checks


def live_check(ctx: WebContext) -> HealthCheck:
    """Informational: has the live hub had data recently?"""
    hub = ctx.hub
    if hub.last_update is None:
        return HealthCheck("live_feed", False, "no live data received yet", 0.0, _now())
    age = hub.clock() - hub.last_update
    detail = f"last live update {age:.0f} s ago, {hub.stats()['total']} aircraft"
    return HealthCheck("live_feed", age <= LIVE_FRESH_S, detail, 0.0, _now())


def start_batch(ctx: WebContext) -> bool:
    """Start the batch runner in a thread; False when one started here is still running."""
    state = ctx.batch
    with ctx._lock:
        if state.running:
            return False
        state.running, state.status, state.error = True, "running", None
        state.started_at, state.ended_at = _now(), None

    def work() -> None:
        try:
            ctx.batch_runner()
            state.status = "succeeded"
        except Exception as exc:
            log.exception("admin-triggered batch run failed")
            state.status, state.error = "failed", f"{type(exc).__name__}: {exc}"
        finally:
            state.ended_at, state.running = _now(), False

    threading.Thread(target=work, name="aerolake-web-batch", daemon=True).start()
    return True


def _check_view(check: HealthCheck, *, required: bool) -> dict[str, Any]:
    return {
        "name": check.name,
        "ok": check.ok,
        "required": required,
        "detail": check.detail,
        "duration_ms": round(check.duration_ms, 1),
        "checked_at": check.checked_at,
    }


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
