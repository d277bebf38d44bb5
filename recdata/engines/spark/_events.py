"""Event steps and the target-behaviour protocol on Spark: keep event types, weight rows by
type, exposure logs to impressions, and ``target_event``.

Each gives the rows, order, columns and report of its polars counterpart in
:mod:`recdata.events` and :mod:`recdata.splits` (ties by ``_row`` on raw-id frames, by
``interaction_idx`` on indexed ones).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from recdata import schema as S
from recdata.engines._base import SplitResult
from recdata.engines.spark import _splits
from recdata.engines.spark._frames import ROW, checkpoint
from recdata.engines.spark._sessions import _raw_strings
from recdata.engines.spark._splits import PART, _ms, _result, add_history
from recdata.errors import TransformError
from recdata.splits._split import DROPPED, TEST, TRAIN, VALID


def _require_event(frame: Any, step: str) -> None:
    if S.EVENT not in frame.columns:
        raise TransformError(f"{step}: the interactions have no {S.EVENT!r} column; map one first")


def keep_events(frame: Any, *, events: Sequence[str]) -> Any:
    """Rows whose event type is one of ``events``."""
    from pyspark.sql import functions as F

    _require_event(frame, "keep_events")
    if not events:
        raise TransformError("keep_events: events must name at least one event type")
    return frame.filter(F.col(S.EVENT).isin(list(events)))


def event_weights(
    frame: Any, *, weights: Mapping[str, float], default: float | None, column: str
) -> Any:
    """A float32 ``column``: each row's weight by its event type (``default`` for the others;
    with no default, a type without a weight is an error naming it)."""
    from pyspark.sql import functions as F

    _require_event(frame, "event_weights")
    if not weights:
        raise TransformError("event_weights: weights must map at least one event type")
    event = F.col(S.EVENT)
    if default is None:
        rows = frame.filter(~event.isin(list(weights))).select(S.EVENT).distinct().collect()
        missing = sorted(r[S.EVENT] for r in rows)
        if missing:
            raise TransformError(
                f"event_weights: event type(s) {missing} have no weight; add them to weights "
                f"(has {sorted(weights)}) or give default"
            )
    pairs = list(weights.items())
    chain = F.when(event == pairs[0][0], F.lit(float(pairs[0][1])))
    for name, weight in pairs[1:]:
        chain = chain.when(event == name, F.lit(float(weight)))
    otherwise = F.lit(None).cast("double") if default is None else F.lit(float(default))
    return frame.withColumn(column, chain.otherwise(otherwise).cast("float"))


def exposures_to_impressions(
    frame: Any,
    *,
    group: Sequence[str],
    clicked: str,
    codes: dict[str, pl.Series],
    stage: Any,
    spark: Any,
) -> Any:
    """The clicked rows, each with ``impressions``: the items (raw ids as strings) exposed in
    its group (user plus ``group`` columns) in ``_row`` order; groups without a click leave
    no row; null keys match null keys."""
    from pyspark.sql import functions as F

    user, item, column = S.USER_ID, S.ITEM_ID, S.IMPRESSIONS
    names = [c for c in frame.columns if c != ROW]
    keys = [user, *[g for g in group if g != user]]
    missing = [c for c in [*keys, clicked, item] if c not in names]
    if missing:
        raise TransformError(f"exposures_to_impressions: column(s) {missing} are not mapped")
    shown = _raw_strings(frame.select(ROW, item, *keys), item, codes, stage, spark)
    ordered = F.array_sort(
        F.collect_list(F.struct(F.col(ROW).alias("r"), F.col("_raw").alias("i")))
    )
    renamed = [F.col(k).alias(f"_k{n}") for n, k in enumerate(keys)]
    lists = shown.groupBy(*renamed).agg(ordered.alias("_l"))
    lists = lists.select(*[f"_k{n}" for n in range(len(keys))], F.col("_l.i").alias(column))
    clicks = frame.filter(F.col(clicked).cast("long") == 1)
    if column in names:
        clicks = clicks.drop(column)
    match = None
    for n, k in enumerate(keys):
        cond = F.col(k).eqNullSafe(F.col(f"_k{n}"))
        match = cond if match is None else match & cond
    joined = clicks.join(lists, match, "left")
    return joined.select(*clicks.columns, column)


def target_event(
    frame: Any,
    params: dict[str, Any],
    *,
    spark: Any,
    target: Sequence[str],
    base: str = "leave_one_out",
    base_params: dict[str, Any] | None = None,
    history: bool = False,
    history_cap: int | None = None,
) -> SplitResult[Any]:
    """Valid/test: the base protocol over the ``target`` rows; train: the base's train rows
    plus every other-event row before the user's first valid/test row (``global_temporal``:
    before its first cut-off); see :func:`recdata.splits.target_event`."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    inner_params = dict(base_params or {})
    if base not in ("leave_one_out", "ratio", "global_temporal"):
        raise TransformError(
            f"target_event: base {base!r} is not one of leave_one_out, ratio, global_temporal"
        )
    if base == "ratio" and inner_params.get("order", "chronological") != "chronological":
        raise TransformError(
            "target_event: base ratio must be chronological (order: chronological)"
        )
    if not target:
        raise TransformError("target_event: target must name at least one event type")
    for key in ("history", "history_cap"):
        inner_params.pop(key, None)
    if S.EVENT not in frame.columns:
        raise TransformError(f"target_event: the interactions have no {S.EVENT!r} column")
    if history:
        frame = add_history(frame, cap=history_cap)
    columns = list(frame.columns)
    frame = frame.withColumn("_t", F.col(S.EVENT).isin(list(target)))
    targets = frame.filter(F.col("_t")).select(*columns)
    if base == "leave_one_out":
        inner = _splits.leave_one_out(targets, inner_params, **inner_params)
    elif base == "ratio":
        inner = _splits.ratio(targets, inner_params, spark=spark, **inner_params)
    else:
        inner = _splits.global_temporal(targets, inner_params, **inner_params)
    coded = None
    for name, code in (("train", TRAIN), ("valid", VALID), ("test", TEST)):
        part = inner.parts[name].select(
            F.col(S.INTERACTION).alias("_id"), F.lit(code).cast("byte").alias("_base")
        )
        coded = part if coded is None else coded.unionByName(part)
    assert coded is not None
    based = frame.join(coded, F.col(S.INTERACTION) == F.col("_id"), "left").drop("_id")
    inner_report = inner.record.report
    is_target = F.col("_t")
    placed = F.col("_base").isNotNull()
    if base == "global_temporal":
        t1 = int(inner_report["params"]["cutoffs"][0])
        before = _ms(frame) < F.lit(t1)
        kept_user = F.lit(True)
    else:
        user = Window.partitionBy(S.USER)
        evaluated = F.col("_base").isin(VALID, TEST)
        cut = F.min(F.when(evaluated, F.col(S.INTERACTION))).over(user)
        before = cut.isNull() | (F.col(S.INTERACTION) < cut)
        has_target = F.max(is_target.cast("int")).over(user) == 1
        any_placed = F.max(placed.cast("int")).over(user) == 1
        kept_user = ~has_target | any_placed
    part = (
        F.when(placed, F.col("_base"))
        .when(~is_target & before & kept_user, F.lit(TRAIN).cast("byte"))
        .otherwise(F.lit(DROPPED).cast("byte"))
    )
    parted = checkpoint(based.withColumn(PART, part.cast("byte")))
    facts = parted.agg(
        F.sum(is_target.cast("long")).alias("target"),
        F.sum((~is_target).cast("long")).alias("other"),
        F.sum((~is_target & (F.col(PART) == DROPPED)).cast("long")).alias("other_dropped"),
        F.sum((is_target & (F.col(PART) == DROPPED)).cast("long")).alias("target_dropped"),
    ).collect()[0]
    dropped = {
        "other_events_after_cut": int(facts["other_dropped"] or 0),
        "target_dropped_by_base": int(facts["target_dropped"] or 0),
    }
    counts = {
        "target_rows": int(facts["target"] or 0),
        "other_rows": int(facts["other"] or 0),
        **{f"base_{k}": v for k, v in inner_report["dropped"].items()},
    }
    resolved = {
        k: v for k, v in inner_report["params"].items() if k not in ("history", "history_cap")
    }
    report_params = {
        "target": list(target),
        "base": base,
        "base_params": resolved,
        "history": history,
        "history_cap": history_cap,
    }
    return _result(
        parted.select(*columns, PART),
        protocol="target_event",
        params=params,
        report_params=report_params,
        ordered=True,
        dropped=dropped,
        counts=counts,
        rows_in=int(facts["target"] or 0) + int(facts["other"] or 0),
    )


__all__ = ["event_weights", "exposures_to_impressions", "keep_events", "target_event"]
