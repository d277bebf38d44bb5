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
    if not vocabulary:
        raise RecipeError(
            f"{where}: the interactions map an 'event' column but the recipe declares no "
            "events vocabulary; add events: [view, cart, ...]"
        )
    nulls = frame[event].null_count()
    if nulls:
        raise ReadError(f"{where}: {nulls:,} row(s) have no event type (null 'event')")
    bad = frame.select(pl.col(event).filter(~pl.col(event).is_in(list(vocabulary))))[event]
    if bad.len():
        values = bad.unique().sort().head(5).to_list()
        raise ReadError(
            f"{where}: {bad.len():,} row(s) have an event type outside the vocabulary "
            f"{list(vocabulary)}, e.g. {values}; map them with values: or extend events:"
        )
