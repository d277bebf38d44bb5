"""Steps over the ``event`` column: keep some event types, weight rows by their type."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl

from recdata.errors import TransformError
from recdata.schema import EVENT, WEIGHT


def _require_event(lf: pl.LazyFrame, step: str, event: str) -> None:
    if event not in lf.collect_schema().names():
        raise TransformError(f"{step}: the interactions have no {event!r} column; map one first")


def keep_events(lf: pl.LazyFrame, *, events: Sequence[str], event: str = EVENT) -> pl.LazyFrame:
    """Keep the rows whose event type is one of ``events`` (row order unchanged)."""
    _require_event(lf, "keep_events", event)
    if not events:
        raise TransformError("keep_events: events must name at least one event type")
    return lf.filter(pl.col(event).is_in(list(events)))


def event_weights(
    lf: pl.LazyFrame,
    *,
    weights: Mapping[str, float],
    default: float | None = None,
    column: str = WEIGHT,
    event: str = EVENT,
) -> pl.LazyFrame:
    """Add a float32 ``column`` (default ``weight``): each row's weight by its event type.

    An event type missing from ``weights`` gets ``default``; with ``default=None`` such a row is
    an error (naming the type), so a vocabulary change cannot silently weight rows 0.
    """
    _require_event(lf, "event_weights", event)
    if not weights:
        raise TransformError("event_weights: weights must map at least one event type")
    if default is None:
        missing = (
            lf.select(pl.col(event).filter(~pl.col(event).is_in(list(weights))).unique().sort())
            .collect()
            .to_series()
            .to_list()
        )
        if missing:
            raise TransformError(
                f"event_weights: event type(s) {missing} have no weight; add them to weights "
                f"(has {sorted(weights)}) or give default"
            )
    # a when/then chain: a handful of string comparisons beats a hash lookup per row here
    pairs = list(weights.items())
    chain = pl.when(pl.col(event) == pairs[0][0]).then(pl.lit(float(pairs[0][1])))
    for name, weight in pairs[1:]:
        chain = chain.when(pl.col(event) == name).then(pl.lit(float(weight)))
    expr = chain.otherwise(pl.lit(default, dtype=pl.Float64)).cast(pl.Float32)
    return lf.with_columns(expr.alias(column))


def event_counts(frame: pl.DataFrame | pl.LazyFrame, *, event: str = EVENT) -> dict[str, int]:
    """Rows per event type, in sorted type order (for the manifest)."""
    rows = frame.lazy().group_by(event).agg(pl.len().alias("n")).sort(event).collect().iter_rows()
    return {str(k): int(n) for k, n in rows}
