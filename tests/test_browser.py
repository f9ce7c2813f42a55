"""Browser tests of the web pages in headless Chromium (Debian ``chromium``) driven by Playwright.

The app under test is the real one: ``create_app`` served by uvicorn on a free 127.0.0.1 port,
its DuckDB serving database filled by the real pipeline (simulated history -> ingest -> batch
-> load), its live hub fed by the simulator through the speed layer's processor, with a high
emergency rate so an emergency squawk shows up within seconds. Screenshots go to
``test-artifacts/`` (gitignored). Every page must load without a browser console error and
without a request leaving the server's origin.
"""

from __future__ import annotations

import datetime as dt
import importlib
import os
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
STATIC = Path(__file__).resolve().parent.parent / "src" / "aerolake" / "web" / "static"
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
FEED_EVERY_S = 2.0
SIM_AIRCRAFT = 200
EMERGENCY_RATE = 0.25


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _fill_serving(root: Path) -> Any:
    """Settings for ``root`` with a DuckDB serving database built by the real pipeline."""
    from aerolake.batch.ingest import ingest
    from aerolake.lake import Lake
    from aerolake.orchestration.batch import run_batch
    from aerolake.orchestration.history import write_history
    from aerolake.orchestration.load import load_serving
    from aerolake.serving.target import open_target
    from aerolake.settings import Settings

    settings = Settings(data_dir=root)
    start = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
    start -= dt.timedelta(hours=3)
    write_history(root / "simulated", settings.region_def, start, 3, aircraft=60, seed=7)
    lake = Lake.open(settings.lake)
    ingest(lake, [str(root / "simulated")])
    run_batch(settings, lake)
    target = open_target(settings.serving)
    load_serving(settings, lake, target)
    return settings, target


def _simulator_feed(settings: Any, hub: Any, stop: threading.Event) -> None:
    """The simulator through the speed layer's processor into the hub (no bus, no lake)."""
    from aerolake.orchestration.serve import on_live
    from aerolake.orchestration.stream import processor_factory
    from aerolake.sources.simulator import SimulatorConfig, SimulatorLive
    from aerolake.stream.bus import RAW, Message
    from aerolake.stream.messages import encode_batch

    config = SimulatorConfig(
        region=settings.region_def,
        seed=settings.seed,
        aircraft=SIM_AIRCRAFT,
        emergency_rate=EMERGENCY_RATE,
        sample_s=(1.0, 3.0),
    )
    source = SimulatorLive(config)
    processor = processor_factory(settings)()
    feed = on_live(hub)
    while not stop.is_set():
        batch = source.poll()
        now = dt.datetime.now(dt.UTC)
        messages = [
            Message(RAW, 0, i, key, value, now.timestamp())
            for i, (key, value) in enumerate(encode_batch(batch))
        ]
        feed(processor.process(messages, now))
        stop.wait(FEED_EVERY_S)


@dataclass
class Server:
    url: str
    stop: Callable[[], None]
    errors: list[BaseException] = field(default_factory=list)


def start_server(root: Path) -> Server:
    """The real app with a filled serving database and a simulator feed, on a free port."""
    import uvicorn

    from aerolake.web.app import create_app
    from aerolake.web.live import LiveHub
    from aerolake.web.ws import Cadence

    settings, target = _fill_serving(root)
    hub = LiveHub()
    stop = threading.Event()
    server_errors: list[BaseException] = []

    def guarded_feed() -> None:
        try:
            _simulator_feed(settings, hub, stop)
        except BaseException as exc:  # surfaced by the tests, not swallowed
            server_errors.append(exc)

    feed = threading.Thread(target=guarded_feed, name="test-live-feed", daemon=True)
    feed.start()
    app = create_app(settings, hub, target, cadence=Cadence(tick_s=1.0, diff_every_s=2.0))
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, name="test-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start within 30 s")
        time.sleep(0.05)

    def shutdown() -> None:
        stop.set()
        server.should_exit = True
        thread.join(timeout=10)
        feed.join(timeout=10)
        target.close()

    return Server(f"http://127.0.0.1:{port}", shutdown, server_errors)


# --------------------------------------------------------------------------------------------
# Fixtures


