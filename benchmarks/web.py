"""WebSocket fan-out: update lag of /ws/live with many clients and a busy sky.

A real uvicorn server (its own process, 127.0.0.1) runs the web app; a feeder thread in it
keeps ``--aircraft`` aircraft on the live hub and moves a fifth of them every second (each
aircraft updated every 5 s, like the simulator). This process opens ``--clients`` WebSocket
clients (asyncio) twice: each with a 5 x 5 degree viewport (``/ws/live?bbox=...``, the usual
map), then without a bounding box (the heaviest case: every diff carries every change, about
0.2 MB/s per client at 15,000 aircraft; the feed moves positions only, so the short updates
are at their smallest). A raw client counts as connected once its snapshot arrived. Update lag =
the time the client has received a whole diff - the diff's ``time`` (when the server's tick
published it; same host, same clock). Baseline: the same server with one client.

Clients and server share the machine's cores, so the clients must be cheap or the figure
measures them: the default ``--client raw`` is a minimal WebSocket reader (asyncio protocol)
that parses only each frame's header and the message's first bytes (``type`` and ``time``)
and skips the rest; ``--client websockets`` uses the ``websockets`` library (a full parser per
frame, as before). The report gives the CPU the server process and the client process used
during the measured window (100 % = one core) so the split is visible.

    .venv/bin/python benchmarks/web.py            # 500 clients, 15,000 aircraft
    .venv/bin/python benchmarks/web.py --quick    # 50 clients, 2,000 aircraft
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

TIME_KEY = b'"time":'


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- server side (child process) ----------------------------------------------------------------


def feed(hub: object, aircraft: int, stop: threading.Event) -> None:
    """Keep ``aircraft`` aircraft on the hub; move one fifth of them every second."""
    rng = np.random.default_rng(7)
    lat = rng.uniform(8.0, 34.0, aircraft)
    lon = rng.uniform(68.0, 96.0, aircraft)
    heading = rng.uniform(0.0, 360.0, aircraft)
    icao = [f"{0x800000 + i:06x}" for i in range(aircraft)]
    callsign = [f"IGO{i % 9000 + 100}" for i in range(aircraft)]

    def rows(index: np.ndarray, now: int) -> list[dict[str, object]]:
        return [
            {
                "time": now,
                "icao24": icao[i],
                "callsign": callsign[i],
                "lat": float(lat[i]),
                "lon": float(lon[i]),
                "baroaltitude": 10_000.0,
                "geoaltitude": 10_100.0,
                "velocity": 230.0,
                "heading": float(heading[i]),
                "vertrate": 0.0,
                "onground": False,
                "squawk": "2211",
                "source": "simulator",
                "phase": "cruise",
                "airline_icao": "IGO",
                "airline_name": "IndiGo",
                "registration_country": "India",
                "lastcontact": float(now),
            }
            for i in index
        ]

    update = hub.update  # type: ignore[attr-defined]
    update(rows(np.arange(aircraft), int(time.time())))
    step = 0
    while not stop.wait(1.0 - time.time() % 1.0):
        part = np.arange(step % 5, aircraft, 5)
        lat[part] += 0.01 * np.cos(np.radians(heading[part]))
        lon[part] += 0.01 * np.sin(np.radians(heading[part]))
        update(rows(part, int(time.time())))
        step += 1


def serve(port: int, aircraft: int, ws_impl: str) -> None:
    import uvicorn

    from aerolake.settings import Settings
    from aerolake.web.app import create_app
    from aerolake.web.live import LiveHub
    from aerolake.web.ws import Cadence

    hub = LiveHub()
    stop = threading.Event()
    threading.Thread(target=feed, args=(hub, aircraft, stop), daemon=True).start()
    data_dir = Path(tempfile.mkdtemp(prefix="aerolake-web-bench-"))
    app = create_app(
        Settings(data_dir=data_dir, serving_url="duckdb:///:memory:"),
        hub,
        cadence=Cadence(max_clients=10_000, queue_size=8),
    )
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=port,
        ws=ws_impl,  # type: ignore[arg-type]
        ws_per_message_deflate=False,
        ws_max_size=64 * 1024,
        log_level="warning",
    )


# --- client side -------------------------------------------------------------------------------


@dataclass
class Tally:
    lags: list[float] = field(default_factory=list)
    diffs: int = 0
    snapshots: int = 0
    bytes: int = 0
    failed: int = 0


def sent_time(frame: bytes) -> float:
    """The ``time`` of a message without parsing it all (it follows ``type``)."""
    start = frame.index(TIME_KEY) + len(TIME_KEY)
    end = (
        frame.index(b",", start) if b"," in frame[start : start + 32] else frame.index(b"}", start)
    )
    return float(frame[start:end])


async def client(url: str, tally: Tally, window: list[float], ready: asyncio.Event) -> None:
    """Receive until ``window[1]``; count what arrives from ``window[0]`` (set later)."""
    from websockets.asyncio.client import connect

    try:
        async with connect(url, max_size=None, compression=None, open_timeout=120) as ws:
            ready.set()
            while True:
                left = window[1] - time.time()
                if left <= 0:
                    return
                try:
                    frame = await asyncio.wait_for(ws.recv(decode=False), timeout=min(left, 5.0))
                except TimeoutError:
                    continue
                now = time.time()
                kind = frame[9:13]
                if now >= window[0]:
                    tally.bytes += len(frame)
                    if kind == b"diff":
                        tally.diffs += 1
                        tally.lags.append(now - sent_time(frame))
                    elif kind == b"snap":
                        tally.snapshots += 1
    except Exception:
        tally.failed += 1
        ready.set()


class RawClient(asyncio.Protocol):
    """A minimal WebSocket client: reads each frame's header and the first ``PREFIX`` payload
    bytes (enough for ``type`` and ``time``), skips the rest, answers pings. Server frames
    are unmasked and, from uvicorn, never fragmented."""

    PREFIX = 128  # also covers a whole control frame (at most 125 bytes)

    def __init__(
        self, request: bytes, tally: Tally, window: list[float], ready: asyncio.Event
    ) -> None:
        self.request, self.tally, self.window, self.ready = request, tally, window, ready
        self.transport: asyncio.Transport | None = None
        self.upgraded = False
        self.head = bytearray()  # the current frame's header and payload prefix
        self.left = 0  # payload bytes of the current frame still to skip
        self.opcode = 0
        self.size = 0
        self.prefix = b""
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.transport.write(self.request)  # type: ignore[union-attr]

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.ready.is_set():
            self.tally.failed += 1
            self.ready.set()
        if not self.closed.done():
            self.closed.set_result(None)

    def data_received(self, data: bytes) -> None:
        now = time.time()
        if not self.upgraded:
            self.head += data
            end = self.head.find(b"\r\n\r\n")
            if end < 0:
                return
            if not self.head.startswith(b"HTTP/1.1 101"):
                self.transport.close()  # type: ignore[union-attr]
                return
            data = bytes(self.head[end + 4 :])
            self.head.clear()
            self.upgraded = True
        view = memoryview(data)
        pos, n = 0, len(view)
        while pos < n:
            if self.left:
                take = min(self.left, n - pos)
                pos += take
                self.left -= take
                if not self.left:
                    self.finish(now)
                continue
            head = self.head
            need = self._need()
            take = min(need - len(head), n - pos)
            head += view[pos : pos + take]
            pos += take
            if len(head) == self._need():
                hlen = _header_length(head[1])
                size = _payload_length(head)
                if len(head) - hlen == min(size, self.PREFIX):
                    self.opcode, self.size = head[0] & 0x0F, size
                    self.prefix = bytes(head[hlen:])
                    self.left = size - len(self.prefix)
                    head.clear()
                    if not self.left:
                        self.finish(now)

    def _need(self) -> int:
        """Bytes of header + payload prefix wanted, as far as the bytes so far tell."""
        head = self.head
        if len(head) < 2:
            return 2
        hlen = _header_length(head[1])
        if len(head) < hlen:
            return hlen
        return hlen + min(_payload_length(head), self.PREFIX)

    def finish(self, now: float) -> None:
        if self.opcode == 0x9:  # ping -> pong (masked with a zero key, payload unchanged)
            payload = self.prefix
            self.transport.write(bytes([0x8A, 0x80 | len(payload)]) + b"\0\0\0\0" + payload)  # type: ignore[union-attr]
            return
        if self.opcode == 0x8:
            self.transport.close()  # type: ignore[union-attr]
            return
        if not self.ready.is_set():
            self.ready.set()  # the snapshot on connect arrived
        if self.window[0] <= now < self.window[1]:
            tally = self.tally
            tally.bytes += self.size
            kind = self.prefix[9:13]
            if kind == b"diff":
                tally.diffs += 1
                tally.lags.append(now - sent_time(self.prefix))
            elif kind == b"snap":
                tally.snapshots += 1


def _header_length(second: int) -> int:
    length = second & 0x7F
    return 2 + (2 if length == 126 else 8 if length == 127 else 0)


def _payload_length(head: bytearray) -> int:
    length = head[1] & 0x7F
    if length == 126:
        return int.from_bytes(head[2:4], "big")
    if length == 127:
        return int.from_bytes(head[2:10], "big")
    return length


async def raw_client(
    port: int, path: str, tally: Tally, window: list[float], ready: asyncio.Event
) -> None:
    """One :class:`RawClient` until ``window[1]``."""
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    ).encode()
    loop = asyncio.get_running_loop()
    try:
        transport, protocol = await loop.create_connection(
            lambda: RawClient(request, tally, window, ready), "127.0.0.1", port
        )
    except OSError:
        tally.failed += 1
        ready.set()
        return
    while time.time() < window[1] and not protocol.closed.done():
        await asyncio.wait([protocol.closed], timeout=min(1.0, max(0.01, window[1] - time.time())))
    transport.close()


def viewport(rng: random.Random) -> str:
    """A city-to-state sized view (5 x 5 degrees) somewhere over the fed area."""
    lat, lon = rng.uniform(8.0, 29.0), rng.uniform(68.0, 91.0)
    return f"?bbox={lat:.2f},{lon:.2f},{lat + 5:.2f},{lon + 5:.2f}"


async def run_clients(
    port: int, clients: int, args: argparse.Namespace, viewports: bool, server_pid: int
) -> tuple[Tally, float, float, float]:
    """(tally, connect seconds, server CPU share, client CPU share) of one run."""
    rng = random.Random(1)
    tally = Tally()
    window = [float("inf"), float("inf")]
    started = time.time()
    tasks: list[asyncio.Task[None]] = []
    for i in range(0, clients, 25):  # in waves: each new client first receives a full snapshot
        events = [asyncio.Event() for _ in range(min(25, clients - i))]
        paths = ["/ws/live" + (viewport(rng) if viewports else "") for _ in events]
        if args.client == "raw":
            tasks += [
                asyncio.create_task(raw_client(port, p, tally, window, e))
                for p, e in zip(paths, events, strict=True)
            ]
        else:
            tasks += [
                asyncio.create_task(client(f"ws://127.0.0.1:{port}{p}", tally, window, e))
                for p, e in zip(paths, events, strict=True)
            ]
        await asyncio.gather(*(e.wait() for e in events))
    connect_s = time.time() - started
    window[0] = time.time() + args.warmup
    window[1] = window[0] + args.seconds
    await asyncio.sleep(args.warmup)
    server_cpu, client_cpu = cpu_seconds(server_pid), time.process_time()
    await asyncio.gather(*tasks)
    server_share = (cpu_seconds(server_pid) - server_cpu) / args.seconds
    client_share = (time.process_time() - client_cpu) / args.seconds
    return tally, connect_s, server_share, client_share


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_ready(port: int, timeout_s: float = 120.0) -> None:
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(
                f"http://127.0.0.1:{port}/api/live?bbox=0,0,0.001,0.001", timeout=2
            ):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the benchmark server did not start")


def tick_stats(port: int) -> tuple[float, float]:
    """(tick count, mean tick seconds) from the server's /metrics."""
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
    values = {}
    for line in text.splitlines():
        if line.startswith("aerolake_live_tick_seconds_"):
            name, value = line.split(" ")
            values[name] = float(value)
    count = values.get("aerolake_live_tick_seconds_count", 0.0)
    return count, values.get("aerolake_live_tick_seconds_sum", 0.0) / count if count else 0.0


