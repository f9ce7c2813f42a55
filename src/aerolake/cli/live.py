"""Live-system commands: stream, status, serve, up."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from aerolake.cli.app import (
    _open_target,
    _settings,
    app,
    console,
    err_console,
)

# --- stream ------------------------------------------------------------------------------------


@app.command("stream")
def stream_cmd(ctx: typer.Context) -> None:
    """Run the speed layer: producer + processor under the supervisor, until SIGTERM/Ctrl-C."""
    import logging

    from aerolake.orchestration.stream import poll_interval, run_stream

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = _settings(ctx)
    console.print(
        f"stream: source {settings.source} every {poll_interval(settings):.0f} s, "
        f"bus {settings.redacted()['bus_url']}, lake {settings.redacted()['lake']}"
    )
    raise typer.Exit(run_stream(settings))


@app.command("status")
def status_cmd(
    ctx: typer.Context,
    runs: Annotated[int, typer.Option(min=0, help="How many recent pipeline runs to list.")] = 10,
) -> None:
    """What runs (aerolake up, the stream's parts, the scheduled jobs) and the last runs."""
    from aerolake.orchestration.up import format_status, last_runs, read_status
    from aerolake.stream.status import format_status as format_stream
    from aerolake.stream.status import read_status as read_stream

    settings = _settings(ctx)
    for line in format_status(read_status(settings.data_dir)):
        console.print(line, highlight=False)
    for line in format_stream(read_stream(settings.data_dir)):
        console.print(line, highlight=False)
    if runs == 0:
        return
    target = _open_target(settings)
    try:
        recent = last_runs(target, runs)
    finally:
        target.close()
    table = Table("run", "kind", "trigger", "status", "started (UTC)", "seconds", title="last runs")
    for r in recent:
        seconds = (
            f"{(r['ended_at'] - r['started_at']).total_seconds():.1f}" if r["ended_at"] else ""
        )
        status = "[red]failed[/red]" if r["status"] == "failed" else r["status"]
        table.add_row(
            r["run_id"],
            r["kind"],
            r["trigger"],
            status,
            f"{r['started_at']:%Y-%m-%d %H:%M:%S}",
            seconds,
        )
    console.print(table if recent else "no pipeline runs recorded yet")
    for r in [r for r in recent if r["status"] == "failed" and r["error"]][:3]:
        err_console.print(f"[red]{r['run_id']}[/red]: {r['error']}")


# --- web and the whole system -----------------------------------------------------------------


@app.command("serve")
def serve_cmd(
    ctx: typer.Context,
    host: Annotated[
        str | None, typer.Option(help="Bind address (default AEROLAKE_WEB_HOST, 127.0.0.1).")
    ] = None,
    port: Annotated[
        int | None, typer.Option(min=1, max=65535, help="Port (default AEROLAKE_WEB_PORT, 8050).")
    ] = None,
    live: Annotated[
        str, typer.Option(help="Live feed: auto, stream, kafka, simulator or none.")
    ] = "auto",
) -> None:
    """Serve the live map, dashboards, ops page and REST API (default http://127.0.0.1:8050)."""
    import logging
    from typing import cast

    from aerolake.orchestration.serve import LIVE_SOURCES, LiveSourceName, serve

    if live not in LIVE_SOURCES:
        raise typer.BadParameter(f"--live must be one of {', '.join(LIVE_SOURCES)}, got {live!r}")
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    settings = _settings(ctx)
    console.print(
        f"aerolake web on http://{host or settings.web_host}:{port or settings.web_port} (live feed: {live})"
    )
    serve(settings, live_source=cast(LiveSourceName, live), host=host, port=port)


@app.command("up")
def up_cmd(
    ctx: typer.Context,
    stream: Annotated[bool, typer.Option(help="Run the speed layer (producer, processor).")] = True,
    web: Annotated[bool, typer.Option(help="Serve the web app and live map.")] = True,
    scheduler: Annotated[
        bool, typer.Option(help="Run the periodic batch jobs (speed -> gold, serving load).")
    ] = True,
    simulate_hours: Annotated[
        int | None,
        typer.Option(
            min=0, help="First simulate and load this many past hours (AEROLAKE_UP_SIMULATE_HOURS)."
        ),
    ] = None,
    duration: Annotated[
        float | None, typer.Option("--for", min=1, help="Stop after this many seconds.")
    ] = None,
) -> None:
    """Run the whole system on this machine: stream, web and scheduler, restarting failures.

    Ctrl-C or SIGTERM stops everything cleanly (the stream drains and commits)."""
    import logging
    import threading

    from aerolake.orchestration.up import UpConfig, run_up

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    settings = _settings(ctx)
    overrides: dict[str, Any] = {"stream": stream, "web": web, "scheduler": scheduler}
    if simulate_hours is not None:
        overrides["simulate_hours"] = simulate_hours
    config = UpConfig.from_settings(settings, **overrides)
    stop = threading.Event()
    if duration is not None:
        timer = threading.Timer(duration, stop.set)
        timer.daemon = True
        timer.start()
    if web:
        console.print(f"web: http://{settings.web_host}:{settings.web_port}/   (Ctrl-C stops)")
    raise typer.Exit(run_up(settings, config, stop_event=stop))
