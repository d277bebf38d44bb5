"""The Split result, its report, and the shared machinery: positions within users, part masks."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl
from pydantic import BaseModel, ConfigDict, Field

from recdata.errors import TransformError
from recdata.transforms._codes import encode, group_codes
from recdata.transforms._sort import sequence_order

TRAIN, VALID, TEST, DROPPED = 0, 1, 2, -1
_NULL = np.iinfo(np.int64).min
Cutoff = dt.datetime | dt.date | int


class PartCounts(BaseModel):
    """Rows, distinct users and distinct items of one part."""

    model_config = ConfigDict(extra="forbid")

    rows: int
    users: int
    items: int


class SplitReport(BaseModel):
    """What a split did: its parameters, the size of each part, what it dropped or moved."""

    model_config = ConfigDict(extra="forbid")

    protocol: str
    """Splitter name (``leave_one_out``, ``global_temporal``, ``ratio``, ``cold_start``)."""
    params: dict[str, Any]
    """Every parameter, as passed (cut-offs resolved to epoch milliseconds)."""
    rows_in: int
    """Rows of the input frame."""
    train: PartCounts
    valid: PartCounts
    test: PartCounts
    dropped: dict[str, int] = Field(default_factory=dict)
    """Rows dropped, by reason (e.g. ``short_users``, ``valid_unseen``)."""
    moved: dict[str, int] = Field(default_factory=dict)
    """Rows placed somewhere other than the protocol's rule says, by reason."""
    counts: dict[str, int] = Field(default_factory=dict)
    """Further facts (e.g. users with too few interactions, rows with an unseen item)."""


@dataclass(frozen=True)
class Split:
    """Train, valid and test lazy frames over one collected frame, with a report.

    ``partition`` is True when train, valid and test together are exactly the input rows;
    ``ordered`` when no valid/test row is earlier than its user's train rows.
    """

    train: pl.LazyFrame
    valid: pl.LazyFrame
    test: pl.LazyFrame
    report: SplitReport
    protocol: str
    params: dict[str, Any] = field(default_factory=dict)
    partition: bool = True
    ordered: bool = False

    def collect(self) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
        """The three parts as data frames, collected together."""
        train, valid, test = pl.collect_all([self.train, self.valid, self.test])
        return train, valid, test

    def parts(self) -> dict[str, pl.LazyFrame]:
        """``{"train": ..., "valid": ..., "test": ...}``."""
        return {"train": self.train, "valid": self.valid, "test": self.test}


def time_key(s: pl.Series) -> np.ndarray:
    """Int64 key of a time column (epoch ms for datetimes), nulls first (int64 min)."""
    if isinstance(s.dtype, pl.Datetime):
        # the canonical unit is ms: its physical integers are the key, with no copy
        phys = s.to_physical() if s.dtype.time_unit == "ms" else s.dt.epoch("ms")
    elif s.dtype == pl.Date:
        phys = s.cast(pl.Datetime("ms")).dt.epoch("ms")
    elif s.dtype.is_integer():
        phys = s.cast(pl.Int64)
    else:
        raise TransformError(
            f"column {s.name!r} has type {s.dtype}; expected a datetime or integer time column"
        )
    if phys.null_count():
        phys = phys.fill_null(np.iinfo(np.int64).min)
    return phys.to_numpy()


def to_ms(value: dt.datetime | dt.date | int, name: str) -> int:
    """A cut-off as epoch milliseconds (naive datetimes are UTC)."""
    if isinstance(value, bool):
        raise TransformError(f"{name} must be a datetime or int ms, got {value!r}")
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        delta = value - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
        return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000
    if isinstance(value, dt.date):
        return to_ms(dt.datetime(value.year, value.month, value.day), name)
    raise TransformError(f"{name} must be a datetime or int ms, got {value!r}")


def _quantile_cut(keys: np.ndarray, q: float, protocol: str) -> int:
    """The ``q`` quantile of non-null time keys, "lower" rule: sorted[floor(q * (m - 1))]."""
    vals = keys[keys != _NULL]
    if len(vals) == 0:
        raise TransformError(f"{protocol}: quantiles need at least one non-null timestamp")
    k = int(math.floor(q * (len(vals) - 1) + 1e-9))
    return int(np.partition(vals, k)[k])


