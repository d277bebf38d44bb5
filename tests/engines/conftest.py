"""One local Spark session for the whole test run (skipped when pyspark or java is absent)."""

from __future__ import annotations

import importlib.util
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

SPARK_CONF = {
    "spark.sql.shuffle.partitions": "4",
    "spark.default.parallelism": "2",
    "spark.driver.memory": "1g",
}


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """``local[2]``, 4 shuffle partitions, no UI, 1 GB driver: started once per test run."""
    if importlib.util.find_spec("pyspark") is None:
        pytest.skip("pyspark is not installed (pip install 'recdata[spark]')")
    if shutil.which("java") is None:
        pytest.skip("no java on PATH (the Spark engine needs openjdk-17-jre-headless)")
    from recdata.engines.spark import spark_session

    session = spark_session("local[2]", conf=SPARK_CONF)
    yield session
    session.stop()


@pytest.fixture(scope="session")
def engine(spark: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A SparkEngine over the shared session (closing it leaves the session running)."""
    from recdata.engines.spark import SparkEngine

    eng = SparkEngine(spark=spark, staging=tmp_path_factory.mktemp("staging"))
    yield eng
    eng.close()