def missing(reason: str) -> None:
    """Fail in CI (the browser tests must run there), skip on a developer's machine."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so this is a failure, not a skip)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    if not (STATIC / "index.html").is_file():
        missing("front-end not built: run scripts/build-web.sh")
    srv = start_server(tmp_path_factory.mktemp("web"))
    yield srv
    srv.stop()
    assert not srv.errors, f"the live feed failed: {srv.errors!r}"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        sync_api: Any = importlib.import_module("playwright.sync_api")
    except ImportError:
        missing("playwright not installed (.venv/bin/pip install playwright)")
    if not Path(CHROMIUM).is_file():
        missing("Debian chromium not installed (apt-get install chromium)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield b
        b.close()


@dataclass
class Watched:
    """A page with its console errors, page errors and requests leaving the origin."""

    page: Any
    console_errors: list[str]
    foreign_requests: list[str]

    def assert_clean(self) -> None:
        assert self.console_errors == [], f"browser console errors: {self.console_errors}"
        assert self.foreign_requests == [], f"requests off the origin: {self.foreign_requests}"


@pytest.fixture
def watched(browser: Any, server: Server, request: pytest.FixtureRequest) -> Iterator[Watched]:
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    foreign: list[str] = []
    page.on(
        "console",
        lambda m: (
            errors.append(f"{m.text} at {m.location.get('url')}") if m.type == "error" else None
        ),
    )
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    origin = server.url
    ws_origin = origin.replace("http://", "ws://")

    def check_request(req: Any) -> None:
        url = req.url
        if not (url.startswith((origin, ws_origin, "data:", "blob:"))):
            foreign.append(url)

    page.on("request", check_request)
    page.on("websocket", lambda ws: check_request(ws))
    yield Watched(page, errors, foreign)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-final.png"))
    context.close()


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


#: The live map has drawn aircraft and is not moving (the first snapshot fits the view).
MAP_SETTLED = """() => {
    const m = window.aerolakeLive && window.aerolakeLive.map;
    return Boolean(m && m.loaded() && !m.isMoving()
        && m.queryRenderedFeatures({layers: ['aircraft']}).length > 0);
}"""


def _positions(page: Any) -> dict[str, tuple[float, float]]:
    rows = page.evaluate("() => window.aerolakeLive.positions()")
    return {r[0]: (r[1], r[2]) for r in rows if r[1] is not None}


# --------------------------------------------------------------------------------------------
# Live map


def test_live_map_shows_aircraft_moving_within_10_s(watched: Watched, server: Server) -> None:
    page = watched.page
    started = time.monotonic()
    page.goto(server.url + "/")
    page.wait_for_function("() => document.getElementById('map').dataset.ready === 'webgl'")
    page.wait_for_function("() => window.aerolakeLive.store.size > 0", timeout=10_000)
    first = _positions(page)
    moved: list[str] = []
    while time.monotonic() - started < 10 and not moved:
        page.wait_for_timeout(500)
        now = _positions(page)
        moved = [k for k, p in now.items() if k in first and p != first[k]]
    assert moved, "no aircraft moved on the live map within 10 s of start"
    # the map itself draws them: rendered aircraft features exist on the WebGL layer
    rendered = page.evaluate(
        "() => window.aerolakeLive.map.queryRenderedFeatures({layers: ['aircraft']}).length"
    )
    assert rendered > 0
    assert page.locator("#conn").get_attribute("data-state") == "open"
    assert page.locator("#count-total").inner_text() not in ("", "—", "0")
    assert page.locator(".vt-row").count() > 0  # the table lists them
    _shot(page, "live-map")
    watched.assert_clean()


def test_clicking_an_aircraft_opens_the_panel_with_its_callsign(
    watched: Watched, server: Server
) -> None:
    page = watched.page
    page.goto(server.url + "/")
    page.wait_for_function(MAP_SETTLED, timeout=15_000)
    # pick an airborne aircraft with a callsign whose icon is inside the map's viewport
    target = page.evaluate(
        """() => {
            const live = window.aerolakeLive;
            const box = document.getElementById('map').getBoundingClientRect();
            const ids = live.map.queryRenderedFeatures({layers: ['aircraft']})
                .map((f) => f.properties.icao24);
            for (const id of ids) {
                const a = live.store.get(id);
                const p = live.screenPoint(id);
                if (a && a.callsign && p && p.x > box.left + 60 && p.x < box.right - 60
                    && p.y > box.top + 60 && p.y < box.bottom - 60) {
                    return {id, callsign: a.callsign, x: p.x, y: p.y};
                }
            }
            return null;
        }"""
    )
    assert target, "no clickable aircraft with a callsign in view"
    page.mouse.click(target["x"], target["y"])
    panel = page.locator("#panel")
    panel.wait_for(state="visible", timeout=5_000)
    title = page.locator("#panel-callsign").inner_text()
    selected = page.evaluate("() => window.aerolakeLive.selected()")
    clicked = page.evaluate(f"() => window.aerolakeLive.store.get('{selected}')")
    assert title == clicked["callsign"]
    assert page.locator('#panel-fields dd[data-field="icao24"]').inner_text() == selected
    # the trail is fetched from /api/live/{icao24}
    page.wait_for_function(
        "() => /Trail: \\d+ points/.test(document.getElementById('panel-trail').textContent)"
    )
    _shot(page, "live-panel")
    watched.assert_clean()


def test_emergency_squawk_is_highlighted_and_listed(watched: Watched, server: Server) -> None:
    page = watched.page
    page.goto(server.url + "/")
    page.wait_for_selector("#alert-list .alert-item", timeout=15_000)
    item = page.locator("#alert-list .alert-item").first
    squawk = item.locator(".alert-squawk").inner_text()
    assert squawk.split()[0] in ("7500", "7600", "7700")
    assert page.locator("#alerts").evaluate("el => el.classList.contains('has-alerts')")
    icao24 = item.get_attribute("data-icao24")
    # the aircraft is drawn red with a ring on the map, and its table row is red
    page.wait_for_function(
        """(id) => window.aerolakeLive.map.querySourceFeatures('aircraft')
            .some((f) => f.properties.icao24 === id && f.properties.emergency
                      && f.properties.color === '#ff1a1a')""",
        arg=icao24,
    )
    item.click()
    page.locator("#panel").wait_for(state="visible")
    assert page.locator("#panel").evaluate("el => el.classList.contains('emergency')")
    assert page.locator('#panel-fields dd[data-field="squawk"]').evaluate(
        "el => el.classList.contains('alert-text')"
    )
    color = page.locator("#alert-list .alert-squawk").first.evaluate(
        "el => getComputedStyle(el).color"
    )
    assert color == "rgb(255, 64, 64)"
    _shot(page, "live-emergency")
    watched.assert_clean()


# --------------------------------------------------------------------------------------------
# Dashboards and ops


def test_overview_and_routes_render_with_data(watched: Watched, server: Server) -> None:
    page = watched.page
    page.goto(server.url + "/dashboards#overview")
    page.wait_for_selector("#tab-overview[data-loaded='1']")
    flights = page.locator("[data-kpi='flights'] b").inner_text()
    assert int(flights.replace(",", "")) > 0
    _shot(page, "dash-overview")
    page.click("#tabbtn-routes")
    page.wait_for_selector("#tab-routes[data-loaded='1']")
    rows = page.locator("#tab-routes table.data tbody tr")
    assert rows.count() > 0
    assert "empty" not in (rows.first.locator("td").first.get_attribute("class") or "")
    assert page.locator("#tab-routes canvas").count() == 2
    # sorting by a numeric column puts the largest first
    page.locator("#tab-routes table.data th", has_text="Flights").click()
    cells = page.locator("#tab-routes table.data tbody tr td:nth-child(4)").all_inner_texts()
    counts = [int(c.replace(",", "")) for c in cells]
    assert counts == sorted(counts, reverse=True)
    _shot(page, "dash-routes")
    watched.assert_clean()


def test_heatmap_renders_cells_for_a_date_and_hour(watched: Watched, server: Server) -> None:
    page = watched.page
    page.goto(server.url + "/dashboards#heatmap")
    page.wait_for_selector("#tab-heatmap[data-loaded='1']", timeout=15_000)
    assert int(page.locator("#tab-heatmap").get_attribute("data-cells") or 0) > 0
    page.wait_for_function("() => document.querySelector('#heatmap-map canvas') !== null")
    hour = dt.datetime.now(dt.UTC).hour - 2
    page.select_option("#tab-heatmap select[aria-label='Hour (UTC)']", str(hour % 24))
    page.wait_for_function(
        "(h) => document.querySelector('#tab-heatmap [role=status]').textContent.includes(h)",
        arg=f"{hour % 24:02d}Z",
    )
    _shot(page, "dash-heatmap")
    watched.assert_clean()


def test_flight_history_search_then_track_on_map(watched: Watched, server: Server) -> None:
    page = watched.page
    page.goto(server.url + "/dashboards#history")
    page.wait_for_selector("#tab-history table.data tbody tr.clickable", timeout=15_000)
    first = page.locator("#tab-history table.data tbody tr.clickable").first
    callsign = first.locator("td").first.inner_text()
    page.fill("#tab-history input[aria-label='Callsign']", callsign)
    page.click("#tab-history button[type='submit']")
    page.wait_for_function(
        """(cs) => [...document.querySelectorAll('#tab-history table.data tbody tr.clickable')]
            .every((tr) => tr.cells[0].textContent.startsWith(cs))""",
        arg=callsign,
    )
    page.locator("#tab-history table.data tbody tr.clickable").first.click()
    page.wait_for_function(
        "() => Number(document.getElementById('tab-history').dataset.track || 0) > 1"
    )
    assert callsign in page.locator("#tab-history dl.details").inner_text()
    _shot(page, "dash-history")
    watched.assert_clean()


def test_utilization_renders_for_an_aircraft(watched: Watched, server: Server) -> None:
    page = watched.page
    page.goto(server.url + "/dashboards#utilization")
    page.wait_for_selector("#tab-utilization[data-loaded='1']", timeout=15_000)
    assert page.locator("#tab-utilization table.data").count() == 2
    assert page.locator("#tab-utilization table.data tbody tr td.empty").count() == 0
    _shot(page, "dash-utilization")
    watched.assert_clean()


def test_ops_page_shows_runs_report_and_health(watched: Watched, server: Server) -> None:
    page = watched.page
    page.goto(server.url + "/ops")
    page.wait_for_selector("#run-report")
    report = page.locator("#run-report").inner_text()
    assert report.strip() and report != "(no report)"
    page.wait_for_selector("#health table.data")
    assert page.locator("#stream dl.kv dt").count() > 0
    _shot(page, "ops")
    watched.assert_clean()


SHORT_UPDATES = """() => {
    const live = window.aerolakeLive;
    const now = Date.now() / 1000;
    const whole = {
        icao24: 'a00001', callsign: 'SHRT1', airline_icao: 'TST', airline_name: 'Test Air',
        lat: 20, lon: 77, baroaltitude: 9000, geoaltitude: null, velocity: 220, heading: 90,
        vertrate: 0, squawk: '1000', onground: false, phase: 'cruise', emergency: false,
        first_seen: now - 60, last_seen: now, stale: false,
    };
    const stats = {in_air: 1, on_ground: 0, total: 1, states_per_s: 1};
    live.inject({type: 'snapshot', time: now, aircraft: [whole], stats});
    const short = (id, lat) => ({icao24: id, lat, lon: 77.1, baroaltitude: 9100,
        geoaltitude: null, velocity: 221, heading: 91, vertrate: 1, squawk: '1000',
        last_seen: now + 1});
    live.inject({type: 'diff', time: now + 1, added: [],
                 updated: [short('a00001', 20.5), short('a00002', 21)], removed: [], stats});
    const a = live.store.get('a00001');
    return {callsign: a.callsign, airline: a.airline_name, lat: a.lat, alt: a.baroaltitude,
            phase: a.phase, unknownKept: live.store.get('a00002') !== undefined,
            size: live.store.size};
}"""


def test_short_updates_merge_into_the_held_aircraft(watched: Watched, server: Server) -> None:
    """A diff's ``updated`` may carry only the fast-changing fields: the page merges them."""
    page = watched.page
    page.goto(server.url + "/")
    page.wait_for_function("() => window.aerolakeLive.store.size > 0", timeout=15_000)
    merged = page.evaluate(SHORT_UPDATES)
    assert merged == {
        "callsign": "SHRT1",
        "airline": "Test Air",
        "lat": 20.5,
        "alt": 9100,
        "phase": "cruise",
        "unknownKept": False,  # a short update with no base is not shown half-filled
        "size": 1,
    }
    page.wait_for_function("() => document.getElementById('count-total').textContent === '1'")
    watched.assert_clean()


