"""Interaction statistics on Spark: the same dictionary as
:func:`recdata.statistics.interaction_stats` (exact medians, rounded as there)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from recdata import schema as S

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _distribution(counts: Any) -> dict[str, float]:
    from pyspark.sql import functions as F

    row = counts.agg(
        F.min("n").alias("min"),
        F.median("n").alias("median"),
        F.avg("n").alias("mean"),
        F.max("n").alias("max"),
    ).collect()[0]
    return {k: (round(float(row[k]), 4) if row[k] is not None else None) for k in row.asDict()}


def _as_text(ms: int | None) -> str | None:
    """Epoch milliseconds as polars prints a ``Datetime("ms", "UTC")`` value's Python form."""
    return None if ms is None else str(_EPOCH + dt.timedelta(milliseconds=int(ms)))


def interaction_stats(frame: Any) -> dict[str, Any]:
    """Counts, density, per-user/per-item distributions, time range, ties and duplicates."""
    from pyspark.sql import functions as F

    user, item, time = S.USER, S.ITEM, S.TIME
    has_time = time in frame.columns
    head_cols = [
        F.count(F.lit(1)).alias("interactions"),
        F.countDistinct(user).alias("users"),
        F.countDistinct(item).alias("items"),
    ]
    if has_time:
        head_cols += [
            F.min(F.unix_millis(time)).alias("t_min"),
            F.max(F.unix_millis(time)).alias("t_max"),
            F.sum(F.col(time).isNull().cast("long")).alias("t_null"),
        ]
    head = frame.agg(*head_cols).collect()[0]
    n, users, items = int(head["interactions"]), int(head["users"]), int(head["items"])
    distinct_pairs = frame.select(user, item).distinct().count()
    out: dict[str, Any] = {
        "users": users,
        "items": items,
        "interactions": n,
        "density": round(n / (users * items), 8) if users and items else 0.0,
        "per_user": _distribution(frame.groupBy(user).agg(F.count(F.lit(1)).alias("n")))
        if n
        else {},
        "per_item": _distribution(frame.groupBy(item).agg(F.count(F.lit(1)).alias("n")))
        if n
        else {},
        "duplicate_pairs": int(n - distinct_pairs),
    }
    if has_time:
        out["timestamp_min"] = _as_text(head["t_min"])
        out["timestamp_max"] = _as_text(head["t_max"])
        out["timestamp_nulls"] = int(head["t_null"] or 0)
        tied = (
            frame.filter(F.col(time).isNotNull())
            .groupBy(user, time)
            .agg(F.count(F.lit(1)).alias("n"))
            .filter(F.col("n") > 1)
            .agg(F.sum("n").alias("s"))
            .collect()[0]["s"]
        )
        out["tied_timestamp_share"] = round((tied or 0) / n, 6) if n else 0.0
    return out
