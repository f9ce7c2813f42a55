"""Stream health on disk: each running part writes a small JSON, ``aerolake status`` reads them.

Files live in ``<data_dir>/stream/``: ``status-<part>.json`` (``producer``, ``processor-<pid>``,
``supervisor``), each replaced atomically (tmp + rename) every few seconds, so a reader sees a
whole document or the previous one. A part that stopped updating is reported as stale, not
hidden. Times are unix seconds (UTC).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any, Final

#: A part whose file is older than this is reported as stale.
STALE_AFTER_S: Final[float] = 30.0


def status_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "stream"


def write_status(data_dir: Path, part: str, doc: dict[str, Any]) -> None:
    """Replace ``status-<part>.json`` atomically with ``doc`` plus ``updated_at``."""
    directory = status_dir(data_dir)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"status-{part}.json"
    tmp = directory / f".status-{part}.json.{os.getpid()}.tmp"
    tmp.write_text(json.dumps({**doc, "part": part, "updated_at": time.time()}, default=str))
    os.replace(tmp, path)


def read_status(data_dir: Path, now: float | None = None) -> dict[str, Any]:
    """Every part's latest document by part name, each with ``age_s`` and ``stale``, plus
    ``totals`` (lag, dead letters, restarts, enriched) over the fresh processor parts."""
    now = time.time() if now is None else now
    parts: dict[str, Any] = {}
    directory = status_dir(data_dir)
    for path in sorted(directory.glob("status-*.json")) if directory.is_dir() else []:
        try:
            doc = json.loads(path.read_text())
        except (OSError, ValueError):
            continue  # replaced while reading: the next read sees the new file
        age = now - float(doc.get("updated_at", 0))
        doc["age_s"] = round(age, 1)
        doc["stale"] = age > STALE_AFTER_S
        parts[str(doc.get("part", path.stem[7:]))] = doc
    processors = [d for p, d in parts.items() if p.startswith("processor") and not d["stale"]]
    supervisor = parts.get("supervisor", {})
    totals = {
        "lag": sum(sum(d.get("lag", {}).values()) for d in processors),
        "uncommitted": sum(sum(d.get("uncommitted", {}).values()) for d in processors),
        "messages_per_s": round(sum(d.get("messages_per_s", 0.0) for d in processors), 1),
        "enriched": sum(d.get("enriched", 0) for d in processors),
        "deadletters": sum(d.get("deadletters", 0) for d in processors),
        "restarts": sum(supervisor.get("restarts", {}).values()),
    }
    return {"parts": parts, "totals": totals}


def format_status(status: dict[str, Any]) -> list[str]:
    """Lines for ``aerolake status``: totals, then one line per part."""
    t = status["totals"]
    lines = [
        f"stream: lag {t['lag']:,} messages ({t['uncommitted']:,} persisted, not committed), "
        f"{t['messages_per_s']:,} msg/s, "
        f"{t['enriched']:,} enriched, {t['deadletters']:,} dead letters, "
        f"{t['restarts']} restarts"
    ]
    if not status["parts"]:
        lines.append("  no stream status found (is `aerolake stream` running?)")
    for name, doc in status["parts"].items():
        state = "STALE" if doc["stale"] else "ok"
        detail = doc.get("summary", "")
        lines.append(f"  {name:<22} {state:<5} updated {doc['age_s']:.0f} s ago  {detail}")
    return lines


def prometheus(status: dict[str, Any]) -> dict[str, float]:
    """Plain metric name -> value, for the web layer's ``/metrics``."""
    t = status["totals"]
    out: dict[str, float] = {
        "aerolake_stream_lag_messages": float(t["lag"]),
        "aerolake_stream_uncommitted_messages": float(t["uncommitted"]),
        "aerolake_stream_messages_per_second": float(t["messages_per_s"]),
        "aerolake_stream_enriched_total": float(t["enriched"]),
        "aerolake_stream_deadletters_total": float(t["deadletters"]),
        "aerolake_stream_restarts_total": float(t["restarts"]),
    }
    supervisor = status["parts"].get("supervisor", {})
    for name, count in supervisor.get("restarts", {}).items():
        out[f'aerolake_stream_component_restarts_total{{component="{name}"}}'] = float(count)
    for name, code in supervisor.get("last_exit", {}).items():
        if code is not None:
            out[f'aerolake_stream_component_last_exit_code{{component="{name}"}}'] = float(code)
    producer = status["parts"].get("producer", {})
    if producer:
        out["aerolake_stream_producer_fallback"] = 1.0 if producer.get("fallback") else 0.0
        out["aerolake_stream_produced_total"] = float(producer.get("sent", 0))
    return out
