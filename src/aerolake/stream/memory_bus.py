"""An in-process bus with Kafka's shape: partitioned append-only logs, groups, explicit commits.

- A message goes to partition ``crc32(key) % partitions`` (stable across runs); keyless messages
  go round-robin.
- Each topic is bounded: at most ``capacity`` messages per partition may be *unconsumed*, i.e.
  at or above the lowest offset committed by the groups reading the topic. A full partition
  makes ``send`` wait up to ``send_timeout_s`` for a commit; then it counts an overflow and
  raises :class:`~aerolake.errors.BusError`. Nothing is dropped silently.
- Retention: messages below every group's committed offset are trimmed when a group commits.
  A topic no group reads keeps its newest ``capacity`` messages per partition and counts the
  rest as ``trimmed`` (as Kafka's retention would; a group that subscribes later starts at the
  oldest kept one). A send costs O(1): only a full partition looks at the groups' offsets.
- A consumer starts each assigned partition at its group's committed offset, so a restarted
  consumer replays everything it read but did not commit. Members of one group split the
  partitions round-robin; the split is recomputed when a member joins or leaves.

Thread-safe: one lock per bus. Nothing is persisted; the bus lives as long as the process.
"""

from __future__ import annotations

import itertools
import threading
import time
import zlib
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from itertools import repeat
from typing import Final

from aerolake.errors import BusError
from aerolake.stream.bus import (
    DEFAULT_PARTITIONS,
    DEFAULT_RETENTION_MS,
    GROUP,
    Message,
    TopicPartition,
    float_option,
    int_option,
)

# a Message from a tuple of its fields, without the Python-level ``__new__`` of a named tuple
_new_message: Final = partial(tuple.__new__, Message)


@dataclass
class TopicStats:
    sent: int = 0
    consumed: int = 0
    overflow: int = 0
    trimmed: int = 0


@dataclass
class _Partition:
    """One log, column-wise: keys, values and timestamps in three deques of atomic values,
    so a backlog is three objects to the cyclic garbage collector, not one per message.
    :class:`Message` objects are built when read."""

    start: int = 0  # offset of the oldest message kept
    keys: deque[bytes | None] = field(default_factory=deque)
    values: deque[bytes] = field(default_factory=deque)
    stamps: deque[float] = field(default_factory=deque)

    def __len__(self) -> int:
        return len(self.values)

    @property
    def end(self) -> int:
        return self.start + len(self.values)

    def append(self, key: bytes | None, value: bytes, stamp: float) -> None:
        self.keys.append(key)
        self.values.append(value)
        self.stamps.append(stamp)

    def drop_oldest(self, count: int = 1) -> None:
        """Drop the ``count`` oldest messages (at most all of them)."""
        count = min(count, len(self.values))
        if count == len(self.values):
            self.keys.clear()
            self.values.clear()
            self.stamps.clear()
        else:
            for log in (self.keys, self.values, self.stamps):
                pop = log.popleft
                for _ in repeat(None, count):
                    pop()
        self.start += count

    def read(self, topic: str, partition: int, offset: int, count: int) -> list[Message]:
        """``count`` messages from ``offset`` (which must be kept)."""
        first = offset - self.start
        last = first + count
        return list(
            map(
                _new_message,
                zip(
                    repeat(topic, count),
                    repeat(partition, count),
                    range(offset, offset + count),
                    itertools.islice(self.keys, first, last),
                    itertools.islice(self.values, first, last),
                    itertools.islice(self.stamps, first, last),
                    strict=True,
                ),
            )
        )


@dataclass
class _Topic:
    partitions: list[_Partition]
    stats: TopicStats = field(default_factory=TopicStats)
    round_robin: itertools.count[int] = field(default_factory=itertools.count)


