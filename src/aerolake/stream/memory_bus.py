"""An in-process bus with Kafka's shape: partitioned append-only logs, groups, explicit commits.

- A message goes to partition ``crc32(key) % partitions`` (stable across runs); keyless messages
  go round-robin.
- Each topic is bounded: at most ``capacity`` messages per partition may be *unconsumed*, i.e.
  at or above the lowest offset committed by the groups reading the topic. A full partition
  makes ``send`` wait up to ``send_timeout_s`` for a commit; then it counts an overflow and
  raises :class:`~aerolake.errors.BusError`. Nothing is dropped silently.
- Retention: messages below every group's committed offset are trimmed. A topic no group reads
  keeps its newest ``capacity`` messages per partition and counts the rest as ``trimmed``
  (as Kafka's retention would; a group that subscribes later starts at the oldest kept one).
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


@dataclass
class TopicStats:
    sent: int = 0
    consumed: int = 0
    overflow: int = 0
    trimmed: int = 0


@dataclass
class _Partition:
    start: int = 0  # offset of log[0]
    log: deque[Message] = field(default_factory=deque)

    @property
    def end(self) -> int:
        return self.start + len(self.log)


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
        return [
            offsets for offsets in self._committed.values() if any(t == name for t, _ in offsets)
        ]

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
        while part.log and part.start < floor:
            part.log.popleft()
            part.start += 1
            if unread:
                topic.stats.trimmed += 1

    def _append(self, topic_name: str, key: bytes | None, value: bytes) -> None:
        deadline = time.monotonic() + self.send_timeout_s
        with self._cond:
            topic = self._topic(topic_name)
            n = len(topic.partitions)
            p = zlib.crc32(key) % n if key is not None else next(topic.round_robin) % n
            part = topic.partitions[p]
            while True:
                self._trim(topic_name, p)
                floor = self._floor(topic_name, p, part)
                if floor is None or part.end - floor < self.capacity:
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    topic.stats.overflow += 1
                    raise BusError(
                        f"memory bus: partition {p} of {topic_name!r} holds {self.capacity} "
                        f"unconsumed messages and no consumer committed within "
                        f"{self.send_timeout_s:g} s; process and commit before producing more, "
                        "or raise the capacity (memory://?capacity=N)"
                    )
                self._cond.wait(remaining)
            part.log.append(Message(topic_name, p, part.end, key, value, time.time()))
            topic.stats.sent += 1
            self._trim(topic_name, p)
            self._cond.notify_all()

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
                        first = pos - part.start
                        out.extend(itertools.islice(part.log, first, first + take))
                        self._positions[tp] = pos + take
                        topic.stats.consumed += take
                    if len(out) >= max_messages:
                        break
                remaining = deadline - time.monotonic()
                if out or remaining <= 0:
                    return out
                cond.wait(remaining)

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
