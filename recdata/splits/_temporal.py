"""Global temporal split: one pair of cut-offs for everyone, by timestamp or quantile."""

from __future__ import annotations

import datetime as dt
import math

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
    Split,
    make_split,
    time_key,
    to_ms,
)
from recdata.transforms._codes import group_codes

_NULL = np.iinfo(np.int64).min
Cutoff = dt.datetime | dt.date | int


def _quantile_cut(keys: np.ndarray, q: float) -> int:
    """The ``q`` quantile of non-null time keys, "lower" rule: sorted[floor(q * (m - 1))]."""
    vals = keys[keys != _NULL]
    if len(vals) == 0:
        raise TransformError("global_temporal: quantiles need at least one non-null timestamp")
    k = int(math.floor(q * (len(vals) - 1) + 1e-9))
    return int(np.partition(vals, k)[k])


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
    if cutoffs is not None:
        if len(cutoffs) != 2:
            raise TransformError(f"global_temporal: cutoffs must be (t1, t2), got {cutoffs!r}")
        t1, t2 = to_ms(cutoffs[0], "cutoffs[0]"), to_ms(cutoffs[1], "cutoffs[1]")
    else:
        assert quantiles is not None
        if len(quantiles) != 2 or not 0 <= quantiles[0] <= quantiles[1] <= 1:
            raise TransformError(
                f"global_temporal: quantiles must be (q1, q2) with 0 <= q1 <= q2 <= 1, got {quantiles!r}"
            )
        t1, t2 = _quantile_cut(keys, quantiles[0]), _quantile_cut(keys, quantiles[1])
    if t1 > t2:
        raise TransformError(f"global_temporal: cut-offs must satisfy t1 <= t2, got {t1} > {t2}")
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
