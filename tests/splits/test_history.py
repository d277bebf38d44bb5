"""The history column against a pure-Python reference, with caps and a separate source."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from recdata.splits import add_history, global_temporal, leave_one_out

rows_st = st.lists(
    st.tuples(st.integers(1, 4), st.integers(1, 9), st.one_of(st.none(), st.integers(0, 6))),
    max_size=40,
)


def frame(rows) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "interaction_idx": list(range(len(rows))),
            "user_idx": [r[0] for r in rows],
            "item_idx": [r[1] for r in rows],
            "timestamp": [r[2] for r in rows],
        },
        schema={
            "interaction_idx": pl.Int64,
            "user_idx": pl.Int32,
            "item_idx": pl.Int32,
            "timestamp": pl.Int64,
        },
    ).with_columns(pl.col("timestamp").cast(pl.Datetime("ms", "UTC")))


def key(rows, r):
    return (-1 if rows[r][2] is None else rows[r][2], r)


def reference(rows, cap, sources=None):
    sources = range(len(rows)) if sources is None else sources
    out = []
    for r in range(len(rows)):
        earlier = sorted(
            (s for s in sources if rows[s][0] == rows[r][0] and key(rows, s) < key(rows, r)),
            key=lambda s: key(rows, s),
        )
        items = [rows[s][1] for s in earlier]
        out.append(items if cap is None else items[max(0, len(items) - cap) :] if cap else [])
    return out


@settings(max_examples=200, deadline=None)
@given(rows_st, st.one_of(st.none(), st.integers(0, 3)))
def test_history_matches_reference(rows, cap):
    out = add_history(frame(rows).lazy(), cap=cap).collect()
    assert out.schema["history"] == pl.List(pl.Int32)
    assert out["history"].to_list() == reference(rows, cap)


@settings(max_examples=150, deadline=None)
@given(rows_st, st.one_of(st.none(), st.integers(0, 3)), st.integers(0, 6))
def test_history_within_another_frame(rows, cap, cut):
    df = frame(rows)
    src = [r for r in range(len(rows)) if rows[r][2] is not None and rows[r][2] < cut]
    within = df.filter(pl.col("interaction_idx").is_in(src)).lazy()
    out = add_history(df.lazy(), cap=cap, within=within).collect()
    assert out["history"].to_list() == reference(rows, cap, src)


@settings(max_examples=60, deadline=None)
@given(rows_st)
def test_splits_carry_history(rows):
    df = frame(rows)
    full = reference(rows, 2)
    split = leave_one_out(df.lazy(), history=True, history_cap=2)
    for part in split.collect():
        for idx, hist in zip(part["interaction_idx"], part["history"], strict=True):
            assert hist.to_list() == full[idx]
    temporal = global_temporal(df.lazy(), cutoffs=(2, 4), history=True, history_cap=2)
    for part in temporal.collect():
        for idx, hist in zip(part["interaction_idx"], part["history"], strict=True):
            assert hist.to_list() == full[idx]
