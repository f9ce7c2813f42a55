"""The speed layer's runner: consume -> process -> publish -> persist -> commit.

**Checkpoint order** (written down here and nowhere else):

1. *flush sinks*: every output of the processed messages (enriched rows, dead letters, alerts)
   is sent and the bus producer flushed, then the lake sink writes its segment files
   (:class:`~aerolake.stream.persist.SpeedSink`; durable committed manifests on return);
2. *persist state*: tracker state is not written anywhere; it is rebuilt by replay. Offsets are
   committed only at segment ends, so a restarted or newly assigned instance replays the whole
   open segment into a fresh per-partition :class:`Processor` and rebuilds the state of every
   aircraft seen in it (an aircraft last seen before the segment starts a new track, and
   its first point cannot be rejected as an implausible jump);
3. *advance the source cursor*: commit exactly the offsets the sink returned (segment ends).

A crash between any two steps replays from the last commit: the lake converges to each
accepted state exactly once (the sink overwrites the same segment files); bus outputs are
at-least-once (a replay publishes them again). Checkpoints happen when a segment completes,
every ``flush_interval_s`` seconds (so closed hours reach the lake promptly), and on stop.

Scale-out: one :class:`Processor` per assigned topic partition, so per-aircraft state follows
its partition (messages are keyed by icao24). A partition that leaves the assignment is
dropped without writing; its new owner replays it from the committed offset.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

from aerolake.stream.bus import (
    ALERTS,
    DEADLETTER,
    ENRICHED,
    GROUP,
    RAW,
    Bus,
    Consumer,
    Message,
    TopicPartition,
)
from aerolake.stream.bus import Producer as BusProducer
from aerolake.stream.messages import encode_batch, encode_deadletter, encode_object
from aerolake.stream.persist import SpeedSink
from aerolake.stream.processor import Processor, ProcessResult
from aerolake.stream.status import write_status

log = logging.getLogger(__name__)

OnResult = Callable[[ProcessResult], None]


@runtime_checkable
class _EndOffsets(Protocol):
    """Buses that can report log end offsets (the memory bus); Kafka lag is estimated."""

    def end_offsets(self, topic: str) -> list[int]: ...


@dataclasses.dataclass
class RunnerStats:
    messages: int = 0
    enriched: int = 0
    deadletters: int = 0
    alerts: int = 0
    commits: int = 0
    checkpoints: int = 0
    last_checkpoint: float | None = None  # unix s


class Runner:
    """One processor instance of the consumer group. Build a fresh one per (re)start."""

    def __init__(
        self,
        bus: Bus,
        sink: SpeedSink,
        make_processor: Callable[[], Processor],
        *,
        group: str = GROUP,
        name: str | None = None,
        data_dir: Path | None = None,
        batch_size: int = 5_000,
        poll_timeout_s: float = 0.5,
        flush_interval_s: float = 5.0,
        status_interval_s: float = 2.0,
        on_result: OnResult | None = None,
    ) -> None:
        self.bus = bus
        self.sink = sink
        self.make_processor = make_processor
        self.group = group
        self.name = name or f"processor-{os.getpid()}-{threading.get_ident() % 10_000}"
        self.data_dir = data_dir
        self.batch_size = batch_size
        self.poll_timeout_s = poll_timeout_s
        self.flush_interval_s = flush_interval_s
        self.status_interval_s = status_interval_s
        self.on_result = on_result
        self.stats = RunnerStats()
        self.processors: dict[TopicPartition, Processor] = {}
        self.committed: dict[TopicPartition, int] = {}
        self.position: dict[TopicPartition, int] = {}
        self._consumer: Consumer | None = None
        self._producer: BusProducer | None = None
        self._last_flush = time.monotonic()
        self._last_status = 0.0
        self._rate = (time.monotonic(), 0, 0.0)  # (when, messages then, messages/s)

    def run(self, stop: threading.Event) -> None:
        """Consume until ``stop`` is set, then drain: checkpoint what was processed and leave
        the group. An exception propagates after closing the consumer (nothing is committed
        for unprocessed or unpersisted messages). The topics must exist (the orchestration
        creates them)."""
        self._producer = self.bus.producer()
        self._consumer = self.bus.consumer([RAW], self.group)
        try:
            while not stop.is_set():
                self.step()
            self.checkpoint()
            log.info("%s: drained and committed; stopping", self.name)
        finally:
            self._consumer.close()
            self._write_status(force=True, running=False)

    def step(self) -> int:
        """Poll once, process, and checkpoint when due. Returns the messages processed."""
        assert self._consumer is not None
        messages = self._consumer.poll_batch(self.batch_size, self.poll_timeout_s)
        self._forget_lost(set(self._consumer.assignment()), messages)
        by_tp: dict[TopicPartition, list[Message]] = {}
        for m in messages:
            by_tp.setdefault((m.topic, m.partition), []).append(m)
        for tp, msgs in sorted(by_tp.items()):
            self._process_partition(tp, msgs)
        if time.monotonic() - self._last_flush >= self.flush_interval_s:
            self.checkpoint()
        self._write_status()
        return len(messages)

    def checkpoint(self) -> dict[TopicPartition, int]:
        """Steps 1-3 of the module docstring. Returns the offsets committed."""
        assert self._consumer is not None and self._producer is not None
        undelivered = self._producer.flush(10.0)
        if undelivered:
            from aerolake.errors import BusError

            raise BusError(f"{self.name}: {undelivered} output message(s) not delivered in 10 s")
        offsets = self.sink.flush()
        if offsets:
            self._consumer.commit(offsets)
            self.committed.update(offsets)
            self.stats.commits += 1
        self.stats.checkpoints += 1
        self.stats.last_checkpoint = time.time()
        self._last_flush = time.monotonic()
        return offsets

    # Internals --------------------------------------------------------------------------------

    def _forget_lost(self, assigned: set[TopicPartition], messages: Sequence[Message]) -> None:
        seen = assigned | {(m.topic, m.partition) for m in messages}
        lost = [tp for tp in self.processors if tp not in seen]
        if lost:
            log.info("%s: partitions %s left the assignment; dropping their state", self.name, lost)
            self.sink.drop(lost)
            for tp in lost:
                self.processors.pop(tp, None)
                self.committed.pop(tp, None)
                self.position.pop(tp, None)

    def _process_partition(self, tp: TopicPartition, msgs: list[Message]) -> None:
        """Process ``msgs`` (one partition, offset order) in slices that never cross a segment
        end; checkpoint as soon as a segment completes."""
        processor = self.processors.get(tp)
        if processor is None:
            processor = self.processors[tp] = self.make_processor()
            self.committed.setdefault(tp, msgs[0].offset)
        i = 0
        while i < len(msgs):
            seg = self.sink.segment(tp, msgs[i].offset)
            j = i
            while j < len(msgs) and msgs[j].offset < seg.end:
                j += 1
            if j > i:
                piece = msgs[i:j]
                result = processor.process(piece, dt.datetime.now(dt.UTC))
                self._publish(result, piece)
                self.sink.add(tp, piece[-1].offset + 1, result.enriched)
                self.position[tp] = piece[-1].offset + 1
            if j < len(msgs):  # a gap in the log jumped past the end: the segment is complete
                seg.next = seg.end
            if seg.complete:
                self.checkpoint()
            i = j

    def _publish(self, result: ProcessResult, piece: Sequence[Message]) -> None:
        assert self._producer is not None
        send = self._producer.send
        if result.enriched.num_rows:
            for key, value in encode_batch(result.enriched):
                send(ENRICHED, key, value)
        for letter in result.deadletters:
            m = piece[letter.index]
            value = encode_deadletter(letter, topic=m.topic, partition=m.partition, offset=m.offset)
            send(DEADLETTER, m.key, value)
        for alert in result.alerts:
            send(ALERTS, alert.icao24.encode(), encode_object(dataclasses.asdict(alert)))
        self.stats.messages += len(piece)
        self.stats.enriched += result.enriched.num_rows
        self.stats.deadletters += len(result.deadletters)
        self.stats.alerts += len(result.alerts)
        if self.on_result is not None:
            self.on_result(result)

    def lag(self) -> tuple[dict[str, int], dict[str, int]]:
        """Per assigned partition: (messages not yet processed, processed but not committed).

        The first needs the log end (the memory bus, or the Kafka consumer's high watermarks).
        The second is
        at most one segment: persisted rows whose segment is still open."""
        ends: dict[TopicPartition, int] = {}
        reporter: _EndOffsets | None = None
        for candidate in (self.bus, self._consumer):
            if isinstance(candidate, _EndOffsets):
                reporter = candidate
                break
        if reporter is not None:
            try:
                ends = {(RAW, p): end for p, end in enumerate(reporter.end_offsets(RAW))}
            except Exception as exc:  # lag is a report, never a reason to stop consuming
                log.warning("could not read the log end of %s: %s", RAW, exc)
        behind, uncommitted = {}, {}
        for tp, committed in self.committed.items():
            name = f"{tp[0]}[{tp[1]}]"
            position = self.position.get(tp, committed)
            uncommitted[name] = max(0, position - committed)
            if tp in ends:
                behind[name] = max(0, ends[tp] - position)
        return behind, uncommitted

    def _write_status(self, force: bool = False, running: bool = True) -> None:
        now = time.monotonic()
        if self.data_dir is None or (
            not force and now - self._last_status < self.status_interval_s
        ):
            return
        when, before, rate = self._rate
        if now - when >= 10.0:  # polls arrive in bursts: average over 10 s at least
            rate = (self.stats.messages - before) / (now - when)
            self._rate = (now, self.stats.messages, rate)
        self._last_status = now
        s = self.stats
        lag, uncommitted = self.lag()
        write_status(
            self.data_dir,
            self.name,
            {
                "running": running,
                "partitions": sorted(f"{t}[{p}]" for t, p in self.processors),
                "lag": lag,
                "uncommitted": uncommitted,
                "messages": s.messages,
                "messages_per_s": round(rate, 1),
                "enriched": s.enriched,
                "deadletters": s.deadletters,
                "alerts": s.alerts,
                "commits": s.commits,
                "last_checkpoint": s.last_checkpoint,
                "lake_rows_written": self.sink.rows_written,
                "summary": (
                    f"{len(self.processors)} partitions, lag {sum(lag.values()):,}, "
                    f"{sum(uncommitted.values()):,} persisted not committed, "
                    f"{rate:,.0f} msg/s, {s.deadletters:,} dead letters"
                ),
            },
        )
