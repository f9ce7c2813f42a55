"""When the receivers hear an aircraft: report times, reception gaps and thin ground coverage.

Report ``k`` of a leg arrives at ``block_off + phase_offset + k * period + jitter_k`` (jitter
below 35 % of the period, so reports stay ordered and at least ~3 s apart). A report is lost
when it falls in a reception gap (airborne only: each 10-minute stretch of a leg holds a
30-120 s gap with probability ``gap_rate``) or, near a poorly covered airport, below ~600 m
above it (80 % lost). All draws are counter-based (:mod:`.hashing`), so a report exists, or
not, whatever window it is asked for in.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from aerolake.sources.simulator import hashing
from aerolake.sources.simulator.fleet import Fleet
from aerolake.sources.simulator.kinematics import CLIMB, CRUISE, FINAL, Kinematics, evaluate
from aerolake.sources.simulator.legs import Legs

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
Bool = npt.NDArray[np.bool_]
U64 = npt.NDArray[np.uint64]

JITTER: Final[float] = 0.35
GAP_SLOT_S: Final[float] = 600.0
LOW_COVERAGE_AGL_M: Final[float] = 600.0
LOW_COVERAGE_LOSS: Final[float] = 0.8
#: Position messages lag the last message received by up to this many seconds.
MAX_POSITION_LAG_S: Final[float] = 1.5
#: OpenSky keeps listing an aircraft this long after it was last heard.
LINGER_S: Final[float] = 300.0

CH_JITTER, CH_GAP, CH_COVERAGE, CH_LAG = 1, 2, 3, 4


@dataclass(frozen=True)
class Reports:
    """Heard reports: ``leg`` indexes the legs, ``k`` numbers the report within its leg,
    ``base`` is its noise hash, ``contact`` (unix s) when it was heard, ``position_time`` when
    its position was valid; ``state`` the noise-free kinematics at ``position_time``."""

    leg: I64
    k: I64
    base: U64
    contact: F64
    position_time: F64
    state: Kinematics


def report_times(legs: Legs, period: F64, leg: I64, k: I64) -> tuple[U64, F64]:
    """(noise hash, unix time) of report ``k`` of leg ``leg``; ``period`` is per leg."""
    base = hashing.key(legs.key[leg], k)
    u = hashing.unit(hashing.channel(base, CH_JITTER))
    return base, legs.block_off[leg] + legs.phase_offset_s[leg] + period[leg] * (k + JITTER * u)


def heard(
    fleet: Fleet, legs: Legs, gap_rate: float, leg: I64, base: U64, tau: F64, state: Kinematics
) -> Bool:
    """Whether each report (``tau`` s after block-off, noise-free ``state``) is received."""
    slot = np.floor(tau * (1.0 / GAP_SLOT_S)).astype(np.int64)
    g_has, g_start, g_len, _ = hashing.quarters(
        hashing.channel(hashing.key(legs.key[leg], slot), CH_GAP)
    )
    into = tau - slot * GAP_SLOT_S - g_start * (GAP_SLOT_S - 120.0)
    airborne = (state.phase >= CLIMB) & (state.phase <= FINAL)
    in_gap = airborne & (g_has < gap_rate) & (into >= 0) & (into < 30.0 + 90.0 * g_len)

    near = np.where(state.phase <= CRUISE, legs.origin[leg], legs.destination[leg])
    agl = state.altitude - fleet.airport_elev[near]
    lost_low = hashing.unit(hashing.channel(base, CH_COVERAGE))
    thin = fleet.poor_coverage[near] & (agl < LOW_COVERAGE_AGL_M) & (lost_low < LOW_COVERAGE_LOSS)
    return ~(in_gap | thin)


def observe(
    fleet: Fleet, legs: Legs, gap_rate: float, leg: I64, k: I64, base: U64, contact: F64
) -> Reports:
    """The reports among the given ones that the receivers hear, with their kinematics."""
    lag = hashing.unit(hashing.channel(base, CH_LAG)) * MAX_POSITION_LAG_S
    tau = np.maximum(contact - lag - legs.block_off[leg], 0.0)
    state = evaluate(legs.profiles, leg, tau)
    ok = heard(fleet, legs, gap_rate, leg, base, tau, state)
    reports = Reports(leg, k, base, contact, legs.block_off[leg] + tau, state)
    return select_reports(reports, np.flatnonzero(ok))


def candidates_between(fleet: Fleet, legs: Legs, t0: int, t1: int) -> tuple[I64, I64, U64, F64]:
    """(leg, k, base, contact) of every report, heard or not, whose OpenSky ``time`` (contact
    rounded up to a whole second) lies in [t0, t1); sorted by that time."""
    period = fleet.period_s[legs.aircraft]
    start = legs.block_off + legs.phase_offset_s
    k_lo = np.maximum(np.floor((t0 - 1 - start) / period) - 1, 0).astype(np.int64)
    k_end = np.floor((legs.block_on - start) / period).astype(np.int64)
    k_hi = np.minimum(np.floor((t1 - start) / period), k_end).astype(np.int64)
    counts = np.maximum(k_hi - k_lo + 1, 0)
    leg = np.repeat(np.arange(len(legs), dtype=np.int64), counts)
    first = np.cumsum(counts) - counts
    k = k_lo[leg] + np.arange(len(leg), dtype=np.int64) - first[leg]
    base, contact = report_times(legs, period, leg, k)
    row_time = np.ceil(contact)
    inside = (row_time >= t0) & (row_time < t1) & (contact <= legs.block_on[leg])
    keep = np.flatnonzero(inside)
    # A stable sort of small unsigned integers is a radix sort: linear time. Ties keep the
    # candidates' (leg, k) order, which is deterministic.
    offset = (row_time[keep] - t0).astype(np.uint16 if t1 - t0 < 2**16 else np.int64)
    keep = keep[np.argsort(offset, kind="stable")]
    return leg[keep], k[keep], base[keep], contact[keep]


def latest_reports(fleet: Fleet, legs: Legs, gap_rate: float, now: int) -> Reports:
    """Per leg, the last report heard at or before ``now`` and at most :data:`LINGER_S` old."""
    period = fleet.period_s[legs.aircraft]
    start = legs.block_off + legs.phase_offset_s
    k_end = np.floor((legs.block_on - start) / period).astype(np.int64)
    leg = np.arange(len(legs), dtype=np.int64)
    k = np.minimum(np.floor((now - start) / period).astype(np.int64), k_end)
    _, contact = report_times(legs, period, leg, k)
    k = np.where((contact > now) | (contact > legs.block_on), k - 1, k)
    found: list[Reports] = []
    # Step back over lost reports; a gap is at most 120 s, thin coverage rarely lasts longer.
    for _ in range(int(LINGER_S / 3) + 1):
        valid = k >= 0
        leg, k = leg[valid], k[valid]
        base, contact = report_times(legs, period, leg, k)
        fresh = now - contact <= LINGER_S
        leg, k, base, contact = leg[fresh], k[fresh], base[fresh], contact[fresh]
        reports = observe(fleet, legs, gap_rate, leg, k, base, contact)
        found.append(reports)
        lost = ~np.isin(leg, reports.leg)
        leg, k = leg[lost], k[lost] - 1
        if len(leg) == 0:
            break
    return concat_reports(found)


def select_reports(r: Reports, idx: I64) -> Reports:
    """The reports at positions ``idx``."""
    s = r.state
    state = Kinematics(**{f.name: getattr(s, f.name)[idx] for f in fields(s)})
    return Reports(r.leg[idx], r.k[idx], r.base[idx], r.contact[idx], r.position_time[idx], state)


def concat_reports(parts: list[Reports]) -> Reports:
    """All reports of ``parts`` (not empty), in order."""
    states = [p.state for p in parts]
    state = Kinematics(
        **{f.name: np.concatenate([getattr(s, f.name) for s in states]) for f in fields(Kinematics)}
    )

    def cat(name: str) -> Any:
        return np.concatenate([getattr(p, name) for p in parts])

    return Reports(cat("leg"), cat("k"), cat("base"), cat("contact"), cat("position_time"), state)
