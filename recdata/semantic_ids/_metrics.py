"""Quality of semantic IDs: collisions, codebook usage and perplexity, and a category check."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from recdata import schema as S
from recdata.semantic_ids._collisions import collision_rate, tuple_groups

PAIRS_PER_ITEM = 10
"""Pairs drawn per item for the category check (same first code, and random)."""


def level_usage(codes: np.ndarray, size: int) -> dict[str, Any]:
    """Codes used out of ``size`` and the perplexity ``exp(entropy)`` of their frequencies."""
    counts = np.bincount(codes, minlength=size).astype(np.float64)
    p = counts[counts > 0] / max(codes.size, 1)
    entropy = float(-(p * np.log(p)).sum()) if p.size else 0.0
    return {
        "size": int(size),
        "used": int((counts > 0).sum()),
        "usage": round(float((counts > 0).sum()) / size, 6),
        "perplexity": round(float(np.exp(entropy)), 4),
    }


def quality(codes: np.ndarray, sizes: list[int]) -> dict[str, Any]:
    """Collision rate (``1 - unique/N``), largest colliding group and usage per level."""
    _, counts = tuple_groups(codes)
    return {
        "items": int(codes.shape[0]),
        "collision_rate": round(collision_rate(codes), 6),
        "max_group_size": int(counts.max()) if counts.size else 0,
        "colliding_items": int(counts[counts > 1].sum()),
        "levels": [level_usage(codes[:, i], sizes[i]) for i in range(codes.shape[1])],
    }


def category_check(
    item_idx: np.ndarray, first_code: np.ndarray, items: pl.DataFrame, *, seed: int
) -> dict[str, Any]:
    """How much more often two items sharing their first code share a category than random pairs.

    Each item draws ``PAIRS_PER_ITEM`` partners (seeded): one set from its first-code group, one
    from all items. A pair shares a category when both items list one that at most half the
    items carry (a root such as ``Gift Cards`` would make every pair match).
    """
    if "categories" not in items.columns:
        return {"available": False, "reason": "items.parquet has no categories column"}
    cats = (
        items.select(S.ITEM, pl.col("categories").cast(pl.List(pl.String)))
        .explode("categories")
        .drop_nulls()
        .unique(maintain_order=True)
    )
    n = item_idx.size
    share = cats.group_by("categories").agg(pl.len().alias("n"))
    common = share.filter(pl.col("n") > n / 2)["categories"]
    cats = cats.filter(~pl.col("categories").is_in(common.implode()))
    if n < 2 or cats.height == 0:
        return {"available": False, "reason": "no category held by at most half of the items"}
    rng = np.random.default_rng(seed)
    order = np.argsort(first_code, kind="stable")
    groups, counts = tuple_groups(first_code[:, None])
    start = np.r_[0, np.cumsum(counts)][groups]
    size = counts[groups]
    rows = np.repeat(np.arange(n), PAIRS_PER_ITEM)
    in_group = size[rows] > 1
    rows_g = rows[in_group]
    offset = rng.integers(0, np.maximum(size[rows_g] - 1, 1))
    # partner: another member of the row's group, drawn uniformly, skipping the row itself
    pos_of = np.empty(n, dtype=np.int64)
    pos_of[order] = np.arange(n)
    rank = pos_of[rows_g] - start[rows_g]
    pick = offset + (offset >= rank)
    same_partner = order[start[rows_g] + pick]
    rand_partner = rng.integers(0, n - 1, size=rows.size)
    rand_partner = rand_partner + (rand_partner >= rows)
    p_same, n_same = _share_rate(item_idx[rows_g], item_idx[same_partner], cats)
    p_rand, n_rand = _share_rate(item_idx[rows], item_idx[rand_partner], cats)
    return {
        "available": True,
        "column": "categories",
        "excluded_common_categories": sorted(common.to_list()),
        "pairs_same_first_code": n_same,
        "share_rate_same_first_code": round(p_same, 6),
        "pairs_random": n_rand,
        "share_rate_random": round(p_rand, 6),
        "ratio": round(p_same / p_rand, 4) if p_rand > 0 else None,
        "seed": seed,
    }


def _share_rate(a: np.ndarray, b: np.ndarray, cats: pl.DataFrame) -> tuple[float, int]:
    """Fraction of pairs (a[i], b[i]) whose items have a category in common."""
    if a.size == 0:
        return 0.0, 0
    pairs = pl.DataFrame({"pair": np.arange(a.size), "a": a.astype(np.int32), "b": b})
    pairs = pairs.with_columns(pl.col("b").cast(pl.Int32))
    hits = (
        pairs.join(cats.rename({S.ITEM: "a"}), on="a")
        .join(cats.rename({S.ITEM: "b"}), on=["b", "categories"], how="semi")
        .select(pl.col("pair").n_unique())
        .item()
    )
    return hits / a.size, int(a.size)
