"""Dense key encoding (including the hash path and its collision repair)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recdata.transforms import _codes, encode


def check(s: pl.Series) -> None:
    e = encode(s)
    assert e.codes.min(initial=0) >= 0 and (len(s) == 0 or e.codes.max() < e.size)
    back = e.values.gather(e.codes)
    assert back.cast(pl.String).eq_missing(s.cast(pl.String)).all()
    assert e.values.n_unique() == e.size


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=3)), max_size=40))
def test_strings(values):
    check(pl.Series("k", values, dtype=pl.String))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(-(2**40), 2**40)), max_size=40))
def test_integers(values):
    check(pl.Series("k", values, dtype=pl.Int64))


def test_hash_path_with_forced_prefix_collisions(monkeypatch):
    s = pl.Series("k", [f"id{i % 2500}" for i in range(6000)] + [None] * 3)
    monkeypatch.setattr(_codes, "bits", lambda n: 61)  # 3-bit hash prefix: many collisions
    check(s)


@pytest.mark.parametrize("prefix_bits", [None, 61])
def test_hash_path_in_many_blocks(monkeypatch, prefix_bits):
    """Hashes taken block by block (a chunked column, blocks cutting across chunks) group and
    check rows exactly as whole-column hashes would, with and without forced collisions."""
    parts = [pl.Series("k", [f"u{(i * 31) % 1700}" for i in range(j, j + 900)]) for j in (0, 900)]
    s = pl.concat(parts + [pl.Series("k", [None, "u5", None])], rechunk=False)
    assert s.n_chunks() == 3
    monkeypatch.setattr(_codes, "_BLOCK", 256)
    if prefix_bits is not None:
        monkeypatch.setattr(_codes, "bits", lambda n: prefix_bits)
    assert _codes._encode_by_hash(s) is not None
    check(s)


def test_hash_path_large():
    check(pl.Series("k", [f"u{(i * 7919) % 5003}" for i in range(20000)]))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 60), max_size=40), st.sampled_from([0, 1, 7, -30]))
def test_small_integer_ranges(values, offset):
    """Compact keys from 0, from above 0 (canonical indices) and through negatives."""
    s = pl.Series("k", [v + offset for v in values], dtype=pl.Int32)
    check(s)
    e = encode(s)
    if len(s) and s.null_count() == 0:
        assert e.by_value and e.values.to_list() == sorted(set(s.to_list()))


@pytest.mark.parametrize("with_null", [False, True])
def test_value_order_of_many_strings_is_their_argsort(with_null):
    """Above the hashed-ordering threshold, value_order equals polars' own argsort (nulls
    first), on strings with shared prefixes, different lengths and non-ASCII text."""
    from recdata.transforms._codes import _HASH_ORDER_MIN, sorted_with_order, value_order

    rng = np.random.default_rng(5)
    n = _HASH_ORDER_MIN + 7_000
    words = [
        f"{p}{x}" for p, x in zip(rng.choice(["a", "ab", "é", "Z", ""], n), range(n), strict=True)
    ]
    values = pl.Series("k", rng.permutation(np.array(words, dtype=object)).tolist())
    if with_null:
        values = pl.concat([values, pl.Series("k", [None], dtype=pl.String)])
    expected = values.arg_sort(nulls_last=False).to_numpy()
    got = value_order(values)
    assert np.array_equal(got, expected)
    ordering, in_order = sorted_with_order(values)
    assert np.array_equal(ordering, expected)
    assert in_order.equals(values.gather(expected))
    assert values.gather(got).to_list()[: int(with_null)] == [None] * int(with_null)


@pytest.mark.parametrize("tied_share", [0.0, 0.1, 0.5])
def test_prefix_ordering_of_many_strings_is_their_argsort(tied_share):
    """The 8-byte-prefix ordering equals polars' argsort (bytewise) when no prefix is shared,
    when some strings share one (ordered whole: longer strings, NUL bytes, non-ASCII), and
    when so many do that it falls back to sorting the strings."""
    from recdata.transforms._codes import _HASH_ORDER_MIN, _prefix_order, sorted_with_order

    rng = np.random.default_rng(11)
    n = _HASH_ORDER_MIN + 5_000
    n_tied = int(n * tied_share)
    unique = [f"{x:08d}" for x in rng.choice(10**8, n - n_tied, replace=False)]
    stems = ["shared-p", "shared-\x00", "é-prefix", "ab"]
    nul = "\x00"
    tied = [f"{stems[i % 4]}{nul if i % 7 == 0 else ''}{i}" for i in range(n_tied)]
    words = unique + tied + ["ab\x00", "ab\x00\x00", "shared-p"]
    values = pl.Series("k", rng.permutation(np.array(words, dtype=object)).tolist())
    assert values.n_unique() == len(values)
    expected = values.arg_sort().to_numpy()
    direct = _prefix_order(values)
    if tied_share > 0.25:
        assert direct is None
    else:
        assert direct is not None and np.array_equal(direct, expected)
    ordering, in_order = sorted_with_order(values)
    assert np.array_equal(ordering, expected)
    assert in_order.equals(values.gather(expected))
