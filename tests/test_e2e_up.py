"""End to end: ``aerolake up`` on real services (Kafka via Tansu, PostgreSQL, S3 via moto,
DuckDB), and again with the Spark engine on a local lake.

Each run first simulates the past UTC hour of history (few aircraft), ingests it and runs the
batch job into the same lake and serving database, so flights with both ends known exist. Then
``run_up`` runs stream + web + scheduler (scheduled jobs off) for some seconds of live
simulation; the test folds the speed layer's current hour into gold and loads the serving
tables itself, so the outcome does not depend on scheduler timing. Assertions: ``/api/live``
over HTTP has aircraft, speed silver and gold (``data_source = 'speed'``) hold the current
hour, all five serving tables are filled, and ``run_up`` stops with 0.
"""

from __future__ import annotations

import datetime as dt
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pyarrow.compute as pc
import pytest

from aerolake.batch import flights as flights_mod
from aerolake.lake import Lake
from aerolake.lake.paths import GOLD_STATES, SILVER_SPEED_STATES
from aerolake.orchestration import jobs
from aerolake.orchestration import load as load_mod
from aerolake.orchestration.history import write_history
from aerolake.orchestration.up import UpConfig, run_up
from aerolake.serving import open_target
from aerolake.settings import Settings
from aerolake.stream.supervisor import Backoff

#: Tansu needs short consumer-group timeouts so a (re)joining consumer gets its partitions fast.
FAST_JOIN = (
    "consumer.session.timeout.ms=3000&consumer.max.poll.interval.ms=3000"
    "&consumer.heartbeat.interval.ms=500"
)
SERVING_TABLES = (
    "fact_flight_history",
    "dim_airspace_heatmap",
    "dim_route_analytics",
    "raw_telemetry",
    "dim_aircraft_utilization",
)
#: Seconds of live simulation the stream runs before the speed layer is folded into gold.
LIVE_S = 20.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(cond: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.5)
    return False


def backfill_last_hour(settings: Settings) -> dt.datetime:
    """Simulate, ingest and batch (with load) the full UTC hour before now; returns its start."""
    start = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
    start -= dt.timedelta(hours=1)
    out = settings.data_dir / "simulated"
    write_history(out, settings.region_def, start, 1, aircraft=15, seed=settings.seed)
    jobs.ingest_job(settings, [out], trigger="cli")
    jobs.batch_job(settings, trigger="cli")
    return start


def speed_rows(lake: Lake) -> int:
    if not lake.partitions(SILVER_SPEED_STATES):
        return 0
    return int(lake.read(SILVER_SPEED_STATES, columns=["icao24"]).num_rows)


def live_aircraft(port: int) -> int:
    try:
        r = httpx.get(f"http://127.0.0.1:{port}/api/live", timeout=2)
    except httpx.HTTPError:
        return 0
    return len(r.json()["aircraft"]) if r.status_code == 200 else 0


def run_scenario(settings: Settings) -> None:
    """The whole acceptance scenario against ``settings`` (see the module docstring)."""
    history_hour = backfill_last_hour(settings)
    config = UpConfig.from_settings(
        settings,
        speed_to_gold_every=None,
        serving_load_every=None,
        simulate_hours=0,
        backoff=Backoff(initial_s=0.2, max_s=2.0, stable_s=30.0),
        drain_timeout_s=30.0,
        tick_s=0.2,
    )
    lake = jobs.open_lake(settings)
    stop = threading.Event()
    codes: list[int] = []
    thread = threading.Thread(
        target=lambda: codes.append(run_up(settings, config, stop_event=stop)), name="up"
    )
    started = dt.datetime.now(dt.UTC)
    thread.start()
    try:
        assert wait_for(lambda: live_aircraft(settings.web_port) > 0, 90), (
            "/api/live got no aircraft from the stream"
        )
        assert wait_for(lambda: speed_rows(lake) > 0, 60), "the stream persisted no states"
        time.sleep(LIVE_S)
        # the states the stream persisted so far lie in the hour(s) since start
        jobs.speed_to_gold_job(settings, trigger="cli")
        jobs.load_job(settings, trigger="cli")
        assert live_aircraft(settings.web_port) > 0
    finally:
        stop.set()
        thread.join(120)
    assert not thread.is_alive(), "run_up did not stop"
    assert codes == [0]

    speed = lake.read(SILVER_SPEED_STATES, columns=["date", "hour"])
    speed_hours = {(r["date"], r["hour"]) for r in speed.to_pylist()}
    assert speed_hours, "speed silver is empty"
    assert min(speed_hours) >= (started.date(), started.hour)  # the live states, not history

    gold = lake.read(GOLD_STATES, columns=["data_source", "date", "hour"])
    for date, hour in speed_hours:
        live_gold = gold.filter(pc.and_(pc.equal(gold["date"], date), pc.equal(gold["hour"], hour)))
        assert live_gold.num_rows > 0, f"gold lacks the live hour {date} {hour}"
        assert set(live_gold["data_source"].to_pylist()) == {"speed"}
    history_gold = gold.filter(
        pc.and_(
            pc.equal(gold["date"], history_hour.date()),
            pc.equal(gold["hour"], history_hour.hour),
        )
    )
    assert set(history_gold["data_source"].to_pylist()) == {"batch"}

    target = open_target(settings.serving)
    try:
        counts = {}
        for table in SERVING_TABLES:
            assert target.table_exists(table), table
            counts[table] = target.query(f"SELECT count(*) AS n FROM {table}").to_pylist()[0]["n"]
        assert all(n > 0 for n in counts.values()), counts
        runs = target.query("SELECT kind, status FROM pipeline_runs").to_pylist()
    finally:
        target.close()
    assert {"ingest", "batch", "speed-to-gold", "load"} <= {r["kind"] for r in runs}
    assert all(r["status"] == "succeeded" for r in runs), runs


@pytest.mark.kafka
@pytest.mark.postgres
@pytest.mark.s3
def test_up_on_kafka_postgres_s3_fills_every_layer_and_the_live_map(
    private_kafka_url: str, pg_url: str, s3_lake_url: str, moto_endpoint: str, tmp_path: Path
) -> None:
    settings = Settings(
        data_dir=tmp_path,
        bus_url=f"{private_kafka_url}?{FAST_JOIN}",
        serving_url=pg_url,
        lake_url=s3_lake_url,
        s3_endpoint=moto_endpoint,
        engine="duckdb",
        source="simulator",
        poll_interval=2.0,
        web_port=free_port(),
        seed=7,
    )
    run_scenario(settings)


@pytest.mark.spark
@pytest.mark.slow
def test_up_with_the_spark_engine_on_a_local_lake(
    spark_session: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[str] = []
    for module in (flights_mod, load_mod):
        real = module.open_engine

        def spy(name: str, *args: Any, _real: Any = real, **kw: Any) -> Any:
            opened.append(name)
            return _real(name, *args, **kw)

        monkeypatch.setattr(module, "open_engine", spy)
    settings = Settings(
        data_dir=tmp_path,
        bus_url="memory://",
        serving_url=None,
        lake_url=None,
        s3_endpoint=None,
        engine="spark",
        spark_master="local[2]",
        spark_driver_memory="1g",
        source="simulator",
        poll_interval=2.0,
        web_port=free_port(),
        seed=7,
    )
    run_scenario(settings)
    # the gold flights step and the serving models ran on Spark
    assert opened and set(opened) == {"spark"}, opened
