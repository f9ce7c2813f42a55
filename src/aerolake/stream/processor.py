"""The speed layer's processing step: decode -> validate -> track -> enrich, on whole batches.

:class:`Processor` turns a batch of ``aerolake.states.raw`` messages into outputs and holds the
per-aircraft tracker states between batches. Runner-agnostic and free of I/O: the runner
publishes the outputs, persists the lake rows and then commits the offsets (flush sinks ->
persist state -> advance the source cursor); a crash before the commit replays the batch.

- Contract violations and validation failures (the batch layer's rules,
  :func:`aerolake.validate.validate`) become dead letters with a reason; so do positions the
  tracker rejects (``implausible_jump``). Nothing is dropped without one.
- Simulated fallback states (``source == "simulator-fallback"``) are tracked and published for
  the live map like any other, with ``persist`` false: the lake writer must skip those rows.
- Eviction runs on aircraft time (the latest ``time`` seen), never on the wall clock, so a
  replay evicts the same aircraft. An evicted aircraft's state is kept aside for the batch gap
  (600 s) so that one returning within it continues the same flight, as in the batch layer.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from aerolake.refdata.airports import AirportIndex
from aerolake.refdata.enrich import enrich
from aerolake.stream.bus import Message
from aerolake.stream.messages import DeadLetter, decode_batch
from aerolake.stream.schema import ENRICHED_SCHEMA
from aerolake.stream.tracker import (
    EVICT_AFTER_S,
    GAP_S,
    AircraftState,
    Alert,
    Phase,
    Point,
    Rejected,
    evict,
    track_run,
)
from aerolake.validate import Rules, validate

FALLBACK_SOURCE: Final[str] = "simulator-fallback"


@dataclass(frozen=True)
class ProcessResult:
    """What one batch produced. ``DeadLetter.index`` is the position in the input messages."""

    enriched: pa.Table  # ENRICHED_SCHEMA, sorted by (icao24, time)
    deadletters: list[DeadLetter]
    alerts: list[Alert]
    live_updates: list[AircraftState]  # states changed by this batch
    evicted: list[AircraftState]  # aircraft to drop from the live map


@dataclass
class ProcessorStats:
    messages: int = 0
    enriched: int = 0
    alerts: int = 0
    evicted: int = 0
    deadletters: Counter[str] = field(default_factory=Counter)


class Processor:
    """Holds tracker states; :meth:`process` is the only way they change."""

    def __init__(
        self,
        *,
        aircraft: pa.Table | None = None,
        airports: AirportIndex | None = None,
        rules: Rules = Rules(),
        low_altitude_m: float = 1500.0,
        airport_radius_km: float = 10.0,
    ) -> None:
        self.aircraft = aircraft
        self.airports = airports
        self.rules = rules
        self.low_altitude_m = low_altitude_m
        self.airport_radius_km = airport_radius_km
        self.states: dict[str, AircraftState] = {}
        self.stats = ProcessorStats()
        self._dormant: dict[str, AircraftState] = {}
        self._watermark = 0
        self._airport_codes = (
            np.array([a.icao for a in airports.airports], dtype=object) if airports else None
        )

    def process(self, messages: Sequence[Message], now: dt.datetime) -> ProcessResult:
        """Process one batch. ``now`` (UTC) bounds future times and stamps ``ingested_at``."""
        values = [m.value for m in messages]
        decoded = decode_batch(values, now=now)
        dead = list(decoded.deadletters)

        # validate() keeps row order but not positions: carry each row's position in batch_id.
        states = decoded.states
        bid = states.schema.get_field_index("batch_id")
        positions = pa.array(np.arange(states.num_rows, dtype=np.int64))
        checked = validate(
            states.set_column(bid, "batch_id", positions.cast(pa.string())),
            now=now,
            rules=self.rules,
        )
        bad_rows = checked.quarantined.column("batch_id").cast(pa.int64()).to_numpy()
        for row, reason in zip(
            bad_rows, checked.quarantined.column("reason").to_pylist(), strict=True
        ):
            i = int(decoded.index[row])
            dead.append(DeadLetter(i, reason, values[i]))
        valid = checked.valid
        rows = valid.column("batch_id").cast(pa.int64()).to_numpy()
        valid = valid.set_column(bid, "batch_id", states.column("batch_id").take(rows))
        order = pc.sort_indices(valid, [("icao24", "ascending"), ("time", "ascending")])
        valid, rows = valid.take(order), rows[order.to_numpy()]

        flight_ids, phases, alerts, updates, rejected = self._track(valid)
        for j, reason in rejected:
            i = int(decoded.index[rows[j]])
            dead.append(DeadLetter(i, reason, values[i]))
        keep = np.array([f is not None for f in flight_ids], dtype=bool)
        kept = pa.array(np.flatnonzero(keep))
        silver = enrich(valid.take(kept), self.aircraft)
        enriched = self._finish(
            silver,
            category=decoded.category.take(pa.array(rows[keep])),
            flight_ids=[f for f in flight_ids if f is not None],
            phases=[p for p in phases if p is not None],
        )
        evicted = self._evict(valid, now)

        dead.sort(key=lambda d: d.index)
        self.stats.messages += len(messages)
        self.stats.enriched += enriched.num_rows
        self.stats.alerts += len(alerts)
        self.stats.evicted += len(evicted)
        self.stats.deadletters.update(d.reason for d in dead)
        return ProcessResult(enriched, dead, alerts, updates, evicted)

    def _track(
        self, valid: pa.Table
    ) -> tuple[
        list[str | None],
        list[Phase | None],
        list[Alert],
        list[AircraftState],
        list[tuple[int, str]],
    ]:
        """Run the tracker per aircraft over ``valid`` (sorted by icao24, time)."""
        n = valid.num_rows
        icao = valid.column("icao24").to_pylist()
        altitude = pc.coalesce(valid.column("baroaltitude"), valid.column("geoaltitude"))
        points = list(
            map(
                Point._make,
                zip(
                    icao,
                    valid.column("time").to_pylist(),
                    valid.column("lat").to_pylist(),
                    valid.column("lon").to_pylist(),
                    altitude.to_pylist(),
                    valid.column("vertrate").to_pylist(),
                    valid.column("onground").to_pylist(),
                    valid.column("callsign").to_pylist(),
                    valid.column("squawk").to_pylist(),
                    valid.column("lastposupdate").to_pylist(),
                    strict=True,
                ),
            )
        )
        flight_ids: list[str | None] = []
        phases: list[Phase | None] = []
        alerts: list[Alert] = []
        updates: list[AircraftState] = []
        rejected: list[tuple[int, str]] = []
        starts = [0, *(i for i in range(1, n) if icao[i] != icao[i - 1])] if n else []
        states, dormant = self.states, self._dormant
        for a, b in zip(starts, [*starts[1:], n], strict=False):
            key = icao[a]
            previous = states.get(key) or dormant.pop(key, None)
            result = track_run(previous, points[a:b])
            states[key] = result.state
            updates.append(result.state)
            flight_ids.extend(result.flight_ids)
            phases.extend(result.phases)
            for out in result.outputs:
                if isinstance(out, Alert):
                    alerts.append(out)
            if any(isinstance(out, Rejected) for out in result.outputs):
                rejected.extend(
                    (a + k, "implausible_jump")
                    for k, f in enumerate(result.flight_ids)
                    if f is None
                )
        return flight_ids, phases, alerts, updates, rejected

    def _finish(
        self,
        silver: pa.Table,
        *,
        category: pa.Array,
        flight_ids: list[str],
        phases: list[Phase],
    ) -> pa.Table:
        nearest = self._nearest_airport(silver)
        persist = pc.invert(pc.equal(silver.column("source"), FALLBACK_SOURCE))
        columns = [
            *silver.columns,
            category,
            pa.array(flight_ids, pa.string()),
            pa.array(phases, pa.string()),
            nearest,
            persist,
        ]
        return pa.Table.from_arrays(columns, schema=ENRICHED_SCHEMA)

    def _nearest_airport(self, silver: pa.Table) -> pa.Array:
        """ICAO code of the nearest airport within the radius, for rows on ground or low."""
        n = silver.num_rows
        if self.airports is None or self._airport_codes is None or n == 0:
            return pa.nulls(n, pa.string())
        altitude = pc.coalesce(silver.column("baroaltitude"), silver.column("geoaltitude"))
        low = pc.fill_null(
            pc.or_kleene(  # on ground with an unknown altitude is low
                pc.fill_null(silver.column("onground"), False),
                pc.less(altitude, self.low_altitude_m),
            ),
            False,
        )
        rows = np.flatnonzero(np.asarray(low, dtype=bool))
        codes = np.full(n, None, dtype=object)
        if len(rows):
            lat = silver.column("lat").to_numpy()[rows]
            lon = silver.column("lon").to_numpy()[rows]
            index, _ = self.airports.nearest(lat, lon, self.airport_radius_km)
            hit = index >= 0
            codes[rows[hit]] = self._airport_codes[index[hit]]
        return pa.array(codes, pa.string())

    def _evict(self, valid: pa.Table, now: dt.datetime) -> list[AircraftState]:
        """Evict on aircraft time; keep evicted states aside for the gap so flights resume.

        The watermark never passes ``now`` + 60 s: one vector from the future (validation
        tolerates a day) must not evict every aircraft."""
        if valid.num_rows:
            latest = min(int(pc.max(valid.column("time")).as_py()), int(now.timestamp()) + 60)
            self._watermark = max(self._watermark, latest)
        mark = self._watermark
        self.states, evicted = evict(self.states, mark, EVICT_AFTER_S)
        for s in evicted:
            self._dormant[s.icao24] = s
        self._dormant = {k: s for k, s in self._dormant.items() if mark - s.last_seen <= GAP_S}
        return evicted
