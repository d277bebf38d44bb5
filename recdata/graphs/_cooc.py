"""Item–item co-occurrence within a window of each user's train sequence (polars only)."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from recdata import schema as S
from recdata.errors import FeatureError
from recdata.graphs._common import as_lazy, finish_edges, require_columns, top_k_per_src

DEFAULT_ORDER: tuple[str, ...] = (S.TIME, S.INTERACTION)


def _ordered(lf: pl.LazyFrame, user: str, item: str, order: Sequence[str]) -> pl.LazyFrame:
    """Rows sorted into sequence order with a per-user position ``_pos`` (0-based)."""
    names = lf.collect_schema().names()
    keys = [c for c in order if c in names]
    if not keys:
        raise FeatureError(
            f"item_item graph: none of the order column(s) {list(order)} is present; has {names}"
        )
    return (
        lf.select(user, item, *keys)
        .sort(user, *keys, nulls_last=False, maintain_order=True)
        .with_columns(pl.int_range(pl.len()).over(user).alias("_pos"))
    )


def directed_pairs(
    train: pl.LazyFrame | pl.DataFrame,
    *,
    window: int | None = 1,
    self_loops: bool = False,
    user: str = S.USER,
    item: str = S.ITEM,
    order: Sequence[str] = DEFAULT_ORDER,
) -> pl.LazyFrame:
    """Every (earlier item, later item) pair at most ``window`` steps apart, one row each.

    ``window=None`` pairs every two positions of a user's sequence (quadratic per user).
    """
    lf = as_lazy(train)
    require_columns(lf, (user, item), "item_item graph")
    seq = _ordered(lf, user, item, order)
    if window is None:
        left = seq.select(user, pl.col(item).alias("src"), pl.col("_pos").alias("_a"))
        right = seq.select(user, pl.col(item).alias("dst"), pl.col("_pos").alias("_b"))
        pairs = left.join(right, on=user).filter(pl.col("_a") < pl.col("_b")).select("src", "dst")
    else:
        if window < 1:
            raise FeatureError(f"item_item graph: window must be >= 1 or None, got {window}")
        seq = seq.select(user, item)
        pairs = pl.concat(
            [
                seq.select(
                    pl.col(item).alias("src"),
                    pl.col(item).shift(-step).over(user).alias("dst"),
                ).drop_nulls("dst")
                for step in range(1, window + 1)
            ]
        )
    if not self_loops:
        pairs = pairs.filter(pl.col("src") != pl.col("dst"))
    return pairs


def item_cooccurrence(
    train: pl.LazyFrame | pl.DataFrame,
    *,
    window: int | None = 1,
    symmetric: bool = True,
    top_k: int | None = None,
    self_loops: bool = False,
    user: str = S.USER,
    item: str = S.ITEM,
    order: Sequence[str] = DEFAULT_ORDER,
) -> pl.DataFrame:
    """Item–item edges weighted by how often two items occur within ``window`` steps.

    Each user's train rows are put in sequence order (``order`` columns that exist, e.g.
    timestamp then interaction_idx); an earlier item ``a`` and a later item ``b`` at most
    ``window`` positions apart give one directed count ``a -> b``. ``symmetric`` adds the
    two directions (``w(a,b) = w(b,a) = n(a->b) + n(b->a)``; a self-loop, kept only with
    ``self_loops``, is counted once). ``top_k`` keeps each src's
    heaviest edges (ties to the smaller dst). Sorted by (src, dst).
    """
    pairs = directed_pairs(
        train, window=window, self_loops=self_loops, user=user, item=item, order=order
    )
    if symmetric:
        mirrored = pairs.filter(pl.col("src") != pl.col("dst")).select(
            pl.col("dst").alias("src"), pl.col("src").alias("dst")
        )
        pairs = pl.concat([pairs, mirrored])
    edges = pairs.group_by("src", "dst").agg(pl.len().alias("weight"))
    if top_k is not None:
        edges = top_k_per_src(edges, top_k)
    return finish_edges(edges)
