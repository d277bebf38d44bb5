"""Generic session steps: split streams by an inactivity gap, drop short sessions and rare
items, remove immediate repeats. Pure polars over raw-id or indexed frames, no per-session loop.

Order within a session is sequence order: (time, input row order); rows come back in input order.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal, TypeAlias

import numpy as np
import polars as pl

from recdata.errors import TransformError
from recdata.schema import ITEM_ID, SESSION, TIME, USER_ID
from recdata.transforms._codes import encode
from recdata.transforms._sort import order_key, sequence_permutation

ItemCountMode: TypeAlias = Literal["once", "iterative"]
"""``once``: item counts taken once on the input; ``iterative``: repeated to the fixed point."""


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


def _sequence(df: pl.DataFrame, key: str, time: str | None) -> tuple[np.ndarray, np.ndarray]:
    """Codes of ``key`` and the permutation into sequence order (key, time, row)."""
    codes = encode(df[key]).codes
    tkey = order_key(df[time]) if time is not None else np.zeros(df.height, dtype=np.int64)
    return codes, sequence_permutation(codes, tkey)


def _changes(sorted_codes: np.ndarray) -> np.ndarray:
    """True where a run of equal codes starts."""
    change = np.empty(len(sorted_codes), dtype=bool)
    if len(change):
        change[0] = True
        np.not_equal(sorted_codes[1:], sorted_codes[:-1], out=change[1:])
    return change


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
    df = lf.collect()
    if df[time].null_count():
        raise TransformError(f"sessionize: column {time!r} has null timestamps; filter them first")
    t = df[time]
    ms = (t.dt.epoch("ms") if isinstance(t.dtype, pl.Datetime) else t.cast(pl.Int64)).to_numpy()
    codes, perm = _sequence(df, user, time)
    us, ts = codes[perm], ms[perm]
    new = _changes(us)
    if len(ts) > 1:
        new[1:] |= (ts[1:] - ts[:-1]) > gap_ms
    counter = np.cumsum(new)
    first_of_user = _changes(us)
    base = np.maximum.accumulate(np.where(first_of_user, counter - 1, 0))
    number = np.empty(len(perm), dtype=np.int64)
    number[perm] = counter - base
    label = pl.concat_str(pl.col(user).cast(pl.String), pl.lit(":"), pl.col("__n").cast(pl.String))
    return (
        df.with_columns(pl.Series("__n", number))
        .with_columns(label.alias(session))
        .drop("__n")
        .lazy()
    )


def drop_short_sessions(
    lf: pl.LazyFrame, *, min_length: int = 2, session: str = SESSION
) -> pl.LazyFrame:
    """Drop every row of sessions with fewer than ``min_length`` rows (repeats count)."""
    _check_columns(lf, "drop_short_sessions", session)
    if min_length < 0:
        raise TransformError(f"drop_short_sessions: min_length must be >= 0, got {min_length}")
    df = lf.collect()
    codes = encode(df[session]).codes
    sizes = np.bincount(codes)
    return df.filter(pl.Series(sizes[codes] >= min_length)).lazy()


@dataclass(frozen=True)
class ItemCountReport:
    """What :func:`drop_rare_items_report` did: rounds taken and whether a fixed point was met."""

    rounds: int
    converged: bool


def _keep_mask(
    items: np.ndarray, sessions: np.ndarray, alive: np.ndarray, min_count: int, min_length: int
) -> np.ndarray:
    """One round over the rows still ``alive``: rare items' rows, then short sessions, go."""
    counts = np.bincount(items[alive], minlength=int(items.max(initial=-1)) + 1)
    kept = alive & (counts[items] >= min_count)
    sizes = np.bincount(sessions[kept], minlength=int(sessions.max(initial=-1)) + 1)
    return kept & (sizes[sessions] >= min_length)


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
    items, sessions = encode(df[item]).codes, encode(df[session]).codes
    alive = np.ones(df.height, dtype=bool)
    rounds, converged = 0, True
    while True:
        if mode == "iterative" and max_rounds is not None and rounds >= max_rounds:
            converged = False
            break
        kept = _keep_mask(items, sessions, alive, min_count, min_session_length)
        rounds += 1
        changed = int(np.count_nonzero(kept)) != int(np.count_nonzero(alive))
        alive = kept
        if mode == "once" or not changed:
            break
    out = df if bool(alive.all()) else df.filter(pl.Series(alive))
    return out, ItemCountReport(rounds=rounds, converged=converged)


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
    df = lf.collect()
    codes, perm = _sequence(df, session, time if time is not None and time in names else None)
    items = encode(df[item]).codes[perm]
    repeat = ~_changes(codes[perm])
    if len(items) > 1:
        repeat[1:] &= items[1:] == items[:-1]
    drop = np.zeros(df.height, dtype=bool)
    drop[perm] = repeat
    return (df.filter(pl.Series(~drop)) if drop.any() else df).lazy()


__all__ = [
    "ItemCountMode",
    "ItemCountReport",
    "drop_rare_items",
    "drop_rare_items_report",
    "drop_short_sessions",
    "remove_repeats",
    "sessionize",
]
