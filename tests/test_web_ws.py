"""/ws/live over Starlette's TestClient: snapshot, diffs, bbox, bad input, floods, heartbeat."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from aerolake.settings import Settings
from aerolake.web.app import create_app
from aerolake.web.live import LiveHub
from aerolake.web.metrics import WebMetrics
from aerolake.web.ws import Broadcaster, Cadence, Client

pytestmark = [
    pytest.mark.timeout(30),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]

FAST = Cadence(tick_s=0.02, diff_every_s=5.0, heartbeat_s=0.3, flood_limit=60)


def row(icao: str, lat: float, t: int | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "time": t or int(time.time()),
        "icao24": icao,
        "lat": lat,
        "lon": 77.0,
        "onground": False,
        "source": "opensky",
        **extra,
    }


@pytest.fixture
def hub() -> LiveHub:
    hub = LiveHub()
    hub.update([row("aaaaaa", 20.0), row("bbbbbb", 50.0)])
    return hub


@pytest.fixture
def client(tmp_path: Path, hub: LiveHub) -> Iterator[TestClient]:
    app = create_app(Settings(data_dir=tmp_path), hub, cadence=FAST)
    with TestClient(app) as c:
        yield c


def receive_until(ws: Any, kind: str, limit: int = 200) -> dict[str, Any]:
    for _ in range(limit):
        message: dict[str, Any] = ws.receive_json()
        if message["type"] == kind:
            return message
    raise AssertionError(f"no {kind} message in {limit} messages")


def test_snapshot_on_connect_then_diff_after_update(client: TestClient, hub: LiveHub) -> None:
    with client.websocket_connect("/ws/live") as ws:
        snap = ws.receive_json()
        assert snap["type"] == "snapshot"
        assert sorted(a["icao24"] for a in snap["aircraft"]) == ["aaaaaa", "bbbbbb"]
        assert snap["stats"]["total"] == 2
        hub.update([row("aaaaaa", 21.0, t=int(time.time()) + 1), row("cccccc", 10.0)])
        diff = receive_until(ws, "diff")
        assert [a["icao24"] for a in diff["added"]] == ["cccccc"]
        assert [a["lat"] for a in diff["updated"]] == [21.0]
        assert diff["removed"] == [] and diff["stats"]["total"] == 3


def test_subscribe_filters_to_the_box(client: TestClient, hub: LiveHub) -> None:
    with client.websocket_connect("/ws/live") as ws:
        ws.receive_json()
        ws.send_json({"type": "subscribe", "bbox": [10, 70, 30, 80]})
        snap = receive_until(ws, "snapshot")
        assert [a["icao24"] for a in snap["aircraft"]] == ["aaaaaa"]
        hub.update(
            [
                row("bbbbbb", 51.0, t=int(time.time()) + 1),
                row("aaaaaa", 45.0, t=int(time.time()) + 1),
            ]
        )
        diff = receive_until(ws, "diff")
        assert diff["removed"] == ["aaaaaa"] and diff["added"] == [] and diff["updated"] == []
        ws.send_json({"type": "subscribe", "bbox": None})
        assert len(receive_until(ws, "snapshot")["aircraft"]) == 2


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        ("{not json", "invalid JSON"),
        ("[1, 2]", "JSON object"),
        ('{"type": "subscribe", "bbox": [0, 0, 1000, 1]}', "latitudes"),
        ('{"type": "subscribe", "bbox": "x"}', "bbox"),
        ('{"type": "subscribe"}', "bbox"),
        ('{"type": "dance"}', "unknown message type"),
        ("x" * 5000, "too long"),
    ],
)
def test_bad_messages_get_an_error_and_the_connection_stays(
    client: TestClient, hub: LiveHub, payload: str, fragment: str
) -> None:
    with client.websocket_connect("/ws/live") as ws:
        ws.receive_json()
        ws.send_text(payload)
        error = receive_until(ws, "error")
        assert fragment in error["message"]
        ws.send_json({"type": "ping"})
        assert receive_until(ws, "pong")["time"] > 0


def test_binary_garbage_is_an_error_not_a_crash(client: TestClient) -> None:
    with client.websocket_connect("/ws/live") as ws:
        ws.receive_json()
        ws.send_bytes(b"\xff\xfe\x00")
        assert receive_until(ws, "error")["type"] == "error"


def test_a_flood_does_not_break_other_clients(client: TestClient, hub: LiveHub) -> None:
    with (
        client.websocket_connect("/ws/live") as calm,
        client.websocket_connect("/ws/live") as noisy,
    ):
        calm.receive_json()
        noisy.receive_json()
        for _ in range(40):
            noisy.send_json({"type": "ping"})
        assert "too many messages" in receive_until(noisy, "error")["message"]
        hub.update([row("dddddd", 12.0)])
        assert [a["icao24"] for a in receive_until(calm, "diff")["added"]] == ["dddddd"]
        for _ in range(100):  # past flood_limit (60 rejected): the server closes with 1008
            noisy.send_json({"type": "ping"})
        with pytest.raises(WebSocketDisconnect) as closed:
            for _ in range(1000):
                noisy.receive_json()
        assert closed.value.code == 1008
        calm.send_json({"type": "ping"})
        assert receive_until(calm, "pong")["type"] == "pong"


def test_heartbeat_when_idle(client: TestClient) -> None:
    with client.websocket_connect("/ws/live") as ws:
        ws.receive_json()
        assert receive_until(ws, "heartbeat")["time"] > 0


def test_alerts_are_pushed(client: TestClient, hub: LiveHub) -> None:
    with client.websocket_connect("/ws/live") as ws:
        ws.receive_json()
        hub.alert(
            {
                "icao24": "aaaaaa",
                "callsign": "IGO1",
                "squawk": "7700",
                "kind": "raised",
                "time": 5,
                "lat": 20.0,
                "lon": 77.0,
            }
        )
        alert = receive_until(ws, "alert")["alert"]
        assert alert["squawk"] == "7700" and alert["kind"] == "raised"


def test_callsigns_with_markup_are_plain_json_strings(client: TestClient, hub: LiveHub) -> None:
    evil = "<img src=x onerror=alert(1)>"
    hub.update([row("eeeeee", 15.0, callsign=evil)])
    with client.websocket_connect("/ws/live") as ws:
        found: list[dict[str, Any]] = []
        while not found:  # in the snapshot, or the next diff if no tick published it yet
            message = orjson.loads(ws.receive_text())
            found = [
                a
                for a in message.get("aircraft", message.get("added", []))
                if a["icao24"] == "eeeeee"
            ]
        assert found[0]["callsign"] == evil


def test_a_slow_client_gets_a_snapshot_instead_of_a_backlog() -> None:
    hub = LiveHub()
    broadcaster = Broadcaster(hub, Cadence(queue_size=3), WebMetrics())
    slow = Client(websocket=None, cadence=broadcaster.cadence, now=time.time())  # type: ignore[arg-type]
    broadcaster.clients.add(slow)
    for i in range(10):  # nobody drains the queue
        hub.update([row(f"{i:06x}", 20.0)])
        broadcaster.step()
    pending = [orjson.loads(slow.queue.get_nowait()) for _ in range(slow.queue.qsize())]
    assert len(pending) <= 3
    snapshots = [m for m in pending if m["type"] == "snapshot"]
    assert snapshots, "the overflow must be replaced by a snapshot"
    last = pending.index(snapshots[-1])
    seen = {a["icao24"] for a in snapshots[-1]["aircraft"]}
    seen |= {a["icao24"] for m in pending[last + 1 :] for a in m["added"]}
    assert seen == {f"{i:06x}" for i in range(10)}  # the client still ends with the full picture


def test_bbox_in_the_url_filters_the_first_snapshot(client: TestClient) -> None:
    with client.websocket_connect("/ws/live?bbox=10,70,30,80") as ws:
        assert [a["icao24"] for a in ws.receive_json()["aircraft"]] == ["aaaaaa"]
    with client.websocket_connect("/ws/live?bbox=10,70") as ws:
        assert len(ws.receive_json()["aircraft"]) == 2
        assert "showing everything" in receive_until(ws, "error")["message"]
