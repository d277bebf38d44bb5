"""Spark's failures as one-line errors: the cause from the JVM's report, and what to change.

A failed Spark job reaches Python as a ``Py4JJavaError`` or a ``pyspark`` exception whose text
is the whole Java stack trace (often hundreds of lines). The CLI promises one line, so the
engine reads the cause out of that text while the JVM is still up (the text is fetched from it).
"""

from __future__ import annotations

import re
from typing import Any

from recdata.errors import EngineError

_MAX = 300
"""Characters of Spark's own message kept in the one line."""

_JAVA_ERROR = re.compile(
    r"((?:[a-z_$][\w$]*\.)+[A-Z][\w$]*(?:Exception|Error))(?::[ \t]*([^\n]*))?"
)
"""A Java exception's class name and message, as in ``java.lang.OutOfMemoryError: Java heap``."""

_OUT_OF_MEMORY = (
    re.compile(r"java\.lang\.OutOfMemoryError(?::[ \t]*([^\n]*))?"),
    re.compile(r"SparkOutOfMemoryError(?::[ \t]*([^\n]*))?"),  # Spark's own accounting
    re.compile(r"(Not enough memory to build and broadcast the table)"),
)
"""How the JVM, Spark's memory manager and a broadcast report running out of heap."""

_WRAPPERS = ("org.apache.spark.SparkException", "py4j.protocol.Py4JJavaError")
"""Exceptions that only wrap the cause (a job aborted because a task failed)."""


def is_spark_failure(exc: BaseException) -> bool:
    """Whether ``exc`` comes from Spark or its JVM gateway (not from recdata's own checks)."""
    module = type(exc).__module__ or ""
    return module.startswith(("py4j", "pyspark"))


def _text(exc: BaseException) -> str:
    """The exception's full text (Spark's description and the JVM stack trace when it has one);
    its description alone when the JVM can no longer give the rest."""
    try:
        return str(exc)
    except Exception:  # noqa: BLE001 - the text comes from the JVM, which may be gone
        return str(getattr(exc, "_desc", "") or "")


def _cause(text: str) -> str:
    """The innermost Java exception named in ``text`` (the last ``Caused by:``, else the first
    that is not a wrapper), else its first non-empty line; one line of at most ``_MAX``."""
    caused_by = re.findall(r"Caused by: ([^\n]+)", text)
    named = (
        f"{m.group(1)}: {m.group(2).strip()}" if (m.group(2) or "").strip() else m.group(1)
        for m in _JAVA_ERROR.finditer(text)
        if m.group(1) not in _WRAPPERS
    )
    lines = (ln.strip(" :\t") for ln in text.splitlines() if ln.strip(" :\t"))
    line = caused_by[-1] if caused_by else next(named, None) or next(lines, "")
    line = " ".join(line.split())
    return line if len(line) <= _MAX else line[: _MAX - 3] + "..."


def explain_spark_failure(
    exc: BaseException, *, local_dir: str | None = None
) -> EngineError | None:
    """``exc`` as an :class:`~recdata.errors.EngineError` that names the cause and what to
    change, or ``None`` when it does not come from Spark. ``local_dir``: the session's
    ``spark.local.dir``, named when the disk runs out."""
    if not is_spark_failure(exc):
        return None
    text = _text(exc)
    memory = next((m for m in (p.search(text) for p in _OUT_OF_MEMORY) if m), None)
    if memory:
        kind = re.sub(r"\s*SQLSTATE: \w+|^\[\w+\]\s*", "", (memory.group(1) or "").strip())
        kind = kind.rstrip(". ") or "out of memory"
        return EngineError(
            f"Spark ran out of JVM memory ({kind}): give it more heap "
            "(local mode: PYSPARK_SUBMIT_ARGS='--driver-memory 8g pyspark-shell'; "
            "a cluster: spark.executor.memory) or more, smaller tasks "
            "(spark.sql.shuffle.partitions)"
        )
    if "No space left on device" in text:
        where = local_dir or "spark.local.dir (default /tmp)"
        return EngineError(
            f"Spark ran out of disk for its shuffle and spill files in {where}: "
            "free space there or point spark.local.dir at a larger disk "
            "(PYSPARK_SUBMIT_ARGS='--conf spark.local.dir=/data/spark-tmp pyspark-shell')"
        )
    cause = _cause(text) or type(exc).__name__
    return EngineError(f"Spark failed: {cause} (re-run with --debug for Spark's trace)")


def local_dir_of(spark: Any) -> str | None:
    """The session's ``spark.local.dir``, or ``None`` when it has none set (or is gone)."""
    try:
        value = spark.conf.get("spark.local.dir", None)
    except Exception:  # noqa: BLE001 - a stopped session has no conf to read
        return None
    return str(value) if value else None
