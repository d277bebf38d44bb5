"""Per-user ratio split, chronological or seeded random."""

from __future__ import annotations

import numpy as np
import polars as pl

from recdata._types import RatioOrder
from recdata.errors import TransformError
from recdata.schema import ITEM, TIME, USER
from recdata.splits._history import add_history
from recdata.splits._split import (
    TEST,
    TRAIN,
    VALID,
    Split,
    boundaries,
    check_ratios,
    make_split,
    user_positions,
)
from recdata.transforms._codes import encode


def ratio(
    lf: pl.LazyFrame,
    *,
    ratios: tuple[float, float, float] = (0.8, 0.1, 0.1),
    order: RatioOrder = "chronological",
    seed: int = 0,
    user: str = USER,
    item: str = ITEM,
    time: str | None = TIME,
    history: bool = False,
    history_cap: int | None = None,
) -> Split:
    """Split each user's rows by ``ratios``: with L rows, the first ``floor(L*r1)`` go to
    train, up to ``floor(L*(r1+r2))`` to valid, the rest (at least the remainder) to test.

    ``chronological`` ranks rows in sequence order; ``random`` ranks them by uniform keys drawn
    with ``numpy.random.default_rng(seed)`` in (user by value, sequence order) order, so the
    result depends on the seed and the data, not on how rows are arranged (beyond the input
    order that breaks timestamp ties). Every row is kept (a partition).
    """
    r = check_ratios(ratios, "ratio")
    if order not in ("chronological", "random"):
        raise TransformError(f"ratio: order={order!r} is not one of chronological, random")
    df = lf.collect()
    if history:
        df = add_history(df.lazy(), user=user, item=item, time=time, cap=history_cap).collect()
    p = user_positions(df, user, time)
    pos = p.pos
    if order == "random" and df.height:
        n = df.height
        # one uniform key per row, drawn in (user by value, position in sequence order) order
        by_value = encode(df[user]).values  # same codes as p.user (same encoder, same input)
        user_rank = np.empty(p.n_users, dtype=np.int64)
        user_rank[by_value.arg_sort(nulls_last=False).to_numpy()] = np.arange(p.n_users)
        counts = np.bincount(user_rank[p.user], minlength=p.n_users)
        starts = np.cumsum(counts) - counts
        draw = np.random.default_rng(seed).random(n)
        key = draw[starts[user_rank[p.user]] + p.pos]
        shuffled = np.lexsort((key, p.user))  # groups by user, random within
        us = p.user[shuffled]
        change = np.r_[True, us[1:] != us[:-1]]
        run_start = np.flatnonzero(change)
        run = np.cumsum(change) - 1
        pos = np.empty(n, dtype=np.int64)
        pos[shuffled] = np.arange(n) - run_start[run]
    b1, b2 = boundaries(p.length, r)
    part = np.where(pos < b1, TRAIN, np.where(pos < b2, VALID, TEST)).astype(np.int8)
    params = {
        "ratios": list(r),
        "order": order,
        "seed": seed,
        "history": history,
        "history_cap": history_cap,
    }
    return make_split(
        df,
        part,
        protocol="ratio",
        params=params,
        user=user,
        item=item,
        ordered=order == "chronological",
        ucodes=p.user,
    )
