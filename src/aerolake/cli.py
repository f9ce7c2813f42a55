"""The ``aerolake`` command line: a thin front door over :mod:`aerolake.orchestration`.

Settings are built once here and passed down. Expected failures (:class:`AerolakeError`) are
printed as one clear message with exit code 2; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from aerolake.errors import AerolakeError
from aerolake.settings import Settings, load_settings

console = Console()
err_console = Console(stderr=True)

app = typer.Typer(
    help="aerolake: live flight tracking and flight analytics from ADS-B / OpenSky state vectors.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
simulate_app = typer.Typer(
    help="Generate realistic traffic with the built-in simulator.", no_args_is_help=True
)
sources_app = typer.Typer(help="Inspect and probe the configured source.", no_args_is_help=True)
refdata_app = typer.Typer(
    help="Reference data: airports, airlines, aircraft database.", no_args_is_help=True
)
app.add_typer(simulate_app, name="simulate")
app.add_typer(sources_app, name="sources")
app.add_typer(refdata_app, name="refdata")


def _settings(ctx: typer.Context) -> Settings:
    settings: Settings = ctx.obj
    return settings


@app.callback()
def _root(ctx: typer.Context) -> None:
    ctx.obj = load_settings()


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[detail]}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


def _parse_start(text: str | None) -> dt.datetime:
    """An ISO date or datetime, read as UTC; default: the start of yesterday (UTC)."""
    if text is None:
        today = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        return today - dt.timedelta(days=1)
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise typer.BadParameter(
            f"expected an ISO date or time like 2024-06-01T00:00Z, got {text!r}"
        ) from exc
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


# --- config -----------------------------------------------------------------------------------


@app.command("config")
def config_cmd(ctx: typer.Context) -> None:
    """Print the effective configuration (secrets masked)."""
    table = Table("setting", "value", title="aerolake configuration")
    for key, value in _settings(ctx).redacted().items():
        table.add_row(key, "" if value is None else str(value))
    console.print(table)


# --- simulate ---------------------------------------------------------------------------------


@simulate_app.command("history")
def simulate_history_cmd(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option(help="Directory for the hourly files and ground truth.")],
    hours: Annotated[
        int, typer.Option(min=1, max=24 * 31, help="Number of UTC hours to simulate.")
    ] = 24,
    start: Annotated[
        str | None, typer.Option(help="Start (ISO, UTC). Default: start of yesterday.")
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", help="csv.tar | csv.gz | csv | parquet")
    ] = "csv.tar",
    aircraft: Annotated[int, typer.Option(min=1, help="Fleet size.")] = 600,
    seed: Annotated[int | None, typer.Option(help="Random seed (default: AEROLAKE_SEED).")] = None,
) -> None:
    """Write N hours of simulated traffic as OpenSky history files, plus a ground-truth flight list."""
    from aerolake.orchestration.history import write_history

    if fmt not in ("csv.tar", "csv.gz", "csv", "parquet"):
        raise typer.BadParameter(f"--format must be csv.tar, csv.gz, csv or parquet, got {fmt!r}")
    settings = _settings(ctx)
    begin = _parse_start(start)
    with _progress() as progress:
        task = progress.add_task("simulating", total=hours, detail="")

        def on_hour(hour: dt.datetime, rows: int) -> None:
            progress.update(task, advance=1, detail=f"{hour:%Y-%m-%d %H}h  {rows:,} states")

        summary = write_history(
            out,
            settings.region_def,
            begin,
            hours,
            aircraft=aircraft,
            seed=settings.seed if seed is None else seed,
            fmt=fmt,  # type: ignore[arg-type]
            on_hour=on_hour,
        )
    _print_history_summary(summary, begin, hours)


def _print_history_summary(summary: Any, start: dt.datetime, hours: int) -> None:
    table = Table(title=f"Simulated {hours} h from {start:%Y-%m-%d %H:%MZ}", show_header=False)
    table.add_row("files", f"{len(summary.files)} in {summary.out_dir}")
    table.add_row("state vectors", f"{summary.states:,}")
    table.add_row("aircraft", f"{summary.aircraft:,}")
    table.add_row("flights (ground truth)", f"{summary.flights:,}")
    table.add_row("airports served", f"{summary.airports:,}")
    table.add_row("airlines", f"{summary.airlines:,}")
    table.add_row(
        "busiest routes", ", ".join(f"{route} ({n})" for route, n in summary.busiest_routes)
    )
    console.print(table)


# --- sources ----------------------------------------------------------------------------------


@sources_app.command("check")
def sources_check_cmd(ctx: typer.Context) -> None:
    """Probe the configured source: reachable, auth, credits left, a sample of states."""
    from aerolake.orchestration.sources import open_live_source

    settings = _settings(ctx)
    if settings.source == "files":
        from aerolake.orchestration.sources import check_files

        result = check_files(settings)
    else:
        result = open_live_source(settings).check()
    table = Table(title=f"source: {result.source}", show_header=False)
    table.add_row("reachable", "yes" if result.reachable else "[red]no[/red]")
    table.add_row("auth", result.auth)
    table.add_row(
        "credits left", "unknown" if result.credits_left is None else f"{result.credits_left:,}"
    )
    table.add_row("states", f"{result.states:,}")
    if result.message:
        table.add_row("message", result.message)
    console.print(table)
    if result.sample:
        sample = Table(*result.sample[0].keys(), title="sample")
        for rec in result.sample:
            sample.add_row(*(_cell(v) for v in rec.values()))
        console.print(sample)
    if not result.reachable:
        raise typer.Exit(1)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


# --- refdata ----------------------------------------------------------------------------------


@refdata_app.command("import-aircraft")
def refdata_import_aircraft_cmd(
    ctx: typer.Context,
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="OpenSky aircraftDatabase.csv")
    ],
) -> None:
    """Import the OpenSky aircraft database CSV (icao24 -> registration, typecode, model, operator)."""
    from aerolake.refdata.aircraft_db import import_aircraft_db

    settings = _settings(ctx)
    with console.status(f"importing {file} ..."):
        rows = import_aircraft_db(file, settings.data_dir)
    console.print(f"imported {rows:,} aircraft into {settings.data_dir / 'refdata'}")


@refdata_app.command("info")
def refdata_info_cmd(ctx: typer.Context) -> None:
    """Show what reference data is available."""
    from aerolake.refdata.aircraft_db import load_aircraft_db
    from aerolake.refdata.airlines import airlines_of_country, load_airlines
    from aerolake.refdata.airports import airports_in, load_airports

    settings = _settings(ctx)
    region = settings.region_def
    table = Table(title="reference data", show_header=False)
    table.add_row("airports (ICAO, worldwide)", f"{len(load_airports().airports):,}")
    table.add_row(
        f"airports in region {region.name} (with IATA code)",
        f"{len(airports_in(region.bbox, region.countries)):,}",
    )
    table.add_row("airlines (ICAO designators)", f"{len(load_airlines()):,}")
    for country in region.countries:
        names = ", ".join(a.icao for a in airlines_of_country(country))
        table.add_row(f"airlines of {country}", names)
    aircraft = load_aircraft_db(settings.data_dir)
    table.add_row(
        "aircraft database",
        "not imported (aerolake refdata import-aircraft FILE)"
        if aircraft is None
        else f"{aircraft.num_rows:,} aircraft",
    )
    console.print(table)


# --- batch ------------------------------------------------------------------------------------


def _open_lake(settings: Settings) -> Any:
    from aerolake.orchestration.jobs import open_lake

    return open_lake(settings)


@app.command("ingest")
def ingest_cmd(
    ctx: typer.Context,
    paths: Annotated[list[str], typer.Argument(help="OpenSky states files, directories or globs.")],
    force: Annotated[bool, typer.Option(help="Re-ingest files even when unchanged.")] = False,
) -> None:
    """Ingest OpenSky history files into the bronze layer (unchanged files are skipped)."""
    from aerolake.orchestration.jobs import ingest_job
    from aerolake.sources.files import resolve_inputs

    settings = _settings(ctx)
    total = len(resolve_inputs(paths))
    with _progress() as progress:
        bar = progress.add_task("ingesting", total=total, detail="")
        summary = ingest_job(
            settings,
            paths,
            force=force,
            strict=False,
            on_file=lambda r: progress.update(
                bar, advance=1, detail=f"{Path(r.path).name}: {r.status} {r.rows:,} rows"
            ),
        )
    table = Table("status", "files", title=f"ingest into {settings.redacted()['lake']}")
    for status in ("ingested", "replaced", "unchanged", "empty", "failed"):
        table.add_row(status, str(summary.count(status)))
    table.add_row("rows", f"{summary.rows:,}")
    console.print(table)
    for failure in summary.failed:
        err_console.print(f"[red]failed:[/red] {failure.message}")
    if not summary.files:
        console.print("nothing to do: no input files matched")
    if summary.failed:
        raise typer.Exit(1)


def _parse_day(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise typer.BadParameter(f"expected a date like 2024-06-01, got {text!r}") from exc


@app.command("batch")
def batch_cmd(
    ctx: typer.Context,
    date_from: Annotated[
        str | None, typer.Option("--from", help="First UTC date to (re)build.")
    ] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Last UTC date to (re)build.")] = None,
    full: Annotated[bool, typer.Option(help="Rebuild everything, not only what changed.")] = False,
    airlines_anywhere: Annotated[
        bool, typer.Option(help="Also keep the region's airlines outside the region's box.")
    ] = False,
) -> None:
    """Run bronze -> silver -> gold (merge, flights), load the serving tables, print a summary."""
    from aerolake.orchestration.jobs import batch_job

    settings = _settings(ctx)
    with _progress() as progress:
        tasks: dict[str, Any] = {}

        def on_progress(step: str, done: int, total: int) -> None:
            if step not in tasks:
                tasks[step] = progress.add_task(step, total=total, detail="")
            progress.update(tasks[step], completed=done, total=total)

        result = batch_job(
            settings,
            full=full,
            date_from=_parse_day(date_from),
            date_to=_parse_day(date_to),
            airlines_anywhere=airlines_anywhere,
            progress=on_progress,
        )
    summary, loaded, run_id = result.batch, result.load, result.run_id
    _print_batch_summary(summary)
    _print_load_summary(loaded, settings)
    console.print(f"run {run_id} recorded: [bold]aerolake report {run_id}[/bold]")


def _print_batch_summary(summary: Any) -> None:
    if summary.nothing_to_do:
        console.print("nothing to do: silver, gold and flights are up to date with bronze")
    steps = Table("step", "seconds", "rows in", "rows out", "rows/s", title="batch run")
    for step in summary.steps:
        rate = step.rows_in / step.seconds if step.seconds > 0 else 0.0
        steps.add_row(
            step.name,
            f"{step.seconds:.2f}",
            f"{step.rows_in:,}",
            f"{step.rows_out:,}",
            f"{rate:,.0f}",
        )
    console.print(steps)
    s, m = summary.silver, summary.merge
    facts = Table(show_header=False, title="what changed")
    facts.add_row(
        "silver hours built / unchanged", f"{s.partitions_built} / {s.partitions_unchanged}"
    )
    facts.add_row("rows outside the region", f"{s.out_of_region:,}")
    quarantined = ", ".join(f"{k}: {v:,}" for k, v in sorted(summary.quarantined.items())) or "none"
    facts.add_row("quarantined by reason", quarantined)
    facts.add_row(
        "gold hours from batch / speed / unchanged",
        f"{m.batch_hours} / {m.speed_hours} / {m.unchanged_hours}",
    )
    facts.add_row("flights (dates rebuilt)", f"{summary.flights:,} ({summary.flight_dates})")
    console.print(facts)


# --- load / report ----------------------------------------------------------------------------


def _open_target(settings: Settings) -> Any:
    from aerolake.serving import open_target

    return open_target(settings.serving)


@app.command("load")
def load_cmd(
    ctx: typer.Context,
    full: Annotated[
        bool, typer.Option("--full", help="Rebuild every serving table from all of gold.")
    ] = False,
) -> None:
    """Load the serving tables from gold: only the dates that changed, unless --full."""
    from aerolake.orchestration.jobs import load_job

    settings = _settings(ctx)
    with console.status("loading the serving tables ..."):
        summary = load_job(settings, full=full)
    _print_load_summary(summary, settings)


def _print_load_summary(summary: Any, settings: Settings) -> None:
    if summary.nothing_to_do:
        console.print("nothing to do: the serving tables are up to date with gold")
        return
    mode = "full" if summary.full else "incremental"
    table = Table(
        "table",
        "rows written",
        "seconds",
        "dates recomputed",
        title=f"{mode} load into {settings.redacted()['serving']}",
    )
    for name, rows in summary.rows.items():
        table.add_row(
            name,
            f"{rows:,}",
            f"{summary.seconds.get(name, 0.0):.2f}",
            _days(summary.dates.get(name)),
        )
    console.print(table)
    if summary.flights_without_route:
        console.print(
            f"{summary.flights_without_route:,} flights with both ends unknown have no route"
            " (kept in fact_flight_history, left out of dim_route_analytics)"
        )


def _days(days: list[dt.date] | None) -> str:
    if days is None:
        return "all (global table)"
    if len(days) <= 3:
        return ", ".join(d.isoformat() for d in days)
    return f"{days[0]} .. {days[-1]} ({len(days)} dates)"


@app.command("report")
def report_cmd(
    ctx: typer.Context,
    run_id: Annotated[
        str | None, typer.Argument(help="The run to report (default: the latest run).")
    ] = None,
) -> None:
    """Print the metrics report of a pipeline run, read from the serving database."""
    from aerolake.serving.report import render_report

    target = _open_target(_settings(ctx))
    try:
        text = render_report(target, run_id)
    finally:
        target.close()
    typer.echo(text)


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


# --- demo -------------------------------------------------------------------------------------


@app.command("demo")
def demo_cmd(
    ctx: typer.Context,
    hours: Annotated[int, typer.Option(min=1, help="Hours of history to simulate.")] = 24,
    aircraft: Annotated[int, typer.Option(min=1, help="Fleet size.")] = 600,
    serve: Annotated[
        bool, typer.Option(help="Then run the live system (stream, web, scheduler) until Ctrl-C.")
    ] = True,
    duration: Annotated[
        float | None,
        typer.Option("--for", min=1, help="Stop the live system after this many seconds."),
    ] = None,
) -> None:
    """The whole thing on embedded defaults: simulate and process a day, then go live.

    1. simulate a day of traffic as OpenSky history files; 2. ingest them; 3. batch: silver,
    gold, flights and the five serving tables; 4. print the run's metrics report and how many
    simulated flights were found; 5. start the live stream from the simulator and the web app
    (``aerolake up``) and print the URL. Ctrl-C stops everything cleanly.
    """
    from aerolake.lake import GOLD_FLIGHTS
    from aerolake.orchestration.evaluate import score_flights
    from aerolake.orchestration.history import read_ground_truth

    settings = _settings(ctx)
    out = settings.data_dir / "simulated"
    console.rule("[bold]aerolake demo")
    console.print(f"region: {settings.region_def.name}   data dir: {settings.data_dir}")
    console.rule("1. simulate a day of traffic (OpenSky history format)")
    simulate_history_cmd(
        ctx, out=out, hours=hours, start=None, fmt="csv.tar", aircraft=aircraft, seed=None
    )
    console.rule("2. ingest the files into bronze")
    ingest_cmd(ctx, paths=[str(out)], force=False)
    console.rule("3. batch: silver, gold merge, flight segmentation, serving tables")
    batch_cmd(ctx, date_from=None, date_to=None, full=False, airlines_anywhere=False)
    console.rule("4. the run's metrics report")
    report_cmd(ctx, run_id=None)
    flights = _open_lake(settings).read(GOLD_FLIGHTS)
    score = score_flights(read_ground_truth(out), flights)
    console.print(
        f"flights found: {flights.num_rows:,}; of {score.scored:,} simulated flights fully inside "
        f"the window, {score.found:,} ({score.rate:.1%}) were found as one flight with the right "
        f"origin and destination"
    )
    if not serve:
        return
    console.rule("5. live: stream from the simulator, web app, scheduler")
    up_cmd(ctx, stream=True, web=True, scheduler=True, simulate_hours=0, duration=duration)


def main() -> None:
    try:
        app()
    except AerolakeError as exc:
        err_console.print(f"[bold red]error:[/bold red] {exc}")
        sys.exit(2)


if __name__ == "__main__":
    main()
