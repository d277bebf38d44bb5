"""The polars engine runs the steps on int32 codes of the raw ids (``load``): every step and the
index must give exactly what the same steps give on the raw-id frame (the reference path)."""

from __future__ import annotations

from typing import Any

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from recdata import schema as S
from recdata.engines.polars import PolarsEngine
from recdata.recipe._steps import normalise_step
from recdata.schema import POLARS_TIMESTAMP

STEPS: list[dict[str, Any]] = [
    {"dedup": {"keep": "first"}},
    {"dedup": {"keep": "last"}},
    {"kcore": {"user_k": 2, "item_k": 2, "mode": "iterative"}},
    {"kcore": {"user_k": 2, "item_k": 3, "mode": "single_pass"}},
    {"filter_rating": {"min_rating": 3}},
    {"implicit_label": {"threshold": 4}},
    {"activity_filter": {"min_interactions": 2, "max_interactions": 6}},
    {"time_window": {"start": "1970-01-01T00:00:03", "end": "1970-01-01T00:00:08"}},
    {"sample_users": {"fraction": 0.5, "seed": 3}},
    {"sample_users": {"n": 2, "seed": 0}},
]


def _step(spec: dict[str, Any]) -> Any:
    from pydantic import TypeAdapter

    from recdata.recipe._steps import Step

    return TypeAdapter(Step).validate_python(normalise_step(spec))


@st.composite
def raw_frames(draw: st.DrawFn) -> pl.DataFrame:
    """Raw-id interactions with repeated pairs, timestamp ties, null timestamps, short users;
    numeric-looking ids so that code order, string order and number order all differ."""
    n = draw(st.integers(1, 40))
    users = draw(st.lists(st.sampled_from(["u10", "u9", "u2", "b", "a1"]), min_size=n, max_size=n))
    items = draw(st.lists(st.sampled_from(["7", "10", "x", "08"]), min_size=n, max_size=n))
    times = draw(st.lists(st.one_of(st.none(), st.integers(0, 10)), min_size=n, max_size=n))
    ratings = draw(st.lists(st.sampled_from([1.0, 3.0, 4.0, 5.0]), min_size=n, max_size=n))
    return pl.DataFrame(
        {
            S.USER_ID: users,
            S.ITEM_ID: items,
            S.TIME: pl.Series([None if t is None else t * 1000 for t in times], dtype=pl.Int64)
            .cast(pl.Datetime("ms"))
            .cast(POLARS_TIMESTAMP),
            S.RATING: pl.Series(ratings, dtype=pl.Float32),
        }
    )


@settings(max_examples=60, deadline=None)
@given(
    raw_frames(),
    st.lists(st.sampled_from(range(len(STEPS))), min_size=1, max_size=3),
    st.sampled_from(["raw_id", "first_seen", "popularity"]),
)
def test_coded_steps_equal_raw_steps(df: pl.DataFrame, picks: list[int], order: Any) -> None:
    reference, coded = PolarsEngine(), PolarsEngine()
    raw, codes = df, coded.load(df)
    assert coded.counts(codes) == reference.counts(raw)
    for pick in picks:
        step = _step(STEPS[pick])
        raw, want_details = reference.step(step, raw)
        codes, got_details = coded.step(step, codes)
        assert got_details == want_details
        assert coded.counts(codes) == reference.counts(raw)
    if raw.height == 0:
        return
    want, got = reference.index(raw, order=order), coded.index(codes, order=order)
    assert_frame_equal(got.interactions, want.interactions)
    assert_frame_equal(got.user_map, want.user_map)
    assert_frame_equal(got.item_map, want.item_map)
