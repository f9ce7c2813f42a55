"""Security of the web layer: the admin bearer token, response headers, the bind address.

- Admin actions need ``Authorization: Bearer <AEROLAKE_ADMIN_TOKEN>``. Without a configured
  token they are disabled (403); a missing or wrong token is 401. Tokens are compared in
  constant time and never logged or echoed.
- Every response carries a Content-Security-Policy that allows scripts only from this origin
  (no inline script), so even a callsign that slipped into HTML could not run; pages render
  data with text APIs anyway. Workers and images may be ``blob:``/``data:`` (the map needs them).
  A configured tile server (``web_tile_url``) is added to ``img-src`` and ``connect-src``; the
  ``/docs`` page allows its one inline script by hash, nothing else.
- The server binds 127.0.0.1 by default; another address is logged as a warning.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Final
from urllib.parse import urlsplit

from fastapi import HTTPException, Request
from starlette.responses import Response

from aerolake.errors import ConfigError
from aerolake.settings import Settings

#: The policy without configuration: everything from this origin only.
BASE_POLICY: Final[dict[str, tuple[str, ...]]] = {
    "default-src": ("'self'",),
    "script-src": ("'self'",),
    "style-src": ("'self'", "'unsafe-inline'"),
    "img-src": ("'self'", "data:", "blob:"),
    "font-src": ("'self'", "data:"),
    "worker-src": ("'self'", "blob:"),
    "child-src": ("'self'", "blob:"),
    "connect-src": ("'self'",),
    "object-src": ("'none'",),
    "base-uri": ("'none'",),
    "frame-ancestors": ("'none'",),
    "form-action": ("'self'",),
}

OTHER_HEADERS: Final[dict[str, str]] = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}

_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def tile_origin(tile_url: str | None) -> str | None:
    """The CSP source for a raster tile URL template, or None when it needs none.

    ``https://tile.example.org/{z}/{x}/{y}.png`` -> ``https://tile.example.org``; a placeholder
    in the leftmost host label (``{s}.tile.example.org``) becomes ``*.tile.example.org``. A
    same-origin path (``/tiles/{z}/{x}/{y}.png``) needs nothing. Raises ConfigError for a URL
    that is neither http(s) nor a path, or whose host cannot be written as a CSP source.
    """
    if not tile_url:
        return None
    parts = urlsplit(tile_url)
    if not parts.scheme and not parts.netloc:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(
            f"AEROLAKE_WEB_TILE_URL must be an http(s) URL template such as "
            f"https://tiles.example.org/{{z}}/{{x}}/{{y}}.png, found {tile_url!r}"
        )
    labels = parts.netloc.split(".")
    if "{" in labels[0]:
        labels[0] = "*"
    host = ".".join(labels)
    if any(c in host for c in "{}'; ,\"") or "@" in host:
        raise ConfigError(
            f"AEROLAKE_WEB_TILE_URL host {parts.netloc!r} cannot be allowed by the page's "
            "Content-Security-Policy: only the leftmost label may be a placeholder"
        )
    return f"{parts.scheme}://{host}"


def content_security_policy(settings: Settings, *, script_hashes: Sequence[str] = ()) -> str:
    """The Content-Security-Policy for ``settings``: this origin only, plus the tile server's
    origin in ``img-src``/``connect-src`` when ``web_tile_url`` is set, plus the given inline
    script hashes (``sha256-...``, see :func:`inline_script_hashes`) in ``script-src``."""
    policy = dict(BASE_POLICY)
    origin = tile_origin(settings.web_tile_url)
    if origin:
        policy["img-src"] += (origin,)
        policy["connect-src"] += (origin,)
    policy["script-src"] += tuple(f"'{h}'" for h in script_hashes)
    return "; ".join(" ".join((name, *values)) for name, values in policy.items())


def security_headers(settings: Settings) -> dict[str, str]:
    """The headers every response carries (a response that sets its own CSP keeps it)."""
    return {"Content-Security-Policy": content_security_policy(settings), **OTHER_HEADERS}


def inline_script_hashes(html: str) -> tuple[str, ...]:
    """CSP hashes (``sha256-<base64>``) of the inline ``<script>`` blocks of ``html``."""
    return tuple(
        "sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        for body in _INLINE_SCRIPT.findall(html)
    )


def require_admin(settings: Settings) -> Callable[[Request], None]:
    """A FastAPI dependency: 403 when admin actions are disabled, 401 on a bad token."""

    def check(request: Request) -> None:
        expected = settings.admin_token.get_secret_value() if settings.admin_token else ""
        if not expected:
            raise HTTPException(
                status_code=403,
                detail="admin actions are disabled: set AEROLAKE_ADMIN_TOKEN on the server "
                "to enable them",
            )
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            token.strip().encode(), expected.encode()
        ):
            raise HTTPException(
                status_code=401,
                detail="admin action needs the header 'Authorization: Bearer <AEROLAKE_ADMIN_TOKEN>'",
                headers={"WWW-Authenticate": "Bearer"},
            )

    return check


def add_security_headers(headers: Mapping[str, str], response: Response) -> None:
    """Add ``headers`` (:func:`security_headers`) to a response unless it set them itself."""
    for name, value in headers.items():
        response.headers.setdefault(name, value)


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def bind_warning(host: str) -> str | None:
    """A warning to log when binding beyond this machine, else None."""
    if is_loopback(host):
        return None
    return (
        f"serving on {host}: the live map and API are reachable from other machines; "
        "put a TLS proxy in front and set AEROLAKE_ADMIN_TOKEN only over https"
    )
