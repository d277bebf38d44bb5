"""The user–item bipartite edge list of a split's train part."""

from __future__ import annotations

from typing import Literal, TypeAlias

import polars as pl

from recdata import schema as S
from recdata.errors import FeatureError
from recdata.graphs._common import as_lazy, count_pairs, finish_edges, packable, require_columns

UserItemWeight: TypeAlias = Literal["count", "rating"]


def user_item(
    train: pl.LazyFrame | pl.DataFrame,
    *,
    weight: UserItemWeight = "count",
    user: str = S.USER,
    item: str = S.ITEM,
) -> pl.DataFrame:
    """One edge per (user, item) pair of ``train``: src = user_idx, dst = item_idx.

    ``weight="count"`` counts the pair's interactions; ``weight="rating"`` is the mean of
    its non-null ratings (a pair without any rating is an error). Sorted by (src, dst).
    """
    lf = as_lazy(train)
    if weight == "count":
        require_columns(lf, (user, item), "user_item graph")
        counted = _pair_counts(lf, user, item)
        if counted is not None:  # final types, sorted by (src, dst)
            return counted
        agg = pl.len().alias("weight")
    elif weight == "rating":
        require_columns(lf, (user, item, S.RATING), "user_item graph (weight='rating')")
        agg = pl.col(S.RATING).cast(pl.Float64).mean().alias("weight")
    else:
        raise FeatureError(f"user_item graph: weight must be 'count' or 'rating', got {weight!r}")
    edges = finish_edges(lf.group_by(user, item).agg(agg).rename({user: "src", item: "dst"}))
    if weight == "rating":
        require_rated(edges)
    return edges


def require_rated(edges: pl.DataFrame) -> None:
    """Fail when a rating-weighted edge has no weight (its pair has no non-null rating); every
    engine's user-item graph raises this one error."""
    unrated = edges.filter(pl.col("weight").is_null()).height
    if unrated:
        raise FeatureError(
            f"user_item graph (weight='rating'): {unrated:,} (user, item) pair(s) have no rating; "
            "use weight='count'"
        )


def _pair_counts(lf: pl.LazyFrame, user: str, item: str) -> pl.DataFrame | None:
    """(src, dst, weight=count) counted by :func:`count_pairs`; None for keys it cannot pack."""
    pairs = lf.select(user, item).collect()
    if not all(packable(pairs.get_column(c)) for c in (user, item)):
        return None
    src, dst = (pairs.get_column(c).cast(pl.Int32).to_numpy() for c in (user, item))
    del pairs
    return count_pairs(src, dst)
