"""Settings: defaults, environment, aerolake.toml, credentials, redaction."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aerolake.errors import ConfigError
from aerolake.settings import load_settings, redact_url


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import os

    for key in list(os.environ):
        if key.startswith(("AEROLAKE_", "OPENSKY_")):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)


def test_defaults_derive_from_data_dir() -> None:
    s = load_settings(data_dir=Path("/x"))
    assert s.lake == "/x/lake"
    assert s.serving == "duckdb:////x/serving.duckdb"
    assert (s.bus_url, s.engine, s.source, s.region) == (
        "memory://",
        "duckdb",
        "simulator",
        "india",
    )
    assert s.region_def.bbox.area_sq_deg == pytest.approx(930.0)


def test_environment_and_toml(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "aerolake.toml").write_text('engine = "spark"\nregion = "europe"\n')
    monkeypatch.setenv("AEROLAKE_REGION", "10,70,20,80")
    s = load_settings()
    assert s.engine == "spark"  # from the file
    assert s.region_def.bbox.lamin == 10 and s.region_def.name == "custom"  # env beats file


def test_settings_are_frozen() -> None:
    s = load_settings()
    with pytest.raises(Exception, match="frozen"):
        s.engine = "spark"  # type: ignore[misc]


@pytest.mark.parametrize("bad", ["atlantis", "1,2,3", "10,70,5,80", "a,b,c,d"])
def test_bad_region_is_a_config_error(bad: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AEROLAKE_REGION", bad)
    with pytest.raises(ConfigError, match=r"region|AEROLAKE_REGION"):
        load_settings()


def test_credentials_from_env_and_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert load_settings().opensky_credentials() is None
    creds = tmp_path / "credentials.json"
    creds.write_text(json.dumps({"clientId": "me", "clientSecret": "s3cr3t-value"}))
    s = load_settings(opensky_credentials_file=creds)
    assert s.opensky_credentials() == ("me", "s3cr3t-value")
    monkeypatch.setenv("OPENSKY_CLIENT_ID", "env-id")
    monkeypatch.setenv("OPENSKY_CLIENT_SECRET", "env-secret-value")
    s = load_settings()
    assert s.opensky_credentials() == ("env-id", "env-secret-value")
    assert "env-secret-value" not in repr(s) and "env-secret-value" not in str(s.redacted())


def test_malformed_credentials_file(tmp_path: Path) -> None:
    creds = tmp_path / "credentials.json"
    creds.write_text('{"id": 1}')
    with pytest.raises(ConfigError, match="clientId"):
        load_settings(opensky_credentials_file=creds).opensky_credentials()


def test_url_passwords_are_redacted() -> None:
    url = "postgresql://aero:hunter2@db:5432/aero"
    assert redact_url(url) == "postgresql://aero:***@db:5432/aero"
    s = load_settings(serving_url=url)
    assert "hunter2" not in str(s.redacted())
