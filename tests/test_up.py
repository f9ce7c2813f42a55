"""``aerolake up``: configuration, the status file and its lines, and a real run of stream + web
+ scheduler in one process on the memory bus (live map fed, jobs recorded, clean stop), plus
restart of a crashed component."""

from __future__ import annotations

import datetime as dt
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from aerolake.orchestration import up as up_mod
from aerolake.orchestration.up import (
    Up,
    UpConfig,
    format_status,
    last_runs,
    read_status,
    run_up,
    schedule,
    write_status,
)
from aerolake.serving import open_target
from aerolake.settings import Settings, load_settings
from aerolake.stream.supervisor import Backoff

FAST = Backoff(initial_s=0.1, max_s=0.5, stable_s=5.0)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def settings_for(data_dir: Path, **kw: Any) -> Settings:
    return load_settings(
        data_dir=data_dir,
        lake_url=None,
        serving_url=None,
        bus_url="memory://",
        source="simulator",
        **kw,
    )


def wait_for(cond: Callable[[], bool], timeout_s: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.2)
    return False


def test_config_defaults_from_settings(tmp_path: Path) -> None:
    config = UpConfig.from_settings(settings_for(tmp_path))
    assert config.speed_to_gold_every == dt.timedelta(hours=1)
    assert config.serving_load_every == dt.timedelta(hours=6)
    assert config.simulate_hours == 0
    assert UpConfig.from_settings(settings_for(tmp_path), simulate_hours=3).simulate_hours == 3


def test_schedule_has_the_backfill_only_when_asked(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    assert [j.name for j in schedule(settings, UpConfig())] == ["speed-to-gold", "serving-load"]
    jobs = {j.name: j for j in schedule(settings, UpConfig(simulate_hours=2))}
    assert jobs["history"].at_start and jobs["history"].every is None
    assert jobs["serving-load"].every == dt.timedelta(hours=6)


def test_nothing_to_run_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="nothing to run"):
        Up(settings_for(tmp_path), UpConfig(stream=False, web=False, scheduler=False))


def test_the_web_batch_button_runs_speed_to_gold_and_reports_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []

    def failing(settings: Settings, *, trigger: str) -> None:
        calls.append(trigger)
        raise RuntimeError("lake gone")

    monkeypatch.setattr(up_mod.jobs, "speed_to_gold_job", failing)
    app = Up(settings_for(tmp_path), UpConfig(stream=False, web=False))
    with pytest.raises(RuntimeError, match="lake gone"):
        app.batch_runner()
    assert calls == ["schedule"]
    assert app.status()["jobs"]["speed-to-gold"]["failures"] == 1


def test_status_file_round_trip_and_lines(tmp_path: Path) -> None:
    assert read_status(tmp_path) is None
    assert "not running" in format_status(None)[0]
    doc = {
        "pid": 42,
        "started_at": "2024-06-01T00:00:00+00:00",
        "stopped": False,
        "web": "http://127.0.0.1:8050/",
        "components": {"stream": {"alive": False, "restarts": 2, "last_exit": 1}},
        "jobs": {
            "speed-to-gold": {
                "every_s": 3600.0,
                "status": "failed",
                "last_error": "LakeError: gone",
                "next_due": "2024-06-01T01:00:00+00:00",
                "runs": 3,
                "failures": 1,
                "skipped": 0,
            }
        },
    }
    write_status(tmp_path, doc)
    read = read_status(tmp_path)
    assert read is not None and read["pid"] == 42
    lines = format_status(read, now=read["updated_at"] + 1)
    assert lines[0].startswith("up: running, pid 42")
    assert any("stream" in ln and "DOWN" in ln and "2 restarts" in ln for ln in lines)
    assert any("failed (LakeError: gone)" in ln for ln in lines)
    assert "not running" in format_status(read, now=read["updated_at"] + 600)[0]
    assert format_status({**read, "stopped": True})[0].startswith("up: stopped")


@pytest.mark.slow
def test_up_runs_stream_web_and_scheduler_and_stops_cleanly(tmp_path: Path) -> None:
    port = free_port()
    settings = settings_for(tmp_path, web_port=port, poll_interval=1.0)
    config = UpConfig(
        speed_to_gold_every=dt.timedelta(seconds=2),
        serving_load_every=dt.timedelta(seconds=3),
        simulate_hours=1,
        simulate_aircraft=20,
        backoff=FAST,
        tick_s=0.1,
        drain_timeout_s=30,
    )
    stop = threading.Event()
    codes: list[int] = []
    thread = threading.Thread(
        target=lambda: codes.append(run_up(settings, config, stop_event=stop))
    )
    thread.start()
    try:

        def jobs_done() -> bool:
            doc = read_status(tmp_path)
            if doc is None:
                return False
            state = doc["jobs"]
            return state["history"]["status"] == "succeeded" and all(
                state[j]["status"] == "succeeded" and state[j]["runs"] >= 2
                for j in ("speed-to-gold", "serving-load")
            )

        assert wait_for(jobs_done, 120), read_status(tmp_path)

        def live() -> bool:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/api/live", timeout=2)
            except httpx.HTTPError:
                return False
            return r.status_code == 200 and len(r.json()["aircraft"]) > 0

        assert wait_for(live, 60), "the live map got no aircraft from the in-process stream"
        doc = read_status(tmp_path)
        assert doc is not None
        assert {n: c["alive"] for n, c in doc["components"].items()} == {
            "stream": True,
            "web": True,
            "scheduler": True,
        }
    finally:
        stop.set()
        thread.join(90)
    assert not thread.is_alive()
    assert codes == [0]
    final = read_status(tmp_path)
    assert final is not None and final["stopped"] is True
    target = open_target(settings.serving)
    try:
        runs = last_runs(target, limit=100)
    finally:
        target.close()
    kinds = {r["kind"] for r in runs}
    assert {"ingest", "batch", "speed-to-gold", "load"} <= kinds
    assert {r["trigger"] for r in runs} == {"schedule"}
    assert all(r["status"] == "succeeded" for r in runs), runs
    # the stream wrote its status beside ours
    assert (tmp_path / "stream").is_dir()


def test_a_crashed_component_is_restarted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    starts: list[float] = []

    def flaky_stream(stop: threading.Event, settings: Settings, hub: Any) -> None:
        starts.append(time.monotonic())
        if len(starts) < 3:
            raise RuntimeError("boom")
        stop.wait()

    monkeypatch.setattr(up_mod, "_run_stream", flaky_stream)
    settings = settings_for(tmp_path)
    config = UpConfig(web=False, backoff=FAST, tick_s=0.05, drain_timeout_s=5)
    stop = threading.Event()
    app = Up(settings, config)
    thread = threading.Thread(target=lambda: app.run(stop))
    thread.start()
    try:
        assert wait_for(lambda: len(starts) >= 3, 20)
        assert wait_for(lambda: app.status()["components"]["stream"]["alive"], 5)
    finally:
        stop.set()
        thread.join(30)
    status = app.status()["components"]["stream"]
    assert status["restarts"] == 2
    assert status["last_exit"] == 0  # the third start drained cleanly on stop
    assert starts[2] - starts[1] >= FAST.initial_s  # a backoff, not a hot loop
