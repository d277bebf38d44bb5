"""The polars engine (embedded, the default): every stage in this process, over DataFrames."""

from recdata.engines.polars._engine import PolarsEngine

__all__ = ["PolarsEngine"]
