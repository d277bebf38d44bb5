"""Leave-one-out: per user, last -> test, second last -> valid, the rest -> train."""

from __future__ import annotations

import numpy as np
import polars as pl

from recdata._types import ShortUserPolicy
from recdata.errors import TransformError
from recdata.schema import ITEM, TIME, USER
from recdata.splits._history import add_history
from recdata.splits._split import DROPPED, TEST, TRAIN, VALID, Split, make_split, user_runs


def leave_one_out(
    lf: pl.LazyFrame,
    *,
    user: str = USER,
    item: str = ITEM,
    time: str | None = TIME,
    min_interactions: int = 3,
    short_users: ShortUserPolicy = "train",
    history: bool = False,
    history_cap: int | None = None,
) -> Split:
    """Leave-one-out in sequence order (time, then input row order).

    A user with fewer than ``min_interactions`` rows keeps them all in train
    (``short_users="train"``, counted in ``report.moved``) or loses them
    (``"drop"``, counted in ``report.dropped``). No sort is needed when the frame is already in
    sequence order. ``history=True`` adds each row's earlier items over the whole input.
    """
    if isinstance(min_interactions, bool) or min_interactions < 1:
        raise TransformError(
            f"leave_one_out: min_interactions must be >= 1, got {min_interactions!r}"
        )
    if short_users not in ("train", "drop"):
        raise TransformError(
            f"leave_one_out: short_users={short_users!r} is not one of train, drop"
        )
    df = lf.collect()
    if history:
        df = add_history(df.lazy(), user=user, item=item, time=time, cap=history_cap).collect()
    runs = user_runs(df, user, time)
    ends = runs.starts + runs.lengths
    part = np.full(df.height, TRAIN, dtype=np.int8)  # in sequence order first
    long = runs.lengths >= min_interactions
    two = long & (runs.lengths >= 2)
    part[ends[long] - 1] = TEST
    part[ends[two] - 2] = VALID
    short_runs = ~long
    short_rows = int(runs.lengths[short_runs].sum())
    short_users_n = int(np.count_nonzero(short_runs))
    if short_rows and short_users == "drop":
        part[np.repeat(short_runs, runs.lengths)] = DROPPED
    if runs.perm is not None:  # back to input order
        in_order = np.empty_like(part)
        in_order[runs.perm] = part
        part = in_order
    params = {
        "min_interactions": min_interactions,
        "short_users": short_users,
        "history": history,
        "history_cap": history_cap,
    }
    key = "short_users"
    return make_split(
        df,
        part,
        protocol="leave_one_out",
        params=params,
        user=user,
        item=item,
        ordered=True,
        dropped={key: short_rows} if short_users == "drop" else {},
        moved={key: short_rows} if short_users == "train" else {},
        counts={"short_users": short_users_n, "short_user_rows": short_rows},
        user_counts=[
            # train: long users with rows before their valid one, and short users kept whole
            int(np.count_nonzero(long & (runs.lengths >= 3)))
            + (short_users_n if short_users == "train" else 0),
            int(np.count_nonzero(two)),
            int(np.count_nonzero(long)),
        ],
    )
