"""The processor end to end on the memory bus: raw messages in, enriched rows, alerts and dead
letters out, offsets committed by the caller."""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson
import pyarrow as pa
import pytest

from aerolake.refdata.airports import load_airports
from aerolake.sources.base import with_provenance
from aerolake.stream.bus import RAW, next_offsets
from aerolake.stream.memory_bus import MemoryBus
from aerolake.stream.messages import encode_batch
from aerolake.stream.processor import Processor
from aerolake.stream.schema import ENRICHED_SCHEMA
from aerolake.stream.tracker import flight_id

NOW = dt.datetime(2024, 3, 4, 12, 0, tzinfo=dt.UTC)
T0 = int(NOW.timestamp()) - 3600
DEL = (28.5665, 77.1031)  # Delhi VIDP


def rows(*specs: dict[str, Any], source: str = "opensky") -> pa.RecordBatch:
    base: dict[str, Any] = {
        "lat": 22.0,
        "lon": 78.0,
        "velocity": 230.0,
        "heading": 0.0,
        "vertrate": 0.0,
        "callsign": "IGO123",
        "onground": False,
        "alert": False,
        "spi": False,
        "squawk": "1234",
        "baroaltitude": 10000.0,
        "geoaltitude": 10050.0,
    }
    records = []
    for spec in specs:
        rec = {**base, **spec}
        rec.setdefault("lastposupdate", float(rec["time"]))
        rec.setdefault("lastcontact", float(rec["time"]))
        records.append(rec)
    table = pa.Table.from_pylist(records)
    return with_provenance(table, source=source, batch_id="poll-1", ingested_at=NOW)


@pytest.fixture(scope="module")
def airports():  # type: ignore[no-untyped-def]
    return load_airports()


def publish(bus: MemoryBus, *batches: pa.RecordBatch, extra: list[bytes] = ()) -> None:  # type: ignore[assignment]
    producer = bus.producer()
    for batch in batches:
        for key, value in encode_batch(batch):
            producer.send(RAW, key, value)
    for value in extra:
        producer.send(RAW, b"junk", value)


def test_end_to_end_on_the_memory_bus(airports) -> None:  # type: ignore[no-untyped-def]
    bus = MemoryBus(partitions=2)
    consumer = bus.consumer([RAW])
    good = rows(
        {
            "time": T0,
            "icao24": "800001",
            "vertrate": 5.0,
            "baroaltitude": 800.0,
            "lat": DEL[0] + 0.01,
            "lon": DEL[1],
        },
        {
            "time": T0 + 10,
            "icao24": "800001",
            "vertrate": 6.0,
            "squawk": "7700",
            "lat": DEL[0] + 0.02,
            "lon": DEL[1],
        },
        {
            "time": T0,
            "icao24": "800002",
            "onground": True,
            "velocity": 5.0,
            "lat": DEL[0],
            "lon": DEL[1],
            "baroaltitude": None,
            "geoaltitude": None,
        },
        {"time": T0 + 10, "icao24": "800003", "lat": 95.0},  # invalid latitude
        {"time": T0 + 20, "icao24": "800001", "lat": 40.0, "lon": DEL[1]},  # ~1300 km in 10 s
    )
    publish(bus, good, extra=[b"{broken", orjson.dumps({"time": T0})])

    messages = consumer.poll_batch(100, 0.1)
    assert len(messages) == 7
    processor = Processor(airports=airports)
    result = processor.process(messages, NOW)

    enriched = result.enriched
    assert enriched.schema == ENRICHED_SCHEMA
    got = {(r["icao24"], r["time"]): r for r in enriched.to_pylist()}
    assert set(got) == {("800001", T0), ("800001", T0 + 10), ("800002", T0)}
    climbing = got[("800001", T0 + 10)]
    assert climbing["phase"] == "climb"
    assert climbing["flight_id"] == flight_id("800001", T0)
    assert climbing["airline_icao"] == "IGO"
    assert climbing["persist"] is True
    assert got[("800001", T0)]["nearest_airport"] == "VIDP"  # low, near Delhi
    assert climbing["nearest_airport"] is None  # 10 km up: not low
    assert got[("800002", T0)]["phase"] == "ground"
    assert got[("800002", T0)]["nearest_airport"] == "VIDP"

    reasons = sorted(d.reason for d in result.deadletters)
    assert reasons == sorted(
        ["invalid_json", "missing_field:icao24", "lat_out_of_range", "implausible_jump"]
    )
    jump = next(d for d in result.deadletters if d.reason == "implausible_jump")
    assert orjson.loads(messages[jump.index].value)["time"] == T0 + 20
    assert jump.payload == messages[jump.index].value

    assert [(a.icao24, a.squawk, a.kind) for a in result.alerts] == [("800001", "7700", "raised")]
    assert result.updated.to_pylist() == ["800001", "800002"]
    assert set(processor.states) == {"800001", "800002"}
    assert processor.stats.messages == 7
    assert processor.stats.deadletters["implausible_jump"] == 1

    consumer.commit(next_offsets(messages))
    assert consumer.poll_batch(100, 0.01) == []


def test_fallback_states_are_tracked_but_not_persisted() -> None:
    processor = Processor()
    bus = MemoryBus()
    consumer = bus.consumer([RAW])
    publish(
        bus,
        rows({"time": T0, "icao24": "800010"}, source="simulator-fallback"),
        rows({"time": T0, "icao24": "800011"}),
    )
    result = processor.process(consumer.poll_batch(10, 0.1), NOW)
    persist = dict(
        zip(
            result.enriched.column("icao24").to_pylist(),
            result.enriched.column("persist").to_pylist(),
            strict=True,
        )
    )
    assert persist == {"800010": False, "800011": True}
    assert set(processor.states) == {"800010", "800011"}


def test_eviction_on_aircraft_time_and_resume_within_the_gap() -> None:
    processor = Processor()
    bus = MemoryBus()
    consumer = bus.consumer([RAW])

    def step(*specs: dict[str, Any]):  # type: ignore[no-untyped-def]
        publish(bus, rows(*specs))
        return processor.process(consumer.poll_batch(100, 0.1), NOW)

    step({"time": T0, "icao24": "800020"}, {"time": T0, "icao24": "800021"})
    result = step({"time": T0 + 400, "icao24": "800021"})
    assert [s.icao24 for s in result.evicted] == ["800020"]
    assert set(processor.states) == {"800021"}
    back = step({"time": T0 + 500, "icao24": "800020", "lat": 22.01})  # gap 500 s <= 600 s
    assert back.enriched.column("flight_id").to_pylist() == [flight_id("800020", T0)]


def test_duplicates_in_a_batch_are_dead_lettered_by_the_batch_rules() -> None:
    processor = Processor()
    bus = MemoryBus()
    consumer = bus.consumer([RAW])
    publish(bus, rows({"time": T0, "icao24": "800030"}, {"time": T0, "icao24": "800030"}))
    result = processor.process(consumer.poll_batch(10, 0.1), NOW)
    assert [d.reason for d in result.deadletters] == ["duplicate"]
    assert result.enriched.num_rows == 1


def test_an_empty_batch_is_fine() -> None:
    result = Processor().process([], NOW)
    assert result.enriched.num_rows == 0
    assert result.enriched.schema == ENRICHED_SCHEMA
