"""Dense int32 codes for key columns, so counting and grouping run as numpy bincounts."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal, TypeVar, overload

import numpy as np
import polars as pl

from recdata.errors import TransformError
from recdata.transforms._sort import bits, sort_words, stable_argsort

PARALLEL_ROWS = 200_000
_SEED_A = 0x5EED_0001
_SEED_B = 0x5EED_0002
_HASH_ORDER_MIN = 50_000
_BLOCK = 1 << 20
_ORDER_SEED = 0x5EED_0003
_PREFIX_PAD = "\x00" * 8

T = TypeVar("T")
U = TypeVar("U")


@dataclass(frozen=True)
class Encoded:
    """Dense codes ``0..k-1`` of a key column and the value of each code.

    ``values[c]`` is the key (in its original type, categoricals as strings, possibly null)
    that code ``c`` stands for; the order of codes is arbitrary but deterministic.
    """

    codes: np.ndarray
    values: pl.Series
    by_value: bool = False
    """True when codes number the values in sorted order (nulls first): code = rank."""

    @property
    def size(self) -> int:
        """Number of distinct keys."""
        return len(self.values)


def _dense_from_ints(phys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes and sorted distinct values of a non-null integer array."""
    n = len(phys)
    if n == 0:
        return np.empty(0, dtype=np.int32), phys[:0]
    lo, hi = int(phys.min()), int(phys.max())
    if hi - lo <= max(4 * n, 1 << 16):
        if 0 <= lo <= hi - lo:  # small non-negative keys (canonical indices): no shifted copy
            base, shifted = 0, phys
        else:
            base, shifted = lo, phys - lo
        present = np.bincount(shifted, minlength=hi - base + 1) > 0
        if base == lo and bool(present.all()):  # contiguous from 0: no lookup needed
            codes = shifted.astype(np.int32, copy=False)
            return codes, np.arange(lo, hi + 1, dtype=np.int64)
        lut = np.cumsum(present, dtype=np.int32)
        lut -= 1
        keys = np.flatnonzero(present).astype(np.int64) + base
        return np.take(lut, shifted, mode="clip"), keys
    keys = np.unique(phys)
    return np.searchsorted(keys, phys).astype(np.int32), keys


def encode(s: pl.Series) -> Encoded:
    """Encode a key Series (integer, string, categorical, enum) as dense int32 codes.

    Integers map through a lookup table (or a sorted search when sparse; contiguous ranges such
    as canonical indices map with no lookup); strings are grouped by a 64-bit hash checked by
    a second one (see :func:`_encode_by_hash`), small or odd inputs go through a categorical
    cast. Temporal and boolean keys use their physical integers. A null key is one key.
    """
    if s.dtype == pl.Null:
        s = s.cast(pl.String)
    dtype = s.dtype
    if dtype == pl.String and len(s) > 1000:
        hashed = _encode_by_hash(s)
        if hashed is not None:
            return hashed
    if dtype.is_integer():
        values_kind = "int"
        phys = s
    elif dtype == pl.String or isinstance(dtype, (pl.Categorical, pl.Enum)):
        values_kind = "cat"
        cat = s if isinstance(dtype, (pl.Categorical, pl.Enum)) else s.cast(pl.Categorical)
        phys = cat.to_physical()
    elif dtype.is_temporal() or dtype == pl.Boolean:
        values_kind = "int"
        phys = s.to_physical().cast(pl.Int64)
    else:
        raise TransformError(
            f"key column {s.name!r} has type {dtype}; expected an integer, string or categorical"
        )
    nulls = phys.null_count()
    if nulls:
        sentinel = (int(phys.max()) + 1) if nulls < len(phys) else 0
        phys = phys.fill_null(sentinel)
    arr = phys.to_numpy()
    if arr.dtype == np.uint64 or arr.dtype.kind not in "iu" or arr.dtype.itemsize < 4:
        arr = arr.astype(np.int64)
    codes, keys = _dense_from_ints(arr)
    if values_kind == "cat":
        uniq = cat.unique()
        uphys = uniq.to_physical()
        if nulls:
            uphys = uphys.fill_null(sentinel)
        lut = np.full(len(keys), -1, dtype=np.int64)
        pos = np.searchsorted(keys, uphys.to_numpy().astype(np.int64))
        lut[pos] = np.arange(len(uniq))
        values = uniq.cast(pl.String).gather(lut).alias(s.name)
    else:
        values = pl.Series(s.name, keys)
        if nulls:
            values = _null_at(values, sentinel)
        if dtype.is_temporal():
            values = values.cast(pl.Int64).cast(dtype)
        else:
            values = values.cast(dtype)
    return Encoded(codes=codes, values=values, by_value=values_kind == "int" and not nulls)


