"""REST API over a DuckDB serving target filled with a few known rows."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from fastapi.testclient import TestClient

from aerolake.serving.runs import RunRecorder
from aerolake.serving.synthetic import synthetic_rows
from aerolake.serving.target import ServingTarget, open_target
from aerolake.settings import Settings
from aerolake.web.app import create_app
from aerolake.web.live import LiveHub
from aerolake.web.ws import Cadence

pytestmark = [pytest.mark.timeout(60), pytest.mark.filterwarnings("ignore::DeprecationWarning")]

EVIL = "<script>alert(1)</script>"
TOKEN = "test-admin-token-not-real"


def with_values(table: pa.Table, **columns: list[Any]) -> pa.Table:
    for name, values in columns.items():
        i = table.schema.get_field_index(name)
        table = table.set_column(
            i, table.schema.field(i), pa.array(values, table.schema.field(i).type)
        )
    return table


@pytest.fixture
def target(tmp_path: Path) -> Iterator[ServingTarget]:
    target = open_target(f"duckdb:///{tmp_path / 'serving.duckdb'}")
    day1, day2 = dt.date(2024, 6, 1), dt.date(2024, 6, 2)
    flights = with_values(
        synthetic_rows("fact_flight_history", 4),
        flight_id=["f1", "f2", "f3", "f4"],
        icao24=["800aaa", "800aaa", "800bbb", "800ccc"],
        callsign=["IGO101", "IGO102", EVIL, "AIC7"],
        airline_icao=["IGO", "IGO", None, "AIC"],
        origin_icao=["VIDP", "VABB", "VIDP", "VOBL"],
        destination_icao=["VABB", "VIDP", "VOBL", "VIDP"],
        flight_date=[day1, day1, day2, day2],
        origin_known=[True] * 4,
        destination_known=[True] * 4,
    )
    telemetry = with_values(
        synthetic_rows("raw_telemetry", 3),
        flight_id=["f1", "f1", "f3"],
        icao24=["800aaa", "800aaa", "800bbb"],
        time=[1_717_200_000, 1_717_200_010, 1_717_300_000],
    )
    utilization = with_values(
        synthetic_rows("dim_aircraft_utilization", 2),
        icao24=["800aaa", "800aaa"],
        date=[day1, day2],
    )
    target.replace_tables(
        {
            "fact_flight_history": flights,
            "raw_telemetry": telemetry,
            "dim_route_analytics": synthetic_rows("dim_route_analytics", 5),
            "dim_aircraft_utilization": utilization,
            "dim_airspace_heatmap": synthetic_rows("dim_airspace_heatmap", 48, days=1),
            "dim_airspace_hourly_profile": synthetic_rows("dim_airspace_hourly_profile", 24),
        }
    )
    recorder = RunRecorder(target, settings={"serving_url": "postgresql://u:***@h/db"})
    with recorder.run("batch", trigger="test", run_id="run-1") as run, run.task("flights") as task:
        task.rows_in, task.rows_out = 10, 4
    yield target
    target.close()


@pytest.fixture
def hub() -> LiveHub:
    hub = LiveHub()
    now = int(time.time())
    hub.update(
        [
            {
                "time": now,
                "icao24": "800aaa",
                "lat": 20.0,
                "lon": 77.0,
                "onground": False,
                "source": "opensky",
                "callsign": EVIL,
            },
            {
                "time": now,
                "icao24": "800ddd",
                "lat": 50.0,
                "lon": 10.0,
                "onground": True,
                "source": "simulator",
            },
        ]
    )
    return hub


def make_client(tmp_path: Path, hub: LiveHub, target: ServingTarget, **settings: Any) -> TestClient:
    app = create_app(
        Settings(data_dir=tmp_path, **settings),
        hub,
        target,
        cadence=Cadence(tick_s=0.05),
        batch_runner=lambda: None,
    )
    return TestClient(app)


@pytest.fixture
def client(tmp_path: Path, hub: LiveHub, target: ServingTarget) -> Iterator[TestClient]:
    with make_client(tmp_path, hub, target, admin_token=TOKEN) as c:
        yield c


def test_live_and_bbox(client: TestClient) -> None:
    body = client.get("/api/live").json()
    assert {a["icao24"] for a in body["aircraft"]} == {"800aaa", "800ddd"}
    assert body["stats"] == {"in_air": 1, "on_ground": 1, "total": 2, "states_per_s": 0.2}
    boxed = client.get("/api/live", params={"bbox": "6,68,36,98"}).json()
    assert [a["icao24"] for a in boxed["aircraft"]] == ["800aaa"]


def test_live_aircraft_has_a_trail_and_404_when_unknown(client: TestClient) -> None:
    body = client.get("/api/live/800AAA").json()
    assert body["icao24"] == "800aaa" and len(body["trail"]) == 1 and len(body["trail"][0]) == 4
    assert client.get("/api/live/123456").status_code == 404


def test_xss_callsigns_come_back_as_plain_json_strings(client: TestClient) -> None:
    response = client.get("/api/live")
    assert response.headers["content-type"].startswith("application/json")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert EVIL in [a["callsign"] for a in response.json()["aircraft"]]
    flights = client.get("/api/flights", params={"date": "2024-06-02"}).json()
    assert EVIL in [f["callsign"] for f in flights["items"]]


def test_flights_filters_and_paging(client: TestClient) -> None:
    body = client.get("/api/flights").json()
    assert body["total"] == 4 and len(body["items"]) == 4
    assert client.get("/api/flights", params={"airline": "igo"}).json()["total"] == 2
    assert client.get("/api/flights", params={"callsign": "IGO1"}).json()["total"] == 2
    assert (
        client.get("/api/flights", params={"origin": "VIDP", "destination": "VOBL"}).json()["total"]
        == 1
    )
    assert (
        client.get("/api/flights", params={"from": "2024-06-02", "to": "2024-06-30"}).json()[
            "total"
        ]
        == 2
    )
    page = client.get("/api/flights", params={"icao24": "800AAA", "limit": 1, "offset": 1}).json()
    assert page["total"] == 2 and len(page["items"]) == 1
    # newest first: the second page holds the older of the two
    first = client.get("/api/flights", params={"icao24": "800aaa", "limit": 1}).json()["items"][0]
    assert first["first_seen"] >= page["items"][0]["first_seen"]


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"limit": 501}, "limit"),
        ({"limit": 0}, "limit"),
        ({"offset": -1}, "offset"),
        ({"date": "yesterday"}, "date"),
        ({"icao24": "xyz"}, "icao24"),
        ({"callsign": "a'; drop table x;--"}, "callsign"),
        ({"from": "2024-06-03", "to": "2024-06-01"}, "from"),
    ],
)
def test_out_of_range_flight_params_are_422_with_the_name(
    client: TestClient, params: dict[str, Any], name: str
) -> None:
    response = client.get("/api/flights", params=params)
    assert response.status_code == 422
    assert name in response.json()["detail"]


@pytest.mark.parametrize(
    "url",
    [
        "/api/live?bbox=0,0,95,1",
        "/api/live?bbox=a,b,c,d",
        "/api/routes?limit=10000",
        "/api/routes?order=drop",
        "/api/heatmap?hour=24",
        "/api/runs?limit=0",
        "/api/overview?top=51",
    ],
)
def test_other_out_of_range_params_are_422(client: TestClient, url: str) -> None:
    assert client.get(url).status_code == 422


def test_flight_with_track(client: TestClient) -> None:
    body = client.get("/api/flights/f1").json()
    assert body["flight_id"] == "f1" and body["origin_icao"] == "VIDP"
    assert [p[0] for p in body["track"]] == [1_717_200_000, 1_717_200_010]
    assert client.get("/api/flights/f2").json()["track"] == []
    assert client.get("/api/flights/nope").status_code == 404


def test_routes_order_and_limit(client: TestClient) -> None:
    items = client.get("/api/routes", params={"limit": 3}).json()["items"]
    assert len(items) == 3
    flights = [r["total_flights"] for r in items]
    assert flights == sorted(flights, reverse=True)
    by_name = client.get("/api/routes", params={"order": "route"}).json()["items"]
    assert [r["route"] for r in by_name] == sorted(r["route"] for r in by_name)


def test_aircraft_utilization_and_flights(client: TestClient) -> None:
    body = client.get("/api/aircraft/800aaa").json()
    assert [str(u["date"]) for u in body["utilization"]] == ["2024-06-02", "2024-06-01"]
    assert {f["flight_id"] for f in body["flights"]} == {"f1", "f2"}
    assert body["live"]["icao24"] == "800aaa"
    assert client.get("/api/aircraft/abcdef").status_code == 404


def test_heatmap_day_hour_and_profile(client: TestClient) -> None:
    day = client.get("/api/heatmap", params={"date": "2024-06-01", "hour": 3}).json()
    assert day["kind"] == "day" and day["cells"] and {c["hour_utc"] for c in day["cells"]} == {3}
    profile = client.get("/api/heatmap").json()
    assert profile["kind"] == "profile" and len(profile["cells"]) == 24


def test_overview(client: TestClient) -> None:
    body = client.get("/api/overview").json()
    assert body["totals"]["flights"] == 4 and body["totals"]["aircraft"] == 3
    assert body["busiest_airports"][0]["airport"] == "VIDP"
    assert body["busiest_airports"][0]["movements"] == 4
    assert [d["flights"] for d in body["by_day"]] == [2, 2]
    assert body["top_airlines"][0]["airline_icao"] == "IGO"


def test_runs_and_report(client: TestClient) -> None:
    runs = client.get("/api/runs").json()["items"]
    assert [r["run_id"] for r in runs] == ["run-1"] and runs[0]["status"] == "succeeded"
    run = client.get("/api/runs/run-1").json()
    assert run["tasks"][0]["task"] == "flights"
    assert "AEROLAKE COMPREHENSIVE METRICS REPORT" in run["report"]
    assert "run-1" in run["report"]
    assert client.get("/api/runs/none").status_code == 404


def test_stream_status_from_files_or_hub(client: TestClient, tmp_path: Path) -> None:
    body = client.get("/api/stream").json()
    assert body["source"] == "in-process" and body["live"]["aircraft"]["total"] == 2
    from aerolake.stream.status import write_status

    write_status(tmp_path, "processor-1", {"lag": {"raw[0]": 7}, "deadletters": 3, "enriched": 9})
    body = client.get("/api/stream").json()
    assert body["source"] == "status-files" and body["totals"]["lag"] == 7
    metrics = client.get("/metrics").text
    assert "aerolake_stream_lag_messages 7.0" in metrics


def test_health_probes_really_run(client: TestClient) -> None:
    response = client.get("/api/health")
    body = response.json()
    assert response.status_code == 200 and body["status"] == "ok"
    names = {c["name"]: c for c in body["checks"]}
    assert set(names) == {"serving_database", "lake_writable", "bus", "live_feed"}
    assert names["live_feed"]["required"] is False


def test_health_is_503_when_the_lake_cannot_be_written(
    tmp_path: Path, hub: LiveHub, target: ServingTarget
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with make_client(tmp_path, hub, target, lake_url=str(blocker / "lake")) as c:
        response = c.get("/api/health")
    assert response.status_code == 503
    failed = [x for x in response.json()["checks"] if not x["ok"]]
    assert [x["name"] for x in failed if x["required"]] == ["lake_writable"]


def test_admin_needs_a_configured_token(
    tmp_path: Path, hub: LiveHub, target: ServingTarget
) -> None:
    with make_client(tmp_path, hub, target) as c:
        response = c.post("/api/admin/clear-live", headers={"Authorization": "Bearer anything"})
    assert response.status_code == 403 and "AEROLAKE_ADMIN_TOKEN" in response.json()["detail"]


def test_admin_wrong_token_is_401_and_right_token_works(client: TestClient, hub: LiveHub) -> None:
    assert client.post("/api/admin/clear-live").status_code == 401
    wrong = client.post("/api/admin/clear-live", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and TOKEN not in wrong.text
    ok = client.post("/api/admin/clear-live", headers={"Authorization": f"Bearer {TOKEN}"})
    assert ok.status_code == 200 and ok.json() == {"removed": 2}
    assert client.get("/api/live").json()["aircraft"] == []
    started = client.post("/api/admin/batch", headers={"Authorization": f"Bearer {TOKEN}"})
    assert started.status_code == 202 and started.json()["status"] in {"running", "succeeded"}
    for _ in range(100):
        if client.get("/api/admin/batch").json()["status"] == "succeeded":
            break
        time.sleep(0.02)
    assert client.get("/api/admin/batch").json()["status"] == "succeeded"


def test_metrics_pages_and_docs(client: TestClient, tmp_path: Path) -> None:
    client.get("/api/live")
    metrics = client.get("/metrics")
    assert (
        'aerolake_http_requests_total{method="GET",route="/api/live",status="200"}' in metrics.text
    )
    assert "aerolake_live_aircraft" in metrics.text
    assert client.get("/openapi.json").json()["paths"]["/api/flights"]
    assert client.get("/docs").status_code == 200


def test_pages_fall_back_to_build_instructions(
    tmp_path: Path, hub: LiveHub, target: ServingTarget
) -> None:
    app = create_app(Settings(data_dir=tmp_path), hub, target, static_dir=tmp_path / "missing")
    with TestClient(app) as c:
        for page in ("/", "/dashboards", "/ops"):
            response = c.get(page)
            assert response.status_code == 200 and "npm run build" in response.text
        assert c.get("/static/app.js").status_code == 404
    built = tmp_path / "static"
    built.mkdir()
    (built / "index.html").write_text("<!doctype html><title>map</title>")
    with TestClient(create_app(Settings(data_dir=tmp_path), hub, target, static_dir=built)) as c:
        assert c.get("/ops").text.startswith("<!doctype html>")


def test_serving_database_down_is_503(tmp_path: Path, hub: LiveHub) -> None:
    settings = Settings(
        data_dir=tmp_path, serving_url="postgresql://nobody:secret@127.0.0.1:1/none"
    )
    with TestClient(create_app(settings, hub)) as c:
        response = c.get("/api/routes")
    assert response.status_code == 503
    assert "secret" not in response.text
