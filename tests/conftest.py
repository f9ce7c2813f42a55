"""Shared pytest fixtures; each part of aerolake keeps its fixtures in its own marked block."""

from __future__ import annotations

# --- opensky fixtures ---
from collections.abc import Iterator as _OpenSkyIterator

import pytest as _opensky_pytest

from fake_opensky import FakeOpenSky as _FakeOpenSky


@_opensky_pytest.fixture
def fake_opensky() -> _OpenSkyIterator[_FakeOpenSky]:
    """A fake OpenSky API + token endpoint on 127.0.0.1 (free port), stopped after the test."""
    fake = _FakeOpenSky().start()
    try:
        yield fake
    finally:
        fake.stop()


# --- end opensky fixtures ---
