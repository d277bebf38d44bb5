"""Starting (or joining) a Spark session quietly: local mode, a master URL or Spark Connect."""

from __future__ import annotations

import concurrent.futures
import contextlib
import os
import re
import shutil
import sys
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from recdata.errors import UsageError

LOG4J = Path(__file__).with_name("log4j2.properties")

DEFAULT_CONF: dict[str, str] = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.ansi.enabled": "false",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
}
"""Settings every recdata session gets (the time zone matters: timestamps are UTC instants)."""


def _check_java() -> None:
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        raise UsageError(
            "--engine spark needs a Java 17 runtime: install openjdk-17-jre-headless "
            "(or set JAVA_HOME)"
        )


@contextlib.contextmanager
def _jvm_output_to(path: Path) -> Iterator[None]:
    """While the JVM starts, point this process's stdout/stderr at ``path``: the JVM inherits
    them, so its start-up banner and any later console output go there, not to the user."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with open(path, "ab") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
    try:
        yield
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        os.close(saved[0])
        os.close(saved[1])


def local_heap() -> str:
    """The JVM heap for local mode when nobody chose one: a quarter of this machine's memory
    (at least 1 GB; Spark's own default of 1 GB runs out of heap near 10^7 rows)."""
    total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    return f"{max(1, total // 4 // 2**30)}g"


def _memory_chosen(settings: dict[str, str]) -> bool:
    """Whether the heap was set: in the settings, ``PYSPARK_SUBMIT_ARGS`` or ``SPARK_DRIVER_MEMORY``."""
    submit = os.environ.get("PYSPARK_SUBMIT_ARGS", "")
    return (
        "spark.driver.memory" in settings
        or "--driver-memory" in submit
        or "spark.driver.memory" in submit
        or bool(os.environ.get("SPARK_DRIVER_MEMORY"))
    )


def _local_cores(master: str) -> int | None:
    """Cores of a ``local[N]``/``local[*]``/``local`` master; None for a cluster."""
    if master == "local":
        return 1
    got = re.fullmatch(r"local\[(\d+|\*)(?:,\s*\d+)?\]", master)
    if got is None:
        return None
    return os.cpu_count() or 1 if got.group(1) == "*" else int(got.group(1))


def _own_partitions(cores: int | None, settings: dict[str, str]) -> int | None:
    """Shuffle partitions for a local master (200 is all overhead for small shuffles on one
    machine; :func:`shuffle_partitions` scales them to the input), unless the user set them."""
    key = "spark.sql.shuffle.partitions"
    if cores is None or key in settings or key in os.environ.get("PYSPARK_SUBMIT_ARGS", ""):
        return None
    return max(4, 2 * cores)


def start_spark_session(
    master: str | None = None,
    *,
    conf: dict[str, str] | None = None,
    driver_memory: str | None = None,
) -> _Starting:
    """Start a session as :func:`spark_session` does, returning once the JVM is up; the rest
    of its start-up runs in a thread (so a build reads its sources meanwhile)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise UsageError("--engine spark needs pyspark>=4: pip install 'recdata[spark]'") from exc
    remote = os.environ.get("SPARK_REMOTE")
    builder = SparkSession.builder.appName("recdata")
    settings = {**DEFAULT_CONF, **(conf or {})}
    if master is None and remote:
        builder = builder.remote(remote)
        settings = {k: v for k, v in settings.items() if k.startswith("spark.sql.")}
    else:
        _check_java()
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
        builder = builder.master(master or "local[*]")
        java_opts = f"-Dlog4j2.configurationFile=file:{LOG4J}"
        settings.setdefault("spark.driver.extraJavaOptions", java_opts)
        settings.setdefault("spark.executor.extraJavaOptions", java_opts)
        if driver_memory is not None:
            settings["spark.driver.memory"] = driver_memory
        elif _local_cores(master or "local[*]") is not None and not _memory_chosen(settings):
            settings["spark.driver.memory"] = local_heap()
    cores = _local_cores(master or "local[*]") if not (master is None and remote) else None
    partitions = _own_partitions(cores, settings)
    if partitions is not None:
        settings["spark.sql.shuffle.partitions"] = str(partitions)
    for key, value in settings.items():
        builder = builder.config(key, value)
    if master is None and remote:
        return _Starting(builder, None)
    console = Path(tempfile.gettempdir()) / "recdata-spark-console.log"
    with _jvm_output_to(console):  # the JVM keeps these as its stdout/stderr
        _launch_jvm(master or "local[*]", settings)
    return _Starting(builder, "ERROR", partitions)


ROWS_PER_SHUFFLE_PARTITION = 4_000_000
"""Input rows per shuffle partition when recdata chose the partitions: an aggregation's task
then holds a few million keys (a 2×10^8-row build on 4 partitions ran out of a 6 GB heap)."""


def shuffle_partitions(least: int, rows: int) -> int:
    """Shuffle partitions for an input of ``rows``: at least ``least``, one per
    ROWS_PER_SHUFFLE_PARTITION rows."""
    return max(least, -(-rows // ROWS_PER_SHUFFLE_PARTITION))


def _launch_jvm(master: str, settings: dict[str, str]) -> None:
    """Start the JVM (Spark's gateway) with the session's settings, as ``getOrCreate`` would."""
    from pyspark import SparkConf
    from pyspark.core.context import SparkContext

    conf = SparkConf().setMaster(master).setAppName("recdata")
    for key, value in settings.items():
        conf.set(key, value)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # pyspark on pandas >= 3
        SparkContext._ensure_initialized(conf=conf)


class _Starting:
    """A session being created (the JVM is already up): :meth:`result` waits for it."""

    def __init__(self, builder: Any, log_level: str | None, partitions: int | None = None) -> None:
        self._builder, self._log_level = builder, log_level
        self.partitions = partitions
        """The shuffle partitions recdata chose (None: the user's or Spark's own)."""
        self._future = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="recdata-spark-start"
        ).submit(self._create)

    def _create(self) -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # pyspark on pandas >= 3
            session = self._builder.getOrCreate()
        if self._log_level is not None:
            session.sparkContext.setLogLevel(self._log_level)
        return session

    def result(self) -> Any:
        return self._future.result()


def spark_session(
    master: str | None = None,
    *,
    conf: dict[str, str] | None = None,
    driver_memory: str | None = None,
) -> Any:
    """A SparkSession for recdata: ``master`` (default ``local[*]``), or Spark Connect when
    ``SPARK_REMOTE`` is set and no master is given. Console noise is off (log level ERROR, no
    progress bar, no UI); the session time zone is UTC."""
    return start_spark_session(master, conf=conf, driver_memory=driver_memory).result()
