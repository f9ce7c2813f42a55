"""The Typer application, its sub-apps, and the helpers every command module shares."""

from __future__ import annotations

import datetime as dt
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

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


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def _open_lake(settings: Settings) -> Any:
    from aerolake.orchestration.jobs import open_lake

    return open_lake(settings)


def _parse_day(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise typer.BadParameter(f"expected a date like 2024-06-01, got {text!r}") from exc


def _open_target(settings: Settings) -> Any:
    from aerolake.serving import open_target

    return open_target(settings.serving)


def _days(days: list[dt.date] | None) -> str:
    if days is None:
        return "all (global table)"
    if len(days) <= 3:
        return ", ".join(d.isoformat() for d in days)
    return f"{days[0]} .. {days[-1]} ({len(days)} dates)"
