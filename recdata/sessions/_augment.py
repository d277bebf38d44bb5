"""SR-GNN's prefix augmentation: a session of n items gives n-1 (prefix, target) pairs."""

from __future__ import annotations

import polars as pl

from recdata.schema import ITEM, SESSION

PREFIX, TARGET = "prefix", "target"


def session_sequences(
    lf: pl.LazyFrame, *, session: str = SESSION, item: str = ITEM
) -> pl.LazyFrame:
    """One row per session (in order of its first row): ``session`` and its ``item`` list."""
    return lf.group_by(session, maintain_order=True).agg(pl.col(item).alias("sequence"))


def prefix_pairs(lf: pl.LazyFrame, *, session: str = SESSION, item: str = ITEM) -> pl.LazyFrame:
    """``session``, ``prefix`` (list) and ``target`` for every row after a session's first:
    sessions in order of their first row, and within one the longest prefix first (SR-GNN's
    ``seq[:-1] -> seq[-1]``, then ``seq[:-2] -> seq[-2]``, ...)."""
    seqs = session_sequences(lf, session=session, item=item)
    length = pl.col("sequence").list.len()
    return (
        seqs.with_columns(pl.int_ranges(length - 1, 0, -1).alias("__p"))
        .explode("__p")
        .filter(pl.col("__p").is_not_null())
        .select(
            session,
            pl.col("sequence").list.slice(0, pl.col("__p")).alias(PREFIX),
            pl.col("sequence").list.get(pl.col("__p")).alias(TARGET),
        )
    )


__all__ = ["PREFIX", "TARGET", "prefix_pairs", "session_sequences"]
