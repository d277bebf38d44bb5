"""Session steps and protocols on Spark: sessionize, short sessions, rare items, repeats,
SR-GNN's preprocessing and split, last-session-out and the temporal split of sessions.

Each gives the rows, order and report of its polars counterpart in :mod:`recdata.sessions`
and :mod:`recdata.splits`: sequence order within a session is (time, ``_row``) on raw-id
frames and ``interaction_idx`` on indexed ones; all per-row work is window functions and
joins, and only per-session tables are ever ordered on one partition.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

import polars as pl

from recdata import schema as S
from recdata.engines._base import SplitResult
from recdata.engines.spark._frames import LONG_MIN, ROW, checkpoint, time_key
from recdata.engines.spark._splits import PART, _ms, _result, add_history
from recdata.errors import TransformError
from recdata.sessions._srgnn import ORDER, TEST_DAYS
from recdata.sessions._srgnn import PART as SRGNN_PART
from recdata.sessions._steps import _gap_ms
from recdata.splits._split import DROPPED, TEST, TRAIN, VALID, resolve_cutoffs

U, IT, SES = S.USER_ID, S.ITEM_ID, S.SESSION


def _window(*partition: str) -> Any:
    from pyspark.sql import Window

    return Window.partitionBy(*partition)


def _names(frame: Any) -> list[str]:
    """The frame's columns as the polars frame has them (without ``_row``)."""
    return [c for c in frame.columns if c != ROW]


def _check_columns(frame: Any, step: str, *columns: str) -> None:
    names = _names(frame)
    missing = [c for c in columns if c not in names]
    if missing:
        raise TransformError(f"{step}: the frame has no column(s) {missing} (has {names})")


def _is_timestamp(frame: Any, column: str) -> bool:
    from pyspark.sql.types import TimestampNTZType, TimestampType

    return isinstance(frame.schema[column].dataType, TimestampType | TimestampNTZType)


def _order_key(frame: Any, column: str | None) -> Any:
    """Int64 sort key of a time column, nulls first (as polars' ``order_key``)."""
    from pyspark.sql import functions as F

    if column is None or column not in frame.columns:
        return F.lit(0).cast("long")
    if _is_timestamp(frame, column):
        return time_key(frame, column)
    return F.coalesce(F.col(column).cast("long"), F.lit(LONG_MIN).cast("long"))


def _raw_strings(
    frame: Any, column: str, codes: dict[str, pl.Series], stage: Any, spark: Any
) -> Any:
    """``frame`` with ``_raw``: ``column`` as the string polars casts it to (codes of
    :func:`~recdata.engines.spark._frames.encode_ids` decoded by a join with their values)."""
    from pyspark.sql import functions as F

    if column not in codes:
        return frame.withColumn("_raw", F.col(column).cast("string"))
    values = codes[column]
    table = pl.DataFrame(
        {"_code": pl.int_range(values.len(), dtype=pl.Int64, eager=True), "_raw": values}
    )
    vocab = stage.put(spark, table).withColumnRenamed("_code", column)
    return frame.join(vocab, column, "left")


# --------------------------------------------------------------------------- steps