class MemoryBus:
    """See the module docstring. ``capacity`` is per partition."""

    def __init__(
        self,
        capacity: int = 100_000,
        partitions: int = DEFAULT_PARTITIONS,
        send_timeout_s: float = 1.0,
    ) -> None:
        if capacity < 1 or partitions < 1:
            raise ValueError("capacity and partitions must be at least 1")
        self.capacity = capacity
        self.default_partitions = partitions
        self.send_timeout_s = send_timeout_s
        self._topics: dict[str, _Topic] = {}
        self._committed: dict[str, dict[TopicPartition, int]] = {}  # group -> offsets
        self._members: dict[str, list[MemoryConsumer]] = {}  # group -> live consumers
        self._readers_of: dict[str, list[dict[TopicPartition, int]]] = {}
        self._waiting = 0  # threads in _wait: a send notifies only when someone waits
        self._cond = threading.Condition()

    # Bus ------------------------------------------------------------------------------------

    def producer(self) -> MemoryProducer:
        return MemoryProducer(self)

    def consumer(self, topics: Sequence[str], group: str = GROUP) -> MemoryConsumer:
        with self._cond:
            for name in topics:
                self._topic(name)
            consumer = MemoryConsumer(self, tuple(topics), group)
            committed = self._committed.setdefault(group, {})
            for name in topics:
                for p, part in enumerate(self._topics[name].partitions):
                    committed.setdefault((name, p), part.start)
            self._members.setdefault(group, []).append(consumer)
            self._readers_of.clear()
            return consumer

    def ensure_topics(
        self,
        names: Iterable[str],
        partitions: int | None = None,
        retention_ms: int = DEFAULT_RETENTION_MS,
    ) -> None:
        """Create missing topics with ``partitions`` (default: the bus's own default);
        ``retention_ms`` is not used in memory."""
        with self._cond:
            for name in names:
                self._topic(name, partitions or self.default_partitions)

    def close(self) -> None:
        with self._cond:
            self._cond.notify_all()

    # Introspection ---------------------------------------------------------------------------

    def stats(self) -> dict[str, TopicStats]:
        """Counts per topic (copies): sent, consumed, overflow (refused sends), trimmed."""
        with self._cond:
            return {n: TopicStats(**vars(t.stats)) for n, t in self._topics.items()}

    def committed(self, group: str = GROUP) -> dict[TopicPartition, int]:
        with self._cond:
            return dict(self._committed.get(group, {}))

    def end_offsets(self, topic: str) -> list[int]:
        with self._cond:
            return [p.end for p in self._topic(topic).partitions]

    def partitions_of(self, topic: str) -> int:
        with self._cond:
            return len(self._topic(topic).partitions)

    # Internals (callers hold the lock) ---------------------------------------------------------

    def _topic(self, name: str, partitions: int | None = None) -> _Topic:
        topic = self._topics.get(name)
        if topic is None:
            n = partitions or self.default_partitions
            topic = _Topic([_Partition() for _ in range(n)])
            self._topics[name] = topic
        return topic

    def _readers(self, name: str) -> list[dict[TopicPartition, int]]:
        """The committed offsets of the groups reading ``name`` (cached: the set only grows when
        a consumer subscribes or a commit names a new partition, which clear the cache)."""
        readers = self._readers_of.get(name)
        if readers is None:
            readers = [
                offsets
                for offsets in self._committed.values()
                if any(t == name for t, _ in offsets)
            ]
            self._readers_of[name] = readers
        return readers

    def _floor(self, name: str, p: int, part: _Partition) -> int | None:
        """The lowest committed offset of the groups reading the topic, None if none reads it."""
        readers = self._readers(name)
        if not readers:
            return None
        return min(offsets.get((name, p), part.start) for offsets in readers)

    def _trim(self, name: str, p: int) -> None:
        topic = self._topics[name]
        part = topic.partitions[p]
        floor = self._floor(name, p, part)
        unread = floor is None
        if floor is None:
            floor = part.end - self.capacity
        count = min(len(part), floor - part.start)
        if count > 0:
            part.drop_oldest(count)
            if unread:
                topic.stats.trimmed += count

    def _wait(self, timeout_s: float) -> None:
        self._waiting += 1
        try:
            self._cond.wait(timeout_s)
        finally:
            self._waiting -= 1

    def _append(self, topic_name: str, key: bytes | None, value: bytes) -> None:
        """O(1) unless the partition holds ``capacity`` messages: read topics are trimmed when
        their groups commit (the floor moves only then), so only a full log needs a look."""
        with self._cond:
            topic = self._topics.get(topic_name) or self._topic(topic_name)
            partitions = topic.partitions
            n = len(partitions)
            p = zlib.crc32(key) % n if key is not None else next(topic.round_robin) % n
            part = partitions[p]
            if len(part.values) >= self.capacity:
                self._make_room(topic_name, topic, p, part)
            part.append(key, value, time.time())
            topic.stats.sent += 1
            if self._waiting:
                self._cond.notify_all()

    def _make_room(self, topic_name: str, topic: _Topic, p: int, part: _Partition) -> None:
        """Make room for one message in a full partition: trim an unread topic to its newest
        ``capacity - 1`` messages, or wait for a commit below the floor (back-pressure)."""
        deadline = time.monotonic() + self.send_timeout_s
        while True:
            self._trim(topic_name, p)
            floor = self._floor(topic_name, p, part)
            if floor is None:
                if len(part) >= self.capacity:  # keep the newest capacity after the append
                    part.drop_oldest()
                    topic.stats.trimmed += 1
                return
            if part.end - floor < self.capacity:
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                topic.stats.overflow += 1
                raise BusError(
                    f"memory bus: partition {p} of {topic_name!r} holds {self.capacity} "
                    f"unconsumed messages and no consumer committed within "
                    f"{self.send_timeout_s:g} s; process and commit before producing more, "
                    "or raise the capacity (memory://?capacity=N)"
                )
            self._wait(remaining)

    def _leave(self, consumer: MemoryConsumer) -> None:
        with self._cond:
            members = self._members.get(consumer.group, [])
            if consumer in members:
                members.remove(consumer)
            self._cond.notify_all()

    def _assignment(self, consumer: MemoryConsumer) -> list[TopicPartition]:
        members = self._members.get(consumer.group, [])
        if consumer not in members:
            return []
        every = sorted(
            (name, p) for name in consumer.topics for p in range(len(self._topics[name].partitions))
        )
        k, i = len(members), members.index(consumer)
        return every[i::k]


