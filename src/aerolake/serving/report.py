"""The run metrics report: ``aerolake report [RUN_ID]``, plain text, from the run records.

Honest numbers: efficiency is the share of the run's wall time covered by at least one task
(the union of task intervals / wall time), so it cannot exceed 100%; a run with a failed task
is reported failed. Missing figures print as "-", never as zero.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aerolake.errors import ServingError
from aerolake.serving.target import ServingTarget

WIDTH = 100
RULE = "=" * WIDTH
THIN = "-" * WIDTH


@dataclass(frozen=True)
class RunView:
    """One run's records as read from the serving database."""

    run: dict[str, Any]
    tasks: list[dict[str, Any]]
    health: list[dict[str, Any]]


def render_report(target: ServingTarget, run_id: str | None = None) -> str:
    """The report for ``run_id``, or for the latest run (by start time) when None."""
    return format_report(load_run(target, run_id), now=dt.datetime.now(dt.UTC))


def load_run(target: ServingTarget, run_id: str | None) -> RunView:
    if run_id is None:
        runs = target.query(
            "SELECT * FROM pipeline_runs ORDER BY started_at DESC, run_id DESC LIMIT 1"
        )
    else:
        runs = target.query("SELECT * FROM pipeline_runs WHERE run_id = $1", [run_id])
    if runs.num_rows == 0:
        wanted = f"run {run_id!r}" if run_id else "any run"
        raise ServingError(f"no record of {wanted} in {target.url}; run a pipeline first")
    run = runs.to_pylist()[0]
    tasks = target.query(
        "SELECT * FROM task_runs WHERE run_id = $1 ORDER BY started_at, task", [run["run_id"]]
    ).to_pylist()
    health = target.query(
        "SELECT * FROM health_checks WHERE run_id = $1 ORDER BY checked_at, check_name",
        [run["run_id"]],
    ).to_pylist()
    return RunView(run, tasks, health)


def format_report(view: RunView, *, now: dt.datetime) -> str:
    """Pure: the report text for ``view``; ``now`` (UTC) bounds a still-running run."""
    run, tasks = view.run, view.tasks
    failed_tasks = [t["task"] for t in tasks if t["status"] == "failed"]
    status = "FAILED" if failed_tasks or run["status"] == "failed" else run["status"].upper()
    end = run["ended_at"] or now
    wall_s = max((end - run["started_at"]).total_seconds(), 0.0)
    lines = [RULE, "AEROLAKE COMPREHENSIVE METRICS REPORT".center(WIDTH).rstrip(), RULE]

    lines += _section("RUN INFORMATION")
    lines += _pairs(
        [
            ("Run ID", run["run_id"]),
            ("Kind", run["kind"]),
            ("Trigger", run["trigger"]),
            ("Started (UTC)", _ts(run["started_at"])),
            ("Ended (UTC)", _ts(run["ended_at"]) if run["ended_at"] else "- (still running)"),
            ("Wall time", _secs(wall_s)),
            ("Status", status),
        ]
        + ([("Error", run["error"])] if run["error"] else [])
        + ([("Failed tasks", ", ".join(failed_tasks))] if failed_tasks else [])
    )

    lines += _section("TASK EXECUTION METRICS")
    lines.append(
        _task_line("Task", "Status", "Duration", "Rows in", "Rows out", "Quarant.", "Rows/s")
    )
    for t in tasks:
        lines.append(
            _task_line(
                t["task"],
                t["status"],
                _secs(t["duration_s"]),
                _int(t["rows_in"]),
                _int(t["rows_out"]),
                _int(t["rows_quarantined"]),
                _rate(t["rows_in"], t["duration_s"]),
            )
        )
        if t["error"]:
            lines.append(f"      error: {t['error']}")
    if not tasks:
        lines.append("  (no tasks recorded)")

    lines += _section("DATA LAYER STATISTICS")
    files, sizes = _sum_json(tasks, "files_json"), _sum_json(tasks, "bytes_json")
    layers = sorted(set(files) | set(sizes))
    lines += [f"  {'Layer':<16}{'Files written':>16}{'Bytes written':>18}"]
    lines += [f"  {ly:<16}{_int(files.get(ly)):>16}{_bytes(sizes.get(ly)):>18}" for ly in layers]
    if not layers:
        lines.append("  (no lake writes recorded)")

    lines += _section("DATA PROCESSING METRICS")
    lines += _processing(tasks)

    lines += _section("PERFORMANCE SUMMARY")
    lines += _performance(tasks, run["started_at"], end, wall_s)

    lines += _section("HEALTH CHECKS")
    for h in view.health:
        mark = "OK  " if h["ok"] else "FAIL"
        lines.append(f"  [{mark}] {h['check_name']:<20}{_ms(h['duration_ms']):>10}  {h['detail']}")
    passed = sum(1 for h in view.health if h["ok"])
    lines.append(f"  {passed} of {len(view.health)} checks passed" if view.health else "  (none)")
    lines.append(RULE)
    return "\n".join(lines) + "\n"