def resolve_cutoffs(
    keys: np.ndarray,
    *,
    cutoffs: tuple[Cutoff, Cutoff] | None,
    quantiles: tuple[float, float] | None,
    protocol: str,
) -> tuple[int, int]:
    """A temporal split's two cut-offs in epoch ms: ``cutoffs`` as given, or ``quantiles`` of
    the non-null time ``keys`` (lower rule); checked so that t1 <= t2."""
    if cutoffs is not None:
        if len(cutoffs) != 2:
            raise TransformError(f"{protocol}: cutoffs must be (t1, t2), got {cutoffs!r}")
        t1, t2 = to_ms(cutoffs[0], "cutoffs[0]"), to_ms(cutoffs[1], "cutoffs[1]")
    else:
        assert quantiles is not None
        if len(quantiles) != 2 or not 0 <= quantiles[0] <= quantiles[1] <= 1:
            raise TransformError(
                f"{protocol}: quantiles must be (q1, q2) with 0 <= q1 <= q2 <= 1, got {quantiles!r}"
            )
        t1 = _quantile_cut(keys, quantiles[0], protocol)
        t2 = _quantile_cut(keys, quantiles[1], protocol)
    if t1 > t2:
        raise TransformError(f"{protocol}: cut-offs must satisfy t1 <= t2, got {t1} > {t2}")
    return t1, t2


@dataclass(frozen=True)
class Positions:
    """Each row's user code, 0-based position in its user's sequence and the user's length."""

    user: np.ndarray
    n_users: int
    pos: np.ndarray
    length: np.ndarray
    perm: np.ndarray | None
    """Permutation into sequence order (grouped by user, then time, then row); None when the
    rows already are in that order."""


def user_positions(
    df: pl.DataFrame, user: str, time: str | None, *, dense: bool = True
) -> Positions:
    """Positions of every row within its user's sequence order (time, then row order).

    ``dense=False`` allows sparse user codes (canonical indices used as they are).
    """
    n = df.height
    if dense:
        enc = encode(df[user])
        codes, n_codes, distinct = enc.codes, enc.size, enc.size
    else:
        codes, n_codes, distinct = group_codes(df[user])
    tkey = time_key(df[time]) if time is not None else np.zeros(n, dtype=np.int64)
    perm = sequence_order(codes, tkey, n_users=distinct)
    identity = perm is None
    us = codes if identity else codes[perm]
    pos = np.empty(n, dtype=np.int64)
    length = np.empty(n, dtype=np.int64)
    if n:
        change = np.empty(n, dtype=bool)
        change[0] = True
        np.not_equal(us[1:], us[:-1], out=change[1:])
        starts = np.flatnonzero(change)
        lengths = np.diff(np.r_[starts, n])
        run = np.cumsum(change, dtype=np.int64) - 1
        seq_pos = np.arange(n, dtype=np.int64) - starts[run]
        seq_len = lengths[run]
        if identity:
            pos, length = seq_pos, seq_len
        else:
            pos[perm] = seq_pos
            length[perm] = seq_len
    return Positions(user=codes, n_users=n_codes, pos=pos, length=length, perm=perm)


@dataclass(frozen=True)
class Runs:
    """Users' runs in sequence order: ``perm`` (None = rows already in order), run starts,
    run lengths, and each row's user code (input order)."""

    perm: np.ndarray | None
    starts: np.ndarray
    lengths: np.ndarray
    user: np.ndarray
    n_users: int


def user_runs(df: pl.DataFrame, user: str, time: str | None) -> Runs:
    """Each user's run of rows in sequence order; no per-row arrays beyond the grouping."""
    n = df.height
    codes, n_codes, _ = group_codes(df[user], distinct=False)
    tkey = time_key(df[time]) if time is not None else np.zeros(n, dtype=np.int64)
    perm = sequence_order(codes, tkey)
    identity = perm is None
    us = codes if identity else codes[perm]
    if n == 0:
        empty = np.empty(0, dtype=np.int64)
        return Runs(None, empty, empty, codes, n_codes)
    change = np.empty(n, dtype=bool)
    change[0] = True
    np.not_equal(us[1:], us[:-1], out=change[1:])
    starts = np.flatnonzero(change)
    lengths = np.diff(np.r_[starts, n])
    return Runs(None if identity else perm, starts, lengths, codes, n_codes)


