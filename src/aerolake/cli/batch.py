"""Batch-layer commands: ingest, batch, load, report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from aerolake.cli.app import (
    _days,
    _open_target,
    _parse_day,
    _progress,
    _settings,
    app,
    console,
    err_console,
)
from aerolake.settings import Settings

# --- batch ------------------------------------------------------------------------------------


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
