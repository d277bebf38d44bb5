"""to_timestamp conversions (integers, strings, datetimes) and the stable sequence order."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recdata.errors import TransformError
from recdata.schema import POLARS_TIMESTAMP
from recdata.transforms import sequence_order, to_timestamp

UTC = dt.UTC


def ms_of(value: dt.datetime) -> int:
    return int((value - dt.datetime(1970, 1, 1, tzinfo=UTC)).total_seconds() * 1000)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(-(10**12), 10**12), max_size=20), st.sampled_from(["s", "ms", "us", "ns"])
)
def test_integer_units_are_exact(values, unit):
    out = to_timestamp(
        pl.LazyFrame({"timestamp": values}, schema={"timestamp": pl.Int64}), unit=unit
    ).collect()
    assert out.schema["timestamp"] == POLARS_TIMESTAMP
    per_ms = {"s": None, "ms": 1, "us": 1000, "ns": 1_000_000}[unit]
    expected = [v * 1000 if per_ms is None else v // per_ms for v in values]
    assert out["timestamp"].dt.epoch("ms").to_list() == expected


def test_large_seconds_keep_millisecond_exactness():
    # 2^53 ms would be lost through float seconds; integers stay exact
    v = 9_007_199_254_740  # seconds
    out = to_timestamp(pl.LazyFrame({"timestamp": [v]}), unit="s").collect()
    assert out["timestamp"].dt.epoch("ms").item() == v * 1000


def test_digit_strings_and_dates():
    lf = pl.LazyFrame({"timestamp": ["1628643414", " 1658002729 "]})
    out = to_timestamp(lf, unit="s").collect()
    assert out["timestamp"].dt.epoch("ms").to_list() == [1628643414000, 1658002729000]
    d = to_timestamp(
        pl.LazyFrame({"timestamp": ["09 13, 2016"]}), unit="date", format="%m %d, %Y"
    ).collect()
    assert d["timestamp"].item() == dt.datetime(2016, 9, 13, tzinfo=UTC)
    aware = to_timestamp(
        pl.LazyFrame({"timestamp": ["2020-01-02T03:04:05.123+02:00"]}), unit="datetime"
    ).collect()
    assert ms_of(aware["timestamp"].item()) == ms_of(
        dt.datetime(2020, 1, 2, 1, 4, 5, 123000, tzinfo=UTC)
    )
    naive = to_timestamp(
        pl.LazyFrame({"timestamp": ["2020-01-02 03:04:05"]}), unit="datetime"
    ).collect()
    assert naive["timestamp"].item() == dt.datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_existing_datetimes_become_utc_ms():
    lf = pl.LazyFrame({"t": [dt.datetime(2020, 1, 1, 12)]}).with_columns(
        pl.col("t").dt.replace_time_zone("Europe/Paris").dt.cast_time_unit("ns")
    )
    out = to_timestamp(lf, column="t").collect()
    assert out.schema["t"] == POLARS_TIMESTAMP
    assert out["t"].item() == dt.datetime(2020, 1, 1, 11, tzinfo=UTC)


def test_floats_and_bad_units_are_refused():
    with pytest.raises(TransformError, match="float"):
        to_timestamp(pl.LazyFrame({"timestamp": [1.5]}))
    with pytest.raises(TransformError, match="unit"):
        to_timestamp(pl.LazyFrame({"timestamp": [1]}), unit="h")  # type: ignore[arg-type]
    with pytest.raises(TransformError, match="no column"):
        to_timestamp(pl.LazyFrame({"x": [1]}))


rows_st = st.lists(
    st.tuples(st.integers(0, 3), st.one_of(st.none(), st.integers(0, 3))), max_size=40
)


@settings(max_examples=200, deadline=None)
@given(rows_st)
def test_sequence_order_is_stable_with_nulls_first(rows):
    df = pl.DataFrame(
        {
            "user_idx": [r[0] for r in rows],
            "timestamp": [r[1] for r in rows],
            "row": list(range(len(rows))),
        },
        schema={"user_idx": pl.Int32, "timestamp": pl.Int64, "row": pl.Int64},
    )
    out = sequence_order(df.lazy()).collect()
    expected = sorted(
        range(len(rows)), key=lambda r: (rows[r][0], -1 if rows[r][1] is None else rows[r][1], r)
    )
    assert out["row"].to_list() == expected
