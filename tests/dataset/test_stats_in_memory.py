"""interaction_stats of an in-memory frame (numpy pair and tie counts) equals the lazy path's."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from recdata import schema as S
from recdata.statistics import interaction_stats


@st.composite
def frames(draw: st.DrawFn) -> pl.DataFrame:
    n = draw(st.integers(0, 30))
    users = draw(st.lists(st.integers(1, 4), min_size=n, max_size=n))
    items = draw(st.lists(st.integers(1, 5), min_size=n, max_size=n))
    times = draw(st.lists(st.one_of(st.none(), st.integers(0, 3)), min_size=n, max_size=n))
    frame = pl.DataFrame(
        {
            S.USER: pl.Series(users, dtype=pl.Int32),
            S.ITEM: pl.Series(items, dtype=pl.Int32),
            S.TIME: pl.Series(times, dtype=pl.Int64).cast(pl.Datetime("ms", "UTC")),
        }
    )
    if draw(st.booleans()):  # sequence order, as the interactions table is
        frame = frame.sort(S.USER, S.TIME, nulls_last=False, maintain_order=True)
    return frame


@settings(max_examples=150, deadline=None)
@given(frames())
def test_in_memory_equals_lazy(frame: pl.DataFrame) -> None:
    assert interaction_stats(frame) == interaction_stats(frame.lazy())


def test_ties_and_pairs_counted() -> None:
    frame = pl.DataFrame(
        {
            S.USER: pl.Series([1, 1, 1, 2, 2, 2], dtype=pl.Int32),
            S.ITEM: pl.Series([1, 2, 1, 3, 3, 4], dtype=pl.Int32),
            S.TIME: pl.Series([0, 5, 5, 1, 2, 2]).cast(pl.Datetime("ms", "UTC")),
        }
    )
    got = interaction_stats(frame)
    assert got["duplicate_pairs"] == 2  # (1, 1) and (2, 3) repeat
    assert got["tied_timestamp_share"] == round(4 / 6, 6)  # user 1 at 5, user 2 at 2
