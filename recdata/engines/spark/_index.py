"""Index assignment on Spark: contiguous int32 ids from 1 in the polars engine's order, rows
numbered in sequence order (user_idx, time with nulls first, source row)."""

from __future__ import annotations

from typing import Any

import polars as pl

from recdata import schema as S
from recdata.engines.spark._frames import ROW, checkpoint, small_side, time_key, to_polars
from recdata.errors import TransformError

U, IT = S.USER_ID, S.ITEM_ID


def _ranked(keys: Any, order: list[Any], idx: str) -> Any:
    """``keys`` numbered 1..k by ``order`` (one window over the distinct entities)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    return keys.withColumn(idx, F.row_number().over(Window.orderBy(*order)).cast("int"))


def _entity_index(frame: Any, raw: str, idx: str, order: str) -> Any:
    """(raw id, idx) of every distinct user or item by ``raw_id`` or ``popularity``; for
    ``first_seen`` users: by their earliest (time, source row)."""
    from pyspark.sql import functions as F

    if order == "raw_id":
        return _ranked(frame.select(raw).distinct(), [F.col(raw).asc()], idx)
    if order == "popularity":
        counts = frame.groupBy(raw).agg(F.count(F.lit(1)).alias("_n"))
        return _ranked(counts, [F.col("_n").desc(), F.col(raw).asc()], idx).drop("_n")
    if order == "input":  # first appearance in the input rows
        first = frame.groupBy(raw).agg(F.min(F.col(ROW)).alias("_f"))
        return _ranked(first, [F.col("_f").asc()], idx).drop("_f")
    if order == "first_seen":
        first = frame.groupBy(raw).agg(F.min(F.struct(time_key(frame), F.col(ROW))).alias("_f"))
        return _ranked(first, [F.col("_f").asc()], idx).drop("_f")
    raise TransformError(
        f"index_ids: order={order!r} is not one of raw_id, first_seen, popularity, input"
    )


def _sequence_numbers(frame: Any) -> Any:
    """``interaction_idx``: each user's offset (rows of smaller user_idx) plus the row's
    position in the user's (time, source row) order; no global sort of the rows."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    per_user = frame.groupBy(S.USER).agg(F.count(F.lit(1)).alias("_n"))
    offsets = per_user.withColumn(
        "_off", F.sum("_n").over(Window.orderBy(S.USER)) - F.col("_n")
    ).select(S.USER, "_off")
    pos = F.row_number().over(Window.partitionBy(S.USER).orderBy(time_key(frame), F.col(ROW))) - 1
    return frame.join(F.broadcast(offsets), S.USER).withColumn(
        S.INTERACTION, (F.col("_off") + pos).cast("long")
    )


def index(frame: Any, *, order: str) -> tuple[Any, pl.DataFrame, pl.DataFrame]:
    """The indexed interactions (interaction_idx, user_idx, item_idx, other columns) and the
    user and item maps (idx, raw id as string) as polars frames sorted by idx."""
    from pyspark.sql import functions as F

    clash = {S.INTERACTION, S.USER, S.ITEM} & set(frame.columns)
    if clash:
        raise TransformError(
            f"index_ids: the frame already has column(s) {sorted(clash)}; drop or rename them"
        )
    users = checkpoint(_entity_index(frame, U, S.USER, order))
    rest = [c for c in frame.columns if c not in (U, IT, ROW)]
    if order == "first_seen":
        with_users = frame.join(small_side(users), U)
        seq = checkpoint(_sequence_numbers(with_users))
        first = seq.groupBy(IT).agg(F.min(S.INTERACTION).alias("_f"))
        items = checkpoint(_ranked(first, [F.col("_f").asc()], S.ITEM).drop("_f"))
        out = seq.join(small_side(items), IT)
    else:
        items = checkpoint(_entity_index(frame, IT, S.ITEM, order))
        out = _sequence_numbers(frame.join(small_side(users), U).join(small_side(items), IT))
    out = checkpoint(out.select(S.INTERACTION, S.USER, S.ITEM, *rest))
    return out, _map(users, S.USER, U), _map(items, S.ITEM, IT)


def _map(keys: Any, idx: str, raw: str) -> pl.DataFrame:
    """(idx int32, raw id or its code) sorted by idx."""
    got = to_polars(keys.select(idx, raw)).sort(idx)
    return got.with_columns(pl.col(idx).cast(pl.Int32))
