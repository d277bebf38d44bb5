"""Prove a train-derived graph could only have come from the train part of its split."""

from __future__ import annotations

from typing import Any, Literal

import polars as pl

from recdata import schema as S
from recdata.errors import FeatureError
from recdata.graphs._common import EDGE_COLUMNS, as_lazy, require_columns
from recdata.graphs._cooc import DEFAULT_ORDER, item_cooccurrence
from recdata.graphs._user_item import user_item

_TOLERANCE = 1e-4


def verify_graph_from_train(
    edges: pl.LazyFrame | pl.DataFrame,
    train: pl.LazyFrame | pl.DataFrame,
    *,
    kind: Literal["user_item", "item_item"],
    params: dict[str, Any] | None = None,
) -> pl.DataFrame:
    """The edges ``train`` does not support (empty when the graph is clean).

    The graph is rebuilt from ``train`` with the recorded ``params`` (window, symmetric,
    self_loops, weight); an edge is unsupported when its pair is absent from the rebuilt graph
    or its weight differs (a count raised by valid/test rows). ``top_k`` only drops edges, so
    it is ignored. When ``train`` lacks the order columns (or ``params`` lack the weighting),
    the check falls back to the pair alone: an item pair some train user has in common, a
    (user, item) pair present in train. Returns (src, dst, weight) of the offending edges.
    """
    params = dict(params or {})
    lf_edges = as_lazy(edges)
    require_columns(lf_edges, EDGE_COLUMNS, f"{kind} graph")
    edge_frame = lf_edges.select(EDGE_COLUMNS).collect()
    lf_train = as_lazy(train)
    names = lf_train.collect_schema().names()
    if kind == "user_item":
        weight = params.get("weight", "count")
        if weight == "rating" and S.RATING not in names:
            weight = None
        rebuilt = (
            user_item(lf_train, weight=weight)
            if weight
            else lf_train.select(pl.col(S.USER).alias("src"), pl.col(S.ITEM).alias("dst"))
            .unique()
            .collect()
        )
        check_weight = weight is not None
    elif kind == "item_item":
        order = tuple(params.get("order") or DEFAULT_ORDER)
        if any(c in names for c in order):
            rebuilt = item_cooccurrence(
                lf_train,
                window=params.get("window", 1),
                symmetric=params.get("symmetric", True),
                self_loops=params.get("self_loops", False),
                order=order,
            )
            check_weight = True
        else:  # no sequence order: only "some train user has both items" can be checked
            pairs = lf_train.select(S.USER, S.ITEM).unique()
            rebuilt = (
                pairs.rename({S.ITEM: "src"})
                .join(pairs.rename({S.ITEM: "dst"}), on=S.USER)
                .select("src", "dst")
                .unique()
                .collect()
            )
            check_weight = False
    else:
        raise FeatureError(
            f"verify_graph_from_train: kind must be 'user_item' or 'item_item', got {kind!r}"
        )
    edge_frame = edge_frame.with_columns(pl.col("src").cast(pl.Int32), pl.col("dst").cast(pl.Int32))
    rebuilt = rebuilt.select(
        pl.col("src").cast(pl.Int32),
        pl.col("dst").cast(pl.Int32),
        (pl.col("weight").cast(pl.Float64) if check_weight else pl.lit(None, pl.Float64)).alias(
            "_expected"
        ),
        pl.lit(True).alias("_known"),
    )
    joined = edge_frame.join(rebuilt, on=["src", "dst"], how="left")
    bad = pl.col("_known").is_null()
    if check_weight:
        diff = (pl.col("weight").cast(pl.Float64) - pl.col("_expected")).abs()
        bad = bad | (diff > _TOLERANCE * pl.max_horizontal(pl.lit(1.0), pl.col("_expected").abs()))
    return joined.filter(bad).select(EDGE_COLUMNS).sort("src", "dst")
