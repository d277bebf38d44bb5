"""The sampler against a slow, obviously-correct reference: eligibility, uniqueness, length."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from candidate_kit import reference_negatives_ok
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recdata.candidates import Rows, Sampler, exclusion
from recdata.candidates import _sample as sample_module
from recdata.candidates._hash import stream_key


@st.composite
def problems(draw):  # noqa: ANN001, ANN201
    """Users' excluded items, evaluated rows, N and optional weights over a small catalogue."""
    n_items = draw(st.integers(1, 40))
    n_users = draw(st.integers(1, 5))
    pairs = draw(
        st.lists(
            st.tuples(st.integers(1, n_users), st.integers(1, n_items)), min_size=0, max_size=80
        )
    )
    n_rows = draw(st.integers(1, 12))
    users = draw(st.lists(st.integers(1, n_users), min_size=n_rows, max_size=n_rows))
    positives = draw(st.lists(st.integers(1, n_items), min_size=n_rows, max_size=n_rows))
    ids = draw(st.lists(st.integers(0, 10_000), min_size=n_rows, max_size=n_rows, unique=True))
    n = draw(st.integers(1, 15))
    weights = None
    if draw(st.booleans()):
        weights = [0.0] + draw(
            st.lists(
                st.sampled_from([0.0, 0.5, 1.0, 3.0, 40.0]), min_size=n_items, max_size=n_items
            )
        )
    seed = draw(st.integers(0, 2**32))
    return n_items, n_users, pairs, users, positives, ids, n, weights, seed


def _run(problem, **kw):  # noqa: ANN001, ANN003, ANN202
    n_items, n_users, pairs, users, positives, ids, n, weights, seed = problem
    frame = pl.DataFrame(
        {"user_idx": [p[0] for p in pairs], "item_idx": [p[1] for p in pairs]},
        schema={"user_idx": pl.Int32, "item_idx": pl.Int32},
    )
    excl = exclusion(frame, n_items=n_items, n_users=n_users)
    sampler = Sampler(
        n=n,
        exclusion=excl,
        weights=None if weights is None else np.array(weights),
        key=stream_key(seed, "loo", "test"),
        **kw,
    )
    order = np.argsort(np.array(ids))  # rows in interaction_idx order, as the folder stage gives
    rows = Rows(
        np.array(ids, dtype=np.int64)[order],
        np.array(users, dtype=np.int32)[order],
        np.array(positives, dtype=np.int32)[order],
    )
    lists = sampler.sample(rows)
    return rows, lists, sampler


def _check(problem, rows, lists) -> None:  # noqa: ANN001
    n_items, _, pairs, _, _, _, n, weights, _ = problem
    for r in range(len(rows)):
        user, positive = int(rows.users[r]), int(rows.positives[r])
        excluded = {item for u, item in pairs if u == user} | {positive}
        eligible = {
            i
            for i in range(1, n_items + 1)
            if i not in excluded and (weights is None or weights[i] > 0)
        }
        got = lists.values[lists.offsets[r] : lists.offsets[r + 1]].tolist()
        assert reference_negatives_ok(got, eligible=eligible, n=n) == [], (r, got, eligible)
        assert positive not in got


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_lists_match_the_reference(problem) -> None:  # noqa: ANN001
    rows, lists, sampler = _run(problem)
    _check(problem, rows, lists)
    # eligible() is the reference count too
    n_items, _, pairs, _, _, _, _, weights, _ = problem
    for r in range(len(rows)):
        excluded = {i for u, i in pairs if u == rows.users[r]} | {int(rows.positives[r])}
        expected = sum(
            1
            for i in range(1, n_items + 1)
            if i not in excluded and (weights is None or weights[i] > 0)
        )
        assert sampler.eligible(rows.take(slice(r, r + 1)))[0] == expected


