"""The Spark engine moves tables in bounded chunks: the hand-over writes the mapped interactions
a chunk at a time with their ids coded, and finished tables come back as ranges of
``interaction_idx`` that the writer turns into the same bytes as the whole table."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from recdata import schema as S
from recdata.dataset import Manifest
from recdata.dataset._folder import write_rows
from recdata.engines.spark._frames import IdCodes, numbered_chunks
from recdata.pipeline import build

from .test_spark_builds import assert_same_folders


@settings(max_examples=60, deadline=None)
@given(
    ids=st.lists(st.one_of(st.none(), st.sampled_from(["b", "a", "ab", "é", "B", "", "z9"]))),
    categorical=st.booleans(),
    rows=st.integers(1, 5),
)
def test_id_codes_are_dense_ranks_of_the_sorted_values(
    ids: list[str | None], categorical: bool, rows: int
) -> None:
    # reference: polars' dense rank of the string values (what the whole-frame encoding gave)
    column = pl.Series(S.USER_ID, ids, dtype=pl.String)
    frame = pl.DataFrame({S.USER_ID: column, S.ITEM_ID: column.reverse(), "x": range(len(ids))})
    if categorical:
        frame = frame.with_columns(pl.col(S.USER_ID, S.ITEM_ID).cast(pl.Categorical))
    codes = IdCodes(frame)
    got = pl.concat(list(numbered_chunks(frame, codes, rows)))
    for name in (S.USER_ID, S.ITEM_ID):
        strings = frame[name].cast(pl.String)
        assert codes.values[name].to_list() == sorted(set(strings.drop_nulls()))
        want = (strings.rank("dense") - 1).cast(pl.Int64)
        assert got[name].to_list() == want.to_list()
    assert got["_row"].to_list() == list(range(len(ids)))
    assert got["x"].to_list() == frame["x"].to_list()


spark_only = pytest.mark.spark


def _interactions(n: int) -> pl.DataFrame:
    """Raw interactions with string and categorical ids, null and tied timestamps."""
    start = dt.datetime(2021, 3, 1, tzinfo=dt.UTC)
    times = [None if i % 7 == 3 else start + dt.timedelta(seconds=i // 2) for i in range(n)]
    return pl.DataFrame(
        {
            S.USER_ID: [f"u{(i * 5) % 9}" for i in range(n)],
            S.ITEM_ID: pl.Series([f"i{(i * 3) % 13}" for i in range(n)]).cast(pl.Categorical),
            S.TIME: pl.Series(times, dtype=pl.Datetime("us", "UTC")).cast(pl.Datetime("ms", "UTC")),
            S.RATING: pl.Series([float(i % 5) for i in range(n)], dtype=pl.Float32),
            "note": [f"n{i}" for i in range(n)],
        }
    )


def _chunked(spark: Any, tmp_path: Path, chunk_rows: int) -> Any:
    from recdata.engines.spark import SparkEngine

    return SparkEngine(spark=spark, staging=tmp_path, chunk_rows=chunk_rows)


@spark_only
def test_hand_over_in_chunks_keeps_rows_and_order(spark: Any, tmp_path: Path) -> None:
    engine = _chunked(spark, tmp_path, 7)
    try:
        df = _interactions(40)
        loaded = engine.load(df)
        staged = list(engine.staging.root.rglob("*.parquet"))
        assert len(staged) == 6  # ceil(40 / 7) chunk files
        assert_frame_equal(engine.collect(loaded), df)  # ids decoded, source row order
        empty = engine.load(df.clear())
        assert_frame_equal(engine.collect(empty), df.clear())
    finally:
        engine.close()


def _indexed(spark: Any, engine: Any) -> Any:
    """An indexed frame on Spark: interaction_idx with gaps (a split part), a history list,
    null timestamps and ratings, several Spark partitions."""
    df = _interactions(60)
    loaded = engine.load(df)
    indexed = engine.index(loaded, order="raw_id").interactions
    from pyspark.sql import functions as F

    part = indexed.filter(F.col(S.INTERACTION) % 3 != 1).repartition(3)
    history = F.array(F.col(S.ITEM), (F.col(S.ITEM) + 1).cast("int"))
    return part.withColumn(S.HISTORY, F.when(F.col(S.USER) % 2 == 0, history))


@spark_only
def test_collected_chunks_are_key_ranges_of_the_whole_table(spark: Any, tmp_path: Path) -> None:
    engine = _chunked(spark, tmp_path, 4)
    try:
        frame = _indexed(spark, engine)
        whole = engine.collect(frame)
        chunks = list(engine.collect_chunks(frame))
        assert len(chunks) > 5
        for chunk in chunks:
            keys = chunk[S.INTERACTION]
            assert keys.is_sorted() and keys.max() // 4 == keys.min() // 4  # type: ignore[operator]
        assert_frame_equal(pl.concat(chunks), whole)  # same rows, order and dtypes
        assert not list(engine.staging.root.rglob("_chunk=*"))  # each range deleted once read
        # the writer gives the same bytes for the chunks as for the whole table, with parts
        # (7 rows) and row groups that the 4-key ranges cut through
        a = write_rows(tmp_path / "a", "t.parquet", whole, what="t", max_rows_per_file=7)
        n = whole.height
        b = write_rows(tmp_path / "b", "t.parquet", chunks, what="t", rows=n, max_rows_per_file=7)
        assert len(a) > 3 and a == b
        for rel in a:
            assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes()
        none = list(engine.collect_chunks(frame.limit(0)))
        assert len(none) == 1
        assert_frame_equal(none[0], whole.clear())
    finally:
        engine.close()


@spark_only
def test_chunked_build_equals_polars_and_one_chunk(
    spark: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # chunks of 300 rows against parts of 500: ranges cut through the parts
    monkeypatch.setenv("RECDATA_HOME", str(tmp_path / "home"))
    overrides = ["size=3000", "output.max_rows_per_file=500", "features=null", "graphs=null"]
    a = build("synthetic", out=tmp_path / "polars", overrides=overrides)
    one = _chunked(spark, tmp_path, 1 << 30)
    small = _chunked(spark, tmp_path, 300)
    try:
        b = build("synthetic", out=tmp_path / "one", overrides=overrides, engine=one)
        c = build("synthetic", out=tmp_path / "small", overrides=overrides, engine=small)
    finally:
        one.close()
        small.close()
    assert_same_folders(a, c)
    files = Manifest.read(c).files
    assert "interactions/part-00001.parquet" in files
    assert "splits/loo/train/part-00001.parquet" in files
    assert Manifest.read(b).files == files  # byte-identical: same checksums
