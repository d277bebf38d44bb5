"""The ``history`` column: each row's earlier items of the same user, in sequence order."""

from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow as pa

from recdata.errors import TransformError
from recdata.schema import HISTORY, INTERACTION, ITEM, TIME, USER
from recdata.splits._split import time_key
from recdata.transforms._codes import encode, group_codes
from recdata.transforms._sort import sequence_permutation


def _lists(values: pa.Array, ends: np.ndarray, begins: np.ndarray) -> pa.Array:
    """List array whose row r is ``values[begins[r]:ends[r]]`` (vectorised gather)."""
    lengths = ends - begins
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    total = int(offsets[-1])
    idx = np.arange(total, dtype=np.int64) - np.repeat(offsets[:-1] - begins, lengths)
    taken = values.take(pa.array(idx)) if total else values.slice(0, 0)
    return pa.LargeListArray.from_arrays(pa.array(offsets), taken)


def _item_values(s: pl.Series) -> pa.Array:
    if s.dtype.is_integer():
        s = s.cast(pl.Int32)
    elif s.dtype != pl.String and not isinstance(s.dtype, (pl.Categorical, pl.Enum)):
        raise TransformError(f"add_history: item column {s.name!r} has type {s.dtype}")
    arr = s.to_arrow()
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def add_history(
    lf: pl.LazyFrame,
    *,
    user: str = USER,
    item: str = ITEM,
    time: str | None = TIME,
    cap: int | None = None,
    within: pl.LazyFrame | None = None,
    name: str = HISTORY,
) -> pl.LazyFrame:
    """Add ``history``: the user's items strictly earlier in sequence order (oldest first).

    ``cap`` keeps only the last ``cap`` items (None: all). ``within`` takes the history from
    another frame (e.g. train only) instead of ``lf`` itself: a row of ``within`` counts as
    earlier when its (time, interaction_idx) is smaller, or its time alone when either frame has
    no ``interaction_idx``. Integer items give ``list<int32>``. Row order is kept; the frame
    is collected once.
    """
    if cap is not None and (isinstance(cap, bool) or cap < 0):
        raise TransformError(f"add_history: cap must be >= 0 or None, got {cap!r}")
    df = lf.collect()
    n = df.height
    if within is None:
        codes, _, distinct = group_codes(df[user])
        tkey = time_key(df[time]) if time is not None else np.zeros(n, dtype=np.int64)
        perm = sequence_permutation(codes, tkey, n_users=distinct)
        us = codes[perm]
        change = np.r_[True, us[1:] != us[:-1]] if n else np.zeros(0, dtype=bool)
        starts = np.flatnonzero(change)
        run = np.cumsum(change) - 1
        ends = np.arange(n, dtype=np.int64)
        begins = starts[run] if n else ends
        if cap is not None:
            begins = np.maximum(begins, ends - cap)
        values = _item_values(df[item].gather(perm) if n else df[item])
        lists = _lists(values, ends, begins)
    else:
        src = within.select(
            [c for c in (user, item, time) if c is not None]
            + ([INTERACTION] if INTERACTION in within.collect_schema() else [])
        ).collect()
        use_idx = INTERACTION in df.columns and INTERACTION in src.columns
        m = src.height
        users = pl.concat([df[user], src[user].cast(df[user].dtype)])
        enc = encode(users)
        tk = (
            np.concatenate([time_key(df[time]), time_key(src[time])])
            if time is not None
            else np.zeros(n + m, dtype=np.int64)
        )
        ik = (
            np.concatenate([df[INTERACTION].to_numpy(), src[INTERACTION].to_numpy()])
            if use_idx
            else np.zeros(n + m, dtype=np.int64)
        )
        tag = np.r_[np.zeros(n, dtype=np.int8), np.ones(m, dtype=np.int8)]
        order = np.lexsort((tag, ik, tk, enc.codes))  # queries before sources on ties
        us = enc.codes[order]
        is_src = order >= n
        change = np.r_[True, us[1:] != us[:-1]] if n + m else np.zeros(0, dtype=bool)
        run = np.cumsum(change) - 1
        src_before = np.cumsum(is_src) - is_src  # sources strictly before each position
        run_first = src_before[np.flatnonzero(change)]
        q = ~is_src
        ends = src_before[q].astype(np.int64)
        begins = run_first[run[q]].astype(np.int64)
        if cap is not None:
            begins = np.maximum(begins, ends - cap)
        src_rows = order[is_src] - n
        values = _item_values(src[item].gather(src_rows) if m else src[item])
        lists = _lists(values, ends, begins)
        perm = order[q]
    hist = pl.Series(name, pl.from_arrow(lists))
    if n and not np.array_equal(perm, np.arange(n)):
        inv = np.empty(n, dtype=np.int64)
        inv[perm] = np.arange(n)
        hist = hist.gather(inv)
    return df.with_columns(hist.alias(name)).lazy()
