"""Split protocols on Spark over the indexed interactions (in sequence order by
``interaction_idx``), with the same parts and reports as :mod:`recdata.splits`."""

from __future__ import annotations

import math
from typing import Any

import polars as pl

from recdata import schema as S
from recdata.dataset import SplitRecord
from recdata.engines._base import SplitResult
from recdata.engines.spark._frames import checkpoint, small_side, to_polars
from recdata.errors import TransformError
from recdata.splits._split import DROPPED, TEST, TRAIN, VALID, check_ratios, to_ms

PART = "_part"


def _user_window(*order: Any) -> Any:
    from pyspark.sql import Window

    return Window.partitionBy(S.USER).orderBy(*order)


def add_history(frame: Any, *, cap: int | None) -> Any:
    """``history``: the user's earlier items in sequence order (oldest first, the last ``cap``)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    if cap is not None and (isinstance(cap, bool) or cap < 0):
        raise TransformError(f"add_history: cap must be >= 0 or None, got {cap!r}")
    if cap == 0:
        return frame.withColumn(S.HISTORY, F.array().cast("array<int>"))
    lower = Window.unboundedPreceding if cap is None else -cap
    window = Window.partitionBy(S.USER).orderBy(S.INTERACTION).rowsBetween(lower, -1)
    return frame.withColumn(S.HISTORY, F.collect_list(F.col(S.ITEM)).over(window))


def _counts_per_part(parted: Any, short: Any = None) -> dict[int, dict[str, int]]:
    """Rows, users and items of every part code (dropped included), in one job; with
    ``short`` (a per-user condition) also the rows and users it holds per part."""
    from pyspark.sql import functions as F

    aggs = [
        F.count(F.lit(1)).alias("rows"),
        F.countDistinct(S.USER).alias("users"),
        F.countDistinct(S.ITEM).alias("items"),
    ]
    fields = ["rows", "users", "items"]
    if short is not None:
        aggs += [
            F.sum(short.cast("long")).alias("short_rows"),
            F.countDistinct(F.when(short, F.col(S.USER))).alias("short_users"),
        ]
        fields += ["short_rows", "short_users"]
    got = {r[PART]: r.asDict() for r in parted.groupBy(PART).agg(*aggs).collect()}
    empty = dict.fromkeys(fields, 0)
    return {
        k: {f: int(got.get(k, empty)[f] or 0) for f in fields}
        for k in (TRAIN, VALID, TEST, DROPPED)
    }


def _result(
    parted: Any,
    *,
    protocol: str,
    params: dict[str, Any],
    report_params: dict[str, Any],
    ordered: bool,
    dropped: dict[str, int] | None = None,
    moved: dict[str, int] | None = None,
    counts: dict[str, int] | None = None,
    rows_in: int,
    per: dict[int, dict[str, int]] | None = None,
) -> SplitResult[Any]:
    """Parts and record from a frame with a part code per row (as ``make_split``); ``per``:
    the frame's :func:`_counts_per_part` when the caller has them."""
    from pyspark.sql import functions as F

    from recdata.splits._split import PartCounts, SplitReport

    parted = checkpoint(parted)
    per = per if per is not None else _counts_per_part(parted)
    columns = [c for c in parted.columns if c not in (PART, "_n", "_b")]
    parts = {
        name: parted.filter(F.col(PART) == code).select(*columns)
        for name, code in (("train", TRAIN), ("valid", VALID), ("test", TEST))
    }
    any_dropped = per[DROPPED]["rows"] > 0
    report = SplitReport(
        protocol=protocol,
        params=report_params,
        rows_in=rows_in,
        train=PartCounts(**_rows_users_items(per[TRAIN])),
        valid=PartCounts(**_rows_users_items(per[VALID])),
        test=PartCounts(**_rows_users_items(per[TEST])),
        dropped=dropped or {},
        moved=moved or {},
        counts=counts or {},
    )
    record = SplitRecord(
        protocol=protocol,
        params=params,
        partition=not any_dropped,
        ordered=ordered,
        report=report.model_dump(mode="json"),
        history=S.HISTORY in columns,
    )
    sizes = {"train": per[TRAIN]["rows"], "valid": per[VALID]["rows"], "test": per[TEST]["rows"]}
    return SplitResult(parts, record, sizes)


def _rows_users_items(counts: dict[str, int]) -> dict[str, int]:
    return {k: counts[k] for k in ("rows", "users", "items")}


