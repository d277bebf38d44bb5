"""Recipe steps over raw-id Spark frames: dedup, rating filters, k-core, activity, time, sample.

Each gives the rows the polars transform keeps (row order is the ``_row`` column).
"""

from __future__ import annotations

from typing import Any

import polars as pl

from recdata import schema as S
from recdata.engines.spark._frames import ROW, checkpoint, time_key
from recdata.errors import TransformError

U, IT = S.USER_ID, S.ITEM_ID


def _window(*partition: str) -> Any:
    from pyspark.sql import Window

    return Window.partitionBy(*partition)


def _same_type_literal(frame: Any, column: str, value: float) -> Any:
    """A literal compared as polars compares it: in the column's own float type."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import FloatType

    lit = F.lit(float(value))
    if isinstance(frame.schema[column].dataType, FloatType):
        lit = lit.cast("float")
    return lit


def dedup(frame: Any, *, keep: str) -> tuple[Any, int]:
    """One row per (user, item): the first (earliest time, then row) or the last; and the
    number of rows removed. The repeated pairs are found by one narrow count; only their rows
    are ranked (a window), when there are at most BROADCAST_IDS of them."""
    from pyspark.sql import functions as F

    if keep == "none":
        return frame, 0
    if keep not in ("first", "last"):
        raise TransformError(f"dedup: keep={keep!r} is not one of first, last, none")
    repeated = frame.groupBy(U, IT).agg(F.count(F.lit(1)).alias("_c")).filter(F.col("_c") > 1)
    repeated = checkpoint(repeated)
    got = repeated.agg(F.count(F.lit(1)).alias("pairs"), F.sum("_c").alias("rows")).collect()[0]
    pairs, rows = int(got["pairs"]), int(got["rows"] or 0)
    if pairs == 0:
        return frame, 0
    key, row = time_key(frame), F.col(ROW)
    order = [key.asc(), row.asc()] if keep == "first" else [key.desc(), row.desc()]
    rank = F.row_number().over(_window(U, IT).orderBy(*order))

    def first_of_each(rows: Any) -> Any:
        return rows.withColumn("_rank", rank).filter(F.col("_rank") == 1).drop("_rank")

    if pairs > BROADCAST_IDS:
        return first_of_each(frame), rows - pairs
    keys = F.broadcast(repeated.select(U, IT))
    single = frame.join(keys, [U, IT], "left_anti").select(*frame.columns)
    several = frame.join(keys, [U, IT], "left_semi").select(*frame.columns)
    return single.unionByName(first_of_each(several)), rows - pairs


def filter_rating(frame: Any, *, min_rating: float) -> Any:
    """Rows with ``rating >= min_rating`` (null ratings dropped)."""
    from pyspark.sql import functions as F

    return frame.filter(F.col(S.RATING) >= _same_type_literal(frame, S.RATING, min_rating))


def implicit_label(frame: Any, *, threshold: float, label: str) -> Any:
    """An int8 ``label``: 1 where ``rating >= threshold``, else 0 (null stays null)."""
    from pyspark.sql import functions as F

    cond = F.col(S.RATING) >= _same_type_literal(frame, S.RATING, threshold)
    return frame.withColumn(label, cond.cast("byte"))


BROADCAST_IDS = 5_000_000
"""Ids to drop in one k-core round up to which the drop is a broadcast anti-join (no shuffle
of the interactions); above it Spark picks the join."""

REFRESH_ROUNDS = 4
"""k-core rounds between materialisations of the surviving rows (each round in between only
adds one cheap broadcast anti-join to the lineage)."""


def _degrees(frame: Any, *, user_k: int, item_k: int) -> tuple[Any, dict[str, int]]:
    """Every user's and item's row count in one pass (grouping sets, materialised), and
    ``users``, ``items``, ``rows``, ``low_users``, ``low_items`` of the frame."""
    from pyspark.sql import functions as F

    deg = frame.groupingSets([[U], [IT]], U, IT).agg(
        F.count(F.lit(1)).alias("_n"), F.grouping(U).cast("byte").alias("_item")
    )
    deg = checkpoint(deg)
    k = F.when(F.col("_item") == 1, F.lit(item_k)).otherwise(F.lit(user_k))
    rows = deg.groupBy("_item").agg(
        F.count(F.lit(1)).alias("ids"),
        F.sum("_n").alias("rows"),
        F.sum((F.col("_n") < k).cast("long")).alias("low"),
    )
    got = {r["_item"]: r for r in rows.collect()}
    users, items = got.get(0), got.get(1)
    stats = {
        "users": int(users["ids"]) if users else 0,
        "items": int(items["ids"]) if items else 0,
        "rows": int(users["rows"]) if users else 0,
        "low_users": int(users["low"]) if users else 0,
        "low_items": int(items["low"]) if items else 0,
    }
    return deg, stats


def _drop_ids(frame: Any, ids: Any, column: str, n: int) -> Any:
    """Rows of ``frame`` whose ``column`` is not among the ``n`` ``ids``."""
    from pyspark.sql import functions as F

    if n == 0:
        return frame
    ids = F.broadcast(ids) if n <= BROADCAST_IDS else ids
    return frame.join(ids, column, "left_anti").select(*frame.columns)


def kcore(
    frame: Any, *, user_k: int, item_k: int, mode: str, max_rounds: int | None
) -> tuple[Any, int, bool, dict[str, int]]:
    """k-core by degree counts and anti-joins of the ids below k, one round at a time.

    Each round counts users and items on the rows alive at its start (one pass, grouping
    sets) and drops, together, the rows of users below ``user_k`` and items below ``item_k``
    (as polars' ``kcore_mask``). Returns the kept rows, the rounds that dropped rows, whether
    the result is a k-core, and its counts (``interactions``, ``users``, ``items``).
    """
    from pyspark.sql import functions as F

    for name, k in (("user_k", user_k), ("item_k", item_k)):
        if isinstance(k, bool) or not isinstance(k, int) or k < 0:
            raise TransformError(f"kcore: {name} must be an integer >= 0, got {k!r}")
    if mode not in ("iterative", "single_pass"):
        raise TransformError(f"kcore: mode={mode!r} is not one of iterative, single_pass")
    limit = 1 if mode == "single_pass" else max_rounds
    rounds = 0
    while True:
        deg, stats = _degrees(frame, user_k=user_k, item_k=item_k)
        converged = stats["low_users"] == 0 and stats["low_items"] == 0
        if converged or (limit is not None and rounds >= limit):
            counts = {k: stats[v] for k, v in KCORE_COUNTS.items()}
            return frame, rounds, converged, counts
        low_u = deg.filter((F.col("_item") == 0) & (F.col("_n") < user_k)).select(U)
        low_i = deg.filter((F.col("_item") == 1) & (F.col("_n") < item_k)).select(IT)
        frame = _drop_ids(frame, low_u, U, stats["low_users"])
        frame = _drop_ids(frame, low_i, IT, stats["low_items"])
        rounds += 1
        if rounds % REFRESH_ROUNDS == 0:
            frame = checkpoint(frame)


KCORE_COUNTS = {"interactions": "rows", "users": "users", "items": "items"}


def activity_filter(
    frame: Any, *, min_interactions: int | None, max_interactions: int | None
) -> Any:
    """Users whose interaction count lies in ``[min_interactions, max_interactions]``."""
    from pyspark.sql import functions as F

    if min_interactions is None and max_interactions is None:
        return frame
    count = F.col("_count")
    cond = F.lit(True)
    if min_interactions is not None:
        cond = cond & (count >= min_interactions)
    if max_interactions is not None:
        cond = cond & (count <= max_interactions)
    counted = frame.withColumn("_count", F.count(F.lit(1)).over(_window(U)))
    return counted.filter(cond).drop("_count")


def time_window(frame: Any, *, start: Any, end: Any) -> Any:
    """Rows with ``start <= timestamp < end`` (bounds: datetimes, naive = UTC, or epoch ms)."""
    from pyspark.sql import functions as F

    from recdata.splits._split import to_ms

    if start is None and end is None:
        return frame
    cond = F.lit(True)
    if start is not None:
        cond = cond & (F.col(S.TIME) >= F.timestamp_millis(F.lit(to_ms(start, "start"))))
    if end is not None:
        cond = cond & (F.col(S.TIME) < F.timestamp_millis(F.lit(to_ms(end, "end"))))
    return frame.filter(cond)


def sample_users(
    frame: Any,
    *,
    n: int | None,
    fraction: float | None,
    seed: int,
    spark: Any,
    stage: Any,
    codes: dict[str, pl.Series],
) -> Any:
    """All rows of a seeded sample of users: the distinct users go to the driver, where
    polars' own :func:`~recdata.transforms.sample_users` picks them (it depends only on the
    set of users and the seed), and the pick comes back as a semi-join."""
    from recdata.engines.spark._frames import decode_ids, to_polars
    from recdata.transforms import sample_users as pick

    users = to_polars(frame.select(U).distinct())
    raw = decode_ids(users, codes).with_columns(users[U].alias("_code"))
    chosen = pick(raw.lazy(), n=n, fraction=fraction, seed=seed, user=U).collect()
    chosen = chosen.select(pl.col("_code").alias(U))
    return frame.join(stage.put(spark, chosen), U, "left_semi").select(*frame.columns)


__all__ = [
    "activity_filter",
    "dedup",
    "filter_rating",
    "implicit_label",
    "kcore",
    "sample_users",
    "time_window",
]
