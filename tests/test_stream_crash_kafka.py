"""Crash and scale-out tests of the speed layer against a Kafka-protocol broker (Tansu).

Each test has a broker of its own (``private_kafka_url``: empty topics, so the waits do not
depend on what other tests left in the raw topic) and checks that speed silver holds every one
of its states exactly once.
"""

from __future__ import annotations

import json
import os
import random
import signal
import threading
import time
from pathlib import Path

import pytest

from aerolake.orchestration.stream import StreamOptions, components, ensure_topics
from aerolake.settings import Settings
from aerolake.stream.bus import open_bus
from aerolake.stream.supervisor import Backoff, Exit, ProcessComponent, Supervisor
from test_stream_runner import input_keys, lake_has, lake_keys, publish, states, wait_for

pytestmark = pytest.mark.kafka

FAST_JOIN = (
    "consumer.session.timeout.ms=3000&consumer.max.poll.interval.ms=3000"
    "&consumer.heartbeat.interval.ms=500"
)


def settings_for(kafka_url: str, data_dir: Path) -> Settings:
    return Settings(data_dir=data_dir, bus_url=f"{kafka_url}?{FAST_JOIN}")


def options(group: str, processors: int = 1) -> StreamOptions:
    return StreamOptions(
        segment_offsets=150,
        flush_interval_s=0.3,
        batch_size=100,
        processors=processors,
        group=group,
        producer=False,
        in_process=False,
        backoff=Backoff(initial_s=0.2, max_s=1.0, stable_s=60),
        drain_timeout_s=20,
    )


def feed(
    settings: Settings, prefix: str, aircraft: int, steps: int
) -> tuple[set, threading.Thread]:  # type: ignore[type-arg]
    """Publish ``aircraft`` x ``steps`` states from a thread, paced over a few seconds."""
    batch = states(aircraft, steps, prefix=prefix)
    bus = open_bus(settings.bus_url)

    def run() -> None:
        publish(bus.producer(), batch, chunk=aircraft * 2, pause_s=0.25)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return input_keys(batch), thread


def processed(data_dir: Path, pid: int | None) -> int:
    """Messages the processor with ``pid`` reported in its status (0 before it reports)."""
    for path in (data_dir / "stream").glob(f"status-processor-{pid}-*.json"):
        try:
            return int(json.loads(path.read_text())["messages"])
        except (OSError, ValueError):
            return 0
    return 0


def test_kill_9_at_random_moments_leaves_every_state_exactly_once(
    private_kafka_url: str, tmp_path: Path
) -> None:
    settings = settings_for(private_kafka_url, tmp_path)
    ensure_topics(settings)
    opts = options("g-crash")
    exits: list[Exit] = []
    supervisor = Supervisor(
        components(settings, opts), backoff=opts.backoff, tick_s=0.05, on_exit=exits.append
    )
    stop = threading.Event()
    thread = threading.Thread(target=supervisor.run, args=(stop,), daemon=True)
    thread.start()
    try:
        expected, feeder = feed(settings, "c", aircraft=40, steps=60)  # 2,400 states, ~7.5 s
        rng = random.Random(11)
        processor = supervisor.component("processor")
        kills = 0
        while kills < 3:
            time.sleep(rng.uniform(1.0, 4.0))
            pid = getattr(processor, "pid", None)
            if pid and processor.alive():
                os.kill(pid, signal.SIGKILL)
                kills += 1
        feeder.join(30)
        wait_for(lambda: lake_has(tmp_path, expected, "c"), within_s=45)
    finally:
        stop.set()
        thread.join(30)

    assert [e.code for e in exits if e.restart_in_s is not None] == [-9, -9, -9]
    assert supervisor.restarts["processor"] == 3
    keys = lake_keys(tmp_path, "c")
    assert len(keys) == len(expected)  # exactly once: same count and key set
    assert set(keys) == expected


def test_two_instances_share_the_partitions_and_hand_over(
    private_kafka_url: str, tmp_path: Path
) -> None:
    settings = settings_for(private_kafka_url, tmp_path)
    ensure_topics(settings)
    parts = [p for p in components(settings, options("g-scale", processors=2))]
    assert all(isinstance(p, ProcessComponent) for p in parts)
    for p in parts:
        p.start()
    try:
        expected, feeder = feed(settings, "d", aircraft=40, steps=50)
        for p in parts:  # both joined the group and processing
            wait_for(lambda p=p: processed(tmp_path, p.pid) > 0, within_s=30)  # type: ignore[misc]
        parts[0].stop()  # SIGTERM mid-stream: drain, flush, commit, leave the group
        parts[0].join(20)
        assert parts[0].exit_code() == 0
        feeder.join(30)
        try:
            wait_for(lambda: lake_has(tmp_path, expected, "d"), within_s=20)
        except AssertionError:
            _debug(tmp_path, expected)
            raise
    finally:
        for p in parts:
            p.stop()
        for p in parts:
            p.join(20)
    assert parts[1].exit_code() == 0
    keys = lake_keys(tmp_path, "d")
    assert len(keys) == len(expected)
    assert set(keys) == expected
    statuses = list((tmp_path / "stream").glob("status-processor-*.json"))
    assert len(statuses) == 2  # both instances did work


def _debug(tmp_path: Path, expected: set) -> None:  # type: ignore[type-arg]
    import json

    keys = lake_keys(tmp_path, "d")
    print("LAKE", len(keys), len(set(keys)), "EXPECTED", len(expected))
    missing = expected - set(keys)
    print("MISSING icao", sorted({k[0] for k in missing})[:20], len(missing))
    for f in (tmp_path / "stream").glob("status-*.json"):
        print(f.name, json.loads(f.read_text()))
