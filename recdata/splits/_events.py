"""Target-behaviour protocol: evaluate one behaviour (purchases) while training on all of them.

A base protocol (leave-one-out, chronological ratio or global temporal) runs on the target-event
rows only and gives valid/test. Train is the base's train target rows plus every other-event row
that precedes the cut: per user the user's first valid/test row in sequence order (leave-one-out,
ratio), or the first cut-off ``t1`` for everyone (global temporal). Other-event rows after the cut
and target rows the base dropped go nowhere; both are counted. A user without any target row
keeps all rows in train (no cut); a user whose target rows the base dropped entirely
(``short_users: drop``) is dropped whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, TypeAlias

import numpy as np
import polars as pl

from recdata.errors import TransformError
from recdata.schema import EVENT, ITEM, TIME, USER
from recdata.splits._history import add_history
from recdata.splits._split import DROPPED, TEST, TRAIN, VALID, Split, make_split, time_key
from recdata.transforms._codes import group_codes

TargetBase: TypeAlias = Literal["leave_one_out", "ratio", "global_temporal"]
_POS = "__target_pos"


def target_event(
    lf: pl.LazyFrame,
    *,
    target: Sequence[str],
    base: TargetBase = "leave_one_out",
    base_params: dict[str, Any] | None = None,
    event: str = EVENT,
    user: str = USER,
    item: str = ITEM,
    time: str = TIME,
    history: bool = False,
    history_cap: int | None = None,
) -> Split:
    """Split so valid/test hold only ``target`` events and train holds every event before the cut.

    ``base_params`` are the base splitter's options (``min_interactions``, ``cutoffs``...);
    ``ratio`` must be chronological. With ``history``, each row's history lists the user's
    earlier items of every event type. The input must be in sequence order (as indexed
    interactions are).
    """
    from recdata.splits import SPLITTERS

    params = dict(base_params or {})
    if base not in ("leave_one_out", "ratio", "global_temporal"):
        raise TransformError(
            f"target_event: base {base!r} is not one of leave_one_out, ratio, global_temporal"
        )
    if base == "ratio" and params.get("order", "chronological") != "chronological":
        raise TransformError(
            "target_event: base ratio must be chronological (order: chronological)"
        )
    if not target:
        raise TransformError("target_event: target must name at least one event type")
    for key in ("history", "history_cap"):
        params.pop(key, None)
    df = lf.collect()
    if event not in df.columns:
        raise TransformError(f"target_event: the interactions have no {event!r} column")
    if history:
        df = add_history(df.lazy(), user=user, item=item, time=time, cap=history_cap).collect()
    is_target = df[event].is_in(list(target)).to_numpy()
    positions = np.arange(df.height, dtype=np.int64)
    targets = df.with_columns(pl.Series(_POS, positions)).filter(pl.Series(is_target))
    inner = SPLITTERS[base](targets.lazy(), user=user, item=item, time=time, **params)
    train_t, valid_t, test_t = inner.collect()
    part = np.full(df.height, DROPPED, dtype=np.int8)
    part[train_t[_POS].to_numpy()] = TRAIN
    part[valid_t[_POS].to_numpy()] = VALID
    part[test_t[_POS].to_numpy()] = TEST
    ucodes, n_users, _ = group_codes(df[user], distinct=False)
    other = ~is_target
    if base == "global_temporal":
        t1 = int(inner.report.params["cutoffs"][0])
        before = time_key(df[time]) < t1
        kept_user = np.ones(max(n_users, 1), dtype=bool)
    else:
        evaluated = (part == VALID) | (part == TEST)
        cut = np.full(max(n_users, 1), np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(cut, ucodes[evaluated], positions[evaluated])
        before = positions < cut[ucodes]
        # a user whose target rows the base dropped entirely (short_users: drop) is dropped
        # whole; a user with no target row keeps every row in train (no cut)
        has_target = np.zeros(max(n_users, 1), dtype=bool)
        has_target[ucodes[is_target]] = True
        placed = np.zeros(max(n_users, 1), dtype=bool)
        placed[ucodes[part != DROPPED]] = True
        kept_user = ~has_target | placed
    part[other & before & kept_user[ucodes]] = TRAIN
    dropped = {
        "other_events_after_cut": int(np.count_nonzero(other & (part == DROPPED))),
        "target_dropped_by_base": int(np.count_nonzero(is_target & (part == DROPPED))),
    }
    counts = {
        "target_rows": int(np.count_nonzero(is_target)),
        "other_rows": int(np.count_nonzero(other)),
        **{f"base_{k}": v for k, v in inner.report.dropped.items()},
    }
    resolved = {k: v for k, v in inner.report.params.items() if k not in ("history", "history_cap")}
    return make_split(
        df,
        part,
        protocol="target_event",
        params={
            "target": list(target),
            "base": base,
            "base_params": resolved,
            "history": history,
            "history_cap": history_cap,
        },
        user=user,
        item=item,
        ordered=True,
        dropped=dropped,
        counts=counts,
        ucodes=ucodes,
    )
