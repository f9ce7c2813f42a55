"""The cutting rules of ``sql/flight_segments.sql`` (CTEs ``events`` to ``cut_points``) in numpy.

Input: one sorted run of whole aircraft (rows by (aircraft, time)); output: the sorted unique
cut keys ``aircraft << TIME_BITS | relative cut time``. Each step mirrors one CTE of the model,
NULL written as -1 (relative times are >= 0).
"""

from __future__ import annotations

import numpy as np

from aerolake.analytics.kernel_ops import (
    I64,
    TIME_BITS,
    Bools,
    last_valid_before,
    running_max,
)


def cut_keys(
    ac: I64, t: I64, onground: Bools, callsign: I64, gap_s: int, ground_stop_s: int
) -> I64:
    """Sorted unique (icao code, relative cut time) keys: the model's ``cut_points``."""
    n = len(t)
    # Row-level flags from each row and its predecessor (slices, no shifted copies).
    first = np.empty(n, dtype=np.bool_)
    first[0] = True
    np.not_equal(ac[1:], ac[:-1], out=first[1:])
    last = np.empty(n, dtype=np.bool_)
    last[-1] = True
    last[:-1] = first[1:]
    step = np.zeros(n, dtype=np.int64)
    np.subtract(t[1:], t[:-1], out=step[1:])
    changed = np.zeros(n, dtype=np.bool_)
    np.not_equal(onground[1:], onground[:-1], out=changed[1:])
    callsign_differs = np.ones(n, dtype=np.bool_)
    np.not_equal(callsign[1:], callsign[:-1], out=callsign_differs[1:])
    # Events: an aircraft's first or last point, a gap, an on-ground change, a callsign start.
    event = (step > gap_s) | first | last | changed | ((callsign >= 0) & callsign_differs)
    e = np.flatnonzero(event)
    e_first = first[e]
    group = np.cumsum(e_first) - 1
    before = np.maximum(e - 1, 0)
    et, e_step, e_callsign = t[e], step[e], callsign[e]
    e_prev = np.where(e_first, -1, t[before])
    e_onground, e_prev_onground = onground[e], onground[before]
    e_gap = e_first | (e_step > gap_s)
    near = ~e_first & (e_step <= gap_s)
    e_landing = near & e_onground & ~e_prev_onground
    e_takeoff = near & ~e_onground & e_prev_onground
    e_last = last[e]
    gap_time = running_max(group, et, e_gap)
    landing_time = running_max(group, et, e_landing)
    landing_air = running_max(group, e_prev, e_landing)
    with_callsign = last_valid_before(group, e_callsign >= 0)
    prev_cs = np.where(with_callsign >= 0, e_callsign[np.maximum(with_callsign, 0)], -1)
    prev_cs_time = np.where(with_callsign >= 0, et[np.maximum(with_callsign, 0)], -1)
    stop_end = (
        e_takeoff
        & (landing_time > gap_time)
        & (landing_air >= 0)
        & (et - landing_air >= ground_stop_s)
    )
    callsign_change = (
        (e_callsign >= 0)
        & (prev_cs >= 0)
        & (e_callsign != prev_cs)
        & (prev_cs_time >= 0)
        & (gap_time <= prev_cs_time)
    )
    stop_end_time = running_max(group, et, stop_end)
    callsign_cut = callsign_change & ((stop_end_time < 0) | (stop_end_time <= prev_cs_time))
    callsign_cut_time = running_max(group, et, callsign_cut)
    middle = stop_end & ((callsign_cut_time < 0) | (callsign_cut_time < landing_time))
    e_ac = ac[e]
    cuts = np.concatenate(
        [
            (e_ac[e_gap | callsign_cut] << TIME_BITS) | et[e_gap | callsign_cut],
            (e_ac[middle] << TIME_BITS) | ((landing_air[middle] + et[middle] + 1) // 2),
            (e_ac[e_last] << TIME_BITS) | (et[e_last] + 1),
        ]
    )
    return np.unique(cuts)
