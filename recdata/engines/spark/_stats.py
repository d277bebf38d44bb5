"""Interaction statistics on Spark: the same dictionary as
:func:`recdata.statistics.interaction_stats` (exact medians, rounded as there)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from recdata import schema as S

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _as_text(ms: int | None) -> str | None:
    """Epoch milliseconds as polars prints a ``Datetime("ms", "UTC")`` value's Python form."""
    return None if ms is None else str(_EPOCH + dt.timedelta(milliseconds=int(ms)))


def interaction_stats(frame: Any) -> dict[str, Any]:
    """Counts, density, per-user/per-item distributions, time range, ties and duplicates, in
    two passes over the rows: per-user and per-item counts (with the time range) as grouping
    sets, then per-(user, item) and per-(user, time) counts as grouping sets."""
    from pyspark.sql import functions as F

    user, item, time = S.USER, S.ITEM, S.TIME
    has_time = time in frame.columns
    ms = F.unix_millis(F.col(time)) if has_time else F.lit(None).cast("long")
    per_entity = frame.groupingSets([[user], [item]], user, item).agg(
        F.count(F.lit(1)).alias("n"),
        F.grouping(user).alias("_item"),
        F.min(ms).alias("t_min"),
        F.max(ms).alias("t_max"),
        F.sum(ms.isNull().cast("long")).alias("t_null"),
    )
    rows = per_entity.groupBy("_item").agg(
        F.count(F.lit(1)).alias("ids"),
        F.sum("n").alias("rows"),
        F.min("n").alias("min"),
        F.median("n").alias("median"),
        F.avg("n").alias("mean"),
        F.max("n").alias("max"),
        F.min("t_min").alias("t_min"),
        F.max("t_max").alias("t_max"),
        F.sum("t_null").alias("t_null"),
    )
    got = {r["_item"]: r for r in rows.collect()}
    per_user, per_item = got.get(0), got.get(1)
    n = int(per_user["rows"]) if per_user else 0
    users = int(per_user["ids"]) if per_user else 0
    items = int(per_item["ids"]) if per_item else 0
    pair_sets = [[user, item], [user, time]] if has_time else [[user, item]]
    group_cols = [user, item, time] if has_time else [user, item]
    pairs = frame.groupingSets(pair_sets, *group_cols).agg(
        F.count(F.lit(1)).alias("n"), F.grouping(item).alias("_time")
    )
    tie = (F.col("_time") == 1) & F.col(time).isNotNull() & (F.col("n") > 1) if has_time else None
    totals = pairs.agg(
        F.sum((F.col("_time") == 0).cast("long")).alias("pairs"),
        F.sum(F.when(tie, F.col("n")).otherwise(0) if tie is not None else F.lit(0)).alias("tied"),
    ).collect()[0]
    distinct_pairs = int(totals["pairs"] or 0)
    out: dict[str, Any] = {
        "users": users,
        "items": items,
        "interactions": n,
        "density": round(n / (users * items), 8) if users and items else 0.0,
        "per_user": _distribution(per_user) if n else {},
        "per_item": _distribution(per_item) if n else {},
        "duplicate_pairs": int(n - distinct_pairs),
    }
    if has_time:
        out["timestamp_min"] = _as_text(per_user["t_min"]) if per_user else None
        out["timestamp_max"] = _as_text(per_user["t_max"]) if per_user else None
        out["timestamp_nulls"] = int(per_user["t_null"] or 0) if per_user else 0
        tied = int(totals["tied"] or 0)
        out["tied_timestamp_share"] = round(tied / n, 6) if n else 0.0
    return out


def _distribution(row: Any) -> dict[str, float]:
    """min / median / mean / max of one entity's counts, rounded as polars' are."""
    return {
        k: (round(float(row[k]), 4) if row[k] is not None else None)
        for k in ("min", "median", "mean", "max")
    }