def leave_one_out(
    frame: Any,
    params: dict[str, Any],
    *,
    min_interactions: int = 3,
    short_users: str = "train",
    history: bool = False,
    history_cap: int | None = None,
) -> SplitResult[Any]:
    """Per user in sequence order: last -> test, second last -> valid, rest -> train."""
    from pyspark.sql import functions as F

    if isinstance(min_interactions, bool) or min_interactions < 1:
        raise TransformError(
            f"leave_one_out: min_interactions must be >= 1, got {min_interactions!r}"
        )
    if short_users not in ("train", "drop"):
        raise TransformError(
            f"leave_one_out: short_users={short_users!r} is not one of train, drop"
        )
    frame = _rows_from_end(add_history(frame, cap=history_cap) if history else frame)
    long = F.col("_n") >= min_interactions
    short_code = DROPPED if short_users == "drop" else TRAIN
    part = (
        F.when(~long, F.lit(short_code))
        .when(F.col("_b") == 1, F.lit(TEST))
        .when((F.col("_b") == 2) & (F.col("_n") >= 2), F.lit(VALID))
        .otherwise(F.lit(TRAIN))
    )
    parted = checkpoint(frame.withColumn(PART, part.cast("byte")))
    per = _counts_per_part(parted, short=~long)
    rows_in = sum(c["rows"] for c in per.values())
    short_rows = sum(c["short_rows"] for c in per.values())
    short_n = sum(c["short_users"] for c in per.values())
    report_params = {
        "min_interactions": min_interactions,
        "short_users": short_users,
        "history": history,
        "history_cap": history_cap,
    }
    key = "short_users"
    return _result(
        parted,
        protocol="leave_one_out",
        params=params,
        report_params=report_params,
        ordered=True,
        dropped={key: short_rows} if short_users == "drop" else {},
        moved={key: short_rows} if short_users == "train" else {},
        counts={"short_users": short_n, "short_user_rows": short_rows},
        rows_in=rows_in,
        per=per,
    )


def _rows_from_end(frame: Any) -> Any:
    """``_n`` (the user's rows) and ``_b`` (1 for the user's last row in sequence order, 2 for
    the one before, ...). Each user's ``interaction_idx`` values are contiguous after indexing,
    so one aggregate and a broadcast join give both; a window (a sort) is the fallback."""
    from pyspark.sql import functions as F

    idx = F.col(S.INTERACTION)
    per_user = frame.groupBy(S.USER).agg(
        F.count(F.lit(1)).alias("_n"), F.max(idx).alias("_last"), F.min(idx).alias("_first")
    )
    per_user = checkpoint(per_user)
    gaps = per_user.filter(F.col("_last") - F.col("_first") + 1 != F.col("_n"))
    if gaps.limit(1).count() == 0:
        ends = small_side(per_user.select(S.USER, "_n", "_last"))
        joined = frame.join(ends, S.USER).select(*frame.columns, "_n", "_last")
        back = (F.col("_last") - idx + 1).cast("int")
        return joined.withColumn("_b", back).drop("_last")
    back = F.row_number().over(_user_window(idx.desc()))
    counted = frame.withColumn("_n", F.count(F.lit(1)).over(_window_user()))
    return counted.withColumn("_b", back)


def _window_user() -> Any:
    from pyspark.sql import Window

    return Window.partitionBy(S.USER)


def _ms(frame: Any) -> Any:
    from pyspark.sql import functions as F

    from recdata.engines.spark._frames import LONG_MIN

    return F.coalesce(F.unix_millis(F.col(S.TIME)), F.lit(LONG_MIN).cast("long"))


def _quantile_cut(frame: Any, q: float, m: int) -> int:
    """The ``q`` quantile of the non-null timestamps (ms), lower rule: sorted[floor(q(m-1))]."""
    from pyspark.sql import functions as F

    if m == 0:
        raise TransformError("global_temporal: quantiles need at least one non-null timestamp")
    k = int(math.floor(q * (m - 1) + 1e-9))
    keys = frame.filter(F.col(S.TIME).isNotNull()).select(F.unix_millis(S.TIME).alias("_t"))
    return int(keys.orderBy("_t").offset(k).limit(1).collect()[0]["_t"])


