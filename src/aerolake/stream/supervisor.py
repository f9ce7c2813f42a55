"""Run the stream's parts and restart whichever fails, with exponential backoff.

A part is a :class:`ProcessComponent` (its own OS process, started with ``spawn``: a crash or
``kill -9`` takes only it down) or a :class:`ThreadComponent` (a thread of this process; used
with the in-process ``memory://`` bus, which processes cannot share — there an exception in
the thread is the crash, and a restart resumes from the bus's committed offsets).

- Restart delays double from ``initial_s`` to ``max_s`` (1 s to 60 s); a part that ran for at
  least ``stable_s`` before failing starts again from ``initial_s``.
- Every exit is logged with its true exit code (negative: killed by that signal; a thread that
  raised exits 1, one that returned exits 0) and counted; counts and last exit codes are in
  :attr:`Supervisor.restarts` / :attr:`Supervisor.last_exit` and the ``supervisor`` status.
- Stopping (``stop`` set, e.g. by SIGTERM): every part is asked to drain (SIGTERM to
  processes, its stop event to threads), flush and commit; one still running after
  ``drain_timeout_s`` is killed, and that is logged too.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any, Protocol

from aerolake.stream.status import write_status

log = logging.getLogger(__name__)

Target = Callable[..., None]  # target(stop: threading.Event, *args)


@dataclass(frozen=True)
class Backoff:
    initial_s: float = 1.0
    max_s: float = 60.0
    stable_s: float = 60.0

    def delay(self, failures: int) -> float:
        """Seconds to wait before restart number ``failures`` (1-based) of an unstable run."""
        return float(min(self.max_s, self.initial_s * 2 ** max(0, failures - 1)))


@dataclass(frozen=True)
class Exit:
    component: str
    code: int | None
    uptime_s: float
    restart_in_s: float | None  # None when the supervisor was stopping


class Component(Protocol):
    name: str

    def start(self) -> None: ...

    def alive(self) -> bool: ...

    def exit_code(self) -> int | None: ...

    def stop(self) -> None: ...

    def join(self, timeout_s: float) -> None: ...

    def kill(self) -> None: ...


def describe_exit(code: int | None) -> str:
    if code is None:
        return "unknown exit"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name} (exit code {code})"
        except ValueError:
            return f"killed by signal {-code} (exit code {code})"
    return f"exit code {code}"


class ThreadComponent:
    """``target(stop)`` in a thread; raising is a crash (exit code 1), returning is exit 0."""

    def __init__(self, name: str, target: Target, *args: Any) -> None:
        self.name = name
        self.target = target
        self.args = args
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._code: int | None = None

    def _main(self) -> None:
        try:
            self.target(self._stop, *self.args)
            self._code = 0
        except BaseException:
            log.exception("%s crashed", self.name)
            self._code = 1

    def start(self) -> None:
        self._stop = threading.Event()
        self._code = None
        self._thread = threading.Thread(target=self._main, name=self.name, daemon=True)
        self._thread.start()

    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def exit_code(self) -> int | None:
        return self._code

    @property
    def pid(self) -> int | None:
        return None

    def stop(self) -> None:
        self._stop.set()

    def join(self, timeout_s: float) -> None:
        if self._thread is not None:
            self._thread.join(timeout_s)

    def kill(self) -> None:
        log.error("%s: a thread cannot be killed; abandoning it (daemon)", self.name)


def _process_main(target: Target, args: tuple[Any, ...]) -> None:
    """Child entry point: SIGTERM sets the stop event, so the target drains and returns."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the supervisor decides; it sends SIGTERM
    target(stop, *args)


class ProcessComponent:
    """``target(stop, *args)`` in a spawned process; ``target`` must be a module-level function
    and ``args`` picklable."""

    def __init__(self, name: str, target: Target, *args: Any) -> None:
        self.name = name
        self.target = target
        self.args = args
        self._proc: BaseProcess | None = None

    def start(self) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._proc = ctx.Process(
            target=_process_main, args=(self.target, self.args), name=self.name, daemon=False
        )
        self._proc.start()

    def alive(self) -> bool:
        return self._proc is not None and self._proc.is_alive()

    def exit_code(self) -> int | None:
        return None if self._proc is None else self._proc.exitcode

    @property
    def pid(self) -> int | None:
        return None if self._proc is None else self._proc.pid

    def stop(self) -> None:
        if self._proc is not None and self._proc.is_alive():
            self._proc.terminate()  # SIGTERM: drain, flush, commit

    def join(self, timeout_s: float) -> None:
        if self._proc is not None:
            self._proc.join(timeout_s)

    def kill(self) -> None:
        if self._proc is not None and self._proc.is_alive():
            self._proc.kill()
            self._proc.join(5)


