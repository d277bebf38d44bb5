"""Timestamps as ``pl.Datetime("ms", "UTC")`` and the canonical sequence order."""

from __future__ import annotations

import polars as pl

from recdata._types import TimeUnit
from recdata.errors import TransformError
from recdata.schema import POLARS_TIMESTAMP, TIME, USER

_PER_MS = {"s": None, "ms": 1, "us": 1_000, "ns": 1_000_000}


def _int_to_ms(expr: pl.Expr, unit: str) -> pl.Expr:
    """Integer epoch values in ``unit`` as integer milliseconds (floor division, never float)."""
    expr = expr.cast(pl.Int64)
    if unit == "s":
        return expr * 1000
    div = _PER_MS[unit]
    return expr if div == 1 else expr.floordiv(div)


def to_timestamp(
    lf: pl.LazyFrame,
    *,
    column: str = TIME,
    unit: TimeUnit = "s",
    format: str | None = None,
) -> pl.LazyFrame:
    """Convert ``column`` to ``pl.Datetime("ms", "UTC")``.

    Integers (or digit strings) are epoch values in ``unit`` (``s``, ``ms``, ``us``, ``ns``;
    sub-millisecond precision is floored); ``unit="date"``/``"datetime"`` parse strings with
    ``format`` (polars/chrono syntax; inferred when None), naive values being taken as UTC.
    Existing datetimes are converted to UTC milliseconds. Floats are refused: an epoch in
    seconds does not survive a float64 round trip at millisecond precision.
    """
    dtype = lf.collect_schema().get(column)
    if dtype is None:
        raise TransformError(f"to_timestamp: no column {column!r} in the frame")
    col = pl.col(column)
    if unit not in ("s", "ms", "us", "ns", "date", "datetime"):
        raise TransformError(
            f"to_timestamp: unit {unit!r} is not one of s, ms, us, ns, date, datetime"
        )
    if isinstance(dtype, pl.Datetime):
        out = col if dtype.time_zone is None else col.dt.convert_time_zone("UTC")
        out = out.dt.replace_time_zone(None).dt.cast_time_unit("ms")
    elif dtype == pl.Date:
        out = col.cast(pl.Datetime("ms"))
    elif dtype.is_float():
        raise TransformError(
            f"to_timestamp: column {column!r} is {dtype}; expected integers or strings "
            "(floats lose millisecond precision: read the column as Int64 or String)"
        )
    elif dtype.is_integer():
        if unit in ("date", "datetime"):
            raise TransformError(
                f"to_timestamp: column {column!r} holds integers but unit is {unit!r}; "
                "use unit s, ms, us or ns"
            )
        out = _int_to_ms(col, unit).cast(pl.Datetime("ms"))
    elif dtype == pl.String:
        if unit == "date":
            out = col.str.to_date(format).cast(pl.Datetime("ms"))
        elif unit == "datetime":
            # aware strings are converted to UTC, naive ones taken as UTC
            out = col.str.to_datetime(format, time_unit="ms", time_zone="UTC")
            out = out.dt.replace_time_zone(None)
        else:
            out = _int_to_ms(col.str.strip_chars().cast(pl.Int64), unit).cast(pl.Datetime("ms"))
    else:
        raise TransformError(
            f"to_timestamp: column {column!r} has type {dtype}; expected integer, string or datetime"
        )
    out = out.dt.replace_time_zone("UTC").cast(POLARS_TIMESTAMP)
    return lf.with_columns(out.alias(column))


def sequence_order(
    lf: pl.LazyFrame,
    *,
    user: str = USER,
    time: str | None = TIME,
) -> pl.LazyFrame:
    """Sort stably by ``(user, time)``: ties keep the current row order (the source order).

    A null timestamp sorts first within its user (it is treated as the earliest); a null user
    sorts before every other user. ``time=None`` sorts by user only.
    """
    keys = [user] if time is None else [user, time]
    return lf.sort(keys, maintain_order=True, nulls_last=False)