def global_temporal(
    frame: Any,
    params: dict[str, Any],
    *,
    cutoffs: Any = None,
    quantiles: Any = None,
    unseen: str = "keep",
    gap: float = 0,
    history: bool = False,
    history_cap: int | None = None,
) -> SplitResult[Any]:
    """``train < t1 <= valid < t2 <= test``; unseen valid/test users/items kept or dropped
    (``drop_users``: only rows of unseen users); rows within ``gap`` seconds before a cut-off
    dropped."""
    from pyspark.sql import functions as F

    if (cutoffs is None) == (quantiles is None):
        raise TransformError("global_temporal: give exactly one of cutoffs or quantiles")
    if unseen not in ("keep", "drop", "drop_users"):
        raise TransformError(
            f"global_temporal: unseen={unseen!r} is not one of keep, drop, drop_users"
        )
    if gap < 0:
        raise TransformError(f"global_temporal: gap must be >= 0 seconds, got {gap!r}")
    rows_in = frame.count()
    if cutoffs is not None:
        if len(cutoffs) != 2:
            raise TransformError(f"global_temporal: cutoffs must be (t1, t2), got {cutoffs!r}")
        t1, t2 = to_ms(cutoffs[0], "cutoffs[0]"), to_ms(cutoffs[1], "cutoffs[1]")
    else:
        if len(quantiles) != 2 or not 0 <= quantiles[0] <= quantiles[1] <= 1:
            raise TransformError(
                f"global_temporal: quantiles must be (q1, q2) with 0 <= q1 <= q2 <= 1, got {quantiles!r}"
            )
        m = frame.filter(F.col(S.TIME).isNotNull()).count()
        t1, t2 = _quantile_cut(frame, quantiles[0], m), _quantile_cut(frame, quantiles[1], m)
    if t1 > t2:
        raise TransformError(f"global_temporal: cut-offs must satisfy t1 <= t2, got {t1} > {t2}")
    if history:
        frame = add_history(frame, cap=history_cap)
    key = _ms(frame)
    gap_ms = int(round(gap * 1000))
    in_gap = F.lit(False)
    if gap_ms:
        in_gap = ((key >= t1 - gap_ms) & (key < t1)) | ((key >= t2 - gap_ms) & (key < t2))
    part = (
        F.when(in_gap, DROPPED)
        .when(key < t1, TRAIN)
        .when(key < t2, VALID)
        .otherwise(TEST)
        .cast("byte")
    )
    frame = checkpoint(frame.withColumn(PART, part))
    train = frame.filter(F.col(PART) == TRAIN)
    seen_u = train.select(S.USER).distinct().withColumn("_su", F.lit(True))
    seen_i = train.select(S.ITEM).distinct().withColumn("_si", F.lit(True))
    flagged = (
        frame.join(seen_u, S.USER, "left")
        .join(seen_i, S.ITEM, "left")
        .withColumn("_nu", F.col("_su").isNull() & F.col(PART).isin(VALID, TEST))
        .withColumn("_ni", F.col("_si").isNull() & F.col(PART).isin(VALID, TEST))
    )
    flagged = checkpoint(flagged.withColumn("_new", F.col("_nu") | F.col("_ni")))
    sums = flagged.groupBy(PART).agg(
        F.sum(F.col("_nu").cast("long")).alias("u"),
        F.sum(F.col("_ni").cast("long")).alias("i"),
        F.sum(F.col("_new").cast("long")).alias("n"),
    )
    got = {r[PART]: r for r in sums.collect()}
    counts: dict[str, int] = {}
    dropped: dict[str, int] = {}
    for name, code in (("valid", VALID), ("test", TEST)):
        row = got.get(code)
        counts[f"{name}_unseen_user_rows"] = int(row["u"] or 0) if row else 0
        counts[f"{name}_unseen_item_rows"] = int(row["i"] or 0) if row else 0
        counts[f"{name}_unseen_rows"] = int(row["n"] or 0) if row else 0
        if unseen == "drop":
            dropped[f"{name}_unseen"] = counts[f"{name}_unseen_rows"]
    if unseen == "drop_users":
        for name, code in (("valid", VALID), ("test", TEST)):
            row = got.get(code)
            dropped[f"{name}_unseen_users"] = int(row["u"] or 0) if row else 0
    drop = {"drop": "_new", "drop_users": "_nu"}.get(unseen)
    if drop is not None:
        flagged = flagged.withColumn(
            PART, F.when(F.col(drop), F.lit(DROPPED).cast("byte")).otherwise(F.col(PART))
        )
    if gap_ms:
        dropped["gap"] = int(frame.filter(in_gap).count())
    columns = [c for c in frame.columns]
    report_params = {
        "cutoffs": [t1, t2],
        "quantiles": list(quantiles) if quantiles is not None else None,
        "unseen": unseen,
        "gap": gap,
        "history": history,
        "history_cap": history_cap,
    }
    return _result(
        flagged.select(*columns),
        protocol="global_temporal",
        params=params,
        report_params=report_params,
        ordered=True,
        dropped=dropped,
        counts=counts,
        rows_in=rows_in,
    )


