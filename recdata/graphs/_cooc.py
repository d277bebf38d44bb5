"""Item–item co-occurrence within a window of each user's train sequence (polars only)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from recdata import schema as S
from recdata.errors import FeatureError
from recdata.graphs._common import (
    as_lazy,
    count_pairs,
    finish_edges,
    packable,
    require_columns,
    top_k_per_src,
)

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
    if window is not None and window >= 1:
        counted = _windowed_counts(
            as_lazy(train), window=window, symmetric=symmetric, self_loops=self_loops,
            user=user, item=item, order=order,
        )  # fmt: skip
        if counted is not None:  # (src int32, dst int32, weight float32), sorted by (src, dst)
            if top_k is None:
                return counted
            return finish_edges(top_k_per_src(counted.lazy(), top_k))
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


def _windowed_counts(
    lf: pl.LazyFrame,
    *,
    window: int,
    symmetric: bool,
    self_loops: bool,
    user: str,
    item: str,
    order: Sequence[str],
) -> pl.DataFrame | None:
    """The edges of :func:`item_cooccurrence` (before ``top_k``) for a finite window, counted
    by :func:`count_pairs` (a few bytes per train row, where a polars group-by over the pair
    rows needs several times that); None for item keys it cannot pack."""
    require_columns(lf, (user, item), "item_item graph")
    names = lf.collect_schema().names()
    keys = [user, *(c for c in order if c in names)]
    frame = lf.select(*dict.fromkeys([user, item, *keys])).collect()
    if len(keys) > 1 and _in_order(frame, keys):  # a split's train part usually is
        seq = frame.select(user, item)
    else:
        seq = _ordered(frame.lazy(), user, item, order).select(user, item).collect()
    del frame
    if not packable(seq.get_column(item)) or seq.get_column(user).null_count():
        return None
    users = seq.get_column(user).to_physical().to_numpy()
    items = seq.get_column(item).cast(pl.Int32).to_numpy()
    del seq
    sources, targets = [], []
    for step in range(1, min(window, max(len(items) - 1, 0)) + 1):
        src, dst = items[:-step], items[step:]
        keep = users[:-step] == users[step:]
        if not self_loops:
            keep &= src != dst
        src, dst = src[keep], dst[keep]
        if symmetric:  # one canonical key per unordered pair: w(a,b) = n(a->b) + n(b->a)
            src, dst = np.minimum(src, dst), np.maximum(src, dst)
        sources.append(src)
        targets.append(dst)
        del keep, src, dst
    del users, items
    if len(sources) == 1:
        src, dst = sources.pop(), targets.pop()
    else:
        empty = np.empty(0, dtype=np.int32)
        src, dst = np.concatenate([*sources, empty]), np.concatenate([*targets, empty])
        sources.clear()
        targets.clear()
    counted = count_pairs(src, dst)
    del src, dst
    if not symmetric:
        return counted
    low, high, weight = (counted.get_column(c).to_numpy() for c in ("src", "dst", "weight"))
    del counted
    mirror = low != high
    src, dst = np.concatenate([low, high[mirror]]), np.concatenate([high, low[mirror]])
    weight = np.concatenate([weight, weight[mirror]])
    del low, high, mirror
    keys = src.astype(np.int64)
    keys <<= 32
    keys |= dst
    order = np.argsort(keys, kind="stable")  # two sorted runs: a linear merge
    del keys
    return pl.DataFrame({"src": src[order], "dst": dst[order], "weight": weight[order]})


def _in_order(frame: pl.DataFrame, keys: list[str]) -> bool:
    """True when the rows are already sorted by ``keys`` (no nulls), so sorting keeps them."""
    if any(frame.get_column(k).null_count() for k in keys):
        return False
    if frame.height < 2:
        return True
    undecided = np.ones(frame.height - 1, dtype=bool)
    for key in keys:
        values = frame.get_column(key).to_physical().to_numpy()
        before, after = values[:-1], values[1:]
        if bool(np.any(undecided & (before > after))):
            return False
        undecided &= before == after
    return True
