"""Explicit ratings to implicit feedback: a minimum rating, or a 0/1 label by threshold."""

from __future__ import annotations

import polars as pl

from recdata.schema import RATING


def filter_rating(lf: pl.LazyFrame, *, min_rating: float, rating: str = RATING) -> pl.LazyFrame:
    """Keep the rows whose ``rating >= min_rating`` (null ratings are dropped)."""
    return lf.filter(pl.col(rating) >= min_rating)


def implicit_label(
    lf: pl.LazyFrame, *, threshold: float, rating: str = RATING, label: str = "label"
) -> pl.LazyFrame:
    """Add an int8 ``label`` column, 1 where ``rating >= threshold`` else 0 (null stays null)."""
    return lf.with_columns((pl.col(rating) >= threshold).cast(pl.Int8).alias(label))
