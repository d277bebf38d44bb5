"""Split protocols against pure-Python references: partition, order, ties, reports."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recdata.errors import TransformError
from recdata.splits import (
    SPLITTERS,
    check_leakage,
    cold_start,
    global_temporal,
    leave_one_out,
    ratio,
)

rows_st = st.lists(
    st.tuples(st.integers(1, 5), st.integers(1, 6), st.one_of(st.none(), st.integers(0, 8))),
    max_size=45,
)


def frame(rows) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "user_idx": [r[0] for r in rows],
            "item_idx": [r[1] for r in rows],
            "timestamp": [r[2] for r in rows],
            "row": list(range(len(rows))),
        },
        schema={"user_idx": pl.Int32, "item_idx": pl.Int32, "timestamp": pl.Int64, "row": pl.Int64},
    ).with_columns(pl.col("timestamp").cast(pl.Datetime("ms", "UTC")))


def sequences(rows) -> dict[int, list[int]]:
    """Each user's rows in sequence order (time with null first, then row)."""
    out: dict[int, list[int]] = {}
    for r in sorted(range(len(rows)), key=lambda r: (-1 if rows[r][2] is None else rows[r][2], r)):
        out.setdefault(rows[r][0], []).append(r)
    return out


def parts(split) -> tuple[list[int], list[int], list[int]]:
    train, valid, test = split.collect()
    return train["row"].to_list(), valid["row"].to_list(), test["row"].to_list()


@settings(max_examples=250, deadline=None)
@given(rows_st, st.integers(1, 4), st.sampled_from(["train", "drop"]))
def test_leave_one_out(rows, min_n, policy):
    split = leave_one_out(frame(rows).lazy(), min_interactions=min_n, short_users=policy)
    exp = {"train": [], "valid": [], "test": []}
    short_rows = 0
    for seq in sequences(rows).values():
        if len(seq) < min_n:
            short_rows += len(seq)
            if policy == "train":
                exp["train"] += seq
            continue
        exp["test"].append(seq[-1])
        if len(seq) >= 2:
            exp["valid"].append(seq[-2])
        exp["train"] += seq[:-2]
    tr, va, te = parts(split)
    assert (tr, va, te) == (sorted(exp["train"]), sorted(exp["valid"]), sorted(exp["test"]))
    assert split.partition == (policy == "train" or short_rows == 0)
    assert split.ordered and check_leakage(*split.collect()).height == 0
    rep = split.report
    assert rep.counts["short_user_rows"] == short_rows
    assert (rep.dropped if policy == "drop" else rep.moved) == {"short_users": short_rows}
    assert (rep.train.rows, rep.valid.rows, rep.test.rows) == (len(tr), len(va), len(te))
    for counts, part in ((rep.train, tr), (rep.valid, va), (rep.test, te)):
        assert counts.users == len({rows[r][0] for r in part})
        assert counts.items == len({rows[r][1] for r in part})


@settings(max_examples=250, deadline=None)
@given(rows_st, st.integers(0, 9), st.integers(0, 9), st.sampled_from(["keep", "drop"]))
def test_global_temporal_cutoffs(rows, a, b, unseen):
    t1, t2 = min(a, b), max(a, b)
    split = global_temporal(frame(rows).lazy(), cutoffs=(t1, t2), unseen=unseen)
    part = {}
    for r, (_, _, t) in enumerate(rows):
        part[r] = "train" if t is None or t < t1 else ("valid" if t < t2 else "test")
    tr_users = {rows[r][0] for r in part if part[r] == "train"}
    tr_items = {rows[r][1] for r in part if part[r] == "train"}
    new = {
        r
        for r in part
        if part[r] != "train" and (rows[r][0] not in tr_users or rows[r][1] not in tr_items)
    }
    keep = lambda r: unseen == "keep" or r not in new  # noqa: E731
    tr, va, te = parts(split)
    assert tr == [r for r in range(len(rows)) if part[r] == "train"]
    assert va == [r for r in range(len(rows)) if part[r] == "valid" and keep(r)]
    assert te == [r for r in range(len(rows)) if part[r] == "test" and keep(r)]
    rep = split.report
    assert rep.counts["valid_unseen_rows"] == sum(1 for r in new if part[r] == "valid")
    assert rep.counts["test_unseen_rows"] == sum(1 for r in new if part[r] == "test")
    assert split.partition == (unseen == "keep" or not new)
    assert check_leakage(*split.collect()).height == 0


def test_global_temporal_quantiles_and_datetimes():
    import datetime as dt

    rows = [(1, 1, t) for t in range(10)]
    split = global_temporal(frame(rows).lazy(), quantiles=(0.5, 0.8))
    tr, va, te = parts(split)
    # lower rule: t1 = sorted[floor(0.5 * 9)] = 4, t2 = sorted[floor(0.8 * 9)] = 7
    assert (tr, va, te) == ([0, 1, 2, 3], [4, 5, 6], [7, 8, 9])
    assert split.params["cutoffs"] == [4, 7]
    same = global_temporal(
        frame(rows).lazy(),
        cutoffs=(dt.datetime(1970, 1, 1, 0, 0, 0, 4000), dt.datetime(1970, 1, 1, 0, 0, 0, 7000)),
    )
    assert parts(same) == (tr, va, te)
    with pytest.raises(TransformError, match="exactly one"):
        global_temporal(frame(rows).lazy())
    with pytest.raises(TransformError, match="t1 <= t2"):
        global_temporal(frame(rows).lazy(), cutoffs=(5, 4))