def sessionize(
    frame: Any, *, gap: float, codes: dict[str, pl.Series], stage: Any, spark: Any
) -> Any:
    """``session_id`` = ``<user>:<n>``: a user's rows in (time, ``_row``) order, a new session
    where the time since the previous row is strictly greater than ``gap`` seconds."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    _check_columns(frame, "sessionize", U, S.TIME)
    if SES in frame.columns:
        raise TransformError(
            f"sessionize: the frame already has a {SES!r} column; drop it or name another"
        )
    gap_ms = _gap_ms(gap)
    if frame.filter(F.col(S.TIME).isNull()).limit(1).count():
        raise TransformError(
            f"sessionize: column {S.TIME!r} has null timestamps; filter them first"
        )
    t = F.col(S.TIME)
    ms = F.unix_millis(t) if _is_timestamp(frame, S.TIME) else t.cast("long")
    seq = Window.partitionBy(U).orderBy(_order_key(frame, S.TIME), F.col(ROW))
    prev = F.lag(ms).over(seq)
    new = F.when(prev.isNull() | (ms - prev > F.lit(gap_ms)), 1).otherwise(0)
    running = seq.rowsBetween(Window.unboundedPreceding, Window.currentRow)
    numbered = frame.withColumn("_new", new).withColumn("_n", F.sum("_new").over(running))
    named = _raw_strings(numbered, U, codes, stage, spark)
    label = F.concat(F.col("_raw"), F.lit(":"), F.col("_n").cast("string"))
    return named.select(*frame.columns, label.alias(SES))


def drop_short_sessions(frame: Any, *, min_length: int) -> Any:
    """Rows of sessions with at least ``min_length`` rows."""
    from pyspark.sql import functions as F

    _check_columns(frame, "drop_short_sessions", SES)
    if min_length < 0:
        raise TransformError(f"drop_short_sessions: min_length must be >= 0, got {min_length}")
    size = F.count(F.lit(1)).over(_window(SES))
    return frame.withColumn("_size", size).filter(F.col("_size") >= min_length).drop("_size")


def drop_rare_items(
    frame: Any, *, min_count: int, mode: str, min_session_length: int, max_rounds: int | None
) -> tuple[Any, dict[str, Any]]:
    """Rows of items seen at least ``min_count`` times, then of sessions left with at least
    ``min_session_length`` rows; ``iterative`` repeats both to the fixed point. Returns the
    rows and ``{"rounds", "converged"}`` as the polars report counts them."""
    from pyspark.sql import functions as F

    _check_columns(frame, "drop_rare_items", IT, SES)
    if mode not in ("once", "iterative"):
        raise TransformError(f"drop_rare_items: mode={mode!r} is not one of once, iterative")
    if min_count < 0 or min_session_length < 0:
        raise TransformError("drop_rare_items: min_count and min_session_length must be >= 0")
    rows = frame.count()
    rounds, converged = 0, True
    while True:
        if mode == "iterative" and max_rounds is not None and rounds >= max_rounds:
            converged = False
            break
        # item counts by a partial aggregation (no task holds a popular item's rows), the
        # kept items as a null-safe semi-join; session lengths by a window (sessions are short)
        good = frame.groupBy(F.col(IT).alias("_good")).count().filter(F.col("count") >= min_count)
        kept = (
            frame.join(good.select("_good"), F.col(IT).eqNullSafe(F.col("_good")), "left_semi")
            .withColumn("_s", F.count(F.lit(1)).over(_window(SES)))
            .filter(F.col("_s") >= min_session_length)
            .drop("_s")
        )
        kept = checkpoint(kept)
        left = kept.count()
        rounds += 1
        changed = left != rows
        frame, rows = kept, left
        if mode == "once" or not changed:
            break
    return frame, {"rounds": rounds, "converged": converged}


def remove_repeats(frame: Any) -> Any:
    """Rows whose item differs from the previous row's in the same session ((time, ``_row``)
    order); the first row of a session always stays."""
    from pyspark.sql import functions as F

    _check_columns(frame, "remove_repeats", IT, SES)
    seq = _window(SES).orderBy(_order_key(frame, S.TIME), F.col(ROW))
    repeat = F.lag(F.col(ROW)).over(seq).isNotNull() & F.col(IT).eqNullSafe(
        F.lag(F.col(IT)).over(seq)
    )
    return frame.withColumn("_rep", repeat).filter(~F.col("_rep")).drop("_rep")


# --------------------------------------------------------------------------- SR-GNN


def _wall_seconds(frame: Any, time: str, timezone: str) -> Any:
    """``time.mktime`` of the wall-clock time (to the second) read in ``timezone``, and the
    check that it exists there (a time in a DST gap is an error, as in polars)."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import DateType

    kind = frame.schema[time].dataType
    if isinstance(kind, DateType):
        t = F.col(time).cast("timestamp")
    elif _is_timestamp(frame, time):
        t = F.col(time)
    else:
        raise TransformError(
            f"srgnn: column {time!r} has type {kind.simpleString()}; "
            "expected a date or datetime column"
        )
    local = F.date_trunc("second", t)
    instant = F.to_utc_timestamp(local, timezone)
    exists = F.from_utc_timestamp(instant, timezone) == local
    return F.unix_seconds(instant), exists


