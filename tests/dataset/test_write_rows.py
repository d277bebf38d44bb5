"""Interaction-shaped tables written from ordered chunks: the same files, byte for byte, however
the rows are chunked, and the same as a plain reference writer of the whole table."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recdata import schema as S
from recdata.dataset import _folder as folder_module
from recdata.dataset._folder import _conform, part_file, write_parquet, write_rows
from recdata.errors import SchemaError

ROW_GROUP = 5  # small row groups (patched), so parts hold several and chunks cut through them


def _table(n: int) -> pl.DataFrame:
    start = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    return pl.DataFrame(
        {
            S.INTERACTION: pl.int_range(n, eager=True).cast(pl.Int64),
            S.USER: (pl.int_range(n, eager=True) // 3).cast(pl.Int32),
            S.ITEM: (pl.int_range(n, eager=True) * 7 % 11).cast(pl.Int32),
            S.TIME: pl.datetime_range(
                start,
                start + dt.timedelta(seconds=max(n - 1, 0)),
                "1s",
                eager=True,
                time_zone="UTC",
            ).cast(pl.Datetime("ms", "UTC"))[:n],
            S.RATING: pl.Series(
                [float(i % 5) if i % 4 else None for i in range(n)], dtype=pl.Float32
            ),
            "note": pl.Series([f"n{i % 9}" for i in range(n)], dtype=pl.String),
        }
    )


def _reference(folder: Path, rel: str, frame: pl.DataFrame, part_rows: int) -> dict[str, Any]:
    """The layout written the plain way: one file when the table fits a file, else parts of
    ``part_rows``; each file's row groups are consecutive slices of ``ROW_GROUP`` rows."""

    def groups(piece: pl.DataFrame) -> list[Any]:
        starts = range(0, max(piece.height, 1), ROW_GROUP)
        return [_conform(piece.slice(s, ROW_GROUP), S.INTERACTIONS, "t") for s in starts]

    if frame.height <= part_rows:
        return {rel: write_parquet(groups(frame), folder / rel)}
    return {
        part_file(rel, i): write_parquet(
            groups(frame.slice(start, part_rows)), folder / part_file(rel, i)
        )
        for i, start in enumerate(range(0, frame.height, part_rows))
    }


def _bytes(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _cut(frame: pl.DataFrame, cuts: list[int]) -> list[pl.DataFrame]:
    """``frame`` cut at the given row positions (sorted, deduplicated), empty chunks kept."""
    bounds = [0, *sorted(c % (frame.height + 1) for c in cuts), frame.height]
    return [frame.slice(a, b - a) for a, b in zip(bounds, bounds[1:], strict=False)]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    n=st.integers(0, 60),
    part_rows=st.integers(1, 25),
    cuts=st.lists(st.integers(0, 60), max_size=8),
    rechunked=st.booleans(),
)
def test_chunked_writes_equal_the_reference(
    n: int,
    part_rows: int,
    cuts: list[int],
    rechunked: bool,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(folder_module, "_ROW_GROUP", ROW_GROUP)
    frame = _table(n)
    chunks = _cut(frame, cuts)
    if rechunked:  # chunks as the Spark engine gives them: each in its own memory
        chunks = [c.clone().rechunk() for c in chunks]
        frame = frame.rechunk()
    want_dir = tmp_path_factory.mktemp("want")
    got_dir = tmp_path_factory.mktemp("got")
    whole_dir = tmp_path_factory.mktemp("whole")
    rel = "splits/loo/train.parquet"
    want = _reference(want_dir, rel, frame, part_rows)
    got = write_rows(got_dir, rel, chunks, what="t", rows=n, max_rows_per_file=part_rows)
    whole = write_rows(whole_dir, rel, frame, what="t", max_rows_per_file=part_rows)
    assert got == want == whole
    assert _bytes(got_dir) == _bytes(want_dir) == _bytes(whole_dir)
    files = list(want)
    assert len(files) == (1 if n <= part_rows else -(-n // part_rows))


def test_part_boundary_count_and_empty_table(tmp_path: Path) -> None:
    # exactly one file's worth of rows stays one file; one more row makes two parts
    frame = _table(13)
    one = write_rows(
        tmp_path / "a",
        "t.parquet",
        [frame[:5], frame[5:12]],
        what="t",
        rows=12,
        max_rows_per_file=12,
    )
    assert list(one) == ["t.parquet"]
    assert not (tmp_path / "a" / "t").exists()
    two = write_rows(tmp_path / "b", "t.parquet", [frame], what="t", rows=13, max_rows_per_file=12)
    assert {k: v.rows for k, v in two.items()} == {
        "t/part-00000.parquet": 12,
        "t/part-00001.parquet": 1,
    }
    # a row count that is not the chunks' is refused, whichever way it is wrong
    for rows in (12, 14, 30):
        with pytest.raises(SchemaError, match=f"{rows:,} rows were announced, 13 arrived"):
            write_rows(
                tmp_path / f"x{rows}",
                "t.parquet",
                [frame],
                what="t",
                rows=rows,
                max_rows_per_file=12,
            )
    with pytest.raises(ValueError, match="needs the row count"):
        write_rows(tmp_path / "y", "t.parquet", [frame], what="t")
    # no rows: one file with the columns of the (empty) chunk
    empty = write_rows(tmp_path / "c", "t.parquet", [frame.clear()], what="t", rows=0)
    assert empty["t.parquet"].rows == 0
    assert pl.read_parquet(tmp_path / "c" / "t.parquet").columns == frame.columns
    with pytest.raises(ValueError, match="no chunk"):
        write_rows(tmp_path / "d", "t.parquet", [], what="t", rows=0)
