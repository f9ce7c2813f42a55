"""The speed layer's lake sink on S3 (moto on 127.0.0.1): the runner on the memory bus flushes
segments into ``silver/speed_state_vectors`` of an S3 lake exactly once, a restarted runner
replays its open segment over the same files, and the batch merge takes the rows to gold."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from aerolake.batch.merge import merge_gold
from aerolake.lake import GOLD_STATES, SILVER_SPEED_STATES, Lake
from aerolake.stream.memory_bus import MemoryBus
from aerolake.stream.persist import SPEED_SILVER_SCHEMA, SpeedSink
from aerolake.stream.processor import Processor
from aerolake.stream.runner import Runner
from test_stream_runner import input_keys, publish, run_in_thread, states, wait_for

pytestmark = pytest.mark.s3

SEGMENT = 150


def speed_keys(lake: Lake) -> list[tuple[str, int]]:
    """(icao24, time) of every speed silver row, duplicates kept."""
    table = lake.read(SILVER_SPEED_STATES, columns=["icao24", "time"], schema=SPEED_SILVER_SCHEMA)
    return list(
        zip(table.column("icao24").to_pylist(), table.column("time").to_pylist(), strict=True)
    )


def run_until(bus: MemoryBus, lake: Lake, data_dir: Path, messages: int) -> Runner:
    """Run a fresh runner writing to ``lake`` until it has processed ``messages``, then stop."""
    sink = SpeedSink(lake, segment_offsets=SEGMENT)
    runner = Runner(
        bus, sink, Processor, data_dir=data_dir, batch_size=100, poll_timeout_s=0.05,
        flush_interval_s=0.2, status_interval_s=0.1,
    )  # fmt: skip
    thread, stop = run_in_thread(runner)
    wait_for(lambda: runner.stats.messages == messages)
    stop.set()
    thread.join(10)
    assert not thread.is_alive()
    return runner


def test_speed_sink_on_s3_lands_every_state_once_and_replays_in_place(
    tmp_path: Path, s3_lake_url: str
) -> None:
    lake = Lake.open(s3_lake_url, s3_endpoint=os.environ["AEROLAKE_S3_ENDPOINT"])
    bus = MemoryBus(partitions=1)
    batch = states(10, 40)  # 400 states over two UTC hours: segments 0, 150, 300 (open)
    publish(bus.producer(), batch, chunk=100)
    run_until(bus, lake, tmp_path, batch.num_rows)
    keys = speed_keys(lake)
    assert len(keys) == batch.num_rows and set(keys) == input_keys(batch)
    firsts = {
        int(f.key.rsplit("-", 1)[1]) for m in lake.manifests(SILVER_SPEED_STATES) for f in m.files
    }
    assert firsts == {0, SEGMENT, 2 * SEGMENT}
    assert all(path.startswith(lake.root + "/") for path in lake.files(SILVER_SPEED_STATES))

    # A restart resumes at the committed offset (300): the open segment is replayed under the
    # same key and overwrites its files; nothing is duplicated.
    run_until(bus, lake, tmp_path, batch.num_rows - 2 * SEGMENT)
    again = speed_keys(lake)
    assert len(again) == batch.num_rows and set(again) == input_keys(batch)

    merged = merge_gold(lake)
    assert merged.speed_hours == len(lake.partitions(SILVER_SPEED_STATES)) == 2
    gold = lake.read(GOLD_STATES, columns=["icao24", "data_source"])
    assert gold.num_rows == batch.num_rows
    assert set(gold.column("data_source").to_pylist()) == {"speed"}
