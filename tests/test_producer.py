"""The producer: publishes each polled state keyed by icao24, falls back to simulated states
while OpenSky is rate limited, and buffers within a bound while the bus refuses sends."""

from __future__ import annotations

from pathlib import Path

import orjson
import pyarrow as pa
import pytest

from aerolake.errors import BusError, RateLimited, SourceUnavailable
from aerolake.sources.base import SourceCheck
from aerolake.stream.bus import RAW
from aerolake.stream.memory_bus import MemoryBus
from aerolake.stream.producer import StateProducer
from aerolake.stream.status import read_status
from test_stream_runner import states


class FakeSource:
    def __init__(self, name: str, batch: pa.RecordBatch, fail: list[Exception] | None = None):
        self.name = name
        self.batch = batch
        self.fail = list(fail or [])
        self.polls = 0

    def poll(self) -> pa.RecordBatch:
        self.polls += 1
        if self.fail:
            raise self.fail.pop(0)
        return self.batch

    def check(self) -> SourceCheck:
        return SourceCheck(self.name, True, "n/a", None, self.batch.num_rows)


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def raw_messages(bus: MemoryBus) -> list[dict[str, object]]:
    consumer = bus.consumer([RAW], group="check")
    return [orjson.loads(m.value) | {"_key": m.key} for m in consumer.poll_batch(10_000, 0.05)]


def test_each_state_is_one_message_keyed_by_icao24(tmp_path: Path) -> None:
    bus = MemoryBus()
    batch = states(3, 2)
    producer = StateProducer(
        FakeSource("simulator", batch), bus.producer(), interval_s=5, data_dir=tmp_path
    )
    assert producer.poll_once() == 6
    got = raw_messages(bus)
    assert len(got) == 6
    assert all(m["_key"] == str(m["icao24"]).encode() for m in got)
    assert {m["source"] for m in got} == {"opensky"}
    assert read_status(tmp_path)["parts"]["producer"]["sent"] == 6


def test_rate_limit_switches_to_the_labelled_fallback_until_the_retry_time() -> None:
    bus = MemoryBus()
    clock = Clock()
    opensky = FakeSource("opensky", states(2, 1), fail=[RateLimited("429", retry_after_s=60)])
    fallback = FakeSource("simulator", states(4, 1, prefix="f", source="simulator-fallback"))
    producer = StateProducer(
        opensky, bus.producer(), interval_s=5, fallback=lambda: fallback, clock=clock
    )
    assert producer.poll_once() == 4  # the 429 poll publishes fallback states at once
    assert producer.in_fallback
    clock.now += 30
    producer.poll_once()
    assert opensky.polls == 1  # no request while the window lasts
    clock.now += 31
    assert producer.poll_once() == 2
    assert not producer.in_fallback and opensky.polls == 2
    sources = sorted(str(m["source"]) for m in raw_messages(bus))
    assert sources == ["opensky"] * 2 + ["simulator-fallback"] * 8
    assert producer.stats.fallback_polls == 2


def test_a_transient_source_failure_skips_one_poll() -> None:
    bus = MemoryBus()
    source = FakeSource("opensky", states(1, 1), fail=[SourceUnavailable("503")])
    producer = StateProducer(source, bus.producer(), interval_s=5)
    assert producer.poll_once() == 0
    assert producer.poll_once() == 1
    assert producer.stats.source_errors == 1


def test_a_refusing_bus_buffers_within_the_bound_then_reports() -> None:
    bus = MemoryBus(capacity=5, partitions=1, send_timeout_s=0.01)
    consumer = bus.consumer([RAW])  # a reader that does not commit: the partition fills up
    producer = StateProducer(
        FakeSource("simulator", states(4, 1)), bus.producer(), interval_s=5, max_buffer=10
    )
    assert producer.poll_once() == 4
    assert producer.poll_once() == 1  # one slot left; three wait in the buffer
    assert producer.stats.buffered == 3 and producer.stats.bus_errors == 1
    got = consumer.poll_batch(100, 0.01)
    consumer.commit({(RAW, 0): got[-1].offset + 1})  # the reader catches up
    assert producer.poll_once() == 5  # buffered ones first, then the new poll
    consumer.poll_batch(100, 0.01)
    producer.poll_once()
    producer.poll_once()  # nothing commits any more: 4 + 4 + 4 buffered > 10
    with pytest.raises(BusError, match="more than the bound of 10"):
        producer.poll_once()
    assert bus.stats()[RAW].sent == 10  # everything accepted is on the bus
