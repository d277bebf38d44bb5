"""Spark engine == polars engine, stage by stage, on random frames (hypothesis).

Each generated example is a batch of independent small cases (disjoint user and item ids)
concatenated into one frame, so one Spark job covers many cases: timestamp ties, null
timestamps, repeated (user, item) pairs, users shorter than a split needs, string and integer
ids. The polars engine is the reference; every table is compared with assert_frame_equal and
every report or step detail with ==.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from recdata import schema as S
from recdata.engines.polars import PolarsEngine
from recdata.errors import RecdataError
from recdata.recipe._steps import (
    ActivityFilterStep,
    DedupStep,
    FilterRatingStep,
    ImplicitLabelStep,
    KcoreStep,
    SampleUsersStep,
    TimeWindowStep,
)

pytestmark = pytest.mark.spark

POLARS = PolarsEngine()
FEW = settings(
    max_examples=4,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # no shrinking: each try is a Spark job
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

_row = st.tuples(
    st.integers(0, 4),  # user within the case
    st.integers(0, 5),  # item within the case
    st.one_of(st.none(), st.integers(0, 6)),  # timestamp (seconds): ties and nulls
    st.one_of(st.none(), st.sampled_from([1.0, 2.5, 3.0, 4.0, 5.0])),
)


@st.composite
def frames(draw: Any) -> pl.DataFrame:
    """Interactions in canonical columns (source order = row order) plus one extra column."""
    cases = draw(st.lists(st.lists(_row, max_size=24), min_size=1, max_size=8))
    string_ids = draw(st.booleans())
    users, items, times, ratings = [], [], [], []
    for c, rows in enumerate(cases):
        for u, i, t, r in rows:
            users.append(f"u{c}-{u}" if string_ids else c * 10 + u)
            items.append(f"i{c}-{i}" if string_ids else c * 10 + i)
            times.append(None if t is None else 1_600_000_000_000 + t * 1000)
            ratings.append(r)
    id_type = pl.String if string_ids else pl.Int64
    df = pl.DataFrame(
        {
            S.USER_ID: pl.Series(users, dtype=id_type),
            S.ITEM_ID: pl.Series(items, dtype=id_type),
            S.TIME: pl.Series(times, dtype=pl.Int64).cast(pl.Datetime("ms")),
            S.RATING: pl.Series(ratings, dtype=pl.Float32),
        }
    )
    df = df.with_columns(pl.col(S.TIME).dt.replace_time_zone("UTC"))
    return df.with_columns(pl.int_range(pl.len()).cast(pl.String).alias("note"))


def _same(engine: Any, spark_frame: Any, expected: pl.DataFrame) -> None:
    assert_frame_equal(engine.collect(spark_frame), expected)


def _both(engine: Any, fn: Any) -> tuple[Any, Any]:
    """``fn`` on each engine; when polars raises a RecdataError, Spark must raise one too."""
    try:
        want = fn(POLARS)
    except RecdataError as exc:
        with pytest.raises(type(exc)):
            fn(engine)
        return None, None
    return want, fn(engine)


STEPS = [
    DedupStep(keep="first"),
    DedupStep(keep="last"),
    FilterRatingStep(min_rating=3.0),
    ImplicitLabelStep(threshold=2.5),
    ActivityFilterStep(min_interactions=2, max_interactions=6),
    TimeWindowStep(start=1_600_000_002_000, end=dt.datetime(2020, 9, 13, 12, 26, 45)),
    SampleUsersStep(fraction=0.5, seed=3),
    SampleUsersStep(n=4, seed=1),
    KcoreStep(user_k=2, item_k=2, mode="iterative"),
    KcoreStep(user_k=3, item_k=2, mode="iterative", max_rounds=1),
    KcoreStep(user_k=2, item_k=3, mode="single_pass"),
]


@FEW
@given(df=frames())
def test_steps(engine: Any, df: pl.DataFrame) -> None:
    loaded = engine.load(df)
    for step in STEPS:
        # counts of the input first: steps that know their output's counts from them
        # (dedup, k-core) hand those on instead of counting again
        assert engine.counts(loaded) == POLARS.counts(df)
        want, want_details = POLARS.step(step, df)
        got, got_details = engine.step(step, loaded)
        _same(engine, got, want)
        assert got_details == want_details, step
        assert engine.counts(got) == POLARS.counts(want)


@FEW
@given(df=frames(), k=st.integers(1, 4))
def test_kcore_to_the_fixed_point(engine: Any, df: pl.DataFrame, k: int) -> None:
    for step in (KcoreStep(user_k=k, item_k=k), KcoreStep(user_k=k, item_k=1, mode="single_pass")):
        want, details = POLARS.step(step, df)
        got, got_details = engine.step(step, engine.load(df))
        _same(engine, got, want)
        assert got_details == details


@FEW
@given(df=frames(), k=st.integers(2, 4))
def test_kcore_when_rounds_are_large(engine: Any, df: pl.DataFrame, k: int) -> None:
    """The paths taken at scale: removed rows counted on Spark, not broadcast id sets."""
    from recdata.engines.spark import _steps

    step = KcoreStep(user_k=k, item_k=k - 1)
    want, details = POLARS.step(step, df)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_steps, "COLLECT_ROWS", 0)
        patch.setattr(_steps, "BROADCAST_IDS", 0)
        got, got_details = engine.step(step, engine.load(df))
        _same(engine, got, want)
    assert got_details == details
    assert engine.counts(got) == POLARS.counts(want)


@FEW
@given(df=frames())
def test_index(engine: Any, df: pl.DataFrame) -> None:
    loaded = engine.load(df)
    for order in ("raw_id", "popularity", "first_seen", "input"):
        want = POLARS.index(df, order=order)
        got = engine.index(loaded, order=order)
        _same(engine, got.interactions, want.interactions)
        assert_frame_equal(got.user_map, want.user_map)
        assert_frame_equal(got.item_map, want.item_map)


SPLITS = [
    ("leave_one_out", {}),
    ("leave_one_out", {"min_interactions": 4, "short_users": "drop"}),
    ("leave_one_out", {"min_interactions": 1, "history": True, "history_cap": 2}),
    ("global_temporal", {"quantiles": (0.5, 0.8)}),
    ("global_temporal", {"quantiles": (0.3, 0.3), "unseen": "drop", "history": True}),
    ("global_temporal", {"cutoffs": (1_600_000_002_000, 1_600_000_004_000), "unseen": "drop"}),
    ("global_temporal", {"quantiles": (0.4, 0.7), "unseen": "drop_users", "gap": 1.5}),
    ("ratio", {"ratios": (0.6, 0.2, 0.2)}),
    ("ratio", {"order": "random", "seed": 7, "history": True, "history_cap": 1}),
    ("cold_start", {"entity": "user", "ratios": (0.5, 0.25, 0.25), "seed": 2}),
    ("cold_start", {"entity": "item", "seed": 5}),
]


@FEW
@given(df=frames())
def test_splits(engine: Any, df: pl.DataFrame) -> None:
    want_index = POLARS.index(df, order="raw_id")
    got_index = engine.index(engine.load(df), order="raw_id")
    for protocol, params in SPLITS:
        want, got = _both(
            engine,
            lambda e, p=protocol, kw=params: e.split(
                want_index.interactions if e is POLARS else got_index.interactions,
                protocol=p,
                params=kw,
            ),
        )
        if want is None:
            continue
        for part in ("train", "valid", "test"):
            _same(engine, got.parts[part], want.parts[part])
        assert got.record == want.record, (protocol, params)
        assert got.sizes == want.sizes


@FEW
@given(df=frames())
def test_index_and_splits_without_broadcasts(engine: Any, df: pl.DataFrame) -> None:
    """The joins taken when the per-user and per-item tables exceed the heap's broadcast limit
    (a heap too small for one broadcast row): the same rows as polars."""
    from recdata.engines.spark import _frames

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_frames, "HEAP_PER_BROADCAST_ROW", 1 << 62)
        assert _frames.broadcast_rows(engine.spark) == 1
        for order in ("raw_id", "first_seen"):
            want = POLARS.index(df, order=order)
            got = engine.index(engine.load(df), order=order)
            _same(engine, got.interactions, want.interactions)
            assert_frame_equal(got.user_map, want.user_map)
        for protocol, params in (SPLITS[0], SPLITS[-2]):  # leave-one-out, cold-start users
            want_split = POLARS.split(want.interactions, protocol=protocol, params=params)
            got_split = engine.split(got.interactions, protocol=protocol, params=params)
            for part in ("train", "valid", "test"):
                _same(engine, got_split.parts[part], want_split.parts[part])
            assert got_split.record == want_split.record


GRAPHS = [
    ("user_item", {"weight": "count"}),
    ("user_item", {"weight": "rating"}),
    ("item_item", {"window": 1, "symmetric": True, "top_k": None, "self_loops": False}),
    ("item_item", {"window": 2, "symmetric": False, "top_k": 2, "self_loops": True}),
    ("item_item", {"window": None, "symmetric": True, "top_k": None, "self_loops": False}),
]


@FEW
@given(df=frames())
def test_graphs_and_statistics(engine: Any, df: pl.DataFrame) -> None:
    want_index = POLARS.index(df, order="raw_id")
    got_index = engine.index(engine.load(df), order="raw_id")
    assert engine.statistics(got_index.interactions) == POLARS.statistics(want_index.interactions)
    want_train = POLARS.split(want_index.interactions, protocol="leave_one_out", params={})
    got_train = engine.split(got_index.interactions, protocol="leave_one_out", params={})
    order = [S.TIME, S.INTERACTION]
    for kind, params in GRAPHS:

        def build(e: Any, kind: str = kind, params: dict = params) -> pl.DataFrame:
            train = (want_train if e is POLARS else got_train).parts["train"]
            if kind == "user_item":
                return e.user_item(train, **params)
            return e.item_item(train, order=order, **params)

        want, got = _both(engine, build)
        if want is not None:
            assert_frame_equal(got, want)


def test_a_step_without_a_spark_implementation_is_a_usage_error(engine: Any) -> None:
    from recdata.errors import UsageError

    class Unknown:
        key = "mystery"

    with pytest.raises(UsageError, match="step 'mystery' has no Spark implementation"):
        engine.step(Unknown(), None)
    with pytest.raises(UsageError, match="split protocol 'nope'"):
        engine.split(None, protocol="nope", params={})
