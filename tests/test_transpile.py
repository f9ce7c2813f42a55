"""DuckDB -> Spark SQL translation (pure: no Spark here; see test_spark_engine.py for semantics)."""

from __future__ import annotations

import re
from importlib import resources

import pytest

from aerolake.analytics.engine import render_sql
from aerolake.analytics.transpile import java_date_pattern, to_spark, to_spark_steps


def test_date_pattern_quotes_literal_letters() -> None:
    assert java_date_pattern("%Y-%m-%dT%H:%M:%SZ") == "yyyy-MM-dd'T'HH:mm:ss'Z'"
    assert java_date_pattern("%Y%m%d") == "yyyyMMdd"
    assert java_date_pattern("%H:%M:%S.%f") == "HH:mm:ss.SSSSSS"
    assert java_date_pattern("day %j of %Y, it's") == "'day 'DDD' of 'yyyy', it''s'"
    assert java_date_pattern("100%%") == "'100''%'"


def test_date_pattern_rejects_codes_without_equivalent() -> None:
    with pytest.raises(ValueError, match="%U"):
        java_date_pattern("%Y week %U")


def test_min_max_by_skip_null_values_as_duckdb() -> None:
    sql = to_spark("SELECT MIN_BY(a, t), ARG_MAX(a, t) FROM x")
    assert "MIN_BY(a, CASE WHEN NOT a IS NULL THEN t END)" in sql
    assert "MAX_BY(a, CASE WHEN NOT a IS NULL THEN t END)" in sql


def test_round_of_floats_is_written_out_but_exact_numbers_kept() -> None:
    sql = to_spark("SELECT ROUND(AVG(x), 6), ROUND(x), ROUND(2.675, 2), ROUND(CAST(x AS INT), 1)")
    assert "ROUND((AVG(x)) * 1e6, 0) / 1e6" in sql
    assert "ROUND(x)" in sql and "ROUND(2.675, 2)" in sql and "ROUND(CAST(x AS INT), 1)" in sql


def test_time_functions() -> None:
    sql = to_spark("SELECT TO_TIMESTAMP(t), EPOCH(ts), EPOCH_US(ts), STRFTIME(ts, '%Y %H') FROM x")
    assert "TIMESTAMP_SECONDS(t)" in sql and "FROM_UNIXTIME" not in sql
    assert "UNIX_MICROS(CAST(ts AS TIMESTAMP)) / 1e6" in sql
    assert "UNIX_MICROS(CAST(ts AS TIMESTAMP))," in sql
    assert "DATE_FORMAT(ts, 'yyyy HH')" in sql


def test_log_quantiles_and_decimal_division() -> None:
    sql = to_spark(
        "SELECT LOG(x), LOG(2, x), QUANTILE_CONT(x, 0.9), MEDIAN(x), QUANTILE_DISC(x, 0.5), "
        "a / 2.0, a / b, a // b FROM t"
    )
    assert "LOG10(x)" in sql and "LOG(2, x)" in sql
    assert "PERCENTILE(x, 0.9)" in sql and "PERCENTILE(x, 0.5)" in sql
    assert "PERCENTILE_DISC(0.5) WITHIN GROUP (ORDER BY x" in sql
    assert "APPROX" not in sql
    assert "a / CAST(2.0 AS DOUBLE)" in sql and "a / b" in sql and "a DIV b" in sql


def test_qualify_and_ignore_nulls_translate() -> None:
    sql = to_spark(
        "SELECT a, LAST_VALUE(b IGNORE NULLS) OVER (PARTITION BY a ORDER BY t) AS l FROM x "
        "QUALIFY ROW_NUMBER() OVER (PARTITION BY a ORDER BY t DESC) = 1"
    )
    assert "QUALIFY" not in sql and "IGNORE NULLS" in sql


def test_one_statement_only() -> None:
    with pytest.raises(ValueError, match="one SQL statement"):
        to_spark("SELECT 1; SELECT 2")
    with pytest.raises(ValueError, match="parse"):
        to_spark("SELECT FROM WHERE (")


def test_steps_split_ctes_into_prefixed_views() -> None:
    steps = to_spark_steps(
        "WITH a AS (SELECT 1 AS x), b AS (SELECT a.x FROM a) SELECT * FROM b JOIN a AS q ON TRUE",
        prefix="m__",
    )
    assert [(s.view, s.reused) for s in steps] == [("m__a", True), ("m__b", False), (None, False)]
    assert steps[1].sql == "SELECT a.x FROM m__a AS a"  # the alias keeps `a.x` valid
    assert steps[2].sql == "SELECT * FROM m__b AS b JOIN m__a AS q ON TRUE"


def test_steps_fall_back_to_one_query_when_names_are_ambiguous() -> None:
    sql = "WITH a AS (SELECT 1 AS x) SELECT * FROM (WITH a AS (SELECT 2 AS x) SELECT * FROM a)"
    steps = to_spark_steps(sql, prefix="m__")
    assert len(steps) == 1 and steps[0].view is None and "m__" not in steps[0].sql
    assert to_spark_steps("SELECT 1", prefix="m__")[0].sql == "SELECT 1"


@pytest.mark.parametrize(
    "path",
    sorted(p.name for p in resources.files("aerolake.analytics").joinpath("sql").iterdir()),
)
def test_every_model_translates(path: str) -> None:
    """Every shipped model translates (placeholders filled with a number or a word)."""
    text = resources.files("aerolake.analytics").joinpath("sql", path).read_text()
    text_params = ("data_source", "icao24_last_digits", "unknown_airport")
    params = {
        name: "abc" if name in text_params else 1
        for name in re.findall(r"\{\{\s*(\w+)\s*\}\}", text)
    }
    steps = to_spark_steps(render_sql(text, params), prefix="m__")
    assert steps[-1].view is None and steps[-1].sql.upper().startswith(("SELECT", "WITH"))