def measure(
    clients: int, aircraft: int, args: argparse.Namespace, viewports: bool = False
) -> dict[str, float]:
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--serve",
            "--port",
            str(port),
            "--aircraft",
            str(aircraft),
            "--ws-impl",
            args.ws_impl,
        ],
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        wait_ready(port)
        time.sleep(2.0)  # the feeder's first full load and a few ticks
        tally, connect_s, server_cpu, client_cpu = asyncio.run(
            run_clients(port, clients, args, viewports, server.pid)
        )
        _, tick_s = tick_stats(port)
    finally:
        server.terminate()
        server.wait(timeout=30)
    lags = np.array(tally.lags) if tally.lags else np.array([np.nan])
    return {
        "clients": clients,
        "aircraft": aircraft,
        "connect_s": connect_s,
        "diffs": tally.diffs,
        "diffs_per_client_s": tally.diffs / clients / args.seconds,
        "resnapshots": tally.snapshots,
        "failed": tally.failed,
        "mb_per_s": tally.bytes / args.seconds / 1e6,
        "p50": float(np.percentile(lags, 50)),
        "p99": float(np.percentile(lags, 99)),
        "max": float(np.max(lags)),
        "tick_ms": tick_s * 1000,
        "server_cpu": server_cpu,
        "client_cpu": client_cpu,
    }


