"""Row filters: per-user activity bounds, a time window, and a seeded sample of users."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import polars as pl

from recdata.errors import TransformError
from recdata.schema import TIME, USER
from recdata.transforms._codes import encode


def activity_filter(
    lf: pl.LazyFrame,
    *,
    min_interactions: int | None = None,
    max_interactions: int | None = None,
    user: str = USER,
) -> pl.LazyFrame:
    """Keep users whose interaction count lies in ``[min_interactions, max_interactions]``.

    Both bounds are inclusive and optional (e.g. ``max_interactions`` drops bots). Counted once
    on the input, unlike :func:`~recdata.transforms.kcore`.
    """
    if min_interactions is None and max_interactions is None:
        return lf
    count = pl.len().over(user)
    cond = pl.lit(True)
    if min_interactions is not None:
        cond = cond & (count >= min_interactions)
    if max_interactions is not None:
        cond = cond & (count <= max_interactions)
    return lf.filter(cond)


def _bound(value: dt.datetime | dt.date | int, dtype: pl.DataType, name: str) -> pl.Expr:
    """A literal comparable with a column of ``dtype``; ints are epoch milliseconds."""
    if isinstance(dtype, pl.Datetime):
        if isinstance(value, bool):
            raise TransformError(f"time_window: {name} must be a datetime or int ms, got {value!r}")
        if isinstance(value, (int, np.integer)):
            lit = pl.lit(int(value), dtype=pl.Int64).cast(pl.Datetime("ms"))
        elif isinstance(value, dt.datetime):
            if value.tzinfo is not None:
                value = value.astimezone(dt.UTC).replace(tzinfo=None)
            lit = pl.lit(value, dtype=pl.Datetime("us"))
        elif isinstance(value, dt.date):
            lit = pl.lit(dt.datetime(value.year, value.month, value.day), dtype=pl.Datetime("us"))
        else:
            raise TransformError(f"time_window: {name} must be a datetime or int ms, got {value!r}")
        lit = lit.dt.replace_time_zone("UTC")
        if dtype.time_zone is None:
            lit = lit.dt.replace_time_zone(None)
        elif dtype.time_zone != "UTC":
            lit = lit.dt.convert_time_zone(dtype.time_zone)
        return lit
    if dtype.is_integer() and isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return pl.lit(int(value))
    raise TransformError(
        f"time_window: cannot compare {name}={value!r} with a time column of type {dtype}"
    )


def time_window(
    lf: pl.LazyFrame,
    *,
    start: dt.datetime | dt.date | int | None = None,
    end: dt.datetime | dt.date | int | None = None,
    time: str = TIME,
) -> pl.LazyFrame:
    """Keep rows with ``start <= time < end`` (either bound optional; nulls drop when bounded).

    Bounds are datetimes (naive = UTC) or integer epoch milliseconds.
    """
    if start is None and end is None:
        return lf
    dtype = lf.collect_schema().get(time)
    if dtype is None:
        raise TransformError(f"time_window: no column {time!r} in the frame")
    cond = pl.lit(True)
    if start is not None:
        cond = cond & (pl.col(time) >= _bound(start, dtype, "start"))
    if end is not None:
        cond = cond & (pl.col(time) < _bound(end, dtype, "end"))
    return lf.filter(cond)


def sample_users(
    lf: pl.LazyFrame,
    *,
    n: int | None = None,
    fraction: float | None = None,
    seed: int = 0,
    user: str = USER,
) -> pl.LazyFrame:
    """Keep all rows of a seeded random sample of users (few-shot subsets).

    Exactly one of ``n`` (number of users; all when larger) or ``fraction`` (of distinct
    users, ``round(fraction * users)``, half up) is given. The distinct users are sorted by
    value and permuted by ``numpy.random.default_rng(seed)``, so the sample depends only on
    the set of users and the seed, not on row order. Row order is kept.
    """
    if (n is None) == (fraction is None):
        raise TransformError("sample_users: give exactly one of n or fraction")
    if n is not None and (isinstance(n, bool) or n < 0):
        raise TransformError(f"sample_users: n must be >= 0, got {n!r}")
    if fraction is not None and not 0.0 <= fraction <= 1.0:
        raise TransformError(f"sample_users: fraction must be in [0, 1], got {fraction!r}")
    df = lf.collect()
    enc = encode(df[user])
    k = enc.size
    take = min(int(n), k) if n is not None else int(math.floor(fraction * k + 0.5))
    by_value = enc.values.arg_sort(nulls_last=False).to_numpy()
    perm = np.random.default_rng(seed).permutation(k)
    chosen = np.zeros(k, dtype=bool)
    chosen[by_value[perm[:take]]] = True
    return df.filter(pl.Series(chosen[enc.codes])).lazy()
