"""Vectorised, seeded negative sampling without replacement: rejection, then exact small sets.

Both paths draw from the same law: *successive sampling* (each next negative is drawn with
probability proportional to its weight among the eligible items not yet drawn). Rejection
keeps the first N distinct eligible items of an i.i.d. stream of draws; the small-set path ranks
every eligible item by an Efraimidis-Spirakis key ``-log(1 - u) / w`` and keeps the N smallest.
"""

from __future__ import annotations

import copy
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from recdata.candidates._exclude import Exclusion
from recdata.candidates._hash import counters, draw, row_keys

CHUNK_ROWS = 1 << 13
"""Rows sampled together (bounds memory: about 40 bytes per row and negative)."""
MAX_ROUNDS = 32
"""Rejection rounds before the remaining rows take the exact small-set path."""
_DENSE_CELLS = 1 << 22
"""Row x item cells of one small-set block (32 MB of float64 keys)."""
_SMALL_ATTEMPT = 0xFFFF_FFFF
"""The attempt label of the small-set keys (never reached by rejection rounds)."""


@dataclass(frozen=True)
class Rows:
    """The evaluated rows: their interaction_idx, user and positive item (numpy arrays)."""

    ids: np.ndarray
    users: np.ndarray
    positives: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)

    def take(self, index: np.ndarray | slice) -> Rows:
        return Rows(self.ids[index], self.users[index], self.positives[index])


@dataclass(frozen=True)
class Lists:
    """Negatives of many rows: ``values[offsets[r]:offsets[r + 1]]`` are row r's, sorted."""

    offsets: np.ndarray
    values: np.ndarray

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    @staticmethod
    def concat(parts: list[Lists]) -> Lists:
        if not parts:
            return Lists(np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.int32))
        lengths = np.concatenate([p.lengths for p in parts])
        offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        values = np.concatenate([p.values for p in parts]).astype(np.int32, copy=False)
        return Lists(offsets, values)


def _lists_from_mask(items: np.ndarray, mask: np.ndarray) -> Lists:
    """Row-wise lists of the masked entries of a (rows, k) matrix (already sorted per row)."""
    lengths = mask.sum(axis=1)
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return Lists(offsets, items[mask].astype(np.int32))


