"""Degree statistics and conversions of edge lists to networkx / scipy objects (lazy imports)."""

from __future__ import annotations

from typing import Any

import polars as pl

from recdata.errors import MissingExtra
from recdata.graphs._common import EDGE_COLUMNS, as_lazy, require_columns


def _summary(values: pl.Series) -> dict[str, float | int]:
    if values.is_empty():
        return {"min": 0, "median": 0.0, "mean": 0.0, "max": 0}
    return {
        "min": int(values.min()),  # type: ignore[arg-type]
        "median": float(values.median()),  # type: ignore[arg-type]
        "mean": round(float(values.mean()), 6),  # type: ignore[arg-type]
        "max": int(values.max()),  # type: ignore[arg-type]
    }


def degree_stats(edges: pl.LazyFrame | pl.DataFrame) -> dict[str, Any]:
    """Edge count, node counts, out/in-degree (min/median/mean/max over nodes with an edge), weights."""
    lf = as_lazy(edges)
    require_columns(lf, EDGE_COLUMNS, "degree_stats")
    frame = lf.select(EDGE_COLUMNS).collect()
    out_deg = frame.group_by("src").len()["len"]
    in_deg = frame.group_by("dst").len()["len"]
    weight = frame["weight"]
    return {
        "edges": frame.height,
        "src_nodes": out_deg.len(),
        "dst_nodes": in_deg.len(),
        "out_degree": _summary(out_deg),
        "in_degree": _summary(in_deg),
        "weight_sum": round(float(weight.sum()), 6) if frame.height else 0.0,
    }


def to_networkx(
    edges: pl.LazyFrame | pl.DataFrame,
    *,
    directed: bool = True,
    bipartite: bool = False,
) -> Any:
    """A networkx graph with a ``weight`` attribute per edge.

    ``bipartite=True`` (for user_item) names nodes ``("user", i)`` and ``("item", j)`` with a
    ``bipartite`` attribute 0/1, so user 1 and item 1 stay distinct; it implies undirected.
    """
    try:
        import networkx as nx
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise MissingExtra("networkx", "graph", "to_networkx") from exc
    frame = as_lazy(edges).select(EDGE_COLUMNS).collect()
    src, dst, weight = (frame[c].to_list() for c in EDGE_COLUMNS)
    if bipartite:
        graph = nx.Graph()
        graph.add_nodes_from((("user", u) for u in sorted(set(src))), bipartite=0)
        graph.add_nodes_from((("item", i) for i in sorted(set(dst))), bipartite=1)
        graph.add_weighted_edges_from(
            (("user", u), ("item", i), w) for u, i, w in zip(src, dst, weight, strict=True)
        )
        return graph
    graph = nx.DiGraph() if directed else nx.Graph()
    graph.add_weighted_edges_from(zip(src, dst, weight, strict=True))
    return graph


def to_scipy(
    edges: pl.LazyFrame | pl.DataFrame,
    *,
    shape: tuple[int, int] | None = None,
) -> Any:
    """A ``scipy.sparse.csr_array`` with ``A[src, dst] = weight`` (row/column 0 is padding).

    The default shape is ``(max src + 1, max dst + 1)``; pass the entity counts + 1 to
    include nodes without edges. Duplicate (src, dst) rows are summed.
    """
    try:
        from scipy import sparse
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise MissingExtra("scipy", "graph", "to_scipy") from exc
    frame = as_lazy(edges).select(EDGE_COLUMNS).collect()
    src = frame["src"].to_numpy()
    dst = frame["dst"].to_numpy()
    if shape is None:
        shape = (int(src.max(initial=0)) + 1, int(dst.max(initial=0)) + 1)
    return sparse.csr_array((frame["weight"].to_numpy(), (src, dst)), shape=shape)
