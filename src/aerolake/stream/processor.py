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

import contextlib
import datetime as dt
import gc
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from aerolake.refdata.airports import AirportIndex
from aerolake.refdata.countries import parse_icao24
from aerolake.refdata.enrich import enrich
from aerolake.stream.bus import Message
from aerolake.stream.fleet import EVENT_COLUMNS, PHASES, FleetTracked, track_fleet
from aerolake.stream.messages import DeadLetter, decode_batch
from aerolake.stream.schema import ENRICHED_SCHEMA
from aerolake.stream.store import ActiveStates, Evicted, FleetStore
from aerolake.stream.tracker import EVICT_AFTER_S, GAP_S, Alert
from aerolake.validate import MIN_TIME, Rules, validate

FALLBACK_SOURCE: Final[str] = "simulator-fallback"
_PHASE_NAMES: Final[pa.Array] = pa.array(PHASES, pa.string())


@dataclass(frozen=True)
class ProcessResult:
    """What one batch produced. ``DeadLetter.index`` is the position in the input messages."""

    enriched: pa.Table  # ENRICHED_SCHEMA, sorted by (icao24, time)
    deadletters: list[DeadLetter]
    alerts: list[Alert]
    updated: pa.Array  # icao24 (string) of the aircraft this batch tracked, sorted
    evicted: list[Evicted]  # aircraft to drop from the live map


@dataclass
class ProcessorStats:
    messages: int = 0
    enriched: int = 0
    alerts: int = 0
    evicted: int = 0
    deadletters: Counter[str] = field(default_factory=Counter)


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


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
        self.store = FleetStore()
        self.stats = ProcessorStats()
        self._watermark = 0
        self._airport_codes = (
            np.array([a.icao for a in airports.airports], dtype=object) if airports else None
        )

    @property
    def states(self) -> ActiveStates:
        """The tracked (not evicted) aircraft by icao24; each state is built on access."""
        return ActiveStates(self.store)

    def process(self, messages: Sequence[Message], now: dt.datetime) -> ProcessResult:
        """Process one batch. ``now`` (UTC) bounds future times and stamps ``ingested_at``.

        The cyclic garbage collector is paused for the batch: decoding and tracking allocate
        hundreds of thousands of short-lived, acyclic objects, and the full collections they
        would trigger walk the whole heap (a bus backlog included), which cost more than the
        processing itself. What the batch frees is freed by reference counting.
        """
        with _gc_paused():
            return self._process(messages, now)

    def _process(self, messages: Sequence[Message], now: dt.datetime) -> ProcessResult:
        values = [m.value for m in messages]
        decoded = decode_batch(values, now=now)
        dead = list(decoded.deadletters)

        states = decoded.states
        checked = validate(states, now=now, rules=self.rules)
        for row, reason in zip(
            checked.quarantine_index, checked.quarantined.column("reason").to_pylist(), strict=True
        ):
            i = int(decoded.index[row])
            dead.append(DeadLetter(i, reason, values[i]))
        valid = checked.valid
        rows = checked.valid_index
        # icao24 is 6 lower-case hex digits after validation: sort on (address, time) as integers
        codes = parse_icao24(valid.column("icao24"))
        key = (codes << np.int64(34)) | (valid.column("time").to_numpy() - MIN_TIME)
        order = np.argsort(key, kind="stable")
        valid, rows, codes = valid.take(pa.array(order)), rows[order], codes[order]

        latest = pc.max(valid.column("time")).as_py()  # rejected rows count for eviction too
        tracked, starts = self._track(valid, codes)
        updated = valid.column("icao24").combine_chunks().take(pa.array(starts, pa.int64()))
        rejected = np.flatnonzero(tracked.flight < 0)
        for j in rejected.tolist():
            i = int(decoded.index[rows[j]])
            dead.append(DeadLetter(i, "implausible_jump", values[i]))
        if len(rejected):
            kept = np.flatnonzero(tracked.flight >= 0)
            valid, rows = valid.take(pa.array(kept)), rows[kept]
            flight, phase = tracked.flight[kept], tracked.phase[kept]
        else:
            flight, phase = tracked.flight, tracked.phase
        enriched = self._finish(
            enrich(valid, self.aircraft),
            category=decoded.category.take(pa.array(rows)),
            flight_ids=pa.array(tracked.flight_ids, pa.string()).take(pa.array(flight)),
            phases=_PHASE_NAMES.take(pa.array(phase)),
        )
        evicted = self._evict(latest, now)
        alerts = [out for out in tracked.outputs if isinstance(out, Alert)]

        dead.sort(key=lambda d: d.index)
        self.stats.messages += len(messages)
        self.stats.enriched += enriched.num_rows
        self.stats.alerts += len(alerts)
        self.stats.evicted += len(evicted)
        self.stats.deadletters.update(d.reason for d in dead)
        return ProcessResult(enriched, dead, alerts, updated, evicted)

    def _track(
        self, valid: pa.Table, codes: npt.NDArray[np.int64]
    ) -> tuple[FleetTracked, npt.NDArray[np.int64]]:
        """Run the tracker over ``valid`` (sorted by icao24, time; ``codes`` its addresses as
        integers) into the store. Returns the result and the first row of each aircraft."""
        n = len(codes)
        change = np.flatnonzero(codes[1:] != codes[:-1]) + 1 if n else np.empty(0, np.int64)
        starts = np.concatenate([[0], change]).astype(np.int64) if n else change
        slots, has = self.store.slots(codes[starts])
        events = pa.table(
            [
                valid.column("icao24"),
                valid.column("time"),
                valid.column("lat"),
                valid.column("lon"),
                pc.coalesce(valid.column("baroaltitude"), valid.column("geoaltitude")),
                valid.column("vertrate"),
                valid.column("onground"),
                valid.column("callsign"),
                valid.column("squawk"),
                valid.column("lastposupdate"),
            ],
            names=list(EVENT_COLUMNS),
        )
        return track_fleet(self.store, slots, has, starts, events), starts

    def _finish(
        self,
        silver: pa.Table,
        *,
        category: pa.Array,
        flight_ids: pa.Array,
        phases: pa.Array,
    ) -> pa.Table:
        nearest = self._nearest_airport(silver)
        persist = pc.invert(pc.equal(silver.column("source"), FALLBACK_SOURCE))
        columns = [
            *silver.columns,
            category,
            flight_ids,
            phases,
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

    def _evict(self, latest_time: int | None, now: dt.datetime) -> list[Evicted]:
        """Evict on aircraft time; keep evicted states aside for the gap so flights resume.

        The watermark never passes ``now`` + 60 s: one vector from the future (validation
        tolerates a day) must not evict every aircraft."""
        if latest_time is not None:
            latest = min(latest_time, int(now.timestamp()) + 60)
            self._watermark = max(self._watermark, latest)
        return self.store.evict(self._watermark, EVICT_AFTER_S, GAP_S)
