"""The engine plug point: model files, parameter rendering, the DuckDB adapter."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from aerolake.analytics.engine import (
    ENGINES,
    load_model,
    model_chain,
    open_engine,
    render_sql,
    sql_literal,
)
from aerolake.analytics.segment import SegmentationRules, model_params
from aerolake.errors import ConfigError


def test_render_substitutes_validated_literals() -> None:
    sql = "SELECT {{ a }} + {{b}}, {{ c }}, {{ d }}"
    assert render_sql(sql, {"a": 1, "b": 2.5, "c": "batch", "d": True}) == (
        "SELECT 1 + 2.5, 'batch', TRUE"
    )


@pytest.mark.parametrize("bad", ["x'; DROP TABLE t; --", "a b", float("nan"), [1], None])
def test_render_refuses_anything_but_plain_values(bad: object) -> None:
    with pytest.raises(ValueError):
        sql_literal(bad)


def test_render_names_missing_parameters() -> None:
    with pytest.raises(ValueError, match=r"\['gap_s'\]"):
        render_sql("SELECT {{ gap_s }}", {"other": 1})


def test_models_and_dependencies_load_from_the_package() -> None:
    assert [m.name for m in model_chain("flights")] == ["flight_segments", "flights"]
    assert load_model("flights").depends == ("flight_segments",)
    with pytest.raises(ValueError, match="no SQL model"):
        load_model("no_such_model")
    with pytest.raises(ValueError, match="identifier"):
        load_model("../etc/passwd")


def test_every_model_has_a_header_and_all_parameters_are_given() -> None:
    params = model_params(SegmentationRules())
    for name in ("flight_segments", "flights"):
        model = load_model(name)
        header = model.sql.split("\n\n", 1)[0]
        for word in ("Grain:", "Time column:", "Inputs:"):
            assert word in header, f"{name}.sql header lacks {word}"
        render_sql(model.sql, params)


def test_models_transpile_to_spark() -> None:
    sqlglot = pytest.importorskip("sqlglot")
    params = model_params(SegmentationRules())
    for name in ("flight_segments", "flights"):
        sql = render_sql(load_model(name).sql, params)
        spark = sqlglot.transpile(sql, read="duckdb", write="spark", comments=False)[0]
        for construct in ("QUALIFY", "ASOF", "LIST_", "ST_DISTANCE", "ST_POINT", "INSTALL"):
            assert construct not in spark.upper()
        sqlglot.parse_one(spark, read="spark")  # and Spark's dialect reads it back


def test_unknown_engine_is_a_config_error() -> None:
    assert "duckdb" in ENGINES
    with pytest.raises(ConfigError, match="duckdb"):
        open_engine("oracle")


def test_duckdb_registers_arrow_and_hive_parquet(tmp_path: Path) -> None:
    for hour in (1, 2):
        folder = tmp_path / "date=2024-03-04" / f"hour={hour:02d}"
        folder.mkdir(parents=True)
        pq.write_table(pa.table({"x": [hour, hour * 10]}), folder / "p.parquet")
    engine = open_engine("duckdb", threads=1, memory_limit="512MB")
    try:
        engine.register("silver", [str(tmp_path / "**" / "*.parquet")])
        con = engine._con  # type: ignore[attr-defined]
        rows = con.sql("SELECT hour, SUM(x) FROM silver GROUP BY hour ORDER BY hour").fetchall()
        assert rows == [("01", 11), ("02", 22)]  # hive values stay text
        engine.register("silver", pa.table({"x": [5]}))  # replaces the Parquet view
        assert con.sql("SELECT SUM(x) FROM silver").fetchall() == [(5,)]
        with pytest.raises(ValueError):
            engine.register("silver", [])
        with pytest.raises(ValueError):
            engine.register("bad name", pa.table({"x": [1]}))
    finally:
        engine.close()


def test_duckdb_query_sees_its_inputs_only_while_it_runs() -> None:
    from aerolake.analytics.duckdb_engine import DuckDBEngine

    engine = DuckDBEngine(threads=1)
    try:
        engine.register("points", pa.table({"x": [100]}))  # an earlier view of the same name
        out = engine.query("SELECT SUM(x) AS s FROM points", {"points": pa.table({"x": [1, 2]})})
        assert out.column("s").to_pylist() == [3]
        con = engine._con
        with pytest.raises(duckdb.CatalogException):
            con.sql("SELECT * FROM points").fetchall()
    finally:
        engine.close()


def test_duckdb_installs_and_loads_no_extension() -> None:
    engine = open_engine("duckdb", threads=1)
    try:
        con = engine._con  # type: ignore[attr-defined]
        settings = dict(
            con.sql(
                "SELECT name, value FROM duckdb_settings() WHERE name IN "
                "('autoinstall_known_extensions', 'autoload_known_extensions', 'TimeZone')"
            ).fetchall()
        )
        assert settings["autoinstall_known_extensions"] == "false"
        assert settings["autoload_known_extensions"] == "false"
        assert settings["TimeZone"] == "UTC"
    finally:
        engine.close()
