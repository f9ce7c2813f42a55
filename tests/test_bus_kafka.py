"""The Kafka bus against a real Kafka-protocol broker (Tansu, started by the kafka_url fixture).

Tansu completes a group join only after the rebalance timeout (``max.poll.interval.ms``), so
these tests lower it; everything else runs with the bus's production settings.
"""

from __future__ import annotations

import time

import pytest

from aerolake.stream.bus import ENRICHED, Message, next_offsets, open_bus
from aerolake.stream.kafka_bus import KafkaBus

pytestmark = pytest.mark.kafka

FAST_JOIN = "consumer.session.timeout.ms=3000&consumer.max.poll.interval.ms=3000&consumer.heartbeat.interval.ms=500"


def bus_for(url: str) -> KafkaBus:
    bus = open_bus(f"{url}?{FAST_JOIN}&partitions=3&retention_ms=3600000")
    assert isinstance(bus, KafkaBus)
    return bus


def poll_until(consumer: object, n: int, within_s: float = 30.0) -> list[Message]:
    got: list[Message] = []
    deadline = time.monotonic() + within_s
    while len(got) < n and time.monotonic() < deadline:
        got += consumer.poll_batch(500, 0.5)  # type: ignore[attr-defined]
    return got


def topic_names(bus: KafkaBus) -> dict[str, int]:
    from confluent_kafka.admin import AdminClient

    meta = AdminClient({"bootstrap.servers": bus.bootstrap}).list_topics(timeout=10)
    return {name: len(t.partitions) for name, t in meta.topics.items()}


def test_topics_created_if_missing_and_never_deleted(kafka_url: str) -> None:
    bus = bus_for(kafka_url)
    bus.ensure_topics(["t-create-a", "t-create-b"], partitions=2)
    bus.ensure_topics(["t-create-a", "t-create-b", "t-create-c"])  # existing ones untouched
    topics = topic_names(bus)
    assert topics["t-create-a"] == 2 and topics["t-create-b"] == 2
    assert topics["t-create-c"] == 3
    bus.close()
    assert "t-create-a" in topic_names(bus)


def test_produce_consume_commit_and_resume(kafka_url: str) -> None:
    bus = bus_for(kafka_url)
    topic = "t-resume"
    bus.ensure_topics([topic])
    producer = bus.producer()
    for i in range(30):
        producer.send(topic, f"k{i % 7}".encode(), str(i).encode())
    assert producer.flush(10) == 0

    first = bus.consumer([topic], group="g-resume")
    got = poll_until(first, 30)
    assert sorted(int(m.value) for m in got) == list(range(30))
    by_key: dict[bytes | None, set[int]] = {}
    for m in got:
        by_key.setdefault(m.key, set()).add(m.partition)
    assert all(len(parts) == 1 for parts in by_key.values())  # one key, one partition
    committed = [m for m in got if int(m.value) < 10]
    first.commit(next_offsets(committed))
    first.close()

    second = bus.consumer([topic], group="g-resume")
    replay = poll_until(second, 30 - len(committed), within_s=20)
    second.close()
    expected = {
        int(m.value)
        for m in got
        if m.offset >= next_offsets(committed).get((m.topic, m.partition), 0)
    }
    assert {int(m.value) for m in replay} == expected
    assert expected  # something was left uncommitted


def test_an_unreachable_broker_is_a_bus_error() -> None:
    from aerolake.errors import BusError

    bus = open_bus("kafka://127.0.0.1:1?admin_timeout_s=0.5")
    with pytest.raises(BusError):
        bus.ensure_topics([ENRICHED])
