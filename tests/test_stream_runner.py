"""The speed layer's runner on the memory bus: every accepted state lands in speed silver
exactly once, dead letters are published and counted, fallback states stay out of the lake.

The helpers here (``states``, ``publish``, ``lake_keys``) are shared by the crash tests.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import orjson
import pyarrow as pa
import pytest

from aerolake.lake import SILVER_SPEED_STATES, Lake
from aerolake.sources.base import with_provenance
from aerolake.stream.bus import DEADLETTER, RAW, Producer
from aerolake.stream.memory_bus import MemoryBus
from aerolake.stream.messages import encode_batch
from aerolake.stream.persist import SPEED_SILVER_SCHEMA, SpeedSink, persistable, segment_key
from aerolake.stream.processor import Processor
from aerolake.stream.runner import Runner
from aerolake.stream.status import read_status

#: Two UTC hours ago, on an hour boundary minus 5 minutes, so the states span two hours.
T0 = (int(time.time()) // 3600 - 2) * 3600 - 300


def states(
    aircraft: int, steps: int, *, prefix: str = "a", source: str = "opensky"
) -> pa.RecordBatch:
    """``aircraft`` x ``steps`` smooth, valid state vectors (10 s apart, ~2 km steps).
    ``prefix`` must be one hex digit (icao24 is six hex digits)."""
    records = []
    for i in range(aircraft):
        for k in range(steps):
            t = T0 + 10 * k
            records.append(
                {
                    "time": t,
                    "icao24": f"{prefix}{i:05x}",
                    "lat": 20.0 + 0.02 * k + 0.1 * i,
                    "lon": 78.0 + 0.1 * i,
                    "velocity": 230.0,
                    "heading": 0.0,
                    "vertrate": 0.0,
                    "callsign": f"IGO{i:04d}",
                    "onground": False,
                    "alert": False,
                    "spi": False,
                    "squawk": "1234",
                    "baroaltitude": 10000.0,
                    "geoaltitude": 10050.0,
                    "lastposupdate": float(t),
                    "lastcontact": float(t),
                }
            )
    import datetime as dt

    now = dt.datetime.now(dt.UTC)
    return with_provenance(
        pa.Table.from_pylist(records), source=source, batch_id="test", ingested_at=now
    )


def publish(producer: Producer, batch: pa.RecordBatch, chunk: int = 0, pause_s: float = 0) -> None:
    """Send ``batch`` in time order (as polls would), optionally in paced chunks."""
    order = batch.sort_by([("time", "ascending"), ("icao24", "ascending")])
    messages = encode_batch(order)
    step = chunk or len(messages)
    for start in range(0, len(messages), step):
        for key, value in messages[start : start + step]:
            producer.send(RAW, key, value)
        producer.flush(10)
        if pause_s:
            time.sleep(pause_s)


def lake_keys(data_dir: Path, prefix: str = "") -> list[tuple[str, int]]:
    """(icao24, time) of every speed silver row (duplicates kept), optionally by prefix."""
    lake = Lake.open(str(data_dir / "lake"))
    table = lake.read(SILVER_SPEED_STATES, columns=["icao24", "time"], schema=SPEED_SILVER_SCHEMA)
    keys = zip(table.column("icao24").to_pylist(), table.column("time").to_pylist(), strict=True)
    return [(i, t) for i, t in keys if i.startswith(prefix)]


def lake_has(data_dir: Path, expected: set[tuple[str, int]], prefix: str = "") -> bool:
    """Whether speed silver holds ``expected`` (as a set). A file the writer replaced twice
    while we listed and read it is gone (the lake keeps one previous generation): retry."""
    try:
        return set(lake_keys(data_dir, prefix)) == expected
    except FileNotFoundError:
        return False


def input_keys(batch: pa.RecordBatch) -> set[tuple[str, int]]:
    return set(
        zip(batch.column("icao24").to_pylist(), batch.column("time").to_pylist(), strict=True)
    )


def wait_for(condition: Callable[[], bool], within_s: float = 30.0) -> None:
    deadline = time.monotonic() + within_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.05)


def caught_up(bus: MemoryBus, runner: Runner) -> bool:
    """Whether ``runner`` has processed everything on the raw topic."""
    ends = enumerate(bus.end_offsets(RAW))
    return all(runner.position.get((RAW, p), 0) >= end for p, end in ends)


def make_runner(bus: MemoryBus, data_dir: Path, segment_offsets: int = 150) -> Runner:
    sink = SpeedSink(Lake.open(str(data_dir / "lake")), segment_offsets=segment_offsets)
    return Runner(
        bus, sink, Processor, data_dir=data_dir, batch_size=100, poll_timeout_s=0.05,
        flush_interval_s=0.2, status_interval_s=0.1,
    )  # fmt: skip


def run_in_thread(runner: Runner) -> tuple[threading.Thread, threading.Event]:
    stop = threading.Event()
    thread = threading.Thread(target=runner.run, args=(stop,), daemon=True)
    thread.start()
    return thread, stop


def test_persistable_drops_fallback_rows_and_keeps_silver_columns() -> None:
    from aerolake.stream.schema import ENRICHED_SCHEMA

    processor = Processor()
    from aerolake.stream.bus import Message

    real = encode_batch(states(1, 2))
    fake = encode_batch(states(1, 2, prefix="f", source="simulator-fallback"))
    msgs = [Message(RAW, 0, i, k, v, 0.0) for i, (k, v) in enumerate(real + fake)]
    import datetime as dt

    result = processor.process(msgs, dt.datetime.now(dt.UTC))
    assert result.enriched.schema == ENRICHED_SCHEMA and result.enriched.num_rows == 4
    rows = persistable(result.enriched)
    assert rows.schema == SPEED_SILVER_SCHEMA
    assert set(rows.column("icao24").to_pylist()) == {"a00000"}
    assert segment_key((RAW, 2), 40) == f"{RAW}-p2-000000000040"


def test_every_accepted_state_lands_exactly_once(tmp_path: Path) -> None:
    bus = MemoryBus(partitions=3)
    good = states(30, 40)  # 1,200 states over two UTC hours
    fallback = states(5, 10, prefix="f", source="simulator-fallback")
    runner = make_runner(bus, tmp_path)
    thread, stop = run_in_thread(runner)
    producer = bus.producer()
    publish(producer, good, chunk=200)
    publish(producer, fallback)
    junk = [b"{broken", orjson.dumps({"time": T0}), b"[]"]
    for value in junk:
        producer.send(RAW, b"junk", value)
    total = good.num_rows + fallback.num_rows + len(junk)
    wait_for(lambda: runner.stats.messages == total)
    stop.set()
    thread.join(10)
    assert not thread.is_alive()

    keys = lake_keys(tmp_path)
    assert len(keys) == good.num_rows  # fallback and junk stay out
    assert set(keys) == input_keys(good)
    assert runner.stats.deadletters == len(junk)
    letters = bus.consumer([DEADLETTER], group="check").poll_batch(100, 0.1)
    assert sorted(orjson.loads(m.value)["reason"] for m in letters) == sorted(
        ["invalid_json", "missing_field:icao24", "not_an_object"]
    )
    lake = Lake.open(str(tmp_path / "lake"))
    assert len(lake.partitions(SILVER_SPEED_STATES)) == 2  # one per UTC hour
    # Complete segments were committed; the open one is persisted but not committed.
    committed = bus.committed()
    assert all(offset % 150 == 0 for (topic, _), offset in committed.items() if topic == RAW)
    assert sum(o for (t, _), o in committed.items() if t == RAW) > 0


def test_a_restart_replays_the_open_segment_and_overwrites(tmp_path: Path) -> None:
    bus = MemoryBus(partitions=2)
    first, second = states(10, 20), states(10, 20, prefix="b")
    producer = bus.producer()
    for batch in (first, second):
        runner = make_runner(bus, tmp_path, segment_offsets=70)
        thread, stop = run_in_thread(runner)
        publish(producer, batch, chunk=50)
        wait_for(lambda r=runner: caught_up(bus, r))  # type: ignore[misc]
        stop.set()
        thread.join(10)
    keys = lake_keys(tmp_path)
    assert len(keys) == first.num_rows + second.num_rows
    assert set(keys) == input_keys(first) | input_keys(second)


def test_status_reports_lag_and_counts(tmp_path: Path) -> None:
    bus = MemoryBus(partitions=1)
    runner = make_runner(bus, tmp_path, segment_offsets=1_000)
    thread, stop = run_in_thread(runner)
    publish(bus.producer(), states(3, 10))
    wait_for(lambda: runner.stats.messages == 30)
    time.sleep(0.3)
    status = read_status(tmp_path)
    assert runner.lag() == ({f"{RAW}[0]": 0}, {f"{RAW}[0]": 30})
    part = status["parts"][runner.name]
    assert part["messages"] == 30 and not part["stale"]
    assert part["lag"] == {f"{RAW}[0]": 0}  # all processed
    assert part["uncommitted"] == {f"{RAW}[0]": 30}  # persisted, but the segment is open
    assert status["totals"]["lag"] == 0
    stop.set()
    thread.join(10)


@pytest.mark.parametrize("offsets", [1, 7])
def test_segments_never_cross_their_end(tmp_path: Path, offsets: int) -> None:
    bus = MemoryBus(partitions=1)
    runner = make_runner(bus, tmp_path, segment_offsets=offsets)
    thread, stop = run_in_thread(runner)
    batch = states(2, 10)
    publish(bus.producer(), batch)
    wait_for(lambda: runner.stats.messages == 20)
    stop.set()
    thread.join(10)
    lake = Lake.open(str(tmp_path / "lake"))
    keys = {f.key for m in lake.manifests(SILVER_SPEED_STATES) for f in m.files}
    firsts = sorted(int(k.rsplit("-", 1)[1]) for k in keys)
    assert firsts == list(range(0, 20, offsets))
    assert sorted(lake_keys(tmp_path)) == sorted(input_keys(batch))
