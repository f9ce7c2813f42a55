"""The reviewed DDL files, parsed into table specs.

Each serving table has one ``ddl/<table>.sql`` file: one ``CREATE TABLE`` and its ``CREATE
INDEX`` statements, written in the subset PostgreSQL and DuckDB both accept (TEXT, DOUBLE
PRECISION, BIGINT, INTEGER, BOOLEAN, DATE, TIMESTAMPTZ, NOT NULL, PRIMARY KEY). The files are
the source of truth: :data:`TABLES` is parsed from them, and the loaders render every statement
from the parsed spec, so a table is never inferred from data. Anything outside the subset is a
bug in the DDL and fails at import.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Final

import pyarrow as pa

#: DDL type -> Arrow type of the column as loaded and as read back (timestamps: UTC, us).
ARROW_TYPES: Final[Mapping[str, pa.DataType]] = {
    "TEXT": pa.string(),
    "DOUBLE PRECISION": pa.float64(),
    "BIGINT": pa.int64(),
    "INTEGER": pa.int32(),
    "BOOLEAN": pa.bool_(),
    "DATE": pa.date32(),
    "TIMESTAMPTZ": pa.timestamp("us", tz="UTC"),
}

#: information_schema ``data_type`` spellings (PostgreSQL and DuckDB) -> DDL type.
CATALOG_TYPES: Final[Mapping[str, str]] = {
    "TEXT": "TEXT",
    "VARCHAR": "TEXT",
    "CHARACTER VARYING": "TEXT",
    "DOUBLE PRECISION": "DOUBLE PRECISION",
    "DOUBLE": "DOUBLE PRECISION",
    "BIGINT": "BIGINT",
    "INTEGER": "INTEGER",
    "BOOLEAN": "BOOLEAN",
    "DATE": "DATE",
    "TIMESTAMP WITH TIME ZONE": "TIMESTAMPTZ",
    "TIMESTAMPTZ": "TIMESTAMPTZ",
}


@dataclass(frozen=True)
class Column:
    name: str
    sql_type: str  # one of ARROW_TYPES' keys
    not_null: bool

    @property
    def arrow_type(self) -> pa.DataType:
        return ARROW_TYPES[self.sql_type]


@dataclass(frozen=True)
class Index:
    name: str
    columns: tuple[str, ...]


@dataclass(frozen=True)
class TableSpec:
    name: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    indexes: tuple[Index, ...]

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def arrow_schema(self) -> pa.Schema:
        return pa.schema(
            [pa.field(c.name, c.arrow_type, nullable=not c.not_null) for c in self.columns]
        )

    @property
    def catalog_types(self) -> dict[str, str]:
        """Column name -> DDL type, to compare with a live table's catalog."""
        return {c.name: c.sql_type for c in self.columns}


def quote(identifier: str) -> str:
    """A double-quoted SQL identifier (both engines)."""
    return '"' + identifier.replace('"', '""') + '"'


def create_table_sql(spec: TableSpec, name: str, *, if_not_exists: bool = False) -> str:
    """``CREATE TABLE`` for ``spec`` under ``name`` (a staging name or the live one).

    The primary key constraint is named ``<name>_pkey``, as PostgreSQL would name it.
    """
    cols = [
        f"{quote(c.name)} {c.sql_type}{' NOT NULL' if c.not_null else ''}" for c in spec.columns
    ]
    pk = ", ".join(quote(c) for c in spec.primary_key)
    cols.append(f"CONSTRAINT {quote(name + '_pkey')} PRIMARY KEY ({pk})")
    body = ",\n    ".join(cols)
    guard = "IF NOT EXISTS " if if_not_exists else ""
    return f"CREATE TABLE {guard}{quote(name)} (\n    {body}\n)"


def create_index_sql(index: Index, table: str, name: str, *, if_not_exists: bool = False) -> str:
    cols = ", ".join(quote(c) for c in index.columns)
    guard = "IF NOT EXISTS " if if_not_exists else ""
    return f"CREATE INDEX {guard}{quote(name)} ON {quote(table)} ({cols})"


# --- parsing ----------------------------------------------------------------------------------

