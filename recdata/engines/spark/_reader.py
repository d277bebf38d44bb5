"""The Spark engine's reader: the interactions' files read and mapped by Spark tasks.

The driver only plans: a text file becomes runs of whole lines (a gzip file is first
decompressed into staging, as gzip cannot be split), a Parquet file runs of row groups. Each
task reads its chunk with the polars readers and maps it with the recipe's mapping, the same
code the polars engine runs over the whole file, so every row's values agree by construction.
What depends on the whole file is settled between two passes of tasks:

1. *survey*: each chunk is read as it is; it reports its lines and records, its quote
   characters, the raw types it inferred, which alternative columns hold a value, and
   whether it failed;
2. *map*: each chunk is read again with the file's types (a delimited column's type is the
   one every chunk admits; a JSON key's is its one type), mapped, numbered (``_row`` =
   chunk number * 2^32 + row) and written to staging Parquet.

A malformed line under ``on_bad_line: error`` is read again on the driver with its offset, so
the message names the file's line. Where the chunks cannot settle the whole file's meaning
(a JSON key with two types, a chunk border inside a quoted field, a lookup table, an encoding
that is not ASCII-compatible), :func:`read_interactions` says why and the driver reads instead.
"""

from __future__ import annotations

import gzip
import logging
import pickle
import shutil
import warnings
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import polars as pl

from recdata import schema as S
from recdata.engines.spark._frames import ROW, Staging, small_side, to_polars
from recdata.errors import ReadError, RecdataError
from recdata.events._vocab import check_event_values, event_value_counts
from recdata.normalize._mapping import (
    DELIMITED,
    TableSpec,
    alternative_columns,
    interactions_frame,
    map_table_report,
    read_raw,
)

log = logging.getLogger("recdata.engines.spark")

CHUNK_BYTES = 64 << 20
"""Bytes of a text file one task reads (whole lines: a chunk ends at the first line end after
this many bytes)."""
CHUNK_ROWS = 1 << 22
"""Parquet rows one task reads (whole row groups, at least one)."""
ROW_BITS = 32
"""``_row`` = chunk number << ROW_BITS | row within the chunk: order-preserving, not dense."""
_GZIP = b"\x1f\x8b"
_ONE_BYTE_ENCODINGS = {"utf8", "utf-8", "utf-8-sig", "ascii", "latin-1", "latin1", "iso-8859-1"}
"""Encodings in which a line ends at byte ``\\n`` (chunks are cut there)."""
_JSONISH = ("jsonl", "json_lines", "python_literal")


class DriverRead(Exception):  # noqa: N818 - a decision, not an error
    """The chunks cannot settle the file's meaning; the driver reads it (the reason)."""


@dataclass(frozen=True)
class Chunk:
    """One task's share: bytes (text) or rows (Parquet) ``[start, stop)`` of one file."""

    number: int
    """Position among all chunks of the table (file order, then offset): the ``_row`` prefix."""
    file: int
    """Index of the file among the table's files."""
    source: str
    """The file the task reads (a decompressed copy in staging for a gzip file)."""
    start: int
    stop: int


@dataclass
class FilePlan:
    """How one file of the table is read: its spec, its chunks and what precedes them."""

    spec: TableSpec
    path: Path
    """The original file (its name is in messages and bad-line numbers are its lines)."""
    chunks: list[Chunk]
    head_lines: int = 0
    """Lines before the first chunk (``skip_rows`` and the header)."""
    head_quotes: int = 0
    names: list[str] | None = None
    """Delimited: the column names (from the header, ``columns`` or the first line)."""
    dtypes: dict[str, Any] = field(default_factory=dict)
    """The raw types every chunk is read with in the map pass (delimited) or cast to (JSON)."""
    all_null: frozenset[str] = frozenset()


# --------------------------------------------------------------------------- planning


def _one_byte_lines(spec: TableSpec) -> bool:
    encoding = spec.options.encoding.lower().replace("_", "-")
    return encoding in _ONE_BYTE_ENCODINGS


def _quote(spec: TableSpec) -> bytes | None:
    """The quote byte of a quoted delimited format, else None."""
    if spec.format not in DELIMITED:
        return None
    quote = spec.options.quote_char
    sep = spec.options.sep or {"csv": ",", "tsv": "\t"}.get(spec.format, "")
    if quote == "auto":
        quote = '"' if sep == "," else None
    return quote.encode() if quote else None


