"""Each rule of SR-GNN's preprocess.py, on frames made here (docs/sessions.md lists them)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recdata.errors import TransformError
from recdata.sessions import ORDER, PART, prefix_pairs, srgnn_preprocess_report
from recdata.splits import srgnn_split
from recdata.transforms import index_ids

TS = pl.Datetime("ms", "UTC")


def yoochoose(rows: list[tuple[str, str, str]]) -> pl.LazyFrame:
    """(session, item, ISO time) rows in file order, as the yoochoose recipe maps them."""
    return pl.DataFrame(
        {
            "session_id": [r[0] for r in rows],
            "item_id": [r[1] for r in rows],
            "timestamp": [dt.datetime.fromisoformat(r[2]).replace(tzinfo=dt.UTC) for r in rows],
        },
        schema={"session_id": pl.String, "item_id": pl.String, "timestamp": TS},
    ).lazy()


def diginetica(rows: list[tuple[str, str, int, str]]) -> pl.LazyFrame:
    """(session, item, timeframe, eventdate) rows in file order, as the diginetica recipe maps them."""
    return pl.DataFrame(
        {
            "session_id": [r[0] for r in rows],
            "item_id": [r[1] for r in rows],
            "timestamp": [dt.datetime.fromisoformat(r[3]).replace(tzinfo=dt.UTC) for r in rows],
            "timeframe": [r[2] for r in rows],
        },
        schema={
            "session_id": pl.String,
            "item_id": pl.String,
            "timestamp": TS,
            "timeframe": pl.Int64,
        },
    ).lazy()


def sessions(out: pl.DataFrame, part: str | None = None) -> list[tuple[str, list[str]]]:
    """(session, items) in output order, optionally of one part."""
    if part is not None:
        out = out.filter(pl.col(PART) == part)
    grouped = out.group_by("session_id", maintain_order=True).agg(pl.col("item_id"))
    return list(zip(grouped["session_id"].to_list(), grouped["item_id"].to_list(), strict=True))


def test_a_sessions_date_is_its_last_row_in_file_order_not_its_latest() -> None:
    rows = [
        ("a", "x", "2014-04-05T10:00:00"),  # the latest click of a ...
        ("a", "y", "2014-04-01T10:00:00"),  # ... but its last row: a is dated April 1st
        ("b", "x", "2014-04-05T12:00:00"),  # the latest date: split = April 4th 12:00
        ("b", "y", "2014-04-05T12:01:00"),
        ("c", "x", "2014-04-02T00:00:00"),
        ("c", "y", "2014-04-02T00:00:01"),
    ]
    out, report = srgnn_preprocess_report(yoochoose(rows), dataset="yoochoose", min_item_count=1)
    assert sessions(out, "train") == [("a", ["x", "y"]), ("c", ["x", "y"])]
    assert sessions(out, "test") == [("b", ["x", "y"])]
    assert report.max_date == int(dt.datetime(2014, 4, 5, 12, 1, tzinfo=dt.UTC).timestamp())
    assert report.split_date == report.max_date - 86400


def test_a_session_split_in_two_blocks_takes_the_last_blocks_date_and_all_its_clicks() -> None:
    rows = [
        ("a", "x", "2014-04-05T10:00:00"),
        ("b", "x", "2014-04-05T11:00:00"),
        ("b", "y", "2014-04-05T11:00:01"),
        ("a", "y", "2014-04-01T10:00:00"),  # a's second block: a is dated April 1st
    ]
    out, _ = srgnn_preprocess_report(yoochoose(rows), dataset="yoochoose", min_item_count=1)
    assert sessions(out) == [("a", ["x", "y"]), ("b", ["x", "y"])]
    assert out[PART].to_list() == ["train", "train", "test", "test"]


def test_yoochoose_keeps_file_order_and_diginetica_sorts_stably_by_timeframe() -> None:
    rows = [
        ("a", "x", "2014-04-01T10:10:00"),
        ("a", "y", "2014-04-01T10:00:00"),
        ("a", "z", "2014-04-01T10:05:00"),
        ("b", "x", "2014-04-03T10:00:00"),
        ("b", "y", "2014-04-03T10:00:00"),
    ]
    out, _ = srgnn_preprocess_report(yoochoose(rows), dataset="yoochoose", min_item_count=1)
    assert sessions(out, "train") == [("a", ["x", "y", "z"])]
    assert out.filter(pl.col("session_id") == "a")[ORDER].to_list() == [0, 1, 2]
    dig = [
        ("a", "x", 300, "2016-01-01"),
        ("a", "y", 100, "2016-01-01"),
        ("a", "z", 300, "2016-01-01"),  # ties with x: file order kept (x before z)
        ("a", "w", 200, "2016-01-02"),  # a later date but an earlier timeframe than x
        ("b", "x", 1, "2016-01-20"),
        ("b", "y", 2, "2016-01-20"),
    ]
    out, _ = srgnn_preprocess_report(diginetica(dig), dataset="diginetica", min_item_count=1)
    assert sessions(out, "train") == [("a", ["y", "w", "x", "z"])]


def test_length_one_sessions_go_before_item_counts_and_counts_are_taken_once() -> None:
    # r: 4 rows in sessions of two or more, 1 in the length-1 session f -> counted 4: rare.
    # p: 5 rows; session e loses its r, is left with p alone and goes: p stays with 4 rows.
    layout = {"a": "rqp", "b": "rqp", "c": "rqp", "e": "rp", "f": "r", "d": "qp"}
    timed = [
        (s, i, f"2014-04-01T00:{n:02d}:{k:02d}")
        for n, (s, items) in enumerate(layout.items())
        for k, i in enumerate(items)
    ]
    timed += [("t", "q", "2014-04-09T00:00:01"), ("t", "q", "2014-04-09T00:00:02")]
    out, report = srgnn_preprocess_report(yoochoose(timed), dataset="yoochoose")
    assert report.length_one_sessions == 1
    assert (report.rare_items, report.rare_item_rows) == (1, 4)
    assert sessions(out, "train") == [
        ("a", ["q", "p"]),
        ("b", ["q", "p"]),
        ("c", ["q", "p"]),
        ("d", ["q", "p"]),
    ]
    assert sessions(out, "test") == [("t", ["q", "q"])]
    assert out.filter(pl.col("item_id") == "p").height == 4  # below 5 now, kept: counted once


def test_repeats_are_kept_and_counted() -> None:
    rows = [("a", "x", f"2014-04-01T00:00:0{n}") for n in range(5)]
    rows += [("a", "y", "2014-04-01T00:00:06")] * 1 + [("b", "x", "2014-04-03T00:00:00")]
    rows += [("b", "y", "2014-04-03T00:00:01")] + [
        ("c", "y", f"2014-04-01T01:00:0{n}") for n in range(3)
    ]
    out, _ = srgnn_preprocess_report(yoochoose(rows), dataset="yoochoose")
    assert sessions(out, "train")[0] == ("a", ["x", "x", "x", "x", "x", "y"])


def test_split_day_sessions_are_in_neither_part_and_the_boundary_is_days_before_the_latest() -> (
    None
):
    dig = [
        ("a", "x", 1, "2016-01-01"),
        ("a", "y", 2, "2016-01-01"),
        ("b", "x", 1, "2016-01-09"),
        ("b", "y", 2, "2016-01-09"),  # exactly 7 days before
        ("c", "x", 1, "2016-01-10"),
        ("c", "y", 2, "2016-01-10"),
        ("d", "x", 1, "2016-01-16"),
        ("d", "y", 2, "2016-01-16"),  # the latest kept date
        ("e", "x", 1, "2016-01-30"),
        ("e", "q", 2, "2016-01-30"),  # later, but q is rare: e goes
        ("f", "q", 1, "2016-01-03"),
        ("f", "z", 2, "2016-01-03"),
    ]
    out, report = srgnn_preprocess_report(diginetica(dig), dataset="diginetica", min_item_count=3)
    assert sessions(out, "train") == [("a", ["x", "y"])]
    assert sessions(out, "test") == [("c", ["x", "y"]), ("d", ["x", "y"])]
    assert report.split_day_sessions == 1
    assert report.split_date_utc == "2016-01-09T00:00:00+00:00"
    yoo = [
        ("a", "x", "2014-04-01T10:00:00.000"),
        ("a", "y", "2014-04-01T10:00:01.000"),
        ("b", "x", "2014-04-04T12:00:00.100"),
        ("b", "y", "2014-04-04T12:00:00.999"),  # .999 cut
        ("c", "x", "2014-04-05T11:00:00.000"),
        ("c", "y", "2014-04-05T12:00:00.500"),
    ]
    out, report = srgnn_preprocess_report(yoochoose(yoo), dataset="yoochoose", min_item_count=1)
    assert [s for s, _ in sessions(out)] == ["a", "c"]
    assert report.split_day_sessions == 1


def test_the_time_zone_moves_the_boundary_across_a_dst_change() -> None:
    dig = [
        ("a", "x", 1, "2016-03-20"),
        ("a", "y", 2, "2016-03-20"),
        ("b", "x", 1, "2016-03-23"),
        ("b", "y", 2, "2016-03-23"),  # 7 days before, in UTC
        ("c", "x", 1, "2016-03-30"),
        ("c", "y", 2, "2016-03-30"),
    ]
    utc, _ = srgnn_preprocess_report(diginetica(dig), dataset="diginetica", min_item_count=1)
    assert [s for s, _ in sessions(utc)] == ["a", "c"]
    # in Berlin the week holds the switch to summer time: the split is 23:00 local on 22 March
    berlin, report = srgnn_preprocess_report(
        diginetica(dig), dataset="diginetica", min_item_count=1, timezone="Europe/Berlin"
    )
    assert sessions(berlin, "test") == [("b", ["x", "y"]), ("c", ["x", "y"])]
    assert report.split_date_utc == "2016-03-22T22:00:00+00:00"


def test_sessions_are_ordered_by_date_then_first_appearance() -> None:
    dig = [
        ("9", "x", 1, "2016-01-02"),
        ("9", "y", 2, "2016-01-02"),
        ("1", "y", 1, "2016-01-02"),
        ("1", "x", 2, "2016-01-02"),
        ("5", "x", 1, "2016-01-01"),
        ("5", "y", 2, "2016-01-01"),
        ("7", "x", 1, "2016-02-01"),
        ("7", "y", 2, "2016-02-01"),
    ]
    out, _ = srgnn_preprocess_report(diginetica(dig), dataset="diginetica", min_item_count=1)
    assert [s for s, _ in sessions(out, "train")] == ["5", "9", "1"]
    as_users = out.lazy().with_columns(pl.col("session_id").alias("user_id"))
    indexed = index_ids(as_users, order="input")
    # sessions and items numbered by first appearance in SR-GNN's order: 5 sees x first
    assert indexed.user_map["user_id"].to_list() == ["5", "9", "1", "7"]
    assert indexed.item_map["item_id"].to_list() == ["x", "y"]


def test_test_sessions_keep_train_items_only_and_at_least_two_of_them() -> None:
    yoo = [
        ("a", "x", "2014-04-01T00:00:00"),
        ("a", "y", "2014-04-01T00:00:01"),
        ("b", "x", "2014-04-05T00:00:00"),
        ("b", "n", "2014-04-05T00:00:01"),
        ("b", "y", "2014-04-05T00:00:02"),
        ("c", "n", "2014-04-05T01:00:00"),
        ("c", "x", "2014-04-05T01:00:01"),
    ]
    out, report = srgnn_preprocess_report(yoochoose(yoo), dataset="yoochoose", min_item_count=1)
    assert sessions(out, "test") == [("b", ["x", "y"])]
    assert report.test_unseen_item_rows == 2
    assert report.test_short_sessions == 1
    assert (report.train_pairs, report.test_pairs) == (1, 1)


def test_bad_input_is_named() -> None:
    frame = yoochoose([("a", "x", "2014-04-01T00:00:00")])
    with pytest.raises(TransformError, match="dataset"):
        srgnn_preprocess_report(frame, dataset="tmall")  # type: ignore[arg-type]
    with pytest.raises(TransformError, match="timeframe"):
        srgnn_preprocess_report(frame, dataset="diginetica")
    nulls = frame.with_columns(pl.lit(None, TS).alias("timestamp"))
    with pytest.raises(TransformError, match="nulls"):
        srgnn_preprocess_report(nulls, dataset="yoochoose")


# --------------------------------------------------------------------------- augmentation


def test_prefix_pairs_longest_prefix_first() -> None:
    frame = pl.DataFrame(
        {"session_id": ["s"] * 4 + ["t"] * 2 + ["u"], "item_idx": [1, 2, 3, 1, 5, 6, 7]}
    )
    pairs = prefix_pairs(frame.lazy()).collect()
    assert pairs["prefix"].to_list() == [[1, 2, 3], [1, 2], [1], [5]]
    assert pairs["target"].to_list() == [1, 3, 2, 6]


# --------------------------------------------------------------------------- fractions


def _reference_fraction(seqs: list[list[int]], fraction: int) -> list[tuple[list[int], int]]:
    """The script's own slicing: augmented pairs, then ``pairs[-int(len / fraction):]``."""
    pairs = [(s[:-i], s[-i]) for s in seqs for i in range(1, len(s))]
    return pairs[-int(len(pairs) / fraction) :]


