"""Moving frames between polars (the driver) and Spark, and the order columns Spark needs.

Spark has no implicit row order, so a loaded frame carries the source row number in ``_row``
(assigned on the driver, where the source was read in file order); every tie-break uses it.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
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
    if vars(frame).get(_MATERIALISED, False):  # not getattr: Connect frames give a Column
        return frame
    out = frame.localCheckpoint(eager=True)
    vars(out)[_MATERIALISED] = True
    return out


_MATERIALISED = "_recdata_materialised"

BROADCAST_ROWS = 20_000_000
"""Rows up to which a materialised per-user or per-item table joins the interactions as a
broadcast (no shuffle of the interactions), whatever the heap; above it Spark picks the join."""

HEAP_PER_BROADCAST_ROW = 1000
"""Bytes of driver heap per broadcast row. The driver builds a broadcast's hash table outside
Spark's memory accounting (about 100 bytes a row while it is built); a plan may build two at
once, and in local mode the same heap holds the tasks and the cached checkpoints. So a 6 GB
heap broadcasts up to about 6.4M rows (indexing 2x10^8 rows ran out broadcasting 13.9M users
and 7.0M items)."""


def driver_heap(spark: Any) -> int:
    """The driver JVM's largest heap in bytes: asked of the JVM where the session has one here,
    else read from ``spark.driver.memory`` (Spark Connect), else Spark's default of 1 GB."""
    try:
        return int(spark.sparkContext._jvm.java.lang.Runtime.getRuntime().maxMemory())
    except Exception:  # noqa: BLE001 - Spark Connect: no JVM on this side
        pass
    try:
        setting = str(spark.conf.get("spark.driver.memory", "1g"))
    except Exception:  # noqa: BLE001
        setting = "1g"
    units = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}
    number, unit = setting.strip().lower().rstrip("b"), "m"  # Spark reads a bare number as MiB
    if number and number[-1] in units:
        number, unit = number[:-1], number[-1]
    try:
        return int(float(number) * units[unit])
    except ValueError:
        return 1 << 30


def broadcast_rows(spark: Any, most: int = BROADCAST_ROWS) -> int:
    """The most rows a broadcast holds on this session: ``most``, or fewer when the driver's
    heap is small (HEAP_PER_BROADCAST_ROW)."""
    return min(most, max(1, driver_heap(spark) // HEAP_PER_BROADCAST_ROW))


def small_side(table: Any, rows: int | None = None) -> Any:
    """A per-user or per-item table (``rows`` long, counted when not given), marked for
    broadcast when it has at most :func:`broadcast_rows` rows."""
    from pyspark.sql import functions as F

    rows = table.count() if rows is None else rows
    return F.broadcast(table) if rows <= broadcast_rows(table.sparkSession) else table


class Staging:
    """A folder for the Parquet files that hand driver-side frames to Spark (removed on close).

    On a cluster it must be on a filesystem every executor sees (``staging`` option)."""

    def __init__(self, root: str | Path | None = None) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="recdata-spark-", dir=root))

    def put(self, spark: Any, frame: pl.DataFrame | Iterable[pl.DataFrame]) -> Any:
        """``frame`` (or its chunks, written one at a time: only one chunk's Parquet encoding
        is in memory) as a Spark DataFrame, through Parquet files; row order is carried in the
        frame's own columns, never in the files'. At least one chunk is needed."""
        folder = self.root / uuid.uuid4().hex
        folder.mkdir()
        chunks = [frame] if isinstance(frame, pl.DataFrame) else frame
        for index, chunk in enumerate(chunks):
            chunk.write_parquet(
                folder / f"part-{index:05d}.parquet", compression="lz4", statistics=False
            )
        return spark.read.parquet(str(folder))

    def folder(self) -> Path:
        """A new empty folder here (for files Spark writes and the driver reads back)."""
        path = self.root / uuid.uuid4().hex
        path.mkdir()
        return path

    def remove(self, path: str | Path) -> None:
        """Remove a folder this staging made (under its root); any other path is refused."""
        path = Path(path)
        if path == self.root or not path.is_relative_to(self.root):
            raise ValueError(f"{path} is not a staging folder of {self.root}")
        shutil.rmtree(path, ignore_errors=True)

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


