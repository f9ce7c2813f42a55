"""Speed layer -> gold, hourly: the hours the stream wrote to speed silver are merged into gold
and their flights re-segmented (hours the batch layer loaded keep their batch rows)."""

from __future__ import annotations

from typing import Any

from aerolake_dag_defaults import TRIGGER, dag_args, settings
from airflow.decorators import dag, task


@dag(
    dag_id="speed_layer_silver_ingestion",
    schedule="@hourly",
    doc_md=__doc__,
    **dag_args(),
)
def speed_layer_silver_ingestion() -> None:
    @task
    def speed_to_gold() -> dict[str, Any]:
        from aerolake.orchestration.jobs import speed_to_gold_job

        result = speed_to_gold_job(settings(), trigger=TRIGGER)
        return {
            "run_id": result.run_id,
            "speed_hours": result.merge.speed_hours,
            "dates_built": result.flights.dates_built,
        }

    speed_to_gold()


speed_layer_silver_ingestion()
