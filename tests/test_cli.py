"""The command line as a user types it: help, configuration, simulate -> ingest -> batch -> report."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from aerolake.cli import app

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AEROLAKE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("AEROLAKE_SERVING_URL", raising=False)
    monkeypatch.delenv("AEROLAKE_LAKE_URL", raising=False)
    return tmp_path


def test_help_lists_every_command() -> None:
    out = runner.invoke(app, ["--help"]).output
    for command in ("simulate", "sources", "refdata", "ingest", "batch", "load", "report",
                    "stream", "status", "serve", "up", "demo", "config"):  # fmt: skip
        assert command in out


def test_config_masks_secrets(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENSKY_CLIENT_SECRET", "very-secret-value")
    monkeypatch.setenv("AEROLAKE_SERVING_URL", "postgresql://u:hunter2@db/aero")
    result = runner.invoke(app, ["config"])
    assert result.exit_code == 0
    assert "very-secret-value" not in result.output and "hunter2" not in result.output


def test_bad_configuration_is_a_clear_error(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AEROLAKE_REGION", "atlantis")
    result = runner.invoke(app, ["config"])
    assert result.exit_code != 0
    assert "AEROLAKE_REGION" in str(result.exception) or "AEROLAKE_REGION" in result.output


def test_simulate_ingest_batch_report(env: Path) -> None:
    out = env / "sim"
    result = runner.invoke(
        app,
        ["simulate", "history", "--out", str(out), "--hours", "2", "--aircraft", "20",
         "--start", "2024-06-01T00:00Z", "--format", "csv.gz"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert len(list(out.glob("states_2024-06-01-0*.csv.gz"))) == 2
    assert "state vectors" in result.output

    result = runner.invoke(app, ["ingest", str(out)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["ingest", str(out)])
    assert "unchanged" in result.output

    result = runner.invoke(app, ["batch"])
    assert result.exit_code == 0, result.output
    assert "gold flights" in result.output and "fact_flight_history" in result.output
    again = runner.invoke(app, ["batch"])
    assert "nothing to do" in again.output

    report = runner.invoke(app, ["report"])
    assert report.exit_code == 0
    assert "COMPREHENSIVE METRICS REPORT" in report.output and "SUCCEEDED" in report.output


def test_ingest_of_a_missing_path_says_so(env: Path) -> None:
    result = runner.invoke(app, ["ingest", str(env / "nope")])
    assert result.exit_code != 0
    assert "no such file or directory" in str(result.exception) + result.output
