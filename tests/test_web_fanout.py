"""Per-box diffs for many boxes at once, short ``updated`` objects, the keepalive. Pure."""

from __future__ import annotations

import random
from typing import Any

import orjson

from aerolake.web.aircraft import FIELDS, UPDATE_FIELDS
from aerolake.web.fanout import BBox, diff_message, diff_messages, keepalive_message
from aerolake.web.live import LiveHub


class Clock:
    def __init__(self, t: float = 1_700_000_000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def row(icao: str, t: int, lat: float | None, lon: float | None, **extra: Any) -> dict[str, Any]:
    return {
        "time": t,
        "icao24": icao,
        "lat": lat,
        "lon": lon,
        "onground": False,
        "source": "opensky",
        "lastcontact": float(t),
        "callsign": "IGO1",
        "squawk": "1000",
        **extra,
    }


def decoded(message: str | None) -> dict[str, Any] | None:
    return None if message is None else orjson.loads(message)


def in_box(lat: float | None, lon: float | None, box: BBox | None) -> bool:
    """The reference rule, one position at a time."""
    if box is None:
        return True
    if lat is None or lon is None:
        return False
    if not box.lamin <= lat <= box.lamax:
        return False
    if box.lomin <= box.lomax:
        return box.lomin <= lon <= box.lomax
    return lon >= box.lomin or lon <= box.lomax


def test_updated_is_short_when_only_fast_fields_change() -> None:
    hub = LiveHub(clock=Clock())
    hub.update([row("aaaaaa", 1, 20.0, 77.0)])
    first = decoded(diff_message(hub.tick(), None))
    assert first is not None and list(first["added"][0]) == list(FIELDS)
    hub.update([row("aaaaaa", 2, 20.5, 77.5, squawk="2000", velocity=200.0)])
    second = decoded(diff_message(hub.tick(), None))
    assert second is not None
    (update,) = second["updated"]
    # only what changed: heading, altitudes and vertical rate stayed null
    assert update == {
        "icao24": "aaaaaa",
        "lat": 20.5,
        "lon": 77.5,
        "velocity": 200.0,
        "squawk": "2000",
        "last_seen": 2,
    }
    assert set(update) < set(UPDATE_FIELDS)
    hub.update([row("aaaaaa", 3, 20.5, 77.5, squawk=None, velocity=200.0)])
    third = decoded(diff_message(hub.tick(), None))
    assert third is not None  # a value that went away is sent as null
    assert third["updated"] == [{"icao24": "aaaaaa", "squawk": None, "last_seen": 3}]


def test_updated_is_whole_when_another_field_changes() -> None:
    hub = LiveHub(clock=Clock())
    hub.update([row("aaaaaa", 1, 20.0, 77.0), row("bbbbbb", 1, 21.0, 77.0)])
    hub.tick()
    hub.update(
        [
            row("aaaaaa", 2, 20.1, 77.0, callsign="AIC2"),
            row("bbbbbb", 2, 21.0, 77.0, squawk="7700"),  # emergency flips with the squawk
        ]
    )
    message = decoded(diff_message(hub.tick(), None))
    assert message is not None
    by_id = {a["icao24"]: a for a in message["updated"]}
    assert by_id["aaaaaa"]["callsign"] == "AIC2" and list(by_id["aaaaaa"]) == list(FIELDS)
    assert by_id["bbbbbb"]["emergency"] is True and list(by_id["bbbbbb"]) == list(FIELDS)


def test_going_stale_and_coming_back_are_whole_objects() -> None:
    clock = Clock()
    hub = LiveHub(clock=clock)
    hub.update([row("aaaaaa", 1, 20.0, 77.0)])
    hub.tick()
    clock.t += 61
    stale = decoded(diff_message(hub.tick(), None))
    assert stale is not None and stale["updated"][0]["stale"] is True
    hub.update([row("aaaaaa", 70, 20.1, 77.0)])
    back = decoded(diff_message(hub.tick(), None))
    assert back is not None and back["updated"][0]["stale"] is False


def test_many_boxes_at_once_match_the_one_at_a_time_rule() -> None:
    rng = random.Random(3)
    hub = LiveHub(clock=Clock())
    ids = [f"{0xA00000 + i:06x}" for i in range(300)]
    where: dict[str, tuple[float | None, float | None]] = {}

    def place(i: int) -> tuple[float | None, float | None]:
        if i % 37 == 0:
            return None, None  # no position: only in the unfiltered view
        return round(rng.uniform(-20, 20), 3), round(rng.choice([-1, 1]) * rng.uniform(160, 180), 3)

    for i, icao in enumerate(ids):
        where[icao] = place(i)
    hub.update([row(icao, 1, *where[icao]) for icao in ids])
    hub.tick()
    boxes: list[BBox | None] = [None, BBox(-5, 170, 5, -170), BBox(30, 0, 40, 10)]
    for _ in range(40):  # near the aircraft: either side of 180 degrees, some across it
        lat, lon = (
            rng.uniform(-25, 15),
            rng.choice([rng.uniform(150, 178), rng.uniform(-180, -165)]),
        )
        east = lon + rng.uniform(2, 15)
        boxes.append(BBox(lat, lon, lat + rng.uniform(2, 15), east if east <= 180 else east - 360))
    before = dict(where)
    moved = rng.sample(range(len(ids)), 120)
    for i in moved:
        where[ids[i]] = place(i + 1)
    hub.update([row(ids[i], 2, *where[ids[i]]) for i in moved])
    evicted = [ids[i] for i in rng.sample(range(len(ids)), 20) if i not in moved]
    hub.evict(evicted)
    tick = hub.tick()
    messages = diff_messages(tick, boxes)
    changed = {ids[i] for i in moved} - set(evicted)
    assert sum(m is not None for m in messages) > len(boxes) // 2  # the check below has teeth
    for box, message in zip(boxes, messages, strict=True):
        was = {k for k, p in before.items() if in_box(*p, box)}
        now = {k for k in changed if in_box(*where[k], box)}
        expect_added = sorted(now - was)
        expect_updated = sorted(now & was)
        expect_removed = sorted({k for k in changed & was if k not in now} | (set(evicted) & was))
        got = decoded(message)
        if not (expect_added or expect_updated or expect_removed):
            assert got is None, box
            continue
        assert got is not None, box
        assert sorted(a["icao24"] for a in got["added"]) == expect_added, box
        assert sorted(a["icao24"] for a in got["updated"]) == expect_updated, box
        assert sorted(got["removed"]) == expect_removed, box
        assert got["time"] == round(tick.time, 3) and got["stats"] == tick.stats
        assert diff_message(tick, box) == message  # one box alone gives the same bytes


def test_keepalive_is_an_empty_diff_with_stats() -> None:
    hub = LiveHub(clock=Clock())
    hub.update([row("aaaaaa", 1, 20.0, 77.0)])
    tick = hub.tick()
    message = orjson.loads(keepalive_message(tick))
    assert message == {
        "type": "diff",
        "time": tick.time,
        "added": [],
        "updated": [],
        "removed": [],
        "stats": tick.stats,
    }
    assert keepalive_message(tick).startswith('{"type":"diff","time":')
