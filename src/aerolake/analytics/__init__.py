"""Analytics: SQL models (``sql/*.sql``, DuckDB dialect) run through a small engine interface."""

from __future__ import annotations

from aerolake.analytics.engine import ENGINES, Engine, open_engine
from aerolake.analytics.flights_schema import FLIGHT_SCHEMA
from aerolake.analytics.segment import (
    Segmentation,
    SegmentationRules,
    segment,
    segment_flights,
)

__all__ = [
    "ENGINES",
    "FLIGHT_SCHEMA",
    "Engine",
    "Segmentation",
    "SegmentationRules",
    "open_engine",
    "segment",
    "segment_flights",
]
