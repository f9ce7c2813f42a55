"""The Airflow DAGs in ``dags/``: they parse, hide no failure, hold no secret, and
``airflow dags test`` runs each one on small simulated data; a failing task fails its DAG run.

Airflow lives in its own virtualenv (``scripts/airflow-venv.sh`` -> ``.airflow-venv``), so these
tests drive it as a subprocess. Without that venv they skip, or fail under CI.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from aerolake.orchestration.history import write_history
from aerolake.refdata.regions import parse_region
from aerolake.serving import open_target

REPO = Path(__file__).resolve().parents[1]
DAGS = REPO / "dags"
VENV_BIN = REPO / ".airflow-venv" / "bin"
DAG_IDS = (
    "aviation_states_pipeline",
    "aviation_flight_mapping_pipeline",
    "speed_layer_silver_ingestion",
    "serving_layer_postgres_load",
)
START = dt.datetime(2024, 6, 1, tzinfo=dt.UTC)
#: Looks like a credential written into code: key = "literal", or a URL with a password.
SECRET = re.compile(
    r"""(?ix)
    (password|passwd|secret|token|api_?key|client_?secret)\s*[=:]\s*["'][^"']+["']
    | \w+://[^/\s:@"']+:[^/\s@"']+@
    """
)


def dag_files() -> list[Path]:
    return sorted(DAGS.glob("*.py"))


# --- pure checks on the files -------------------------------------------------------------


def test_the_four_dag_files_exist() -> None:
    names = {p.stem for p in dag_files()}
    assert set(DAG_IDS) <= names


@pytest.mark.parametrize("path", dag_files(), ids=lambda p: p.name)
def test_dag_file_holds_no_secret_and_no_all_done(path: Path) -> None:
    text = path.read_text()
    assert not SECRET.search(text), f"{path.name} looks like it holds a credential"
    assert "all_done" not in text, f"{path.name}: an all_done trigger rule hides failures"
    assert "ALL_DONE" not in text


def test_secret_pattern_catches_what_it_should() -> None:
    assert SECRET.search('password = "hunter2"')
    assert SECRET.search("postgresql://aero:pw@db:5432/aerolake")
    assert not SECRET.search("settings.serving_url  # from AEROLAKE_SERVING_URL")


# --- Airflow itself ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def airflow_bin() -> Path:
    airflow = VENV_BIN / "airflow"
    if not airflow.exists():
        message = f"{airflow} missing: run scripts/airflow-venv.sh (make test does)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return airflow


@pytest.fixture(scope="module")
def airflow_home(airflow_bin: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("airflow-home")
    run_airflow(airflow_bin, base_env(home), "db", "migrate", timeout=300)
    return home


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two simulated hours of 30 aircraft as OpenSky history files."""
    out = tmp_path_factory.mktemp("history")
    write_history(out, parse_region("india"), START, 2, aircraft=30, seed=7, fmt="csv.tar")
    return out


def base_env(home: Path, data_dir: Path | None = None, **aerolake: str) -> dict[str, str]:
    """The environment of an Airflow command: this test's Airflow home and aerolake settings
    only (no AEROLAKE_* leaking in from the developer's shell)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AEROLAKE_", "AIRFLOW"))}
    env.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__DAGS_FOLDER=str(DAGS),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT="120",
        AEROLAKE_CONFIG=str(home / "no-aerolake.toml"),
        AEROLAKE_DAG_RETRIES="0",
    )
    if data_dir is not None:
        env["AEROLAKE_DATA_DIR"] = str(data_dir)
    env.update({f"AEROLAKE_{k.upper()}": v for k, v in aerolake.items()})
    return env


def run_airflow(
    airflow: Path, env: dict[str, str], *args: str, timeout: float = 300, check: bool = True
) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [str(airflow), *args],
        env=env,
        cwd=env["AIRFLOW_HOME"],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check and proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-40:])
        pytest.fail(f"airflow {' '.join(args)} exited {proc.returncode}:\n{tail}")
    return proc


def dag_run_states(env: dict[str, str], dag_id: str) -> dict[str, str]:
    """{logical date: state} of every run of ``dag_id``, read from the test's Airflow database
    (``dags test`` does not register the DAG, so ``airflow dags list-runs`` cannot list it)."""
    with contextlib.closing(sqlite3.connect(Path(env["AIRFLOW_HOME"]) / "airflow.db")) as db:
        rows = db.execute(
            "SELECT execution_date, state FROM dag_run WHERE dag_id = ?", (dag_id,)
        ).fetchall()
    return {str(day)[:10]: str(state) for day, state in rows}


@pytest.mark.airflow
def test_dagbag_parses_every_dag_with_failing_trigger_rules(airflow_home: Path) -> None:
    script = """
