"""The ``aerolake`` command line: a thin front door over :mod:`aerolake.orchestration`.

Settings are built once (in :mod:`aerolake.cli.app`) and passed down. Expected failures
(:class:`AerolakeError`) are printed as one clear message with exit code 2; anything else is a
bug and keeps its traceback. Commands live in :mod:`.sources`, :mod:`.batch`, :mod:`.live` and
:mod:`.demo`; importing them registers them on :data:`app`.
"""

from __future__ import annotations

import os
import sys

from aerolake import memory

# Before anything imports pyarrow or numpy: both read these once (aerolake.memory).
os.environ.update(memory.ENVIRONMENT | os.environ)

from aerolake.cli import batch, demo, live, sources
from aerolake.cli.app import app, err_console
from aerolake.errors import AerolakeError

__all__ = ["app", "batch", "demo", "live", "main", "sources"]


def main() -> None:
    memory.configure()
    try:
        app()
    except AerolakeError as exc:
        err_console.print(f"[bold red]error:[/bold red] {exc}")
        sys.exit(2)
