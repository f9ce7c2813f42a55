"""The built-in traffic simulator: realistic, deterministic flights over a region.

A fleet of real airlines' aircraft (fixed ICAO addresses from their country's block) flies
round trips between the region's airports, hubs busiest, on great circles with a taxi /
take-off / climb / cruise / descent / approach / landing profile. Receivers hear each aircraft
every 5-10 s with realistic noise and gaps. Two faces over one model:

- history: :func:`simulate_history_hours` (one table per UTC hour) and :func:`ground_truth`;
- live: :class:`SimulatorLive`, a :class:`~aerolake.sources.base.LiveSource`.

Both are pure functions of :class:`SimulatorConfig` and time: a live poll at ``t`` returns the
reports the history holds for ``t``.
"""

from __future__ import annotations

from aerolake.sources.simulator.config import SimulatorConfig
from aerolake.sources.simulator.history import (
    GROUND_TRUTH_SCHEMA,
    ground_truth,
    simulate_history,
    simulate_history_hours,
)
from aerolake.sources.simulator.live import SimulatorLive

__all__ = [
    "GROUND_TRUTH_SCHEMA",
    "SimulatorConfig",
    "SimulatorLive",
    "ground_truth",
    "simulate_history",
    "simulate_history_hours",
]
