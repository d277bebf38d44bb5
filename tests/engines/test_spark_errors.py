"""Spark's failures reach the user as one line that names the cause and what to change: real
failures of the test session's JVM (a task that raises, a heap request it cannot meet), through
the engine's ``explain`` and through a whole build."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from recdata.engines.spark import SparkEngine
from recdata.engines.spark._errors import explain_spark_failure
from recdata.errors import EngineError, StepFailed
from recdata.pipeline import build

pytestmark = pytest.mark.spark


def _failure(run: Any) -> Exception:
    with pytest.raises(Exception) as caught:
        run()
    return caught.value


def _ask_for_8_gb(spark: Any) -> None:
    """A real ``java.lang.OutOfMemoryError``: the test JVM's heap is 1 GB, so an 8 GB array
    cannot be allocated (and nothing is allocated, so the JVM carries on)."""
    jvm = spark.sparkContext._jvm
    jvm.java.lang.reflect.Array.newInstance(jvm.java.lang.Long.TYPE, 1 << 30)


def _task_that_raises(spark: Any) -> None:
    """A job whose tasks fail, after a shuffle, with a message of ours."""
    frame = spark.range(100).repartition(3)
    frame.selectExpr("raise_error(concat('recdata-test: bad row ', id))").collect()


def test_out_of_memory_names_the_heap_and_the_setting(spark: Any) -> None:
    exc = _failure(lambda: _ask_for_8_gb(spark))
    assert len(str(exc).splitlines()) > 1  # what a user would otherwise see
    err = explain_spark_failure(exc)
    assert isinstance(err, EngineError)
    message = str(err)
    assert "\n" not in message
    assert "Java heap space" in message
    assert "--driver-memory" in message and "spark.executor.memory" in message


def test_a_failed_task_is_one_line_with_its_cause(spark: Any) -> None:
    exc = _failure(lambda: _task_that_raises(spark))
    err = explain_spark_failure(exc)
    assert isinstance(err, EngineError)
    message = str(err)
    assert "\n" not in message and len(message) < 400
    assert message.startswith("Spark failed: ")
    assert "recdata-test: bad row" in message
    assert "--debug" in message


def test_a_missing_disk_names_the_local_dir(spark: Any) -> None:
    # the JVM's own IOException from writing to a full disk: /dev/full, where Linux has one
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full")
    jvm = spark.sparkContext._jvm

    def write_to_full_disk() -> None:
        out = jvm.java.io.FileOutputStream("/dev/full")
        try:
            out.write(bytearray(b"x" * 10))
        finally:
            out.close()

    exc = _failure(write_to_full_disk)
    err = explain_spark_failure(exc, local_dir="/data/spark-tmp")
    assert isinstance(err, EngineError)
    assert "/data/spark-tmp" in str(err) and "spark.local.dir" in str(err)


def test_other_errors_are_not_spark_failures() -> None:
    assert explain_spark_failure(ValueError("a bug of ours\nwith two lines")) is None


class _FailingSteps(SparkEngine):
    """A Spark engine whose steps run a job that fails in its tasks."""

    def step(self, step: Any, frame: Any) -> Any:
        _task_that_raises(self.spark)
        raise AssertionError("unreachable: the job above fails")


class _HeapTooSmall(SparkEngine):
    """A Spark engine whose indexing asks its JVM for more heap than it has."""

    def index(self, frame: Any, *, order: Any) -> Any:
        _ask_for_8_gb(self.spark)
        raise AssertionError("unreachable: the allocation above fails")


def test_a_build_reports_a_failed_step_in_one_line(spark: Any, tmp_path: Path) -> None:
    engine = _FailingSteps(spark=spark, staging=tmp_path)
    out = tmp_path / "out"
    with pytest.raises(StepFailed) as caught:
        build("synthetic", out=out, overrides=["size=2000"], engine=engine)
    message = str(caught.value)
    assert message.startswith("step 'dedup' failed: Spark failed: ")
    assert "recdata-test: bad row" in message and "\n" not in message
    assert not out.exists()  # nothing half-written
    engine.close()


def test_a_build_reports_spark_out_of_memory(spark: Any, tmp_path: Path) -> None:
    engine = _HeapTooSmall(spark=spark, staging=tmp_path)
    out = tmp_path / "out"
    with pytest.raises(EngineError) as caught:
        build("synthetic", out=out, overrides=["size=2000"], engine=engine)
    assert "Spark ran out of JVM memory (Java heap space)" in str(caught.value)
    assert "\n" not in str(caught.value)
    assert not out.exists()
    engine.close()


def test_the_broadcast_limit_follows_the_driver_heap(spark: Any) -> None:
    from recdata.engines.spark import _frames

    heap = _frames.driver_heap(spark)
    assert 0.5 * (1 << 30) < heap <= 1 << 30  # the test session's 1 GB heap, as the JVM sees it
    assert _frames.broadcast_rows(spark) == heap // _frames.HEAP_PER_BROADCAST_ROW


class _ConnectSession:
    """What a Spark Connect session offers here: a conf, no JVM."""

    def __init__(self, memory: str | None) -> None:
        self.conf = self
        self.memory = memory

    @property
    def sparkContext(self) -> Any:  # noqa: N802 - pyspark's name
        raise RuntimeError("no SparkContext under Spark Connect")

    def get(self, key: str, default: str) -> str:
        assert key == "spark.driver.memory"
        return default if self.memory is None else self.memory


@pytest.mark.parametrize(
    ("memory", "expected"),
    [
        ("6g", 6 << 30),
        ("512m", 512 << 20),
        ("2048", 2048 << 20),
        ("1.5G", 3 << 29),
        (None, 1 << 30),
    ],
)
def test_the_heap_from_the_setting_under_spark_connect(memory: str | None, expected: int) -> None:
    from recdata.engines.spark import _frames

    assert _frames.driver_heap(_ConnectSession(memory)) == expected
    assert _frames.broadcast_rows(_ConnectSession("64g")) == _frames.BROADCAST_ROWS


# Spark's own out-of-memory reports, as two builds on this machine printed them (a 480 MB heap
# aggregating in k-core; a 6 GB heap broadcasting 13.9M users while indexing 2x10^8 rows).
SPARK_OOM_TEXTS = [
    (
        "An error occurred while calling o97.collectToPython.\n"
        ": org.apache.spark.memory.SparkOutOfMemoryError: [AGGREGATE_OUT_OF_MEMORY] No enough "
        "memory for aggregation SQLSTATE: 82001\n\tat org.apache.spark.sql.errors."
        "QueryExecutionErrors$.notEnoughMemoryToLoadStore(QueryExecutionErrors.scala)",
        "(No enough memory for aggregation)",
    ),
    (
        "An error occurred while calling o969.localCheckpoint.\n"
        ": org.apache.spark.SparkException: Not enough memory to build and broadcast the table "
        "to all worker nodes. As a workaround, you can either disable broadcast by setting "
        "spark.sql.autoBroadcastJoinThreshold to -1 or increase the spark driver memory\n"
        "\tat org.apache.spark.sql.errors.QueryExecutionErrors$."
        "notEnoughMemoryToBuildAndBroadcastTableError(QueryExecutionErrors.scala:2180)",
        "(Not enough memory to build and broadcast the table)",
    ),
]


@pytest.mark.parametrize(("text", "kind"), SPARK_OOM_TEXTS)
def test_sparks_own_out_of_memory_reports_name_the_heap(text: str, kind: str) -> None:
    from pyspark.errors import PySparkException

    err = explain_spark_failure(PySparkException(message=text))
    assert isinstance(err, EngineError)
    assert str(err).startswith(f"Spark ran out of JVM memory {kind}: give it more heap")
    assert "\n" not in str(err)