@settings(max_examples=200, deadline=None)
@given(
    rows_st,
    st.sampled_from(
        [(0.8, 0.1, 0.1), (0.5, 0.25, 0.25), (1.0, 0.0, 0.0), (0.6, 0.2, 0.2), (0.0, 0.0, 1.0)]
    ),
)
def test_ratio_chronological(rows, r):
    split = ratio(frame(rows).lazy(), ratios=r)
    exp = {"train": [], "valid": [], "test": []}
    for seq in sequences(rows).values():
        n = len(seq)
        b1 = math.floor(n * r[0] + 1e-9)
        b2 = max(b1, math.floor(n * (r[0] + r[1]) + 1e-9))
        exp["train"] += seq[:b1]
        exp["valid"] += seq[b1:b2]
        exp["test"] += seq[b2:]
    assert parts(split) == (sorted(exp["train"]), sorted(exp["valid"]), sorted(exp["test"]))
    assert split.partition and split.ordered


@settings(max_examples=150, deadline=None)
@given(rows_st, st.integers(0, 5))
def test_ratio_random_partitions_sizes_and_is_order_free(rows, seed):
    rows = [(u, i, k) for k, (u, i, _) in enumerate(rows)]  # distinct times: no tie order
    r = (0.5, 0.25, 0.25)
    df = frame(rows)
    split = ratio(df.lazy(), ratios=r, order="random", seed=seed)
    tr, va, te = parts(split)
    assert sorted(tr + va + te) == list(range(len(rows)))
    for u, seq in sequences(rows).items():
        n = len(seq)
        b1 = math.floor(n * r[0] + 1e-9)
        b2 = math.floor(n * (r[0] + r[1]) + 1e-9)
        assert sum(1 for x in tr if rows[x][0] == u) == b1
        assert sum(1 for x in va if rows[x][0] == u) == b2 - b1
    again = ratio(df.reverse().lazy(), ratios=r, order="random", seed=seed)
    tr2, va2, te2 = parts(again)
    assert (sorted(tr2), sorted(va2), sorted(te2)) == (tr, va, te)
    assert not split.ordered


@settings(max_examples=150, deadline=None)
@given(rows_st, st.sampled_from(["user", "item"]), st.integers(0, 3))
def test_cold_start_holds_out_whole_entities(rows, entity, seed):
    split = cold_start(frame(rows).lazy(), entity=entity, ratios=(0.5, 0.25, 0.25), seed=seed)
    tr, va, te = parts(split)
    assert sorted(tr + va + te) == list(range(len(rows)))
    k = 0 if entity == "user" else 1
    ents = [{rows[r][k] for r in p} for p in (tr, va, te)]
    assert not (ents[0] & ents[1]) and not (ents[0] & ents[2]) and not (ents[1] & ents[2])
    n_ent = len({row[k] for row in rows})
    assert len(ents[0]) == math.floor(n_ent * 0.5 + 1e-9)
    assert split.partition and not split.ordered
    # seeded and independent of row order
    again = cold_start(
        frame(rows).reverse().lazy(), entity=entity, ratios=(0.5, 0.25, 0.25), seed=seed
    )
    assert [sorted(p) for p in parts(again)] == [tr, va, te]


def test_splitters_registry_and_string_ids():
    assert set(SPLITTERS) == {
        "leave_one_out",
        "global_temporal",
        "ratio",
        "cold_start",
        "last_session_out",
        "temporal_sessions",
        "srgnn",
        "target_event",
    }
    df = pl.DataFrame({"u": ["a", "a", "a", "b"], "i": ["x", "y", "z", "x"], "t": [3, 1, 2, 1]})
    split = SPLITTERS["leave_one_out"](df.lazy(), user="u", item="i", time="t")
    tr, va, te = split.collect()
    assert te.to_dicts() == [{"u": "a", "i": "x", "t": 3}]
    assert va.to_dicts() == [{"u": "a", "i": "z", "t": 2}]
    assert tr["i"].to_list() == ["y", "x"]


def test_check_leakage_finds_test_before_train():
    train = frame([(1, 1, 5), (2, 1, 1)])
    test = frame([(1, 2, 3), (2, 2, 4), (3, 1, 0)])
    leaks = check_leakage(train.lazy(), train.clear().lazy(), test.lazy())
    assert leaks["user_idx"].to_list() == [1] and leaks["part"].to_list() == ["test"]


def test_bad_ratios():
    with pytest.raises(TransformError, match="ratios"):
        ratio(frame([(1, 1, 1)]).lazy(), ratios=(0.5, 0.5, 0.5))


@pytest.mark.parametrize("unit", ["ms", "us", "ns"])
def test_time_key_is_epoch_ms_for_any_datetime_unit(unit):
    """ms columns are keyed by their physical integers; other units convert to ms first."""
    from recdata.splits._split import time_key

    ms = [None, -1_500, 0, 1_628_643_414_042]
    s = pl.Series("timestamp", ms, dtype=pl.Int64).cast(pl.Datetime("ms", "UTC"))
    keys = time_key(s.dt.cast_time_unit(unit))
    assert keys.tolist() == [np.iinfo(np.int64).min, -1_500, 0, 1_628_643_414_042]
