#!/usr/bin/env bash
# Install Apache Airflow into its own virtualenv (.airflow-venv) so its pins never fight ours.
# Idempotent: a stamp records the Airflow version, the pins file and pyproject.toml; a second run
# with nothing changed does nothing. aerolake goes in editable, so the DAGs import it.
# Pins: scripts/airflow-constraints.txt (a resolved set known to work on Python 3.11), because the
# official constraints files live outside the package registries and cannot be fetched here.
set -euo pipefail
cd "$(dirname "$0")/.."

AIRFLOW_VERSION="${AIRFLOW_VERSION:-2.10.5}"
VENV="${AIRFLOW_VENV:-.airflow-venv}"
PYTHON="${PYTHON:-python3}"
PINS="scripts/airflow-constraints.txt"
STAMP="$VENV/.installed"

inputs=(pyproject.toml)
[[ -f "$PINS" ]] && inputs+=("$PINS")
want="airflow=$AIRFLOW_VERSION $(cat "${inputs[@]}" | sha256sum | cut -c1-16)"
if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$want" ]]; then
    exit 0
fi

echo "installing apache-airflow $AIRFLOW_VERSION into $VENV (a few minutes the first time)"
test -x "$VENV/bin/python" || "$PYTHON" -m venv "$VENV"
LOG="$VENV/install.log"
: >"$LOG"
pip_install() {
    # pip's chatter goes to the log; on failure its tail is shown.
    if ! "$VENV/bin/python" -m pip install --quiet "$@" >>"$LOG" 2>&1; then
        tail -n 40 "$LOG" >&2
        echo "airflow-venv: pip install $* failed (full log: $LOG)" >&2
        exit 1
    fi
}
pip_install --upgrade pip
constraint=()
if [[ -f "$PINS" ]]; then
    constraint=(--constraint "$PINS")
fi
pip_install "${constraint[@]}" "apache-airflow==$AIRFLOW_VERSION"
# aerolake itself with its PostgreSQL driver (the serving load DAG); its dependencies resolve
# against the same pins.
pip_install "${constraint[@]}" -e ".[postgres]"
echo "$want" >"$STAMP"
echo "airflow $AIRFLOW_VERSION installed in $VENV"
