"""``/ws/live``: a snapshot on connect, then batched diffs per bounding box, alerts, heartbeats.

One :class:`Broadcaster` per app ticks the hub once a second (``Cadence.tick_s``): the tick's
diff is encoded once per distinct bounding box and queued to each client; a sender task per
client writes its queue to the socket. A client that falls behind (its queue of
``queue_size`` messages is full) loses its pending diffs and gets a fresh snapshot instead, so
a slow reader never holds up the others or grows memory without bound.

Cadence: a diff when something in the client's view changed (at most one per tick), an empty
diff carrying fresh stats when the hub changed but the view did not for ``diff_every_s``
(5 s), a heartbeat when nothing was sent for ``heartbeat_s`` (10 s).

Client messages: ``subscribe`` (bbox or null) and ``ping``; anything malformed, too long (over
4 KiB), unknown or too frequent (token bucket, ``rate_per_s``/``burst``) is answered with an
``error`` message or ignored; it never closes other clients. A client that keeps flooding
after ``flood_limit`` rejected messages is closed with code 1008.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.websockets import WebSocket, WebSocketDisconnect

from aerolake.web.fanout import (
    MAX_CLIENT_MESSAGE,
    BBox,
    alert_message,
    diff_messages,
    error_message,
    heartbeat_message,
    keepalive_message,
    parse_bbox,
    pong_message,
    snapshot_message,
)
from aerolake.web.live import LiveHub
from aerolake.web.metrics import WebMetrics

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Cadence:
    """Timing and limits of the live feed (tests shrink the intervals)."""

    tick_s: float = 1.0
    diff_every_s: float = 5.0
    heartbeat_s: float = 10.0
    queue_size: int = 8
    max_clients: int = 2000
    rate_per_s: float = 10.0
    burst: float = 20.0
    flood_limit: int = 1000


class Client:
    """One connected socket: its view, its outgoing queue and its rate limiter."""

    def __init__(self, websocket: WebSocket, cadence: Cadence, now: float) -> None:
        self.websocket = websocket
        self.bbox: BBox | None = None
        self.queue: asyncio.Queue[str] = asyncio.Queue(maxsize=cadence.queue_size)
        self.last_sent = now
        self.last_diff = now
        self.tokens = cadence.burst
        self.refilled = now
        self.rejected = 0
        self.last_error = 0.0


class Broadcaster:
    """Ticks the hub and fans the result out to every client. All methods run on one loop."""

    def __init__(self, hub: LiveHub, cadence: Cadence, metrics: WebMetrics) -> None:
        self.hub = hub
        self.cadence = cadence
        self.metrics = metrics
        self.clients: set[Client] = set()
        self._counters: dict[str, Any] = {}

    async def run(self) -> None:
        """Tick forever (cancel to stop); a failing tick is logged, never fatal."""
        while True:
            started = time.perf_counter()
            try:
                self.step()
            except Exception:
                log.exception("live tick failed; continuing")
            elapsed = time.perf_counter() - started
            self.metrics.tick_seconds.observe(elapsed)
            await asyncio.sleep(max(0.0, self.cadence.tick_s - elapsed))

    def step(self) -> None:
        """One tick: publish the hub's changes and queue each client's message."""
        tick = self.hub.tick()
        now = tick.time
        self.metrics.observe_tick(tick, self.hub.rows_received)
        alerts = [alert_message(a) for a in tick.alerts]
        groups: dict[BBox | None, list[Client]] = defaultdict(list)
        for client in self.clients:
            groups[client.bbox].append(client)
        boxes = list(groups)
        diffs = diff_messages(tick, boxes) if tick.changed else [None] * len(boxes)
        keepalive: str | None = None
        for box, diff in zip(boxes, diffs, strict=True):
            for client in groups[box]:
                for alert in alerts:
                    self._put(client, alert, "alert", now)
                message = diff
                if (
                    message is None
                    and tick.changed
                    and now - client.last_diff >= self.cadence.diff_every_s
                ):
                    keepalive = keepalive or keepalive_message(tick)
                    message = keepalive
                if message is not None:
                    self._put(client, message, "diff", now)
                    client.last_diff = now
                elif now - client.last_sent >= self.cadence.heartbeat_s:
                    self._put(client, heartbeat_message(now), "heartbeat", now)

    def snapshot(self, client: Client) -> None:
        """Replace whatever the client has pending by a snapshot of its view."""
        _drain(client.queue)
        t, docs, stats = self.hub.snapshot(client.bbox)
        client.queue.put_nowait(snapshot_message(t, docs, stats))
        client.last_sent = client.last_diff = t
        self._counted("snapshot").inc()

    def _put(self, client: Client, message: str, kind: str, now: float) -> None:
        try:
            client.queue.put_nowait(message)
        except asyncio.QueueFull:
            self.metrics.ws_resnapshots.inc()
            self.snapshot(client)
            return
        client.last_sent = now
        self._counted(kind).inc()

    def _counted(self, kind: str) -> Any:
        """The message counter for ``kind`` (label lookups cached: one per message is costly)."""
        counter = self._counters.get(kind)
        if counter is None:
            counter = self._counters[kind] = self.metrics.ws_messages.labels(kind)
        return counter

    def reply(self, client: Client, message: str, kind: str) -> None:
        """Queue an answer to the client's own message; dropped when its queue is full."""
        with contextlib.suppress(asyncio.QueueFull):
            client.queue.put_nowait(message)
            self._counted(kind).inc()

    async def serve(self, websocket: WebSocket) -> None:
        """Run one connection until it closes."""
        await websocket.accept()
        if len(self.clients) >= self.cadence.max_clients:
            await websocket.send_text(error_message("server full: too many live clients"))
            await websocket.close(code=1013)
            return
        client = Client(websocket, self.cadence, self.hub.clock())
        problem = None
        try:  # an optional first view: /ws/live?bbox=lamin,lomin,lamax,lomax
            client.bbox = parse_bbox(websocket.query_params.get("bbox"))
        except ValueError as exc:
            problem = f"{exc}; showing everything"
        self.snapshot(client)
        if problem:
            self.reply(client, error_message(problem), "error")
        self.clients.add(client)
        self.metrics.ws_clients.inc()
        sender = asyncio.create_task(_send_loop(client))
        try:
            await self._receive_loop(client, sender)
        finally:
            self.clients.discard(client)
            self.metrics.ws_clients.dec()
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await sender

    async def _receive_loop(self, client: Client, sender: asyncio.Task[None]) -> None:
        websocket = client.websocket
        while not sender.done():
            try:
                message = await websocket.receive()
            except (WebSocketDisconnect, RuntimeError):
                return
            if message["type"] == "websocket.disconnect":
                return
            data = message.get("text")
            if data is None:
                data = message.get("bytes") or b""
            problem = self.handle(client, data)
            if problem == "flood":
                await websocket.close(code=1008)
                return

    def handle(self, client: Client, data: str | bytes) -> str | None:
        """React to one client message; returns ``"flood"`` when the client must be closed."""
        now = self.hub.clock()
        cadence = self.cadence
        client.tokens = min(
            cadence.burst, client.tokens + (now - client.refilled) * cadence.rate_per_s
        )
        client.refilled = now
        if client.tokens < 1.0:
            client.rejected += 1
            self.metrics.ws_client_errors.labels("rate_limited").inc()
            if client.rejected >= cadence.flood_limit:
                return "flood"
            if now - client.last_error >= 1.0:
                client.last_error = now
                limit = f"at most {cadence.rate_per_s:g} messages per second"
                self.reply(client, error_message(f"too many messages ({limit}); ignoring"), "error")
            return None
        client.tokens -= 1.0
        try:
            request = _parse(data)
            if request.get("type") == "ping":
                self.reply(client, pong_message(now), "pong")
            elif request.get("type") == "subscribe":
                if "bbox" not in request:
                    raise ValueError('subscribe needs "bbox": [lamin, lomin, lamax, lomax] or null')
                client.bbox = parse_bbox(request["bbox"])
                self.snapshot(client)
            else:
                raise ValueError(
                    f"unknown message type {str(request.get('type'))[:40]!r}: "
                    'expected "subscribe" or "ping"'
                )
        except ValueError as exc:
            self.metrics.ws_client_errors.labels("bad_message").inc()
            self.reply(client, error_message(str(exc)), "error")
        return None


def _parse(data: str | bytes) -> dict[str, Any]:
    if len(data) > MAX_CLIENT_MESSAGE:
        raise ValueError(f"message too long: at most {MAX_CLIENT_MESSAGE} bytes")
    try:
        request = orjson.loads(data)
    except orjson.JSONDecodeError:
        raise ValueError(
            'invalid JSON: expected an object like {"type": "subscribe", "bbox": [...]}'
        ) from None
    if not isinstance(request, dict):
        raise ValueError('expected a JSON object with a "type"')
    return request


async def _send_loop(client: Client) -> None:
    while True:
        message = await client.queue.get()
        await client.websocket.send_text(message)


def _drain(queue: asyncio.Queue[str]) -> None:
    while True:
        try:
            queue.get_nowait()
        except asyncio.QueueEmpty:
            return
