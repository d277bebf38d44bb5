"""k-core filtering by interaction counts, to the fixed point or in a single pass."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import polars as pl
from pydantic import BaseModel, ConfigDict

from recdata._types import KcoreMode
from recdata.errors import TransformError
from recdata.schema import ITEM, USER
from recdata.transforms._codes import PARALLEL_ROWS, group_codes

log = logging.getLogger("recdata.transforms")


class KcoreReport(BaseModel):
    """What a k-core step did: parameters, rounds taken and counts before and after."""

    model_config = ConfigDict(extra="forbid")

    mode: KcoreMode
    """``iterative`` (to the fixed point) or ``single_pass`` (counts taken once)."""
    user_k: int
    """Minimum interactions per user."""
    item_k: int
    """Minimum interactions per item."""
    max_rounds: int | None = None
    """Cap on rounds for ``iterative`` (None: no cap)."""
    rounds: int
    """Rounds that removed at least one row (a round filters users and items together)."""
    converged: bool
    """True when the result is a k-core (every user >= user_k, every item >= item_k)."""
    rows_before: int
    rows_after: int
    users_before: int
    users_after: int
    items_before: int
    items_after: int


def _check_k(name: str, k: int) -> int:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 0:
        raise TransformError(f"kcore: {name} must be an integer >= 0, got {k!r}")
    return int(k)


SUBSET_MIN_ROWS = 1 << 20
"""From this many rows on, once rounds drop few rows, k-core scans only the rows of entities
near their threshold (see :class:`_Scan`); tests lower it to cover both paths."""

RISK_MARGIN = 2
"""Entities with fewer than ``k + RISK_MARGIN`` interactions count as at risk of falling."""


class _Scan:
    """Finds the live rows of newly dropped users and items, one pass per round.

    The first rounds scan every row. Once a round drops few rows (under 1/64 of them; narrowing
    costs about one scan, so it must pay off over several rounds), the scan narrows to the live
    rows of *at-risk* entities (count below ``k + RISK_MARGIN``): a later round can drop only
    rows of entities that fall below k, and if one falls that was not at risk, that round
    scans every row again, so the result is exact either way; the margin then doubles for the
    next narrowing, so a cascade cannot make every round pay for two scans.
    """

    def __init__(self, users: np.ndarray, items: np.ndarray, alive: np.ndarray) -> None:
        self.users, self.items, self.alive = users, items, alive
        self.rows: np.ndarray | None = None  # the narrowed row subset (None: every row)
        self.sub_users = self.sub_items = users[:0]
        self.risk_u = self.risk_i = np.zeros(0, dtype=bool)
        self.margin = RISK_MARGIN

    def rows_of(self, bad_u: np.ndarray, bad_i: np.ndarray, pool: ThreadPoolExecutor) -> np.ndarray:
        """Live rows whose user is in ``bad_u`` or whose item is in ``bad_i`` (flag tables)."""
        if self.rows is not None and (
            bool(np.any(bad_u & ~self.risk_u)) or bool(np.any(bad_i & ~self.risk_i))
        ):
            self.rows = None  # an entity outside the at-risk set fell: scan every row
            self.margin *= 2
        if self.rows is not None:
            drop = np.take(bad_i, self.sub_items, mode="clip")
            drop |= np.take(bad_u, self.sub_users, mode="clip")
            drop &= self.alive[self.rows]
            return self.rows[np.flatnonzero(drop)]
        # one pass over cache-resident flag tables (users in a second thread: numpy's
        # gathers release the GIL); rows of entities dropped earlier are dead
        n = len(self.users)
        by_user = pool.submit(bad_u.__getitem__, self.users) if n >= PARALLEL_ROWS else None
        drop = bad_i[self.items]
        drop |= bad_u[self.users] if by_user is None else by_user.result()
        drop &= self.alive
        return np.flatnonzero(drop)

    def narrow(
        self, dropped: int, cu: np.ndarray, ci: np.ndarray, user_k: int, item_k: int
    ) -> None:
        """After a full scan that dropped few rows, keep only the live rows of at-risk entities."""
        n = len(self.users)
        if self.rows is not None or n < SUBSET_MIN_ROWS or dropped * 64 > n:
            return
        self.risk_u, self.risk_i = cu < user_k + self.margin, ci < item_k + self.margin
        at_risk = self.risk_i[self.items]
        at_risk |= self.risk_u[self.users]
        at_risk &= self.alive
        self.rows = np.flatnonzero(at_risk)
        self.sub_users, self.sub_items = self.users[self.rows], self.items[self.rows]


def _decrement(counts: np.ndarray, codes: np.ndarray) -> None:
    """``counts[c] -= 1`` for every code in ``codes`` (repeats count): a bincount over the
    whole table for many codes, an unbuffered subtract for few (later rounds drop few rows)."""
    if len(codes) * 8 >= len(counts):
        counts -= np.bincount(codes, minlength=len(counts))
    else:
        np.subtract.at(counts, codes, 1)


def kcore_mask(
    users: np.ndarray,
    items: np.ndarray,
    *,
    n_users: int,
    n_items: int,
    user_k: int,
    item_k: int,
    mode: KcoreMode = "iterative",
    max_rounds: int | None = None,
    counts: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, int, bool, int, int]:
    """Rows kept by the k-core of int codes ``users``/``items``.

    Returns ``(keep_mask, rounds, converged, users_after, items_after)``. Each round drops,
    together, the rows of users with fewer than ``user_k`` and of items with fewer than
    ``item_k`` interactions, counted at the start of the round. ``counts``: the bincounts of
    ``users`` and ``items`` (length ``n_users``/``n_items``) when the caller has them; they
    are decremented in place. A round is one pass over the int codes through small flag
    tables of the entities that newly fell below their threshold, narrowed in later rounds to
    the rows of at-risk entities (:class:`_Scan`); counts are decremented by the dropped rows
    only. Codes index numpy tables: pass them as ``intp`` to spare numpy a conversion per pass.
    """
    if mode not in ("iterative", "single_pass"):
        raise TransformError(f"kcore: mode={mode!r} is not one of iterative, single_pass")
    if max_rounds is not None and (
        isinstance(max_rounds, bool)
        or not isinstance(max_rounds, (int, np.integer))
        or max_rounds < 1
    ):
        raise TransformError(
            f"kcore: max_rounds must be an integer >= 1 or None, got {max_rounds!r}"
        )
    limit = 1 if mode == "single_pass" else max_rounds
    n = len(users)
    alive = np.ones(n, dtype=bool)
    if counts is None:
        cu = np.bincount(users, minlength=n_users)
        ci = np.bincount(items, minlength=n_items)
    else:  # the caller's bincounts, which are updated in place
        cu, ci = counts
    done_u = cu == 0  # entities already below k (their rows are gone) or absent
    done_i = ci == 0
    rounds = 0
    scan = _Scan(users, items, alive)
    with ThreadPoolExecutor(max_workers=1) as pool:
        while True:
            bad_u = (cu < user_k) & ~done_u
            bad_i = (ci < item_k) & ~done_i
            if not (bad_u.any() or bad_i.any()):
                break
            if limit is not None and rounds >= limit:
                break
            dropped = scan.rows_of(bad_u, bad_i, pool)
            done_u |= bad_u
            done_i |= bad_i
            if len(dropped) == 0:
                continue
            alive[dropped] = False
            rounds += 1
            _decrement(cu, users[dropped])
            _decrement(ci, items[dropped])
            scan.narrow(len(dropped), cu, ci, user_k, item_k)
    live_u, live_i = cu > 0, ci > 0
    converged = not (bool(np.any(cu[live_u] < user_k)) or bool(np.any(ci[live_i] < item_k)))
    return alive, rounds, converged, int(np.count_nonzero(live_u)), int(np.count_nonzero(live_i))


def kcore_report(
    lf: pl.LazyFrame,
    *,
    user_k: int = 5,
    item_k: int = 5,
    mode: KcoreMode = "iterative",
    max_rounds: int | None = None,
    user: str = USER,
    item: str = ITEM,
) -> tuple[pl.DataFrame, KcoreReport]:
    """Like :func:`kcore` but eager, returning the kept rows and a :class:`KcoreReport`."""
    user_k, item_k = _check_k("user_k", user_k), _check_k("item_k", item_k)
    df = lf.collect()
    # intp codes: numpy's bincounts and gathers convert int32 indices on every call
    ucodes = group_codes(df[user], distinct=False)[0].astype(np.intp, copy=False)
    icodes = group_codes(df[item], distinct=False)[0].astype(np.intp, copy=False)
    cu, ci = np.bincount(ucodes), np.bincount(icodes)
    udistinct, idistinct = int(np.count_nonzero(cu)), int(np.count_nonzero(ci))
    mask, rounds, converged, users_after, items_after = kcore_mask(
        ucodes,
        icodes,
        n_users=len(cu),
        n_items=len(ci),
        user_k=user_k,
        item_k=item_k,
        mode=mode,
        max_rounds=max_rounds,
        counts=(cu, ci),
    )
    out = df if bool(mask.all()) else df.filter(pl.Series(mask))
    report = KcoreReport(
        mode=mode,
        user_k=user_k,
        item_k=item_k,
        max_rounds=max_rounds,
        rounds=rounds,
        converged=converged,
        rows_before=df.height,
        rows_after=out.height,
        users_before=udistinct,
        users_after=users_after,
        items_before=idistinct,
        items_after=items_after,
    )
    log.info(
        "kcore %s user_k=%d item_k=%d: %d -> %d rows in %d rounds",
        mode,
        user_k,
        item_k,
        report.rows_before,
        report.rows_after,
        rounds,
    )
    return out, report


def kcore(
    lf: pl.LazyFrame,
    *,
    user_k: int = 5,
    item_k: int = 5,
    mode: KcoreMode = "iterative",
    max_rounds: int | None = None,
    user: str = USER,
    item: str = ITEM,
) -> pl.LazyFrame:
    """Keep users with >= ``user_k`` and items with >= ``item_k`` interactions.

    ``iterative`` repeats to the fixed point: the unique maximal subset in which every user and
    every item meets its threshold (``max_rounds`` may stop it earlier). ``single_pass`` takes
    the counts once on the input and applies both filters together (SASRec's original script).
    Counts are of rows (dedup first to count distinct pairs). Row order is kept. The frame is
    collected once; the result is a lazy frame over the kept rows.
    """
    out, _ = kcore_report(
        lf, user_k=user_k, item_k=item_k, mode=mode, max_rounds=max_rounds, user=user, item=item
    )
    return out.lazy()
