"""Per-user exclusion sets as one sorted array of keys ``user_idx * (n_items + 1) + item_idx``.

Membership is a ``np.searchsorted``: queries made in user order (as the sampler makes them) are
non-decreasing, so numpy's binary search reuses the previous position and runs near linearly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from recdata import schema as S


@dataclass(frozen=True)
class Exclusion:
    """The items each user may not receive as negatives (sorted, unique, per user)."""

    n_items: int
    """Items are 1..n_items."""
    keys: np.ndarray
    """Sorted int64 keys ``user * (n_items + 1) + item``."""
    offsets: np.ndarray
    """``keys[offsets[u]:offsets[u + 1]]`` are user u's (int64, length max user + 2)."""

    @property
    def stride(self) -> int:
        return self.n_items + 1

    def items(self) -> np.ndarray:
        """The item of every key (int64)."""
        return self.keys % self.stride

    def count(self, users: np.ndarray) -> np.ndarray:
        """How many items each given user excludes."""
        users = np.minimum(users.astype(np.int64), len(self.offsets) - 2)
        return self.offsets[users + 1] - self.offsets[users]

    def expand(self, users: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(row position, item) of every excluded item of each row's user, sorted by both."""
        users = np.minimum(users.astype(np.int64), len(self.offsets) - 2)
        counts = self.offsets[users + 1] - self.offsets[users]
        total = int(counts.sum())
        rows = np.repeat(np.arange(len(users), dtype=np.int64), counts)
        ends = np.cumsum(counts)
        at = np.arange(total, dtype=np.int64) - np.repeat(ends - counts, counts)
        items = self.keys[np.repeat(self.offsets[users], counts) + at] % self.stride
        return rows, items

    def contains(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """Whether each (user, item) pair is excluded (broadcast; any shape)."""
        query = users.astype(np.int64) * self.stride + items.astype(np.int64)
        flat = query.ravel()
        pos = np.searchsorted(self.keys, flat)
        pos[pos == len(self.keys)] = 0
        found = self.keys[pos] == flat if len(self.keys) else np.zeros(flat.shape, dtype=bool)
        return found.reshape(query.shape)


def exclusion(pairs: pl.LazyFrame | pl.DataFrame, *, n_items: int, n_users: int) -> Exclusion:
    """The exclusion sets of the (user_idx, item_idx) rows of ``pairs`` (duplicates allowed)."""
    stride = n_items + 1
    frame = pairs.lazy().select(
        (pl.col(S.USER).cast(pl.Int64) * stride + pl.col(S.ITEM).cast(pl.Int64)).alias("key")
    )
    keys = frame.unique().sort("key").collect()["key"].to_numpy()  # sorted, unique
    users = keys // stride
    offsets = np.searchsorted(users, np.arange(n_users + 2, dtype=np.int64)).astype(np.int64)
    return Exclusion(n_items=n_items, keys=keys, offsets=offsets)