def srgnn(
    frame: Any,
    *,
    dataset: str,
    timezone: str,
    min_item_count: int,
    order: str | None,
) -> tuple[Any, dict[str, Any]]:
    """SR-GNN's preprocessing (see :mod:`recdata.sessions._srgnn`): the rows it keeps with
    ``srgnn_part`` and ``srgnn_order``, ``_row`` renumbered to SR-GNN's order (train sessions,
    then test, by date then first appearance; clicks by ``order`` or file order), and the
    report of every rule as a dict. Two passes of window flags, each with one aggregate."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    if dataset not in TEST_DAYS:
        raise TransformError(f"srgnn: dataset={dataset!r} is not one of diginetica, yoochoose")
    if dataset == "diginetica" and not order:
        raise TransformError("srgnn: dataset diginetica needs order (its timeframe column)")
    names = _names(frame)
    need = [SES, IT, S.TIME] + ([order] if dataset == "diginetica" and order else [])
    missing = [c for c in need if c not in names]
    if missing:
        raise TransformError(f"srgnn: the frame has no column(s) {missing} (has {names})")
    if SRGNN_PART in names or ORDER in names:
        raise TransformError(f"srgnn: the frame already has column(s) {SRGNN_PART!r}/{ORDER!r}")
    seconds, exists = _wall_seconds(frame, S.TIME, timezone)
    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise TransformError(
            f"srgnn: cannot read {S.TIME!r} as wall-clock time in {timezone!r}: "
            f"unknown time zone ({type(exc).__name__})"
        ) from exc
    # pass 1: each session (keyed by its first row in file order) with its length and date
    # (its last row's); length-1 sessions out; item counts once on what is left; sessions
    # left below 2 out
    whole, items = _window(SES), _window(IT)
    last = F.max_by(F.struct(seconds.alias("d"), exists.alias("e")), F.col(ROW)).over(whole)
    first = F.min(ROW).over(whole)
    flags = frame.select(
        *frame.columns,
        first.alias("_first"),
        F.count(F.lit(1)).over(whole).alias("_len"),
        last.alias("_de"),
    )
    flags = flags.withColumn("_l1", F.col("_len") != 1)
    flags = flags.withColumn("_ic", F.sum(F.col("_l1").cast("long")).over(items))
    flags = flags.withColumn("_k1", F.col("_l1") & (F.col("_ic") >= min_item_count))
    left = F.sum(F.col("_k1").cast("long")).over(_window("_first"))
    flags = flags.withColumn("_alive", left >= 2)
    flags = checkpoint(flags.withColumn("_k2", F.col("_k1") & F.col("_alive")))
    rare = F.col("_l1") & (F.col("_ic") < min_item_count)
    session = F.col("_first")
    one = flags.agg(
        F.sum(F.col(S.TIME).isNull().cast("long")).alias("nulls"),
        F.min(F.col("_de.e").cast("int")).alias("exists"),
        F.countDistinct(session).alias("sessions_in"),
        F.countDistinct(F.when(F.col("_len") == 1, session)).alias("one"),
        F.countDistinct(F.when(F.col("_l1") & ~F.col("_alive"), session)).alias("short"),
        F.countDistinct(F.when(rare, F.col(IT))).alias("rare_items"),
        F.max((rare & F.col(IT).isNull()).cast("int")).alias("rare_null_item"),
        F.sum(rare.cast("long")).alias("rare_rows"),
        F.max(F.when(F.col("_k2"), F.col("_de.d"))).alias("max_date"),
    ).collect()[0]
    if one["nulls"]:
        raise TransformError(f"srgnn: column {S.TIME!r} has nulls; every click needs its date")
    if one["exists"] == 0:
        raise TransformError(
            f"srgnn: cannot read {S.TIME!r} as wall-clock time in {timezone!r}: "
            "a session's date falls in a daylight-saving gap (non-existent local time)"
        )
    if one["max_date"] is None:
        raise TransformError("srgnn: no session is left after the length and item filters")
    max_date = int(one["max_date"])
    split = max_date - 86400 * TEST_DAYS[dataset]
    # pass 2: train before the split day, test after it with train's items and >= 2 rows
    date = F.col("_de.d")
    is_train = F.col("_k2") & (date < split)
    is_test = F.col("_k2") & (date > split)
    parts = flags.select(
        *frame.columns,
        "_first",
        date.alias("_date"),
        is_train.alias("_train"),
        is_test.alias("_test0"),
        (F.col("_k2") & (date == split)).alias("_split_day"),
    )
    seen = F.max(F.col("_train").cast("int")).over(items) == 1
    parts = parts.withColumn("_test1", F.col("_test0") & seen)
    test_left = F.sum(F.col("_test1").cast("long")).over(_window("_first"))
    parts = checkpoint(parts.withColumn("_test", F.col("_test1") & (test_left >= 2)))
    two = parts.agg(
        F.countDistinct(F.when(F.col("_split_day"), session)).alias("split_day"),
        F.countDistinct(F.when(F.col("_train"), session)).alias("train"),
        F.countDistinct(F.when(F.col("_test0"), session)).alias("test_before"),
        F.countDistinct(F.when(F.col("_test"), session)).alias("test"),
        F.sum((F.col("_test0") & ~F.col("_test1")).cast("long")).alias("unseen"),
        F.sum(F.col("_train").cast("long")).alias("train_rows"),
        F.sum(F.col("_test").cast("long")).alias("test_rows"),
        F.countDistinct(F.when(F.col("_train"), F.col(IT))).alias("train_items"),
        F.max((F.col("_train") & F.col(IT).isNull()).cast("int")).alias("train_null_item"),
    ).collect()[0]
    # SR-GNN's order: sessions by (part, date, first row), clicks by timeframe or file order
    out = parts.filter(F.col("_train") | F.col("_test"))
    within = [F.col(order).cast("long")] if dataset == "diginetica" and order else []
    place = F.row_number().over(_window("_first").orderBy(*within, F.col(ROW))) - 1
    per_session = out.groupBy("_first", "_test", "_date").agg(F.count(F.lit(1)).alias("_n"))
    ranked = Window.orderBy("_test", "_date", "_first")
    offsets = per_session.select("_first", (F.sum("_n").over(ranked) - F.col("_n")).alias("_off"))
    placed = out.withColumn("_place", place).join(offsets, "_first")
    columns = [
        (F.col("_off") + F.col("_place")).cast("long").alias(ROW) if c == ROW else F.col(c)
        for c in frame.columns
    ]
    result = placed.select(
        *columns,
        F.when(F.col("_test"), F.lit("test")).otherwise(F.lit("train")).alias(SRGNN_PART),
        F.col("_place").cast("int").alias(ORDER),
    )
    n_train, n_test = int(two["train"]), int(two["test"])
    test_before = int(two["test_before"])
    train_rows, test_rows = int(two["train_rows"] or 0), int(two["test_rows"] or 0)
    report = {
        "dataset": dataset,
        "timezone": timezone,
        "sessions_in": int(one["sessions_in"]),
        "length_one_sessions": int(one["one"]),
        "rare_items": int(one["rare_items"]) + int(one["rare_null_item"] or 0),
        "rare_item_rows": int(one["rare_rows"] or 0),
        "short_sessions_after_items": int(one["short"]),
        "max_date": max_date,
        "split_date": split,
        "split_date_utc": dt.datetime.fromtimestamp(split, dt.UTC).isoformat(),
        "split_day_sessions": int(two["split_day"]),
        "train_sessions": n_train,
        "test_sessions_before_filter": test_before,
        "test_unseen_item_rows": int(two["unseen"] or 0),
        "test_short_sessions": test_before - n_test,
        "test_sessions": n_test,
        "train_rows": train_rows,
        "test_rows": test_rows,
        "train_items": int(two["train_items"]) + int(two["train_null_item"] or 0),
        "train_pairs": train_rows - n_train,
        "test_pairs": test_rows - n_test,
    }
    return result, report


# --------------------------------------------------------------------------- protocols


def _need(frame: Any, protocol: str, *columns: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise TransformError(
            f"{protocol}: the frame has no column(s) {missing} (has {list(frame.columns)})"
        )


def last_session_out(
    frame: Any,
    params: dict[str, Any],
    *,
    min_sessions: int = 3,
    short_users: str = "train",
    history: bool = False,
    history_cap: int | None = None,
) -> SplitResult[Any]:
    """Per user, sessions by their first ``interaction_idx``: last -> test, second last ->
    valid, the rest -> train; users with fewer than ``min_sessions`` sessions by
    ``short_users``."""
    from pyspark.sql import functions as F

    if isinstance(min_sessions, bool) or min_sessions < 1:
        raise TransformError(f"last_session_out: min_sessions must be >= 1, got {min_sessions!r}")
    if short_users not in ("train", "drop"):
        raise TransformError(
            f"last_session_out: short_users={short_users!r} is not one of train, drop"
        )
    _need(frame, "last_session_out", S.USER, S.ITEM, SES)
    if history:
        frame = add_history(frame, cap=history_cap)
    columns = list(frame.columns)
    first = F.min(S.INTERACTION).over(_window(S.USER, SES))
    back = F.dense_rank().over(_window(S.USER).orderBy(F.col("_first").desc()))
    ranked = frame.withColumn("_first", first).withColumn("_back", back)
    ranked = ranked.withColumn("_ns", F.max("_back").over(_window(S.USER)))
    short = F.col("_ns") < min_sessions
    short_code = DROPPED if short_users == "drop" else TRAIN
    part = (
        F.when(short, F.lit(short_code))
        .when(F.col("_back") == 1, F.lit(TEST))
        .when(F.col("_back") == 2, F.lit(VALID))
        .otherwise(F.lit(TRAIN))
    )
    parted = checkpoint(ranked.withColumn(PART, part.cast("byte")))
    facts = parted.agg(
        F.count(F.lit(1)).alias("rows_in"),
        F.sum(short.cast("long")).alias("rows"),
        F.countDistinct(F.when(short, F.col(S.USER))).alias("users"),
        F.countDistinct(F.struct(S.USER, SES)).alias("sessions"),  # a null session is one
    ).collect()[0]
    n_sessions, rows_in = int(facts["sessions"]), int(facts["rows_in"])
    short_rows = int(facts["rows"] or 0)
    report_params = {
        "min_sessions": min_sessions,
        "short_users": short_users,
        "history": history,
        "history_cap": history_cap,
    }
    moved = {"short_users": short_rows} if short_users == "train" and short_rows else {}
    dropped = {"short_users": short_rows} if short_users == "drop" and short_rows else {}
    return _result(
        parted.select(*columns, PART),
        protocol="last_session_out",
        params=params,
        report_params=report_params,
        ordered=False,
        dropped=dropped,
        moved=moved,
        counts={"sessions": n_sessions, "short_users": int(facts["users"])},
        rows_in=rows_in,
    )


def _session_quantile(times: Any, q: float, m: int) -> int:
    """The ``q`` quantile of the non-null session times, lower rule: sorted[floor(q(m-1))]."""
    import math

    from pyspark.sql import functions as F

    k = int(math.floor(q * (m - 1) + 1e-9))
    return int(times.orderBy(F.col("_st")).offset(k).limit(1).collect()[0]["_st"])


def temporal_sessions(
    frame: Any,
    params: dict[str, Any],
    *,
    cutoffs: Any = None,
    quantiles: Any = None,
    by: str = "start",
    unseen: str = "keep",
    history: bool = False,
    history_cap: int | None = None,
) -> SplitResult[Any]:
    """Whole sessions by their first (``start``) or last (``end``) time against two cut-offs,
    ``train < t1 <= valid < t2 <= test``; unseen valid/test items kept or dropped."""
    import numpy as np
    from pyspark.sql import functions as F

    if (cutoffs is None) == (quantiles is None):
        raise TransformError("temporal_sessions: give exactly one of cutoffs or quantiles")
    if by not in ("start", "end"):
        raise TransformError(f"temporal_sessions: by={by!r} is not one of start, end")
    if unseen not in ("keep", "drop"):
        raise TransformError(f"temporal_sessions: unseen={unseen!r} is not one of keep, drop")
    _need(frame, "temporal_sessions", S.USER, S.ITEM, SES, S.TIME)
    if history:
        frame = add_history(frame, cap=history_cap)
    columns = list(frame.columns)
    reduce = F.min if by == "start" else F.max
    timed = checkpoint(frame.withColumn("_st", reduce(_ms(frame)).over(_window(S.USER, SES))))
    times = checkpoint(timed.select(S.USER, SES, "_st").distinct())
    known = F.col("_st") != F.lit(LONG_MIN).cast("long")
    sizes = times.agg(F.count(F.lit(1)).alias("n"), F.sum(known.cast("long")).alias("m")).collect()[
        0
    ]
    n_p, m = int(sizes["n"]), int(sizes["m"] or 0)
    if cutoffs is not None:
        t1, t2 = resolve_cutoffs(
            np.zeros(0, np.int64), cutoffs=cutoffs, quantiles=None, protocol="temporal_sessions"
        )
    else:
        if len(quantiles) != 2 or not 0 <= quantiles[0] <= quantiles[1] <= 1:
            raise TransformError(
                "temporal_sessions: quantiles must be (q1, q2) with 0 <= q1 <= q2 <= 1, "
                f"got {quantiles!r}"
            )
        if m == 0:
            raise TransformError(
                "temporal_sessions: quantiles need at least one non-null timestamp"
            )
        values = times.filter(known)
        t1 = _session_quantile(values, quantiles[0], m)
        t2 = _session_quantile(values, quantiles[1], m)
        if t1 > t2:
            raise TransformError(
                f"temporal_sessions: cut-offs must satisfy t1 <= t2, got {t1} > {t2}"
            )
    st = F.col("_st")
    part = F.when(st < t1, TRAIN).when(st < t2, VALID).otherwise(TEST).cast("byte")
    parted = timed.withColumn(PART, part)
    seen = parted.filter(F.col(PART) == TRAIN).select(S.ITEM).distinct()
    flagged = parted.join(seen.withColumn("_seen", F.lit(True)), S.ITEM, "left")
    flagged = checkpoint(flagged.withColumn("_new", F.col("_seen").isNull()))
    per_part = flagged.groupBy(PART).agg(
        F.count(F.lit(1)).alias("rows"),
        F.sum(F.col("_new").cast("long")).alias("unseen"),
        F.countDistinct(F.struct(S.USER, SES)).alias("sessions"),  # a null session is one
    )
    got = {r[PART]: r for r in per_part.collect()}
    rows_in = sum(int(r["rows"]) for r in got.values())
    unseen_rows = {code: int(r["unseen"] or 0) for code, r in got.items()}
    session_parts = {code: int(r["sessions"]) for code, r in got.items()}
    counts: dict[str, int] = {"sessions": n_p}
    dropped: dict[str, int] = {}
    for name, code in (("valid", VALID), ("test", TEST)):
        counts[f"{name}_unseen_item_rows"] = unseen_rows.get(code, 0)
        counts[f"{name}_sessions"] = session_parts.get(code, 0)
        if unseen == "drop":
            dropped[f"{name}_unseen"] = counts[f"{name}_unseen_item_rows"]
    if unseen == "drop":
        drop = F.col("_new") & F.col(PART).isin(VALID, TEST)
        flagged = flagged.withColumn(
            PART, F.when(drop, F.lit(DROPPED).cast("byte")).otherwise(F.col(PART))
        )
    report_params = {
        "cutoffs": [t1, t2],
        "quantiles": list(quantiles) if quantiles is not None else None,
        "by": by,
        "unseen": unseen,
        "history": history,
        "history_cap": history_cap,
    }
    return _result(
        flagged.select(*columns, PART),
        protocol="temporal_sessions",
        params=params,
        report_params=report_params,
        ordered=False,
        dropped=dropped,
        counts=counts,
        rows_in=rows_in,
    )


def srgnn_split(
    frame: Any, params: dict[str, Any], *, fraction: int | None = None
) -> SplitResult[Any]:
    """SR-GNN's split of the ``srgnn`` step's rows: ``srgnn_part`` gives train and test; with
    ``fraction`` train keeps its last ``floor(P / fraction)`` (prefix, target) pairs (users
    in ``user_idx`` order; clicks by ``srgnn_order``, else ``interaction_idx``)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    if fraction is not None and (isinstance(fraction, bool) or fraction < 1):
        raise TransformError(f"srgnn: fraction must be an integer >= 1, got {fraction!r}")
    _need(frame, "srgnn", S.USER, S.ITEM, SRGNN_PART)
    label = F.col(SRGNN_PART)
    bad = label.isNull() | ~label.isin("train", "test")
    check = frame.agg(
        F.count(F.lit(1)).alias("rows_in"),
        F.sum(bad.cast("long")).alias("bad"),
        F.min_by(label, F.when(bad, F.col(S.INTERACTION))).alias("first_bad"),
    ).collect()[0]
    if check["bad"]:
        raise TransformError(
            f"srgnn: {SRGNN_PART!r} holds {check['first_bad']!r}; expected train or test"
        )
    rows_in = int(check["rows_in"])
    columns = list(frame.columns)
    if ORDER in frame.columns:
        pos = F.col(ORDER).cast("long")
    else:
        pos = F.row_number().over(_window(S.USER).orderBy(S.INTERACTION)) - 1
    is_train = label == "train"
    users = frame.filter(is_train).groupBy(S.USER).agg(F.count(F.lit(1)).alias("_len"))
    users = users.withColumn("_pairs", F.greatest(F.col("_len") - 1, F.lit(0)))
    later = Window.orderBy(F.col(S.USER).desc()).rowsBetween(
        Window.unboundedPreceding, Window.currentRow
    )
    users = users.withColumn("_later", F.sum("_pairs").over(later) - F.col("_pairs"))
    total = F.sum("_pairs").over(Window.partitionBy())
    users = users.withColumn("_total", total)
    keep = F.col("_total") if fraction is None else F.expr(f"_total div {int(fraction)}")
    users = users.withColumn("_keep", F.when(keep == 0, F.col("_total")).otherwise(keep))
    # the script's tr_seqs[-0:] is the whole list: a keep of 0 keeps everything
    kept_pairs = F.least(F.greatest(F.col("_keep") - F.col("_later"), F.lit(0)), F.col("_pairs"))
    users = users.withColumn("_kp", kept_pairs).withColumn(
        "_kr", F.when(F.col("_kp") > 0, F.col("_kp") + 1).otherwise(F.lit(0))
    )
    users = checkpoint(users)
    facts = users.agg(
        F.sum("_pairs").alias("total"),
        F.sum("_kp").alias("pairs"),
        F.sum((F.col("_kp") > 0).cast("long")).alias("sessions"),
        F.sum(
            F.when(
                (F.col("_kp") > 0) & (F.col("_kp") < F.col("_pairs")), F.col("_len") - F.col("_kr")
            ).otherwise(F.lit(0))
        ).alias("boundary"),
    ).collect()[0]
    joined = frame.withColumn("_pos", pos).join(users.select(S.USER, "_kr"), S.USER, "left")
    cut = is_train & (F.col("_pos") >= F.coalesce(F.col("_kr"), F.lit(0)))
    part = F.when(~is_train, F.lit(TEST)).when(cut, F.lit(DROPPED)).otherwise(F.lit(TRAIN))
    parted = checkpoint(joined.withColumn(PART, part.cast("byte")))
    test = parted.agg(
        F.sum((~is_train).cast("long")).alias("rows"),
        F.countDistinct(F.when(~is_train, F.col(S.USER))).alias("users"),
        F.sum((F.col(PART) == DROPPED).cast("long")).alias("cut"),
    ).collect()[0]
    n_cut = int(test["cut"] or 0)
    counts = {
        "train_pairs_before_fraction": int(facts["total"] or 0),
        "train_pairs": int(facts["pairs"] or 0),
        "train_sessions": int(facts["sessions"] or 0),
        "test_pairs": int(test["rows"] or 0) - int(test["users"]),
        "test_sessions": int(test["users"]),
        "boundary_session_rows_dropped": int(facts["boundary"] or 0),
    }
    dropped = {"fraction": n_cut} if fraction is not None else {}
    return _result(
        parted.select(*columns, PART),
        protocol="srgnn",
        params=params,
        report_params={"fraction": fraction},
        ordered=False,
        dropped=dropped,
        counts=counts,
        rows_in=rows_in,
    )


__all__ = [
    "drop_rare_items",
    "drop_short_sessions",
    "last_session_out",
    "remove_repeats",
    "sessionize",
    "srgnn",
    "srgnn_split",
    "temporal_sessions",
]
