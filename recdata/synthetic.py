"""Synthetic power-law interaction data for tests and benchmarks (vectorised, seeded).

Users and items are drawn from Zipf-like weights ``rank ** -a`` (users a=0.6, items a=0.8,
8 and 20 interactions per user and item on average), rows come in non-decreasing timestamp
order with ties, and about 1-2% of (user, item) pairs repeat. Iterative 5-core then takes
7 rounds at 1M rows and 9 at 10M, removing about 20% of the deduplicated rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from recdata.errors import UsageError

USERS_PER_ROW = 8
ITEMS_PER_ROW = 20
USER_EXPONENT = 0.6
ITEM_EXPONENT = 0.8
START_S = 1_420_070_400  # 2015-01-01 UTC
SPAN_S = 4 * 365 * 86_400

_ADJ = [
    "Classic",
    "Deluxe",
    "Compact",
    "Organic",
    "Smart",
    "Vintage",
    "Ultra",
    "Mini",
    "Pro",
    "Eco",
]
_NOUN = [
    "Lamp",
    "Serum",
    "Kettle",
    "Backpack",
    "Novel",
    "Headset",
    "Candle",
    "Blender",
    "Mug",
    "Gift Card",
]
_TOP = ["Beauty", "Books", "Electronics", "Home & Kitchen", "Sports", "Toys"]
_SUB = ["Accessories", "Essentials", "Gifts", "Outdoor", "Premium", "Starter Kits"]
_BRANDS = [f"Brand{i:02d}" for i in range(40)]


@dataclass(frozen=True)
class SyntheticData:
    """Interactions (user_id, item_id, rating float32, timestamp int64 seconds) and items."""

    interactions: pl.DataFrame
    items: pl.DataFrame


CHUNK = 1 << 22
"""Rows drawn and converted per block: memory stays at the output plus one block, and the
values are those of drawing everything at once (numpy consumes the stream element by element)."""


def _blocks(n: int) -> range:
    return range(0, n, CHUNK)


def _zipf_draw(rng: np.random.Generator, n: int, k: int, exponent: float) -> np.ndarray:
    """``n`` draws of ranks ``0..k-1`` with probability proportional to ``(rank+1) ** -exponent``."""
    cdf = np.cumsum(np.arange(1, k + 1, dtype=np.float64) ** -exponent)
    cdf /= cdf[-1]
    out = np.empty(n, dtype=np.int32)
    for start in _blocks(n):
        stop = min(n, start + CHUNK)
        out[start:stop] = np.minimum(np.searchsorted(cdf, rng.random(stop - start)), k - 1)
    return out


def _choice(rng: np.random.Generator, values: np.ndarray, n: int, p: list[float]) -> np.ndarray:
    """``rng.choice(values, size=n, p=p)`` block by block (the same draws, no n-long temporaries)."""
    cdf = np.cumsum(p)
    cdf /= cdf[-1]
    out = np.empty(n, dtype=values.dtype)
    for start in _blocks(n):
        stop = min(n, start + CHUNK)
        out[start:stop] = values[cdf.searchsorted(rng.random(stop - start), side="right")]
    return out


def _ids(
    prefix: str, codes: np.ndarray, rng: np.random.Generator, k: int, categorical: bool
) -> pl.Series:
    """Raw string ids: a seeded relabelling so raw id order is unrelated to popularity.

    ``categorical``: the same values as a Categorical column (codes plus the ``k`` distinct
    strings), 4 bytes a row instead of a string view of 16.
    """
    label = rng.permutation(k).astype(np.int64)
    if categorical:
        import pyarrow as pa

        names = pl.select(
            pl.concat_str(pl.lit(prefix), pl.Series(label).cast(pl.String))
        ).to_series()
        return pl.from_arrow(pa.DictionaryArray.from_arrays(codes, names.to_arrow()))  # type: ignore[return-value]
    blocks = [
        pl.select(
            pl.concat_str(pl.lit(prefix), pl.Series(label[codes[s : s + CHUNK]]).cast(pl.String))
        ).to_series()
        for s in _blocks(len(codes))
    ]
    if not blocks:
        return pl.Series("literal", [], dtype=pl.String)
    return pl.concat(blocks, rechunk=True)


def generate(
    n_interactions: int,
    *,
    n_users: int | None = None,
    n_items: int | None = None,
    seed: int = 0,
    categorical: bool = False,
) -> SyntheticData:
    """Generate ``n_interactions`` power-law interactions and an item table, deterministically.

    ``n_users`` defaults to ``n_interactions // 8`` and ``n_items`` to ``n_interactions // 20``
    (at least 1); ids are strings ``u<number>`` / ``i<number>`` (Categorical columns of the
    same values with ``categorical``, which a 10^8-row build needs to stay small).
    """
    n = int(n_interactions)
    if n < 0:
        raise UsageError(f"generate: n_interactions must be >= 0, got {n_interactions!r}")
    nu = max(1, n_users if n_users is not None else n // USERS_PER_ROW)
    ni = max(1, n_items if n_items is not None else n // ITEMS_PER_ROW)
    rng = np.random.default_rng(seed)
    u = _zipf_draw(rng, n, nu, USER_EXPONENT)
    i = _zipf_draw(rng, n, ni, ITEM_EXPONENT)
    mean_gap = max(1, SPAN_S // max(n, 1))
    ts = np.empty(n, dtype=np.int64)
    for start in _blocks(n):
        stop = min(n, start + CHUNK)
        ts[start:stop] = rng.integers(0, 2 * mean_gap + 1, size=stop - start, dtype=np.int64)
    np.cumsum(ts, out=ts)
    ts += START_S
    rating = _choice(
        rng, np.array([1, 2, 3, 4, 5], dtype=np.float32), n, [0.05, 0.07, 0.15, 0.30, 0.43]
    )
    user_id = _ids("u", u, rng, nu, categorical)
    del u
    item_id = _ids("i", i, rng, ni, categorical)
    del i
    interactions = pl.DataFrame(
        {
            "user_id": user_id,
            "item_id": item_id,
            "rating": pl.Series(rating, dtype=pl.Float32),
            "timestamp": pl.Series(ts, dtype=pl.Int64),
        }
    )
    return SyntheticData(interactions=interactions, items=_items(rng, ni))


def _items(rng: np.random.Generator, k: int) -> pl.DataFrame:
    """Item metadata: titles, two-level categories, brand, price and a description."""
    label = rng.permutation(k).astype(np.int64)
    pick = lambda words: pl.Series(np.array(words, dtype=object)[rng.integers(0, len(words), k)])  # noqa: E731
    adj, noun, top, sub, brand = pick(_ADJ), pick(_NOUN), pick(_TOP), pick(_SUB), pick(_BRANDS)
    price = np.round(rng.lognormal(3.0, 0.8, k), 2)
    frame = pl.DataFrame(
        {
            "adj": adj.cast(pl.String),
            "noun": noun.cast(pl.String),
            "top": top.cast(pl.String),
            "sub": sub.cast(pl.String),
            "brand": brand.cast(pl.String),
            "price": price,
            "label": label,
        }
    )
    return frame.sort("label").select(
        pl.concat_str(pl.lit("i"), pl.col("label").cast(pl.String)).alias("item_id"),
        pl.concat_str(
            pl.col("adj"), pl.lit(" "), pl.col("noun"), pl.lit(" "), pl.col("label").cast(pl.String)
        ).alias("title"),
        pl.concat_list(
            pl.col("top"), pl.concat_str(pl.col("top"), pl.lit(" > "), pl.col("sub"))
        ).alias("categories"),
        pl.col("brand"),
        pl.col("price").cast(pl.Float64),
        pl.concat_str(
            pl.lit("A "),
            pl.col("adj").str.to_lowercase(),
            pl.lit(" "),
            pl.col("noun").str.to_lowercase(),
            pl.lit(" from "),
            pl.col("brand"),
            pl.lit(", filed under "),
            pl.col("sub").str.to_lowercase(),
            pl.lit("."),
        ).alias("description"),
    )


def write_csv(data: SyntheticData, path: str | Path) -> Path:
    """Write the interactions as a raw CSV with a header (the benchmark's input)."""
    path = Path(path)
    data.interactions.write_csv(path)
    return path
