"""End to end against ground truth: simulated history -> files -> ingest -> batch -> flights."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow.compute as pc
import pytest

from aerolake.batch.ingest import ingest
from aerolake.lake import GOLD_FLIGHTS, Lake
from aerolake.orchestration.batch import run_batch
from aerolake.orchestration.evaluate import score_flights
from aerolake.orchestration.history import read_ground_truth, write_history
from aerolake.settings import load_settings


@pytest.mark.slow
def test_simulated_flights_are_found_with_their_airports(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path)
    out = tmp_path / "simulated"
    write_history(
        out,
        settings.region_def,
        dt.datetime(2024, 6, 1, tzinfo=dt.UTC),
        12,
        aircraft=120,
        seed=7,
        fmt="csv.gz",
    )
    lake = Lake.open(settings.lake)
    assert not ingest(lake, [out]).failed
    summary = run_batch(settings, lake)
    flights = lake.read(GOLD_FLIGHTS)
    assert summary.flights == flights.num_rows > 0
    score = score_flights(read_ground_truth(out), flights)
    assert score.scored > 150
    assert score.rate >= 0.98, score.outcomes
    # Flight ids are unique and deterministic: a second full run gives the same flights.
    assert pc.count_distinct(flights.column("flight_id")).as_py() == flights.num_rows
    run_batch(settings, lake, full=True)
    again = lake.read(GOLD_FLIGHTS)
    assert again.sort_by("flight_id").equals(flights.sort_by("flight_id"))
    # And an incremental run on unchanged input does nothing.
    assert run_batch(settings, lake).nothing_to_do
