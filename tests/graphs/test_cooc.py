"""item_cooccurrence against nested loops over each user's sequence; verify_graph_from_train."""

from __future__ import annotations

import polars as pl
import pytest
from graphs.graph_refs import as_dict, cooc_reference, interactions
from hypothesis import given, settings
from hypothesis import strategies as st

from recdata import schema as S
from recdata.errors import FeatureError
from recdata.graphs import item_cooccurrence, verify_graph_from_train


@settings(max_examples=120, deadline=None)
@given(
    interactions(),
    st.sampled_from([1, 2, 3, None]),
    st.booleans(),
    st.sampled_from([None, 1, 2]),
    st.booleans(),
)
def test_matches_reference(
    train: pl.DataFrame, window: int | None, symmetric: bool, top_k: int | None, self_loops: bool
) -> None:
    got = item_cooccurrence(
        train, window=window, symmetric=symmetric, top_k=top_k, self_loops=self_loops
    )
    want = cooc_reference(
        train, window=window, symmetric=symmetric, top_k=top_k, self_loops=self_loops
    )
    assert as_dict(got) == want
    assert got.select("src", "dst").rows() == sorted(want)  # sorted by (src, dst)
    assert got.schema == pl.Schema({"src": pl.Int32, "dst": pl.Int32, "weight": pl.Float32})


@settings(max_examples=40, deadline=None)
@given(interactions())
def test_sequence_order_not_row_order(train: pl.DataFrame) -> None:
    shuffled = train.sample(fraction=1.0, shuffle=True, seed=7)
    assert item_cooccurrence(shuffled, window=2).equals(item_cooccurrence(train, window=2))


def test_timestamp_ties_keep_interaction_order() -> None:
    train = pl.DataFrame(
        {S.INTERACTION: [2, 0, 1], S.USER: [1, 1, 1], S.ITEM: [30, 10, 20], S.TIME: [5, 5, 5]}
    )
    edges = item_cooccurrence(train, symmetric=False)
    assert edges.select("src", "dst").rows() == [(10, 20), (20, 30)]


def test_bad_options() -> None:
    train = pl.DataFrame({S.USER: [1], S.ITEM: [1], S.TIME: [1]})
    with pytest.raises(FeatureError, match="window"):
        item_cooccurrence(train, window=0)
    with pytest.raises(FeatureError, match="order column"):
        item_cooccurrence(train.drop(S.TIME))


@settings(max_examples=60, deadline=None)
@given(
    interactions(max_rows=30),
    st.sampled_from([1, 2, None]),
    st.booleans(),
    st.sampled_from([None, 2]),
)
def test_verify_clean_graph_has_no_unsupported_edges(
    train: pl.DataFrame, window: int | None, symmetric: bool, top_k: int | None
) -> None:
    params = {"window": window, "symmetric": symmetric, "top_k": top_k, "self_loops": False}
    edges = item_cooccurrence(train, window=window, symmetric=symmetric, top_k=top_k)
    assert verify_graph_from_train(edges, train, kind="item_item", params=params).is_empty()
    assert verify_graph_from_train(
        edges.lazy(), train.lazy(), kind="item_item", params=params
    ).is_empty()
    assert verify_graph_from_train(
        edges, train.select(S.USER, S.ITEM).unique(), kind="item_item", params=params
    ).is_empty()


def test_verify_catches_edges_from_test_rows() -> None:
    # user 1 has 1 -> 2 in train and 2 -> 3 only in test; user 2 has 1 -> 2 twice in all data
    train = pl.DataFrame(
        {
            S.INTERACTION: [0, 1, 3, 4],
            S.USER: [1, 1, 2, 2],
            S.ITEM: [1, 2, 1, 2],
            S.TIME: [1, 2, 1, 2],
        }
    )
    test = pl.DataFrame(
        {S.INTERACTION: [2, 5, 6], S.USER: [1, 2, 2], S.ITEM: [3, 1, 2], S.TIME: [3, 3, 4]}
    )
    leaky = item_cooccurrence(pl.concat([train, test]), symmetric=False)
    bad = verify_graph_from_train(leaky, train, kind="item_item", params={"symmetric": False})
    # (2,3) exists only because of test; (1,2)'s count is raised by test rows; (2,1) comes from test
    assert set(bad.select("src", "dst").rows()) == {(2, 3), (1, 2), (2, 1)}
    # without sequence columns only the pair can be checked: (2,3) has no train user in common
    pairs_only = verify_graph_from_train(
        leaky, train.select(S.USER, S.ITEM), kind="item_item", params={}
    )
    assert pairs_only.select("src", "dst").rows() == [(2, 3)]


def test_verify_user_item() -> None:
    train = pl.DataFrame({S.USER: [1, 1, 2], S.ITEM: [1, 2, 1], S.RATING: [5.0, 3.0, 4.0]})
    edges = pl.DataFrame({"src": [1, 1, 2, 2], "dst": [1, 2, 1, 3], "weight": [1.0, 1.0, 2.0, 1.0]})
    bad = verify_graph_from_train(edges, train, kind="user_item", params={"weight": "count"})
    assert bad.select("src", "dst").rows() == [(2, 1), (2, 3)]
    with pytest.raises(FeatureError, match="kind"):
        verify_graph_from_train(edges, train, kind="social", params={})  # type: ignore[arg-type]
