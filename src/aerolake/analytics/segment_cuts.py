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
    shift,
)


def cut_keys(
    ac: I64, t: I64, onground: Bools, callsign: I64, gap_s: int, ground_stop_s: int
) -> I64:
    """Sorted unique (icao code, relative cut time) keys: the model's ``cut_points``."""
    n = len(t)
    first = np.empty(n, dtype=np.bool_)
    first[0] = True
    first[1:] = ac[1:] != ac[:-1]
    last = np.append(first[1:], True)
    prev_t = shift(t, -1)
    step = t - prev_t
    gap = first | (step > gap_s)
    prev_onground = shift(onground, False)
    prev_callsign = shift(callsign, -1)
    near = ~first & (step <= gap_s)
    landing = near & onground & ~prev_onground
    takeoff = near & ~onground & prev_onground
    callsign_start = (callsign >= 0) & ((prev_callsign < 0) | (callsign != prev_callsign))
    event = first | last | gap | (~first & (onground != prev_onground)) | callsign_start
    e = np.flatnonzero(event)
    group = (np.cumsum(first) - 1)[e]
    et, e_prev, e_callsign = t[e], prev_t[e], callsign[e]
    e_gap, e_landing, e_takeoff = gap[e], landing[e], takeoff[e]
    gap_time = running_max(group, et, e_gap)
    landing_time = running_max(group, et, e_landing)
    landing_air = running_max(group, e_prev, e_landing)
    before = last_valid_before(group, e_callsign >= 0)
    prev_cs = np.where(before >= 0, e_callsign[np.maximum(before, 0)], -1)
    prev_cs_time = np.where(before >= 0, et[np.maximum(before, 0)], -1)
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
            (e_ac[last[e]] << TIME_BITS) | (et[last[e]] + 1),
        ]
    )
    return np.unique(cuts)