def _plain_copy(path: Path, staging: Staging) -> Path:
    """``path`` itself, or for a gzip file its decompressed copy in staging (streamed)."""
    with open(path, "rb") as handle:
        if handle.read(2) != _GZIP:
            return path
    copy = staging.folder() / path.name.removesuffix(".gz")
    try:
        with gzip.open(path, "rb") as src, open(copy, "wb") as dst:
            shutil.copyfileobj(src, dst, 16 << 20)
    except (OSError, EOFError, zlib.error) as exc:
        raise ReadError(
            f"{path}: corrupt gzip data ({exc}); delete the file and fetch it again", path=path
        ) from exc
    return copy


def _plan_text(
    spec: TableSpec, path: Path, file: int, first: int, staging: Staging, chunk_bytes: int
) -> FilePlan:
    """Chunks of whole lines after the head (``skip_rows`` lines and the header)."""
    source = _plain_copy(path, staging)
    size = source.stat().st_size
    delimited = spec.format in DELIMITED
    head_lines = spec.options.skip_rows + int(spec.options.has_header) if delimited else 0
    with open(source, "rb") as handle:
        head = b"".join(handle.readline() for _ in range(head_lines))
        first_line = handle.readline()
        borders = [len(head)]
        while borders[-1] + chunk_bytes < size:
            handle.seek(borders[-1] + chunk_bytes - 1)
            handle.readline()
            if handle.tell() >= size:
                break
            borders.append(handle.tell())
    borders.append(max(size, borders[-1]))
    chunks = [
        Chunk(first + i, file, str(source), start, stop)
        for i, (start, stop) in enumerate(zip(borders, borders[1:], strict=False))
    ]
    plan = FilePlan(spec, path, chunks, head_lines=head_lines)
    quote = _quote(spec)
    if quote is not None:
        plan.head_quotes = head.count(quote)
    if delimited and spec.options.columns is not None and not spec.options.has_header:
        plan.names = list(spec.options.columns)
    elif delimited:  # the names as the whole-file reader finds them (the header or line 1)
        quoted_header = quote is not None and spec.options.has_header
        sample = head if quoted_header else head + first_line  # a quoted record may span lines
        got = read_raw(spec, path, data=sample, dtypes={}, on_bad_line="skip")
        plan.names = list(got.frame.collect_schema().names())
    return plan


def _plan_parquet(spec: TableSpec, path: Path, file: int, first: int, rows: int) -> FilePlan:
    """Chunks of whole row groups, about ``rows`` rows each (one empty chunk for no rows)."""
    import pyarrow.parquet as pq

    try:
        meta = pq.read_metadata(path)
    except (OSError, ValueError) as exc:
        raise ReadError(f"{path}: not a readable Parquet file ({exc})", path=path) from exc
    borders, taken = [0], 0
    for group in range(meta.num_row_groups):
        taken += meta.row_group(group).num_rows
        if taken - borders[-1] >= rows:
            borders.append(taken)
    if taken > borders[-1] or len(borders) == 1:
        borders.append(taken)
    chunks = [
        Chunk(first + i, file, str(path), start, stop)
        for i, (start, stop) in enumerate(zip(borders, borders[1:], strict=False))
    ]
    return FilePlan(spec, path, chunks)


def plan_files(
    files: list[tuple[TableSpec, Path]], staging: Staging, *, chunk_bytes: int, chunk_rows: int
) -> list[FilePlan]:
    """Every file's chunks, numbered in file order; raises :class:`DriverRead` for a file the
    chunks cannot read as the whole-file reader does."""
    plans: list[FilePlan] = []
    first = 0
    for index, (spec, path) in enumerate(files):
        if spec.lookup is not None:
            raise DriverRead("the table has a lookup")
        if spec.format == "parquet":
            plan = _plan_parquet(spec, path, index, first, chunk_rows)
        elif not _one_byte_lines(spec):
            raise DriverRead(f"encoding {spec.options.encoding!r} is not ASCII-compatible")
        else:
            plan = _plan_text(spec, path, index, first, staging, chunk_bytes)
        plans.append(plan)
        first += len(plan.chunks)
    return plans


# --------------------------------------------------------------------------- tasks


def _read_chunk(plan: FilePlan, chunk: Chunk, **overrides: Any) -> Any:
    """The chunk through the file's reader (a ReadResult); ``overrides`` as :func:`read_raw`."""
    if plan.spec.format == "parquet":
        return read_raw(plan.spec, plan.path, rows=(chunk.start, chunk.stop), **overrides)
    with open(chunk.source, "rb") as handle:
        handle.seek(chunk.start)
        data = handle.read(chunk.stop - chunk.start)
    if plan.spec.format in DELIMITED:
        overrides = {"columns": plan.names, "has_header": False, "skip_rows": 0, **overrides}
    return read_raw(plan.spec, plan.path, data=data, **overrides)