def encode_pair(a: pl.Series, b: pl.Series) -> tuple[Encoded, Encoded]:
    """:func:`encode` two key columns, in two threads for large inputs.

    numpy's sorts and gathers and polars' hashing release the GIL, so the user and item
    columns encode in parallel on two cores.
    """
    return in_pair(encode, a, b)


def in_pair(fn: Callable[[pl.Series], T], a: pl.Series, b: pl.Series) -> tuple[T, T]:
    """``(fn(a), fn(b))``, in two threads when the columns are large (numpy and polars
    release the GIL, so two cores work at once)."""
    return both(lambda: fn(a), lambda: fn(b), parallel=len(a) >= PARALLEL_ROWS)


def both(fa: Callable[[], T], fb: Callable[[], U], *, parallel: bool) -> tuple[T, U]:
    """``(fa(), fb())``, in two threads when ``parallel``."""
    if not parallel:
        return fa(), fb()
    with ThreadPoolExecutor(max_workers=2) as pool:
        ra, rb = pool.submit(fa), pool.submit(fb)
        return ra.result(), rb.result()


@overload
def group_codes(s: pl.Series) -> tuple[np.ndarray, int, int]: ...
@overload
def group_codes(s: pl.Series, *, distinct: Literal[False]) -> tuple[np.ndarray, int, None]: ...
def group_codes(s: pl.Series, *, distinct: bool = True) -> tuple[np.ndarray, int, int | None]:
    """Codes for grouping and counting only: ``(codes, code_range, n_distinct)``.

    Non-negative, non-null integer keys in a compact range (canonical indices) are used as
    they are, with no copy; codes then need not be dense (absent codes simply count zero).
    Anything else goes through :func:`encode`. ``distinct=False`` skips counting the distinct
    keys (a pass over the column) and returns None for it.
    """
    n = len(s)
    if n and s.dtype.is_integer() and s.null_count() == 0:
        lo, hi = int(s.min()), int(s.max())  # type: ignore[arg-type]
        if lo >= 0 and hi < max(4 * n, 1 << 16):
            arr = s.to_numpy()
            if arr.dtype.itemsize < 4 or arr.dtype == np.uint64:
                arr = arr.astype(np.int64)
            if not distinct:
                return arr, hi + 1, None
            return arr, hi + 1, int(np.count_nonzero(np.bincount(arr, minlength=hi + 1)))
    enc = encode(s)
    return enc.codes, enc.size, enc.size


def _null_at(values: pl.Series, sentinel: int) -> pl.Series:
    """``values`` with the sentinel key replaced by null."""
    return (
        values.to_frame()
        .select(pl.when(pl.col(values.name) == sentinel).then(None).otherwise(pl.col(values.name)))
        .to_series()
        .alias(values.name)
    )


def _encode_by_hash(s: pl.Series) -> Encoded | None:
    """Dense codes of a string column grouped by a hash prefix, sorted as packed words.

    Rows are grouped by the top ``64 - row_bits`` bits of a 64-bit hash (one sort of packed
    (hash prefix, row) words); a second, independent 64-bit hash then checks every row
    against its group's representative. Rows of a group that fails the check are re-encoded
    exactly by string equality, so the result is exact. Returns None only if that repair
    finds more than a sliver of rows (the caller then takes the exact path).
    """
    n = len(s)
    rb = bits(n)
    low = np.uint64((1 << rb) - 1)
    # (hash prefix | row) words, written block by block into the row numbers: one fresh
    # array and no full-size temporary
    packed = np.arange(n, dtype=np.uint64)
    for lo, hashed in _hash_blocks(s, _SEED_A):
        packed[lo : lo + len(hashed)] |= hashed & ~low
    ordered = sort_words(packed, in_place=True)
    # a new group where a high bit differs from the previous word's (in blocks, so the XOR
    # temporary stays small), then the rows, in place
    start = np.empty(n, dtype=bool)
    start[0] = True
    for lo in range(1, n, _BLOCK):
        hi = min(lo + _BLOCK, n)
        np.greater(ordered[lo:hi] ^ ordered[lo - 1 : hi - 1], low, out=start[lo:hi])
    rows = np.bitwise_and(ordered, low, out=packed).view(np.int64)
    del ordered
    code_sorted = np.cumsum(start, dtype=np.int32)
    code_sorted -= 1
    reps = rows[start]
    # gather the representatives in row order (about 2x faster from a chunked column)
    by_row = stable_argsort(reps)
    in_rows = s.gather(reps[by_row])
    at = np.empty(len(by_row), dtype=np.int64)
    at[by_row] = np.arange(len(by_row))
    values = in_rows.gather(at)
    del by_row, in_rows, at
    codes = np.empty(n, dtype=np.int32)
    codes[rows] = code_sorted
    del code_sorted, packed, rows
    # each row's second hash against its representative's (mode='clip': unbuffered, 5x faster
    # than 'raise'); hashes depend on the value alone, so the representatives' are the values'
    rep_hashes = values.hash(_SEED_B).to_numpy()
    bad = start
    for lo, hashed in _hash_blocks(s, _SEED_B):
        hi = lo + len(hashed)
        np.not_equal(np.take(rep_hashes, codes[lo:hi], mode="clip"), hashed, out=bad[lo:hi])
    if bad.any():
        bad_codes = np.unique(codes[bad])
        if len(bad_codes) > 1000:
            return None
        suspect = np.zeros(len(reps), dtype=bool)
        suspect[bad_codes] = True
        sel = np.flatnonzero(suspect[codes])
        sub = s.gather(sel)
        mismatch = (sub != values.gather(codes[sel])).fill_null(False) | (
            sub.is_null() != values.gather(codes[sel]).is_null()
        )
        sel = sel[mismatch.to_numpy()]
        extra = _encode_exact(s.gather(sel))
        codes[sel] = extra.codes + len(values)
        values = pl.concat([values, extra.values])
    return Encoded(codes=codes, values=values)


