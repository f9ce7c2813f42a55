"""Health checks really probe, and report failures instead of raising."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aerolake.serving import open_target
from aerolake.serving.health import check_bus, check_lake_writable, check_serving, check_spark


def test_lake_probe_writes_and_removes_a_file(tmp_path: Path) -> None:
    check = check_lake_writable(str(tmp_path))
    assert check.ok, check.detail
    assert check.duration_ms >= 0 and check.checked_at.tzinfo is not None
    assert list((tmp_path / "_health").iterdir()) == []


def test_lake_probe_fails_where_nothing_can_be_written(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    check = check_lake_writable(str(blocker / "lake"))
    assert not check.ok
    assert check.name == "lake_writable" and check.detail


def test_serving_probe_runs_a_query(tmp_path: Path) -> None:
    target = open_target(f"duckdb:///{tmp_path / 's.duckdb'}")
    assert check_serving(target).ok
    target.close()
    assert not check_serving(target).ok  # a closed connection answers nothing


def test_bus_probe_reports_the_failure_with_a_redacted_url() -> None:
    def refuse() -> None:
        raise ConnectionRefusedError("refused")

    check = check_bus("kafka://user:pw@127.0.0.1:1", refuse)
    assert not check.ok and "ConnectionRefusedError" in check.detail
    assert check_bus("kafka://user:pw@127.0.0.1:1", lambda: None).detail == (
        "bus kafka://user:***@127.0.0.1:1 reachable"
    )


def test_spark_probe_checks_the_answer() -> None:
    class FakeSession:
        version = "3.5"

        def __init__(self, count: int) -> None:
            self._count = count

        def range(self, _n: int) -> Any:
            return self

        def count(self) -> int:
            return self._count

    assert check_spark(FakeSession(1)).ok
    assert not check_spark(FakeSession(0)).ok
