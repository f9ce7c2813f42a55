"""OpenSkyClient end to end against tests/fake_opensky.py (a real HTTP server on 127.0.0.1):
tokens, 401 refresh, 429 windows, transient retries, corrupt answers, credits, check()."""

from __future__ import annotations

import datetime as dt
import logging
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from aerolake.errors import AuthError, CorruptInput, RateLimited, SourceError, SourceUnavailable
from aerolake.refdata.regions import PRESETS, BBox
from aerolake.schema import STATE_SCHEMA
from aerolake.settings import load_settings
from aerolake.sources.base import LiveSource
from aerolake.sources.opensky import (
    DEFAULT_RETRY_AFTER_S,
    OpenSkyClient,
    credit_cost,
    default_poll_interval,
)
from fake_opensky import CLIENT_SECRET, SNAPSHOT_TIME, FakeOpenSky, ManualClock, Reply

INDIA = PRESETS["india"].bbox


class Sleeps(list[float]):
    """An injected ``sleep`` that records delays instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def client(
    fake_opensky: FakeOpenSky, clock: ManualClock, sleeps: Sleeps
) -> Iterator[OpenSkyClient]:
    with OpenSkyClient(
        fake_opensky.api_url,
        fake_opensky.token_url,
        fake_opensky.credentials,
        INDIA,
        timeout=2.0,
        clock=clock,
        sleep=sleeps,
        daily_credits=4000,
    ) as c:
        yield c


@pytest.fixture
def anonymous(
    fake_opensky: FakeOpenSky, clock: ManualClock, sleeps: Sleeps
) -> Iterator[OpenSkyClient]:
    with OpenSkyClient(
        fake_opensky.api_url, fake_opensky.token_url, None, INDIA, clock=clock, sleep=sleeps
    ) as c:
        yield c


def bearer(fake: FakeOpenSky, request_index: int) -> str:
    return fake.states_requests()[request_index].headers["authorization"].removeprefix("Bearer ")


# polling -------------------------------------------------------------------------------------


def test_anonymous_poll_sends_the_box_and_extended_and_no_token(
    anonymous: OpenSkyClient, fake_opensky: FakeOpenSky
) -> None:
    source: LiveSource = anonymous
    batch = source.poll()
    assert batch.schema.equals(STATE_SCHEMA)
    assert batch.column("icao24").to_pylist() == ["800abc", "800def"]
    assert set(batch.column("source").to_pylist()) == {"opensky"}
    assert batch.column("batch_id")[0].as_py() == f"opensky-{SNAPSHOT_TIME}-6_68_37_98"
    (seen,) = fake_opensky.states_requests()
    assert seen.query == {
        "lamin": ["6"],
        "lomin": ["68"],
        "lamax": ["37"],
        "lomax": ["98"],
        "extended": ["1"],
    }
    assert "authorization" not in seen.headers
    assert fake_opensky.token_requests() == []


def test_global_poll_sends_no_box(fake_opensky: FakeOpenSky) -> None:
    with OpenSkyClient(fake_opensky.api_url, fake_opensky.token_url) as c:
        c.poll()
    assert fake_opensky.states_requests()[0].query == {"extended": ["1"]}


def test_poll_stats_count_stale_positions_and_credits(
    client: OpenSkyClient, fake_opensky: FakeOpenSky, clock: ManualClock
) -> None:
    client.poll()
    stats = client.last_poll
    assert stats is not None
    assert (stats.states, stats.rows, stats.rejected) == (2, 2, ())
    assert stats.stale_positions == 1  # the fake's second aircraft is 40 s old
    assert (stats.credits_spent, stats.credits_remaining) == (4, 3996)
    assert client.credits_spent_today == 4 and client.credits_remaining == 3996
    client.poll()
    assert client.credits_spent_today == 8 and client.credits_remaining == 3992
    clock.advance(86_400)  # the next UTC day: our own tally restarts
    assert client.credits_spent_today == 0


def test_ingested_at_comes_from_the_injected_clock(
    client: OpenSkyClient, clock: ManualClock
) -> None:
    batch = client.poll()
    assert batch.column("ingested_at")[0].as_py() == dt.datetime.fromtimestamp(clock.now, dt.UTC)


def test_rows_that_cannot_be_parsed_are_reported_and_logged(
    client: OpenSkyClient, fake_opensky: FakeOpenSky, caplog: pytest.LogCaptureFixture
) -> None:
    fake_opensky.payload["states"].append(["too", "short"])
    with caplog.at_level(logging.WARNING, logger="aerolake"):
        batch = client.poll()
    assert batch.num_rows == 2
    assert client.last_poll is not None
    assert [i for i, _ in client.last_poll.rejected] == [2]
    assert "1 of 3 states could not be parsed" in caplog.text


def test_17_and_18_field_rows_with_nulls_and_null_states(
    anonymous: OpenSkyClient, fake_opensky: FakeOpenSky
) -> None:
    short = fake_opensky.payload["states"][0][:17]
    short[1] = short[5] = short[6] = None
    fake_opensky.states_replies.append(Reply(200, {"time": SNAPSHOT_TIME, "states": [short]}))
    fake_opensky.states_replies.append(Reply(200, {"time": SNAPSHOT_TIME, "states": None}))
    first = anonymous.poll().to_pylist()[0]
    assert (first["callsign"], first["lat"], first["lon"]) == (None, None, None)
    assert first["baroaltitude"] == 11000.0
    empty = anonymous.poll()
    assert empty.num_rows == 0 and empty.schema.equals(STATE_SCHEMA)


def test_bad_json_is_corrupt_input_naming_the_url(
    anonymous: OpenSkyClient, fake_opensky: FakeOpenSky
) -> None:
    fake_opensky.states_replies.append(Reply(200, b"<html>maintenance</html>"))
    with pytest.raises(CorruptInput, match=r"/api/states/all"):
        anonymous.poll()


def test_other_client_errors_are_not_retried(
    anonymous: OpenSkyClient, fake_opensky: FakeOpenSky, sleeps: Sleeps
) -> None:
    fake_opensky.states_replies.append(Reply(400, b"bad bbox"))
    with pytest.raises(SourceError, match="HTTP 400") as info:
        anonymous.poll()
    assert not isinstance(info.value, SourceUnavailable)
    assert len(fake_opensky.states_requests()) == 1 and sleeps == []


# tokens ----------------------------------------------------------------------------------------


def test_token_is_fetched_once_with_the_client_credentials_form(
    client: OpenSkyClient, fake_opensky: FakeOpenSky
) -> None:
    client.poll()
    client.poll()
    (token_request,) = fake_opensky.token_requests()
    assert token_request.form == {
        "grant_type": ["client_credentials"],
        "client_id": ["aerolake-test-client"],
        "client_secret": [CLIENT_SECRET],
    }
    assert bearer(fake_opensky, 0) == bearer(fake_opensky, 1) == fake_opensky.issued[0]


def test_token_is_refreshed_30_s_before_it_expires(
    client: OpenSkyClient, fake_opensky: FakeOpenSky, clock: ManualClock
) -> None:
    client.poll()
    clock.advance(1800 - 31)
    client.poll()
    assert len(fake_opensky.token_requests()) == 1
    clock.advance(2)  # now 29 s before expiry
    client.poll()
    assert len(fake_opensky.token_requests()) == 2
    assert bearer(fake_opensky, 2) == fake_opensky.issued[1] != fake_opensky.issued[0]


def test_a_401_refreshes_the_token_exactly_once_and_retries(
    client: OpenSkyClient, fake_opensky: FakeOpenSky
) -> None:
    client.poll()
    fake_opensky.states_replies.append(Reply(401, b""))  # e.g. the server revoked the token
    batch = client.poll()
    assert batch.num_rows == 2
    assert len(fake_opensky.token_requests()) == 2
    assert len(fake_opensky.states_requests()) == 3
    assert bearer(fake_opensky, 2) == fake_opensky.issued[1]


def test_two_401s_raise_auth_error_without_secrets(
    client: OpenSkyClient, fake_opensky: FakeOpenSky, caplog: pytest.LogCaptureFixture
) -> None:
    fake_opensky.states_replies.extend([Reply(401, b""), Reply(401, b"")])
    with caplog.at_level(logging.DEBUG), pytest.raises(AuthError) as info:
        client.poll()
    message = str(info.value)
    assert "OPENSKY_CLIENT_ID" in message and "credentials.json" in message
    assert len(fake_opensky.token_requests()) == 2
    assert len(fake_opensky.states_requests()) == 2
    for secret in [CLIENT_SECRET, *fake_opensky.issued]:
        assert secret not in message and secret not in caplog.text


def test_wrong_secret_is_an_auth_error_that_does_not_echo_it(
    fake_opensky: FakeOpenSky, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = "wrong-Secret-77ab01"
    with (
        caplog.at_level(logging.DEBUG),
        OpenSkyClient(
            fake_opensky.api_url, fake_opensky.token_url, ("aerolake-test-client", wrong)
        ) as c,
        pytest.raises(AuthError, match="invalid_client") as info,
    ):
        c.poll()
    assert wrong not in str(info.value) and wrong not in caplog.text
    assert fake_opensky.states_requests() == []


@pytest.mark.parametrize(
    "body", [{"token_type": "Bearer"}, {"access_token": "x", "expires_in": "soon"}, [1]]
)
def test_a_token_answer_without_a_token_is_an_auth_error(
    client: OpenSkyClient, fake_opensky: FakeOpenSky, body: object
) -> None:
    fake_opensky.token_replies.append(Reply(200, body))  # type: ignore[arg-type]
    with pytest.raises(AuthError, match="access_token"):
        client.poll()


def test_token_endpoint_outage_is_transient_and_retried(
    client: OpenSkyClient, fake_opensky: FakeOpenSky, sleeps: Sleeps
) -> None:
    fake_opensky.token_replies.append(Reply(503, b""))
    assert client.poll().num_rows == 2
    assert sleeps == [0.5]


def test_anonymous_401_is_an_auth_error(
    anonymous: OpenSkyClient, fake_opensky: FakeOpenSky
) -> None:
    fake_opensky.states_replies.append(Reply(401, b""))
    with pytest.raises(AuthError, match="anonymous"):
        anonymous.poll()


# rate limits -----------------------------------------------------------------------------------


def test_429_stops_requests_until_retry_after_then_polling_resumes(
    client: OpenSkyClient, fake_opensky: FakeOpenSky, clock: ManualClock, sleeps: Sleeps
) -> None:
    headers = {"X-Rate-Limit-Retry-After-Seconds": "600", "X-Rate-Limit-Remaining": "0"}
    fake_opensky.states_replies.append(Reply(429, b"", headers))
    with pytest.raises(RateLimited) as info:
        client.poll()
    assert info.value.retry_after_s == 600
    assert client.credits_remaining == 0
    assert client.rate_limited_until == dt.datetime.fromtimestamp(clock.now + 600, dt.UTC)
    sent = len(fake_opensky.requests)

    clock.advance(599)
    with pytest.raises(RateLimited) as again:
        client.poll()
    assert again.value.retry_after_s == pytest.approx(1)
    assert client.check().states == 0  # check() obeys the window too
    assert len(fake_opensky.requests) == sent  # no HTTP at all while limited
    assert sleeps == []  # and never slept

    clock.advance(1)
    assert client.rate_limited_until is None
    assert client.poll().num_rows == 2
    assert len(fake_opensky.states_requests()) == 2


def test_429_without_a_retry_header_waits_the_default(
    anonymous: OpenSkyClient, fake_opensky: FakeOpenSky
) -> None:
    fake_opensky.states_replies.append(Reply(429, b""))
    with pytest.raises(RateLimited) as info:
        anonymous.poll()
    assert info.value.retry_after_s == DEFAULT_RETRY_AFTER_S


# transient failures ----------------------------------------------------------------------------


def test_503_then_success_retries_after_a_short_delay(
    client: OpenSkyClient, fake_opensky: FakeOpenSky, sleeps: Sleeps
) -> None:
    fake_opensky.states_replies.append(Reply(503, b""))
    assert client.poll().num_rows == 2
    assert sleeps == [0.5]
    assert client.credits_spent_today == 4  # only the answered call is charged


def test_503_forever_is_source_unavailable_after_three_tries(
    client: OpenSkyClient, fake_opensky: FakeOpenSky, sleeps: Sleeps
) -> None:
    fake_opensky.states_replies.extend([Reply(503, b"")] * 3)
    with pytest.raises(SourceUnavailable, match="after 3 tries"):
        client.poll()
    assert sleeps == [0.5, 1.0]
    assert len(fake_opensky.states_requests()) == 3


def test_a_timeout_is_retried(fake_opensky: FakeOpenSky, sleeps: Sleeps) -> None:
    fake_opensky.states_replies.append(Reply(200, b"{}", delay_s=0.6))
    with OpenSkyClient(
        fake_opensky.api_url, fake_opensky.token_url, timeout=0.2, sleep=sleeps
    ) as c:
        assert c.poll().num_rows == 2
    assert sleeps == [0.5]


def test_connection_refused_is_source_unavailable(sleeps: Sleeps) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again when the block ends: nobody listens
    url = f"http://127.0.0.1:{port}/api"
    with (
        OpenSkyClient(url, url + "/token", timeout=1, sleep=sleeps) as c,
        pytest.raises(SourceUnavailable, match="could not reach OpenSky"),
    ):
        c.poll()
    assert sleeps == [0.5, 1.0]


# check() ---------------------------------------------------------------------------------------


def test_check_reports_auth_credits_and_a_sample(
    client: OpenSkyClient, fake_opensky: FakeOpenSky
) -> None:
    result = client.check()
    assert (result.source, result.reachable, result.auth) == ("opensky", True, "ok")
    assert (result.states, result.credits_left) == (2, 3996)
    assert result.sample[0] == {
        "icao24": "800abc",
        "callsign": "IGO6054",
        "lat": 28.5,
        "lon": 77.1,
        "altitude": 11000.0,
    }
    assert len(result.sample) == 2


def test_check_samples_at_most_five_positioned_states_first(
    anonymous: OpenSkyClient, fake_opensky: FakeOpenSky
) -> None:
    from fake_opensky import payload, state

    rows = [state(f"00000{i}", latitude=None) for i in range(3)]
    rows += [state(f"a0000{i}") for i in range(4)]
    fake_opensky.payload = payload(rows)
    result = anonymous.check()
    assert result.auth == "anonymous"
    assert [s["icao24"] for s in result.sample] == [
        "a00000",
        "a00001",
        "a00002",
        "a00003",
        "000000",
    ]


def test_check_never_raises_and_never_echoes_secrets(
    fake_opensky: FakeOpenSky, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = "another-Wrong-Secret-5521"
    with caplog.at_level(logging.DEBUG):
        bad = OpenSkyClient(fake_opensky.api_url, fake_opensky.token_url, ("id", wrong))
        failed = bad.check()
        down = OpenSkyClient("http://127.0.0.1:9/api", "http://127.0.0.1:9/t", timeout=0.5,
                             retry_delays=())  # fmt: skip
        unreachable = down.check()
    assert failed.reachable and failed.auth.startswith("failed:")
    assert "OPENSKY_CLIENT_ID" in failed.message
    assert not unreachable.reachable and unreachable.auth == "anonymous"
    for text in (repr(failed), repr(unreachable), caplog.text):
        assert wrong not in text


# budgets and settings ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bbox", "cost"),
    [
        (BBox(0, 0, 5, 5), 1),
        (BBox(0, 0, 5, 5.1), 2),
        (BBox(0, 0, 10, 10), 2),
        (BBox(0, 0, 20, 20), 3),
        (BBox(0, 0, 20, 20.1), 4),
        (INDIA, 4),
        (None, 4),
    ],
)
def test_credit_cost_by_area(bbox: BBox | None, cost: int) -> None:
    assert credit_cost(bbox) == cost


def test_default_poll_interval_spreads_the_daily_credits() -> None:
    assert default_poll_interval(INDIA, 4000) == pytest.approx(86.4)
    assert default_poll_interval(INDIA, 400) == pytest.approx(864.0)
    assert default_poll_interval(BBox(0, 0, 5, 5), 14_400 * 24) == 5.0  # floor
    with pytest.raises(ValueError):
        default_poll_interval(INDIA, 0)


def test_from_settings(
    fake_opensky: FakeOpenSky, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # no stray aerolake.toml
    for name in ("OPENSKY_CLIENT_ID", "OPENSKY_CLIENT_SECRET", "AEROLAKE_REGION"):
        monkeypatch.delenv(name, raising=False)
    common = {"opensky_api_url": fake_opensky.api_url, "opensky_token_url": fake_opensky.token_url}
    signed_in = load_settings(
        region="india",
        opensky_client_id="aerolake-test-client",
        opensky_client_secret=CLIENT_SECRET,
        **common,
    )
    with OpenSkyClient.from_settings(signed_in) as c:
        assert c.credits_remaining == 4000 and c.cost == 4
        c.poll()
    assert len(fake_opensky.token_requests()) == 1
    assert fake_opensky.states_requests()[0].query["lamin"] == ["6"]
    with OpenSkyClient.from_settings(load_settings(region="world", **common)) as anon:
        assert anon.credits_remaining == 400
        anon.poll()
    assert fake_opensky.states_requests()[1].query == {"extended": ["1"]}
