"""Recipe steps over raw-id Spark frames: dedup, rating filters, k-core, activity, time, sample.

Each gives the rows the polars transform keeps (row order is the ``_row`` column).
"""

from __future__ import annotations

from typing import Any

import polars as pl

from recdata import schema as S
from recdata.engines.spark._frames import ROW, broadcast_rows, checkpoint, time_key
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
    are ranked (a window), when a broadcast can hold them (:func:`_id_limit`)."""
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

    if pairs > _id_limit(frame.sparkSession):
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


def _id_limit(spark: Any) -> int:
    """The most ids (or pairs) broadcast at once: BROADCAST_IDS, fewer with a small heap."""
    return broadcast_rows(spark, BROADCAST_IDS)


def _degrees(pairs: Any) -> dict[str, pl.DataFrame]:
    """Each user's and each item's row count in ``pairs`` (``_n``), brought to the driver by
    one aggregation (grouping sets)."""
    from pyspark.sql import functions as F

    from recdata.engines.spark._frames import to_polars

    got = to_polars(
        pairs.groupingSets([[U], [IT]], U, IT).agg(
            F.count(F.lit(1)).alias("_n"), F.grouping(U).alias("_items")
        )
    ).with_columns(pl.col("_n").cast(pl.Int64))
    side = pl.col("_items") == 1
    return {U: got.filter(~side).select(U, "_n"), IT: got.filter(side).select(IT, "_n")}


COLLECT_ROWS = 5_000_000
"""Rows a k-core round may remove up to which they come to the driver as they are; above it
they are counted per user and per item on Spark first."""


def _removed(rows: Any, bound: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The (user, item) ``rows`` a round removes, as per-user and per-item counts (``_n``) on
    the driver; ``bound`` is an upper bound of their number."""
    if bound > COLLECT_ROWS:
        counts = _degrees(rows)
        return counts[U], counts[IT]
    from recdata.engines.spark._frames import to_polars

    got = to_polars(rows)
    return tuple(  # type: ignore[return-value]
        got.group_by(c).agg(pl.len().cast(pl.Int64).alias("_n")) for c in (U, IT)
    )


def _less(deg: pl.DataFrame, removed: pl.DataFrame, column: str) -> pl.DataFrame:
    """The degree table less the ``removed`` counts (ids left with no row leave it)."""
    minus = removed.rename({"_n": "_gone"})
    left = deg.join(minus, on=column, how="left", nulls_equal=True)
    left = left.select(column, pl.col("_n") - pl.col("_gone").fill_null(0))
    return left.filter(pl.col("_n") > 0)


class _Ids:
    """Id sets of one column put on Spark once each (one per k-core round), and their total."""

    def __init__(self) -> None:
        self.frames: list[Any] = []
        self.n = 0

    def add(self, frame: Any, n: int) -> None:
        self.frames.append(frame)
        self.n += n

    def extend(self, other: _Ids) -> None:
        self.frames += other.frames
        self.n += other.n

    def joinable(self) -> Any:
        """Their union, marked for broadcast while a broadcast can hold them."""
        from functools import reduce

        from pyspark.sql import functions as F

        union = reduce(lambda a, b: a.unionByName(b), self.frames)
        return F.broadcast(union) if self.n <= _id_limit(union.sparkSession) else union


def _without(frame: Any, ids: dict[str, _Ids]) -> Any:
    """Rows of ``frame`` whose user is in none of ``ids[U]`` and item in none of ``ids[IT]``."""
    columns = frame.columns
    for column, found in ids.items():
        if found.n:
            frame = frame.join(found.joinable(), column, "left_anti")
    return frame.select(*columns)


def _touching(pairs: Any, ids: dict[str, _Ids]) -> Any:
    """Rows of ``pairs`` whose user is in ``ids[U]`` or whose item is in ``ids[IT]``."""
    from pyspark.sql import functions as F

    out, cond = pairs, F.lit(False)
    for column, found in ids.items():
        if found.n:
            flag = f"_in_{column}"
            out = out.join(found.joinable().withColumn(flag, F.lit(True)), column, "left")
            cond = cond | F.col(flag).isNotNull()
    return out.filter(cond).select(U, IT)


def kcore(
    frame: Any,
    *,
    user_k: int,
    item_k: int,
    mode: str,
    max_rounds: int | None,
    spark: Any,
    stage: Any,
) -> tuple[Any, int, bool, dict[str, int]]:
    """k-core with the (user, item) rows on Spark and the degree counts on the driver.

    Each round drops, together, the rows of users below ``user_k`` and items below ``item_k``
    in the round's starting counts (as polars' ``kcore_mask``). The degrees are counted once;
    after that a round is one pass over the live pairs that brings the rows it removes to the
    driver, which subtracts them from the counts. The degree tables are as large as the id
    maps that indexing collects anyway. A row survives when neither its user nor its item was
    ever dropped, so the full rows are filtered once at the end. Returns the kept rows, the
    rounds that dropped rows, whether the result is a k-core, and its counts.
    """
    for name, k in (("user_k", user_k), ("item_k", item_k)):
        if isinstance(k, bool) or not isinstance(k, int) or k < 0:
            raise TransformError(f"kcore: {name} must be an integer >= 0, got {k!r}")
    if mode not in ("iterative", "single_pass"):
        raise TransformError(f"kcore: mode={mode!r} is not one of iterative, single_pass")
    limit = 1 if mode == "single_pass" else max_rounds
    pairs = checkpoint(frame.select(U, IT))
    deg = _degrees(pairs)
    least = {U: user_k, IT: item_k}
    live_rows = saved_rows = int(deg[U]["_n"].sum())
    dropped = {U: _Ids(), IT: _Ids()}
    since_saved = {U: _Ids(), IT: _Ids()}  # dropped after ``pairs`` was saved
    rounds = 0
    while True:
        below = {c: deg[c].filter(pl.col("_n") < least[c]) for c in (U, IT)}
        converged = below[U].is_empty() and below[IT].is_empty()
        if converged or (limit is not None and rounds >= limit):
            counts = {"interactions": live_rows, "users": deg[U].height, "items": deg[IT].height}
            return _without(frame, dropped), rounds, converged, counts
        now = {c: _Ids() for c in (U, IT)}  # put on Spark once: this pass, later ones, the end
        for c in (U, IT):
            if below[c].height:
                now[c].add(stage.put(spark, below[c].select(c)), below[c].height)
        bound = sum(int(below[c]["_n"].sum()) for c in (U, IT))
        touched = _touching(_without(pairs, since_saved), now)
        for c in (U, IT):
            dropped[c].extend(now[c])
            since_saved[c].extend(now[c])
        removed = dict(zip((U, IT), _removed(touched, bound), strict=True))
        gone = int(removed[U]["_n"].sum())
        if gone == 0:  # ids below k always have live rows, unless their id is null
            raise TransformError(
                "kcore: ids below k have no rows to drop (null user_id or item_id?): "
                "drop rows with null ids before k-core"
            )
        live_rows -= gone
        deg = {c: _less(deg[c], removed[c], c) for c in (U, IT)}
        rounds += 1
        skipped = max(since_saved[c].n for c in (U, IT))
        if 2 * live_rows <= saved_rows or skipped > _id_limit(spark):  # save the live ones
            pairs = checkpoint(_without(pairs, since_saved))
            saved_rows, since_saved = live_rows, {U: _Ids(), IT: _Ids()}


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
