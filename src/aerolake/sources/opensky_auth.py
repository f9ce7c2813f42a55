"""OAuth2 client-credentials tokens for the OpenSky REST API.

OpenSky ended basic auth on 2026-03-18: a client POSTs its id and secret to the token endpoint
and sends ``Authorization: Bearer <token>``. Tokens live ``expires_in`` seconds (1800); we
refresh ``refresh_margin_s`` (30 s) before that. Neither the secret nor a token is ever logged
or put into an exception message.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from typing import Final

import httpx

from aerolake.errors import AuthError, SourceUnavailable

log = logging.getLogger(__name__)

AUTH_HINT: Final = (
    "check OPENSKY_CLIENT_ID / OPENSKY_CLIENT_SECRET, or the credentials.json named by "
    "AEROLAKE_OPENSKY_CREDENTIALS_FILE (download it from your OpenSky account page)"
)
_OAUTH_ERROR_CODE = re.compile(r"^[a-z_]{1,40}$")


class TokenSource:
    """Hands out a valid bearer token, fetching a new one when none is cached or it is about to
    expire. ``clock`` returns unix seconds. Not thread-safe (one poller owns it)."""

    def __init__(
        self,
        http: httpx.Client,
        token_url: str,
        credentials: tuple[str, str],
        *,
        clock: Callable[[], float],
        timeout: float,
        refresh_margin_s: float = 30.0,
    ) -> None:
        self._http = http
        self._token_url = token_url
        self._client_id, self._secret = credentials
        self._clock = clock
        self._timeout = timeout
        self._margin = refresh_margin_s
        self._token: str | None = None
        self._expires_at = 0.0
        self.fetches = 0  #: tokens fetched so far (for stats and tests)

    @property
    def valid(self) -> bool:
        """A token is cached and not yet inside the refresh margin."""
        return self._token is not None and self._clock() < self._expires_at - self._margin

    def bearer(self) -> str:
        """The current token, fetching one first if needed.

        Raises :class:`AuthError` when the token endpoint rejects the credentials or answers
        without a token, :class:`SourceUnavailable` when it cannot be reached or answers 5xx.
        """
        if not self.valid:
            self._fetch()
        assert self._token is not None
        return self._token

    def invalidate(self) -> None:
        """Forget the cached token (the API answered 401); the next :meth:`bearer` fetches."""
        self._token = None
        self._expires_at = 0.0

    def scrub(self, text: str) -> str:
        """``text`` with the secret and the current token replaced by ``***``."""
        return scrub(text, (self._secret, self._token))

    def _fetch(self) -> None:
        form = {
            "grant_type": "client_credentials",
            "client_id": self._client_id,
            "client_secret": self._secret,
        }
        requested_at = self._clock()
        try:
            response = self._http.post(self._token_url, data=form, timeout=self._timeout)
        except httpx.TransportError as exc:
            raise SourceUnavailable(
                f"could not reach the OpenSky token endpoint {self._token_url} "
                f"({type(exc).__name__}: {self.scrub(str(exc))}); retry later"
            ) from None
        status = response.status_code
        if status >= 500:
            raise SourceUnavailable(
                f"the OpenSky token endpoint {self._token_url} answered HTTP {status}; retry later"
            )
        if status != 200:
            raise AuthError(
                f"the OpenSky token endpoint refused the client credentials "
                f"(HTTP {status}{_oauth_error(response)}); {AUTH_HINT}"
            )
        token, lifetime = _token_fields(response)
        if token is None:
            raise AuthError(
                f"the OpenSky token endpoint {self._token_url} answered 200 without a usable "
                f"'access_token' and 'expires_in'; {AUTH_HINT}"
            )
        self._token = token
        self._expires_at = requested_at + lifetime
        self.fetches += 1
        log.info("fetched an OpenSky access token valid for %.0f s", lifetime)


def scrub(text: str, secrets: Iterable[str | None]) -> str:
    """Replace every non-empty secret in ``text`` with ``***``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def _token_fields(response: httpx.Response) -> tuple[str | None, float]:
    try:
        body = response.json()
    except ValueError:
        return None, 0.0
    if not isinstance(body, dict):
        return None, 0.0
    token = body.get("access_token")
    lifetime = body.get("expires_in")
    if not isinstance(token, str) or not token:
        return None, 0.0
    if isinstance(lifetime, bool) or not isinstance(lifetime, int | float) or lifetime <= 0:
        return None, 0.0
    return token, float(lifetime)


def _oauth_error(response: httpx.Response) -> str:
    """``": invalid_client"`` when the body carries a plain OAuth error code, else ``""``.

    Only a short lower-case code is echoed, so nothing the server reflects back can leak."""
    try:
        body = response.json()
    except ValueError:
        return ""
    code = body.get("error") if isinstance(body, dict) else None
    return f": {code}" if isinstance(code, str) and _OAUTH_ERROR_CODE.match(code) else ""