@pytest.mark.parametrize("rounds", [0, 1])
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(problem=problems())
def test_rows_left_by_rejection_take_the_exact_path(rounds, problem, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setattr(sample_module, "MAX_ROUNDS", rounds)
    rows, lists, _ = _run(problem)
    _check(problem, rows, lists)


@settings(max_examples=40, deadline=None)
@given(problems(), st.sampled_from([1, 2, 3, 7]))
def test_chunking_and_threads_do_not_change_the_draws(problem, chunk) -> None:  # noqa: ANN001
    _, whole, _ = _run(problem)
    original = sample_module.CHUNK_ROWS
    try:
        sample_module.CHUNK_ROWS = chunk
        _, chunked, _ = _run(problem, workers=2)
    finally:
        sample_module.CHUNK_ROWS = original
    assert whole.offsets.tolist() == chunked.offsets.tolist()
    assert whole.values.tolist() == chunked.values.tolist()


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.sampled_from([0.0, 1e-9, 0.25, 1.0, 7.0, 1e6]), min_size=1, max_size=300),
    st.lists(st.floats(0, 1, exclude_max=True), min_size=1, max_size=200),
)
def test_popularity_draws_follow_the_weights(weights, uniforms) -> None:
    """The alias table gives each item its share of the weight; weight-0 items never come."""
    w = np.array([0.0, *weights])
    if w.sum() == 0:
        return
    excl = exclusion(
        pl.DataFrame(schema={"user_idx": pl.Int32, "item_idx": pl.Int32}),
        n_items=len(weights),
        n_users=1,
    )
    sampler = Sampler(n=1, exclusion=excl, weights=w, key=stream_key(0, "p", "t"))
    share, alias = sampler._alias()
    k = len(weights)
    # the probability of item i: column i kept, plus every column aliasing i not kept
    implied = np.zeros(k + 1)
    for col in range(k):
        implied[col + 1] += share[col] / k
        implied[alias[col] + 1] += (1.0 - share[col]) / k
    np.testing.assert_allclose(implied, w / w.sum(), rtol=1e-9, atol=1e-12)
    # a draw: column int(u * k), kept when the fraction is under its share
    expected = []
    for u in uniforms:
        col = int(u * k)
        expected.append(col + 1 if u * k - col < share[col] else int(alias[col]) + 1)
    got = sampler._items_of(np.array(uniforms))
    assert got.tolist() == expected
    assert w[got].min() > 0  # a weight-0 item is never drawn


def _chi_square(counts: np.ndarray, probs: np.ndarray) -> float:
    expected = probs * counts.sum()
    return float(((counts - expected) ** 2 / expected).sum())


@pytest.mark.parametrize("alpha_weights", ["popularity", "uniform"])
def test_single_draw_frequencies_match_the_weights(alpha_weights: str) -> None:
    """N = 1: the negative's law is the weights restricted to the eligible items (chi-square)."""
    scipy_stats = pytest.importorskip("scipy.stats")
    n_items, n_rows = 30, 120_000
    counts = np.arange(1, n_items + 1, dtype=np.float64) ** 1.3
    weights = None if alpha_weights == "uniform" else np.concatenate([[0.0], counts])
    # user 1 excludes items 1..5; every row's positive is item 6
    excl = exclusion(
        pl.DataFrame(
            {"user_idx": [1] * 5, "item_idx": [1, 2, 3, 4, 5]},
            schema={"user_idx": pl.Int32, "item_idx": pl.Int32},
        ),
        n_items=n_items,
        n_users=1,
    )
    sampler = Sampler(n=1, exclusion=excl, weights=weights, key=stream_key(11, "loo", "test"))
    rows = Rows(
        np.arange(n_rows, dtype=np.int64),
        np.ones(n_rows, dtype=np.int32),
        np.full(n_rows, 6, dtype=np.int32),
    )
    lists = sampler.sample(rows)
    assert (lists.lengths == 1).all()
    observed = np.bincount(lists.values, minlength=n_items + 1)
    assert observed[:7].sum() == 0
    base = np.ones(n_items + 1) if weights is None else weights.copy()
    base[:7] = 0
    probs = base[7:] / base[7:].sum()
    stat = _chi_square(observed[7:], probs)
    df = n_items - 6 - 1
    assert stat < scipy_stats.chi2.ppf(0.999, df), (stat, df)
