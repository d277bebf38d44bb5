"""The packed-word stable sorts behind sequence order, dedup and k-core."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recdata.transforms import sequence_permutation, stable_argsort

BIG = np.iinfo(np.int64)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.one_of(st.integers(-5, 5), st.sampled_from([BIG.min, BIG.max, 2**40])), max_size=60)
)
def test_stable_argsort_matches_numpy(values):
    key = np.array(values, dtype=np.int64)
    assert np.array_equal(stable_argsort(key), np.argsort(key, kind="stable"))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 4), st.one_of(st.integers(-3, 3), st.sampled_from([BIG.min, BIG.max]))
        ),
        max_size=60,
    ),
    st.booleans(),
)
def test_sequence_permutation(rows, ascending):
    users = np.array([r[0] for r in rows], dtype=np.int64)
    times = np.array([r[1] for r in rows], dtype=np.int64)
    perm = sequence_permutation(users, times, ascending=ascending)
    assert sorted(perm.tolist()) == list(range(len(rows)))
    us = users[perm]
    # grouped: every user forms one run; ascending also orders the runs
    runs = [u for k, u in enumerate(us.tolist()) if k == 0 or us[k - 1] != u]
    assert len(runs) == len(set(runs))
    if ascending:
        assert runs == sorted(runs)
    for u in set(users.tolist()):
        mine = [p for p in perm.tolist() if users[p] == u]
        assert mine == sorted(mine, key=lambda p: (times[p], p))


def test_large_time_ordered_input_uses_user_sort():
    rng = np.random.default_rng(0)
    users = rng.integers(0, 1000, 50_000)
    times = np.sort(rng.integers(0, 10**12, 50_000))
    perm = sequence_permutation(users, times)
    assert np.array_equal(perm, np.lexsort((np.arange(50_000), times, users)))


@pytest.mark.parametrize("simd", [True, False])
@pytest.mark.parametrize("in_place", [True, False])
def test_sort_words_either_sorter(monkeypatch, simd, in_place):
    """numpy's and polars' sorts give the same words, in place or not."""
    from recdata.transforms import _sort

    monkeypatch.setattr(_sort, "_NUMPY_SORT", simd)
    words = np.random.default_rng(2).integers(0, 2**63, 5_000, dtype=np.uint64)
    words[::7] = words[0]  # repeats
    expected = np.sort(words)
    got = _sort.sort_words(words, in_place=in_place)
    assert np.array_equal(got, expected)
    assert (got is words) == in_place