def _counts(plan: FilePlan, chunk: Chunk) -> tuple[int, int]:
    """Line ends and quote characters of a text chunk (zeros for Parquet)."""
    if plan.spec.format == "parquet":
        return 0, 0
    with open(chunk.source, "rb") as handle:
        handle.seek(chunk.start)
        data = handle.read(chunk.stop - chunk.start)
    quote = _quote(plan.spec)
    return data.count(b"\n"), data.count(quote) if quote else 0


def survey_chunk(plan: FilePlan, chunk: Chunk) -> dict[str, Any]:
    """Pass 1 of a chunk: its counts, raw schema, alternative columns with a value, and
    whether it failed (the error's class and message)."""
    newlines, quotes = _counts(plan, chunk)
    out: dict[str, Any] = {"newlines": newlines, "quotes": quotes}
    overrides = {"fields": None} if plan.spec.format in _JSONISH else {}
    try:
        result = _read_chunk(plan, chunk, **overrides)
        frame = result.frame.collect()
    except RecdataError as exc:
        return {**out, "error": (type(exc), str(exc))}
    wanted = alternative_columns(plan.spec)
    return {
        **out,
        "records": frame.height + result.bad_lines,
        "schema": dict(frame.schema),
        "present": {
            c for c in wanted if c in frame.columns and frame[c].null_count() < frame.height
        },
        "tolerant": result.tolerant,
    }


def map_chunk(
    plan: FilePlan, chunk: Chunk, folder: str, target: dict[str, pl.DataType]
) -> dict[str, Any]:
    """Pass 2 of a chunk: read with the file's types, map, number, write
    ``part-<number>.parquet`` in ``target``'s columns and types; returns its counts."""
    spec = plan.spec
    try:
        if spec.format in DELIMITED:
            raw = _read_chunk(plan, chunk, dtypes=plan.dtypes)
        else:
            raw = _read_chunk(plan, chunk)
        frame = raw.frame.collect()
        if spec.format in _JSONISH:
            frame = frame.cast({k: v for k, v in plan.dtypes.items() if k in frame.columns})
        mapped, cleaned = map_table_report(frame, spec, path=plan.path.name, all_null=plan.all_null)
        events = event_value_counts(mapped) if S.EVENT in mapped.columns else None
        rows, dropped = interactions_frame(mapped, spec)
    except RecdataError as exc:
        return {"error": (type(exc), str(exc))}
    rows = conform(rows, target).with_row_index(ROW)
    rows = rows.with_columns((pl.col(ROW).cast(pl.Int64) + (chunk.number << ROW_BITS)).alias(ROW))
    rows.write_parquet(
        Path(folder) / f"part-{chunk.number:06d}.parquet", compression="lz4", statistics=False
    )
    return {
        "rows": rows.height,
        "bad": raw.bad_lines,
        "cleaned": cleaned,
        "events": events,
        "dropped": dropped,
    }


def conform(frame: pl.DataFrame, target: dict[str, pl.DataType]) -> pl.DataFrame:
    """``frame`` in ``target``'s columns and types (absent ones null), as polars' diagonal,
    relaxed concatenation of the files' frames gives them."""
    return frame.select(
        pl.col(name).cast(dtype) if name in frame.columns else pl.lit(None, dtype).alias(name)
        for name, dtype in target.items()
    )


def run_tasks(spark: Any, task: Callable[[int], Any], n: int) -> list[Any]:
    """``[task(0), ..., task(n - 1)]`` run as ``n`` Spark tasks (``mapInArrow`` over a range,
    so it works on a classic session and on Spark Connect alike)."""
    if n == 0:
        return []

    def run(batches: Iterator[Any]) -> Iterator[Any]:
        import pyarrow as pa

        for batch in batches:
            for number in batch.column(0).to_pylist():
                got = pickle.dumps((number, task(number)))
                yield pa.RecordBatch.from_pydict({"out": [got]})

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # pyspark on pandas >= 3
        rows = spark.range(0, n, 1, n).mapInArrow(run, "out binary").collect()
    results = dict(pickle.loads(row["out"]) for row in rows)
    return [results[i] for i in range(n)]


def _task(plans: list[FilePlan], work: Callable[..., Any], *args: Any) -> Callable[[int], Any]:
    """``number -> work(plan, chunk, *args)`` over the chunks of ``plans`` in order."""
    chunks = [(plan, chunk) for plan in plans for chunk in plan.chunks]
    return partial(_one, chunks, work, args)


