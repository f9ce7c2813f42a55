"""Flight mapping: silver -> gold state vectors (the Lambda merge) -> gold flights, daily.

``gold_merge`` brings every gold hour in line with the merge rule (batch silver where the batch
layer loaded the hour, else speed silver); ``gold_flights`` re-segments the dates whose gold
changed. Both are idempotent: an unchanged lake costs a signature check.
"""

from __future__ import annotations

from typing import Any

from aerolake_dag_defaults import TRIGGER, dag_args, settings
from airflow.decorators import dag, task


@dag(
    dag_id="aviation_flight_mapping_pipeline",
    schedule="0 2 * * *",
    doc_md=__doc__,
    **dag_args(),
)
def aviation_flight_mapping_pipeline() -> None:
    @task
    def gold_merge() -> dict[str, Any]:
        from aerolake.orchestration.jobs import merge_job

        merge = merge_job(settings(), trigger=TRIGGER)
        return {"batch_hours": merge.batch_hours, "speed_hours": merge.speed_hours}

    @task
    def gold_flights() -> dict[str, Any]:
        from aerolake.orchestration.jobs import flights_job

        flights = flights_job(settings(), trigger=TRIGGER)
        return {"dates_built": flights.dates_built, "flights": flights.flights}

    gold_merge() >> gold_flights()


aviation_flight_mapping_pipeline()
