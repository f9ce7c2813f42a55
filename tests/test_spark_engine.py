"""The Spark adapter: configuration (pure), registration, and DuckDB's semantics on Spark."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from aerolake.analytics import open_engine
from aerolake.analytics.segment import segment_flights
from aerolake.analytics.spark_engine import SparkEngine, base_path, session_conf, spark_uri
from aerolake.analytics.transpile import to_spark
from aerolake.errors import ConfigError, LakeError
from test_segment import VABB, VIDP, delhi_mumbai, silver

# --- configuration (no Spark needed) -------------------------------------------------------


def test_session_conf_defaults() -> None:
    conf = session_conf("local[2]")
    assert conf["spark.sql.session.timeZone"] == "UTC"
    assert conf["spark.sql.shuffle.partitions"] == "4"
    assert conf["spark.ui.enabled"] == "false"
    assert conf["spark.sql.execution.arrow.pyspark.enabled"] == "true"
    assert "spark.jars" not in conf
    assert session_conf("spark://h:7077")["spark.sql.shuffle.partitions"] == "200"


def test_session_conf_jars_and_overrides() -> None:
    conf = session_conf(
        "spark://spark-master:7077",
        jars=["/usr/share/java/postgresql.jar", "/opt/jars/hadoop-aws.jar"],
        conf={"spark.hadoop.fs.s3a.path.style.access": "true"},
        driver_memory="6g",
    )
    assert conf["spark.jars"] == "/usr/share/java/postgresql.jar,/opt/jars/hadoop-aws.jar"
    assert conf["spark.hadoop.fs.s3a.path.style.access"] == "true"
    assert conf["spark.driver.memory"] == "6g"


@pytest.mark.parametrize("master", ["local[x]", "mesos://h:5050", "spark://", ""])
def test_session_conf_rejects_unknown_masters(master: str) -> None:
    with pytest.raises(ConfigError, match="Spark master"):
        session_conf(master)


def test_session_conf_refuses_downloads() -> None:
    with pytest.raises(ConfigError, match="download"):
        session_conf("local[2]", conf={"spark.jars.packages": "org.apache.hadoop:hadoop-aws:3.4.1"})


def test_base_path_and_uri() -> None:
    assert base_path("/lake/silver/state_vectors/date=2024-05-01/hour=7/p.parquet") == (
        "/lake/silver/state_vectors"
    )
    assert (
        base_path("s3a://b/lake/gold/flights/date=2024-05-01/p.parquet")
        == "s3a://b/lake/gold/flights"
    )
    assert base_path("/tmp/x/silver.parquet") == "/tmp/x"
    assert base_path("/lake/t/date=*/hour=*/*.parquet") == "/lake/t"
    assert spark_uri("s3://bucket/lake/p.parquet") == "s3a://bucket/lake/p.parquet"
    assert spark_uri("/lake/p.parquet") == "/lake/p.parquet"


# --- on Spark --------------------------------------------------------------------------------


@pytest.fixture
def engine(spark_session: Any) -> Iterator[SparkEngine]:
    eng = SparkEngine(session=spark_session)
    yield eng
    eng.close()


VALUES = pa.table(
    {
        "a": pa.array([None, 2, 3, 4], pa.int64()),
        "k": pa.array([1, 2, 3, 4], pa.int64()),
        "x": pa.array([1.2345675, 0.1190625, 2.675, 7.0]),
        "s": pa.array(["b", None, "a", "b"]),
    }
)

# DuckDB expressions whose naive translation means something else on Spark (see transpile.py).
EXPRESSIONS = [
    "MIN_BY(a, k)",
    "ARG_MAX(a, k)",
    "ROUND(SUM(x), 6)",
    "ROUND(MAX(x) - 4.5, 2)",
    "ROUND(MIN(x) * 10, 6)",
    "STRFTIME(TO_TIMESTAMP(MAX(k) + 1714960805), '%Y-%m-%dT%H:%M:%SZ')",
    "EPOCH(TO_TIMESTAMP(MAX(k) + 0.5))",
    "CAST(TO_TIMESTAMP(MAX(k) * 86400) AS DATE)",
    "LOG(MAX(k) * 25)",
    "QUANTILE_CONT(x, 0.9)",
    "MEDIAN(x)",
    "QUANTILE_DISC(x, 0.5)",
    "SUM(k) / 3.0",
    "CAST(SUM(k) AS BIGINT) // 3",
    "STRING_AGG(s, ',' ORDER BY s)",
    "ARRAY_TO_STRING(LIST_SORT(LIST_DISTINCT(LIST(s))), ',')",
    "MD5(MAX(s))",
    "MAKE_TIMESTAMP(2024, 5, 6, 7, 8, 9.5)",
]


@pytest.mark.spark
@pytest.mark.parametrize("expression", EXPRESSIONS)
def test_translation_keeps_duckdb_semantics(engine: SparkEngine, expression: str) -> None:
    sql = f"SELECT {expression} AS v FROM t"
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.register("t", VALUES)
    want = con.sql(sql).to_arrow_table()
    engine.register("t", VALUES)
    got = engine.session.sql(to_spark(sql)).toArrow()
    assert got.column(0).type == want.column(0).type
    assert got.column(0).to_pylist() == want.column(0).to_pylist()


@pytest.mark.spark
def test_register_parquet_reads_hive_partitions(engine: SparkEngine, tmp_path: Path) -> None:
    paths = []
    for day, hour, other in [("2024-05-06", 7, tmp_path / "a"), ("2024-05-07", 10, tmp_path / "b")]:
        folder = other / "states" / f"date={day}" / f"hour={hour}"
        folder.mkdir(parents=True)
        pq.write_table(pa.table({"v": [hour]}), folder / "part-0.parquet")
        paths.append(str(folder / "part-0.parquet"))
    engine.register("states", paths)  # two roots: read separately, unioned by name
    got = engine.session.sql("SELECT * FROM states ORDER BY v").toArrow()
    assert got.schema.field("date").type == pa.date32()
    assert got.schema.field("hour").type == pa.int32()
    assert got.column("hour").to_pylist() == [7, 10]
    assert [d.isoformat() for d in got.column("date").to_pylist()] == ["2024-05-06", "2024-05-07"]


@pytest.mark.spark
def test_register_errors(engine: SparkEngine, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="non-empty list"):
        engine.register("states", [])
    with pytest.raises(LakeError, match="could not read"):
        engine.register("states", [str(tmp_path / "missing" / "p.parquet")])
    with pytest.raises(ValueError, match="identifier"):
        engine.register("Bad Name", VALUES)


@pytest.mark.spark
def test_model_on_a_hand_built_track_matches_duckdb(engine: SparkEngine) -> None:
    table = silver(*delhi_mumbai())
    duck = open_engine("duckdb", threads=1)
    try:
        want = segment_flights(duck, table)
    finally:
        duck.close()
    got = segment_flights(engine, table)
    assert got.schema == want.schema
    assert got.equals(want)
    assert got.column("origin").to_pylist() == ["VIDP"] and VIDP
    assert got.column("destination").to_pylist() == ["VABB"] and VABB


@pytest.mark.spark
def test_run_returns_duckdb_conventions_and_close_drops_views(spark_session: Any) -> None:
    engine = SparkEngine(session=spark_session)
    engine.register("silver", silver(*delhi_mumbai()))
    from aerolake.refdata.airports import load_airports

    engine.register("airports", load_airports().table())
    from aerolake.analytics.segment import SegmentationRules, model_params

    out = engine.run("flights", model_params(SegmentationRules()))
    assert out.schema.field("first_seen").type == pa.timestamp("us", tz="UTC")
    assert all(f.nullable for f in out.schema)
    child = engine.session
    assert child.catalog.tableExists("flight_segments")  # the dependency's view
    engine.close()
    assert not child.catalog.tableExists("silver")
    assert not child.catalog.tableExists("flight_segments")
    assert spark_session.range(1).count() == 1  # the shared session still runs
