"""Train graphs on Spark: user–item and item–item co-occurrence edge lists (collected and
finished by the same code as the polars engine's: int32/int32/float32, sorted by src, dst)."""

from __future__ import annotations

from typing import Any

import polars as pl

from recdata import schema as S
from recdata.engines.spark._frames import to_polars
from recdata.errors import FeatureError
from recdata.graphs._common import finish_edges
from recdata.graphs._user_item import require_rated


def user_item(train: Any, *, weight: str) -> pl.DataFrame:
    """One edge per (user, item) of ``train``, weighted by count or mean non-null rating."""
    from pyspark.sql import functions as F

    if weight == "count":
        agg = F.count(F.lit(1)).alias("weight")
    elif weight == "rating":
        if S.RATING not in train.columns:
            raise FeatureError(
                f"user_item graph (weight='rating'): missing column(s) ['rating']; has {train.columns}"
            )
        agg = F.avg(F.col(S.RATING).cast("double")).alias("weight")
    else:
        raise FeatureError(f"user_item graph: weight must be 'count' or 'rating', got {weight!r}")
    grouped = train.groupBy(S.USER, S.ITEM).agg(agg)
    edges = to_polars(grouped.withColumnRenamed(S.USER, "src").withColumnRenamed(S.ITEM, "dst"))
    edges = finish_edges(edges.lazy())
    if weight == "rating":
        require_rated(edges)
    return edges


def item_item(
    train: Any,
    *,
    window: int | None,
    symmetric: bool,
    top_k: int | None,
    self_loops: bool,
    order: list[str],
) -> pl.DataFrame:
    """Counts of (earlier item, later item) pairs at most ``window`` steps apart in each
    user's train sequence (``order`` columns, nulls first), as :func:`item_cooccurrence`."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    keys = [c for c in order if c in train.columns]
    if not keys:
        raise FeatureError(
            f"item_item graph: none of the order column(s) {list(order)} is present; has {train.columns}"
        )
    seq = Window.partitionBy(S.USER).orderBy(*[F.col(c).asc_nulls_first() for c in keys])
    if window is None:
        pos = train.select(S.USER, S.ITEM, F.row_number().over(seq).alias("_p"))
        left = pos.select(S.USER, F.col(S.ITEM).alias("src"), F.col("_p").alias("_a"))
        right = pos.select(S.USER, F.col(S.ITEM).alias("dst"), F.col("_p").alias("_b"))
        pairs = left.join(right, S.USER).filter(F.col("_a") < F.col("_b")).select("src", "dst")
    else:
        if window < 1:
            raise FeatureError(f"item_item graph: window must be >= 1 or None, got {window}")
        nexts = train.select(
            F.col(S.ITEM).alias("src"),
            F.array(*[F.lead(S.ITEM, step).over(seq) for step in range(1, window + 1)]).alias("_n"),
        )
        pairs = nexts.select("src", F.explode("_n").alias("dst")).filter(F.col("dst").isNotNull())
    if not self_loops:
        pairs = pairs.filter(F.col("src") != F.col("dst"))
    if symmetric:
        mirrored = pairs.filter(F.col("src") != F.col("dst")).select(
            F.col("dst").alias("src"), F.col("src").alias("dst")
        )
        pairs = pairs.unionByName(mirrored)
    edges = pairs.groupBy("src", "dst").agg(F.count(F.lit(1)).alias("weight"))
    if top_k is not None:
        if top_k < 1:
            raise FeatureError(f"top_k must be >= 1, got {top_k}")
        rank = F.row_number().over(
            Window.partitionBy("src").orderBy(F.col("weight").desc(), F.col("dst").asc())
        )
        edges = edges.withColumn("_r", rank).filter(F.col("_r") <= top_k).drop("_r")
    return finish_edges(to_polars(edges).lazy())