def _one(chunks: list[tuple[FilePlan, Chunk]], work: Callable[..., Any], args: Any, i: int) -> Any:
    plan, chunk = chunks[i]
    return work(plan, chunk, *args)


# --------------------------------------------------------------------------- settling


def _raise_first_error(plans: list[FilePlan], surveys: list[dict[str, Any]]) -> None:
    """The first failing chunk's error, read again on the driver with the lines and records
    of the file before it, so that it names the file's line as the whole-file reader does."""
    at = 0
    for plan in plans:
        lines, records = plan.head_lines, 0
        for chunk in plan.chunks:
            got = surveys[at]
            at += 1
            if "error" in got:
                kind, message = got["error"]
                overrides = {"fields": None} if plan.spec.format in _JSONISH else {}
                if plan.spec.format != "parquet":
                    overrides["line_offset"] = lines
                if plan.spec.format in DELIMITED:
                    overrides["record_offset"] = records
                _read_chunk(plan, chunk, **overrides).frame.collect()  # raises, as a rule
                raise kind(message)
            lines += got["newlines"]
            records += got["records"]


def _check_quotes(plan: FilePlan, surveys: list[dict[str, Any]]) -> None:
    """Every chunk border outside quotes (an even count of quote characters before it)."""
    if _quote(plan.spec) is None:
        return
    before = plan.head_quotes
    for got in surveys[:-1]:
        before += got["quotes"]
        if before % 2:
            raise DriverRead("a chunk border falls inside a quoted field")


_INFERRED = (pl.Int64(), pl.Float64(), pl.String())


def _delimited_types(plan: FilePlan, schemas: list[dict[str, pl.DataType]]) -> dict[str, Any]:
    """Each column's type over the whole file: Int64 when every chunk read integers, Float64
    when every chunk read numbers, else String (the whole-file inference's own rule)."""
    out: dict[str, Any] = {}
    for name in plan.names or []:
        seen = {schema[name] for schema in schemas}
        if len(seen) == 1:
            out[name] = seen.pop()
        elif seen <= set(_INFERRED):
            out[name] = pl.String() if pl.String() in seen else pl.Float64()
        else:  # declared types are one type in every chunk
            raise DriverRead(f"column {name!r} has the types {sorted(map(str, seen))}")
    return out


def _json_types(plan: FilePlan, surveys: list[dict[str, Any]]) -> dict[str, Any]:
    """Each selected key's type over the whole file: its one type among the chunks (a key
    null or absent in a chunk takes it). Two types, or a chunk that read conflicting types
    as text, leave it to the driver (polars unifies those over the whole file)."""
    if any(got["tolerant"] for got in surveys):
        raise DriverRead("a JSON key has values of types polars cannot unify")
    types: dict[str, pl.DataType] = {}
    for got in surveys:
        for key, dtype in got["schema"].items():
            if dtype == pl.Null:
                types.setdefault(key, dtype)
            elif types.get(key, pl.Null()) == pl.Null:
                types[key] = dtype
            elif types[key] != dtype:
                raise DriverRead(
                    f"JSON key {key!r} is {types[key]} in one chunk, {dtype} in another"
                )
    return {name: types.get(name, pl.String()) for name in plan.spec.raw_columns()}


def settle(plans: list[FilePlan], surveys: list[dict[str, Any]]) -> None:
    """Raise the first error, or fix each file's types and all-null columns from its chunks'
    surveys (:class:`DriverRead` when they cannot be fixed). Quotes come first: a chunk cut
    inside a quoted field fails for that reason alone."""
    mine_of = []
    at = 0
    for plan in plans:
        mine_of.append(surveys[at : at + len(plan.chunks)])
        at += len(plan.chunks)
        _check_quotes(plan, mine_of[-1])
    _raise_first_error(plans, surveys)
    for plan, mine in zip(plans, mine_of, strict=True):
        if plan.spec.format in DELIMITED:
            plan.dtypes = _delimited_types(plan, [got["schema"] for got in mine])
        elif plan.spec.format in _JSONISH:
            plan.dtypes = _json_types(plan, mine)
        present = set().union(*(got["present"] for got in mine))
        plan.all_null = frozenset(alternative_columns(plan.spec) - present)


def _raw_schema(plan: FilePlan, survey: dict[str, Any]) -> dict[str, pl.DataType]:
    if plan.spec.format in DELIMITED:
        return {name: plan.dtypes[name] for name in plan.names or []}
    if plan.spec.format in _JSONISH:
        return dict(plan.dtypes)
    return dict(survey["schema"])


