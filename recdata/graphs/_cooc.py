"""Item–item co-occurrence within a window of each user's train sequence (polars only)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
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
    if window is not None and window >= 1:
        counted = _windowed_counts(
            as_lazy(train), window=window, symmetric=symmetric, self_loops=self_loops,
            user=user, item=item, order=order,
        )  # fmt: skip
        if counted is not None:
            edges = counted.lazy()
            if top_k is not None:
                edges = top_k_per_src(edges, top_k)
            return finish_edges(edges)
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
    """The (src, dst, weight) counts of :func:`item_cooccurrence` for a finite window, counted
    with numpy over one 64-bit key per pair (a few bytes per train row, where a polars
    group-by over the pair rows needs several times that); None for item keys it cannot pack
    (negative, or not integers), which the polars path then handles."""
    require_columns(lf, (user, item), "item_item graph")
    seq = _ordered(lf, user, item, order).select(user, item).collect()
    items_s = seq.get_column(item)
    if not items_s.dtype.is_integer() or items_s.null_count() or seq.get_column(user).null_count():
        return None
    if seq.height and (items_s.min() < 0 or items_s.max() >= 1 << 31):  # type: ignore[operator]
        return None
    users = seq.get_column(user).to_physical().to_numpy()
    items = items_s.cast(pl.Int64).to_numpy()
    del seq, items_s
    keys = []
    for step in range(1, min(window, max(len(items) - 1, 0)) + 1):
        same = users[:-step] == users[step:]
        src, dst = items[:-step][same], items[step:][same]
        if not self_loops:
            keep = src != dst
            src, dst = src[keep], dst[keep]
        if symmetric:  # one canonical key per unordered pair: w(a,b) = n(a->b) + n(b->a)
            src, dst = np.minimum(src, dst), np.maximum(src, dst)
        keys.append((src << 32) | dst)
        del same, src, dst
    packed = np.concatenate(keys) if keys else np.empty(0, dtype=np.int64)
    del keys, users, items
    packed, counts = np.unique(packed, return_counts=True)
    src, dst = (packed >> 32).astype(np.int32), (packed & 0xFFFFFFFF).astype(np.int32)
    del packed
    weight = counts.astype(np.float32)
    if symmetric:
        mirror = src != dst
        src, dst = np.concatenate([src, dst[mirror]]), np.concatenate([dst, src[mirror]])
        weight = np.concatenate([weight, weight[mirror]])
    return pl.DataFrame({"src": src, "dst": dst, "weight": weight})
