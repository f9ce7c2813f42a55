"""LiveHub and the per-box diff encoding: pure, driven by a fake clock."""

from __future__ import annotations

from typing import Any

import orjson
import pyarrow as pa
import pytest

from aerolake.stream.schema import ENRICHED_SCHEMA
from aerolake.web.fanout import BBox, diff_message, parse_bbox, snapshot_message
from aerolake.web.live import LiveHub


class Clock:
    def __init__(self, t: float = 1_700_000_000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def row(
    icao: str, t: int, lat: float | None = 20.0, lon: float | None = 77.0, **extra: Any
) -> dict[str, Any]:
    base = {
        "time": t,
        "icao24": icao,
        "lat": lat,
        "lon": lon,
        "onground": False,
        "source": "opensky",
        "lastcontact": float(t),
        "callsign": "IGO1 ",
        "squawk": "1000",
    }
    return {**base, **extra}


def diff(hub: LiveHub, box: BBox | None = None) -> dict[str, Any] | None:
    message = diff_message(hub.tick(), box)
    return None if message is None else orjson.loads(message)


def test_update_builds_the_aircraft_object_and_rounds() -> None:
    hub = LiveHub(clock=Clock())
    hub.update(
        [
            row(
                "ABC123",
                100,
                lat=20.1234567,
                squawk="7700",
                source="simulator-fallback",
                baroaltitude=1000.06,
                vertrate=3.0,
            )
        ]
    )
    _, items, stats = hub.aircraft_list(None)
    (a,) = items
    assert a["icao24"] == "abc123" and a["callsign"] == "IGO1" and a["lat"] == 20.12346
    assert a["baroaltitude"] == 1000.1 and a["phase"] == "climb"
    assert a["emergency"] and a["simulated"] and not a["stale"]
    assert a["first_seen"] == 100 and a["last_seen"] == 100
    assert stats == {"in_air": 1, "on_ground": 0, "total": 1, "states_per_s": 0.1}


def test_arrow_enriched_table_is_accepted() -> None:
    hub = LiveHub(clock=Clock())
    data = {f.name: [None, None] for f in ENRICHED_SCHEMA}
    data.update(
        time=[10, 20],
        icao24=["aaaaaa", "aaaaaa"],
        lat=[1.0, 2.0],
        lon=[3.0, 4.0],
        onground=[True, True],
        phase=["ground", "ground"],
        source=["opensky"] * 2,
        flight_id=["f", "f"],
        persist=[True, True],
        stale=[False, False],
    )
    table = pa.Table.from_pydict(data, schema=ENRICHED_SCHEMA)
    assert hub.update(table) == 2
    found = hub.aircraft("AAAAAA")
    assert found is not None and found["lat"] == 2.0 and found["phase"] == "ground"
    assert found["trail"] == [[10, 1.0, 3.0, None], [20, 2.0, 4.0, None]]


def test_older_rows_are_ignored() -> None:
    hub = LiveHub(clock=Clock())
    hub.update([row("aaaaaa", 200, lat=5.0)])
    hub.update([row("aaaaaa", 100, lat=6.0)])
    assert hub.aircraft("aaaaaa")["lat"] == 5.0  # type: ignore[index]


def test_ticks_give_added_updated_removed_without_bbox() -> None:
    hub = LiveHub(clock=Clock())
    hub.update([row("aaaaaa", 1), row("bbbbbb", 1)])
    first = diff(hub)
    assert first is not None and sorted(a["icao24"] for a in first["added"]) == ["aaaaaa", "bbbbbb"]
    assert diff(hub) is None  # nothing changed
    hub.update([row("aaaaaa", 2, lat=21.0)])
    hub.evict(["bbbbbb"])
    second = diff(hub)
    assert second is not None
    assert second["added"] == [] and [a["icao24"] for a in second["updated"]] == ["aaaaaa"]
    assert second["removed"] == ["bbbbbb"]


def test_identical_rows_do_not_produce_updates() -> None:
    hub = LiveHub(clock=Clock())
    hub.update([row("aaaaaa", 1)])
    hub.tick()
    hub.update([row("aaaaaa", 1)])
    assert diff(hub) is None


def test_bbox_diff_adds_on_entry_and_removes_on_exit() -> None:
    hub = LiveHub(clock=Clock())
    box = BBox(10.0, 70.0, 30.0, 80.0)
    hub.update([row("aaaaaa", 1, lat=20.0), row("bbbbbb", 1, lat=50.0)])
    first = diff(hub, box)
    assert first is not None and [a["icao24"] for a in first["added"]] == ["aaaaaa"]
    hub.update([row("aaaaaa", 2, lat=40.0), row("bbbbbb", 2, lat=25.0)])
    second = diff(hub, box)
    assert second is not None
    assert [a["icao24"] for a in second["added"]] == ["bbbbbb"]
    assert second["removed"] == ["aaaaaa"] and second["updated"] == []


def test_aircraft_outside_a_box_that_change_give_no_diff_for_it() -> None:
    hub = LiveHub(clock=Clock())
    hub.update([row("aaaaaa", 1, lat=50.0)])
    hub.tick()
    hub.update([row("aaaaaa", 2, lat=51.0)])
    assert diff_message(hub.tick(), BBox(10.0, 70.0, 30.0, 80.0)) is None


def test_stale_after_60s_removed_after_300s() -> None:
    clock = Clock()
    hub = LiveHub(clock=clock)
    hub.update([row("aaaaaa", 1)])
    hub.tick()
    clock.t += 61
    stale = diff(hub)
    assert stale is not None and stale["updated"][0]["stale"] is True
    clock.t += 240
    gone = diff(hub)
    assert gone is not None and gone["removed"] == ["aaaaaa"]
    assert hub.aircraft("aaaaaa") is None


def test_removed_then_heard_again_before_a_tick_stays_on_the_map() -> None:
    hub = LiveHub(clock=Clock())
    hub.update([row("aaaaaa", 1)])
    hub.tick()
    hub.clear()
    hub.update([row("aaaaaa", 2, lat=22.0)])
    message = diff(hub)
    assert message is not None and message["removed"] == []
    assert [a["icao24"] for a in message["updated"]] == ["aaaaaa"]


def test_snapshot_reflects_published_state_and_slots_are_reused_safely() -> None:
    hub = LiveHub(clock=Clock())
    hub.update([row(f"{i:06x}", 1) for i in range(3000)])  # beyond the initial capacity
    hub.tick()
    hub.update([row("ffffff", 2)])  # not published yet
    t, docs, stats = hub.snapshot(None)
    assert len(docs) == 3000 and stats["total"] == 3001
    snap = orjson.loads(snapshot_message(t, docs, stats))
    assert snap["type"] == "snapshot" and len(snap["aircraft"]) == 3000
    hub.evict(["000000"])
    hub.tick()
    hub.update([row("eeeeee", 3)])  # may take the freed slot
    message = diff(hub)
    assert message is not None and [a["icao24"] for a in message["added"]] == ["eeeeee"]


def test_alerts_are_kept_newest_first_and_published_once() -> None:
    hub = LiveHub(clock=Clock())
    hub.alert({"icao24": "aaaaaa", "squawk": "7700", "kind": "raised", "time": 1})
    hub.alert({"icao24": "aaaaaa", "squawk": "1000", "kind": "cleared", "time": 2})
    assert [a["kind"] for a in hub.recent_alerts()] == ["cleared", "raised"]
    assert len(hub.tick().alerts) == 2 and hub.tick().alerts == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ([1, 2, 3, 4], BBox(1, 2, 3, 4)),
        ("6,68,36,98", BBox(6, 68, 36, 98)),
        ([-10, 170, 10, -170], BBox(-10, 170, 10, -170)),
    ],
)
def test_parse_bbox_accepts(value: object, expected: BBox | None) -> None:
    assert parse_bbox(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        [1, 2, 3],
        [91, 0, 92, 1],
        [0, -200, 1, 0],
        [5, 0, 1, 1],
        ["a", 1, 2, 3],
        [float("nan"), 0, 1, 1],
        [True, 0, 1, 1],
        "1,2",
        {"lamin": 1},
    ],
)
def test_parse_bbox_rejects_with_a_message(value: object) -> None:
    with pytest.raises(ValueError, match="bbox"):
        parse_bbox(value)


def test_bbox_across_the_antimeridian() -> None:
    hub = LiveHub(clock=Clock())
    hub.update([row("aaaaaa", 1, lat=0.0, lon=179.5), row("bbbbbb", 1, lat=0.0, lon=0.0)])
    message = diff(hub, BBox(-10, 170, 10, -170))
    assert message is not None and [a["icao24"] for a in message["added"]] == ["aaaaaa"]