def _uniform_keys(spark: Any, n: int, seed: int) -> Any:
    """(interaction_idx, key): ``numpy.random.default_rng(seed).random(n)[interaction_idx]``,
    drawn on the executors (each contiguous range advances its own PCG64 to its start)."""
    import numpy as np
    import pyarrow as pa

    def draw(batches: Any) -> Any:
        for batch in batches:
            ids = batch.column(0).to_numpy()
            keys = np.empty(len(ids), dtype=np.float64)
            if len(ids):
                breaks = np.flatnonzero(np.diff(ids) != 1) + 1
                for run in np.split(np.arange(len(ids)), breaks):
                    bits = np.random.PCG64(seed)
                    bits.advance(int(ids[run[0]]))
                    keys[run] = np.random.Generator(bits).random(len(run))
            yield pa.RecordBatch.from_arrays([pa.array(ids), pa.array(keys)], ["_id", "_key"])

    ids = spark.range(n).withColumnRenamed("id", "_id")
    return ids.mapInArrow(draw, "_id long, _key double").withColumnRenamed("_id", S.INTERACTION)


def ratio(
    frame: Any,
    params: dict[str, Any],
    *,
    spark: Any,
    ratios: Any = (0.8, 0.1, 0.1),
    order: str = "chronological",
    seed: int = 0,
    history: bool = False,
    history_cap: int | None = None,
) -> SplitResult[Any]:
    """Each user's first ``floor(L*r1)`` rows -> train, up to ``floor(L*(r1+r2))`` -> valid,
    the rest -> test; ranked in sequence order or by seeded uniform keys."""
    from pyspark.sql import functions as F

    r = check_ratios(ratios, "ratio")
    if order not in ("chronological", "random"):
        raise TransformError(f"ratio: order={order!r} is not one of chronological, random")
    rows_in = frame.count()
    if history:
        frame = add_history(frame, cap=history_cap)
    columns = list(frame.columns)
    if order == "random":
        # the input is in sequence order with users ascending, so polars' draw index
        # (user by value, position in sequence order) is interaction_idx itself
        frame = frame.join(_uniform_keys(spark, rows_in, seed), S.INTERACTION)
        rank = [F.col("_key"), F.col(S.INTERACTION)]
    else:
        rank = [F.col(S.INTERACTION)]
    pos = F.row_number().over(_user_window(*rank)) - 1
    length = F.count(F.lit(1)).over(_window_user()).cast("double")
    b1 = F.floor(length * F.lit(r[0]) + F.lit(1e-9))
    b2 = F.greatest(F.floor(length * F.lit(r[0] + r[1]) + F.lit(1e-9)), b1)
    parted = (
        frame.withColumn("_pos", pos)
        .withColumn("_b1", b1)
        .withColumn("_b2", b2)
        .withColumn(
            PART,
            F.when(F.col("_pos") < F.col("_b1"), TRAIN)
            .when(F.col("_pos") < F.col("_b2"), VALID)
            .otherwise(TEST)
            .cast("byte"),
        )
    )
    report_params = {
        "ratios": list(r),
        "order": order,
        "seed": seed,
        "history": history,
        "history_cap": history_cap,
    }
    return _result(
        parted.select(*columns, PART),
        protocol="ratio",
        params=params,
        report_params=report_params,
        ordered=order == "chronological",
        rows_in=rows_in,
    )


def cold_start(
    frame: Any,
    params: dict[str, Any],
    *,
    spark: Any,
    staging: Any,
    entity: str = "user",
    ratios: Any = (0.8, 0.1, 0.1),
    seed: int = 0,
) -> SplitResult[Any]:
    """Whole users (or items) to train/valid/test: the distinct entities go to the driver,
    where polars' :func:`~recdata.splits.cold_start` assigns them (it depends only on the set
    of entities and the seed); rows follow their entity through a join."""

    from recdata.splits import cold_start as assign

    r = check_ratios(ratios, "cold_start")
    if entity not in ("user", "item"):
        raise TransformError(f"cold_start: entity={entity!r} is not one of user, item")
    col = S.USER if entity == "user" else S.ITEM
    rows_in = frame.count()
    keys = to_polars(frame.select(col).distinct()).with_columns(pl.col(col).cast(pl.Int32))
    other = S.ITEM if entity == "user" else S.USER
    split = assign(
        keys.with_columns(pl.lit(0, pl.Int32).alias(other)).lazy(),
        entity=entity,
        ratios=r,
        seed=seed,
    )
    train, valid, test = split.collect()
    table = pl.concat(
        [
            part.select(col, pl.lit(code, pl.Int8).alias(PART))
            for part, code in ((train, TRAIN), (valid, VALID), (test, TEST))
        ]
    )
    parted = frame.join(small_side(staging.put(spark, table), table.height), col)
    counts = split.report.counts
    report_params = {"entity": entity, "ratios": list(r), "seed": seed}
    return _result(
        parted.select(*frame.columns, PART),
        protocol="cold_start",
        params=params,
        report_params=report_params,
        ordered=False,
        counts=dict(counts),
        rows_in=rows_in,
    )
