"""Session protocols against slow references: last-session-out and temporal by session."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recdata.errors import TransformError
from recdata.splits import last_session_out, temporal_sessions

TS = pl.Datetime("ms", "UTC")
T0 = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)

rows_strategy = st.lists(
    st.tuples(
        st.integers(1, 3),  # user
        st.sampled_from(["s1", "s2", "s3", "s4"]),  # session (within a user)
        st.integers(1, 6),  # item
        st.one_of(st.none(), st.integers(0, 50)),  # time (seconds; None = null)
    ),
    max_size=30,
)


def _frame(rows: list[tuple[int, str, int, int | None]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "user_idx": [r[0] for r in rows],
            "session_id": [f"{r[0]}-{r[1]}" for r in rows],
            "item_idx": [r[2] for r in rows],
            "timestamp": [None if r[3] is None else T0 + dt.timedelta(seconds=r[3]) for r in rows],
        },
        schema={
            "user_idx": pl.Int32,
            "session_id": pl.String,
            "item_idx": pl.Int32,
            "timestamp": TS,
        },
    )


def _key(t: int | None) -> float:
    return float("-inf") if t is None else t


def _parts(split) -> list[int]:
    """Part per input row (0 train, 1 valid, 2 test, -1 dropped), via the frames' row ids."""
    train, valid, test = split.collect()
    out: dict[int, int] = {}
    for code, frame in enumerate((train, valid, test)):
        for r in frame["__id"].to_list():
            out[r] = code
    return [out.get(i, -1) for i in range(max(out, default=-1) + 1 if out else 0)]


def _ref_last_session_out(rows, min_sessions: int, short: str) -> list[int]:
    order = sorted(range(len(rows)), key=lambda i: (rows[i][0], _key(rows[i][3]), i))
    first: dict[tuple[int, str], int] = {}
    for pos, i in enumerate(order):
        first.setdefault((rows[i][0], rows[i][1]), pos)
    by_user: dict[int, list[tuple[int, str]]] = {}
    for key in sorted(first, key=first.get):
        by_user.setdefault(key[0], []).append(key)
    code: dict[tuple[int, str], int] = {}
    for keys in by_user.values():
        for k, key in enumerate(keys):
            back = len(keys) - k
            if len(keys) < min_sessions:
                code[key] = 0 if short == "train" else -1
            else:
                code[key] = 2 if back == 1 else 1 if back == 2 else 0
    return [code[(r[0], r[1])] for r in rows]


@settings(max_examples=60, deadline=None)
@given(rows=rows_strategy, k=st.integers(1, 4), short=st.sampled_from(["train", "drop"]))
def test_last_session_out_matches_reference(rows, k: int, short: str) -> None:
    frame = _frame(rows).with_row_index("__id")
    split = last_session_out(frame.lazy(), min_sessions=k, short_users=short)  # type: ignore[arg-type]
    want = _ref_last_session_out(rows, k, short)
    got = _parts(split)
    got += [-1] * (len(rows) - len(got))
    assert got == want
    assert split.partition == (short == "train" or -1 not in want)


def _ref_temporal(rows, t1: int, t2: int, by: str, unseen: str) -> list[int]:
    times: dict[tuple[int, str], list[float]] = {}
    for r in rows:
        times.setdefault((r[0], r[1]), []).append(_key(r[3]))
    at = {k: (min(v) if by == "start" else max(v)) for k, v in times.items()}
    code = [0 if at[(r[0], r[1])] < t1 else 1 if at[(r[0], r[1])] < t2 else 2 for r in rows]
    train_items = {r[2] for r, c in zip(rows, code, strict=True) if c == 0}
    if unseen == "drop":
        code = [
            -1 if c > 0 and r[2] not in train_items else c for r, c in zip(rows, code, strict=True)
        ]
    return code


@settings(max_examples=60, deadline=None)
@given(
    rows=rows_strategy,
    cuts=st.tuples(st.integers(0, 50), st.integers(0, 50)).map(sorted),
    by=st.sampled_from(["start", "end"]),
    unseen=st.sampled_from(["keep", "drop"]),
)
def test_temporal_sessions_matches_reference(rows, cuts, by: str, unseen: str) -> None:
    t1, t2 = (T0 + dt.timedelta(seconds=c) for c in cuts)
    frame = _frame(rows).with_row_index("__id")
    split = temporal_sessions(frame.lazy(), cutoffs=(t1, t2), by=by, unseen=unseen)  # type: ignore[arg-type]
    want = _ref_temporal(rows, cuts[0], cuts[1], by, unseen)
    got = _parts(split)
    got += [-1] * (len(rows) - len(got))
    assert got == want


def test_a_session_goes_wholly_to_one_side() -> None:
    rows = [(1, "s1", 1, 0), (1, "s1", 2, 20), (1, "s2", 3, 30), (2, "s1", 1, 5), (2, "s1", 2, 40)]
    cut = T0 + dt.timedelta(seconds=10)
    start = temporal_sessions(_frame(rows).lazy(), cutoffs=(cut, cut), by="start")
    train, _, test = start.collect()
    assert train["session_id"].to_list() == ["1-s1", "1-s1", "2-s1", "2-s1"]
    assert test["session_id"].to_list() == ["1-s2"]
    end = temporal_sessions(_frame(rows).lazy(), cutoffs=(cut, cut), by="end")
    assert end.collect()[0].height == 0


def test_quantiles_are_of_session_times() -> None:
    # 3 sessions starting at 0, 10, 20 (the first with many rows): the median session start is 10
    rows = [(1, "s1", 1, 0)] * 5 + [(1, "s2", 2, 10), (1, "s3", 3, 20)]
    split = temporal_sessions(_frame(rows).lazy(), quantiles=(0.5, 1.0))
    assert split.params["cutoffs"] == [
        int((T0.timestamp() + 10) * 1000),
        int((T0.timestamp() + 20) * 1000),
    ]


def test_session_protocols_name_bad_options() -> None:
    frame = _frame([(1, "s1", 1, 0)]).lazy()
    with pytest.raises(TransformError, match="min_sessions"):
        last_session_out(frame, min_sessions=0)
    with pytest.raises(TransformError, match="exactly one"):
        temporal_sessions(frame)
    with pytest.raises(TransformError, match="by="):
        temporal_sessions(frame, quantiles=(0.5, 0.9), by="middle")  # type: ignore[arg-type]
    with pytest.raises(TransformError, match="session_id"):
        last_session_out(frame.drop("session_id"))


def test_a_session_id_reused_by_two_users_is_two_sessions() -> None:
    frame = pl.DataFrame(
        {
            "user_idx": [1, 1, 1, 2, 2, 2],
            "session_id": ["a", "b", "c", "c", "b", "a"],
            "item_idx": [1, 2, 3, 4, 5, 6],
            "timestamp": [T0 + dt.timedelta(seconds=k) for k in range(6)],
        },
        schema_overrides={"user_idx": pl.Int32, "item_idx": pl.Int32, "timestamp": TS},
    )
    train, valid, test = last_session_out(frame.lazy()).collect()
    assert train["item_idx"].to_list() == [1, 4]
    assert valid["item_idx"].to_list() == [2, 5]
    assert test["item_idx"].to_list() == [3, 6]
    by_end = temporal_sessions(
        frame.lazy(), cutoffs=(T0 + dt.timedelta(seconds=2), T0 + dt.timedelta(seconds=5))
    )
    assert [p["item_idx"].to_list() for p in by_end.collect()] == [[1, 2], [3, 4, 5], [6]]