_IDENT = r'(?:"[^"]+"|[A-Za-z_][A-Za-z0-9_]*)'
_CREATE_TABLE = re.compile(rf"^CREATE TABLE ({_IDENT}) \((.*)\)$", re.S | re.I)
_CREATE_INDEX = re.compile(rf"^CREATE INDEX ({_IDENT}) ON ({_IDENT}) \((.*)\)$", re.S | re.I)
_PRIMARY_KEY = re.compile(r"^PRIMARY KEY \((.*)\)$", re.S | re.I)
_COLUMN = re.compile(
    rf"^({_IDENT}) (TEXT|DOUBLE PRECISION|BIGINT|INTEGER|BOOLEAN|DATE|TIMESTAMPTZ)( NOT NULL)?$",
    re.I,
)


def parse_ddl(text: str, source: str = "<ddl>") -> TableSpec:
    """Parse one DDL file: exactly one CREATE TABLE with a PRIMARY KEY, then CREATE INDEXes."""
    text = re.sub(r"--[^\n]*", "", text)
    statements = [" ".join(s.split()) for s in text.split(";") if s.strip()]
    if not statements or not (match := _CREATE_TABLE.match(statements[0])):
        raise ValueError(f"{source}: expected CREATE TABLE as the first statement")
    name = _unquote(match.group(1))
    columns: list[Column] = []
    primary_key: tuple[str, ...] = ()
    for item in _split_top_level(match.group(2)):
        if pk := _PRIMARY_KEY.match(item):
            primary_key = _ident_list(pk.group(1))
        elif col := _COLUMN.match(item):
            sql_type = col.group(2).upper()
            columns.append(Column(_unquote(col.group(1)), sql_type, bool(col.group(3))))
        else:
            raise ValueError(f"{source}: unsupported column definition {item!r}")
    names = [c.name for c in columns]
    if len(set(names)) != len(names) or not primary_key or not set(primary_key) <= set(names):
        raise ValueError(f"{source}: duplicate columns, or a missing or unknown primary key")
    indexes = []
    for stmt in statements[1:]:
        idx = _CREATE_INDEX.match(stmt)
        if not idx or _unquote(idx.group(2)) != name:
            raise ValueError(f"{source}: expected CREATE INDEX ... ON {name}, got {stmt!r}")
        index = Index(_unquote(idx.group(1)), _ident_list(idx.group(3)))
        if not set(index.columns) <= set(names):
            raise ValueError(f"{source}: index {index.name} names an unknown column")
        indexes.append(index)
    return TableSpec(name, tuple(columns), primary_key, tuple(indexes))


def _split_top_level(body: str) -> list[str]:
    items: list[str] = []
    current: list[str] = []
    depth = 0
    for ch in body:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if ch == "," and depth == 0:
            items.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
    items.append("".join(current).strip())
    return [i for i in items if i]


def _ident_list(text: str) -> tuple[str, ...]:
    return tuple(_unquote(part.strip()) for part in text.split(","))


def _unquote(identifier: str) -> str:
    return identifier[1:-1] if identifier.startswith('"') else identifier.lower()


def _load_all() -> dict[str, TableSpec]:
    specs = {}
    for entry in sorted(
        resources.files("aerolake.serving").joinpath("ddl").iterdir(), key=lambda e: e.name
    ):
        if entry.name.endswith(".sql"):
            spec = parse_ddl(entry.read_text(encoding="utf-8"), f"ddl/{entry.name}")
            if spec.name != entry.name.removesuffix(".sql"):
                raise ValueError(f"ddl/{entry.name} creates {spec.name}; name files after tables")
            specs[spec.name] = spec
    return specs


#: Every serving table, parsed from ``ddl/*.sql`` (the reviewed files).
TABLES: Final[Mapping[str, TableSpec]] = _load_all()

#: Tables the pipeline loads (analytics and drill-down), as opposed to bookkeeping tables.
DATA_TABLES: Final[tuple[str, ...]] = (
    "fact_flight_history",
    "dim_route_analytics",
    "dim_aircraft_utilization",
    "dim_airspace_heatmap",
    "dim_airspace_hourly_profile",
    "raw_telemetry",
)
#: Bookkeeping tables, created when a target opens.
META_TABLES: Final[tuple[str, ...]] = (
    "pipeline_runs",
    "task_runs",
    "health_checks",
    "serving_watermarks",
)
