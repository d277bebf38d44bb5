"""Session protocols: last-session-out per user, a global temporal split of whole sessions,
and SR-GNN's split (with its Yoochoose fractions). Vectorised: no loop over sessions."""

from __future__ import annotations

import numpy as np
import polars as pl

from recdata._types import SessionTime, ShortUserPolicy, UnseenPolicy
from recdata.errors import TransformError
from recdata.schema import ITEM, SESSION, TIME, USER
from recdata.sessions._srgnn import ORDER, PART
from recdata.splits._history import add_history
from recdata.splits._split import (
    DROPPED,
    TEST,
    TRAIN,
    VALID,
    Cutoff,
    Split,
    make_split,
    resolve_cutoffs,
    time_key,
    user_positions,
)
from recdata.transforms._codes import encode, encode_pair
from recdata.transforms._sort import sequence_permutation, stable_argsort


def _need(df: pl.DataFrame, protocol: str, *columns: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise TransformError(f"{protocol}: the frame has no column(s) {missing} (has {df.columns})")


def _runs(sorted_codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start of each run of equal codes and each element's run number."""
    change = np.empty(len(sorted_codes), dtype=bool)
    if len(change):
        change[0] = True
        np.not_equal(sorted_codes[1:], sorted_codes[:-1], out=change[1:])
    return np.flatnonzero(change), np.cumsum(change) - 1


def _session_codes(df: pl.DataFrame, user: str, session: str) -> tuple[np.ndarray, np.ndarray, int]:
    """User codes, (user, session) codes and the number of sessions."""
    eu, es = encode_pair(df[user], df[session])
    u, sc = eu.codes.astype(np.int64), es.codes.astype(np.int64)
    lo = np.full(es.size, np.iinfo(np.int64).max, dtype=np.int64)
    hi = np.full(es.size, -1, dtype=np.int64)
    np.minimum.at(lo, sc, u)
    np.maximum.at(hi, sc, u)
    if bool(np.all(lo == hi)):  # every session id within one user (the usual case)
        return u, sc, es.size
    enc = encode(pl.Series(u * es.size + sc))
    return u, enc.codes.astype(np.int64), enc.size


def last_session_out(
    lf: pl.LazyFrame,
    *,
    min_sessions: int = 3,
    short_users: ShortUserPolicy = "train",
    user: str = USER,
    item: str = ITEM,
    time: str | None = TIME,
    session: str = SESSION,
    history: bool = False,
    history_cap: int | None = None,
) -> Split:
    """Per user, sessions ordered by their first click (sequence order: time, then row):
    the last session -> test, the second last -> valid, the rest -> train. A user with fewer
    than ``min_sessions`` sessions keeps them in train (``short_users="train"``) or loses them
    (``"drop"``)."""
    if isinstance(min_sessions, bool) or min_sessions < 1:
        raise TransformError(f"last_session_out: min_sessions must be >= 1, got {min_sessions!r}")
    if short_users not in ("train", "drop"):
        raise TransformError(
            f"last_session_out: short_users={short_users!r} is not one of train, drop"
        )
    df = lf.collect()
    _need(df, "last_session_out", user, item, session)
    if history:
        df = add_history(df.lazy(), user=user, item=item, time=time, cap=history_cap).collect()
    n = df.height
    u, p, n_p = _session_codes(df, user, session)
    tkey = time_key(df[time]) if time is not None else np.zeros(n, dtype=np.int64)
    perm = sequence_permutation(u, tkey)
    pos = np.empty(n, dtype=np.int64)
    pos[perm] = np.arange(n)
    by_p = stable_argsort(p)
    starts, _ = _runs(p[by_p])
    first = np.minimum.reduceat(pos[by_p], starts) if n else np.zeros(0, np.int64)
    owner = u[by_p[starts]] if n else np.zeros(0, np.int64)
    order = np.lexsort((first, owner))  # sessions by user, then by their first click
    ustarts, urun = _runs(owner[order])
    ulen = np.diff(np.r_[ustarts, len(order)])
    back = np.empty(n_p, dtype=np.int64)  # 1 = the user's last session
    back[order] = ulen[urun] - (np.arange(len(order)) - ustarts[urun])
    n_sessions = np.empty(n_p, dtype=np.int64)
    n_sessions[order] = ulen[urun]
    short = n_sessions < min_sessions
    code = np.where(back == 1, TEST, np.where(back == 2, VALID, TRAIN)).astype(np.int8)
    code[short] = DROPPED if short_users == "drop" else TRAIN
    part = code[p]
    short_rows = int(np.count_nonzero(short[p]))
    n_short_users = int(np.count_nonzero(np.bincount(owner[short], minlength=1)))
    params = {
        "min_sessions": min_sessions,
        "short_users": short_users,
        "history": history,
        "history_cap": history_cap,
    }
    counts = {"sessions": n_p, "short_users": n_short_users}
    moved = {"short_users": short_rows} if short_users == "train" and short_rows else {}
    dropped = {"short_users": short_rows} if short_users == "drop" and short_rows else {}
    return make_split(
        df,
        part,
        protocol="last_session_out",
        params=params,
        user=user,
        item=item,
        ordered=False,
        dropped=dropped,
        moved=moved,
        counts=counts,
    )


def temporal_sessions(
    lf: pl.LazyFrame,
    *,
    cutoffs: tuple[Cutoff, Cutoff] | None = None,
    quantiles: tuple[float, float] | None = None,
    by: SessionTime = "start",
    unseen: UnseenPolicy = "keep",
    user: str = USER,
    item: str = ITEM,
    time: str = TIME,
    session: str = SESSION,
    history: bool = False,
    history_cap: int | None = None,
) -> Split:
    """A global temporal split of whole sessions: a session's time (its first click for
    ``by="start"``, its last for ``"end"``) against two cut-offs, ``train < t1 <= valid < t2
    <= test``; every row of a session goes to that one part. ``quantiles`` are of the session
    times (lower rule). Valid/test rows whose item is not in train are kept or dropped
    (``unseen``) and counted. A null time counts as earliest."""
    if (cutoffs is None) == (quantiles is None):
        raise TransformError("temporal_sessions: give exactly one of cutoffs or quantiles")
    if by not in ("start", "end"):
        raise TransformError(f"temporal_sessions: by={by!r} is not one of start, end")
    if unseen not in ("keep", "drop"):
        raise TransformError(f"temporal_sessions: unseen={unseen!r} is not one of keep, drop")
    df = lf.collect()
    _need(df, "temporal_sessions", user, item, session, time)
    if history:
        df = add_history(df.lazy(), user=user, item=item, time=time, cap=history_cap).collect()
    _, p, n_p = _session_codes(df, user, session)
    tkey = time_key(df[time])
    by_p = stable_argsort(p)
    starts, _ = _runs(p[by_p])
    reduce = np.minimum if by == "start" else np.maximum
    st = reduce.reduceat(tkey[by_p], starts) if df.height else np.zeros(0, np.int64)
    st_p = np.empty(n_p, dtype=np.int64)
    st_p[p[by_p[starts]]] = st
    t1, t2 = resolve_cutoffs(st, cutoffs=cutoffs, quantiles=quantiles, protocol="temporal_sessions")
    session_part = np.where(st_p < t1, TRAIN, np.where(st_p < t2, VALID, TEST)).astype(np.int8)
    part = session_part[p]
    items = encode(df[item]).codes
    seen = np.bincount(items[part == TRAIN], minlength=int(items.max(initial=-1)) + 1) > 0
    in_train = seen[items]
    counts: dict[str, int] = {"sessions": n_p}
    dropped: dict[str, int] = {}
    for name, code in (("valid", VALID), ("test", TEST)):
        bad = (part == code) & ~in_train
        counts[f"{name}_unseen_item_rows"] = int(np.count_nonzero(bad))
        counts[f"{name}_sessions"] = int(np.count_nonzero(session_part == code))
        if unseen == "drop":
            dropped[f"{name}_unseen"] = counts[f"{name}_unseen_item_rows"]
            part[bad] = DROPPED
    params = {
        "cutoffs": [t1, t2],
        "quantiles": list(quantiles) if quantiles is not None else None,
        "by": by,
        "unseen": unseen,
        "history": history,
        "history_cap": history_cap,
    }
    return make_split(
        df,
        part,
        protocol="temporal_sessions",
        params=params,
        user=user,
        item=item,
        ordered=False,
        dropped=dropped,
        counts=counts,
    )


def srgnn_split(
    lf: pl.LazyFrame,
    *,
    fraction: int | None = None,
    user: str = USER,
    item: str = ITEM,
    time: str | None = TIME,
    part: str = PART,
) -> Split:
    """SR-GNN's split of a frame the ``srgnn`` step made (each session its own user, users
    numbered in SR-GNN's session order): ``srgnn_part`` gives train and test. With
    ``fraction`` (Yoochoose 4 or 64) train keeps its last ``floor(P / fraction)`` (prefix,
    target) pairs of the P it has, as the script's ``tr_seqs[-P // fraction:]`` does: whole
    sessions, plus the first m + 1 clicks of the session where the cut falls when m of its
    pairs are kept; when ``floor(P / fraction)`` is 0 the script's ``[-0:]`` keeps all.
    Clicks are placed by ``srgnn_order`` when the frame has it, else in sequence order."""
    if fraction is not None and (isinstance(fraction, bool) or fraction < 1):
        raise TransformError(f"srgnn: fraction must be an integer >= 1, got {fraction!r}")
    df = lf.collect()
    _need(df, "srgnn", user, item, part)
    labels = df[part]
    bad = labels.filter(~labels.is_in(["train", "test"]) | labels.is_null())
    if bad.len():
        raise TransformError(f"srgnn: {part!r} holds {bad[0]!r}; expected train or test")
    is_train = (labels == "train").to_numpy()
    u = df[user].cast(pl.Int64).to_numpy()
    if ORDER in df.columns:  # the click's place in SR-GNN's order, not the timestamp's
        pos = df[ORDER].cast(pl.Int64).to_numpy()
    else:
        pos = user_positions(df, user, time, dense=False).pos
    n_u = int(u.max()) + 1 if len(u) else 1
    length = np.bincount(u[is_train], minlength=n_u)
    pairs = np.maximum(length - 1, 0)
    total = int(pairs.sum())
    keep = total if fraction is None else total // fraction
    if keep == 0:  # the script's tr_seqs[-0:] is the whole list
        keep = total
    later = np.cumsum(pairs[::-1])[::-1] - pairs  # pairs of the sessions after each one
    kept_pairs = np.clip(keep - later, 0, pairs)
    kept_rows = np.where(kept_pairs > 0, kept_pairs + 1, 0)
    codes = np.where(is_train, TRAIN, TEST).astype(np.int8)
    cut = is_train & (pos >= kept_rows[u])
    codes[cut] = DROPPED
    test_rows = int(np.count_nonzero(~is_train))
    test_sessions = int(np.unique(u[~is_train]).size)
    boundary = (kept_pairs > 0) & (kept_pairs < pairs)
    counts = {
        "train_pairs_before_fraction": total,
        "train_pairs": int(kept_pairs.sum()),
        "train_sessions": int(np.count_nonzero(kept_pairs)),
        "test_pairs": test_rows - test_sessions,
        "test_sessions": test_sessions,
        "boundary_session_rows_dropped": int((length - kept_rows)[boundary].sum()),
    }
    dropped = {"fraction": int(np.count_nonzero(cut))} if fraction is not None else {}
    return make_split(
        df,
        codes,
        protocol="srgnn",
        params={"fraction": fraction},
        user=user,
        item=item,
        ordered=False,
        dropped=dropped,
        counts=counts,
    )


__all__ = ["last_session_out", "srgnn_split", "temporal_sessions"]
