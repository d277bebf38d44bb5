"""Statistics of interactions: counts, density, activity distributions, time range, ties, duplicates.

One lazy aggregation per quantity family, so a folder of 10^8 rows is summarised without
loading it; the same function serves the CLI, the manifest and the recipe's expected-stats check.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from recdata import schema as S
from recdata._types import SPLIT_PARTS
from recdata.dataset._check import reads_folder


def _distribution(counts: pl.LazyFrame) -> dict[str, float]:
    row = (
        counts.select(
            pl.col("n").min().alias("min"),
            pl.col("n").median().alias("median"),
            pl.col("n").mean().alias("mean"),
            pl.col("n").max().alias("max"),
        )
        .collect(engine="streaming")
        .row(0, named=True)
    )
    return {k: (round(float(v), 4) if v is not None else None) for k, v in row.items()}


def interaction_stats(
    lf: pl.LazyFrame,
    *,
    user: str = S.USER,
    item: str = S.ITEM,
    time: str | None = S.TIME,
) -> dict[str, Any]:
    """Statistics of one interaction frame (raw ids or indices alike).

    ``tied_timestamp_share`` is the share of interactions whose (user, timestamp) is shared with
    another interaction of the same user: how much the tie order (source order) matters.
    ``duplicate_pairs`` counts rows beyond the first of each repeated (user, item).
    """
    schema = lf.collect_schema()
    has_time = time is not None and time in schema
    head = (
        lf.select(
            pl.len().alias("interactions"),
            pl.col(user).n_unique().alias("users"),
            pl.col(item).n_unique().alias("items"),
            *(
                [
                    pl.col(time).min().alias("t_min"),
                    pl.col(time).max().alias("t_max"),
                    pl.col(time).null_count().alias("t_null"),
                ]
                if has_time
                else []
            ),
        )
        .collect(engine="streaming")
        .row(0, named=True)
    )
    n, users, items = head["interactions"], head["users"], head["items"]
    pairs = lf.group_by(user, item).agg(pl.len().alias("n"))
    distinct_pairs = pairs.select(pl.len()).collect(engine="streaming").item()
    out: dict[str, Any] = {
        "users": int(users),
        "items": int(items),
        "interactions": int(n),
        "density": round(n / (users * items), 8) if users and items else 0.0,
        "per_user": _distribution(lf.group_by(user).agg(pl.len().alias("n"))) if n else {},
        "per_item": _distribution(lf.group_by(item).agg(pl.len().alias("n"))) if n else {},
        "duplicate_pairs": int(n - distinct_pairs),
    }
    if has_time:
        out["timestamp_min"] = None if head["t_min"] is None else str(head["t_min"])
        out["timestamp_max"] = None if head["t_max"] is None else str(head["t_max"])
        out["timestamp_nulls"] = int(head["t_null"])
        tied = (
            lf.filter(pl.col(time).is_not_null())
            .group_by(user, time)
            .agg(pl.len().alias("n"))
            .filter(pl.col("n") > 1)
            .select(pl.col("n").sum())
            .collect(engine="streaming")
            .item()
        )
        out["tied_timestamp_share"] = round((tied or 0) / n, 6) if n else 0.0
    return out


@reads_folder
def stats(
    source: str | Path | pl.LazyFrame | pl.DataFrame, *, split: str | None = None
) -> dict[str, Any]:
    """Statistics of a dataset folder (its interactions), of one of its splits, or of a frame.

    With ``split`` the result has one entry per part (``train``, ``valid``, ``test``).
    """
    if isinstance(source, (pl.LazyFrame, pl.DataFrame)):
        return interaction_stats(source.lazy())
    from recdata.dataset import load

    dataset = load(source)
    if split is None:
        return interaction_stats(dataset.interactions)
    frames = dataset.split(split)
    return {part: interaction_stats(frames[part]) for part in SPLIT_PARTS}


__all__ = ["interaction_stats", "stats"]
