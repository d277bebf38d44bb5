"""Rating filter, implicit label, activity bounds, time window and seeded user sampling."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recdata.errors import TransformError
from recdata.transforms import (
    activity_filter,
    filter_rating,
    implicit_label,
    sample_users,
    time_window,
    to_timestamp,
)

ratings = st.lists(st.one_of(st.none(), st.sampled_from([1.0, 2.0, 3.5, 4.0, 5.0])), max_size=30)


@settings(max_examples=100, deadline=None)
@given(ratings, st.sampled_from([0.0, 3.5, 4.0, 6.0]))
def test_rating_filter_and_label(values, threshold):
    lf = pl.LazyFrame({"rating": values}, schema={"rating": pl.Float32})
    kept = filter_rating(lf, min_rating=threshold).collect()["rating"].to_list()
    assert kept == [v for v in values if v is not None and v >= threshold]
    labelled = implicit_label(lf, threshold=threshold).collect()
    assert labelled.schema["label"] == pl.Int8
    assert labelled["label"].to_list() == [
        None if v is None else int(v >= threshold) for v in values
    ]


users = st.lists(st.integers(0, 5), max_size=50)


@settings(max_examples=150, deadline=None)
@given(users, st.one_of(st.none(), st.integers(0, 6)), st.one_of(st.none(), st.integers(0, 6)))
def test_activity_filter(us, lo, hi):
    df = pl.DataFrame(
        {"user_idx": us, "row": list(range(len(us)))},
        schema={"user_idx": pl.Int32, "row": pl.Int64},
    )
    out = activity_filter(df.lazy(), min_interactions=lo, max_interactions=hi).collect()
    cnt = {u: us.count(u) for u in us}
    ok = [
        r for r, u in enumerate(us) if (lo is None or cnt[u] >= lo) and (hi is None or cnt[u] <= hi)
    ]
    assert out["row"].to_list() == ok


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.integers(0, 10)), max_size=30),
    st.one_of(st.none(), st.integers(0, 10)),
    st.one_of(st.none(), st.integers(0, 10)),
)
def test_time_window_start_inclusive_end_exclusive(ts, start, end):
    lf = to_timestamp(pl.LazyFrame({"timestamp": ts}, schema={"timestamp": pl.Int64}), unit="ms")
    out = time_window(lf, start=start, end=end).collect()["timestamp"].dt.epoch("ms").to_list()
    if start is None and end is None:
        assert out == ts
    else:
        assert out == [
            t
            for t in ts
            if t is not None and (start is None or t >= start) and (end is None or t < end)
        ]


def test_time_window_accepts_datetimes():
    lf = to_timestamp(pl.LazyFrame({"timestamp": [0, 86_400, 2 * 86_400]}), unit="s")
    out = time_window(lf, start=dt.datetime(1970, 1, 2), end=dt.date(1970, 1, 3)).collect()
    assert out.height == 1
    aware = time_window(
        lf, start=dt.datetime(1970, 1, 2, 1, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    )
    assert aware.collect().height == 2


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.sampled_from(["a", "b", "c", "d", "e", "f"]), max_size=40),
    st.integers(0, 7),
    st.integers(0, 3),
)
def test_sample_users_is_seeded_and_order_free(us, n, seed):
    df = pl.DataFrame({"user_idx": us, "row": list(range(len(us)))})
    out = sample_users(df.lazy(), n=n, seed=seed).collect()
    chosen = set(out["user_idx"].to_list())
    assert len(chosen) == min(n, len(set(us)))
    assert out["row"].to_list() == [
        r for r, u in enumerate(us) if u in chosen
    ]  # whole users, order kept
    shuffled = df.reverse()
    again = sample_users(shuffled.lazy(), n=n, seed=seed).collect()
    assert set(again["user_idx"].to_list()) == chosen


def test_sample_fraction_and_errors():
    df = pl.DataFrame({"user_idx": list(range(10))})
    assert sample_users(df.lazy(), fraction=0.25).collect().height == 3  # round(2.5) half up
    with pytest.raises(TransformError, match="exactly one"):
        sample_users(df.lazy())
    with pytest.raises(TransformError, match="fraction"):
        sample_users(df.lazy(), fraction=1.5)
