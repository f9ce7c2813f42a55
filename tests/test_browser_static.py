"""Checks of the front-end's source and build output that need no browser.

- Data is rendered with text APIs: no ``innerHTML`` / ``outerHTML`` / ``insertAdjacentHTML`` /
  ``document.write`` / ``eval`` in the front-end's own source.
- The built pages load only files from this server: no ``http(s)://`` script, style, font or
  image reference in the HTML or CSS, every referenced ``/static/...`` file exists, and the
  bundled country outlines are valid GeoJSON.
- No secret-looking text in the built pages.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "web" / "frontend" / "src"
STATIC = ROOT / "src" / "aerolake" / "web" / "static"
PAGES = ("index.html", "dashboards.html", "ops.html")

HTML_SINKS = re.compile(
    r"\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML|document\.write|\beval\(|new Function\("
)


def _built() -> None:
    if not (STATIC / "index.html").is_file():
        pytest.fail("front-end not built: run scripts/build-web.sh")


def test_source_builds_no_html_from_data() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for path in sorted(SOURCE.rglob("*.js"))
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if HTML_SINKS.search(line)
    ]
    assert offenders == []


@pytest.mark.parametrize("page", PAGES)
def test_pages_reference_only_files_of_this_server(page: str) -> None:
    _built()
    html = (STATIC / page).read_text()
    refs = re.findall(r'(?:src|href)="([^"]+)"', html)
    assets = [r for r in refs if r.startswith("/static/")]
    assert assets, f"{page} loads no bundled asset"
    for ref in refs:
        assert not re.match(r"^(https?:)?//", ref), f"{page} loads {ref} from elsewhere"
    for ref in assets:
        assert (STATIC / ref.removeprefix("/static/")).is_file(), f"{page}: {ref} missing"
    assert "<script>" not in html  # no inline script (the CSP forbids it anyway)


def test_css_fetches_nothing_from_elsewhere() -> None:
    _built()
    for css in STATIC.rglob("*.css"):
        urls = re.findall(r"url\(\s*['\"]?([^'\")]+)", css.read_text())
        foreign = [u for u in urls if re.match(r"^(https?:)?//", u)]
        assert foreign == [], f"{css.name} fetches {foreign}"
        assert "@import" not in css.read_text()


def test_country_outlines_are_bundled_geojson() -> None:
    _built()
    countries = json.loads((STATIC / "data" / "countries.geojson").read_text())
    borders = json.loads((STATIC / "data" / "borders.geojson").read_text())
    assert countries["type"] == "FeatureCollection"
    assert len(countries["features"]) > 200  # Natural Earth 1:50m has 241 countries
    names = {f["properties"].get("name") for f in countries["features"]}
    assert {"India", "France", "Brazil"} <= names
    assert borders["features"][0]["geometry"]["type"] == "MultiLineString"


def test_map_worker_is_shipped_beside_the_bundle() -> None:
    _built()
    assert (STATIC / "assets" / "maplibre-gl-worker.mjs").stat().st_size > 100_000


def test_built_pages_hold_no_secrets() -> None:
    _built()
    text = "\n".join((STATIC / p).read_text() for p in PAGES)
    for needle in ("client_secret", "clientSecret", "password", "Bearer ", "admin_token"):
        assert needle not in text
