"""The Spark adapter of :class:`~aerolake.analytics.engine.Engine`: the same models, on Spark.

Each model is rendered exactly as for DuckDB, translated by :func:`~.transpile.to_spark` and run
with ``spark.sql``; dependencies become temporary views, as in the DuckDB adapter. Results come
back through Arrow with DuckDB's conventions (every field nullable, timestamps in microseconds
and UTC, plain strings), so callers cannot tell the engines apart.

Nothing is downloaded at run time: no ``--packages``, only the jars inside the pyspark wheel and
the local ``jars`` given (e.g. ``/usr/share/java/postgresql.jar``, or hadoop-aws for ``s3a://``,
see docs/deploy.md). Sessions run in UTC with ANSI SQL semantics (Spark 4's default), so a
division by zero or an overflow fails loudly instead of producing NULL.

``pyspark`` is imported here only, when an engine is built.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from aerolake.analytics.engine import check_name, model_chain, render_sql
from aerolake.analytics.transpile import to_spark_steps
from aerolake.errors import ConfigError, LakeError
from aerolake.lake.paths import PARTITION_TYPES

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

_MASTER = re.compile(
    r"^(local(\[(\d+|\*)\])?|spark://[\w.-]+(:\d+)?(,[\w.-]+(:\d+)?)*|k8s://\S+|yarn)$"
)
_GLOB = re.compile(r"[*?\[{]")
_SPARK_TYPES: Mapping[pa.DataType, str] = {pa.date32(): "DATE", pa.int32(): "INT"}


def session_conf(
    master: str,
    *,
    driver_memory: str = "2g",
    shuffle_partitions: int | None = None,
    jars: Sequence[str] = (),
    conf: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The Spark configuration of an aerolake session (pure): UTC, Arrow, no UI, no downloads.

    ``shuffle_partitions`` defaults to 2 per core for ``local[N]`` and Spark's 200 elsewhere;
    ``conf`` entries (e.g. ``spark.hadoop.fs.s3a.*``) override everything else.
    """
    if not _MASTER.match(master):
        raise ConfigError(
            f"Spark master must be local[N], spark://host:7077, k8s://https://host:port or "
            f"yarn; got {master!r}"
        )
    if shuffle_partitions is None:
        cores = re.fullmatch(r"local\[(\d+)\]", master)
        shuffle_partitions = 2 * int(cores.group(1)) if cores else (2 if master == "local" else 200)
    out = {
        "spark.master": master,
        "spark.app.name": "aerolake",
        "spark.driver.memory": driver_memory,
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.shuffle.partitions": str(shuffle_partitions),
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.sql.execution.arrow.pyspark.fallback.enabled": "false",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.ansi.enabled": "true",
    }
    if jars:
        out["spark.jars"] = ",".join(jars)
    out.update(conf or {})
    if "spark.jars.packages" in out:
        raise ConfigError(
            "spark.jars.packages would download jars at run time; list local jar files in "
            "jars (AEROLAKE_SPARK_JARS) instead"
        )
    return out