@settings(max_examples=60, deadline=None)
@given(
    lengths=st.lists(st.integers(2, 7), min_size=1, max_size=12),
    fraction=st.sampled_from([1, 2, 3, 4, 64]),
)
def test_fraction_keeps_the_scripts_last_pairs(lengths: list[int], fraction: int) -> None:
    rng = np.random.default_rng(len(lengths) * 100 + fraction)
    seqs = [[int(v) for v in rng.integers(1, 9, n)] for n in lengths]
    frame = pl.DataFrame(
        {
            "user_idx": [u + 1 for u, s in enumerate(seqs) for _ in s],
            "item_idx": [v for s in seqs for v in s],
            "timestamp": [None] * sum(lengths),
            PART: ["train"] * sum(lengths),
            ORDER: [p for s in seqs for p in range(len(s))],
        },
        schema_overrides={"timestamp": TS, "user_idx": pl.Int32, "item_idx": pl.Int32},
    )
    split = srgnn_split(frame.lazy(), fraction=fraction)
    train, _, _ = split.collect()
    got = prefix_pairs(train.lazy(), session="user_idx").collect()
    assert list(zip(got["prefix"].to_list(), got["target"].to_list(), strict=True)) == [
        (list(p), t) for p, t in _reference_fraction(seqs, fraction)
    ]
    assert split.report.counts["train_pairs"] == got.height