def test_api_docs_render_from_this_server(watched: Watched, server: Server) -> None:
    """Swagger UI at /docs comes from /static/vendor, runs under the CSP, reads the schema."""
    page = watched.page
    page.goto(server.url + "/docs")
    page.wait_for_selector(".swagger-ui .opblock", timeout=15_000)
    assert "aerolake" in page.locator(".swagger-ui .info .title").inner_text()
    assert page.locator(".opblock-summary-path", has_text="/api/config").count() == 1
    _shot(page, "api-docs")
    watched.assert_clean()


SYNTHETIC_15K = """(n) => {
    const live = window.aerolakeLive;
    const now = Date.now() / 1000;
    const make = (shift) => {
        const aircraft = [];
        for (let i = 0; i < n; i++) {
            aircraft.push({
                icao24: (0x100000 + i).toString(16), callsign: `TST${i}`, airline_icao: 'TST',
                lat: 6 + ((i * 7919) % 2800) / 100 + shift, lon: 69 + ((i * 104729) % 2800) / 100,
                baroaltitude: (i % 130) * 100, geoaltitude: null, heading: i % 360,
                velocity: 230, vertrate: 0, onground: i % 20 === 0,
                squawk: i % 997 === 0 ? '7700' : '1000', emergency: i % 997 === 0,
                last_seen: now, first_seen: now - 600, stale: false,
            });
        }
        return aircraft;
    };
    const stats = {in_air: n - n / 20, on_ground: n / 20, total: n, states_per_s: n / 5};
    live.inject({type: 'snapshot', time: now, aircraft: make(0), stats});
    const snapshotMs = live.renderOnce();
    live.inject({type: 'diff', time: now + 1, added: [], updated: make(0.01), removed: [], stats});
    const diffMs = live.renderOnce();
    return {snapshotMs, diffMs};
}"""

