"""Bounded connection retries with backoff, shared by every serving adapter."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from aerolake.errors import ServingError
from aerolake.settings import redact_url

T = TypeVar("T")


@dataclass(frozen=True)
class Retry:
    """How often to try a connection: ``len(delays_s) + 1`` attempts, sleeping in between.

    ``sleep`` is injectable so tests do not wait.
    """

    delays_s: tuple[float, ...] = (0.5, 2.0)
    sleep: Callable[[float], None] = time.sleep


def connect_with_retry(
    connect: Callable[[], T],
    url: str,
    retry: Retry,
    retryable: tuple[type[BaseException], ...],
) -> T:
    """Call ``connect`` until it succeeds or the attempts are spent.

    Raises :class:`ServingError` naming the URL (password redacted) and the last cause. Only
    ``retryable`` exceptions are retried; anything else propagates at once. Never touches tables.
    """
    attempts = len(retry.delays_s) + 1
    last: BaseException | None = None
    for attempt in range(attempts):
        try:
            return connect()
        except retryable as exc:
            last = exc
            if attempt < len(retry.delays_s):
                retry.sleep(retry.delays_s[attempt])
    cause = _scrub(str(last).strip().splitlines()[0] if str(last).strip() else "", url)
    raise ServingError(
        f"cannot reach the serving database {redact_url(url)} after {attempts} attempts"
        f" ({type(last).__name__}: {cause}). Check that the server runs and the URL"
        " (AEROLAKE_SERVING_URL) is right; no table was changed."
    ) from last


def _scrub(text: str, url: str) -> str:
    """Remove the URL's password from a driver message, should the driver echo it."""
    if "://" in url and "@" in url:
        creds = url.split("://", 1)[1].rsplit("@", 1)[0]
        if ":" in creds:
            secret = creds.split(":", 1)[1]
            if secret:
                text = text.replace(secret, "***")
    return text