import json, sys
from airflow.models.dagbag import DagBag
bag = DagBag(dag_folder=sys.argv[1], include_examples=False)
print(json.dumps({
    "errors": {k: str(v) for k, v in bag.import_errors.items()},
    "dags": {d.dag_id: {
        "rules": {t.task_id: str(t.trigger_rule) for t in d.tasks},
        "schedule": str(d.schedule_interval),
        "max_active_runs": d.max_active_runs,
        "params": {k: d.params[k] for k in d.params},
    } for d in bag.dags.values()},
}))
"""
    proc = subprocess.run(
        [str(VENV_BIN / "python"), "-c", script, str(DAGS)],
        env=base_env(airflow_home),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    found = json.loads(proc.stdout.strip().splitlines()[-1])
    assert found["errors"] == {}
    assert set(found["dags"]) == set(DAG_IDS)
    for dag_id, dag in found["dags"].items():
        assert dag["rules"], f"{dag_id} has no tasks"
        assert set(dag["rules"].values()) == {"all_success"}, (dag_id, dag["rules"])
        assert dag["max_active_runs"] == 1
    assert found["dags"]["speed_layer_silver_ingestion"]["schedule"] == "@hourly"
    assert found["dags"]["serving_layer_postgres_load"]["schedule"] == "0 */6 * * *"
    assert found["dags"]["serving_layer_postgres_load"]["params"] == {"full": False}


@pytest.fixture(scope="module")
def pipeline(
    airflow_bin: Path, airflow_home: Path, history: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Path, dict[str, str]]]:
    """A data dir where the states and flight-mapping DAGs have run (in that order)."""
    data_dir = tmp_path_factory.mktemp("aerolake-data")
    env = base_env(airflow_home, data_dir, files_path=str(history))
    for dag_id in DAG_IDS[:2]:
        run_airflow(airflow_bin, env, "dags", "test", dag_id, "2024-06-02")
    yield data_dir, env


@pytest.mark.airflow
@pytest.mark.slow
def test_dags_test_runs_all_four_on_simulated_data(
    airflow_bin: Path, pipeline: tuple[Path, dict[str, str]]
) -> None:
    data_dir, env = pipeline
    run_airflow(airflow_bin, env, "dags", "test", "speed_layer_silver_ingestion", "2024-06-02")
    run_airflow(airflow_bin, env, "dags", "test", "serving_layer_postgres_load", "2024-06-02")
    run_airflow(
        airflow_bin,
        env,
        "dags",
        "test",
        "serving_layer_postgres_load",
        "2024-06-03",
        "-c",
        json.dumps({"full": True}),
    )
    for dag_id in DAG_IDS:
        assert dag_run_states(env, dag_id)["2024-06-02"] == "success"
    target = open_target(f"duckdb:///{data_dir / 'serving.duckdb'}")
    try:
        flights = target.query("SELECT count(*) AS n FROM fact_flight_history").column("n")[0]
        runs = target.query(
            "SELECT kind, status, trigger FROM pipeline_runs ORDER BY started_at"
        ).to_pylist()
    finally:
        target.close()
    assert flights.as_py() > 0
    assert [r["kind"] for r in runs] == [
        "ingest",
        "silver",
        "gold-merge",
        "gold-flights",
        "speed-to-gold",
        "load",
        "load",
    ]
    assert {(r["status"], r["trigger"]) for r in runs} == {("succeeded", "airflow")}


@pytest.mark.airflow
@pytest.mark.postgres
@pytest.mark.slow
def test_serving_load_dag_loads_postgresql(
    airflow_bin: Path, pipeline: tuple[Path, dict[str, str]], pg_url: str
) -> None:
    _, env = pipeline
    env = {**env, "AEROLAKE_SERVING_URL": pg_url}
    run_airflow(airflow_bin, env, "dags", "test", "serving_layer_postgres_load", "2024-06-04")
    target = open_target(pg_url)
    try:
        flights = target.query("SELECT count(*) AS n FROM fact_flight_history").column("n")[0]
        status = target.query("SELECT status FROM pipeline_runs WHERE kind = 'load'")
    finally:
        target.close()
    assert flights.as_py() > 0
    assert status.column("status").to_pylist() == ["succeeded"]


@pytest.mark.airflow
def test_a_failing_task_fails_the_dag_run(
    airflow_bin: Path, airflow_home: Path, tmp_path: Path
) -> None:
    env = base_env(airflow_home, tmp_path / "data", files_path=str(tmp_path / "missing"))
    proc = run_airflow(
        airflow_bin, env, "dags", "test", "aviation_states_pipeline", "2024-07-01", check=False
    )
    assert proc.returncode != 0
    assert "no such file or directory" in proc.stdout + proc.stderr
    assert dag_run_states(env, "aviation_states_pipeline")["2024-07-01"] == "failed"
    target = open_target(f"duckdb:///{tmp_path / 'data' / 'serving.duckdb'}")
    try:
        runs = target.query("SELECT kind, status FROM pipeline_runs").to_pylist()
    finally:
        target.close()
    # the ingest run is recorded as failed; silver, downstream of it, never ran
    assert runs == [{"kind": "ingest", "status": "failed"}]
