"""Starting (or joining) a Spark session quietly: local mode, a master URL or Spark Connect."""

from __future__ import annotations

import os
import shutil
import sys
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


def spark_session(
    master: str | None = None,
    *,
    conf: dict[str, str] | None = None,
    driver_memory: str | None = None,
) -> Any:
    """A SparkSession for recdata: ``master`` (default ``local[*]``), or Spark Connect when
    ``SPARK_REMOTE`` is set and no master is given. Console noise is off (log level ERROR, no
    progress bar, no UI); the session time zone is UTC."""
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
    for key, value in settings.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    if not remote or master is not None:
        session.sparkContext.setLogLevel("ERROR")
    return session
