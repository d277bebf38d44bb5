"""Generic session steps: split streams by an inactivity gap, drop short sessions and rare
items, remove immediate repeats. Pure polars over raw-id or indexed frames, no per-session loop.

Order within a session is sequence order: (time, input row order); rows come back in input order.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal, TypeAlias

import polars as pl

from recdata.errors import TransformError
from recdata.schema import ITEM_ID, SESSION, TIME, USER_ID

ItemCountMode: TypeAlias = Literal["once", "iterative"]
"""``once``: item counts taken once on the input; ``iterative``: repeated to the fixed point."""

_ROW = "__row"


def _gap_ms(gap: dt.timedelta | int | float) -> int:
    if isinstance(gap, dt.timedelta):
        ms = gap // dt.timedelta(milliseconds=1)
    elif isinstance(gap, bool) or not isinstance(gap, int | float):
        raise TransformError(f"sessionize: gap must be seconds or a timedelta, got {gap!r}")
    else:
        ms = round(gap * 1000)
    if ms < 0:
        raise TransformError(f"sessionize: gap must be >= 0, got {gap!r}")
    return int(ms)


def _check_columns(lf: pl.LazyFrame, step: str, *columns: str) -> list[str]:
    names = lf.collect_schema().names()
    missing = [c for c in columns if c not in names]
    if missing:
        raise TransformError(f"{step}: the frame has no column(s) {missing} (has {names})")
    return names


def sessionize(
    lf: pl.LazyFrame,
    *,
    gap: dt.timedelta | int | float = 1800,
    user: str = USER_ID,
    time: str = TIME,
    session: str = SESSION,
) -> pl.LazyFrame:
    """Add ``session`` (string ``<user>:<n>``, n from 1 per user): a user's stream split where
    the time since the previous interaction is strictly greater than ``gap`` (seconds or a
    timedelta; default 30 minutes). Needs non-null timestamps; rows stay in input order."""
    names = _check_columns(lf, "sessionize", user, time)
    if session in names:
        raise TransformError(
            f"sessionize: the frame already has a {session!r} column; drop it or name another"
        )
    gap_ms = _gap_ms(gap)
    if lf.select(pl.col(time).is_null().any()).collect().item():
        raise TransformError(f"sessionize: column {time!r} has null timestamps; filter them first")
    t = pl.col(time)
    if isinstance(lf.collect_schema()[time], pl.Datetime):
        t = t.dt.epoch("ms")
    ordered = lf.with_row_index(_ROW).sort(user, time, _ROW)
    new = (t - t.shift(1)).over(user).fill_null(gap_ms + 1) > gap_ms
    number = new.cast(pl.Int64).cum_sum().over(user)
    return (
        ordered.with_columns(
            pl.concat_str(pl.col(user).cast(pl.String), pl.lit(":"), number.cast(pl.String)).alias(
                session
            )
        )
        .sort(_ROW)
        .drop(_ROW)
    )


def drop_short_sessions(
    lf: pl.LazyFrame, *, min_length: int = 2, session: str = SESSION
) -> pl.LazyFrame:
    """Drop every row of sessions with fewer than ``min_length`` rows (repeats count)."""
    _check_columns(lf, "drop_short_sessions", session)
    if min_length < 0:
        raise TransformError(f"drop_short_sessions: min_length must be >= 0, got {min_length}")
    return lf.filter(pl.len().over(session) >= min_length)


@dataclass(frozen=True)
class ItemCountReport:
    """What :func:`drop_rare_items_report` did: rounds taken and whether a fixed point was met."""

    rounds: int
    converged: bool


def _one_round(lf: pl.LazyFrame, min_count: int, min_length: int, item: str, session: str):
    kept = lf.filter(pl.len().over(item) >= min_count)
    return kept.filter(pl.len().over(session) >= min_length)


def drop_rare_items_report(
    lf: pl.LazyFrame,
    *,
    min_count: int = 5,
    mode: ItemCountMode = "once",
    min_session_length: int = 1,
    max_rounds: int | None = None,
    item: str = ITEM_ID,
    session: str = SESSION,
) -> tuple[pl.DataFrame, ItemCountReport]:
    """:func:`drop_rare_items` and its report (rounds, converged)."""
    _check_columns(lf, "drop_rare_items", item, session)
    if mode not in ("once", "iterative"):
        raise TransformError(f"drop_rare_items: mode={mode!r} is not one of once, iterative")
    if min_count < 0 or min_session_length < 0:
        raise TransformError("drop_rare_items: min_count and min_session_length must be >= 0")
    df = lf.collect()
    if mode == "once":
        return _one_round(df.lazy(), min_count, min_session_length, item, session).collect(), (
            ItemCountReport(rounds=1, converged=True)
        )
    rounds = 0
    while True:
        if max_rounds is not None and rounds >= max_rounds:
            return df, ItemCountReport(rounds=rounds, converged=False)
        out = _one_round(df.lazy(), min_count, min_session_length, item, session).collect()
        rounds += 1
        if out.height == df.height:
            return out, ItemCountReport(rounds=rounds, converged=True)
        df = out


def drop_rare_items(
    lf: pl.LazyFrame,
    *,
    min_count: int = 5,
    mode: ItemCountMode = "once",
    min_session_length: int = 1,
    max_rounds: int | None = None,
    item: str = ITEM_ID,
    session: str = SESSION,
) -> pl.LazyFrame:
    """Drop rows of items seen fewer than ``min_count`` times, then sessions left shorter than
    ``min_session_length``; ``once`` counts items on the input only, ``iterative`` repeats both
    filters until nothing changes (at most ``max_rounds``)."""
    out, _ = drop_rare_items_report(
        lf,
        min_count=min_count,
        mode=mode,
        min_session_length=min_session_length,
        max_rounds=max_rounds,
        item=item,
        session=session,
    )
    return out.lazy()


def remove_repeats(
    lf: pl.LazyFrame,
    *,
    item: str = ITEM_ID,
    session: str = SESSION,
    time: str | None = TIME,
) -> pl.LazyFrame:
    """Drop a row whose item equals the previous row's item in the same session (sequence order:
    time, then input order; ``time=None``: input order). ``a a b a`` becomes ``a b a``."""
    names = _check_columns(lf, "remove_repeats", item, session)
    keys = [session] + ([time] if time is not None and time in names else []) + [_ROW]
    ordered = lf.with_row_index(_ROW).sort(keys, nulls_last=False)
    repeat = (pl.col(item) == pl.col(item).shift(1)).over(session).fill_null(False)
    return ordered.filter(~repeat).sort(_ROW).drop(_ROW)


__all__ = [
    "ItemCountMode",
    "ItemCountReport",
    "drop_rare_items",
    "drop_rare_items_report",
    "drop_short_sessions",
    "remove_repeats",
    "sessionize",
]
