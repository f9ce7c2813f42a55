"""Security of the web layer: the admin bearer token, response headers, the bind address.

- Admin actions need ``Authorization: Bearer <AEROLAKE_ADMIN_TOKEN>``. Without a configured
  token they are disabled (403); a missing or wrong token is 401. Tokens are compared in
  constant time and never logged or echoed.
- Every response carries a Content-Security-Policy that allows scripts only from this origin
  (no inline script), so even a callsign that slipped into HTML could not run; pages render
  data with text APIs anyway. Workers and images may be ``blob:``/``data:`` (the map needs them).
- The server binds 127.0.0.1 by default; another address is logged as a warning.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Callable
from typing import Final

from fastapi import HTTPException, Request
from starlette.responses import Response

from aerolake.settings import Settings

CONTENT_SECURITY_POLICY: Final[str] = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "worker-src 'self' blob:",
        "child-src 'self' blob:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)

SECURITY_HEADERS: Final[dict[str, str]] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}

#: The OpenAPI docs page loads its scripts from a CDN when online; it gets a looser policy.
DOCS_PATHS: Final[frozenset[str]] = frozenset({"/docs", "/redoc", "/docs/oauth2-redirect"})


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


def add_security_headers(path: str, response: Response) -> None:
    """Add :data:`SECURITY_HEADERS` to a response (the docs pages keep their own CSP)."""
    for name, value in SECURITY_HEADERS.items():
        if name == "Content-Security-Policy" and path in DOCS_PATHS:
            continue
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
