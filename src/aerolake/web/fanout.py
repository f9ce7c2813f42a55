"""WebSocket message encoding: bounding boxes, snapshots and per-box diffs. Pure.

A :class:`~aerolake.web.live.Tick` is the change from one published state to the next, so the
diff a client needs depends only on its bounding box: an aircraft is ``added`` when it is in
the box now but was not (or did not exist), ``updated`` when it was and still is, ``removed``
when it was in the box and has left it or the map. Clients with the same box share one encoded
message; the aircraft objects are encoded once per tick and joined, never re-serialised.

Positions are degrees; an aircraft without a position is in view only without a box. A box
with ``lomin > lomax`` crosses the antimeridian.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final, NamedTuple

import numpy as np
import numpy.typing as npt
import orjson

if TYPE_CHECKING:
    from aerolake.web.live import Tick

#: Bytes of a client message the server will read at all; longer ones are answered with an error.
MAX_CLIENT_MESSAGE: Final[int] = 4096


class BBox(NamedTuple):
    """South, west, north, east edges in degrees (``lamin, lomin, lamax, lomax``)."""

    lamin: float
    lomin: float
    lamax: float
    lomax: float


def parse_bbox(value: object) -> BBox | None:
    """A bounding box from ``[lamin, lomin, lamax, lomax]`` (or a comma string), None for null.

    Raises ValueError with a message fit for the client when the box is malformed or absurd.
    """
    if value is None:
        return None
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list | tuple) or len(value) != 4:
        raise ValueError("bbox must be [lamin, lomin, lamax, lomax] (4 numbers, degrees) or null")
    numbers: list[float] = []
    for item in value:
        if isinstance(item, bool):
            raise ValueError("bbox values must be numbers, found a boolean")
        try:
            number = float(item)
        except (TypeError, ValueError):
            raise ValueError(f"bbox values must be numbers, found {str(item)[:20]!r}") from None
        if not math.isfinite(number):
            raise ValueError("bbox values must be finite numbers")
        numbers.append(number)
    box = BBox(*numbers)
    if not (-90.0 <= box.lamin <= 90.0 and -90.0 <= box.lamax <= 90.0):
        raise ValueError(f"bbox latitudes must be within -90..90, found {box.lamin}, {box.lamax}")
    if not (-180.0 <= box.lomin <= 180.0 and -180.0 <= box.lomax <= 180.0):
        raise ValueError(
            f"bbox longitudes must be within -180..180, found {box.lomin}, {box.lomax}"
        )
    if box.lamin > box.lamax:
        raise ValueError(f"bbox lamin ({box.lamin}) must not exceed lamax ({box.lamax})")
    return box


def inside(
    lat: npt.NDArray[np.float64], lon: npt.NDArray[np.float64], box: BBox
) -> npt.NDArray[np.bool_]:
    """Which positions lie in ``box`` (edges included); NaN positions never do."""
    with np.errstate(invalid="ignore"):
        in_lat = (lat >= box.lamin) & (lat <= box.lamax)
        if box.lomin <= box.lomax:
            in_lon = (lon >= box.lomin) & (lon <= box.lomax)
        else:
            in_lon = (lon >= box.lomin) | (lon <= box.lomax)
    result: npt.NDArray[np.bool_] = in_lat & in_lon
    return result


def _array(docs: Sequence[bytes]) -> bytes:
    return b"[" + b",".join(docs) + b"]"


def _time(t: float) -> bytes:
    return f"{t:.3f}".encode()


def snapshot_message(t: float, docs: Sequence[bytes], stats: dict[str, Any]) -> str:
    """``{"type":"snapshot","time":t,"aircraft":[...],"stats":{...}}``."""
    return (
        b'{"type":"snapshot","time":'
        + _time(t)
        + b',"aircraft":'
        + _array(docs)
        + b',"stats":'
        + orjson.dumps(stats)
        + b"}"
    ).decode()


def diff_message(tick: Tick, box: BBox | None, *, force: bool = False) -> str | None:
    """The diff for clients viewing ``box`` (all when None); None when empty unless ``force``.

    ``"time"`` comes right after ``"type"`` so a client can read the send time cheaply.
    """
    removed_ids = tick.removed_ids
    if box is None:
        added = np.flatnonzero(~tick.prev_present)
        updated = np.flatnonzero(tick.prev_present)
        gone: list[str] = list(removed_ids)
    else:
        now_in = inside(tick.lat, tick.lon, box)
        was_in = tick.prev_present & inside(tick.prev_lat, tick.prev_lon, box)
        added = np.flatnonzero(now_in & ~was_in)
        updated = np.flatnonzero(now_in & was_in)
        left = np.flatnonzero(was_in & ~now_in)
        gone_mask = inside(tick.removed_lat, tick.removed_lon, box)
        gone = [tick.ids[i] for i in left]
        gone += [removed_ids[i] for i in np.flatnonzero(gone_mask)]
    if not force and not (len(added) or len(updated) or gone):
        return None
    docs = tick.docs
    return (
        b'{"type":"diff","time":'
        + _time(tick.time)
        + b',"added":'
        + _array([docs[i] for i in added])
        + b',"updated":'
        + _array([docs[i] for i in updated])
        + b',"removed":'
        + orjson.dumps(gone)
        + b',"stats":'
        + orjson.dumps(tick.stats)
        + b"}"
    ).decode()


def heartbeat_message(t: float) -> str:
    return '{"type":"heartbeat","time":' + _time(t).decode() + "}"


def pong_message(t: float) -> str:
    return '{"type":"pong","time":' + _time(t).decode() + "}"


def alert_message(alert: dict[str, Any]) -> str:
    return orjson.dumps({"type": "alert", "alert": alert}).decode()


def error_message(message: str) -> str:
    return orjson.dumps({"type": "error", "message": message}).decode()