FRAME_RATE = """(ms) => new Promise((resolve) => {
    const map = window.aerolakeLive.map;
    let frames = 0;
    const t0 = performance.now();
    const count = () => {
        frames++;
        if (performance.now() - t0 < ms) requestAnimationFrame(count);
        else resolve(frames / ((performance.now() - t0) / 1000));
    };
    requestAnimationFrame(count);
    map.panBy([200, 0], {duration: ms / 2});
    setTimeout(() => map.panBy([-200, 0], {duration: ms / 2}), ms / 2);
})"""


def test_live_map_carries_15000_aircraft_on_gpu_layers(watched: Watched, server: Server) -> None:
    """15,000 aircraft: all in the map's GeoJSON source, a few dozen table rows in the DOM.

    Prints the render times and the frame rate while panning (SwiftShader renders on the CPU
    here, so the figures are a floor, not what a GPU gives); no timing is asserted.
    """
    page = watched.page
    page.goto(server.url + "/")
    page.wait_for_function(MAP_SETTLED, timeout=15_000)
    times = page.evaluate(SYNTHETIC_15K, 15_000)
    page.wait_for_function(
        "() => window.aerolakeLive.map.querySourceFeatures('aircraft').length >= 15000",
        timeout=20_000,
    )
    assert page.evaluate("() => window.aerolakeLive.store.size") == 15_000
    assert page.locator(".vt-row").count() < 100  # virtual table: only visible rows exist
    assert page.locator("#count-total").inner_text() == "15,000"
    synthetic_alerts = page.locator("#alert-list .alert-item", has_text="TST")
    assert synthetic_alerts.count() == 16  # every 997th squawks 7700
    fps = page.evaluate(FRAME_RATE, 3000)
    print(
        f"15k aircraft: snapshot render {times['snapshotMs']:.1f} ms, "
        f"diff render {times['diffMs']:.1f} ms, {fps:.1f} frames/s while panning (SwiftShader)"
    )
    _shot(page, "live-15k")
    watched.assert_clean()
