"""The in-process bus: partitioning by key, back-pressure, group offsets, registry."""

from __future__ import annotations

import threading
import time
import zlib

import pytest

from aerolake.errors import BusError, ConfigError
from aerolake.stream.bus import RAW, Message, next_offsets, open_bus
from aerolake.stream.memory_bus import MemoryBus


def test_messages_with_one_key_land_in_one_partition_in_order() -> None:
    bus = MemoryBus(partitions=4)
    producer = bus.producer()
    for i in range(20):
        producer.send(RAW, f"k{i % 5}".encode(), f"v{i}".encode())
    consumer = bus.consumer([RAW])
    got = consumer.poll_batch(100, 0.1)
    assert len(got) == 20
    for m in got:
        assert m.partition == zlib.crc32(m.key or b"") % 4
    by_key: dict[bytes | None, list[int]] = {}
    for m in got:
        by_key.setdefault(m.key, []).append(int(m.value[1:]))
    assert by_key[b"k0"] == [0, 5, 10, 15]
    assert len({m.partition for m in got}) > 1


def test_full_partition_blocks_then_raises_and_counts_overflow() -> None:
    bus = MemoryBus(capacity=3, partitions=1, send_timeout_s=0.05)
    consumer = bus.consumer([RAW])  # a reader makes unconsumed messages count
    producer = bus.producer()
    for i in range(3):
        producer.send(RAW, b"k", str(i).encode())
    with pytest.raises(BusError, match="unconsumed"):
        producer.send(RAW, b"k", b"3")
    assert bus.stats()[RAW].overflow == 1
    assert bus.stats()[RAW].sent == 3
    got = consumer.poll_batch(10, 0.1)
    consumer.commit(next_offsets(got))  # committing frees the space
    producer.send(RAW, b"k", b"3")
    assert bus.stats()[RAW].sent == 4


def test_blocked_send_resumes_when_a_consumer_commits() -> None:
    bus = MemoryBus(capacity=1, partitions=1, send_timeout_s=5.0)
    consumer = bus.consumer([RAW])
    producer = bus.producer()
    producer.send(RAW, b"k", b"0")

    def drain() -> None:
        time.sleep(0.05)
        consumer.commit(next_offsets(consumer.poll_batch(10, 1.0)))

    thread = threading.Thread(target=drain)
    thread.start()
    producer.send(RAW, b"k", b"1")  # waits for the commit instead of failing
    thread.join()
    assert bus.stats()[RAW].overflow == 0
    assert bus.end_offsets(RAW) == [2]


def test_restarted_consumer_replays_what_was_not_committed() -> None:
    bus = MemoryBus(partitions=2)
    producer = bus.producer()
    for i in range(10):
        producer.send(RAW, f"k{i}".encode(), str(i).encode())
    first = bus.consumer([RAW], group="g")
    got = first.poll_batch(4, 0.1)
    first.commit(next_offsets(got))
    rest = first.poll_batch(100, 0.1)  # read but never committed
    assert len(got) + len(rest) == 10
    first.close()
    second = bus.consumer([RAW], group="g")
    replay = second.poll_batch(100, 0.1)
    assert sorted(m.value for m in replay) == sorted(m.value for m in rest)
    # Retention: what every known group committed is gone; a later group starts after it.
    other_group = bus.consumer([RAW], group="other").poll_batch(100, 0.1)
    assert sorted(m.value for m in other_group) == sorted(m.value for m in rest)


def test_a_group_that_is_behind_keeps_messages_for_itself() -> None:
    bus = MemoryBus(partitions=1)
    slow = bus.consumer([RAW], group="slow")
    fast = bus.consumer([RAW], group="fast")
    producer = bus.producer()
    for i in range(5):
        producer.send(RAW, b"k", str(i).encode())
    fast.commit(next_offsets(fast.poll_batch(100, 0.1)))
    assert [m.value for m in slow.poll_batch(100, 0.1)] == [b"0", b"1", b"2", b"3", b"4"]


def test_members_of_a_group_split_the_partitions() -> None:
    bus = MemoryBus(partitions=4)
    a = bus.consumer([RAW], group="g")
    b = bus.consumer([RAW], group="g")
    assert sorted(a.assignment() + b.assignment()) == [(RAW, p) for p in range(4)]
    assert not set(a.assignment()) & set(b.assignment())
    b.close()
    assert len(a.assignment()) == 4


def test_committed_messages_are_trimmed_and_unread_topics_keep_capacity() -> None:
    bus = MemoryBus(capacity=5, partitions=1)
    producer = bus.producer()
    for i in range(12):
        producer.send("unread", None, str(i).encode())
    assert bus.stats()["unread"].trimmed == 7
    consumer = bus.consumer(["unread"])
    assert [m.value for m in consumer.poll_batch(100, 0.1)] == [b"7", b"8", b"9", b"10", b"11"]


def test_poll_waits_for_a_message_and_times_out_empty() -> None:
    bus = MemoryBus()
    consumer = bus.consumer([RAW])
    assert consumer.poll_batch(10, 0.01) == []
    consumer.close()
    with pytest.raises(BusError):
        consumer.poll_batch(10, 0.01)


def test_commit_out_of_range_is_refused() -> None:
    bus = MemoryBus(partitions=1)
    consumer = bus.consumer([RAW])
    with pytest.raises(BusError, match="cannot commit"):
        consumer.commit({(RAW, 0): 5})


def test_next_offsets_is_highest_plus_one_per_partition() -> None:
    msgs = [
        Message("t", 0, 4, None, b"", 0.0),
        Message("t", 0, 2, None, b"", 0.0),
        Message("t", 1, 0, None, b"", 0.0),
    ]
    assert next_offsets(msgs) == {("t", 0): 5, ("t", 1): 1}


def test_open_bus_by_url() -> None:
    bus = open_bus("memory://test-open-bus?capacity=7&partitions=2")
    assert isinstance(bus, MemoryBus)
    assert (bus.capacity, bus.default_partitions) == (7, 2)
    assert open_bus("memory://test-open-bus") is bus  # same name, same bus
    with pytest.raises(ConfigError, match="scheme"):
        open_bus("rabbit://localhost")
    with pytest.raises(ConfigError, match="capacity"):
        open_bus("memory://test-bad?capacity=lots")
    with pytest.raises(ConfigError, match="host:port"):
        open_bus("kafka://")


def test_a_waiting_poll_wakes_on_a_send() -> None:
    bus = MemoryBus(partitions=1)
    consumer = bus.consumer([RAW])
    got: list[list[Message]] = []
    thread = threading.Thread(target=lambda: got.append(consumer.poll_batch(10, 30.0)))
    thread.start()
    time.sleep(0.05)
    started = time.monotonic()
    bus.producer().send(RAW, b"k", b"v")
    thread.join(30.0)
    assert [m.value for m in got[0]] == [b"v"]
    assert time.monotonic() - started < 20.0  # woken by the send, not by the 30 s timeout
