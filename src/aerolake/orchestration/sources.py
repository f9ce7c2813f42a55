"""Opening the configured source from settings."""

from __future__ import annotations

from aerolake.errors import ConfigError
from aerolake.settings import Settings
from aerolake.sources.base import LiveSource, SourceCheck


def open_live_source(settings: Settings) -> LiveSource:
    """The live source named by ``AEROLAKE_SOURCE`` (``simulator`` or ``opensky``)."""
    if settings.source == "simulator":
        from aerolake.sources.simulator import SimulatorConfig, SimulatorLive

        return SimulatorLive(SimulatorConfig(region=settings.region_def, seed=settings.seed))
    if settings.source == "opensky":
        from aerolake.sources.opensky import OpenSkyClient

        return OpenSkyClient.from_settings(settings)
    raise ConfigError(
        f"AEROLAKE_SOURCE={settings.source!r} is not a live source; use 'simulator' or 'opensky'"
    )


def check_files(settings: Settings) -> SourceCheck:
    """Probe the files source: which files match AEROLAKE_FILES_PATH and how many rows the first holds."""
    from aerolake.sources.files import FilesSource

    if not settings.files_path:
        return SourceCheck("files", False, "n/a", None, 0, message="AEROLAKE_FILES_PATH is not set")
    source = FilesSource([settings.files_path])
    files = source.files()
    if not files:
        return SourceCheck(
            "files", False, "n/a", None, 0, message=f"no files match {settings.files_path}"
        )
    rows = 0
    sample: list[dict[str, object]] = []
    for batch in source.read_file(files[0]):
        rows += batch.num_rows
        if not sample:
            sample = (
                batch.slice(0, 5)
                .select(["time", "icao24", "callsign", "lat", "lon", "baroaltitude"])
                .to_pylist()
            )
    return SourceCheck(
        "files",
        True,
        "n/a",
        None,
        rows,
        sample,
        message=f"{len(files)} files; first: {files[0]} ({rows:,} rows)",
    )
