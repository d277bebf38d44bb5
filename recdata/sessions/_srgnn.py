"""SR-GNN's preprocessing of Diginetica and Yoochoose (``CRIPAC-DIG/SR-GNN``
``datasets/preprocess.py``), rule for rule, as one vectorised polars function.

The rules (docs/sessions.md states each with its reason): a session's date is the date of its
last row in file order, read as wall-clock time in a time zone (the script's ``time.mktime``);
Diginetica clicks are stably sorted by ``timeframe``, Yoochoose clicks keep file order;
length-1 sessions are dropped; item counts are taken once, on what is left, and rows of items
seen fewer than 5 times are dropped, then sessions left with fewer than 2 rows; repeats are
kept; the split day is the latest remaining session date minus 7 days (Diginetica and the
sample file) or 1 day (Yoochoose): train is ``date < split``, test ``date > split`` and a
session dated exactly on the split is in neither; sessions are ordered by date, ties by first
appearance in the file; test rows whose item is not in train are dropped, then test sessions
left with fewer than 2 rows. The output rows are in SR-GNN's order (train sessions, then test
sessions) with each click's place in its session, so indices numbered by first appearance
(``index: {order: input}``) are SR-GNN's and its click order survives the sequence sort.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any, Literal, TypeAlias

import numpy as np
import polars as pl

from recdata.errors import TransformError
from recdata.schema import ITEM_ID, SESSION, TIME
from recdata.transforms._codes import encode_pair
from recdata.transforms._sort import stable_argsort

SrgnnDataset: TypeAlias = Literal["diginetica", "yoochoose"]
"""Which branch of the script: ``diginetica`` (also its ``sample`` file) or ``yoochoose``."""

PART = "srgnn_part"
"""Column the preprocessing adds: ``train`` or ``test`` (the side of SR-GNN's date split)."""

ORDER = "srgnn_order"
"""Column the preprocessing adds: the click's place (from 0) in its session in SR-GNN's order
(Diginetica: by timeframe; Yoochoose: file order), which a timestamp sort may not reproduce."""

TEST_DAYS: dict[str, int] = {"diginetica": 7, "yoochoose": 1}
"""Days before the latest session date where the script puts the split."""


@dataclass(frozen=True)
class SrgnnReport:
    """Counts of each rule of :func:`srgnn_preprocess` (recorded in the manifest)."""

    dataset: str
    timezone: str
    sessions_in: int
    length_one_sessions: int
    rare_items: int
    rare_item_rows: int
    short_sessions_after_items: int
    max_date: int
    split_date: int
    split_date_utc: str
    split_day_sessions: int
    train_sessions: int
    test_sessions_before_filter: int
    test_unseen_item_rows: int
    test_short_sessions: int
    test_sessions: int
    train_rows: int
    test_rows: int
    train_items: int
    train_pairs: int
    test_pairs: int

    def as_dict(self) -> dict[str, Any]:
        """The report as plain JSON-ready data."""
        return asdict(self)


def _seconds(time: str, dtype: pl.DataType, timezone: str) -> pl.Expr:
    """``time.mktime`` of the wall-clock time (to the second) read in ``timezone``."""
    t = pl.col(time)
    if isinstance(dtype, pl.Datetime):
        if dtype.time_zone is not None:
            t = t.dt.replace_time_zone(None)
    elif dtype == pl.Date:
        t = t.cast(pl.Datetime("ms"))
    else:
        raise TransformError(
            f"srgnn: column {time!r} has type {dtype}; expected a date or datetime column"
        )
    return (
        t.dt.truncate("1s")
        .dt.replace_time_zone(timezone, ambiguous="earliest", non_existent="raise")
        .dt.epoch("s")
    )


def _runs(codes_sorted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start of each run of equal codes in ``codes_sorted`` and each row's place in its run."""
    n = len(codes_sorted)
    change = np.empty(n, dtype=bool)
    if n:
        change[0] = True
        np.not_equal(codes_sorted[1:], codes_sorted[:-1], out=change[1:])
    starts = np.flatnonzero(change)
    run = np.cumsum(change) - 1
    return starts, np.arange(n, dtype=np.int64) - starts[run]


def srgnn_preprocess_report(
    lf: pl.LazyFrame,
    *,
    dataset: SrgnnDataset,
    timezone: str = "UTC",
    min_item_count: int = 5,
    order: str | None = "timeframe",
    session: str = SESSION,
    item: str = ITEM_ID,
    time: str = TIME,
) -> tuple[pl.DataFrame, SrgnnReport]:
    """:func:`srgnn_preprocess` and the count of every rule it applied."""
    if dataset not in TEST_DAYS:
        raise TransformError(f"srgnn: dataset={dataset!r} is not one of diginetica, yoochoose")
    if dataset == "diginetica" and not order:
        raise TransformError("srgnn: dataset diginetica needs order (its timeframe column)")
    names = lf.collect_schema().names()
    need = [session, item, time] + ([order] if dataset == "diginetica" and order else [])
    missing = [c for c in need if c not in names]
    if missing:
        raise TransformError(f"srgnn: the frame has no column(s) {missing} (has {names})")
    if PART in names or ORDER in names:
        raise TransformError(f"srgnn: the frame already has column(s) {PART!r}/{ORDER!r}")
    df = lf.collect()
    if df[time].null_count():
        raise TransformError(f"srgnn: column {time!r} has nulls; every click needs its date")
    n = df.height
    enc_s, enc_i = encode_pair(df[session], df[item])
    s, i = enc_s.codes, enc_i.codes
    n_s, n_i = enc_s.size, enc_i.size
    del enc_s, enc_i
    # each session's first and last row in file order; its date is its last row's
    rows_ = np.arange(n, dtype=np.int64)
    first_row = np.full(n_s, n, dtype=np.int64)
    np.minimum.at(first_row, s, rows_)
    last_row = np.zeros(n_s, dtype=np.int64)
    np.maximum.at(last_row, s, rows_)
    del rows_
    try:
        last = df.select(pl.col(time).gather(last_row))
        date = last.select(_seconds(time, last.schema[time], timezone)).to_series().to_numpy()
    except pl.exceptions.PolarsError as exc:
        raise TransformError(
            f"srgnn: cannot read {time!r} as wall-clock time in {timezone!r}: "
            f"{str(exc).splitlines()[0]}"
        ) from exc
    del last_row
    # length-1 sessions go first, before any count
    length = np.bincount(s, minlength=n_s)
    kept = length[s] != 1
    # item counts taken once, on what is left; repeats count
    counts = np.bincount(i[kept], minlength=n_i)
    rare = (counts > 0) & (counts < min_item_count)
    rare_rows = int(np.count_nonzero(kept & rare[i]))
    kept &= counts[i] >= min_item_count
    left = np.bincount(s[kept], minlength=n_s)
    kept &= left[s] >= 2
    alive = left >= 2
    if not alive.any():
        raise TransformError("srgnn: no session is left after the length and item filters")
    max_date = int(date[alive].max())
    split = max_date - 86400 * TEST_DAYS[dataset]
    train_s = alive & (date < split)
    test_s = alive & (date > split)
    # sessions by date, ties by first appearance in the file; train sessions before test ones
    rank = np.empty(n_s, dtype=np.int64)
    rank[np.lexsort((first_row, date))] = np.arange(n_s)
    rank[test_s] += n_s
    del first_row
    train_rows = kept & train_s[s]
    seen = np.bincount(i[train_rows], minlength=n_i) > 0
    train_n_rows = int(np.count_nonzero(train_rows))
    del train_rows
    test_rows = kept & test_s[s]
    unseen_rows = int(np.count_nonzero(test_rows & ~seen[i]))
    test_rows &= seen[i]
    kept &= train_s[s]  # train rows (a session dated on the split is in neither)
    test_left = np.bincount(s[test_rows], minlength=n_s)
    test_rows &= test_left[s] >= 2
    test_n_rows = int(np.count_nonzero(test_rows))
    kept |= test_rows
    del test_rows, i
    rows = np.flatnonzero(kept)
    del kept
    # clicks by timeframe (Diginetica, stable) or file order (Yoochoose), sessions by rank
    if dataset == "diginetica":
        assert order is not None
        within = df[order].cast(pl.Int64).to_numpy()[rows]
        rows = rows[stable_argsort(within)]
        del within
    key = rank[s[rows]]
    del s
    perm = stable_argsort(key)
    rows = rows[perm]
    key = key[perm]
    del perm
    _, place = _runs(key)
    is_test = key >= n_s
    del key
    out = df[pl.Series(rows)]
    del rows
    out = out.with_columns(
        pl.when(pl.Series(is_test)).then(pl.lit("test")).otherwise(pl.lit("train")).alias(PART),
        pl.Series(ORDER, place, dtype=pl.Int32),
    )
    del is_test, place
    n_train = int(np.count_nonzero(train_s))
    n_test = int(np.count_nonzero(test_s & (test_left >= 2)))
    test_before = int(np.count_nonzero(test_s))
    report = SrgnnReport(
        dataset=dataset,
        timezone=timezone,
        sessions_in=n_s,
        length_one_sessions=int(np.count_nonzero(length == 1)),
        rare_items=int(np.count_nonzero(rare)),
        rare_item_rows=rare_rows,
        short_sessions_after_items=int(np.count_nonzero((length > 1) & ~alive)),
        max_date=max_date,
        split_date=split,
        split_date_utc=dt.datetime.fromtimestamp(split, dt.UTC).isoformat(),
        split_day_sessions=int(np.count_nonzero(alive & (date == split))),
        train_sessions=n_train,
        test_sessions_before_filter=test_before,
        test_unseen_item_rows=unseen_rows,
        test_short_sessions=test_before - n_test,
        test_sessions=n_test,
        train_rows=train_n_rows,
        test_rows=test_n_rows,
        train_items=int(np.count_nonzero(seen)),
        train_pairs=train_n_rows - n_train,
        test_pairs=test_n_rows - n_test,
    )
    return out, report


def srgnn_preprocess(
    lf: pl.LazyFrame,
    *,
    dataset: SrgnnDataset,
    timezone: str = "UTC",
    min_item_count: int = 5,
    order: str | None = "timeframe",
    session: str = SESSION,
    item: str = ITEM_ID,
    time: str = TIME,
) -> pl.LazyFrame:
    """The rows SR-GNN's ``preprocess.py`` keeps, in its order, with :data:`PART` and
    :data:`ORDER` added.

    ``lf`` is in file order (that order breaks ties and gives each session's date);
    ``dataset`` picks the script's branch; ``timezone`` is the local zone ``time.mktime`` used
    (it moves the split boundary when a DST change falls between it and the latest date);
    ``order`` is Diginetica's ``timeframe`` column (ignored for Yoochoose).
    """
    out, _ = srgnn_preprocess_report(
        lf,
        dataset=dataset,
        timezone=timezone,
        min_item_count=min_item_count,
        order=order,
        session=session,
        item=item,
        time=time,
    )
    return out.lazy()


__all__ = [
    "ORDER",
    "PART",
    "TEST_DAYS",
    "SrgnnDataset",
    "SrgnnReport",
    "srgnn_preprocess",
    "srgnn_preprocess_report",
]
