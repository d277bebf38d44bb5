"""Engines: where the pipeline's data stages run (``recdata build --engine polars|spark``).

``polars`` (embedded, the default) runs every stage in this process; ``spark`` runs the same
stages on Apache Spark (local mode, a cluster via ``spark_master`` or Spark Connect via
``SPARK_REMOTE``) and gives the same tables. See docs/spark.md.
"""

from __future__ import annotations

from typing import Any

from recdata.engines._base import Engine, Indexed, SplitResult, TableRead
from recdata.errors import UsageError

ENGINES = ("polars", "spark")
"""Engine names ``build(engine=...)`` accepts."""


def get_engine(name: str, *, spark_master: str | None = None, **options: Any) -> Engine[Any]:
    """The engine called ``name``; ``spark_master`` (a Spark master URL) only for ``spark``."""
    if name == "polars":
        if spark_master is not None:
            raise UsageError("--spark-master is for --engine spark; the polars engine runs here")
        from recdata.engines.polars import PolarsEngine

        return PolarsEngine()
    if name == "spark":
        try:
            from recdata.engines.spark import SparkEngine
        except ImportError as exc:
            raise UsageError(
                f"--engine spark needs pyspark>=4 and Java 17: pip install 'recdata[spark]' ({exc})"
            ) from exc

        return SparkEngine(master=spark_master, **options)
    raise UsageError(f"engine {name!r} is not one of {', '.join(ENGINES)}")


__all__ = ["ENGINES", "Engine", "Indexed", "SplitResult", "TableRead", "get_engine"]
