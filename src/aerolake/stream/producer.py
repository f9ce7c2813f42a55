"""The speed layer's producer: poll a live source on an interval, publish each state vector.

Every ``interval_s`` seconds (a poll that takes longer starts the next at once) the producer
polls its :class:`~aerolake.sources.base.LiveSource` and sends each row as one JSON message of
the raw contract (:func:`aerolake.stream.messages.encode_batch`) to ``aerolake.states.raw``,
keyed by icao24. Each message carries ``source``, so every consumer knows where it came from.

- OpenSky answers 429 (:class:`~aerolake.errors.RateLimited`): until the retry time the
  producer polls the ``fallback`` source instead (the simulator, tagged
  ``simulator-fallback``), says so in the log once when it switches and once when it switches
  back, and shows it in its status. Fallback states reach the live map only (the processor
  marks them ``persist`` false and the lake sink skips them).
- A transient source failure skips that poll (logged, counted); an auth failure raises.
- The bus refuses a send (broker outage, full queue): unsent messages wait in a buffer of at
  most ``max_buffer`` messages and are retried first at the next poll, oldest first. A buffer
  that would grow past the bound raises :class:`~aerolake.errors.BusError` naming the counts:
  nothing the bus accepted is lost, and nothing is dropped silently.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from aerolake.errors import AuthError, BusError, RateLimited, SourceError
from aerolake.sources.base import LiveSource
from aerolake.stream.bus import RAW
from aerolake.stream.bus import Producer as BusProducer
from aerolake.stream.messages import encode_batch
from aerolake.stream.status import write_status

log = logging.getLogger(__name__)


@dataclass
class ProducerStats:
    polls: int = 0
    states: int = 0  # rows polled
    sent: int = 0  # messages the bus accepted
    source_errors: int = 0
    bus_errors: int = 0
    fallback_polls: int = 0
    buffered: int = 0
    last_source: str | None = None
    last_poll: float | None = None  # unix s
    last_error: str | None = None
    fallback_until: float | None = None  # unix s


class StateProducer:
    """See the module docstring. ``clock`` returns unix seconds (inject one in tests)."""

    def __init__(
        self,
        source: LiveSource,
        producer: BusProducer,
        *,
        interval_s: float,
        fallback: Callable[[], LiveSource] | None = None,
        max_buffer: int = 200_000,
        flush_timeout_s: float = 5.0,
        clock: Callable[[], float] = time.time,
        data_dir: Path | None = None,
    ) -> None:
        if interval_s <= 0:
            raise ValueError("interval_s must be positive")
        self.source = source
        self.producer = producer
        self.interval_s = interval_s
        self.max_buffer = max_buffer
        self.flush_timeout_s = flush_timeout_s
        self.clock = clock
        self.data_dir = data_dir
        self.stats = ProducerStats()
        self._make_fallback = fallback
        self._fallback: LiveSource | None = None
        self._buffer: deque[tuple[bytes, bytes]] = deque()

    @property
    def in_fallback(self) -> bool:
        until = self.stats.fallback_until
        return until is not None and self.clock() < until

    def run(self, stop: threading.Event) -> None:
        """Poll every ``interval_s`` until ``stop`` is set; then flush what is queued."""
        try:
            while not stop.is_set():
                started = time.monotonic()
                self.poll_once()
                stop.wait(max(0.0, self.interval_s - (time.monotonic() - started)))
        finally:
            self._deliver()
            self._write_status()

    def poll_once(self) -> int:
        """One poll -> publish cycle. Returns the messages the bus accepted."""
        source = self._current_source()
        try:
            batch = source.poll() if source is not None else None
        except RateLimited as exc:
            self._enter_fallback(exc)
            batch = None
            source = self._current_source()
            if source is not None and source is self._fallback:
                batch = source.poll()
        except AuthError:
            raise
        except SourceError as exc:
            self.stats.source_errors += 1
            self.stats.last_error = f"{type(exc).__name__}: {exc}"
            log.warning("producer: %s did not deliver (%s); skipping this poll", source, exc)
            batch = None
        if batch is not None and source is not None:
            self.stats.polls += 1
            self.stats.states += batch.num_rows
            self.stats.last_poll = self.clock()
            self.stats.last_source = source.name if source is not self._fallback else "fallback"
            if source is self._fallback:
                self.stats.fallback_polls += 1
            self._buffer.extend(encode_batch(batch))
        if len(self._buffer) > self.max_buffer:
            self._write_status()
            raise BusError(
                f"producer: {len(self._buffer):,} messages wait for the bus, more than the "
                f"bound of {self.max_buffer:,}; the broker has been unreachable too long "
                f"(last error: {self.stats.last_error}). Check AEROLAKE_BUS_URL and the broker"
            )
        sent = self._deliver()
        self._write_status()
        return sent

    def _current_source(self) -> LiveSource | None:
        if self.stats.fallback_until is not None and not self.in_fallback:
            log.warning("producer: rate limit over; polling %s again", self.source.name)
            self.stats.fallback_until = None
        if not self.in_fallback:
            return self.source
        if self._fallback is None and self._make_fallback is not None:
            self._fallback = self._make_fallback()
        return self._fallback

    def _enter_fallback(self, exc: RateLimited) -> None:
        self.stats.fallback_until = self.clock() + max(exc.retry_after_s, 1.0)
        until = dt.datetime.fromtimestamp(self.stats.fallback_until, dt.UTC)
        fallback = (
            "simulated states, labelled simulator-fallback" if self._make_fallback else ("nothing")
        )
        log.warning(
            "producer: %s is rate limited until %s UTC; publishing %s until then "
            "(shown on the live map, never written to the lake)",
            self.source.name,
            f"{until:%H:%M:%S}",
            fallback,
        )

    def _deliver(self) -> int:
        """Send buffered messages oldest first; stop at the first refusal. Then flush."""
        sent = 0
        while self._buffer:
            key, value = self._buffer[0]
            try:
                self.producer.send(RAW, key, value)
            except BusError as exc:
                self.stats.bus_errors += 1
                self.stats.last_error = str(exc)
                log.warning(
                    "producer: bus refused a send (%s); %d buffered", exc, len(self._buffer)
                )
                break
            self._buffer.popleft()
            sent += 1
        try:
            self.producer.flush(self.flush_timeout_s)
        except BusError as exc:
            self.stats.bus_errors += 1
            self.stats.last_error = str(exc)
            log.warning("producer: %s", exc)
        self.stats.sent += sent
        self.stats.buffered = len(self._buffer)
        return sent

    def _write_status(self) -> None:
        if self.data_dir is None:
            return
        s = self.stats
        mode = "FALLBACK (simulated)" if self.in_fallback else (s.last_source or "starting")
        write_status(
            self.data_dir,
            "producer",
            {
                **asdict(s),
                "source": self.source.name,
                "fallback": self.in_fallback,
                "interval_s": self.interval_s,
                "summary": f"{mode}, {s.sent:,} sent, {s.buffered:,} buffered, "
                f"{s.source_errors} source errors",
            },
        )
