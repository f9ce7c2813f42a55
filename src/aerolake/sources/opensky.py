"""The OpenSky REST source: ``GET /states/all`` for one bounding box, as canonical Arrow rows.

Contracts (see ../shared/reference/opensky.md for the facts behind them):

- authentication is OAuth2 client credentials (:mod:`.opensky_auth`); ``credentials=None`` polls
  anonymously (400 credits a day, 10 s resolution);
- every successful call costs :func:`credit_cost` credits; the server's
  ``X-Rate-Limit-Remaining`` is exposed as :attr:`OpenSkyClient.credits_remaining`;
- HTTP 429 raises :class:`RateLimited` and, until ``X-Rate-Limit-Retry-After-Seconds`` have
  passed, :meth:`OpenSkyClient.poll` raises it again *without* a request. The client never sleeps
  for a rate limit; the caller falls back to another source and shows
  :attr:`OpenSkyClient.rate_limited_until`;
- 5xx, timeouts and connection errors are retried briefly (``retry_delays``), then
  :class:`SourceUnavailable`.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

import httpx
import pyarrow as pa
import pyarrow.compute as pc

from aerolake.errors import AuthError, RateLimited, SourceError, SourceUnavailable
from aerolake.refdata.regions import BBox
from aerolake.settings import OPENSKY_API_URL, OPENSKY_TOKEN_URL, Settings
from aerolake.sources.base import SourceCheck
from aerolake.sources.opensky_auth import AUTH_HINT, TokenSource
from aerolake.sources.opensky_parse import count_stale_positions, decode, parse_states

log = logging.getLogger(__name__)

RETRY_DELAYS_S: Final[tuple[float, ...]] = (0.5, 1.0)  # 3 tries in all
DEFAULT_RETRY_AFTER_S: Final = 300.0  # a 429 without a usable Retry-After header
ANONYMOUS_DAILY_CREDITS: Final = 400
MIN_POLL_INTERVAL_S: Final = 5.0  # authenticated data resolution; faster returns nothing new
SAMPLE_SIZE: Final = 5


def credit_cost(bbox: BBox | None) -> int:
    """Credits one ``/states/all`` call costs: by box area in square degrees; global is 4."""
    if bbox is None:
        return 4
    area = bbox.area_sq_deg
    return 1 if area <= 25 else 2 if area <= 100 else 3 if area <= 400 else 4


def default_poll_interval(bbox: BBox | None, daily_credits: int) -> float:
    """Seconds between calls so ``daily_credits`` last a whole day, never below 5 s.

    India (4 credits a call): 86.4 s with 4,000 credits, 864 s anonymously (400 credits).
    """
    if daily_credits <= 0:
        raise ValueError(f"daily_credits must be positive, got {daily_credits}")
    return max(MIN_POLL_INTERVAL_S, 86_400.0 * credit_cost(bbox) / daily_credits)


@dataclass(frozen=True)
class PollStats:
    """What the last successful :meth:`OpenSkyClient.poll` saw."""

    snapshot_time: int  # the answer's ``time``, unix s
    states: int  # state arrays in the answer
    rows: int  # rows in the returned batch
    rejected: tuple[tuple[int, str], ...]  # (index in the answer, reason) for unparseable rows
    stale_positions: int  # rows with time - time_position > 15 s (kept; validation marks them)
    credits_spent: int  # credits this call cost
    credits_remaining: int | None


class OpenSkyClient:
    """A :class:`~aerolake.sources.base.LiveSource` over the OpenSky REST API.

    ``clock`` returns unix seconds (UTC) and drives token expiry, rate-limit windows, the
    credit day (UTC) and ``ingested_at``; ``sleep`` is only used between transient retries.
    Pass ``http`` or ``transport`` to talk to a fake; a client passed in is not closed here.
    """

    name: str = "opensky"

    def __init__(
        self,
        api_url: str = OPENSKY_API_URL,
        token_url: str = OPENSKY_TOKEN_URL,
        credentials: tuple[str, str] | None = None,
        bbox: BBox | None = None,
        timeout: float = 20.0,
        *,
        clock: Callable[[], float] = time.time,
        http: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
        retry_delays: Sequence[float] = RETRY_DELAYS_S,
        sleep: Callable[[float], None] = time.sleep,
        daily_credits: int | None = None,
    ) -> None:
        self._url = api_url.rstrip("/") + "/states/all"
        self._bbox = bbox
        self._params: dict[str, str] = {"extended": "1"}
        if bbox is not None:
            self._params |= {
                "lamin": f"{bbox.lamin:g}",
                "lomin": f"{bbox.lomin:g}",
                "lamax": f"{bbox.lamax:g}",
                "lomax": f"{bbox.lomax:g}",
            }
        self._timeout = timeout
        self._clock = clock
        self._owns_http = http is None
        self._http = http or httpx.Client(transport=transport, timeout=timeout)
        self._retry_delays = tuple(retry_delays)
        self._sleep = sleep
        self._tokens = (
            TokenSource(self._http, token_url, credentials, clock=clock, timeout=timeout)
            if credentials is not None
            else None
        )
        self._daily_credits = daily_credits
        self._server_remaining: int | None = None
        self._spent_today = 0
        self._credit_day: dt.date | None = None
        self._limited_until: float | None = None
        self.last_poll: PollStats | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> OpenSkyClient:
        """A client for the configured region, credentials and timeout.

        Raises :class:`~aerolake.errors.ConfigError` for an unreadable credentials file."""
        credentials = settings.opensky_credentials()
        region = settings.region_def
        return cls(
            api_url=settings.opensky_api_url,
            token_url=settings.opensky_token_url,
            credentials=credentials,
            bbox=None if region.name == "world" else region.bbox,
            timeout=settings.opensky_timeout_s,
            daily_credits=(
                settings.opensky_daily_credits if credentials else ANONYMOUS_DAILY_CREDITS
            ),
        )

    # state ----------------------------------------------------------------------------------

    @property
    def cost(self) -> int:
        """Credits one poll costs."""
        return credit_cost(self._bbox)

    @property
    def credits_spent_today(self) -> int:
        """Credits our successful polls cost since 00:00 UTC (this process only)."""
        return self._spent_today if self._credit_day == self._today() else 0

    @property
    def credits_remaining(self) -> int | None:
        """The server's last ``X-Rate-Limit-Remaining``; before any answer, ``daily_credits``
        minus what we spent today; None when neither is known."""
        if self._server_remaining is not None:
            return self._server_remaining
        if self._daily_credits is not None:
            return max(0, self._daily_credits - self.credits_spent_today)
        return None

    @property
    def rate_limited_until(self) -> dt.datetime | None:
        """When polling may resume after a 429 (UTC), or None when not rate limited."""
        if self._limited_until is None or self._clock() >= self._limited_until:
            return None
        return dt.datetime.fromtimestamp(self._limited_until, tz=dt.UTC)

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> OpenSkyClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # LiveSource -----------------------------------------------------------------------------

    def poll(self) -> pa.RecordBatch:
        """One snapshot of the states in the box, in ``STATE_SCHEMA``.

        Raises :class:`RateLimited` (without a request while a 429 window lasts),
        :class:`AuthError`, :class:`SourceUnavailable`, :class:`~aerolake.errors.CorruptInput`
        or :class:`SourceError` (other 4xx). Rows that cannot be parsed are left out, logged and
        listed in :attr:`last_poll`.
        """
        self._raise_if_rate_limited()
        response = self._get_with_retries()
        self._count_credits()
        document, snapshot_time = decode(response.content, url=self._url)
        ingested_at = dt.datetime.fromtimestamp(self._clock(), tz=dt.UTC)
        batch, rejected = parse_states(
            document,
            ingested_at=ingested_at,
            batch_id=f"opensky-{snapshot_time}-{self._bbox_key()}",
            url=self._url,
        )
        states = batch.num_rows + len(rejected)
        if rejected:
            log.warning(
                "OpenSky answer at %d: %d of %d states could not be parsed (first: row %d, %s)",
                snapshot_time, len(rejected), states, *rejected[0],
            )  # fmt: skip
        self.last_poll = PollStats(
            snapshot_time=snapshot_time,
            states=states,
            rows=batch.num_rows,
            rejected=tuple(rejected),
            stale_positions=count_stale_positions(batch),
            credits_spent=self.cost,
            credits_remaining=self.credits_remaining,
        )
        return batch

    def check(self) -> SourceCheck:
        """Probe with one poll (it costs :attr:`cost` credits). Never raises, never echoes secrets."""
        try:
            batch = self.poll()
        except AuthError as exc:
            return self._check_result(True, f"failed: {exc}", message=str(exc))
        except SourceUnavailable as exc:
            return self._check_result(False, self._auth_state(), message=str(exc))
        except SourceError as exc:  # RateLimited, CorruptInput, other 4xx: the server answered
            return self._check_result(True, self._auth_state(), message=str(exc))
        except Exception as exc:  # the contract is "never raises"; keep the traceback in the log
            log.exception("OpenSky check failed unexpectedly")
            text = self._scrub(f"unexpected {type(exc).__name__}: {exc}")
            return self._check_result(False, self._auth_state(), message=text)
        stats = self.last_poll
        assert stats is not None
        message = (
            f"{stats.states} states at {stats.snapshot_time} for {self._bbox_key()}; "
            f"{stats.stale_positions} positions older than 15 s; {len(stats.rejected)} rejected; "
            f"{self.cost} credits a call"
        )
        return self._check_result(True, self._auth_state(), batch=batch, message=message)

    # helpers --------------------------------------------------------------------------------

    def _get_with_retries(self) -> httpx.Response:
        tries = len(self._retry_delays) + 1
        for attempt in range(tries):
            try:
                return self._get_authorised()
            except SourceUnavailable as exc:
                if attempt == tries - 1:
                    raise SourceUnavailable(
                        f"OpenSky unavailable after {tries} tries: {exc}; "
                        "the stream can fall back to the simulator"
                    ) from None
                delay = self._retry_delays[attempt]
                log.warning("OpenSky try %d/%d failed (%s); retrying in %.1f s",
                            attempt + 1, tries, exc, delay)  # fmt: skip
                self._sleep(delay)
        raise AssertionError("unreachable")

    def _get_authorised(self) -> httpx.Response:
        response = self._send()
        if response.status_code == 401:
            if self._tokens is None:
                raise AuthError(
                    f"OpenSky refused anonymous access to {self._url} (HTTP 401); "
                    f"configure credentials: {AUTH_HINT}"
                )
            log.info("OpenSky answered 401; refreshing the access token once")
            self._tokens.invalidate()
            response = self._send()
            if response.status_code == 401:
                self._tokens.invalidate()
                raise AuthError(
                    f"OpenSky rejected a freshly issued access token (HTTP 401 twice); {AUTH_HINT}"
                )
        self._note_remaining(response)
        status = response.status_code
        if status == 429:
            raise self._start_rate_limit(response)
        if status >= 500:
            raise SourceUnavailable(f"OpenSky answered HTTP {status} for {self._url}")
        if status != 200:
            raise SourceError(
                f"OpenSky answered HTTP {status} for {self._url}, expected 200; "
                "check AEROLAKE_REGION and AEROLAKE_OPENSKY_API_URL"
            )
        return response

    def _send(self) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self._tokens.bearer()}"} if self._tokens else {}
        try:
            return self._http.get(
                self._url, params=self._params, headers=headers, timeout=self._timeout
            )
        except httpx.TimeoutException:
            raise SourceUnavailable(
                f"OpenSky did not answer within {self._timeout:g} s ({self._url})"
            ) from None
        except httpx.TransportError as exc:
            raise SourceUnavailable(
                f"could not reach OpenSky at {self._url} ({type(exc).__name__}: "
                f"{self._scrub(str(exc))})"
            ) from None

    def _raise_if_rate_limited(self) -> None:
        until = self._limited_until
        if until is None:
            return
        wait = until - self._clock()
        if wait <= 0:
            self._limited_until = None
            return
        raise RateLimited(self._rate_limit_message(wait), retry_after_s=wait)

    def _start_rate_limit(self, response: httpx.Response) -> RateLimited:
        wait = _float_header(response, "X-Rate-Limit-Retry-After-Seconds")
        if wait is None or wait < 0:
            wait = DEFAULT_RETRY_AFTER_S
        self._limited_until = self._clock() + wait
        self._server_remaining = 0
        log.warning("OpenSky credits exhausted (HTTP 429); not polling for %.0f s", wait)
        return RateLimited(self._rate_limit_message(wait), retry_after_s=wait)

    def _rate_limit_message(self, wait: float) -> str:
        until = dt.datetime.fromtimestamp(self._clock() + wait, tz=dt.UTC)
        return (
            f"OpenSky credits are exhausted (HTTP 429) until {until:%Y-%m-%d %H:%M:%S} UTC "
            f"(in {wait:.0f} s); poll less often (AEROLAKE_POLL_INTERVAL), use a smaller "
            "AEROLAKE_REGION, or sign in for more credits"
        )

    def _note_remaining(self, response: httpx.Response) -> None:
        remaining = _float_header(response, "X-Rate-Limit-Remaining")
        if remaining is not None:
            self._server_remaining = int(remaining)

    def _count_credits(self) -> None:
        today = self._today()
        if self._credit_day != today:
            self._credit_day, self._spent_today = today, 0
        self._spent_today += self.cost

    def _today(self) -> dt.date:
        return dt.datetime.fromtimestamp(self._clock(), tz=dt.UTC).date()

    def _bbox_key(self) -> str:
        b = self._bbox
        return "global" if b is None else f"{b.lamin:g}_{b.lomin:g}_{b.lamax:g}_{b.lomax:g}"

    def _auth_state(self) -> str:
        if self._tokens is None:
            return "anonymous"
        return "ok" if self._tokens.fetches else "n/a"

    def _scrub(self, text: str) -> str:
        return self._tokens.scrub(text) if self._tokens else text

    def _check_result(
        self, reachable: bool, auth: str, *, message: str, batch: pa.RecordBatch | None = None
    ) -> SourceCheck:
        return SourceCheck(
            source=self.name,
            reachable=reachable,
            auth=self._scrub(auth),
            credits_left=self.credits_remaining,
            states=0 if batch is None else batch.num_rows,
            sample=[] if batch is None else _sample(batch),
            message=self._scrub(message),
        )


def _sample(batch: pa.RecordBatch) -> list[dict[str, object]]:
    """Up to five states, positioned ones first: icao24, callsign, lat, lon, altitude (m)."""
    positioned = batch.filter(pc.is_valid(batch.column("lat")))
    rows = positioned.slice(0, SAMPLE_SIZE).to_pylist()
    if len(rows) < SAMPLE_SIZE:
        unpositioned = batch.filter(pc.is_null(batch.column("lat")))
        rows += unpositioned.slice(0, SAMPLE_SIZE - len(rows)).to_pylist()
    return [
        {
            "icao24": r["icao24"],
            "callsign": (r["callsign"] or "").strip() or None,
            "lat": r["lat"],
            "lon": r["lon"],
            "altitude": r["baroaltitude"] if r["baroaltitude"] is not None else r["geoaltitude"],
        }
        for r in rows
    ]


def _float_header(response: httpx.Response, name: str) -> float | None:
    """A finite number from header ``name``, or None when it is absent or garbled."""
    try:
        value = float(response.headers.get(name, "nan"))
    except ValueError:
        return None
    return value if math.isfinite(value) else None
