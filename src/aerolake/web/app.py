"""The FastAPI app factory: pages, static assets, ``/ws/live``, the REST API and ``/metrics``.

``create_app(settings)`` builds everything from settings; tests and the server may pass their
own :class:`~aerolake.web.live.LiveHub` (fed by the speed layer) and serving target. Nothing
is opened at import or creation time: the serving target on first use, the broadcaster when
the app starts (its lifespan). Pages are the front-end's built files under ``static/``; when
they are missing the pages say how to build them instead of failing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Final

from fastapi import FastAPI, Request, WebSocket
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, Response
from starlette.staticfiles import StaticFiles

from aerolake.errors import ServingError
from aerolake.serving.target import ServingTarget
from aerolake.settings import Settings
from aerolake.web import api
from aerolake.web.context import (
    FastJSON,
    WebContext,
    default_batch_runner,
    default_target_factory,
)
from aerolake.web.live import LiveHub
from aerolake.web.metrics import WebMetrics
from aerolake.web.ops import ops_router
from aerolake.web.security import (
    add_security_headers,
    content_security_policy,
    inline_script_hashes,
    security_headers,
)
from aerolake.web.ws import Broadcaster, Cadence

log = logging.getLogger(__name__)

STATIC_DIR: Final[Path] = Path(__file__).parent / "static"

#: Page path -> built files to try, in order.
PAGES: Final[dict[str, tuple[str, ...]]] = {
    "/": ("index.html",),
    "/dashboards": ("dashboards.html", "index.html"),
    "/ops": ("ops.html", "index.html"),
}

NOT_BUILT: Final[str] = """aerolake: the web pages are not built yet.

Build them once (needs Node.js and npm):

    bash scripts/build-web.sh     (or: cd web/frontend && npm ci && npm run build)

which writes src/aerolake/web/static/. Meanwhile the API works: see /docs, /api/live,
/api/health and the live feed at /ws/live.
"""


def create_app(
    settings: Settings,
    live: LiveHub | None = None,
    target: ServingTarget | None = None,
    *,
    cadence: Cadence | None = None,
    batch_runner: Callable[[], object] | None = None,
    static_dir: Path = STATIC_DIR,
) -> FastAPI:
    """The web app. ``target``, when given, is used as is and not closed by the app."""
    hub = live or LiveHub()
    metrics = WebMetrics()
    ctx = WebContext(
        settings=settings,
        hub=hub,
        metrics=metrics,
        target_factory=(lambda: target) if target is not None else default_target_factory(settings),
        batch_runner=batch_runner or default_batch_runner(settings),
    )
    broadcaster = Broadcaster(hub, cadence or Cadence(), metrics)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(broadcaster.run(), name="aerolake-live-broadcaster")
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            if target is None:
                ctx.close()

    app = FastAPI(
        title="aerolake",
        summary="Live flight tracking and flight analytics from ADS-B / OpenSky state vectors.",
        version="0.1.0",
        lifespan=lifespan,
        default_response_class=FastJSON,
        docs_url=None,
        redoc_url=None,
    )
    app.state.ctx = ctx
    app.state.broadcaster = broadcaster
    headers = security_headers(settings)

    @app.middleware("http")
    async def observe(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        route = getattr(request.scope.get("route"), "path", "unmatched")
        metrics.http_requests.labels(request.method, route, str(response.status_code)).inc()
        metrics.http_seconds.labels(route).observe(time.perf_counter() - started)
        add_security_headers(headers, response)
        return response

    @app.exception_handler(ServingError)
    async def serving_unavailable(_: Request, exc: ServingError) -> Response:
        log.warning("serving database unavailable: %s", exc)
        return FastJSON({"detail": f"serving database unavailable: {exc}"}, status_code=503)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> Response:
        problems = [
            f"{'.'.join(str(p) for p in e['loc'] if p not in ('query', 'path'))}: {e['msg']}"
            for e in exc.errors()
        ]
        return FastJSON(
            {
                "detail": "invalid request: " + "; ".join(problems),
                "errors": [{"loc": e["loc"], "msg": e["msg"]} for e in exc.errors()],
            },
            status_code=422,
        )

    app.include_router(api.router)
    app.include_router(ops_router(settings))

    @app.websocket("/ws/live")
    async def live_feed(websocket: WebSocket) -> None:
        await broadcaster.serve(websocket)

    docs = _docs_page(settings, app.openapi_url or "/openapi.json", app.title)

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> Response:
        return docs

    @app.get("/metrics", include_in_schema=False)
    def prometheus_metrics() -> Response:
        return Response(metrics.exposition(settings.data_dir), media_type=CONTENT_TYPE_LATEST)

    for path, candidates in PAGES.items():
        app.add_api_route(path, _page(static_dir, candidates), include_in_schema=False)
    if static_dir.is_dir():
        app.mount("/static", StaticFiles(directory=static_dir), name="static")
    else:
        app.add_api_route("/static/{path:path}", _not_built, include_in_schema=False)
    return app


def _docs_page(settings: Settings, openapi_url: str, title: str) -> HTMLResponse:
    """Swagger UI from this server's ``/static/vendor`` (built with the pages), never a CDN.

    FastAPI's page starts Swagger UI with one inline script: the CSP allows exactly that
    script by its hash. The online validator badge is off (it would load an image from afar).
    """
    page = get_swagger_ui_html(
        openapi_url=openapi_url,
        title=f"{title} API",
        swagger_js_url="/static/vendor/swagger-ui-bundle.js",
        swagger_css_url="/static/vendor/swagger-ui.css",
        swagger_favicon_url="/static/favicon.svg",
        swagger_ui_parameters={"validatorUrl": None},
    )
    html = bytes(page.body).decode()
    policy = content_security_policy(settings, script_hashes=inline_script_hashes(html))
    return HTMLResponse(html, headers={"Content-Security-Policy": policy})


def _not_built(path: str) -> Response:
    return PlainTextResponse(NOT_BUILT, status_code=404)


def _page(static_dir: Path, candidates: tuple[str, ...]) -> Callable[[], Response]:
    def page() -> Response:
        for name in candidates:
            path = static_dir / name
            if path.is_file():
                return FileResponse(path, media_type="text/html; charset=utf-8")
        return PlainTextResponse(NOT_BUILT)

    return page
