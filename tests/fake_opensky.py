"""A local fake of the OpenSky REST API and its token endpoint, for tests.

A real HTTP server on 127.0.0.1 (a free port) in a background thread. By default it behaves
like OpenSky: the token endpoint issues a fresh token for the right client id/secret, and
``/api/states/all`` answers :attr:`FakeOpenSky.payload` to anonymous callers and to callers
with a token it issued (401 otherwise), with ``X-Rate-Limit-Remaining``. A test scripts
deviations by queueing :class:`Reply` objects (first in, first out) before the defaults apply,
and inspects every request in :attr:`FakeOpenSky.requests`.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

CLIENT_ID = "aerolake-test-client"
CLIENT_SECRET = "fake-Secret-9f3a1c77e2"  # distinctive so tests can grep for leaks
SNAPSHOT_TIME = 1_717_243_200  # 2024-06-01 12:00:00 UTC


def state(
    icao24: str | None = "800abc", *, age_s: float = 2.0, extended: bool = True, **over: Any
) -> list[Any]:
    """One API state array (18 elements, or 17 without ``extended``) near Delhi."""
    row: list[Any] = [
        icao24,
        "IGO6054 ",
        "India",
        SNAPSHOT_TIME - age_s,  # time_position
        SNAPSHOT_TIME - 1,  # last_contact
        77.1,  # lon
        28.5,  # lat
        11000.0,  # baro_altitude
        False,  # on_ground
        230.5,  # velocity
        90.0,  # true_track
        -1.5,  # vertical_rate
        None,  # sensors
        11100.0,  # geo_altitude
        "2341",  # squawk
        False,  # spi
        0,  # position_source
    ]
    names = ["icao24", "callsign", "origin_country", "time_position", "last_contact"]
    names += ["longitude", "latitude", "baro_altitude", "on_ground", "velocity", "true_track"]
    names += ["vertical_rate", "sensors", "geo_altitude", "squawk", "spi", "position_source"]
    for key, value in over.items():
        row[names.index(key)] = value
    return [*row, 4] if extended else row


def payload(states: list[list[Any]] | None, time_s: int = SNAPSHOT_TIME) -> dict[str, Any]:
    return {"time": time_s, "states": states}


@dataclass
class Reply:
    """A scripted answer. A dict/list body is sent as JSON; ``delay_s`` stalls before answering."""

    status: int = 200
    body: bytes | dict[str, Any] | list[Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    form: dict[str, list[str]]


class FakeOpenSky:
    def __init__(self, token_lifetime_s: int = 1800) -> None:
        self.token_lifetime_s = token_lifetime_s
        self.payload: dict[str, Any] = payload([state("800abc"), state("800def", age_s=40.0)])
        self.remaining = 4000
        self.requests: list[Seen] = []
        self.issued: list[str] = []
        self.token_replies: deque[Reply] = deque()
        self.states_replies: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        host, port = self._server.server_address[:2]
        self.base_url = f"http://{host!s}:{port}"
        self.api_url = f"{self.base_url}/api"
        self.token_url = f"{self.base_url}/auth/token"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def credentials(self) -> tuple[str, str]:
        return CLIENT_ID, CLIENT_SECRET

    def start(self) -> FakeOpenSky:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def states_requests(self) -> list[Seen]:
        with self._lock:
            return [r for r in self.requests if r.path == "/api/states/all"]

    def token_requests(self) -> list[Seen]:
        with self._lock:
            return [r for r in self.requests if r.path == "/auth/token"]

    # request handling (called from server threads) ----------------------------------------

    def answer(self, seen: Seen) -> Reply:
        with self._lock:
            self.requests.append(seen)
            if seen.path == "/auth/token" and seen.method == "POST":
                return self.token_replies.popleft() if self.token_replies else self._token(seen)
            if seen.path == "/api/states/all" and seen.method == "GET":
                return self.states_replies.popleft() if self.states_replies else self._states(seen)
            return Reply(404, b"")

    def _token(self, seen: Seen) -> Reply:
        form = {k: v[0] for k, v in seen.form.items()}
        expected = {
            "grant_type": "client_credentials",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        }
        if form != expected:
            return Reply(401, {"error": "invalid_client", "error_description": "bad client"})
        token = f"tok{len(self.issued) + 1}-{secrets.token_hex(12)}"
        self.issued.append(token)
        body = {"access_token": token, "expires_in": self.token_lifetime_s, "token_type": "Bearer"}
        return Reply(200, body)

    def _states(self, seen: Seen) -> Reply:
        auth = seen.headers.get("authorization")
        if auth is not None and auth.removeprefix("Bearer ") not in self.issued:
            return Reply(401, b"")
        self.remaining -= 4
        return Reply(200, self.payload, {"X-Rate-Limit-Remaining": str(self.remaining)})


def _handler_for(fake: FakeOpenSky) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def _serve(self, method: str) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode() if length else ""
            seen = Seen(
                method=method,
                path=parts.path,
                query=parse_qs(parts.query),
                headers={k.lower(): v for k, v in self.headers.items()},
                form=parse_qs(raw),
            )
            reply = fake.answer(seen)
            if reply.delay_s:
                time.sleep(reply.delay_s)
            body = reply.body
            if isinstance(body, dict | list):
                body = json.dumps(body).encode()
            body = body or b""
            try:
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):  # the client timed out and left
                pass

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output quiet

    return Handler


class ManualClock:
    """A clock for injection: unix seconds that move only when a test says so."""

    def __init__(self, now: float = SNAPSHOT_TIME + 5.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
