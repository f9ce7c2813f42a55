"""One frozen settings object, built once at the front door and passed down explicitly.

Sources, in order of precedence: keyword arguments, environment (``AEROLAKE_*``, plus
``OPENSKY_CLIENT_ID`` / ``OPENSKY_CLIENT_SECRET``), then an optional ``aerolake.toml`` in the
working directory (or the file named by ``AEROLAKE_CONFIG``). Nothing here reads configuration
or touches the disk at import time. Secrets are :class:`~pydantic.SecretStr` and never printed.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from aerolake.errors import ConfigError
from aerolake.refdata.regions import Region, parse_region

OPENSKY_API_URL = "https://opensky-network.org/api"
OPENSKY_TOKEN_URL = (
    "https://auth.opensky-network.org/auth/realms/opensky-network/protocol/openid-connect/token"
)


class Settings(BaseSettings):
    """All of aerolake's configuration. See README.md for the table of variables."""

    model_config = SettingsConfigDict(
        env_prefix="AEROLAKE_", frozen=True, extra="ignore", populate_by_name=True
    )

    data_dir: Path = Path("./data")
    lake_url: str | None = None
    serving_url: str | None = None
    bus_url: str = "memory://"
    engine: Literal["duckdb", "spark"] = "duckdb"
    spark_master: str = "local[2]"
    spark_jars: str = ""  # comma-separated local jar files (postgresql.jar, hadoop-aws, SDK bundle)
    spark_driver_memory: str = "2g"
    spark_conf: dict[str, str] = Field(default_factory=dict)  # JSON, e.g. spark.hadoop.fs.s3a.*
    region: str = "india"
    source: Literal["simulator", "opensky", "files"] = "simulator"
    poll_interval: float | None = Field(default=None, gt=0)
    files_path: str | None = None
    seed: int = 42
    opensky_api_url: str = OPENSKY_API_URL
    opensky_token_url: str = OPENSKY_TOKEN_URL
    opensky_timeout_s: float = 20.0
    opensky_credentials_file: Path | None = None
    opensky_client_id: str | None = Field(
        default=None,
        validation_alias=AliasChoices("OPENSKY_CLIENT_ID", "AEROLAKE_OPENSKY_CLIENT_ID"),
    )
    opensky_client_secret: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("OPENSKY_CLIENT_SECRET", "AEROLAKE_OPENSKY_CLIENT_SECRET"),
    )
    opensky_daily_credits: int = 4000
    s3_endpoint: str | None = None
    raw_telemetry_cap: int = Field(default=1_000_000, gt=0)
    schedule_speed_to_gold: str = "1h"  # "off" disables
    schedule_serving_load: str = "6h"
    up_simulate_hours: int = Field(default=0, ge=0)
    up_simulate_aircraft: int = Field(default=300, gt=0)
    web_host: str = "127.0.0.1"
    web_tile_url: str | None = None  # raster tiles for online use: https://.../{z}/{x}/{y}.png
    web_port: int = 8050
    admin_token: SecretStr | None = None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_file = Path(os.environ.get("AEROLAKE_CONFIG", "aerolake.toml"))
        return (
            init_settings,
            env_settings,
            TomlConfigSettingsSource(settings_cls, toml_file=toml_file),
        )

    @field_validator("region")
    @classmethod
    def _region_parses(cls, value: str) -> str:
        parse_region(value)
        return value

    # Derived values -------------------------------------------------------------------------

    @property
    def region_def(self) -> Region:
        return parse_region(self.region)

    @property
    def lake(self) -> str:
        """The lake root: a local path or an ``s3://bucket/prefix`` URL."""
        return self.lake_url or str(self.data_dir / "lake")

    @property
    def serving(self) -> str:
        return self.serving_url or f"duckdb:///{self.data_dir / 'serving.duckdb'}"

    def engine_options(self, engine: str | None = None) -> dict[str, Any]:
        """Keyword options for ``open_engine(engine or self.engine, ...)``."""
        if (engine or self.engine) != "spark":
            return {}
        return {
            "master": self.spark_master,
            "driver_memory": self.spark_driver_memory,
            "jars": [j.strip() for j in self.spark_jars.split(",") if j.strip()],
            "conf": dict(self.spark_conf),
        }

    def opensky_credentials(self) -> tuple[str, str] | None:
        """(client_id, client_secret) from the environment or ``credentials.json``, else None."""
        if self.opensky_client_id and self.opensky_client_secret:
            return self.opensky_client_id, self.opensky_client_secret.get_secret_value()
        path = self.opensky_credentials_file
        if path is None:
            return None
        try:
            data: dict[str, Any] = json.loads(Path(path).read_text())
            return str(data["clientId"]), str(data["clientSecret"])
        except FileNotFoundError as exc:
            raise ConfigError(f"OpenSky credentials file not found: {path}") from exc
        except (KeyError, ValueError, TypeError) as exc:
            raise ConfigError(
                f"OpenSky credentials file {path} must be JSON with keys 'clientId' and "
                "'clientSecret', as downloaded from your OpenSky account page"
            ) from exc

    def redacted(self) -> dict[str, Any]:
        """Settings as a dict fit for printing: secrets and URL passwords masked."""
        out: dict[str, Any] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                value = "***" if value.get_secret_value() else None
            elif isinstance(value, str):
                value = redact_url(value)
            out[name] = value
        out["lake"] = redact_url(self.lake)
        out["serving"] = redact_url(self.serving)
        return out


def redact_url(url: str) -> str:
    """``scheme://user:secret@host`` -> ``scheme://user:***@host``; other strings unchanged."""
    if "://" not in url or "@" not in url:
        return url
    scheme, rest = url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    if ":" in creds:
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}"
    return url


def load_settings(**overrides: Any) -> Settings:
    """Build settings, turning validation failures into a :class:`ConfigError`."""
    from pydantic import ValidationError

    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(f"invalid configuration: {problems}") from exc
