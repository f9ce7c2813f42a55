"""Crash test on the memory bus: the processor fails at scheduled moments — mid-batch, and right
after its lake files became durable but before the commit — and the supervisor restarts it.
Afterwards speed silver holds every accepted state exactly once.

The memory bus lives in this process, so the processor runs as a supervised thread and a crash
is an exception in it (see aerolake.orchestration.stream); the restarted runner is built from
scratch and resumes from the bus's committed offsets, as a restarted process would.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Sequence
from pathlib import Path

from aerolake.lake import Lake
from aerolake.stream.bus import RAW, Message, TopicPartition
from aerolake.stream.memory_bus import MemoryBus
from aerolake.stream.persist import SpeedSink
from aerolake.stream.processor import Processor, ProcessResult
from aerolake.stream.runner import Runner
from aerolake.stream.supervisor import Backoff, Exit, Supervisor, ThreadComponent
from test_stream_runner import input_keys, lake_has, lake_keys, publish, states, wait_for

AFTER_FILES = "after durable files, before commit"


class Crash(RuntimeError):
    pass


class Faults:
    """Crashes at fixed chance numbers per site (``schedule[site]``: the 1-based chances that
    crash). Counting per site keeps the crashes independent of how the processor's and the
    sink's calls interleave, which depends on thread timing."""

    def __init__(self, schedule: dict[str, set[int]]) -> None:
        self.schedule = schedule
        self.chances = dict.fromkeys(schedule, 0)
        self.where: list[str] = []
        self.lock = threading.Lock()

    def maybe(self, where: str) -> None:
        with self.lock:
            self.chances[where] += 1
            if self.chances[where] in self.schedule[where]:
                self.where.append(where)
                raise Crash(where)


class FaultyProcessor(Processor):
    def __init__(self, faults: Faults) -> None:
        super().__init__()
        self.faults = faults

    def process(self, messages: Sequence[Message], now: dt.datetime) -> ProcessResult:
        self.faults.maybe("process")
        return super().process(messages, now)


class FaultySink(SpeedSink):
    def __init__(self, lake: Lake, faults: Faults, segment_offsets: int) -> None:
        super().__init__(lake, segment_offsets=segment_offsets)
        self.faults = faults

    def flush(self) -> dict[TopicPartition, int]:
        offsets = super().flush()
        if offsets:
            self.faults.maybe(AFTER_FILES)
        return offsets


def test_crashes_leave_every_state_exactly_once(tmp_path: Path) -> None:
    bus = MemoryBus(partitions=3)
    # mid-batch crashes early, mid-way and late; crashes after durable files at the first
    # segment ends (1,200 states over 3 partitions end 12 segments of 97 offsets)
    faults = Faults({"process": {3, 20, 45}, AFTER_FILES: {1, 3, 6}})
    runners: list[Runner] = []

    def processor(stop: threading.Event) -> None:
        lake = Lake.open(str(tmp_path / "lake"))
        runner = Runner(
            bus,
            FaultySink(lake, faults, segment_offsets=97),
            lambda: FaultyProcessor(faults),
            batch_size=40,
            poll_timeout_s=0.02,
            flush_interval_s=0.05,
        )
        runners.append(runner)
        runner.run(stop)

    exits: list[Exit] = []
    supervisor = Supervisor(
        [ThreadComponent("processor", processor)],
        backoff=Backoff(initial_s=0.01, max_s=0.05, stable_s=60),
        tick_s=0.005,
        on_exit=exits.append,
    )
    stop = threading.Event()
    thread = threading.Thread(target=supervisor.run, args=(stop,), daemon=True)
    thread.start()
    batch = states(40, 30)  # 1,200 states
    publish(bus.producer(), batch, chunk=30, pause_s=0.04)
    expected = input_keys(batch)
    wait_for(lambda: lake_has(tmp_path, expected), within_s=40)
    stop.set()
    thread.join(20)

    assert len(exits) >= 3 and all(e.code == 1 for e in exits if e.restart_in_s is not None)
    assert AFTER_FILES in faults.where  # the worst moment: files durable, offsets not
    assert supervisor.restarts["processor"] == len(faults.where) >= 3
    keys = lake_keys(tmp_path)
    assert len(keys) == batch.num_rows  # exactly once: same count ...
    assert set(keys) == expected  # ... and same key set
    assert sum(r.stats.messages for r in runners) > batch.num_rows  # crashes did cause replays
    assert bus.committed()[(RAW, 0)] % 97 == 0
