"""Exact item–item k-nearest-neighbour graph by cosine similarity of an embedding table."""

from __future__ import annotations

import numpy as np
import polars as pl

from recdata import schema as S
from recdata.errors import FeatureError
from recdata.graphs._common import finish_edges

_BLOCK_BYTES = 1 << 27  # ~128 MiB of float32 similarities per block


def embedding_matrix(embeddings: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(item_idx int32[n], float32[n, d]) of the rows whose embedding is not null, by item_idx."""
    if S.ITEM not in embeddings.columns or "embedding" not in embeddings.columns:
        raise FeatureError(
            f"item_knn: embeddings need columns item_idx and embedding; has {embeddings.columns}"
        )
    frame = embeddings.select(S.ITEM, "embedding").drop_nulls("embedding").sort(S.ITEM)
    dtype = frame.schema["embedding"]
    column = frame["embedding"]
    if not isinstance(dtype, pl.Array):
        lengths = column.list.len().unique()
        if len(lengths) > 1:
            raise FeatureError(
                f"item_knn: embeddings have differing lengths {sorted(lengths.to_list())}"
            )
        dim = int(lengths[0]) if len(lengths) else 0
        column = column.cast(pl.Array(pl.Float32, dim))
    matrix = column.cast(pl.Array(pl.Float32, column.dtype.size)).to_numpy()
    ids = frame[S.ITEM].cast(pl.Int32).to_numpy()
    return ids, np.ascontiguousarray(matrix, dtype=np.float32).reshape(len(ids), -1)


def item_knn(embeddings: pl.DataFrame, *, k: int = 10) -> pl.DataFrame:
    """Each item's ``k`` most cosine-similar other items: src, dst, weight = cosine.

    Exact (blocked float32 matrix products); items with a null or all-zero embedding get no
    edges. Ties go to the smaller dst, so equal inputs give equal outputs. Sorted by (src, dst).
    """
    if k < 1:
        raise FeatureError(f"item_knn: k must be >= 1, got {k}")
    ids, matrix = embedding_matrix(embeddings)
    norms = np.linalg.norm(matrix, axis=1)
    keep = norms > 0
    if np.isnan(matrix).any():
        raise FeatureError("item_knn: embeddings contain NaN")
    ids, matrix = ids[keep], matrix[keep] / norms[keep, None]
    n = len(ids)
    kk = min(k, n - 1)
    if kk < 1:
        return finish_edges(pl.LazyFrame({"src": [], "dst": [], "weight": []}))
    block = max(1, min(n, _BLOCK_BYTES // (4 * n)))
    srcs, dsts, sims = [], [], []
    for start in range(0, n, block):
        stop = min(n, start + block)
        sim = matrix[start:stop] @ matrix.T
        rows = np.arange(stop - start)
        sim[rows, rows + start] = -np.inf  # never your own neighbour
        top = _top_k_rows(sim, kk)
        srcs.append(np.repeat(ids[start:stop], kk))
        dsts.append(ids[top].ravel())
        sims.append(np.take_along_axis(sim, top, axis=1).ravel())
    edges = pl.LazyFrame(
        {"src": np.concatenate(srcs), "dst": np.concatenate(dsts), "weight": np.concatenate(sims)}
    )
    return finish_edges(edges)


def _top_k_rows(sim: np.ndarray, k: int) -> np.ndarray:
    """Column positions of each row's k largest values; ties broken by the smaller position."""
    if k >= sim.shape[1]:
        candidates = np.broadcast_to(np.arange(sim.shape[1]), sim.shape)
    else:
        part = np.argpartition(-sim, k - 1, axis=1)[:, :k]
        kth = np.take_along_axis(sim, part, axis=1).min(axis=1, keepdims=True)
        # every column tied with the k-th value is a candidate, so the tie-break is exact
        if (np.sum(sim >= kth, axis=1) == k).all():
            candidates = part
        else:
            candidates = np.argsort(-sim, axis=1, kind="stable")[:, : max(k, 1)]
            return _stable_order(sim, candidates, k)
    return _stable_order(sim, np.asarray(candidates), k)


def _stable_order(sim: np.ndarray, candidates: np.ndarray, k: int) -> np.ndarray:
    """Sort candidate columns by (-similarity, column) and keep the first k."""
    values = np.take_along_axis(sim, candidates, axis=1)
    order = np.lexsort((candidates, -values), axis=1)
    return np.take_along_axis(candidates, order, axis=1)[:, :k]
