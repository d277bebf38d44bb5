"""dedup first/last/none against a pure-Python reference; row order and tie stability."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recdata.errors import TransformError
from recdata.transforms import dedup

rows_st = st.lists(
    st.tuples(st.integers(0, 3), st.integers(0, 3), st.one_of(st.none(), st.integers(0, 4))),
    max_size=40,
)


def reference(rows, keep):
    """Keep per (user, item) the row with the smallest (time, row) or largest; null time first."""
    best: dict[tuple[int, int], tuple[float, int]] = {}
    for r, (u, i, t) in enumerate(rows):
        key = (float("-inf") if t is None else t, r)
        cur = best.get((u, i))
        if cur is None or (key < cur if keep == "first" else key > cur):
            best[(u, i)] = key
    return sorted(r for _, r in best.values())


def frame(rows, ids="int") -> pl.DataFrame:
    conv = (lambda x: x) if ids == "int" else (lambda x: f"id{x}")
    return pl.DataFrame(
        {
            "user_idx": [conv(r[0]) for r in rows],
            "item_idx": [conv(r[1]) for r in rows],
            "timestamp": [r[2] for r in rows],
            "row": list(range(len(rows))),
        },
        schema={
            "user_idx": pl.Int32 if ids == "int" else pl.String,
            "item_idx": pl.Int32 if ids == "int" else pl.String,
            "timestamp": pl.Int64,
            "row": pl.Int64,
        },
    ).with_columns(pl.col("timestamp").cast(pl.Datetime("ms", "UTC")))


@settings(max_examples=300, deadline=None)
@given(rows_st, st.sampled_from(["first", "last"]), st.sampled_from(["int", "str"]), st.booleans())
def test_dedup_matches_reference(rows, keep, ids, general_path):
    import recdata.transforms._dedup as impl

    original = impl._pair_sort_mask
    if general_path:  # force the sequence-order path even for time-ordered inputs
        impl._pair_sort_mask = lambda *a, **k: None
    try:
        out = dedup(frame(rows, ids).lazy(), keep=keep).collect()
    finally:
        impl._pair_sort_mask = original
    assert out["row"].to_list() == reference(rows, keep)


def test_dedup_large_string_ids_time_ordered():
    rows = [(k % 97, (k * 7) % 13, k // 3) for k in range(5000)]
    out = dedup(frame(rows, "str").lazy()).collect()
    assert out["row"].to_list() == reference(rows, "first")


@settings(max_examples=50, deadline=None)
@given(rows_st)
def test_none_is_identity(rows):
    df = frame(rows)
    assert dedup(df.lazy(), keep="none").collect().equals(df)


def test_ties_resolve_by_row_order():
    df = pl.DataFrame({"u": [1, 1, 1], "i": [7, 7, 7], "t": [5, 5, 5], "v": ["a", "b", "c"]})
    assert dedup(df.lazy(), user="u", item="i", time="t").collect()["v"].to_list() == ["a"]
    assert dedup(df.lazy(), keep="last", user="u", item="i", time="t").collect()["v"].to_list() == [
        "c"
    ]


def test_bad_keep():
    with pytest.raises(TransformError, match="keep"):
        dedup(pl.LazyFrame({"user_idx": [1], "item_idx": [1], "timestamp": [1]}), keep="any")  # type: ignore[arg-type]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 5), st.integers(0, 5), st.one_of(st.none(), st.integers(0, 6))),
        max_size=60,
    ),
    st.sampled_from(["first", "last"]),
    st.sampled_from([0, 1, 10_000]),
)
def test_repeated_pair_prefilter_matches_reference(rows, keep, threshold):
    """Both sides of PREFILTER_MIN_ROWS (0 and 1: always prefilter; 10_000: never)."""
    import recdata.transforms._dedup as impl

    original = impl.PREFILTER_MIN_ROWS
    impl.PREFILTER_MIN_ROWS = threshold
    try:
        out = dedup(frame(rows).lazy(), keep=keep).collect()
    finally:
        impl.PREFILTER_MIN_ROWS = original
    assert out["row"].to_list() == reference(rows, keep)


@pytest.mark.parametrize("keep", ["first", "last"])
@pytest.mark.parametrize("threshold", [1, 1 << 30])
@pytest.mark.parametrize("shuffled", [False, True])
def test_prefilter_large_matches_reference(monkeypatch, keep, threshold, shuffled):
    """Many rows, few repeated pairs, time-ordered or not, with and without the prefilter."""
    import random

    import recdata.transforms._dedup as impl

    rnd = random.Random(7)
    rows = [(rnd.randrange(400), rnd.randrange(300), k // 5) for k in range(6000)]
    if shuffled:
        rnd.shuffle(rows)
    rows += [(u, i, rnd.choice([None, t, t + 1])) for u, i, t in rows[:200:3]]
    monkeypatch.setattr(impl, "PREFILTER_MIN_ROWS", threshold)
    df = frame(rows)
    cand = impl.repeated_pair_rows(df["user_idx"].to_numpy(), df["item_idx"].to_numpy(), 400, 300)
    assert cand is not None and 0 < len(cand) <= len(rows) // 4  # the prefilter applies
    out = dedup(df.lazy(), keep=keep).collect()
    assert out["row"].to_list() == reference(rows, keep)
    mask = impl.dedup_mask(
        out["user_idx"].to_numpy(), out["item_idx"].to_numpy(), 300, out["row"].to_numpy(), keep
    )
    assert bool(mask.all())  # nothing left to drop