class Supervisor:
    """See the module docstring. ``tick_s`` is how often exits are noticed."""

    def __init__(
        self,
        components: Sequence[Component],
        *,
        backoff: Backoff = Backoff(),
        drain_timeout_s: float = 30.0,
        data_dir: Path | None = None,
        tick_s: float = 0.1,
        on_exit: Callable[[Exit], None] | None = None,
    ) -> None:
        self.components = list(components)
        self.backoff = backoff
        self.drain_timeout_s = drain_timeout_s
        self.data_dir = data_dir
        self.tick_s = tick_s
        self.on_exit = on_exit
        self.restarts: dict[str, int] = {c.name: 0 for c in components}
        self.last_exit: dict[str, int | None] = {c.name: None for c in components}
        self.exits: list[Exit] = []
        self._failures: dict[str, int] = {c.name: 0 for c in components}
        self._started: dict[str, float] = {}
        self._restart_at: dict[str, float] = {}
        self._last_status = 0.0

    def component(self, name: str) -> Component:
        return next(c for c in self.components if c.name == name)

    def run(self, stop: threading.Event) -> int:
        """Supervise until ``stop`` is set; then drain. Returns 0 if every part stopped
        cleanly (exit code 0), else 1."""
        for c in self.components:
            self._start(c)
        while not stop.is_set():
            now = time.monotonic()
            for c in self.components:
                if c.name in self._restart_at:
                    if now >= self._restart_at[c.name]:
                        del self._restart_at[c.name]
                        self.restarts[c.name] += 1
                        log.warning("restarting %s (restart %d)", c.name, self.restarts[c.name])
                        self._start(c)
                elif not c.alive():
                    self._exited(c, now)
            self._write_status()
            stop.wait(self.tick_s)
        return self._drain()

    def _start(self, c: Component) -> None:
        c.start()
        self._started[c.name] = time.monotonic()

    def _exited(self, c: Component, now: float) -> None:
        code = c.exit_code()
        uptime = now - self._started[c.name]
        if uptime >= self.backoff.stable_s:
            self._failures[c.name] = 0
        self._failures[c.name] += 1
        delay = self.backoff.delay(self._failures[c.name])
        self._restart_at[c.name] = now + delay
        self.last_exit[c.name] = code
        event = Exit(c.name, code, uptime, delay)
        self.exits.append(event)
        log.error(
            "%s stopped unexpectedly: %s after %.1f s; restarting in %.1f s",
            c.name,
            describe_exit(code),
            uptime,
            delay,
        )
        if self.on_exit is not None:
            self.on_exit(event)

    def _drain(self) -> int:
        log.info("stopping: asking %s to drain", ", ".join(c.name for c in self.components))
        self._restart_at.clear()
        for c in self.components:
            c.stop()
        clean = True
        deadline = time.monotonic() + self.drain_timeout_s
        for c in self.components:
            c.join(max(0.0, deadline - time.monotonic()))
            if c.alive():
                log.error(
                    "%s did not drain within %.0f s; killing it", c.name, self.drain_timeout_s
                )
                c.kill()
                clean = False
            code = c.exit_code()
            self.last_exit[c.name] = code
            self.exits.append(Exit(c.name, code, time.monotonic() - self._started[c.name], None))
            log.info("%s stopped: %s", c.name, describe_exit(code))
            clean = clean and code == 0
        self._write_status(force=True)
        return 0 if clean else 1

    def _write_status(self, force: bool = False) -> None:
        now = time.monotonic()
        if self.data_dir is None or (not force and now - self._last_status < 2.0):
            return
        self._last_status = now
        total = sum(self.restarts.values())
        write_status(
            self.data_dir,
            "supervisor",
            {
                "restarts": self.restarts,
                "last_exit": self.last_exit,
                "waiting": {k: round(v - now, 1) for k, v in self._restart_at.items()},
                "summary": f"{len(self.components)} parts, {total} restarts",
            },
        )
