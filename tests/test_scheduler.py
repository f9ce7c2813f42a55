"""The embedded scheduler: interval parsing, aligned due times, no overlap, failures retried at
the next tick, manual triggers. Driven by a fake clock; jobs run inline unless overlap is tested."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from aerolake.errors import ConfigError
from aerolake.orchestration.scheduler import Job, Scheduler, next_due, parse_interval

T0 = dt.datetime(2024, 6, 1, 10, 17, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)


class FakeClock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("30m", 1800), ("1h", 3600), ("6h", 21600), ("1d", 86400), ("45", 45)],
)
def test_parse_interval(text: str, seconds: int) -> None:
    assert parse_interval(text) == dt.timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["off", "never", "0", "OFF"])
def test_parse_interval_off(text: str) -> None:
    assert parse_interval(text) is None


@pytest.mark.parametrize("text", ["hourly", "1w", "-1h", "0.5s"])
def test_parse_interval_rejects(text: str) -> None:
    with pytest.raises(ConfigError):
        parse_interval(text)


def test_next_due_is_aligned_to_the_interval_in_utc() -> None:
    assert next_due(T0, HOUR) == dt.datetime(2024, 6, 1, 11, tzinfo=dt.UTC)
    assert next_due(dt.datetime(2024, 6, 1, 11, tzinfo=dt.UTC), HOUR) == dt.datetime(
        2024, 6, 1, 12, tzinfo=dt.UTC
    )
    assert next_due(T0, 6 * HOUR) == dt.datetime(2024, 6, 1, 12, tzinfo=dt.UTC)


def test_a_job_runs_when_due_and_then_every_interval() -> None:
    clock = FakeClock(T0)
    calls: list[dt.datetime] = []
    sched = Scheduler([Job("j", HOUR, lambda: calls.append(clock()))], clock=clock, threaded=False)
    assert sched.tick() == []
    clock.now = dt.datetime(2024, 6, 1, 11, 0, 1, tzinfo=dt.UTC)
    assert sched.tick() == ["j"]
    assert sched.tick() == []  # not twice in the same interval
    clock.now += HOUR
    assert sched.tick() == ["j"]
    state = sched.state()["j"]
    assert state["runs"] == 2 and state["status"] == "succeeded"
    assert state["next_due"] == "2024-06-01T13:00:00+00:00"


def test_at_start_job_runs_once_on_the_first_tick() -> None:
    clock = FakeClock(T0)
    calls: list[str] = []
    sched = Scheduler(
        [Job("once", None, lambda: calls.append("once"), at_start=True)],
        clock=clock,
        threaded=False,
    )
    assert sched.tick() == ["once"]
    clock.now += 10 * HOUR
    assert sched.tick() == []
    assert calls == ["once"]


def test_a_disabled_job_never_runs() -> None:
    sched = Scheduler([Job("off", None, lambda: None)], clock=FakeClock(T0), threaded=False)
    assert sched.tick(T0 + 100 * HOUR) == []
    assert sched.state()["off"]["status"] == "never"


def test_a_failure_is_recorded_and_retried_at_the_next_tick() -> None:
    clock = FakeClock(T0)
    outcomes = iter([RuntimeError("lake unreachable"), None])

    def job() -> None:
        outcome = next(outcomes)
        if outcome is not None:
            raise outcome

    sched = Scheduler([Job("j", HOUR, job)], clock=clock, threaded=False)
    clock.now = dt.datetime(2024, 6, 1, 11, tzinfo=dt.UTC)
    assert sched.tick() == ["j"]
    state = sched.state()["j"]
    assert state["status"] == "failed"
    assert state["last_error"] == "RuntimeError: lake unreachable"
    assert state["failures"] == 1
    clock.now += HOUR
    assert sched.tick() == ["j"]
    state = sched.state()["j"]
    assert state["status"] == "succeeded" and state["last_error"] is None
    assert (state["runs"], state["failures"]) == (2, 1)


def test_no_overlap_a_running_job_skips_its_next_tick() -> None:
    clock = FakeClock(T0)
    release, started = threading.Event(), threading.Event()
    runs: list[int] = []

    def slow() -> None:
        runs.append(1)
        started.set()
        release.wait(10)

    sched = Scheduler([Job("slow", HOUR, slow)], clock=clock)
    clock.now = dt.datetime(2024, 6, 1, 11, tzinfo=dt.UTC)
    assert sched.tick() == ["slow"]
    assert started.wait(5)
    clock.now += HOUR
    assert sched.tick() == []  # still running: skipped, not queued
    assert sched.trigger("slow") is False
    assert sched.state()["slow"]["skipped"] == 1
    assert sched.state()["slow"]["running"] is True
    release.set()
    thread = sched.states["slow"].thread
    assert thread is not None
    thread.join(5)
    clock.now += HOUR
    assert sched.tick() == ["slow"]
    sched.states["slow"].thread.join(5)  # type: ignore[union-attr]
    assert len(runs) == 2


def test_trigger_runs_now_without_moving_the_schedule() -> None:
    clock = FakeClock(T0)
    calls: list[str] = []
    sched = Scheduler([Job("j", HOUR, lambda: calls.append("j"))], clock=clock, threaded=False)
    assert sched.trigger("j") is True
    assert calls == ["j"]
    assert sched.state()["j"]["next_due"] == "2024-06-01T11:00:00+00:00"


def test_run_ticks_until_stopped() -> None:
    stop = threading.Event()
    done = threading.Event()

    def job() -> None:
        done.set()
        stop.set()

    sched = Scheduler([Job("j", HOUR, job, at_start=True)])
    sched.run(stop, tick_s=0.01, join_s=5)
    assert done.is_set()


def test_job_names_must_be_unique() -> None:
    with pytest.raises(ValueError, match="unique"):
        Scheduler([Job("a", HOUR, lambda: None), Job("a", HOUR, lambda: None)])
