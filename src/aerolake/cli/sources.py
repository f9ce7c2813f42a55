"""Commands about inputs: configuration, the simulator, sources, reference data."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from aerolake.cli.app import (
    _cell,
    _parse_start,
    _progress,
    _settings,
    app,
    console,
    refdata_app,
    simulate_app,
    sources_app,
)

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
