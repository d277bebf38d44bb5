"""Shared helpers of the graph builders: input coercion and the canonical edge-list frame."""

from __future__ import annotations

import numpy as np
import polars as pl

from recdata.errors import FeatureError

EDGE_COLUMNS = ("src", "dst", "weight")


def as_lazy(frame: pl.LazyFrame | pl.DataFrame) -> pl.LazyFrame:
    """A LazyFrame view of either kind of frame."""
    return frame.lazy() if isinstance(frame, pl.DataFrame) else frame


def require_columns(lf: pl.LazyFrame, columns: tuple[str, ...] | list[str], what: str) -> None:
    """Raise FeatureError naming the missing columns of ``lf``."""
    have = lf.collect_schema().names()
    missing = [c for c in columns if c not in have]
    if missing:
        raise FeatureError(f"{what}: missing column(s) {missing}; has {have}")


def finish_edges(lf: pl.LazyFrame) -> pl.DataFrame:
    """Cast to (src int32, dst int32, weight float32) and sort by (src, dst): deterministic bytes."""
    return (
        lf.select(
            pl.col("src").cast(pl.Int32),
            pl.col("dst").cast(pl.Int32),
            pl.col("weight").cast(pl.Float32),
        )
        .sort("src", "dst")
        .collect()
    )


def top_k_per_src(lf: pl.LazyFrame, k: int) -> pl.LazyFrame:
    """Keep each src's ``k`` heaviest edges; ties go to the smaller dst (deterministic)."""
    if k < 1:
        raise FeatureError(f"top_k must be >= 1, got {k}")
    rank = pl.int_range(pl.len()).over(
        "src", order_by=[-pl.col("weight").cast(pl.Float64), pl.col("dst")]
    )
    return lf.filter(rank < k)


def count_pairs(src: np.ndarray, dst: np.ndarray) -> pl.DataFrame:
    """(src, dst, weight = times the pair occurs) of two int32 arrays with values in
    ``[0, 2**31)``, sorted by (src, dst): one 64-bit key per pair, sorted in place, so memory
    is about 12 bytes a pair beyond the inputs (a group-by needs several times that)."""
    keys = src.astype(np.int64)
    keys <<= 32
    keys |= dst
    keys.sort()
    if len(keys):
        starts = np.flatnonzero(np.concatenate([[True], keys[1:] != keys[:-1]]))
        counts = np.diff(np.append(starts, len(keys)))
    else:
        starts = counts = np.empty(0, dtype=np.int64)
    keys = keys[starts]
    del starts
    return pl.DataFrame(
        {
            "src": (keys >> 32).astype(np.int32),
            "dst": (keys & 0xFFFFFFFF).astype(np.int32),
            "weight": counts.astype(np.float32),
        }
    )


def packable(column: pl.Series) -> bool:
    """True for a null-free integer column with values in ``[0, 2**31)`` (a pair key half)."""
    if not column.dtype.is_integer() or column.null_count():
        return False
    return not len(column) or (column.min() >= 0 and column.max() < 1 << 31)  # type: ignore[operator]
