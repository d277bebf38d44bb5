"""The Spark engine: the pipeline's data stages on Apache Spark (pyspark >= 4), same tables.

Local mode (``local[*]``), a cluster (``--spark-master URL``) or Spark Connect
(``SPARK_REMOTE``). See docs/spark.md for what runs where and the limits.
"""

from recdata.engines.spark._engine import SparkEngine
from recdata.engines.spark._session import spark_session

__all__ = ["SparkEngine", "spark_session"]
