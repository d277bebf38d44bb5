"""user_item against a brute-force count / mean-rating reference; degree statistics."""

from __future__ import annotations

from collections import defaultdict

import polars as pl
import pytest
from graphs.graph_refs import as_dict, interactions
from hypothesis import given, settings

from recdata import schema as S
from recdata.errors import FeatureError
from recdata.graphs import degree_stats, user_item


@settings(max_examples=60, deadline=None)
@given(interactions())
def test_count_and_rating_match_reference(train: pl.DataFrame) -> None:
    counts: dict[tuple[int, int], int] = defaultdict(int)
    ratings: dict[tuple[int, int], list[float]] = defaultdict(list)
    for row in train.iter_rows(named=True):
        counts[(row[S.USER], row[S.ITEM])] += 1
        ratings[(row[S.USER], row[S.ITEM])].append(row[S.RATING])
    by_count = user_item(train)
    assert as_dict(by_count) == {k: float(v) for k, v in counts.items()}
    by_rating = as_dict(user_item(train.lazy(), weight="rating"))
    assert by_rating.keys() == ratings.keys()
    for key, values in ratings.items():
        assert by_rating[key] == pytest.approx(sum(values) / len(values), rel=1e-6)
    assert by_count.schema == pl.Schema({"src": pl.Int32, "dst": pl.Int32, "weight": pl.Float32})
    assert by_count.select("src", "dst").rows() == sorted(counts)


def test_rating_weight_needs_ratings() -> None:
    train = pl.DataFrame({S.USER: [1, 1], S.ITEM: [1, 2], S.RATING: [4.0, None]})
    with pytest.raises(FeatureError, match="1 \\(user, item\\) pair"):
        user_item(train, weight="rating")
    with pytest.raises(FeatureError, match="missing column"):
        user_item(train.drop(S.ITEM))


def test_degree_stats() -> None:
    edges = pl.DataFrame({"src": [1, 1, 1, 2], "dst": [1, 2, 3, 1], "weight": [1.0, 2.0, 1.0, 1.0]})
    stats = degree_stats(edges)
    assert stats["edges"] == 4 and stats["src_nodes"] == 2 and stats["dst_nodes"] == 3
    assert stats["out_degree"] == {"min": 1, "median": 2.0, "mean": 2.0, "max": 3}
    assert stats["in_degree"]["max"] == 2 and stats["weight_sum"] == 5.0
    assert degree_stats(edges.clear())["edges"] == 0
