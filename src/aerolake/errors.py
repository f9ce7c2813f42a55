"""The aerolake error hierarchy.

Every error says what was expected, what was found, and what the user can do. The CLI turns
an :class:`AerolakeError` into a one-paragraph message and a non-zero exit code; anything else
is a bug and keeps its traceback.

- :class:`ConfigError` — a setting is missing or malformed.
- :class:`SourceError` — a source could not deliver (network, auth, rate limit, bad file).
  - :class:`SourceUnavailable` — transient: retry later or fall back.
  - :class:`AuthError` — credentials rejected.
  - :class:`RateLimited` — credits exhausted; carries ``retry_after_s``.
  - :class:`CorruptInput` — a file or payload could not be parsed; names the file and position.
- :class:`LakeError` — the Parquet lake could not be read or written.
- :class:`ServingError` — the serving database could not be reached or has an unexpected schema.
- :class:`BusError` — the message bus could not be reached.
"""

from __future__ import annotations


class AerolakeError(Exception):
    """Base class of all expected, user-facing errors."""


class ConfigError(AerolakeError):
    """A setting is missing or malformed."""


class SourceError(AerolakeError):
    """A source could not deliver state vectors."""


class SourceUnavailable(SourceError):
    """The source is unreachable or answered 5xx; transient."""


class AuthError(SourceError):
    """The source rejected our credentials."""


class RateLimited(SourceError):
    """The source's credit budget is exhausted until ``retry_after_s`` seconds from now."""

    def __init__(self, message: str, retry_after_s: float) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class CorruptInput(SourceError):
    """Input could not be parsed. ``path`` and ``position`` say where."""

    def __init__(self, message: str, path: str | None = None, position: str | None = None) -> None:
        where = ", ".join(p for p in (path, position) if p)
        super().__init__(f"{message} ({where})" if where else message)
        self.path = path
        self.position = position


class LakeError(AerolakeError):
    """The Parquet lake could not be read or written."""


class ServingError(AerolakeError):
    """The serving database could not be reached, or its schema is not what we expect."""


class BusError(AerolakeError):
    """The message bus could not be reached."""