def _hash_blocks(s: pl.Series, seed: int) -> Iterator[tuple[int, np.ndarray]]:
    """``(first row, 64-bit hashes)`` of ``s`` in blocks of :data:`_BLOCK` rows: polars reuses
    each block's memory, where one hash of the whole column would touch fresh pages (slow on
    this kind of VM: 0.07-0.6 s against 0.05 s at 25M rows)."""
    for lo in range(0, len(s), _BLOCK):
        yield lo, s.slice(lo, _BLOCK).hash(seed).to_numpy()


def value_order(values: pl.Series) -> np.ndarray:
    """Argsort of distinct key values, nulls first (see :func:`sorted_with_order`)."""
    return sorted_with_order(values)[0]


def sorted_with_order(values: pl.Series) -> tuple[np.ndarray, pl.Series]:
    """Argsort of distinct key values, nulls first, and the values in that order.

    Many null-free strings: argsort their 8-byte prefixes as integers, ordering only the
    strings that share a prefix whole (:func:`_prefix_order`). Else, many strings: polars sorts
    strings several times faster than it argsorts them, so sort the values and find where each
    one came from through a 64-bit hash: the hashes of the input and of the sorted values, each
    argsorted (numpy's SIMD argsort), pair up the same value. Exact because the hashes are
    checked to be distinct (else, and for other types, a plain argsort).
    """
    k = len(values)
    if values.dtype == pl.String and k > _HASH_ORDER_MIN and not values.null_count():
        ordering = _prefix_order(values)
        if ordering is not None:
            return ordering, values.gather(ordering)
    if values.dtype == pl.String and k > _HASH_ORDER_MIN:
        hashed = values.hash(_ORDER_SEED).to_numpy()
        by_hash = np.argsort(hashed)
        in_hash_order = hashed[by_hash]
        if bool(np.all(in_hash_order[1:] != in_hash_order[:-1])):
            in_order = values.sort(nulls_last=False)
            sorted_hashes = in_order.hash(_ORDER_SEED).to_numpy()
            ordering = np.empty(k, dtype=np.int64)
            ordering[np.argsort(sorted_hashes)] = by_hash
            return ordering, in_order
    ordering = values.arg_sort(nulls_last=False).to_numpy()
    return ordering, values.gather(ordering)


def _prefix_order(values: pl.Series) -> np.ndarray | None:
    """Argsort of distinct, null-free strings by their first 8 bytes, read as one big-endian
    uint64 (NUL-padded: where two prefixes differ, the numbers compare as the strings' bytes do)
    and sorted by numpy's SIMD argsort; strings with equal prefixes are then ordered whole by
    polars. None when more than a quarter of them share a prefix (e.g. ASINs), where sorting
    the strings themselves is the faster way."""
    keys = (
        values.to_frame()
        .select(
            (pl.first() + _PREFIX_PAD)
            .cast(pl.Binary)
            .bin.head(8)
            .bin.reinterpret(dtype=pl.UInt64, endianness="big")
        )
        .to_series()
        .to_numpy()
    )
    ordering = np.argsort(keys)
    in_order = keys[ordering]
    same = in_order[1:] == in_order[:-1]
    if not bool(same.any()):
        return ordering
    tied = np.zeros(len(keys), dtype=bool)
    tied[1:] = same
    tied[:-1] |= same
    at = np.flatnonzero(tied)  # runs of equal prefixes, each contiguous, in prefix order
    if len(at) > len(keys) // 4:
        return None
    rows = ordering[at]
    by_string = (
        pl.DataFrame({"prefix": in_order[at], "value": values.gather(rows)})
        .select(pl.arg_sort_by("prefix", "value", maintain_order=True))
        .to_series()
        .to_numpy()
    )
    ordering[at] = rows[by_string]
    return ordering


def _encode_exact(s: pl.Series) -> Encoded:
    """Exact (slow) dense codes of a string column via a categorical cast."""
    return encode(s.cast(pl.Categorical))
