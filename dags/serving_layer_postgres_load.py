"""Serving layer load, every 6 hours: gold -> the serving tables (PostgreSQL in production,
whatever ``AEROLAKE_SERVING_URL`` names). Incremental by default: only the dates whose gold
changed are replaced; trigger with ``{"full": true}`` to rebuild every table. Each load is one
transaction, so readers see the previous tables or the new ones."""

from __future__ import annotations

from typing import Any

from aerolake_dag_defaults import TRIGGER, dag_args, settings
from airflow.decorators import dag, task
from airflow.models.param import Param


@dag(
    dag_id="serving_layer_postgres_load",
    schedule="0 */6 * * *",
    params={"full": Param(False, type="boolean", description="Rebuild every serving table.")},
    doc_md=__doc__,
    **dag_args(),
)
def serving_layer_postgres_load() -> None:
    @task
    def load(params: dict[str, Any] | None = None) -> dict[str, Any]:
        from aerolake.orchestration.jobs import load_job

        full = bool((params or {}).get("full", False))
        summary = load_job(settings(), full=full, trigger=TRIGGER)
        return {"run_id": summary.run_id, "full": summary.full, "rows": summary.rows}

    load()


serving_layer_postgres_load()
