"""k-core against a pure-Python reference: the unique maximal fixed point, rounds, single pass."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recdata.errors import TransformError
from recdata.transforms import kcore, kcore_report

pairs = st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6)), max_size=60)


def ref_rounds(rows: list[tuple[int, int]], uk: int, ik: int, limit: int | None):
    """Slow reference: each round drops rows of users < uk and items < ik counted at its start."""
    alive = list(range(len(rows)))
    rounds = 0
    while True:
        cu: dict[int, int] = {}
        ci: dict[int, int] = {}
        for r in alive:
            cu[rows[r][0]] = cu.get(rows[r][0], 0) + 1
            ci[rows[r][1]] = ci.get(rows[r][1], 0) + 1
        keep = [r for r in alive if cu[rows[r][0]] >= uk and ci[rows[r][1]] >= ik]
        if len(keep) == len(alive):
            return alive, rounds, True
        if limit is not None and rounds >= limit:
            return alive, rounds, False
        alive, rounds = keep, rounds + 1


def is_core(rows, kept, uk, ik) -> bool:
    cu: dict[int, int] = {}
    ci: dict[int, int] = {}
    for r in kept:
        cu[rows[r][0]] = cu.get(rows[r][0], 0) + 1
        ci[rows[r][1]] = ci.get(rows[r][1], 0) + 1
    return all(v >= uk for v in cu.values()) and all(v >= ik for v in ci.values())


def frame(rows) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "user_idx": [r[0] for r in rows],
            "item_idx": [r[1] for r in rows],
            "row": list(range(len(rows))),
        },
        schema={"user_idx": pl.Int32, "item_idx": pl.Int32, "row": pl.Int64},
    )


@settings(max_examples=300, deadline=None)
@given(pairs, st.integers(0, 4), st.integers(0, 4))
def test_iterative_is_the_maximal_fixed_point(rows, uk, ik):
    out, report = kcore_report(frame(rows).lazy(), user_k=uk, item_k=ik)
    expected, rounds, _ = ref_rounds(rows, uk, ik, None)
    assert out["row"].to_list() == expected  # input order kept
    assert report.rounds == rounds
    assert report.converged
    assert is_core(rows, expected, uk, ik)
    # maximality: every core is contained in the result (cores are closed under union), so
    # adding all rows of any one dropped user never gives a core
    for u in {rows[r][0] for r in set(range(len(rows))) - set(expected)}:
        extra = [r for r in range(len(rows)) if rows[r][0] == u and r not in expected]
        assert not is_core(rows, sorted(expected + extra), uk, ik)
    assert report.rows_before == len(rows) and report.rows_after == len(expected)
    assert report.users_after == len({rows[r][0] for r in expected})
    assert report.items_after == len({rows[r][1] for r in expected})


@settings(max_examples=200, deadline=None)
@given(pairs, st.integers(0, 4), st.integers(0, 4))
def test_single_pass_takes_counts_once(rows, uk, ik):
    cu: dict[int, int] = {}
    ci: dict[int, int] = {}
    for u, i in rows:
        cu[u] = cu.get(u, 0) + 1
        ci[i] = ci.get(i, 0) + 1
    expected = [r for r, (u, i) in enumerate(rows) if cu[u] >= uk and ci[i] >= ik]
    out, report = kcore_report(frame(rows).lazy(), user_k=uk, item_k=ik, mode="single_pass")
    assert out["row"].to_list() == expected
    assert report.rounds == (0 if len(expected) == len(rows) else 1)
    assert report.converged == is_core(rows, expected, uk, ik)


@settings(max_examples=150, deadline=None)
@given(pairs, st.integers(1, 4), st.integers(1, 4), st.integers(1, 3))
def test_max_rounds_stops_early(rows, uk, ik, limit):
    expected, rounds, converged = ref_rounds(rows, uk, ik, limit)
    out, report = kcore_report(frame(rows).lazy(), user_k=uk, item_k=ik, max_rounds=limit)
    assert out["row"].to_list() == expected
    assert (report.rounds, report.converged) == (rounds, converged)


def test_string_ids_and_lazy_result():
    df = pl.DataFrame({"u": ["a", "a", "b", "b", "c"], "i": ["x", "y", "x", "y", "x"]})
    out = kcore(df.lazy(), user_k=2, item_k=2, user="u", item="i")
    assert isinstance(out, pl.LazyFrame)
    assert out.collect().to_dict(as_series=False) == {
        "u": ["a", "a", "b", "b"],
        "i": ["x", "y", "x", "y"],
    }


def test_bad_parameters_raise():
    lf = frame([(1, 1)]).lazy()
    with pytest.raises(TransformError, match="user_k"):
        kcore(lf, user_k=-1)
    with pytest.raises(TransformError, match="mode"):
        kcore(lf, mode="twice")  # type: ignore[arg-type]
    with pytest.raises(TransformError, match="max_rounds"):
        kcore(lf, max_rounds=0)


def test_large_random_matches_reference():
    rng = np.random.default_rng(3)
    rows = list(zip(rng.integers(0, 400, 3000), rng.integers(0, 300, 3000), strict=True))
    rows = [(int(u), int(i)) for u, i in rows]
    out, report = kcore_report(frame(rows).lazy(), user_k=5, item_k=5)
    expected, rounds, _ = ref_rounds(rows, 5, 5, None)
    assert out["row"].to_list() == expected and report.rounds == rounds and rounds >= 2
    # the same through string ids (hash encoding path, > 1000 rows)
    named = frame(rows).with_columns(
        pl.format("u{}", "user_idx").alias("user_idx"),
        pl.format("i{}", "item_idx").alias("item_idx"),
    )
    out_s, report_s = kcore_report(named.lazy(), user_k=5, item_k=5)
    assert out_s["row"].to_list() == expected and report_s.rounds == rounds


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 12), st.integers(0, 12)), max_size=150),
    st.integers(1, 5),
    st.integers(1, 5),
    st.sampled_from([0, 1, 2]),
)
def test_narrowed_scan_matches_reference(rows, uk, ik, margin):
    """The at-risk row subset of later rounds (forced at any size; margin 0 forces the
    fall-back to a full scan whenever an entity not at risk falls) changes nothing."""
    from recdata.transforms import _kcore as impl

    original = impl.SUBSET_MIN_ROWS, impl.RISK_MARGIN
    impl.SUBSET_MIN_ROWS, impl.RISK_MARGIN = 0, margin
    try:
        out, report = kcore_report(frame(rows).lazy(), user_k=uk, item_k=ik)
    finally:
        impl.SUBSET_MIN_ROWS, impl.RISK_MARGIN = original
    expected, rounds, _ = ref_rounds(rows, uk, ik, None)
    assert out["row"].to_list() == expected
    assert report.rounds == rounds and report.converged


@pytest.mark.parametrize("margin", [0, 2])
def test_narrowed_scan_large_power_law(monkeypatch, margin):
    from recdata.transforms import _kcore as impl

    monkeypatch.setattr(impl, "SUBSET_MIN_ROWS", 0)
    monkeypatch.setattr(impl, "RISK_MARGIN", margin)
    rng = np.random.default_rng(11)
    users = (rng.zipf(1.3, 20_000) % 8_000).tolist()
    items = (rng.zipf(1.3, 20_000) % 5_000).tolist()
    rows = list(zip(users, items, strict=True))
    out, report = kcore_report(frame(rows).lazy(), user_k=5, item_k=5)
    expected, rounds, _ = ref_rounds(rows, 5, 5, None)
    assert out["row"].to_list() == expected and report.rounds == rounds and rounds >= 3