def _processing(tasks: Sequence[dict[str, Any]]) -> list[str]:
    with_in = [t for t in tasks if t["rows_in"] is not None]
    with_out = [t for t in tasks if t["rows_out"] is not None]
    quarantined = [t for t in tasks if t["rows_quarantined"] is not None]
    q_rows = sum(t["rows_quarantined"] for t in quarantined)
    q_base = sum(t["rows_in"] or 0 for t in quarantined)
    rate = f"{100.0 * q_rows / q_base:.2f}% of those tasks' input" if q_base else "-"
    lines = _pairs(
        [
            ("Rows into first task", _int(with_in[0]["rows_in"]) if with_in else "-"),
            ("Rows out of last task", _int(with_out[-1]["rows_out"]) if with_out else "-"),
            ("Rows quarantined", _int(q_rows) if quarantined else "-"),
            ("Quarantine rate", rate),
        ]
    )
    reasons = _sum_json(tasks, "quarantine_json")
    for reason, count in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0])):
        lines.append(f"    {reason:<30}{_int(count):>14}")
    for t in tasks:
        metrics = json.loads(t["metrics_json"] or "{}")
        for key in sorted(metrics):
            lines.append(f"  {t['task']}.{key}: {_value(metrics[key])}")
    return lines


def _performance(
    tasks: Sequence[dict[str, Any]], start: dt.datetime, end: dt.datetime, wall_s: float
) -> list[str]:
    timed = [t for t in tasks if t["duration_s"] is not None]
    task_sum = sum(t["duration_s"] for t in timed)
    covered = _union_seconds([(t["started_at"], t["ended_at"]) for t in timed], start, end)
    efficiency = min(1.0, covered / wall_s) if wall_s > 0 else None
    first_in = next((t["rows_in"] for t in tasks if t["rows_in"] is not None), None)
    slowest = max(timed, key=lambda t: t["duration_s"], default=None)
    pairs = [
        ("Wall time", _secs(wall_s)),
        ("Sum of task times", _secs(task_sum)),
        ("Time covered by tasks", _secs(covered)),
        ("Overhead outside tasks", _secs(max(wall_s - covered, 0.0))),
        (
            "Efficiency",
            f"{100 * efficiency:.1f}% (covered / wall)" if efficiency is not None else "-",
        ),
        ("Parallelism", f"{task_sum / covered:.2f}x (sum / covered)" if covered > 0 else "-"),
        ("Throughput", f"{_rate(first_in, wall_s)} rows/s (first task's input / wall time)"),
    ]
    if slowest is not None and wall_s > 0:
        share = 100.0 * min(1.0, slowest["duration_s"] / wall_s)
        pairs.append(("Slowest task", f"{slowest['task']} ({share:.1f}% of wall time)"))
    return _pairs(pairs)


def _union_seconds(
    spans: Sequence[tuple[dt.datetime, dt.datetime]], start: dt.datetime, end: dt.datetime
) -> float:
    """Seconds of [start, end] covered by at least one span (overlaps counted once)."""
    clipped = sorted((max(a, start), min(b, end)) for a, b in spans if b > a)
    total, cursor = 0.0, start
    for a, b in clipped:
        a = max(a, cursor)
        if b > a:
            total += (b - a).total_seconds()
            cursor = b
    return total


def _sum_json(tasks: Sequence[dict[str, Any]], column: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for t in tasks:
        for key, value in json.loads(t[column] or "{}").items():
            out[key] = out.get(key, 0) + int(value or 0)
    return out


def _task_line(*cells: str) -> str:
    name, status, duration, rows_in, rows_out, quarantined, rate = cells
    return (
        f"  {name[:34]:<34} {status:<9} {duration:>10} {rows_in:>12} {rows_out:>12}"
        f" {quarantined:>9} {rate:>13}"
    )


def _section(title: str) -> list[str]:
    return ["", title, THIN]


def _pairs(items: Sequence[tuple[str, Any]]) -> list[str]:
    return [f"  {k:<24}: {v}" for k, v in items]


def _ts(value: dt.datetime | None) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S") if value else "-"


def _secs(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.3f} s" if abs(value) < 10 else f"{value:.2f} s"


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} ms"


def _int(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def _rate(rows: int | None, seconds: float | None) -> str:
    if rows is None or not seconds or seconds <= 0:
        return "-"
    return f"{rows / seconds:,.0f}"


def _bytes(value: int | None) -> str:
    if value is None:
        return "-"
    size = float(value)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:,.1f} {unit}" if unit != "B" else f"{value:,} B"
        size /= 1024
    return f"{value:,} B"


def _value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)
