"""``aerolake demo``: the whole thing on embedded defaults."""

from __future__ import annotations

from typing import Annotated

import typer

from aerolake.cli.app import (
    _open_lake,
    _settings,
    app,
    console,
)
from aerolake.cli.batch import batch_cmd, ingest_cmd, report_cmd
from aerolake.cli.live import up_cmd
from aerolake.cli.sources import simulate_history_cmd

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
