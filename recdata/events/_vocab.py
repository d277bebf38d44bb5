"""The event vocabulary: every ``event`` value must be one the recipe declares."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from recdata.errors import ReadError, RecipeError
from recdata.schema import EVENT


def check_events(
    frame: pl.DataFrame, vocabulary: Sequence[str] | None, *, where: str, event: str = EVENT
) -> None:
    """Raise when ``frame[event]`` holds a null or a value outside ``vocabulary``.

    ``where`` names the file for the message. A frame without the column passes.
    """
    if event not in frame.columns:
        return
    check_event_values(event_value_counts(frame, event), vocabulary, where=where)


def event_value_counts(frame: pl.DataFrame, event: str = EVENT) -> pl.DataFrame:
    """``event`` (null included) -> ``count`` of its rows: what :func:`check_event_values`
    needs, summable over parts of a table."""
    return frame.group_by(pl.col(event).alias(EVENT)).agg(pl.len().cast(pl.Int64).alias("count"))


def check_event_values(
    counts: pl.DataFrame, vocabulary: Sequence[str] | None, *, where: str
) -> None:
    """:func:`check_events` over the summed :func:`event_value_counts` of a table."""
    if not vocabulary:
        raise RecipeError(
            f"{where}: the interactions map an 'event' column but the recipe declares no "
            "events vocabulary; add events: [view, cart, ...]"
        )
    nulls = int(counts.filter(pl.col(EVENT).is_null())["count"].sum())
    if nulls:
        raise ReadError(f"{where}: {nulls:,} row(s) have no event type (null 'event')")
    bad = counts.filter(pl.col(EVENT).is_not_null() & ~pl.col(EVENT).is_in(list(vocabulary)))
    if bad.height:
        values = bad[EVENT].unique().sort().head(5).to_list()
        raise ReadError(
            f"{where}: {int(bad['count'].sum()):,} row(s) have an event type outside the "
            f"vocabulary {list(vocabulary)}, e.g. {values}; map them with values: or extend events:"
        )
