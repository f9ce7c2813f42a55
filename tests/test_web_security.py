"""The Content-Security-Policy as a function of settings, ``/api/config`` and the local ``/docs``."""

from __future__ import annotations

import base64
import hashlib
import os
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from aerolake.errors import ConfigError
from aerolake.settings import Settings
from aerolake.web.app import STATIC_DIR, create_app
from aerolake.web.live import LiveHub
from aerolake.web.security import content_security_policy, inline_script_hashes, tile_origin

pytestmark = [pytest.mark.timeout(60), pytest.mark.filterwarnings("ignore::DeprecationWarning")]

TILES = "https://tiles.example.org/{z}/{x}/{y}.png"


def directives(policy: str) -> dict[str, list[str]]:
    out = {}
    for part in policy.split(";"):
        name, *values = part.split()
        out[name] = values
    return out


def client(tmp_path: Path, **settings: object) -> TestClient:
    return TestClient(create_app(Settings(data_dir=tmp_path, **settings), LiveHub()))


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        (None, None),
        ("", None),
        ("/tiles/{z}/{x}/{y}.png", None),
        (TILES, "https://tiles.example.org"),
        ("http://127.0.0.1:8080/{z}/{x}/{y}.png", "http://127.0.0.1:8080"),
        ("https://{s}.tile.example.org/{z}/{x}/{y}.png", "https://*.tile.example.org"),
    ],
)
def test_tile_origin(url: str | None, origin: str | None) -> None:
    assert tile_origin(url) == origin


@pytest.mark.parametrize(
    "url", ["ftp://tiles.example.org/{z}.png", "//tiles.example.org/{z}", "https://a.{s}.org/x"]
)
def test_tile_origin_refuses_what_a_csp_cannot_allow(url: str) -> None:
    with pytest.raises(ConfigError, match="AEROLAKE_WEB_TILE_URL"):
        tile_origin(url)


def test_policy_is_same_origin_only_without_tiles(tmp_path: Path) -> None:
    policy = directives(content_security_policy(Settings(data_dir=tmp_path)))
    assert policy["connect-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:", "blob:"]


def test_policy_allows_the_tile_server_for_images_and_connections_only(tmp_path: Path) -> None:
    policy = directives(content_security_policy(Settings(data_dir=tmp_path, web_tile_url=TILES)))
    assert "https://tiles.example.org" in policy["img-src"]
    assert "https://tiles.example.org" in policy["connect-src"]
    assert policy["script-src"] == ["'self'"]
    assert policy["default-src"] == ["'self'"]


def test_config_endpoint_and_headers_follow_settings(tmp_path: Path) -> None:
    with client(tmp_path) as c:
        response = c.get("/api/config")
        assert response.status_code == 200 and response.json() == {"tile_url": None}
        assert "example.org" not in response.headers["content-security-policy"]
    with client(tmp_path, web_tile_url=TILES) as c:
        response = c.get("/api/config")
        assert response.json() == {"tile_url": TILES}
        page = c.get("/")
        csp = directives(page.headers["content-security-policy"])
        assert "https://tiles.example.org" in csp["img-src"]


def test_inline_script_hashes_are_csp_sha256_of_each_block() -> None:
    html = "<p>x</p><script>let a = 1;</script><script src='/x.js'></script><script>b()</script>"
    expected = [
        "sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        for body in ("let a = 1;", "b()")
    ]
    assert list(inline_script_hashes(html)) == expected


def test_docs_page_loads_nothing_from_elsewhere(tmp_path: Path) -> None:
    with client(tmp_path) as c:
        response = c.get("/docs")
        assert response.status_code == 200
        html = response.text
        assert "SwaggerUIBundle" in html
        refs = re.findall(r'(?:src|href)="([^"]+)"', html) + re.findall(r"url: '([^']+)'", html)
        assert len(refs) >= 4  # css, favicon, bundle, the OpenAPI document
        for ref in refs:
            assert ref.startswith("/") and not ref.startswith("//"), f"/docs loads {ref}"
        assert not re.search(r"https?://", html), "an absolute URL on the /docs page"
        csp = directives(response.headers["content-security-policy"])
        # exactly the page's own inline script is allowed, not inline script in general
        assert csp["script-src"] == ["'self'", *(f"'{h}'" for h in inline_script_hashes(html))]
        assert len(csp["script-src"]) == 2
        assert c.get("/redoc").status_code == 404
        assert c.get("/openapi.json").status_code == 200
        assets = [r for r in refs if r.startswith("/static/")]
        if not (STATIC_DIR / "vendor").is_dir():
            if os.environ.get("CI"):
                pytest.fail("front-end not built (no static/vendor): run scripts/build-web.sh")
            pytest.skip("front-end not built: run scripts/build-web.sh")
        for ref in assets:
            asset = c.get(ref)
            assert asset.status_code == 200 and len(asset.content) > 100, ref
