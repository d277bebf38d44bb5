"""Fast stable orderings of integer keys: pack (key, row) into uint64 and sort the words.

Sorting plain uint64 words (see :func:`sort_words`) is far faster than any argsort; when the
key and the row number fit together in 64 bits, sorting the packed words yields a stable
argsort. Wider keys fall back to polars' stable multi-key sort.
"""

from __future__ import annotations

import numpy as np
import polars as pl


def bits(n: int) -> int:
    """Bits needed to hold the values ``0..n-1`` (at least 1)."""
    return max(1, int(n - 1).bit_length())


def _numpy_sort_is_simd() -> bool:
    """True when numpy sorts 64-bit integers with SIMD code on this CPU (x86-simd-sort with
    AVX-512 or AVX2, Highway on ARM), where it beats polars' sort."""
    try:
        from numpy._core._multiarray_umath import __cpu_features__ as features
    except ImportError:  # pragma: no cover - numpy < 2 layout
        return False
    return any(features.get(name) for name in ("AVX512_SKX", "AVX2", "ASIMD"))


_NUMPY_SORT = _numpy_sort_is_simd()


def sort_words(words: np.ndarray, *, in_place: bool = False) -> np.ndarray:
    """``words`` (uint64) sorted ascending, as a new array or (``in_place``) in ``words``.

    With SIMD sorting (numpy >= 2 on AVX-512/AVX2/ARM) numpy sorts 8M packed words in about
    0.045 s against 0.11 s for polars' multi-threaded sort, and in place it touches no fresh
    memory; without it polars' sort is the faster one. Either gives the same words.
    """
    if not _NUMPY_SORT:
        ordered = pl.Series(words).sort().to_numpy()
        if in_place:
            words[:] = ordered
            return words
        return ordered
    if in_place:
        words.sort()
        return words
    return np.sort(words)


def order_key(s: pl.Series) -> np.ndarray:
    """Int64 order key of a sortable column (a time column): its physical integers, or dense
    ranks for other types; nulls first (int64 min). No copy for a null-free int64 column."""
    phys = s.to_physical()
    if not phys.dtype.is_integer():
        phys = s.rank("dense")
    phys = phys.cast(pl.Int64)
    if phys.null_count():
        phys = phys.fill_null(np.iinfo(np.int64).min)
    return phys.to_numpy()


def stable_argsort(key: np.ndarray) -> np.ndarray:
    """Stable argsort of an integer array (ties keep row order)."""
    n = len(key)
    if n == 0:
        return np.empty(0, dtype=np.int64)
    lo, hi = int(key.min()), int(key.max())
    rb = bits(n)
    if bits(hi - lo + 1) + rb <= 64:
        # offsets from the minimum, computed modulo 2**64 so int64 extremes cannot overflow
        packed = key.astype(np.uint64)
        if lo:
            packed -= np.uint64(lo % (1 << 64))
        packed <<= np.uint64(rb)
        packed |= np.arange(n, dtype=np.uint64)
        sort_words(packed, in_place=True)
        np.bitwise_and(packed, np.uint64((1 << rb) - 1), out=packed)
        return packed.view(np.int64)
    frame = pl.DataFrame({"k": key})
    order = frame.select(pl.arg_sort_by("k", maintain_order=True)).to_series()
    return order.to_numpy().astype(np.int64)


def is_grouped_sorted(codes: np.ndarray, time_key: np.ndarray, n_codes: int | None = None) -> bool:
    """True when each code's rows are contiguous and their time keys non-decreasing.

    ``n_codes`` (the number of distinct codes, when known) makes the common negative answer
    cheap: more runs than codes means some code is split.
    """
    n = len(codes)
    if n < 2:
        return True
    change = codes[1:] != codes[:-1]
    runs = int(np.count_nonzero(change)) + 1
    if n_codes is not None:
        if runs != n_codes:
            return False
    else:
        heads = codes[np.r_[True, change]]
        if int(np.bincount(heads).max()) > 1:
            return False
    return bool(np.all((time_key[1:] >= time_key[:-1]) | change))


def sequence_permutation(
    user_codes: np.ndarray,
    time_key: np.ndarray,
    *,
    ascending: bool = False,
    n_users: int | None = None,
) -> np.ndarray:
    """Stable permutation grouping rows by user, each user's rows by time key, then row order.

    Returns the identity when the rows already are so (canonical frames; with ``ascending``
    the users must also come in increasing code order); otherwise users come out in code
    order. Uses packed uint64 sorts: by time (when not already non-decreasing)
    then by user, both stable.
    """
    perm = sequence_order(user_codes, time_key, ascending=ascending, n_users=n_users)
    return np.arange(len(user_codes), dtype=np.int64) if perm is None else perm


def sequence_order(
    user_codes: np.ndarray,
    time_key: np.ndarray,
    *,
    ascending: bool = False,
    n_users: int | None = None,
) -> np.ndarray | None:
    """:func:`sequence_permutation`, or None when the rows already are in sequence order
    (so callers skip both the identity array and the gather)."""
    n = len(user_codes)
    if n < 2:
        return None
    if ascending:
        if bool(np.all(user_codes[1:] >= user_codes[:-1])):  # cheap to refute: check first
            same = user_codes[1:] == user_codes[:-1]
            if bool(np.all(~same | (time_key[1:] >= time_key[:-1]))):
                return None
    elif is_grouped_sorted(user_codes, time_key, n_users):
        return None
    if bool(np.all(time_key[1:] >= time_key[:-1])):
        return stable_argsort(user_codes)
    by_time = stable_argsort(time_key)
    return by_time[stable_argsort(user_codes[by_time])]
