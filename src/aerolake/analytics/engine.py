"""The engine plug point: run the SQL models in ``analytics/sql/`` on some SQL engine.

A model is a file ``sql/<name>.sql`` in DuckDB's dialect. Its header comment states grain, time
column and inputs; a header line ``-- depends: a, b`` names other models it reads as views.
Parameters are written ``{{ name }}`` and substituted by :func:`render_sql` with literals of
validated values only (numbers, booleans, and short plain-word strings), so a model can never
receive SQL text. Engines are registered by name in :data:`ENGINES`; the adapter modules are
imported only when opened, so heavy optional libraries stay out of ``import aerolake``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any, Protocol

import pyarrow as pa
import pyarrow.dataset as ds

from aerolake.errors import ConfigError

_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
_PARAM = re.compile(r"\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}")
_PLAIN_TEXT = re.compile(r"^[A-Za-z0-9_.:-]{0,64}$")
_DEPENDS = re.compile(r"^--\s*depends:\s*(.*)$", re.MULTILINE)


class Engine(Protocol):
    """A SQL engine that runs aerolake's models over registered inputs."""

    def register(self, name: str, source: pa.Table | ds.Dataset | Sequence[str]) -> None:
        """Expose ``source`` as view ``name``: an Arrow table, a pyarrow dataset (read through
        its own filesystem, e.g. S3), or local Parquet file paths/globs read with hive
        partitioning. Replaces an earlier view of that name. Lake callers pass
        :meth:`aerolake.lake.Lake.engine_source`, which picks paths or a dataset."""
        ...

    def run(self, model: str, params: Mapping[str, object] | None = None) -> pa.Table:
        """Run ``sql/<model>.sql`` (after its dependencies) and return the result as Arrow."""
        ...

    def close(self) -> None:
        """Release the engine's resources; the engine is unusable afterwards."""
        ...


@dataclass(frozen=True)
class Model:
    """A model file: its name, raw SQL text, and the models it depends on (in order)."""

    name: str
    sql: str
    depends: tuple[str, ...]


def check_name(name: str) -> str:
    """``name`` if it is a plain lower-case SQL identifier, else ValueError."""
    if not _NAME.match(name):
        raise ValueError(f"expected a lower-case identifier like 'flight_segments', got {name!r}")
    return name


def load_model(name: str) -> Model:
    """Read ``aerolake/analytics/sql/<name>.sql`` from the installed package."""
    path = resources.files("aerolake.analytics").joinpath("sql", f"{check_name(name)}.sql")
    if not path.is_file():
        raise ValueError(f"no SQL model named {name!r} (expected file sql/{name}.sql)")
    sql = path.read_text(encoding="utf-8")
    depends = tuple(
        check_name(d.strip()) for m in _DEPENDS.finditer(sql) for d in m.group(1).split(",")
    )
    return Model(name=name, sql=sql, depends=depends)


def model_chain(name: str) -> list[Model]:
    """``name`` and everything it depends on, dependencies first, each once."""
    ordered: list[Model] = []
    seen: set[str] = set()

    def visit(n: str, path: tuple[str, ...]) -> None:
        if n in path:
            raise ValueError(f"SQL models depend on each other in a cycle: {' -> '.join(path)}")
        if n in seen:
            return
        model = load_model(n)
        for dep in model.depends:
            visit(dep, (*path, n))
        seen.add(n)
        ordered.append(model)

    visit(name, ())
    return ordered


def sql_literal(value: object) -> str:
    """The SQL literal of a parameter value; only numbers, booleans and plain words pass."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"SQL parameters must be finite numbers, got {value!r}")
        return repr(value)
    if isinstance(value, str):
        if not _PLAIN_TEXT.match(value):
            raise ValueError(
                f"text SQL parameters must be at most 64 letters, digits or '_.:-', got {value!r}"
            )
        return f"'{value}'"
    raise ValueError(f"SQL parameters must be int, float, bool or str, got {type(value).__name__}")


def render_sql(sql: str, params: Mapping[str, object] | None = None) -> str:
    """Replace every ``{{ name }}`` in ``sql`` with the literal of ``params[name]``.

    Raises ValueError naming every placeholder without a value. Unused parameters are ignored
    (one parameter set serves a model and its dependencies).
    """
    values = dict(params or {})
    missing = sorted({m.group(1) for m in _PARAM.finditer(sql)} - values.keys())
    if missing:
        raise ValueError(f"SQL model needs parameters {missing}; pass them in params")
    return _PARAM.sub(lambda m: sql_literal(values[m.group(1)]), sql)


def _duckdb(**options: Any) -> Engine:
    from aerolake.analytics.duckdb_engine import DuckDBEngine

    return DuckDBEngine(**options)


def _spark(**options: Any) -> Engine:
    from aerolake.analytics.spark_engine import SparkEngine

    return SparkEngine(**options)


#: Engine factories by name; each imports its adapter on first use.
ENGINES: dict[str, Callable[..., Engine]] = {"duckdb": _duckdb, "spark": _spark}


def open_engine(name: str = "duckdb", **options: Any) -> Engine:
    """A new engine of kind ``name`` (a key of :data:`ENGINES`), built with ``options``."""
    try:
        factory = ENGINES[name]
    except KeyError:
        raise ConfigError(
            f"unknown SQL engine {name!r}; expected one of {sorted(ENGINES)}"
        ) from None
    return factory(**options)
