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

import polars as pl

from recdata.errors import TransformError
from recdata.schema import ITEM_ID, SESSION, TIME

SrgnnDataset: TypeAlias = Literal["diginetica", "yoochoose"]
"""Which branch of the script: ``diginetica`` (also its ``sample`` file) or ``yoochoose``."""

PART = "srgnn_part"
"""Column the preprocessing adds: ``train`` or ``test`` (the side of SR-GNN's date split)."""

ORDER = "srgnn_order"
"""Column the preprocessing adds: the click's place (from 0) in its session in SR-GNN's order
(Diginetica: by timeframe; Yoochoose: file order), which a timestamp sort may not reproduce."""

TEST_DAYS: dict[str, int] = {"diginetica": 7, "yoochoose": 1}
"""Days before the latest session date where the script puts the split."""

_ROW, _FIRST, _DATE, _RANK = "__row", "__first", "__date", "__rank"


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
    names = lf.collect_schema().names()
    need = [session, item, time] + ([order] if dataset == "diginetica" and order else [])
    missing = [c for c in need if c not in names]
    if missing:
        raise TransformError(f"srgnn: the frame has no column(s) {missing} (has {names})")
    if dataset == "diginetica" and not order:
        raise TransformError("srgnn: dataset diginetica needs order (its timeframe column)")
    clash = {PART, ORDER, _ROW, _FIRST, _DATE, _RANK} & set(names)
    if clash:
        raise TransformError(f"srgnn: the frame already has column(s) {sorted(clash)}")
    df = lf.collect().with_row_index(_ROW)
    if df[time].null_count():
        raise TransformError(f"srgnn: column {time!r} has nulls; every click needs its date")
    try:
        seconds = _seconds(time, df.schema[time], timezone)
        # a session's date: its last row in file order (the script keeps overwriting it)
        sessions = df.group_by(session).agg(
            pl.col(_ROW).min().alias(_FIRST),
            seconds.get(pl.col(_ROW).arg_max()).alias(_DATE),
            pl.len().alias("__n"),
        )
    except pl.exceptions.PolarsError as exc:
        raise TransformError(
            f"srgnn: cannot read {time!r} as wall-clock time in {timezone!r}: "
            f"{str(exc).splitlines()[0]}"
        ) from exc
    n_sessions = sessions.height
    # length-1 sessions go first, before any count
    rows = df.filter(pl.len().over(session) != 1)
    length_one = n_sessions - rows[session].n_unique()
    # item counts taken once, on what is left; repeats count
    counts = rows.group_by(item).agg(pl.len().alias("__c"))
    rare = counts.filter(pl.col("__c") < min_item_count)
    kept = rows.filter(pl.len().over(item) >= min_item_count)
    rare_rows = rows.height - kept.height
    before = kept[session].n_unique()
    kept = kept.filter(pl.len().over(session) >= 2)
    alive = kept[session].n_unique()
    short = (rows[session].n_unique() - before) + (before - alive)
    if kept.height == 0:
        raise TransformError("srgnn: no session is left after the length and item filters")
    dated = kept.join(sessions.select(session, _FIRST, _DATE), on=session, how="left")
    max_date = int(dated[_DATE].max())  # type: ignore[arg-type]
    split = max_date - 86400 * TEST_DAYS[dataset]
    on_split = dated.filter(pl.col(_DATE) == split)[session].n_unique()
    # sessions by date, ties by first appearance in the file; clicks in the script's order
    click_order = [order] if dataset == "diginetica" else []
    keys = [_DATE, _FIRST, *click_order, _ROW]
    if dataset == "diginetica":
        dated = dated.with_columns(pl.col(order).cast(pl.Int64))
    train = dated.filter(pl.col(_DATE) < split).sort(keys)
    test = dated.filter(pl.col(_DATE) > split).sort(keys)
    test_sessions_before = test[session].n_unique()
    seen = train.select(item).unique()
    test_seen = test.join(seen, on=item, how="semi", maintain_order="left")
    unseen_rows = test.height - test_seen.height
    test_kept = test_seen.filter(pl.len().over(session) >= 2)
    n_train = train[session].n_unique()
    n_test = test_kept[session].n_unique()
    out = pl.concat(
        [
            train.with_columns(pl.lit("train").alias(PART)),
            test_kept.with_columns(pl.lit("test").alias(PART)),
        ],
        how="vertical",
    ).drop(_ROW, _FIRST, _DATE)
    out = out.with_columns(pl.int_range(pl.len(), dtype=pl.Int32).over(session).alias(ORDER))
    report = SrgnnReport(
        dataset=dataset,
        timezone=timezone,
        sessions_in=n_sessions,
        length_one_sessions=length_one,
        rare_items=rare.height,
        rare_item_rows=rare_rows,
        short_sessions_after_items=short,
        max_date=max_date,
        split_date=split,
        split_date_utc=dt.datetime.fromtimestamp(split, dt.UTC).isoformat(),
        split_day_sessions=on_split,
        train_sessions=n_train,
        test_sessions_before_filter=test_sessions_before,
        test_unseen_item_rows=unseen_rows,
        test_short_sessions=test_sessions_before - n_test,
        test_sessions=n_test,
        train_rows=train.height,
        test_rows=test_kept.height,
        train_items=seen.height,
        train_pairs=train.height - n_train,
        test_pairs=test_kept.height - n_test,
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
