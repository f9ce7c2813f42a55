"""The message bus behind one small interface, and its registry keyed by URL scheme.

- ``memory://[name][?capacity=N&partitions=P&send_timeout_s=S]`` — in-process, bounded, with
  back-pressure (:mod:`aerolake.stream.memory_bus`). The same URL in one process names the same
  bus, like an address.
- ``kafka://host:port[,host:port][?partitions=P&retention_ms=MS&...]`` — confluent-kafka
  (:mod:`aerolake.stream.kafka_bus`), imported only when such a URL is opened.

Offsets follow Kafka's convention: a commit names the *next* offset to read per partition.
Committing is always explicit; nothing commits behind the caller's back.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Final, NamedTuple, Protocol
from urllib.parse import parse_qsl, urlsplit

from aerolake.errors import ConfigError

RAW: Final[str] = "aerolake.states.raw"
ENRICHED: Final[str] = "aerolake.states.enriched"
DEADLETTER: Final[str] = "aerolake.states.deadletter"
ALERTS: Final[str] = "aerolake.alerts"
TOPICS: Final[tuple[str, ...]] = (RAW, ENRICHED, DEADLETTER, ALERTS)

#: The speed layer's consumer group.
GROUP: Final[str] = "aerolake-processor"

DEFAULT_PARTITIONS: Final[int] = 3
DEFAULT_RETENTION_MS: Final[int] = 24 * 3600 * 1000

TopicPartition = tuple[str, int]


class Message(NamedTuple):
    """One record read from a topic. ``timestamp`` is unix seconds (producer or broker time).

    A named tuple rather than a dataclass: a tuple of atomic values drops out of the cyclic
    garbage collector's tracking, and a bus backlog of such messages would otherwise make
    every full collection walk it.
    """

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    timestamp: float


class Producer(Protocol):
    def send(self, topic: str, key: bytes | None, value: bytes) -> None:
        """Queue one message. Blocks under back-pressure; raises BusError when it cannot queue."""
        ...

    def flush(self, timeout_s: float = 10.0) -> int:
        """Wait for queued messages to be delivered; returns how many are still undelivered.

        Raises :class:`~aerolake.errors.BusError` if any message failed to deliver.
        """
        ...


class Consumer(Protocol):
    def poll_batch(self, max_messages: int, timeout_s: float) -> list[Message]:
        """Up to ``max_messages`` messages, waiting at most ``timeout_s`` for the first one."""
        ...

    def commit(self, offsets: Mapping[TopicPartition, int]) -> None:
        """Synchronously commit the next offset to read for each (topic, partition)."""
        ...

    def assignment(self) -> list[TopicPartition]: ...

    def close(self) -> None: ...


class Bus(Protocol):
    def producer(self) -> Producer: ...

    def consumer(self, topics: Sequence[str], group: str = GROUP) -> Consumer: ...

    def ensure_topics(
        self,
        names: Iterable[str],
        partitions: int = DEFAULT_PARTITIONS,
        retention_ms: int = DEFAULT_RETENTION_MS,
    ) -> None:
        """Create the topics that do not exist yet. Never deletes or alters existing topics."""
        ...

    def close(self) -> None: ...


_TOPIC_PARTITION: Final = operator.attrgetter("topic", "partition")
_OFFSET: Final = operator.attrgetter("offset")


def next_offsets(messages: Iterable[Message]) -> dict[TopicPartition, int]:
    """The offsets to commit after ``messages``: highest offset + 1 per (topic, partition)."""
    out: dict[TopicPartition, int] = {}
    get = out.get
    for tp, offset in zip(map(_TOPIC_PARTITION, messages), map(_OFFSET, messages), strict=True):
        if offset >= get(tp, -1):
            out[tp] = offset + 1
    return out


def _open_memory(url: str, options: dict[str, str]) -> Bus:
    from aerolake.stream.memory_bus import open_memory_bus

    return open_memory_bus(url, options)


def _open_kafka(url: str, options: dict[str, str]) -> Bus:
    from aerolake.stream.kafka_bus import open_kafka_bus

    return open_kafka_bus(url, options)


#: Bus implementations by URL scheme: ``(url, query options) -> Bus``.
BUSES: Final[dict[str, Callable[[str, dict[str, str]], Bus]]] = {
    "memory": _open_memory,
    "kafka": _open_kafka,
}


def open_bus(url: str, **options: Any) -> Bus:
    """Open the bus named by ``url``; keyword ``options`` override the URL's query parameters."""
    parts = urlsplit(url)
    factory = BUSES.get(parts.scheme)
    if factory is None:
        raise ConfigError(
            f"bus URL {url!r}: expected a scheme among {sorted(BUSES)} "
            "(e.g. memory:// or kafka://127.0.0.1:9092); set AEROLAKE_BUS_URL"
        )
    merged = dict(parse_qsl(parts.query, keep_blank_values=True))
    merged.update({k: str(v) for k, v in options.items()})
    return factory(url.split("?", 1)[0], merged)


def int_option(options: Mapping[str, str], name: str, default: int) -> int:
    """An integer bus option, with a message naming the option when it does not parse."""
    raw = options.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"bus option {name}: expected an integer, found {raw!r}") from exc


def float_option(options: Mapping[str, str], name: str, default: float) -> float:
    raw = options.get(name)
    if raw is None:
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ConfigError(f"bus option {name}: expected a number, found {raw!r}") from exc