class SparkEngine:
    """Spark SQL over registered Arrow tables and Parquet files.

    Builds (and on :meth:`close` stops) a session from ``master`` and the options of
    :func:`session_conf`; or, given ``session``, works in an isolated child session of it
    (own temporary views, shared JVM) and leaves it running on close.
    """

    def __init__(
        self,
        master: str = "local[2]",
        *,
        driver_memory: str = "2g",
        shuffle_partitions: int | None = None,
        jars: Sequence[str] = (),
        conf: Mapping[str, str] | None = None,
        session: SparkSession | None = None,
    ) -> None:
        settings = session_conf(
            master,
            driver_memory=driver_memory,
            shuffle_partitions=shuffle_partitions,
            jars=jars,
            conf=conf,
        )
        if session is None:
            from pyspark.sql import SparkSession

            # A session already running in this process (a notebook, a test fixture, another
            # engine) is shared, not stopped on close: getOrCreate would return it anyway.
            session = SparkSession.getActiveSession()
        if session is None:
            self._spark = build_session(settings)
            self._owned = True
        else:
            self._spark = session.newSession()
            self._owned = False
            for key in ("spark.sql.session.timeZone", "spark.sql.ansi.enabled"):
                self._spark.conf.set(key, settings[key])
        self._views: set[str] = set()
        self._cached: list[DataFrame] = []

    @property
    def session(self) -> SparkSession:
        return self._spark

    def register(self, name: str, source: pa.Table | Sequence[str]) -> None:
        check_name(name)
        if isinstance(source, pa.Table):
            frame = self._spark.createDataFrame(_spark_compatible(source))
        else:
            paths = list(source)
            if not paths or not all(isinstance(p, str) for p in paths):
                raise ValueError(
                    f"register({name!r}) needs an Arrow table or a non-empty list of paths"
                )
            frame = self._read_parquet(paths)
        frame.createOrReplaceTempView(name)
        self._views.add(name)

    def run(self, model: str, params: Mapping[str, object] | None = None) -> pa.Table:
        chain = model_chain(model)
        try:
            for dep in chain[:-1]:
                frame = self._query(dep.name, render_sql(dep.sql, params))
                frame.createOrReplaceTempView(dep.name)
                self._views.add(dep.name)
            result = self._query(model, render_sql(chain[-1].sql, params)).toArrow()
        finally:
            self._release()
        return duckdb_conventions(result)

    def close(self) -> None:
        self._release()
        if self._owned:
            self._spark.stop()
        else:
            for name in self._views:
                self._spark.catalog.dropTempView(name)
        self._views.clear()

    def _query(self, model: str, duckdb_sql: str) -> DataFrame:
        """The model's final query as a DataFrame; its CTEs become views, reused ones cached
        (until :meth:`run` has collected its result)."""
        from pyspark import StorageLevel

        try:
            steps = to_spark_steps(duckdb_sql, prefix=f"{model}__")
        except ValueError as exc:
            raise ValueError(f"model {model!r}: {exc}") from exc
        for step in steps[:-1]:
            frame = self._spark.sql(step.sql)
            if step.reused:
                frame = frame.persist(StorageLevel.MEMORY_AND_DISK)
                self._cached.append(frame)
            frame.createOrReplaceTempView(str(step.view))
            self._views.add(str(step.view))
        return self._spark.sql(steps[-1].sql)

    def _release(self) -> None:
        for frame in self._cached:
            frame.unpersist()
        self._cached.clear()

    def _read_parquet(self, paths: list[str]) -> DataFrame:
        from pyspark.errors import AnalysisException

        groups: dict[str, list[str]] = {}
        for path in paths:
            uri = spark_uri(path)
            groups.setdefault(base_path(uri), []).append(uri)
        try:
            frames = [
                self._spark.read.option("basePath", base).parquet(*uris)
                for base, uris in groups.items()
            ]
        except AnalysisException as exc:
            raise LakeError(
                f"Spark could not read the Parquet files {paths[:3]}...: {exc}. "
                "Check the paths (and, for s3a://, the hadoop-aws jars and settings)."
            ) from exc
        frame = frames[0]
        for other in frames[1:]:
            frame = frame.unionByName(other, allowMissingColumns=True)
        return _cast_partitions(frame)


def build_session(settings: Mapping[str, str]) -> SparkSession:
    """A new (or the running) Spark session with ``settings`` (see :func:`session_conf`)."""
    from pyspark.sql import SparkSession

    builder: Any = SparkSession.builder
    for key, value in settings.items():
        builder = builder.config(key, value)
    session: SparkSession = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


def spark_uri(path: str) -> str:
    """A path for Spark's Hadoop file systems: ``s3://`` -> ``s3a://``; others unchanged."""
    return "s3a://" + path[len("s3://") :] if path.startswith("s3://") else path


def base_path(uri: str) -> str:
    """The folder above the first hive ``key=value`` (or glob) segment; else the file's folder.

    ``/lake/silver/state_vectors/date=2024-05-01/hour=7/part-1.parquet`` ->
    ``/lake/silver/state_vectors``.
    """
    scheme, sep, rest = uri.rpartition("://")
    segments = rest.split("/")
    for i, segment in enumerate(segments[:-1]):
        if "=" in segment or _GLOB.search(segment):
            return scheme + sep + "/".join(segments[:i]) if i else uri
    return scheme + sep + "/".join(segments[:-1])


def _cast_partitions(frame: DataFrame) -> DataFrame:
    """Hive partition columns with the lake's types (``date`` DATE, ``hour`` INT)."""
    from pyspark.sql import functions as F

    wanted = {k: _SPARK_TYPES[t] for k, t in PARTITION_TYPES.items()}
    if not wanted.keys() & set(frame.columns):
        return frame
    return frame.select(
        *(F.col(c).cast(wanted[c]).alias(c) if c in wanted else F.col(c) for c in frame.columns)
    )


def _spark_compatible(table: pa.Table) -> pa.Table:
    """``table`` with dictionary columns decoded and large strings made plain (Spark's types)."""
    fields = []
    for field in table.schema:
        type_ = field.type
        if pa.types.is_dictionary(type_):
            type_ = type_.value_type
        if pa.types.is_large_string(type_):
            type_ = pa.string()
        fields.append(field.with_type(type_))
    schema = pa.schema(fields)
    return table if schema == table.schema else table.cast(schema)


def duckdb_conventions(table: pa.Table) -> pa.Table:
    """A Spark result as DuckDB returns it: nullable fields, ``timestamp[us, UTC]``, strings."""
    fields = []
    for field in table.schema:
        type_ = field.type
        if pa.types.is_timestamp(type_):
            type_ = pa.timestamp("us", tz=type_.tz and "UTC")
        elif pa.types.is_large_string(type_):
            type_ = pa.string()
        fields.append(pa.field(field.name, type_, nullable=True))
    return table.cast(pa.schema(fields))
