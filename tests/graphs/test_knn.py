"""item_knn against brute-force cosine; conversions to scipy and networkx."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recdata import schema as S
from recdata.errors import FeatureError
from recdata.graphs import _knn, item_knn, to_networkx, to_scipy, user_item


def knn_reference(vectors: dict[int, list[float]], k: int) -> dict[int, list[tuple[float, int]]]:
    """Per item: the other items sorted by (-cosine, item), first k; zero vectors take no part."""

    def cos(a: list[float], b: list[float]) -> float:
        dot = sum(x * y for x, y in zip(a, b, strict=True))
        return dot / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)))

    live = {i: v for i, v in vectors.items() if any(v)}
    return {
        i: sorted((-round(cos(v, w), 9), j) for j, w in live.items() if j != i)[:k]
        for i, v in live.items()
        if len(live) > 1
    }


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.lists(st.integers(-2, 2), min_size=3, max_size=3), min_size=1, max_size=12),
    st.integers(1, 4),
    st.booleans(),
)
def test_matches_brute_force(rows: list[list[int]], k: int, small_blocks: bool) -> None:
    # integer vectors make exact ties common, which exercises the tie-break (smaller item first)
    vectors = {i + 1: [float(x) for x in row] for i, row in enumerate(rows)}
    frame = pl.DataFrame({S.ITEM: list(vectors), "embedding": list(vectors.values())})
    if small_blocks:
        old, _knn._BLOCK_BYTES = _knn._BLOCK_BYTES, 8
    try:
        got = item_knn(frame, k=k)
    finally:
        if small_blocks:
            _knn._BLOCK_BYTES = old
    want = knn_reference(vectors, k)
    assert sorted(set(got["src"].to_list())) == sorted(want)
    for src, neighbours in want.items():
        mine = got.filter(pl.col("src") == src)
        # the same similarity values (float32 may reorder exact ties in the last bit) ...
        assert sorted(-w for w in mine["weight"].to_list()) == pytest.approx(
            sorted(n for n, _ in neighbours), abs=1e-5
        )
        # ... and the same neighbours wherever the k-th similarity is not tied
        clear = [j for n, j in neighbours if n < neighbours[-1][0] - 1e-4]
        assert set(clear) <= set(mine["dst"].to_list())
    assert got.select("src", "dst").rows() == sorted(got.select("src", "dst").rows())


def test_exact_on_random_vectors_and_nulls() -> None:
    rng = np.random.default_rng(0)
    matrix = rng.normal(size=(300, 16)).astype(np.float32)
    frame = pl.DataFrame(
        {
            S.ITEM: np.arange(1, 301, dtype=np.int32),
            "embedding": pl.Series(matrix, dtype=pl.Array(pl.Float32, 16)),
        }
    ).with_columns(pl.when(pl.col(S.ITEM) != 7).then(pl.col("embedding")).alias("embedding"))
    old, _knn._BLOCK_BYTES = _knn._BLOCK_BYTES, 4 * 300 * 64  # 64-row blocks
    try:
        got = item_knn(frame, k=5)
    finally:
        _knn._BLOCK_BYTES = old
    unit = matrix / np.linalg.norm(matrix, axis=1, keepdims=True)
    sim = unit @ unit.T
    np.fill_diagonal(sim, -np.inf)
    sim[6, :] = sim[:, 6] = -np.inf  # item 7 has no embedding
    want = {(i + 1, int(j) + 1) for i in range(300) if i != 6 for j in np.argsort(-sim[i])[:5]}
    assert set(got.select("src", "dst").rows()) == want
    assert 7 not in got["src"].to_list() and 7 not in got["dst"].to_list()
    row = got.filter(pl.col("src") == 1).sort("dst")
    np.testing.assert_allclose(
        row["weight"].to_numpy(), sim[0, row["dst"].to_numpy() - 1], rtol=1e-5
    )
    # the default (one block) gives the same edges; BLAS may round a product of another
    # shape differently in the last bit, so weights agree to float32 precision
    whole = item_knn(frame, k=5)
    assert whole.select("src", "dst").equals(got.select("src", "dst"))
    np.testing.assert_allclose(whole["weight"].to_numpy(), got["weight"].to_numpy(), rtol=1e-6)
    assert item_knn(frame, k=5).equals(whole)  # and one configuration is deterministic


def test_knn_edge_cases() -> None:
    with pytest.raises(FeatureError, match="k must be"):
        item_knn(pl.DataFrame({S.ITEM: [1], "embedding": [[1.0]]}), k=0)
    assert item_knn(pl.DataFrame({S.ITEM: [1], "embedding": [[1.0]]}), k=3).is_empty()
    with pytest.raises(FeatureError, match="embedding"):
        item_knn(pl.DataFrame({S.ITEM: [1]}))


def test_to_scipy_and_networkx() -> None:
    train = pl.DataFrame({S.USER: [1, 1, 2, 2], S.ITEM: [1, 3, 3, 3]})
    edges = user_item(train)
    matrix = to_scipy(edges)
    assert matrix.shape == (3, 4)
    assert matrix[2, 3] == 2.0 and matrix[1, 1] == 1.0 and matrix.sum() == 4.0
    assert to_scipy(edges, shape=(5, 10)).shape == (5, 10)
    graph = to_networkx(edges, bipartite=True)
    assert graph.number_of_nodes() == 4 and graph.number_of_edges() == 3
    assert graph[("user", 2)][("item", 3)]["weight"] == 2.0
    directed = to_networkx(edges)
    assert directed.is_directed() and directed[2][3]["weight"] == 2.0
