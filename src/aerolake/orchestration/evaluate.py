"""Scoring segmented flights against the simulator's ground truth. Pure.

A ground-truth flight counts as *found* when exactly one segmented flight of the same aircraft
overlaps its [block_off, block_on] interval and that flight has the true origin and destination.
Only flights whose whole block time lies inside the simulated window (``complete``) are scored:
the others were cut by the window's edges, and starting or ending airborne is expected of them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


@dataclass
class TruthScore:
    scored: int = 0
    found: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)

    @property
    def rate(self) -> float:
        return self.found / self.scored if self.scored else 0.0


def score_flights(truth: pa.Table, flights: pa.Table) -> TruthScore:
    """How many complete ground-truth flights were found as one flight with the right airports.

    ``outcomes`` counts each scored flight's verdict: ``found``, ``missed`` (no overlapping
    flight), ``split`` (several), ``wrong_origin``, ``wrong_destination``.
    """
    score = TruthScore()
    complete = truth.filter(truth.column("complete"))
    by_icao: dict[str, tuple[np.ndarray, np.ndarray, list[str | None], list[str | None]]] = {}
    for icao, group in _groups(flights):
        by_icao[icao] = (
            _micros(group.column("first_seen")),
            _micros(group.column("last_seen")),
            group.column("origin").to_pylist(),
            group.column("destination").to_pylist(),
        )
    for row in complete.select(
        ["icao24", "origin", "destination", "block_off", "block_on"]
    ).to_pylist():
        score.scored += 1
        verdict = _verdict(row, by_icao.get(row["icao24"]))
        score.outcomes[verdict] += 1
        score.found += verdict == "found"
    return score


def _verdict(
    row: dict[str, object],
    candidates: tuple[np.ndarray, np.ndarray, list[str | None], list[str | None]] | None,
) -> str:
    if candidates is None:
        return "missed"
    first, last, origins, destinations = candidates
    start = int(row["block_off"].timestamp() * 1e6)  # type: ignore[attr-defined]
    end = int(row["block_on"].timestamp() * 1e6)  # type: ignore[attr-defined]
    overlapping = np.flatnonzero((first <= end) & (last >= start))
    if len(overlapping) == 0:
        return "missed"
    if len(overlapping) > 1:
        return "split"
    i = int(overlapping[0])
    if origins[i] != row["origin"]:
        return "wrong_origin"
    if destinations[i] != row["destination"]:
        return "wrong_destination"
    return "found"


def _micros(column: pa.ChunkedArray) -> np.ndarray:
    return np.asarray(pc.cast(column, pa.int64()).to_numpy(zero_copy_only=False))


def _groups(flights: pa.Table) -> list[tuple[str, pa.Table]]:
    if flights.num_rows == 0:
        return []
    ordered = flights.sort_by([("icao24", "ascending"), ("first_seen", "ascending")])
    icao = np.asarray(ordered.column("icao24").to_pylist(), dtype=object)
    bounds = np.flatnonzero(icao[1:] != icao[:-1]) + 1
    starts = np.concatenate([[0], bounds])
    ends = np.concatenate([bounds, [len(icao)]])
    return [
        (str(icao[s]), ordered.slice(int(s), int(e - s))) for s, e in zip(starts, ends, strict=True)
    ]
