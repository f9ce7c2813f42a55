"""States pipeline: OpenSky history files -> bronze -> silver, daily.

``ingest`` reads the files at ``AEROLAKE_FILES_PATH`` (a file, directory or glob): unchanged
files are skipped, a changed file replaces its own rows, and any file that fails to ingest
fails the task. ``silver`` then rebuilds the silver hours whose bronze changed.
"""

from __future__ import annotations

from typing import Any

from aerolake_dag_defaults import TRIGGER, dag_args, settings
from airflow.decorators import dag, task


@dag(
    dag_id="aviation_states_pipeline",
    schedule="@daily",
    doc_md=__doc__,
    **dag_args(),
)
def aviation_states_pipeline() -> None:
    @task
    def ingest() -> dict[str, Any]:
        from aerolake.orchestration.jobs import ingest_job

        summary = ingest_job(settings(), trigger=TRIGGER)
        return {"files": len(summary.files), "rows": summary.rows}

    @task
    def silver() -> dict[str, Any]:
        from aerolake.orchestration.jobs import silver_job

        built = silver_job(settings(), trigger=TRIGGER)
        return {"hours_built": built.partitions_built, "rows": built.rows_out}

    ingest() >> silver()


aviation_states_pipeline()