def target_schema(plans: list[FilePlan], surveys: list[dict[str, Any]]) -> dict[str, pl.DataType]:
    """The columns and types of the table: each file's mapping applied to an empty frame of its
    raw types, concatenated as the polars engine concatenates the files."""
    frames, at = [], 0
    for plan in plans:
        raw = pl.DataFrame(schema=_raw_schema(plan, surveys[at]))
        at += len(plan.chunks)
        mapped, _ = map_table_report(raw, plan.spec, path=plan.path.name, all_null=plan.all_null)
        frames.append(mapped)
    whole = frames[0] if len(frames) == 1 else pl.concat(frames, how="diagonal_relaxed")
    return dict(interactions_frame(whole, plans[0].spec)[0].schema)


# --------------------------------------------------------------------------- the table


@dataclass
class ReadTable:
    """The interactions in staging Parquet with their row numbers, and the driver's notes."""

    frame: Any
    """Spark frame: ``_row`` first, then the mapped columns (raw ids)."""
    schema: dict[str, pl.DataType]
    rows: int
    per_file: list[tuple[int, dict[str, Any]]]
    dropped: int


def read_interactions(
    spark: Any,
    files: list[tuple[TableSpec, Path]],
    staging: Staging,
    *,
    events: list[str] | None,
    where: str,
    chunk_bytes: int = CHUNK_BYTES,
    chunk_rows: int = CHUNK_ROWS,
) -> ReadTable:
    """Read and map the files on Spark (module docstring); :class:`DriverRead` when the
    driver must read them instead."""
    plans = plan_files(files, staging, chunk_bytes=chunk_bytes, chunk_rows=chunk_rows)
    n = sum(len(plan.chunks) for plan in plans)
    surveys = run_tasks(spark, _task(plans, survey_chunk), n)
    settle(plans, surveys)
    target = target_schema(plans, surveys)
    if ROW in target:
        raise ReadError(f"{where}: the interactions have a column named {ROW!r}")
    folder = staging.folder()
    parts = run_tasks(spark, _task(plans, map_chunk, str(folder), target), n)
    failed = next((got["error"] for got in parts if "error" in got), None)
    if failed is not None:
        raise failed[0](failed[1])
    if S.EVENT in target:
        counts = [got["events"] for got in parts if got["events"] is not None]
        summed = pl.concat(counts).group_by(S.EVENT).agg(pl.col("count").sum())
        check_event_values(summed, events, where=where)
    per_file, at = [], 0
    for plan in plans:
        mine = parts[at : at + len(plan.chunks)]
        at += len(plan.chunks)
        per_file.append((sum(got["bad"] for got in mine), _sum_cleaned(mine)))
    frame = spark.read.parquet(str(folder))
    return ReadTable(
        frame=frame,
        schema=target,
        rows=sum(got["rows"] for got in parts),
        per_file=per_file,
        dropped=sum(got["dropped"] for got in parts),
    )


def _sum_cleaned(parts: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The ``clean:`` counts of a file's chunks, summed (they are counts of values)."""
    total: dict[str, dict[str, Any]] = {}
    for got in parts:
        for name, counts in got["cleaned"].items():
            if name not in total:
                total[name] = dict(counts)
                continue
            for key in ("values", "changed", "nulled"):
                total[name][key] += counts[key]
    return total


def code_ids(spark: Any, table: ReadTable, staging: Staging) -> tuple[Any, dict[str, pl.Series]]:
    """String ids replaced by int64 codes in the order of the sorted distinct ids (as
    :class:`~recdata.engines.spark._frames.IdCodes` codes them), written to staging; the
    sorted ids per column (code c is ``values[c]``)."""
    from pyspark.sql import functions as F

    frame, codes = table.frame, {}
    for name in (S.USER_ID, S.ITEM_ID):
        if table.schema.get(name) != pl.String:
            continue
        values = to_polars(frame.select(name).distinct())[name].sort()
        coded = pl.DataFrame({name: values, "_code": pl.int_range(len(values), eager=True)})
        lookup = small_side(staging.put(spark, coded), len(values))
        frame = frame.join(lookup, on=name, how="inner").drop(name)
        frame = frame.withColumn(name, F.col("_code")).drop("_code")
        codes[name] = values
    if not codes:
        return table.frame, codes
    frame = frame.select(ROW, *table.schema)
    out = staging.folder()
    frame.write.mode("overwrite").parquet(str(out))
    return spark.read.parquet(str(out)), codes


__all__ = ["CHUNK_BYTES", "DriverRead", "ReadTable", "code_ids", "read_interactions"]
