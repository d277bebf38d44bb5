"""Global temporal split: one pair of cut-offs for everyone, by timestamp or quantile."""

from __future__ import annotations

import numpy as np
import polars as pl

from recdata._types import TemporalUnseen
from recdata.errors import TransformError
from recdata.schema import ITEM, TIME, USER
from recdata.splits._history import add_history
from recdata.splits._split import (
    DROPPED,
    TEST,
    TRAIN,
    VALID,
    Cutoff,
    Split,
    make_split,
    resolve_cutoffs,
    time_key,
)
from recdata.transforms._codes import group_codes


def global_temporal(
    lf: pl.LazyFrame,
    *,
    cutoffs: tuple[Cutoff, Cutoff] | None = None,
    quantiles: tuple[float, float] | None = None,
    unseen: TemporalUnseen = "keep",
    gap: float = 0,
    user: str = USER,
    item: str = ITEM,
    time: str = TIME,
    history: bool = False,
    history_cap: int | None = None,
) -> Split:
    """Split by two global cut-offs: ``train < t1 <= valid < t2 <= test``.

    Give ``cutoffs`` (datetimes, naive = UTC, or epoch ms; Amazon 2023 uses 1628643414042 and
    1658002729837) or ``quantiles`` (q1 <= q2 of all non-null timestamps, lower rule). Rows
    with a null timestamp count as earliest (train). Valid/test rows whose user or item never
    occurs in train are counted and kept (``unseen="keep"``) or dropped (``"drop"``); with
    ``"drop_users"`` only rows of users unseen in train are dropped (Yambda's benchmark rule).
    ``gap`` (seconds) leaves a gap before each cut-off: rows with ``t - gap <= time < t`` are
    dropped and counted, so train < t1 - gap and valid < t2 - gap (Yambda: 30 minutes).
    """
    if (cutoffs is None) == (quantiles is None):
        raise TransformError("global_temporal: give exactly one of cutoffs or quantiles")
    if unseen not in ("keep", "drop", "drop_users"):
        raise TransformError(
            f"global_temporal: unseen={unseen!r} is not one of keep, drop, drop_users"
        )
    if gap < 0:
        raise TransformError(f"global_temporal: gap must be >= 0 seconds, got {gap!r}")
    df = lf.collect()
    keys = time_key(df[time])
    t1, t2 = resolve_cutoffs(keys, cutoffs=cutoffs, quantiles=quantiles, protocol="global_temporal")
    if history:
        df = add_history(df.lazy(), user=user, item=item, time=time, cap=history_cap).collect()
    part = np.where(keys < t1, TRAIN, np.where(keys < t2, VALID, TEST)).astype(np.int8)
    gap_ms = int(round(gap * 1000))
    in_gap = np.zeros(len(part), dtype=bool)
    if gap_ms:
        in_gap = ((keys >= t1 - gap_ms) & (keys < t1)) | ((keys >= t2 - gap_ms) & (keys < t2))
        part[in_gap] = DROPPED
    ucodes, urange, _ = group_codes(df[user], distinct=False)
    icodes, irange, _ = group_codes(df[item], distinct=False)
    train = part == TRAIN
    seen_u = np.bincount(ucodes[train], minlength=urange) > 0
    seen_i = np.bincount(icodes[train], minlength=irange) > 0
    evaluated = (part == VALID) | (part == TEST)
    new_u = ~seen_u[ucodes] & evaluated
    new_i = ~seen_i[icodes] & evaluated
    new = new_u | new_i
    counts: dict[str, int] = {}
    dropped: dict[str, int] = {}
    for name, code in (("valid", VALID), ("test", TEST)):
        in_part = part == code
        counts[f"{name}_unseen_user_rows"] = int(np.count_nonzero(new_u & in_part))
        counts[f"{name}_unseen_item_rows"] = int(np.count_nonzero(new_i & in_part))
        counts[f"{name}_unseen_rows"] = int(np.count_nonzero(new & in_part))
        if unseen == "drop":
            dropped[f"{name}_unseen"] = counts[f"{name}_unseen_rows"]
    if unseen == "drop_users":
        for name, code in (("valid", VALID), ("test", TEST)):
            dropped[f"{name}_unseen_users"] = int(np.count_nonzero(new_u & (part == code)))
        part[new_u] = DROPPED
    if unseen == "drop":
        part[new] = DROPPED
    if gap_ms:
        dropped["gap"] = int(np.count_nonzero(in_gap))
    params = {
        "cutoffs": [t1, t2],
        "quantiles": list(quantiles) if quantiles is not None else None,
        "unseen": unseen,
        "gap": gap,
        "history": history,
        "history_cap": history_cap,
    }
    return make_split(
        df,
        part,
        protocol="global_temporal",
        params=params,
        user=user,
        item=item,
        ordered=True,
        dropped=dropped,
        counts=counts,
        ucodes=ucodes,
    )
