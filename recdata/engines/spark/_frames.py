"""Moving frames between polars (the driver) and Spark, and the order columns Spark needs.

Spark has no implicit row order, so a loaded frame carries the source row number in ``_row``
(assigned on the driver, where the source was read in file order); every tie-break uses it.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
import warnings
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa

from recdata import schema as S

ROW = "_row"
"""The source row number (int64, from 0): the explicit form of polars' row order."""

LONG_MIN = -(2**63)


def time_key(frame: Any, time: str = S.TIME) -> Any:
    """Int64 order key of the time column, nulls first (as polars' ``order_key``)."""
    from pyspark.sql import functions as F

    if time not in frame.columns:
        return F.lit(0).cast("long")
    return F.coalesce(F.unix_micros(F.col(time)), F.lit(LONG_MIN).cast("long"))


def checkpoint(frame: Any) -> Any:
    """Materialise a frame on the executors and cut its lineage (k-core rounds, each step);
    a frame this returned is returned as it is."""
    if getattr(frame, _MATERIALISED, False):
        return frame
    out = frame.localCheckpoint(eager=True)
    setattr(out, _MATERIALISED, True)
    return out


_MATERIALISED = "_recdata_materialised"

BROADCAST_ROWS = 20_000_000
"""Rows up to which a materialised per-user or per-item table joins the interactions as a
broadcast (no shuffle of the interactions); above it Spark picks the join."""


def small_side(table: Any, rows: int | None = None) -> Any:
    """A per-user or per-item table (``rows`` long, counted when not given), marked for
    broadcast when it has at most BROADCAST_ROWS rows."""
    from pyspark.sql import functions as F

    rows = table.count() if rows is None else rows
    return F.broadcast(table) if rows <= BROADCAST_ROWS else table


class Staging:
    """A folder for the Parquet files that hand driver-side frames to Spark (removed on close).

    On a cluster it must be on a filesystem every executor sees (``staging`` option)."""

    def __init__(self, root: str | Path | None = None) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="recdata-spark-", dir=root))

    def put(self, spark: Any, frame: pl.DataFrame) -> Any:
        """``frame`` as a Spark DataFrame (through one Parquet file; row order is carried in
        the frame's own columns, never in the file's)."""
        path = self.root / f"{uuid.uuid4().hex}.parquet"
        frame.write_parquet(path, compression="lz4", statistics=False)
        return spark.read.parquet(str(path))

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def to_polars(frame: Any, schema: dict[str, pl.DataType] | None = None) -> pl.DataFrame:
    """Collect a Spark frame to the driver as polars (Arrow, no pandas), casting the columns
    named in ``schema`` back to their polars types (Spark's timestamps are microseconds)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # pyspark on pandas >= 3
        table: pa.Table = frame.toArrow()
    out = pl.from_arrow(table)
    assert isinstance(out, pl.DataFrame)
    if schema:
        casts = [
            pl.col(name).cast(dtype)
            for name, dtype in schema.items()
            if name in out.columns and out.schema[name] != dtype
        ]
        if casts:
            out = out.with_columns(casts)
    return out


def encode_ids(frame: pl.DataFrame) -> tuple[pl.DataFrame, dict[str, pl.Series]]:
    """String ``user_id``/``item_id`` as int64 codes in the order of their sorted values (so
    ordering by code is ordering by raw id, as polars sorts strings), and the sorted values
    (code c stands for ``values[c]``). Spark then shuffles 8-byte keys, never strings. The
    ranking is the polars engine's raw-id indexing (both columns at once)."""
    import numpy as np

    from recdata.transforms._codes import in_pair
    from recdata.transforms._index import _ranked

    strings = [n for n in (S.USER_ID, S.ITEM_ID) if frame.schema.get(n) == pl.String]
    names = [n for n in strings if frame[n].null_count() == 0]
    codes: dict[str, pl.Series] = {}
    for name in strings:
        if name not in names:  # null ids stay null (rare: the exact, slower ranking)
            codes[name] = frame[name].unique().drop_nulls().sort()
            coded = frame[name].rank("dense").cast(pl.Int64) - 1
            frame = frame.with_columns(coded.alias(name))
    if len(names) == 2:
        pair = in_pair(lambda s: _ranked(s, "raw_id"), frame[names[0]], frame[names[1]])
        ranked = dict(zip(names, pair, strict=True))
    else:
        ranked = {name: _ranked(frame[name], "raw_id") for name in names}
    columns = []
    for name, (keys, idx_of, idx) in ranked.items():
        codes[name] = keys.gather(np.argsort(idx_of)).alias(name)
        columns.append((pl.Series(name, idx, dtype=pl.Int64) - 1).alias(name))
    return frame.with_columns(columns) if columns else frame, codes


def decode_ids(frame: pl.DataFrame, codes: dict[str, pl.Series]) -> pl.DataFrame:
    """Codes of :func:`encode_ids` back to the raw string ids."""
    for name, values in codes.items():
        if name in frame.columns:
            frame = frame.with_columns(values.gather(frame[name]).alias(name))
    return frame