class MemoryProducer:
    def __init__(self, bus: MemoryBus) -> None:
        self._bus = bus

    def send(self, topic: str, key: bytes | None, value: bytes) -> None:
        self._bus._append(topic, key, value)

    def flush(self, timeout_s: float = 10.0) -> int:
        return 0  # every send is delivered before it returns


class MemoryConsumer:
    def __init__(self, bus: MemoryBus, topics: tuple[str, ...], group: str) -> None:
        self._bus = bus
        self.topics = topics
        self.group = group
        self._positions: dict[TopicPartition, int] = {}
        self._closed = False

    def assignment(self) -> list[TopicPartition]:
        with self._bus._cond:
            return self._bus._assignment(self)

    def _sync_positions(self) -> list[TopicPartition]:
        assigned = self._bus._assignment(self)
        committed = self._bus._committed[self.group]
        for tp in assigned:
            if tp not in self._positions:
                part = self._bus._topics[tp[0]].partitions[tp[1]]
                self._positions[tp] = max(committed.get(tp, part.start), part.start)
        for tp in list(self._positions):
            if tp not in assigned:
                del self._positions[tp]
        return assigned

    def poll_batch(self, max_messages: int, timeout_s: float) -> list[Message]:
        if self._closed:
            raise BusError("memory bus: poll on a closed consumer; open a new one")
        deadline = time.monotonic() + timeout_s
        cond = self._bus._cond
        with cond:
            while True:
                out: list[Message] = []
                for tp in self._sync_positions():
                    topic = self._bus._topics[tp[0]]
                    part = topic.partitions[tp[1]]
                    pos = self._positions[tp]
                    take = min(part.end - pos, max_messages - len(out))
                    if take > 0:
                        out.extend(part.read(tp[0], tp[1], pos, take))
                        self._positions[tp] = pos + take
                        topic.stats.consumed += take
                    if len(out) >= max_messages:
                        break
                remaining = deadline - time.monotonic()
                if out or remaining <= 0:
                    return out
                self._bus._wait(remaining)

    def commit(self, offsets: Mapping[TopicPartition, int]) -> None:
        with self._bus._cond:
            committed = self._bus._committed[self.group]
            for (name, p), offset in offsets.items():
                part = self._bus._topic(name).partitions[p]
                if not part.start <= offset <= part.end:
                    raise BusError(
                        f"memory bus: cannot commit offset {offset} for {name}[{p}]: "
                        f"the log holds offsets {part.start}..{part.end}"
                    )
                if (name, p) not in committed:
                    self._bus._readers_of.clear()
                committed[(name, p)] = offset
                self._bus._trim(name, p)
            self._bus._cond.notify_all()

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._bus._leave(self)


_NAMED: dict[str, MemoryBus] = {}
_NAMED_LOCK = threading.Lock()


def open_memory_bus(url: str, options: dict[str, str]) -> MemoryBus:
    """The process-wide bus named by ``memory://NAME`` (``memory://`` is the default one).

    Options apply when the bus is first created: ``capacity`` (per partition), ``partitions``,
    ``send_timeout_s``.
    """
    name = url.split("://", 1)[1].strip("/") or "default"
    with _NAMED_LOCK:
        bus = _NAMED.get(name)
        if bus is None:
            bus = MemoryBus(
                capacity=int_option(options, "capacity", 100_000),
                partitions=int_option(options, "partitions", DEFAULT_PARTITIONS),
                send_timeout_s=float_option(options, "send_timeout_s", 1.0),
            )
            _NAMED[name] = bus
        return bus