class IdCodes:
    """String (or Categorical) ``user_id``/``item_id`` as int64 codes in the order of their
    sorted values, so ordering by code is ordering by raw id (as polars sorts strings), and
    Spark shuffles 8-byte keys, never strings. ``values[name][c]`` is the raw id of code c;
    null ids stay null.

    The codes are worked out once over the whole column (string columns by the polars
    engine's raw-id indexing, both at once, into a 4-byte code per row; Categorical columns by
    a lookup per category) and then applied a chunk of rows at a time by :meth:`encode`."""

    def __init__(self, frame: pl.DataFrame) -> None:
        from recdata.transforms._codes import in_pair
        from recdata.transforms._index import _ranked

        self.values: dict[str, pl.Series] = {}
        self._rows: dict[str, pl.Series] = {}
        self._lookup: dict[str, pl.Series] = {}
        present = [n for n in (S.USER_ID, S.ITEM_ID) if n in frame.columns]
        strings = [n for n in present if frame.schema[n] == pl.String]
        fast = [n for n in strings if frame[n].null_count() == 0]
        if len(fast) == 2:
            pair = in_pair(lambda s: _ranked(s, "raw_id"), frame[fast[0]], frame[fast[1]])
            ranked = dict(zip(fast, pair, strict=True))
        else:
            ranked = {name: _ranked(frame[name], "raw_id") for name in fast}
        for name in present:
            column, dtype = frame[name], frame.schema[name]
            if name in ranked:
                keys, idx_of, idx = ranked.pop(name)
                values = keys.gather(np.argsort(idx_of))
                self._rows[name] = pl.Series(name, np.subtract(idx, 1, out=idx))
            elif dtype == pl.String:  # with nulls (rare): an Enum of the sorted values
                values = column.unique().drop_nulls().sort()
                self._rows[name] = column.cast(pl.Enum(values)).to_physical()
            elif isinstance(dtype, pl.Categorical):
                values = column.unique().drop_nulls().cast(pl.String).sort()
                physical = values.cast(dtype).to_physical()
                size = int(physical.max()) + 1 if len(physical) else 0  # type: ignore[arg-type]
                lookup = np.full(size, -1, np.int64)
                lookup[physical.to_numpy()] = np.arange(len(physical), dtype=np.int64)
                self._lookup[name] = pl.Series(name, lookup)
            else:
                continue
            self.values[name] = values.rename(name)

    def encode(self, chunk: pl.DataFrame, offset: int) -> pl.DataFrame:
        """``chunk`` (the rows from ``offset`` of the frame given at construction) with its id
        columns replaced by their int64 codes."""
        coded = [
            rows.slice(offset, chunk.height).cast(pl.Int64).alias(name)
            for name, rows in self._rows.items()
        ]
        coded += [
            lookup.gather(chunk[name].to_physical()).alias(name)
            for name, lookup in self._lookup.items()
        ]
        return chunk.with_columns(coded) if coded else chunk


def encode_ids(frame: pl.DataFrame) -> tuple[pl.DataFrame, dict[str, pl.Series]]:
    """The whole ``frame`` with its ids coded by :class:`IdCodes`, and the sorted values
    (code c stands for ``values[name][c]``)."""
    codes = IdCodes(frame)
    return codes.encode(frame, 0), codes.values


def numbered_chunks(frame: pl.DataFrame, codes: IdCodes, rows: int) -> Iterator[pl.DataFrame]:
    """``frame`` in chunks of ``rows`` with the source row number ``_row`` (int64, from 0)
    first and the ids coded; one (empty) chunk when the frame is empty."""
    for start in range(0, max(frame.height, 1), rows):
        chunk = frame.slice(start, rows).with_row_index(ROW, offset=start)
        yield codes.encode(chunk.with_columns(pl.col(ROW).cast(pl.Int64)), start)


def decode_ids(frame: pl.DataFrame, codes: dict[str, pl.Series]) -> pl.DataFrame:
    """Codes of :func:`encode_ids` back to the raw string ids."""
    for name, values in codes.items():
        if name in frame.columns:
            frame = frame.with_columns(values.gather(frame[name]).alias(name))
    return frame


CHUNK = "_chunk"
"""The partition column of :func:`ordered_chunks`' files (a key range number)."""


def ordered_chunks(
    frame: Any, *, key: str, rows: int, staging: Staging, schema: dict[str, pl.DataType]
) -> Iterator[pl.DataFrame]:
    """The rows of ``frame`` in the order of its unique int64 ``key`` (>= 0), a range of
    ``rows`` key values at a time, as :func:`to_polars` would give them whole and sorted.

    Spark writes the frame as Parquet under ``staging``, partitioned by ``key div rows`` (no
    shuffle: each task writes its rows of each range); here each range in turn is read,
    cast, sorted and deleted. The driver holds one range (at most ``rows`` rows), never the
    table; at least one chunk is given (an empty one for an empty frame)."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import TimestampNTZType, TimestampType

    target = to_polars(frame.limit(0), schema)  # the dtypes of the whole-table collect
    stamps = {
        f.name: pl.Datetime("us", None if isinstance(f.dataType, TimestampNTZType) else "UTC")
        for f in frame.schema.fields
        if isinstance(f.dataType, (TimestampType, TimestampNTZType))
    }
    # timestamps as int64 microseconds (Spark's Parquet default would be INT96)
    columns = [
        F.unix_micros(F.col(name).cast("timestamp")).alias(name) if name in stamps else F.col(name)
        for name in frame.columns
    ]
    out = staging.folder()
    try:
        frame.select(*columns, F.expr(f"`{key}` div {int(rows)}").alias(CHUNK)).write.partitionBy(
            CHUNK
        ).mode("overwrite").parquet(str(out))
        ranges = sorted(
            (int(path.name.split("=", 1)[1]), path)
            for path in out.iterdir()
            if path.is_dir() and path.name.startswith(f"{CHUNK}=")
        )
        if not ranges:
            yield target
        for _, path in ranges:
            got = pl.read_parquet(sorted(path.glob("*.parquet")), hive_partitioning=False)
            got = got.with_columns(pl.col(name).cast(dtype) for name, dtype in stamps.items())
            casts = {
                name: dtype for name, dtype in target.schema.items() if got.schema[name] != dtype
            }
            got = got.select(target.columns).cast(casts).sort(key)  # type: ignore[arg-type]
            shutil.rmtree(path)
            yield got
    finally:
        shutil.rmtree(out, ignore_errors=True)
