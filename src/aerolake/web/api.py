"""REST API over the live hub and the serving tables (``/api/...``). See docs/web-api.md.

Handlers are plain ``def`` (FastAPI runs them in its thread pool, so a slow query never
blocks the WebSocket loop). Query parameters are validated by FastAPI: out-of-range values,
malformed dates or identifiers get 422 with the parameter named. Page sizes are capped.
Table rows come back as JSON objects with the DDL's column names; timestamps as ISO-8601 UTC.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Request

from aerolake.web import queries
from aerolake.web.context import FastJSON, WebContext
from aerolake.web.fanout import parse_bbox

router = APIRouter(prefix="/api", default_response_class=FastJSON)

ICAO24 = r"^[0-9a-fA-F]{6}$"
CODE = r"^[A-Za-z0-9]{2,8}$"
MAX_PAGE = 500
MAX_TRACK_POINTS = 20_000
MAX_HEATMAP_CELLS = 200_000

RouteOrder = Literal["flights", "flights_per_day", "duration", "distance", "airlines", "route"]


def _ctx(request: Request) -> WebContext:
    ctx: WebContext = request.app.state.ctx
    return ctx


@router.get("/config", summary="Run-time configuration of the pages")
def config(request: Request) -> FastJSON:
    """``tile_url``: an optional raster tile URL template (``AEROLAKE_WEB_TILE_URL``)."""
    return FastJSON({"tile_url": _ctx(request).settings.web_tile_url})


# --- live -------------------------------------------------------------------------------------


@router.get("/live", summary="Aircraft on the live map now")
def live(
    request: Request,
    bbox: Annotated[
        str | None,
        Query(
            max_length=100,
            description="lamin,lomin,lamax,lomax in degrees; lomin > lomax crosses 180°",
            examples=["6,68,36,98"],
        ),
    ] = None,
) -> FastJSON:
    try:
        box = parse_bbox(bbox)
    except ValueError as exc:
        raise HTTPException(status_code=422, detail=f"bbox: {exc}") from None
    t, aircraft, stats = _ctx(request).hub.aircraft_list(box)
    return FastJSON({"time": t, "aircraft": aircraft, "stats": stats})


@router.get("/live/{icao24}", summary="One live aircraft with its recent trail")
def live_aircraft(request: Request, icao24: Annotated[str, Path(pattern=ICAO24)]) -> FastJSON:
    found = _ctx(request).hub.aircraft(icao24)
    if found is None:
        raise HTTPException(
            status_code=404, detail=f"aircraft {icao24.lower()} is not on the live map"
        )
    return FastJSON(found)


@router.get("/alerts", summary="Recent emergency-squawk alerts, newest first")
def alerts(request: Request) -> FastJSON:
    return FastJSON({"alerts": _ctx(request).hub.recent_alerts()})


# --- analytics --------------------------------------------------------------------------------


@router.get("/flights", summary="Flight history with filters and paging")
def flights(
    request: Request,
    date: Annotated[dt.date | None, Query(description="UTC flight date")] = None,
    date_from: Annotated[dt.date | None, Query(alias="from", description="first UTC date")] = None,
    date_to: Annotated[dt.date | None, Query(alias="to", description="last UTC date")] = None,
    callsign: Annotated[str | None, Query(pattern=CODE, description="callsign prefix")] = None,
    icao24: Annotated[str | None, Query(pattern=ICAO24)] = None,
    airline: Annotated[
        str | None, Query(pattern=r"^[A-Za-z]{3}$", description="ICAO airline")
    ] = None,
    origin: Annotated[str | None, Query(pattern=CODE, description="origin ICAO airport")] = None,
    destination: Annotated[str | None, Query(pattern=CODE)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> FastJSON:
    if date_from and date_to and date_from > date_to:
        raise HTTPException(status_code=422, detail="from must not be after to")
    filters = [
        date,
        date_from,
        date_to,
        f"{callsign.upper()}%" if callsign else None,
        icao24.lower() if icao24 else None,
        airline.upper() if airline else None,
        origin.upper() if origin else None,
        destination.upper() if destination else None,
    ]
    ctx = _ctx(request)
    total = ctx.rows("fact_flight_history", queries.FLIGHTS_COUNT, filters)
    items = ctx.rows("fact_flight_history", queries.FLIGHTS_PAGE, [*filters, limit, offset])
    return FastJSON(
        {
            "total": total[0]["total"] if total else 0,
            "limit": limit,
            "offset": offset,
            "items": items,
        }
    )


@router.get("/flights/{flight_id}", summary="One flight with its sampled track")
def flight(
    request: Request, flight_id: Annotated[str, Path(pattern=r"^[0-9A-Za-z:_.-]{1,64}$")]
) -> FastJSON:
    ctx = _ctx(request)
    rows = ctx.rows("fact_flight_history", queries.FLIGHT, [flight_id])
    if not rows:
        raise HTTPException(
            status_code=404, detail=f"no flight {flight_id!r} in the flight history"
        )
    track = ctx.rows("raw_telemetry", queries.FLIGHT_TRACK, [flight_id, MAX_TRACK_POINTS])
    points = [[p["time"], p["lat"], p["lon"], p["altitude"]] for p in track]
    return FastJSON({**rows[0], "track": points})


@router.get("/routes", summary="Route analytics (directed airport pairs)")
def routes(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    order: RouteOrder = "flights",
) -> FastJSON:
    items = _ctx(request).rows("dim_route_analytics", queries.ROUTES[order], [limit])
    return FastJSON({"items": items})


@router.get("/aircraft/{icao24}", summary="Utilization per day and recent flights of an aircraft")
def aircraft(
    request: Request,
    icao24: Annotated[str, Path(pattern=ICAO24)],
    days: Annotated[int, Query(ge=1, le=366)] = 30,
    flights: Annotated[int, Query(ge=0, le=MAX_PAGE)] = 50,
) -> FastJSON:
    ctx = _ctx(request)
    key = icao24.lower()
    utilization = ctx.rows("dim_aircraft_utilization", queries.AIRCRAFT_UTILIZATION, [key, days])
    recent = ctx.rows("fact_flight_history", queries.AIRCRAFT_FLIGHTS, [key, flights])
    live_now = ctx.hub.aircraft(key)
    if not utilization and not recent and live_now is None:
        raise HTTPException(status_code=404, detail=f"no record of aircraft {key}")
    return FastJSON(
        {"icao24": key, "utilization": utilization, "flights": recent, "live": live_now}
    )


@router.get("/heatmap", summary="Airspace density cells for a date, or the typical-day profile")
def heatmap(
    request: Request,
    date: Annotated[
        dt.date | None, Query(description="UTC date; omit for the hourly profile")
    ] = None,
    hour: Annotated[int | None, Query(ge=0, le=23, description="UTC hour; omit for all")] = None,
) -> FastJSON:
    ctx = _ctx(request)
    if date is None:
        cells = ctx.rows(
            "dim_airspace_hourly_profile", queries.HEATMAP_PROFILE, [hour, MAX_HEATMAP_CELLS]
        )
        kind = "profile"
    else:
        cells = ctx.rows(
            "dim_airspace_heatmap", queries.HEATMAP_DAY, [date, hour, MAX_HEATMAP_CELLS]
        )
        kind = "day"
    return FastJSON({"kind": kind, "date": date, "hour": hour, "cells": cells})


@router.get("/overview", summary="Totals, busiest routes, airports and airlines")
def overview(request: Request, top: Annotated[int, Query(ge=1, le=50)] = 10) -> FastJSON:
    ctx = _ctx(request)
    table = "fact_flight_history"
    totals: dict[str, Any] = next(iter(ctx.rows(table, queries.OVERVIEW_TOTALS)), {"flights": 0})
    return FastJSON(
        {
            "totals": totals,
            "by_day": ctx.rows(table, queries.OVERVIEW_BY_DAY),
            "busiest_routes": ctx.rows("dim_route_analytics", queries.OVERVIEW_ROUTES, [top]),
            "busiest_airports": ctx.rows(table, queries.OVERVIEW_AIRPORTS, [top]),
            "top_airlines": ctx.rows(table, queries.OVERVIEW_AIRLINES, [top]),
            "live": ctx.hub.stats(),
        }
    )
