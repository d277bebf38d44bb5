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


def _degrees(pairs: Any, column: str, k: int) -> tuple[Any, dict[str, int]]:
    """Every ``column`` value's row count (materialised), and ``ids``, ``rows`` and ``low``
    (ids below ``k``) of the (user, item) rows ``pairs``."""
    from pyspark.sql import functions as F

    deg = checkpoint(pairs.groupBy(column).agg(F.count(F.lit(1)).alias("_n")))
    got = deg.agg(
        F.count(F.lit(1)).alias("ids"),
        F.sum("_n").alias("rows"),
        F.sum((F.col("_n") < k).cast("long")).alias("low"),
    ).collect()[0]
    return deg, {key: int(got[key] or 0) for key in ("ids", "rows", "low")}


def _drop_ids(frame: Any, ids: list[Any], column: str, n: int) -> Any:
    """Rows of ``frame`` whose ``column`` is in none of the ``ids`` frames (``n`` ids)."""
    from functools import reduce

    from pyspark.sql import functions as F

    if n == 0:
        return frame
    union = reduce(lambda a, b: a.unionByName(b), ids)
    union = F.broadcast(union) if n <= BROADCAST_IDS else union
    return frame.join(union, column, "left_anti").select(*frame.columns)


def kcore(
    frame: Any, *, user_k: int, item_k: int, mode: str, max_rounds: int | None
) -> tuple[Any, int, bool, dict[str, int]]:
    """k-core by degree counts and anti-joins of the ids below k, one round at a time.

    The rounds run on the (user, item) columns alone. Each counts users and items on the rows
    alive at its start and drops, together, the rows of users below ``user_k`` and items below
    ``item_k`` (as polars' ``kcore_mask``). A row survives when neither its user nor its item
    was ever dropped, so the full rows are filtered once at the end. Returns the kept rows, the
    rounds that dropped rows, whether the result is a k-core, and its counts.
    """
    from pyspark.sql import functions as F

    for name, k in (("user_k", user_k), ("item_k", item_k)):
        if isinstance(k, bool) or not isinstance(k, int) or k < 0:
            raise TransformError(f"kcore: {name} must be an integer >= 0, got {k!r}")
    if mode not in ("iterative", "single_pass"):
        raise TransformError(f"kcore: mode={mode!r} is not one of iterative, single_pass")
    limit = 1 if mode == "single_pass" else max_rounds
    pairs = checkpoint(frame.select(U, IT))
    dropped: dict[str, list[Any]] = {U: [], IT: []}
    n_dropped = {U: 0, IT: 0}
    rounds = 0
    while True:
        deg_u, users = _degrees(pairs, U, user_k)
        deg_i, items = _degrees(pairs, IT, item_k)
        converged = users["low"] == 0 and items["low"] == 0
        if converged or (limit is not None and rounds >= limit):
            counts = {"interactions": users["rows"], "users": users["ids"], "items": items["ids"]}
            kept = _drop_ids(frame, dropped[U], U, n_dropped[U])
            return _drop_ids(kept, dropped[IT], IT, n_dropped[IT]), rounds, converged, counts
        for column, deg, stats, k in ((U, deg_u, users, user_k), (IT, deg_i, items, item_k)):
            if stats["low"]:  # both id sets come from the round's starting counts
                low = deg.filter(F.col("_n") < k).select(column)
                dropped[column].append(low)
                n_dropped[column] += stats["low"]
                pairs = _drop_ids(pairs, [low], column, stats["low"])
        pairs = checkpoint(pairs)
        rounds += 1


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
