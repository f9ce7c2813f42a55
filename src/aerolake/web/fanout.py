"""WebSocket message encoding: bounding boxes, snapshots and per-box diffs. Pure.

A :class:`~aerolake.web.live.Tick` is the change from one published state to the next, so the
diff a client needs depends only on its bounding box: an aircraft is ``added`` when it is in
the box now but was not (or did not exist), ``updated`` when it was and still is, ``removed``
when it was in the box and has left it or the map. Clients with the same box share one encoded
message; the aircraft objects are encoded once per tick and joined, never re-serialised, and
all distinct boxes of a tick are resolved in one vectorised pass (:func:`diff_messages`).
``added`` carries whole aircraft objects, ``updated`` short ones (only the fields that change
with every state vector) unless another field changed too.

Positions are degrees; an aircraft without a position is in view only without a box. A box
with ``lomin > lomax`` crosses the antimeridian.
"""

from __future__ import annotations

import itertools
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


def box_masks(
    lat: npt.NDArray[np.float64], lon: npt.NDArray[np.float64], boxes: npt.NDArray[np.float64]
) -> npt.NDArray[np.bool_]:
    """``[b, i]``: position ``i`` lies in box ``b`` (rows of ``boxes``: lamin, lomin, lamax,
    lomax), every box in one vectorised pass; same rules as :func:`inside`."""
    lamin, lomin, lamax, lomax = (boxes[:, k, None] for k in range(4))
    with np.errstate(invalid="ignore"):
        east = lon >= lomin
        west = lon <= lomax
        in_lon = np.where(lomin <= lomax, east & west, east | west)
        result: npt.NDArray[np.bool_] = (lat >= lamin) & (lat <= lamax) & in_lon
    return result


def _rows(mask: npt.NDArray[np.bool_]) -> list[list[int]]:
    """The column indices set in each row of a 2-D mask."""
    rows, cols = np.nonzero(mask)
    bounds = np.searchsorted(rows, np.arange(mask.shape[0] + 1)).tolist()
    flat = cols.tolist()
    return [flat[a:b] for a, b in itertools.pairwise(bounds)]


def diff_messages(tick: Tick, boxes: Sequence[BBox | None]) -> list[str | None]:
    """The diff for clients viewing each of ``boxes`` (None: everything); None where empty.

    All boxes are worked out together (one boolean matrix per question: in view now, in view
    before, removed in view), then each box's message is joined from the tick's pre-encoded
    objects: full objects in ``added``, short ones in ``updated`` (see ``Tick.updates``).
    ``"time"`` comes right after ``"type"`` so a client can read the send time cheaply.
    """
    head = b'{"type":"diff","time":' + _time(tick.time) + b',"added":'
    tail = b',"stats":' + orjson.dumps(tick.stats) + b"}"
    real = [b for b in boxes if b is not None]
    per_box: dict[BBox | None, tuple[list[int], list[int], list[str]]] = {}
    if None in boxes:
        present = tick.prev_present
        per_box[None] = (
            np.flatnonzero(~present).tolist(),
            np.flatnonzero(present).tolist(),
            list(tick.removed_ids),
        )
    if real:
        edges = np.array(real, dtype=np.float64).reshape(-1, 4)
        now_in = box_masks(tick.lat, tick.lon, edges)
        was_in = box_masks(tick.prev_lat, tick.prev_lon, edges) & tick.prev_present
        added, updated = _rows(now_in & ~was_in), _rows(now_in & was_in)
        left = _rows(was_in & ~now_in)
        gone = _rows(box_masks(tick.removed_lat, tick.removed_lon, edges))
        ids, removed_ids = tick.ids, tick.removed_ids
        for k, edge in enumerate(real):
            gone_ids = [ids[i] for i in left[k]] + [removed_ids[i] for i in gone[k]]
            per_box[edge] = (added[k], updated[k], gone_ids)
    docs, updates = tick.docs, tick.updates
    out: list[str | None] = []
    for box in boxes:
        add, upd, gone_ids = per_box[box]
        if not (add or upd or gone_ids):
            out.append(None)
            continue
        message = (
            head
            + _array([docs[i] for i in add])
            + b',"updated":'
            + _array([updates[i] for i in upd])
            + b',"removed":'
            + orjson.dumps(gone_ids)
            + tail
        )
        out.append(message.decode())
    return out


def diff_message(tick: Tick, box: BBox | None) -> str | None:
    """The diff for one box (see :func:`diff_messages`); None when empty."""
    return diff_messages(tick, [box])[0]


def keepalive_message(tick: Tick) -> str:
    """An empty diff carrying the tick's stats (the same for every view)."""
    return (
        b'{"type":"diff","time":'
        + _time(tick.time)
        + b',"added":[],"updated":[],"removed":[],"stats":'
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
