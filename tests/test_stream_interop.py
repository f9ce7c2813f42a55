"""The message contract: states written by another Kafka client in the documented JSON format
are processed exactly like our producer's, and junk is dead-lettered.

The other client is kafka-python, a pure-Python implementation of the Kafka protocol that
shares nothing with our librdkafka-based stack. (Debian 12's kcat was the first choice; its
librdkafka 2.0 cannot negotiate API versions with the Tansu broker used here.)"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path
from urllib.parse import urlparse

import jsonschema
import pytest
from kafka import KafkaProducer

from aerolake.lake import Lake
from aerolake.stream.bus import DEADLETTER, RAW, open_bus
from aerolake.stream.persist import SpeedSink
from aerolake.stream.processor import Processor
from aerolake.stream.runner import Runner
from test_stream_runner import lake_has, run_in_thread, wait_for

pytestmark = pytest.mark.kafka

FAST_JOIN = (
    "consumer.session.timeout.ms=3000&consumer.max.poll.interval.ms=3000"
    "&consumer.heartbeat.interval.ms=500"
)
SCHEMA = json.loads((Path(__file__).parents[1] / "docs" / "state-message.schema.json").read_text())


def message(icao24: str, t: int, k: int) -> dict[str, object]:
    """One state written by hand from the documented contract, not by our encoder."""
    return {
        "time": t,
        "icao24": icao24,
        "lat": 19.0 + 0.01 * k,
        "lon": 73.0,
        "velocity": 220.5,
        "heading": 10.0,
        "vertrate": -1.5,
        "callsign": "AIC101  ",
        "onground": False,
        "alert": False,
        "spi": False,
        "squawk": "2000",
        "baroaltitude": 9000.0,
        "geoaltitude": 9100.0,
        "lastposupdate": float(t),
        "lastcontact": float(t),
        "origin_country": "India",
        "source": "opensky",
    }


def test_another_clients_messages_are_processed_like_ours(
    private_kafka_url: str, tmp_path: Path
) -> None:
    kafka_url = private_kafka_url
    broker = urlparse(kafka_url).netloc
    t0 = (int(dt.datetime.now(dt.UTC).timestamp()) // 60 - 30) * 60
    prefix = uuid.uuid4().hex[:1]
    good = [message(f"{prefix}{i:05x}", t0 + 10 * k, k) for i in range(4) for k in range(25)]
    for doc in good:
        jsonschema.validate(doc, SCHEMA)
    junk = ["{not json", json.dumps({"time": t0, "icao24": "800001"})]
    producer = KafkaProducer(bootstrap_servers=broker)
    for doc in good:
        producer.send(RAW, key=str(doc["icao24"]).encode(), value=json.dumps(doc).encode())
    for value in junk:
        producer.send(RAW, key=b"junk", value=value.encode())
    producer.flush(30)
    producer.close()

    bus = open_bus(f"{kafka_url}?{FAST_JOIN}")
    group = f"interop-{uuid.uuid4().hex[:8]}"
    sink = SpeedSink(Lake.open(str(tmp_path / "lake")), segment_offsets=5000)
    runner = Runner(
        bus, sink, Processor, group=group, data_dir=tmp_path, batch_size=5000,
        poll_timeout_s=0.2, flush_interval_s=0.2, status_interval_s=0.5,
    )  # fmt: skip
    thread, stop = run_in_thread(runner)
    try:
        expected = {(str(m["icao24"]), int(m["time"])) for m in good}  # type: ignore[call-overload]
        # The raw topic is shared by the session's Kafka tests: a new group reads them all first.
        wait_for(lambda: lake_has(tmp_path, expected, prefix=prefix), within_s=120)
    finally:
        stop.set()
        thread.join(30)
    assert runner.stats.deadletters >= len(junk)
    letters = bus.consumer([DEADLETTER], group=f"{group}-check").poll_batch(1000, 5.0)
    reasons = {json.loads(m.value)["reason"] for m in letters if m.key == b"junk"}
    assert "invalid_json" in reasons
    assert any(r.startswith("missing_field") for r in reasons)
