"""The Kafka bus: confluent-kafka behind :class:`aerolake.stream.bus.Bus`.

URL: ``kafka://host:port[,host:port][?options]``. Options: ``partitions``, ``retention_ms``
(for topics this bus creates), ``idempotence`` (``true``/``false``, default true),
``send_timeout_s`` (how long ``send`` retries a full local queue), ``queue_max_messages``,
``admin_timeout_s`` (metadata requests); any
``producer.<librdkafka key>`` / ``consumer.<librdkafka key>`` passes through, e.g.
``consumer.max.poll.interval.ms=3000`` (Tansu completes a group join only after the rebalance
timeout, which is ``max.poll.interval.ms``: lower it for fast test joins).

Contracts: topics are created when missing and never deleted or altered; consumers never
auto-commit (``enable.auto.commit=false``), start at the earliest offset when their group has
none, and commit synchronously with explicit offsets. A failed delivery is never silent:
``flush`` raises :class:`~aerolake.errors.BusError`.

``confluent_kafka`` is imported here only, when a ``kafka://`` URL is opened.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from aerolake.errors import BusError, ConfigError
from aerolake.stream.bus import (
    DEFAULT_PARTITIONS,
    DEFAULT_RETENTION_MS,
    GROUP,
    Message,
    TopicPartition,
    float_option,
    int_option,
)

_POLL_SLICE_S = 0.05


def _bootstrap(url: str) -> str:
    hosts = url.split("://", 1)[1].strip("/")
    if not hosts or any(":" not in h for h in hosts.split(",")):
        raise ConfigError(
            f"kafka bus URL {url!r}: expected kafka://host:port[,host:port], "
            "e.g. kafka://127.0.0.1:9092"
        )
    return hosts


class KafkaBus:
    """See the module docstring. Cheap to build: clients connect when first used."""

    def __init__(
        self,
        bootstrap: str,
        *,
        partitions: int = DEFAULT_PARTITIONS,
        retention_ms: int = DEFAULT_RETENTION_MS,
        idempotence: bool = True,
        send_timeout_s: float = 10.0,
        queue_max_messages: int = 100_000,
        admin_timeout_s: float = 10.0,
        producer_config: Mapping[str, Any] | None = None,
        consumer_config: Mapping[str, Any] | None = None,
    ) -> None:
        self.bootstrap = bootstrap
        self.partitions = partitions
        self.retention_ms = retention_ms
        self.send_timeout_s = send_timeout_s
        self.admin_timeout_s = admin_timeout_s
        self._producer_config: dict[str, Any] = {
            "bootstrap.servers": bootstrap,
            "enable.idempotence": idempotence,
            "acks": "all",
            "linger.ms": 5,
            # The Java client's key hashing, so that any Kafka client (Java, kafka-python,
            # Kafka Connect) puts an aircraft's messages in the same partition as ours.
            "partitioner": "murmur2_random",
            "queue.buffering.max.messages": queue_max_messages,
            **(producer_config or {}),
        }
        self._consumer_config: dict[str, Any] = {
            "bootstrap.servers": bootstrap,
            "enable.auto.commit": False,
            "enable.auto.offset.store": False,
            "auto.offset.reset": "earliest",
            **(consumer_config or {}),
        }

    def producer(self) -> KafkaProducer:
        return KafkaProducer(self._producer_config, self.send_timeout_s)

    def consumer(self, topics: Sequence[str], group: str = GROUP) -> KafkaConsumer:
        return KafkaConsumer({**self._consumer_config, "group.id": group}, list(topics))

    def ensure_topics(
        self,
        names: Iterable[str],
        partitions: int | None = None,
        retention_ms: int | None = None,
    ) -> None:
        from confluent_kafka import KafkaError, KafkaException
        from confluent_kafka.admin import AdminClient
        from confluent_kafka.cimpl import NewTopic

        admin = AdminClient({"bootstrap.servers": self.bootstrap})
        try:
            existing = set(admin.list_topics(timeout=self.admin_timeout_s).topics)
        except KafkaException as exc:
            raise BusError(f"kafka bus: cannot reach {self.bootstrap}: {exc}") from exc
        config = {"retention.ms": str(retention_ms or self.retention_ms)}
        missing = [
            NewTopic(n, num_partitions=partitions or self.partitions, config=config)
            for n in dict.fromkeys(names)
            if n not in existing
        ]
        if not missing:
            return
        for name, future in admin.create_topics(missing, request_timeout=15).items():
            try:
                future.result(timeout=20)
            except KafkaException as exc:
                if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:  # a racing creator
                    raise BusError(f"kafka bus: could not create topic {name!r}: {exc}") from exc

    def close(self) -> None:
        """Nothing to release: producers and consumers are closed by their owners."""


class KafkaProducer:
    def __init__(self, config: dict[str, Any], send_timeout_s: float) -> None:
        from confluent_kafka import Producer

        self._errors: list[str] = []
        self._fatal: str | None = None
        self._send_timeout_s = send_timeout_s
        self._producer = Producer({**config, "error_cb": self._on_error})

    def _on_error(self, err: Any) -> None:
        if err.fatal():
            self._fatal = str(err)

    def _on_delivery(self, err: Any, msg: Any) -> None:
        if err is not None:
            self._errors.append(f"{msg.topic()}: {err}")

    def _raise_if_failed(self) -> None:
        if self._fatal:
            raise BusError(
                f"kafka producer failed fatally: {self._fatal}. If the broker does not support "
                "idempotent producers, open the bus with ?idempotence=false"
            )
        if self._errors:
            errors, self._errors = self._errors, []
            raise BusError(
                f"kafka bus: {len(errors)} message(s) were not delivered, first: {errors[0]}"
            )

    def send(self, topic: str, key: bytes | None, value: bytes) -> None:
        deadline = time.monotonic() + self._send_timeout_s
        while True:
            self._raise_if_failed()
            try:
                self._producer.produce(topic, value=value, key=key, on_delivery=self._on_delivery)
                self._producer.poll(0)
                return
            except BufferError:
                if time.monotonic() >= deadline:
                    raise BusError(
                        f"kafka bus: the local send queue stayed full for "
                        f"{self._send_timeout_s:g} s; is the broker reachable and keeping up?"
                    ) from None
                self._producer.poll(_POLL_SLICE_S)

    def flush(self, timeout_s: float = 10.0) -> int:
        remaining: int = self._producer.flush(timeout_s)
        self._raise_if_failed()
        return remaining


class KafkaConsumer:
    def __init__(self, config: dict[str, Any], topics: list[str]) -> None:
        from confluent_kafka import Consumer

        self._consumer = Consumer(config)
        self._assigned: set[TopicPartition] = set()
        self._consumer.subscribe(topics, on_assign=self._on_assign, on_revoke=self._on_revoke)

    def _on_assign(self, _consumer: Any, partitions: list[Any]) -> None:
        self._assigned |= {(tp.topic, tp.partition) for tp in partitions}

    def _on_revoke(self, _consumer: Any, partitions: list[Any]) -> None:
        self._assigned -= {(tp.topic, tp.partition) for tp in partitions}

    def assignment(self) -> list[TopicPartition]:
        return sorted(self._assigned)

    def end_offsets(self, topic: str) -> list[int]:
        """The log end (high watermark) of each partition of ``topic``, for lag reporting."""
        from confluent_kafka import TopicPartition as KTP

        parts = sorted(self._consumer.list_topics(topic, timeout=5).topics[topic].partitions)
        return [self._consumer.get_watermark_offsets(KTP(topic, p), timeout=5)[1] for p in parts]

    def poll_batch(self, max_messages: int, timeout_s: float) -> list[Message]:
        from confluent_kafka import KafkaError

        out: list[Message] = []
        for m in self._consumer.consume(num_messages=max_messages, timeout=timeout_s):
            err = m.error()
            if err is not None:
                if err.code() == KafkaError._PARTITION_EOF:
                    continue
                if err.fatal() or not err.retriable():
                    raise BusError(f"kafka consumer error: {err}")
                continue
            _, ts_ms = m.timestamp()
            topic, partition, offset = m.topic(), m.partition(), m.offset()
            if topic is None or partition is None or offset is None:
                continue  # only error events lack these, and those were handled above
            out.append(Message(topic, partition, offset, m.key(), m.value() or b"", ts_ms / 1000))
        return out

    def commit(self, offsets: Mapping[TopicPartition, int]) -> None:
        from confluent_kafka import KafkaException
        from confluent_kafka import TopicPartition as KafkaTopicPartition

        if not offsets:
            return
        tps = [KafkaTopicPartition(t, p, o) for (t, p), o in offsets.items()]
        try:
            result = self._consumer.commit(offsets=tps, asynchronous=False)
        except KafkaException as exc:
            raise BusError(f"kafka bus: commit failed: {exc}") from exc
        failed = [tp for tp in result or [] if tp.error is not None]
        if failed:
            raise BusError(f"kafka bus: commit failed for {failed[0]}: {failed[0].error}")

    def close(self) -> None:
        self._consumer.close()


def open_kafka_bus(url: str, options: dict[str, str]) -> KafkaBus:
    """Build a :class:`KafkaBus` from a ``kafka://`` URL and its query options."""
    producer_config = {k[9:]: v for k, v in options.items() if k.startswith("producer.")}
    consumer_config = {k[9:]: v for k, v in options.items() if k.startswith("consumer.")}
    idempotence = options.get("idempotence", "true").lower() not in ("false", "0", "no")
    return KafkaBus(
        _bootstrap(url),
        partitions=int_option(options, "partitions", DEFAULT_PARTITIONS),
        retention_ms=int_option(options, "retention_ms", DEFAULT_RETENTION_MS),
        idempotence=idempotence,
        send_timeout_s=float_option(options, "send_timeout_s", 10.0),
        queue_max_messages=int_option(options, "queue_max_messages", 100_000),
        admin_timeout_s=float_option(options, "admin_timeout_s", 10.0),
        producer_config=producer_config,
        consumer_config=consumer_config,
    )
