"""WebSocket fan-out: update lag of /ws/live with many clients and a busy sky.

A real uvicorn server (its own process, 127.0.0.1) runs the web app; a feeder thread in it
keeps ``--aircraft`` aircraft on the live hub and moves a fifth of them every second (each
aircraft updated every 5 s, like the simulator). This process opens ``--clients`` WebSocket
clients (the ``websockets`` library, asyncio) twice: each with a 5 x 5 degree viewport
(``/ws/live?bbox=...``, the usual map), then without a bounding box (the heaviest case: every
diff carries every change, ~1.3 MB/s per client at 15,000 aircraft). Update lag = client receive time - the diff's ``time`` (when the
server's tick published it; same host, same clock). Baseline: the same server with one client.

    .venv/bin/python benchmarks/web.py            # 500 clients, 15,000 aircraft
    .venv/bin/python benchmarks/web.py --quick    # 50 clients, 2,000 aircraft
"""

from __future__ import annotations

import argparse
import asyncio
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


def viewport(rng: random.Random) -> str:
    """A city-to-state sized view (5 x 5 degrees) somewhere over the fed area."""
    lat, lon = rng.uniform(8.0, 29.0), rng.uniform(68.0, 91.0)
    return f"?bbox={lat:.2f},{lon:.2f},{lat + 5:.2f},{lon + 5:.2f}"


async def run_clients(
    port: int, clients: int, warmup_s: float, measure_s: float, viewports: bool
) -> tuple[Tally, float]:
    rng = random.Random(1)
    base = f"ws://127.0.0.1:{port}/ws/live"
    tally = Tally()
    window = [float("inf"), float("inf")]
    started = time.time()
    tasks: list[asyncio.Task[None]] = []
    for i in range(0, clients, 25):  # in waves: each new client first receives a full snapshot
        events = [asyncio.Event() for _ in range(min(25, clients - i))]
        urls = [base + (viewport(rng) if viewports else "") for _ in events]
        tasks += [
            asyncio.create_task(client(u, tally, window, e))
            for u, e in zip(urls, events, strict=True)
        ]
        await asyncio.gather(*(e.wait() for e in events))
    connect_s = time.time() - started
    window[0] = time.time() + warmup_s
    window[1] = window[0] + measure_s
    await asyncio.gather(*tasks)
    return tally, connect_s


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
        tally, connect_s = asyncio.run(
            run_clients(port, clients, args.warmup, args.seconds, viewports)
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
    }


def report(label: str, r: dict[str, float]) -> None:
    print(
        f"{label:<10} clients {r['clients']:>4.0f}  aircraft {r['aircraft']:>6,.0f}  "
        f"lag p50 {r['p50'] * 1000:7.1f} ms  p99 {r['p99'] * 1000:7.1f} ms  "
        f"max {r['max'] * 1000:7.1f} ms  diffs/client/s {r['diffs_per_client_s']:.2f}  "
        f"received {r['mb_per_s']:.1f} MB/s  resnapshots {r['resnapshots']:.0f}  "
        f"failed {r['failed']:.0f}  connect {r['connect_s']:.1f} s  "
        f"server tick {r['tick_ms']:.1f} ms"
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
        f"web fan-out: {os.cpu_count()} cores, uvicorn ws={args.ws_impl}, {args.seconds:g} s "
        f"measured after {args.warmup:g} s warm-up; clients and server share this machine"
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


if __name__ == "__main__":
    main()