def _distinct_per_part(part: np.ndarray, codes: np.ndarray, k: int) -> list[int]:
    """Distinct codes among the rows of each part (0, 1, 2): one pass marking a flag table
    (cheaper than a bincount, which widens and counts)."""
    valid = part >= 0
    wide = np.int64 if 3 * k >= 2**31 else np.int32
    key = np.multiply(part, k, dtype=wide)
    key += codes
    if not bool(valid.all()):
        key = key[valid]
    seen = np.zeros(3 * k, dtype=bool)
    seen[key] = True
    return [int(x) for x in np.count_nonzero(seen.reshape(3, k), axis=1)]


def make_split(
    df: pl.DataFrame,
    part: np.ndarray,
    *,
    protocol: str,
    params: dict[str, Any],
    user: str,
    item: str,
    ordered: bool,
    dropped: dict[str, int] | None = None,
    moved: dict[str, int] | None = None,
    counts: dict[str, int] | None = None,
    ucodes: np.ndarray | None = None,
    user_counts: list[int] | None = None,
) -> Split:
    """Build a :class:`Split` from a per-row part code (0 train, 1 valid, 2 test, -1 dropped).

    ``user_counts``: the distinct users of train, valid and test when the caller knows them
    (leave-one-out does, from the users' runs), so no pass over the rows counts them.
    """
    if user_counts is not None:
        users = user_counts
    else:
        if ucodes is None:
            ucodes, nu, _ = group_codes(df[user], distinct=False)
        else:
            nu = int(ucodes.max()) + 1 if len(ucodes) else 0
        users = _distinct_per_part(part, ucodes, max(nu, 1))
    if item in df.columns:
        icodes, ni, _ = group_codes(df[item], distinct=False)
    else:
        icodes, ni = np.zeros(df.height, dtype=np.int32), 1
    rows = np.bincount(part[part >= 0], minlength=3) if len(part) else np.zeros(3, dtype=np.int64)
    items = _distinct_per_part(part, icodes, max(ni, 1))
    pc = [PartCounts(rows=int(rows[k]), users=users[k], items=items[k]) for k in range(3)]
    # lazy: a sink (sink_parquet) streams each part out of df with no copy of the whole part
    frames = [df.lazy().filter(pl.Series(part == k)) for k in (TRAIN, VALID, TEST)]
    report = SplitReport(
        protocol=protocol,
        params=params,
        rows_in=df.height,
        train=pc[0],
        valid=pc[1],
        test=pc[2],
        dropped=dropped or {},
        moved=moved or {},
        counts=counts or {},
    )
    partition = not bool(np.any(part == DROPPED))
    return Split(
        train=frames[0],
        valid=frames[1],
        test=frames[2],
        report=report,
        protocol=protocol,
        params=params,
        partition=partition,
        ordered=ordered,
    )


def check_ratios(
    ratios: tuple[float, float, float] | list[float], name: str
) -> tuple[float, float, float]:
    """Validate three non-negative fractions summing to 1."""
    r = tuple(float(x) for x in ratios)
    if len(r) != 3 or any(x < 0 for x in r) or abs(sum(r) - 1.0) > 1e-6:
        raise TransformError(
            f"{name}: ratios must be three non-negative numbers summing to 1, got {list(ratios)}"
        )
    return r  # type: ignore[return-value]


def boundaries(length: np.ndarray, r: tuple[float, float, float]) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative cut points ``floor(L*r1)``, ``floor(L*(r1+r2))`` (1e-9 slack for float error)."""
    lf = length.astype(np.float64)
    b1 = np.floor(lf * r[0] + 1e-9).astype(np.int64)
    b2 = np.floor(lf * (r[0] + r[1]) + 1e-9).astype(np.int64)
    return b1, np.maximum(b2, b1)
