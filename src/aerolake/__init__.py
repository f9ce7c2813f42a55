"""aerolake: live flight tracking and trustworthy flight analytics from ADS-B / OpenSky data."""

from __future__ import annotations

__version__ = "0.1.0"
