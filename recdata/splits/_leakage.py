"""The leakage check: valid/test rows earlier than their user's latest train row."""

from __future__ import annotations

import polars as pl

from recdata.schema import TIME, USER

_LAST = "__train_last"


def check_leakage(
    train: pl.LazyFrame | pl.DataFrame,
    valid: pl.LazyFrame | pl.DataFrame,
    test: pl.LazyFrame | pl.DataFrame,
    *,
    user: str = USER,
    time: str = TIME,
) -> pl.DataFrame:
    """Valid/test rows strictly earlier than the latest train row of the same user.

    Returns those rows with a ``part`` column (``valid``/``test``) and ``train_last`` (the
    user's latest train timestamp); empty when the split is ordered. Null times never leak.
    """
    last = train.lazy().group_by(user).agg(pl.col(time).max().alias(_LAST))
    held = pl.concat(
        [
            valid.lazy().with_columns(pl.lit("valid").alias("part")),
            test.lazy().with_columns(pl.lit("test").alias("part")),
        ],
        how="diagonal_relaxed",
    )
    return (
        held.join(last, on=user, how="inner", maintain_order="left")
        .filter(pl.col(time) < pl.col(_LAST))
        .rename({_LAST: "train_last"})
        .collect()
    )
