"""Shared defaults of the aerolake DAGs (not a DAG itself).

Configuration comes from the environment of the Airflow workers, exactly as for the CLI:
``AEROLAKE_*`` variables (``AEROLAKE_DATA_DIR``, ``AEROLAKE_LAKE_URL``, ``AEROLAKE_SERVING_URL``
with its password, ``AEROLAKE_FILES_PATH`` ...) or an ``aerolake.toml`` named by
``AEROLAKE_CONFIG``. Nothing secret is written here. Retries: ``AEROLAKE_DAG_RETRIES``
(default 2, five minutes apart, doubling); every job is idempotent, so a retry is safe.
"""

from __future__ import annotations

import datetime as dt
import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aerolake.settings import Settings

#: Runs before this are never scheduled (``catchup`` is off: only the latest interval runs).
START_DATE = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
TAGS = ["aerolake"]
#: Written into pipeline_runs.trigger, so a run says Airflow started it.
TRIGGER = "airflow"


def default_args() -> dict[str, Any]:
    return {
        "owner": "aerolake",
        "depends_on_past": False,
        "retries": int(os.environ.get("AEROLAKE_DAG_RETRIES", "2")),
        "retry_delay": dt.timedelta(minutes=5),
        "retry_exponential_backoff": True,
    }


def dag_args() -> dict[str, Any]:
    """The arguments every aerolake DAG shares: no catch-up, one run at a time, the defaults."""
    return {
        "start_date": START_DATE,
        "catchup": False,
        "max_active_runs": 1,
        "default_args": default_args(),
        "tags": TAGS,
    }


def settings() -> Settings:
    """The settings of this worker's environment, read when the task runs (not at parse); sets
    up the task process's allocators as the ``aerolake`` command does (aerolake.memory)."""
    from aerolake import memory
    from aerolake.settings import load_settings

    memory.configure()
    return load_settings()
