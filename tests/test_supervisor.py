"""The supervisor: exponential backoff with reset, truthful exit codes, draining on stop."""

from __future__ import annotations

import itertools
import os
import signal
import threading
import time
from pathlib import Path

import pytest

from aerolake.stream.status import prometheus, read_status
from aerolake.stream.supervisor import (
    Backoff,
    Exit,
    ProcessComponent,
    Supervisor,
    ThreadComponent,
    describe_exit,
)


def test_backoff_doubles_from_one_to_sixty_seconds() -> None:
    b = Backoff()
    assert [b.delay(n) for n in range(1, 10)] == [1, 2, 4, 8, 16, 32, 60, 60, 60]


def test_exit_codes_are_described_truthfully() -> None:
    assert describe_exit(-9) == "killed by SIGKILL (exit code -9)"
    assert describe_exit(3) == "exit code 3"


def failing(stop: threading.Event, runs: list[float], fail_times: int) -> None:
    runs.append(time.monotonic())
    if len(runs) <= fail_times:
        raise RuntimeError(f"failure {len(runs)}")
    stop.wait()


def run_until(supervisor: Supervisor, condition: object, within_s: float = 20.0) -> int:
    stop = threading.Event()
    result: list[int] = []
    thread = threading.Thread(target=lambda: result.append(supervisor.run(stop)), daemon=True)
    thread.start()
    deadline = time.monotonic() + within_s
    while not condition() and time.monotonic() < deadline:  # type: ignore[operator]
        time.sleep(0.01)
    stop.set()
    thread.join(10)
    assert result, "supervisor did not stop"
    return result[0]


def test_a_crashing_thread_is_restarted_with_growing_delays(tmp_path: Path) -> None:
    runs: list[float] = []
    exits: list[Exit] = []
    component = ThreadComponent("worker", failing, runs, 4)
    supervisor = Supervisor(
        [component],
        backoff=Backoff(initial_s=0.05, max_s=0.2, stable_s=30),
        data_dir=tmp_path,
        tick_s=0.005,
        on_exit=exits.append,
    )
    code = run_until(supervisor, lambda: len(runs) == 5 and component.alive())
    assert code == 0  # the last run drained cleanly
    assert [e.restart_in_s for e in exits[:4]] == [0.05, 0.1, 0.2, 0.2]
    assert [e.code for e in exits[:4]] == [1, 1, 1, 1]
    gaps = [b - a for a, b in itertools.pairwise(runs)]
    assert all(g >= d for g, d in zip(gaps, [0.05, 0.1, 0.2, 0.2], strict=True))
    assert supervisor.restarts == {"worker": 4}
    status = read_status(tmp_path)
    assert status["parts"]["supervisor"]["restarts"] == {"worker": 4}
    assert prometheus(status)['aerolake_stream_component_restarts_total{component="worker"}'] == 4


def test_the_delay_resets_after_a_stable_run() -> None:
    runs: list[float] = []
    exits: list[Exit] = []

    def flaky(stop: threading.Event) -> None:
        runs.append(time.monotonic())
        if len(runs) in (1, 2):
            raise RuntimeError("early failure")
        if len(runs) == 3:
            time.sleep(0.3)  # longer than stable_s
            raise RuntimeError("failure after a stable run")
        stop.wait()

    supervisor = Supervisor(
        [ThreadComponent("flaky", flaky)],
        backoff=Backoff(initial_s=0.02, max_s=1.0, stable_s=0.2),
        tick_s=0.005,
        on_exit=exits.append,
    )
    run_until(supervisor, lambda: len(runs) == 4)
    assert [e.restart_in_s for e in exits[:3]] == [0.02, 0.04, 0.02]


def exit_with(stop: threading.Event, code: int) -> None:
    os._exit(code)


def sleep_until_stopped(stop: threading.Event, marker: str) -> None:
    Path(marker + ".ready").touch()  # the SIGTERM handler is installed by now
    stop.wait()
    Path(marker).write_text("drained")


def test_process_exit_codes_and_sigkill_are_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    exits: list[Exit] = []
    marker = tmp_path / "drained"
    sleeper = ProcessComponent("sleeper", sleep_until_stopped, str(marker))
    quitter = ProcessComponent("quitter", exit_with, 3)
    supervisor = Supervisor(
        [sleeper, quitter],
        backoff=Backoff(initial_s=60, max_s=60, stable_s=60),  # no restart within the test
        tick_s=0.01,
        on_exit=exits.append,
    )
    killed: list[int] = []

    def condition() -> bool:
        if not killed and sleeper.pid and sleeper.alive() and any(e.code == 3 for e in exits):
            os.kill(sleeper.pid, signal.SIGKILL)
            killed.append(sleeper.pid)
        return len(exits) >= 2

    with caplog.at_level("ERROR"):
        code = run_until(supervisor, condition, within_s=30)
    assert {(e.component, e.code) for e in exits[:2]} == {("quitter", 3), ("sleeper", -9)}
    assert "killed by SIGKILL" in caplog.text and "exit code 3" in caplog.text
    assert code == 1  # nothing was running cleanly at the end
    assert not marker.exists()


def test_stop_lets_a_process_drain(tmp_path: Path) -> None:
    marker = tmp_path / "drained"
    sleeper = ProcessComponent("sleeper", sleep_until_stopped, str(marker))
    supervisor = Supervisor([sleeper], tick_s=0.01)
    code = run_until(supervisor, Path(f"{marker}.ready").exists)
    assert code == 0
    assert marker.read_text() == "drained"
