"""index_ids / reindex / inverse_ids against a pure-Python reference."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recdata.errors import TransformError
from recdata.transforms import dedup, index_ids, inverse_ids, kcore, reindex

rows_st = st.lists(
    st.tuples(
        st.sampled_from(["b", "a", "c10", "c9", "z"]),
        st.sampled_from(["x", "y", "w", "10", "9"]),
        st.one_of(st.none(), st.integers(0, 5)),
    ),
    max_size=40,
)


def seq_order(rows):
    """Sequence order by (user index, time with null first, input row)."""
    return lambda r, uidx: (uidx[rows[r][0]], -1 if rows[r][2] is None else rows[r][2], r)


def reference(rows, order):
    users = sorted({r[0] for r in rows})
    items = sorted({r[1] for r in rows})
    if order == "raw_id":
        uidx = {u: k + 1 for k, u in enumerate(users)}
    elif order == "popularity":
        cnt = {u: sum(1 for r in rows if r[0] == u) for u in users}
        uidx = {u: k + 1 for k, u in enumerate(sorted(users, key=lambda u: (-cnt[u], u)))}
    else:  # first_seen: chronological first appearance (time, row)
        first = {}
        for _r, row in sorted(
            enumerate(rows), key=lambda p: (-1 if p[1][2] is None else p[1][2], p[0])
        ):
            first.setdefault(row[0], len(first))
        uidx = {u: first[u] + 1 for u in users}
    seq = sorted(range(len(rows)), key=lambda r: seq_order(rows)(r, uidx))
    if order == "raw_id":
        iidx = {i: k + 1 for k, i in enumerate(items)}
    elif order == "popularity":
        cnt = {i: sum(1 for r in rows if r[1] == i) for i in items}
        iidx = {i: k + 1 for k, i in enumerate(sorted(items, key=lambda i: (-cnt[i], i)))}
    else:
        seen: dict[str, int] = {}
        for r in seq:
            seen.setdefault(rows[r][1], len(seen) + 1)
        iidx = seen
    return uidx, iidx, seq


def frame(rows) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "user_id": [r[0] for r in rows],
            "item_id": [r[1] for r in rows],
            "timestamp": [r[2] for r in rows],
            "row": list(range(len(rows))),
        },
        schema={"user_id": pl.String, "item_id": pl.String, "timestamp": pl.Int64, "row": pl.Int64},
    )


@settings(max_examples=250, deadline=None)
@given(rows_st, st.sampled_from(["raw_id", "popularity", "first_seen"]))
def test_index_ids_matches_reference(rows, order):
    data = index_ids(frame(rows).lazy(), order=order)
    uidx, iidx, seq = reference(rows, order)
    out = data.interactions
    assert out.columns == ["interaction_idx", "user_idx", "item_idx", "timestamp", "row"]
    assert out.schema["user_idx"] == pl.Int32 and out.schema["item_idx"] == pl.Int32
    assert out["interaction_idx"].to_list() == list(range(len(rows)))
    assert out["row"].to_list() == seq
    assert out["user_idx"].to_list() == [uidx[rows[r][0]] for r in seq]
    assert out["item_idx"].to_list() == [iidx[rows[r][1]] for r in seq]
    assert dict(zip(data.user_map["user_id"], data.user_map["user_idx"], strict=True)) == uidx
    assert dict(zip(data.item_map["item_id"], data.item_map["item_idx"], strict=True)) == iidx
    assert data.user_map["user_idx"].to_list() == list(range(1, len(uidx) + 1))
    back = inverse_ids(out.lazy(), user_map=data.user_map, item_map=data.item_map).collect()
    assert back["user_id"].to_list() == [rows[r][0] for r in seq]
    assert back["item_id"].to_list() == [rows[r][1] for r in seq]


@settings(max_examples=150, deadline=None)
@given(
    rows_st,
    st.sampled_from(["raw_id", "popularity", "first_seen"]),
    st.booleans(),
    st.sampled_from(["raw_id", "any"]),
)
def test_index_early_then_reindex_equals_index_late(rows, order, sort, early_order):
    """index (raw_id or any) -> dedup -> kcore on int32 -> reindex == dedup -> kcore -> index_ids.

    first_seen breaks time ties by input row, which the early index keeps only unsorted.
    """
    if order == "first_seen":
        sort = False
    _early_equals_late(frame(rows), order, sort, early_order)


def _early_equals_late(
    df: pl.DataFrame, order: str, sort: bool, early_order: str, free_rows: bool = False
) -> None:
    raw = df.lazy()
    late = index_ids(
        kcore(
            dedup(raw, user="user_id", item="item_id"),
            user_k=2,
            item_k=1,
            user="user_id",
            item="item_id",
        ),
        order=order,
    )
    early = index_ids(raw, sort=sort, order=early_order)
    filtered = kcore(dedup(early.interactions.lazy()), user_k=2, item_k=1)
    if free_rows:  # reindex needs only the maps
        early = early.without_interactions()
        assert early.interactions.height == 0
    again = reindex(early, filtered, order=order)
    assert again.interactions.drop("row").equals(late.interactions.drop("row"))
    assert again.interactions["row"].to_list() == late.interactions["row"].to_list()
    assert again.user_map.equals(late.user_map)
    assert again.item_map.equals(late.item_map)


@pytest.mark.parametrize("order", ["raw_id", "popularity", "first_seen"])
@pytest.mark.parametrize("kind", ["string", "int_with_nulls"])
def test_any_order_then_reindex_on_large_frames(order, kind):
    """Large string columns take the hashed encoding, whose codes follow no value order;
    integer keys with nulls are not coded by value either: reindex must still order survivors
    by raw id (numbers numerically, null first) exactly as indexing the filtered frame does."""
    import numpy as np

    rng = np.random.default_rng(7)
    n = 5_000
    users = rng.integers(0, 400, n)
    items = rng.integers(0, 150, n)
    if kind == "string":
        ucol = pl.Series("user_id", [f"u{x}" for x in users])
        icol = pl.Series("item_id", [f"i{x}" for x in items])
    else:
        ucol = pl.Series("user_id", users).set(pl.Series(rng.random(n) < 0.01), None)
        icol = pl.Series("item_id", items * 7 - 300)
    df = pl.DataFrame(
        [ucol, icol, pl.Series("timestamp", rng.integers(0, 50, n)), pl.Series("row", np.arange(n))]
    )
    early = index_ids(df.lazy(), order="any", sort=False)
    assert sorted(early.user_map["user_idx"].to_list()) == list(range(1, ucol.n_unique() + 1))
    _early_equals_late(df, order, order != "first_seen", "any", free_rows=True)


def test_reindex_refuses_order_any():
    data = index_ids(frame([("a", "x", 1)]).lazy(), order="any")
    with pytest.raises(TransformError, match="raw_id"):
        reindex(data, data.interactions.lazy(), order="any")


def test_numeric_ids_sort_by_value():
    df = pl.DataFrame({"user_id": [10, 9, 100], "item_id": [2, 1, 2], "timestamp": [1, 2, 3]})
    data = index_ids(df.lazy())
    assert data.user_map.to_dict(as_series=False) == {
        "user_idx": [1, 2, 3],
        "user_id": ["9", "10", "100"],
    }


def test_clashing_columns_raise():
    df = pl.DataFrame({"user_id": ["a"], "item_id": ["b"], "user_idx": [3]})
    with pytest.raises(TransformError, match="already has"):
        index_ids(df.lazy(), time=None)


def test_reindex_requires_raw_id_order():
    data = index_ids(frame([("a", "x", 1)]).lazy(), order="popularity")
    with pytest.raises(TransformError, match="raw_id"):
        reindex(data, data.interactions.lazy())


def test_input_order_numbers_by_first_appearance_in_the_input_rows() -> None:
    """``input``: users and items by first appearance in the rows as given, not in time."""
    import datetime as dt

    t = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    frame = pl.DataFrame(
        {
            "user_id": ["s9", "s9", "s1", "s1"],
            "item_id": ["b", "a", "a", "c"],
            "timestamp": [t + dt.timedelta(days=3), t + dt.timedelta(days=2), t, t],
        }
    )
    got = index_ids(frame.lazy(), order="input")
    assert got.user_map["user_id"].to_list() == ["s9", "s1"]
    assert got.item_map["item_id"].to_list() == ["b", "a", "c"]
    # rows still in sequence order: user_idx, then time (s9's "a" before its "b")
    assert got.interactions["item_idx"].to_list() == [2, 1, 2, 3]
