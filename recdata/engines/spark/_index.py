"""Index assignment on Spark: contiguous int32 ids from 1 in the polars engine's order, rows
numbered in sequence order (user_idx, time with nulls first, source row).

The per-user and per-item aggregates come to the driver (the id maps are collected there
anyway), where the order is a polars sort; the (raw id, idx, offset) tables go back as
broadcasts. Spark never sorts all keys in one partition."""

from __future__ import annotations

from typing import Any

import polars as pl

from recdata import schema as S
from recdata.engines.spark._frames import ROW, checkpoint, small_side, time_key, to_polars
from recdata.errors import TransformError

U, IT = S.USER_ID, S.ITEM_ID
ORDERS = ("raw_id", "popularity", "first_seen", "input")


def _aggregates(frame: Any, raw: str, order: str) -> pl.DataFrame:
    """One row per distinct ``raw`` key with its rows ``_n`` and what ``order`` sorts by."""
    from pyspark.sql import functions as F

    aggs = [F.count(F.lit(1)).alias("_n")]
    if order == "input":  # first appearance in the input rows
        aggs.append(F.min(F.col(ROW)).alias("_f"))
    elif order == "first_seen":  # earliest (time, source row)
        first = F.min(F.struct(time_key(frame).alias("t"), F.col(ROW).alias("r")))
        aggs += [first.getField("t").alias("_t"), first.getField("r").alias("_f")]
    return to_polars(frame.groupBy(raw).agg(*aggs))


def _numbered(keys: pl.DataFrame, raw: str, idx: str, order: str) -> pl.DataFrame:
    """``keys`` sorted by ``order`` (ties by raw id, as the polars engine) with ``idx`` 1..k."""
    if order == "raw_id":
        keys = keys.sort(raw)
    elif order == "popularity":
        keys = keys.sort(["_n", raw], descending=[True, False])
    elif order == "input":
        keys = keys.sort("_f")
    else:  # first_seen
        keys = keys.sort(["_t", "_f"])
    return keys.with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int32).alias(idx))


def index(
    frame: Any, *, order: str, stage: Any, spark: Any
) -> tuple[Any, pl.DataFrame, pl.DataFrame]:
    """The indexed interactions (interaction_idx, user_idx, item_idx, other columns) and the
    user and item maps (idx, raw id or its code) as polars frames sorted by idx.
    ``stage``/``spark``: the engine's staging folder and session (to send tables back)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    if order not in ORDERS:
        raise TransformError(
            f"index_ids: order={order!r} is not one of raw_id, first_seen, popularity, input"
        )
    clash = {S.INTERACTION, S.USER, S.ITEM} & set(frame.columns)
    if clash:
        raise TransformError(
            f"index_ids: the frame already has column(s) {sorted(clash)}; drop or rename them"
        )
    rest = [c for c in frame.columns if c not in (U, IT, ROW)]
    users = _numbered(_aggregates(frame, U, order), U, S.USER, order)
    offsets = users.select(
        U, S.USER, (pl.col("_n").cum_sum() - pl.col("_n")).cast(pl.Int64).alias("_off")
    )
    items = None
    if order != "first_seen":
        items = _numbered(_aggregates(frame, IT, order), IT, S.ITEM, order)
    user_side = small_side(stage.put(spark, offsets), offsets.height)
    by_user = Window.partitionBy(S.USER).orderBy(time_key(frame), F.col(ROW))
    seq = frame.join(user_side, U).withColumn(
        S.INTERACTION, (F.col("_off") + F.row_number().over(by_user) - 1).cast("long")
    )
    if items is None:  # first_seen items: by their first row in sequence order
        seq = checkpoint(seq)
        first = to_polars(seq.groupBy(IT).agg(F.min(S.INTERACTION).alias("_f")))
        items = _numbered(first.with_columns(pl.lit(0).alias("_t")), IT, S.ITEM, "first_seen")
    item_side = small_side(stage.put(spark, items.select(IT, S.ITEM)), items.height)
    out = checkpoint(seq.join(item_side, IT).select(S.INTERACTION, S.USER, S.ITEM, *rest))
    return out, users.select(S.USER, U), items.select(S.ITEM, IT)