def report(label: str, r: dict[str, float]) -> None:
    print(
        f"{label:<10} clients {r['clients']:>4.0f}  aircraft {r['aircraft']:>6,.0f}  "
        f"lag p50 {r['p50'] * 1000:7.1f} ms  p99 {r['p99'] * 1000:7.1f} ms  "
        f"max {r['max'] * 1000:7.1f} ms  diffs/client/s {r['diffs_per_client_s']:.2f}  "
        f"received {r['mb_per_s']:.1f} MB/s  resnapshots {r['resnapshots']:.0f}  "
        f"failed {r['failed']:.0f}  connect {r['connect_s']:.1f} s  "
        f"server tick {r['tick_ms']:.1f} ms  cpu server {r['server_cpu']:.0%} "
        f"clients {r['client_cpu']:.0%}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--aircraft", type=int, default=15_000)
    parser.add_argument("--seconds", type=float, default=20.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--quick", action="store_true", help="50 clients, 2,000 aircraft, 10 s")
    parser.add_argument(
        "--ws-impl",
        default="websockets-sansio",
        choices=["websockets", "websockets-sansio", "wsproto"],
    )
    parser.add_argument(
        "--client",
        default="raw",
        choices=["raw", "websockets"],
        help="raw: a minimal reader of frame heads (default); websockets: the full library",
    )
    parser.add_argument("--skip-full", action="store_true", help="skip the no-bbox fan-out run")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.port, args.aircraft, args.ws_impl)
        return
    if args.quick:
        args.clients, args.aircraft, args.seconds = 50, 2_000, 10.0
    print(
        f"web fan-out: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start, "
        f"uvicorn ws={args.ws_impl}, client {args.client}, {args.seconds:g} s measured after "
        f"{args.warmup:g} s warm-up; clients and server share this machine"
    )
    base = measure(1, args.aircraft, args)
    report("baseline", base)
    runs = {"viewport": measure(args.clients, args.aircraft, args, viewports=True)}
    report("viewport", runs["viewport"])
    if not args.skip_full:
        runs["full-view"] = measure(args.clients, args.aircraft, args)
        report("full-view", runs["full-view"])
    for name, r in runs.items():
        ratio = r["p99"] / base["p99"] if base["p99"] > 0 else float("nan")
        verdict = "meets" if r["p99"] <= 1.0 else "misses"
        print(
            f"{name}: p99 lag {r['p99']:.2f} s ({ratio:.1f}x the 1-client baseline), {verdict} the 1 s target"
        )
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
