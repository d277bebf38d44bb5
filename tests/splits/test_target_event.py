"""The target_event protocol against a slow, row-by-row reference of its stated semantics."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recdata.errors import TransformError
from recdata.splits import target_event

EVENTS = ["view", "cart", "order"]
rows_st = st.lists(
    st.tuples(st.integers(1, 4), st.integers(1, 5), st.integers(0, 9), st.sampled_from(EVENTS)),
    max_size=40,
)


def frame(rows) -> pl.DataFrame:
    """Rows in sequence order (user, time, file order) with interaction_idx = position."""
    ordered = sorted(range(len(rows)), key=lambda k: (rows[k][0], rows[k][2], k))
    return pl.DataFrame(
        {
            "interaction_idx": list(range(len(rows))),
            "user_idx": [rows[k][0] for k in ordered],
            "item_idx": [rows[k][1] for k in ordered],
            "timestamp": [rows[k][2] for k in ordered],
            "event": [rows[k][3] for k in ordered],
        },
        schema={
            "interaction_idx": pl.Int64,
            "user_idx": pl.Int32,
            "item_idx": pl.Int32,
            "timestamp": pl.Int64,
            "event": pl.String,
        },
    ).with_columns(pl.col("timestamp").cast(pl.Datetime("ms", "UTC")))


def parts(split) -> dict[str, list[int]]:
    train, valid, test = split.collect()
    return {
        "train": sorted(train["interaction_idx"].to_list()),
        "valid": sorted(valid["interaction_idx"].to_list()),
        "test": sorted(test["interaction_idx"].to_list()),
    }


def loo_reference(df: pl.DataFrame, target: set[str], short_users: str) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {"train": [], "valid": [], "test": []}
    for user in sorted(set(df["user_idx"].to_list())):
        rows = df.filter(pl.col("user_idx") == user).to_dicts()  # sequence order
        targets = [r for r in rows if r["event"] in target]
        if not targets:
            out["train"] += [r["interaction_idx"] for r in rows]
            continue
        if len(targets) < 3:
            if short_users == "train":
                out["train"] += [r["interaction_idx"] for r in rows]
            continue
        valid, test = targets[-2], targets[-1]
        out["valid"].append(valid["interaction_idx"])
        out["test"].append(test["interaction_idx"])
        for r in rows:
            if r["interaction_idx"] >= valid["interaction_idx"]:
                continue
            out["train"].append(r["interaction_idx"])
    return {k: sorted(v) for k, v in out.items()}


@settings(max_examples=80, deadline=None)
@given(rows_st, st.sampled_from([["order"], ["cart", "order"]]), st.sampled_from(["train", "drop"]))
def test_target_event_loo_matches_reference(rows, target, short_users) -> None:
    df = frame(rows)
    split = target_event(
        df.lazy(),
        target=target,
        base="leave_one_out",
        base_params={"min_interactions": 3, "short_users": short_users},
    )
    assert parts(split) == loo_reference(df, set(target), short_users)
    assert split.report.params["base"] == "leave_one_out"


def temporal_reference(
    df: pl.DataFrame, target: set[str], t1: int, t2: int
) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {"train": [], "valid": [], "test": []}
    for r in df.with_columns(pl.col("timestamp").dt.epoch("ms")).to_dicts():
        ts, idx = r["timestamp"], r["interaction_idx"]
        if ts < t1:
            out["train"].append(idx)
        elif r["event"] in target:
            out["valid" if ts < t2 else "test"].append(idx)
    return {k: sorted(v) for k, v in out.items()}


@settings(max_examples=80, deadline=None)
@given(rows_st, st.integers(0, 10), st.integers(0, 10))
def test_target_event_global_temporal_matches_reference(rows, a, b) -> None:
    t1, t2 = min(a, b), max(a, b)
    df = frame(rows)
    split = target_event(
        df.lazy(),
        target=["order"],
        base="global_temporal",
        base_params={"cutoffs": (t1, t2), "unseen": "keep"},
    )
    assert parts(split) == temporal_reference(df, {"order"}, t1, t2)


def test_target_event_counts_and_worked_example() -> None:
    # user 1: view a, order b, view c, order d, view e, order f, view g
    rows = [
        (1, i, t, e)
        for i, (t, e) in enumerate(
            [
                (0, "view"),
                (1, "order"),
                (2, "view"),
                (3, "order"),
                (4, "view"),
                (5, "order"),
                (6, "view"),
            ],
            start=1,
        )
    ]
    split = target_event(frame(rows).lazy(), target=["order"])
    assert parts(split) == {"train": [0, 1, 2], "valid": [3], "test": [5]}
    assert split.report.dropped == {"other_events_after_cut": 2, "target_dropped_by_base": 0}
    assert split.report.counts["target_rows"] == 3 and not split.partition


def test_target_event_rejects_bad_options() -> None:
    df = frame([(1, 1, 0, "view")])
    with pytest.raises(TransformError, match="chronological"):
        target_event(df.lazy(), target=["order"], base="ratio", base_params={"order": "random"})
    with pytest.raises(TransformError, match="not one of"):
        target_event(df.lazy(), target=["order"], base="cold_start")  # type: ignore[arg-type]
    with pytest.raises(TransformError, match="no 'event' column"):
        target_event(df.drop("event").lazy(), target=["order"])


def test_global_temporal_gap_and_drop_users() -> None:
    from recdata.splits import global_temporal

    # times in seconds: t1 = 100 s, t2 = 200 s, gap 10 s
    rows = [(1, 1, 50), (1, 2, 95), (1, 3, 100), (1, 4, 192), (1, 5, 200), (2, 1, 150), (2, 2, 250)]
    df = pl.DataFrame(
        {
            "interaction_idx": list(range(len(rows))),
            "user_idx": [r[0] for r in rows],
            "item_idx": [r[1] for r in rows],
            "timestamp": [r[2] * 1000 for r in rows],
        },
        schema={
            "interaction_idx": pl.Int64,
            "user_idx": pl.Int32,
            "item_idx": pl.Int32,
            "timestamp": pl.Int64,
        },
    ).with_columns(pl.col("timestamp").cast(pl.Datetime("ms", "UTC")))
    split = global_temporal(df.lazy(), cutoffs=(100_000, 200_000), gap=10, unseen="drop_users")
    # 95 s and 192 s fall in the gaps; user 2 has no train row: its valid/test rows go
    assert parts(split) == {"train": [0], "valid": [2], "test": [4]}
    assert split.report.dropped == {"valid_unseen_users": 1, "test_unseen_users": 1, "gap": 2}
    keep = global_temporal(df.lazy(), cutoffs=(100_000, 200_000))
    assert parts(keep) == {"train": [0, 1], "valid": [2, 3, 5], "test": [4, 6]}