class Sampler:
    """Draws N negatives per row from items 1..n_items, by weight, outside the exclusion sets.

    ``weights`` (length n_items + 1, index 0 unused) gives popularity sampling; None is uniform.
    An item of weight 0 is never drawn.
    """

    def __init__(
        self,
        *,
        n: int,
        exclusion: Exclusion,
        weights: np.ndarray | None,
        key: np.uint64,
        workers: int | None = None,
    ) -> None:
        self.n = n
        self.exclusion = exclusion
        self.n_items = exclusion.n_items
        self.key = key
        self.workers = max(1, workers or 1)
        if weights is None:
            self.weights = None
            self.cdf = None
            self.drawable = np.ones(self.n_items + 1, dtype=bool)
        else:
            w = np.asarray(weights, dtype=np.float64)
            if w.shape != (self.n_items + 1,) or (w < 0).any() or not np.isfinite(w).all():
                raise ValueError("weights must be n_items + 1 finite non-negative numbers")
            self.weights = w.copy()
            self.weights[0] = 0.0
            self.cdf = np.cumsum(self.weights[1:])
            if self.cdf[-1] <= 0:
                self.cdf = None
                self.weights = np.zeros_like(self.weights)
            self.drawable = self.weights > 0
        self.drawable[0] = False
        self.n_drawable = int(self.drawable.sum())
        # per user: excluded items that could be drawn
        excl_users = self.exclusion.keys // self.exclusion.stride
        excl_items = self.exclusion.keys % self.exclusion.stride
        counted = self.drawable[np.minimum(excl_items, self.n_items)]
        self.user_blocked = np.bincount(
            excl_users[counted], minlength=len(self.exclusion.offsets) - 1
        ).astype(np.int64)

    # ------------------------------------------------------------------ public

    def keyed(self, key: np.uint64) -> Sampler:
        """The same sampler (exclusions, weights) drawing from another stream key."""
        other = copy.copy(self)
        other.key = key
        return other

    def eligible(self, rows: Rows) -> np.ndarray:
        """How many items each row may receive as negatives."""
        users = np.minimum(rows.users.astype(np.int64), len(self.user_blocked) - 1)
        blocked = self.user_blocked[users]
        pos = rows.positives.astype(np.int64)
        pos_ok = (pos >= 1) & (pos <= self.n_items)
        pos_counted = np.zeros(len(rows), dtype=bool)
        pos_counted[pos_ok] = self.drawable[pos[pos_ok]] & ~self.exclusion.contains(
            rows.users[pos_ok], pos[pos_ok]
        )
        return self.n_drawable - blocked - pos_counted

    def sample(self, rows: Rows) -> Lists:
        """Sorted negatives for every row, ``min(n, eligible)`` of them, in row order."""
        chunks = [rows.take(slice(s, s + CHUNK_ROWS)) for s in range(0, len(rows), CHUNK_ROWS)]
        if self.workers > 1 and len(chunks) > 1:
            with ThreadPoolExecutor(self.workers) as pool:
                parts = list(pool.map(self._chunk, chunks))
        else:
            parts = [self._chunk(c) for c in chunks]
        return Lists.concat(parts)

    # ------------------------------------------------------------------ per chunk

    def _chunk(self, rows: Rows) -> Lists:
        if self.n == 0 or len(rows) == 0:
            return Lists(np.zeros(len(rows) + 1, dtype=np.int64), np.zeros(0, dtype=np.int32))
        eligible = self.eligible(rows)
        big = eligible >= 2 * self.n
        lengths = np.zeros(len(rows), dtype=np.int64)
        pieces: list[tuple[np.ndarray, Lists]] = []
        big_idx = np.flatnonzero(big)
        small_idx = np.flatnonzero(~big)
        if len(big_idx):
            solved, failed = self._rejection(rows.take(big_idx))
            pieces += [(big_idx[idx], lists) for idx, lists in solved]
            small_idx = np.sort(np.concatenate([small_idx, big_idx[failed]]))
        if len(small_idx):
            pieces.append((small_idx, self._small(rows.take(small_idx))))
        for idx, lists in pieces:
            lengths[idx] = lists.lengths
        return _assemble(len(rows), lengths, pieces)

    def _items_of(self, u: np.ndarray) -> np.ndarray:
        """Items from uniforms: inverse CDF of the weights (or uniform over 1..n_items)."""
        if self.cdf is None:
            return (u * self.n_items).astype(np.int64) + 1
        return np.searchsorted(self.cdf, u * self.cdf[-1], side="right").astype(np.int64) + 1

    def _rejection(self, rows: Rows) -> tuple[list[tuple[np.ndarray, Lists]], np.ndarray]:
        """(row positions, lists) of the rows solved within MAX_ROUNDS; the other rows.

        Rows are tracked as one sorted array of keys ``row * stride + item`` (kept negatives),
        so each membership test is a ``searchsorted`` of sorted queries.
        """
        n, stride, n_rows = self.n, self.n_items + 1, len(rows)
        keys = row_keys(self.key, rows.ids)
        pos = rows.positives.astype(np.int64)
        cand = self._items_of(draw(keys[:, None], counters(0, np.arange(n))[None, :]))
        cand.sort(axis=1)
        valid2d = cand != pos[:, None]
        valid2d[:, 1:] &= cand[:, 1:] != cand[:, :-1]
        base = np.arange(n_rows, dtype=np.int64) * stride
        cand += base[:, None]
        flat = cand.ravel()  # sorted: rows in order, items sorted within a row
        valid = valid2d.ravel()
        ex_keys, ex_items = self.exclusion.expand(rows.users)  # this chunk's excluded pairs
        ex_keys *= stride
        ex_keys += ex_items
        _mark(valid, flat, ex_keys)
        kept = flat[valid]
        need = n - valid2d.sum(axis=1)
        if not need.any():
            kept -= np.repeat(base, n)
            return [(np.arange(n_rows), _full_lists(kept, n_rows, n))], np.zeros(0, np.int64)
        extra = np.zeros(0, dtype=np.int64)  # keys accepted in later rounds (sorted, small)
        for attempt in range(1, MAX_ROUNDS + 1):
            active = np.flatnonzero(need > 0)
            if len(active) == 0:
                break
            counts = 2 * need[active] + 2  # extra draws; only the first `need` fresh ones count
            new_row = np.repeat(active, counts)
            slot = np.arange(len(new_row)) - np.repeat(np.cumsum(counts) - counts, counts)
            new_item = self._items_of(draw(keys[new_row], counters(attempt, slot)))
            query = new_row * stride + new_item
            order = np.argsort(query, kind="stable")
            query, new_row, new_item = query[order], new_row[order], new_item[order]
            slot = slot[order]
            ok = np.ones(len(query), dtype=bool)
            ok[1:] = query[1:] != query[:-1]
            ok &= new_item != pos[new_row]
            ok[np.flatnonzero(ok)[_isin_sorted(query[ok], ex_keys)]] = False
            ok[np.flatnonzero(ok)[_isin_sorted(query[ok], kept)]] = False
            ok[np.flatnonzero(ok)[_isin_sorted(query[ok], extra)]] = False
            # stream order: each row takes its first `need` fresh draws by slot
            cand_idx = np.flatnonzero(ok)
            by_slot = cand_idx[np.lexsort((slot[cand_idx], new_row[cand_idx]))]
            rank = _rank_within(new_row[by_slot])
            ok[by_slot[rank >= need[new_row[by_slot]]]] = False
            fresh = query[ok]
            extra = np.insert(extra, np.searchsorted(extra, fresh), fresh)
            need -= np.bincount(new_row[ok], minlength=n_rows)
        kept = np.insert(kept, np.searchsorted(kept, extra), extra)
        kept_rows = kept // stride
        failed = need > 0
        if failed.any():
            keep = ~failed[kept_rows]
            kept, kept_rows = kept[keep], kept_rows[keep]
        kept -= kept_rows * stride
        solved = np.flatnonzero(~failed)
        return [(solved, _full_lists(kept, len(solved), n))], np.flatnonzero(failed)

    def _small(self, rows: Rows) -> Lists:
        """Exact path: rank every eligible item by its seeded key; keep the N smallest."""
        n_cols = self.n_items + 1
        block = max(1, _DENSE_CELLS // n_cols)
        parts = []
        for start in range(0, len(rows), block):
            parts.append(self._small_block(rows.take(slice(start, start + block))))
        return Lists.concat(parts)

    def _small_block(self, rows: Rows) -> Lists:
        n_rows, n_cols = len(rows), self.n_items + 1
        keys = row_keys(self.key, rows.ids)
        u = draw(keys[:, None], counters(_SMALL_ATTEMPT, np.arange(n_cols))[None, :])
        if self.weights is None:
            score = u
        else:
            with np.errstate(divide="ignore"):
                score = -np.log1p(-u) / self.weights[None, :]
        blocked = np.broadcast_to(~self.drawable, (n_rows, n_cols)).copy()
        row_of, items = self.exclusion.expand(rows.users)
        blocked[row_of, items] = True
        pos = rows.positives.astype(np.int64)
        ok = (pos >= 0) & (pos < n_cols)
        blocked[np.flatnonzero(ok), pos[ok]] = True
        score[blocked] = np.inf
        k = min(self.n, n_cols)
        if k < n_cols:
            top = np.argpartition(score, k - 1, axis=1)[:, :k]
        else:
            top = np.broadcast_to(np.arange(n_cols), (n_rows, n_cols))
        chosen = np.take_along_axis(score, top, axis=1)
        mask = np.isfinite(chosen)
        items = np.where(mask, top, np.iinfo(np.int64).max)
        items.sort(axis=1)
        mask = items != np.iinfo(np.int64).max
        return _lists_from_mask(items, mask)


def _full_lists(values: np.ndarray, n_rows: int, n: int) -> Lists:
    """Lists of ``n`` values for each of ``n_rows`` rows."""
    return Lists(np.arange(n_rows + 1, dtype=np.int64) * n, values.astype(np.int32))


def _isin_sorted(query: np.ndarray, sorted_keys: np.ndarray) -> np.ndarray:
    """Whether each of ``query`` is in the sorted array ``sorted_keys``."""
    if len(sorted_keys) == 0:
        return np.zeros(len(query), dtype=bool)
    at = np.searchsorted(sorted_keys, query)
    at[at == len(sorted_keys)] = 0
    return sorted_keys[at] == query


def _rank_within(groups: np.ndarray) -> np.ndarray:
    """0, 1, 2... within each run of equal values of a grouped array."""
    if len(groups) == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.ones(len(groups), dtype=bool)
    starts[1:] = groups[1:] != groups[:-1]
    first = np.flatnonzero(starts)
    run = np.cumsum(starts) - 1
    return np.arange(len(groups)) - first[run]


def _mark(valid: np.ndarray, sorted_keys: np.ndarray, hits: np.ndarray) -> None:
    """Clear ``valid`` at the first position of ``sorted_keys`` equal to each of ``hits``.

    Later equal positions are duplicates and already invalid; both arrays are sorted, so
    numpy's binary search runs near linearly.
    """
    if len(hits) == 0 or len(sorted_keys) == 0:
        return
    at = np.searchsorted(sorted_keys, hits)
    inside = at < len(sorted_keys)
    at = at[inside]
    valid[at[sorted_keys[at] == hits[inside]]] = False


def _assemble(n_rows: int, lengths: np.ndarray, pieces: list[tuple[np.ndarray, Lists]]) -> Lists:
    """One Lists in row order from pieces of (row positions, their lists)."""
    offsets = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    values = np.empty(offsets[-1], dtype=np.int32)
    for idx, lists in pieces:
        if len(idx) == 0:
            continue
        starts = offsets[idx]
        lens = lists.lengths
        target = np.repeat(starts, lens) + (
            np.arange(len(lists.values)) - np.repeat(lists.offsets[:-1], lens)
        )
        values[target] = lists.values
    return Lists(offsets, values)
