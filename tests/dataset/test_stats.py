"""stats(): counts and distributions against a plain-Python reference."""

from __future__ import annotations

import statistics
from collections import Counter
from pathlib import Path

import polars as pl
from factory import make_small_dataset
from hypothesis import given, settings
from hypothesis import strategies as st

from recdata.statistics import interaction_stats, stats

rows = st.lists(
    st.tuples(st.integers(1, 6), st.integers(1, 8), st.integers(0, 5)), min_size=1, max_size=60
)


def reference(data: list[tuple[int, int, int]]) -> dict:
    users = Counter(u for u, _, _ in data)
    items = Counter(i for _, i, _ in data)
    pairs = Counter((u, i) for u, i, _ in data)
    ties = Counter((u, t) for u, _, t in data)
    return {
        "users": len(users),
        "items": len(items),
        "interactions": len(data),
        "per_user": (min(users.values()), statistics.median(users.values()), max(users.values())),
        "per_item": (min(items.values()), statistics.median(items.values()), max(items.values())),
        "duplicate_pairs": len(data) - len(pairs),
        "tied": sum(n for n in ties.values() if n > 1) / len(data),
    }


@settings(max_examples=60, deadline=None)
@given(rows)
def test_stats_match_reference(data: list[tuple[int, int, int]]) -> None:
    frame = pl.DataFrame(data, schema=["user_idx", "item_idx", "timestamp"], orient="row")
    got = interaction_stats(frame.lazy())
    want = reference(data)
    assert (got["users"], got["items"], got["interactions"]) == (
        want["users"],
        want["items"],
        want["interactions"],
    )
    assert (got["per_user"]["min"], got["per_user"]["median"], got["per_user"]["max"]) == want[
        "per_user"
    ]
    assert (got["per_item"]["min"], got["per_item"]["median"], got["per_item"]["max"]) == want[
        "per_item"
    ]
    assert got["duplicate_pairs"] == want["duplicate_pairs"]
    assert abs(got["tied_timestamp_share"] - want["tied"]) < 1e-6
    assert abs(got["density"] - len(data) / (want["users"] * want["items"])) < 1e-6


def test_stats_of_folder_and_split(tmp_path: Path) -> None:
    folder = make_small_dataset(tmp_path / "s")
    whole = stats(folder)
    assert (whole["users"], whole["items"], whole["interactions"]) == (4, 5, 14)
    assert whole["timestamp_min"].startswith("1970-01-01 00:01:40")
    per_part = stats(folder, split="loo")
    assert [per_part[p]["interactions"] for p in ("train", "valid", "test")] == [8, 3, 3]
