"""The Spark engine's reader: the interactions' files read and mapped by Spark tasks.

The driver only plans: a text file becomes runs of whole lines (a gzip file is first
decompressed into staging, as gzip cannot be split), a Parquet file runs of row groups. Each
task reads its chunk with the polars readers and maps it with the recipe's mapping, the same
code the polars engine runs over the whole file, so every row's values agree by construction.
What depends on the whole file is settled after a first pass of tasks:

1. *first pass*: each chunk is read with the types it implies itself, mapped, numbered
   (``_row`` = chunk number * 2^32 + row) and written to staging Parquet; it reports its line
   ends, quotes, records, raw types, empty alternative columns and any read error;
2. *settling* (driver): a delimited column's type is the one every chunk admits, a JSON key's
   its one type; alternative columns are empty only when empty in every chunk;
3. *second pass*, only for chunks whose own types or empty columns were not the file's;
4. *ids*: the distinct string ids (polars over the parts' id columns) are sorted into codes,
   which the tasks join onto their parts (a Spark join for very many ids).

A malformed line under ``on_bad_line: error`` is read again on the driver with its offset, so
the message names the file's line. Where the chunks cannot settle the whole file's meaning
(a JSON key with two types, a chunk border inside a quoted field, a lookup table, an encoding
that is not ASCII-compatible), :func:`read_interactions` raises :class:`DriverRead` and the
driver reads instead.
"""

from __future__ import annotations

import gzip
import logging
import pickle
import shutil
import time
import warnings
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import polars as pl

from recdata import schema as S
from recdata.engines.spark._frames import ROW, Staging, small_side
from recdata.errors import ReadError, RecdataError
from recdata.events._vocab import check_event_values, event_value_counts
from recdata.normalize._mapping import (
    DELIMITED,
    TableSpec,
    add_clean_counts,
    empty_alternatives,
    interactions_frame,
    map_table_report,
    read_raw,
)
from recdata.normalize._readers import _select_fields as select_fields

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


def _chunk_bytes(chunk: Chunk) -> bytes:
    with open(chunk.source, "rb") as handle:
        handle.seek(chunk.start)
        return handle.read(chunk.stop - chunk.start)


def _read_chunk(plan: FilePlan, chunk: Chunk, data: bytes | None = None, **overrides: Any) -> Any:
    """The chunk through the file's reader (a ReadResult); ``overrides`` as :func:`read_raw`."""
    if plan.spec.format == "parquet":
        return read_raw(plan.spec, plan.path, rows=(chunk.start, chunk.stop), **overrides)
    data = _chunk_bytes(chunk) if data is None else data
    if plan.spec.format in DELIMITED:
        overrides = {"columns": plan.names, "has_header": False, "skip_rows": 0, **overrides}
        if not data:  # no rows (the quoted reader would find no columns in no bytes)
            overrides["quote_char"] = None
    return read_raw(plan.spec, plan.path, data=data, **overrides)


def _map_and_write(
    plan: FilePlan,
    chunk: Chunk,
    frame: pl.DataFrame,
    all_null: frozenset[str],
    folder: str,
    target: dict[str, pl.DataType] | None,
) -> dict[str, Any]:
    """Map a chunk's raw frame, number its rows (``_row``) and write its part file."""
    spec = plan.spec
    mapped, cleaned = map_table_report(frame, spec, path=plan.path.name, all_null=all_null)
    events = event_value_counts(mapped) if S.EVENT in mapped.columns else None
    rows, dropped = interactions_frame(mapped, spec)
    if target is not None:
        rows = conform(rows, target)
    written = dict(rows.schema)
    rows = rows.with_row_index(ROW)
    rows = rows.with_columns((pl.col(ROW).cast(pl.Int64) + (chunk.number << ROW_BITS)).alias(ROW))
    rows.write_parquet(_part(folder, chunk), compression="lz4", statistics=False)
    return {
        "written": written,
        "rows": rows.height,
        "cleaned": cleaned,
        "events": events,
        "dropped": dropped,
    }


def _part(folder: str | Path, chunk: Chunk) -> Path:
    return Path(folder) / f"part-{chunk.number:06d}.parquet"


def first_pass(plan: FilePlan, chunk: Chunk, folder: str) -> dict[str, Any]:
    """Pass 1 of a chunk: read with the types the chunk itself implies, report what the whole
    file's settling needs (line ends, quotes, records, raw schema, empty alternative columns,
    a read error), and map and write it, which stands unless the settled file says otherwise."""
    spec = plan.spec
    data = None if spec.format == "parquet" else _chunk_bytes(chunk)
    quote = _quote(spec)
    out: dict[str, Any] = {
        "newlines": data.count(b"\n") if data is not None else 0,
        "quotes": data.count(quote) if data is not None and quote else 0,
    }
    try:
        raw = _read_chunk(
            plan, chunk, data, **({"fields": None} if spec.format in _JSONISH else {})
        )
        frame = raw.frame.collect()
    except RecdataError as exc:
        return {**out, "error": (type(exc), str(exc))}
    out.update(
        records=frame.height + raw.bad_lines,
        schema=dict(frame.schema),
        tolerant=raw.tolerant,
        bad=raw.bad_lines,
    )
    if spec.format in _JSONISH:
        frame = select_fields(frame, spec.raw_columns())
    out["all_null"] = empty_alternatives(spec, frame)
    try:
        return {**out, **_map_and_write(plan, chunk, frame, out["all_null"], folder, None)}
    except RecdataError as exc:  # maybe only with this chunk's types: settled, it is redone
        return {**out, "map_error": (type(exc), str(exc))}


def second_pass(
    plan: FilePlan, chunk: Chunk, folder: str, target: dict[str, pl.DataType]
) -> dict[str, Any]:
    """Pass 2 of a chunk whose own types or empty columns are not the file's: read with the
    file's types, map with its empty columns, write in ``target``'s columns and types."""
    spec = plan.spec
    try:
        if spec.format in DELIMITED:
            raw = _read_chunk(plan, chunk, dtypes=plan.dtypes)
        else:
            raw = _read_chunk(plan, chunk)
        frame = raw.frame.collect()
        if spec.format in _JSONISH:
            frame = frame.cast({k: v for k, v in plan.dtypes.items() if k in frame.columns})
        got = _map_and_write(plan, chunk, frame, plan.all_null, folder, target)
    except RecdataError as exc:
        return {"map_error": (type(exc), str(exc))}
    return {**got, "bad": raw.bad_lines}


def code_part(part: str, out: str, tables: dict[str, str]) -> int:
    """A part file with its string ids replaced by their codes (``tables``: id column ->
    Parquet file of (id, ``_code``)), written to ``out``; the input part is removed."""
    frame = pl.read_parquet(part)
    columns = frame.columns
    for name, path in tables.items():  # a join: 10-20x faster here than replace_strict
        coded = frame.join(pl.read_parquet(path), on=name, how="left", maintain_order="left")
        frame = coded.select(pl.col("_code").alias(c) if c == name else pl.col(c) for c in columns)
    frame.write_parquet(Path(out) / Path(part).name, compression="lz4", statistics=False)
    Path(part).unlink()
    return frame.height


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


def ready(number: int) -> int:
    """A task that only imports this module (and so polars and the readers) in its worker."""
    return number


Work = list[tuple[FilePlan, Chunk]]


def _task(chunks: Work, work: Callable[..., Any], *args: Any) -> Callable[[int], Any]:
    """``i -> work(plan, chunk, *args)`` over the ``(plan, chunk)`` pairs of ``chunks``."""
    return partial(_one, chunks, work, args)


def _one(chunks: Work, work: Callable[..., Any], args: Any, i: int) -> Any:
    plan, chunk = chunks[i]
    return work(plan, chunk, *args)


# --------------------------------------------------------------------------- settling


def _raise_first_error(plans: list[FilePlan], surveys: list[dict[str, Any]]) -> None:
    """The first chunk that could not be read: its error, read again on the driver with the
    lines and records of the file before it, so that it names the file's line as the
    whole-file reader does."""
    at = 0
    for plan in plans:
        lines, records = plan.head_lines, 0
        for chunk in plan.chunks:
            got = surveys[at]
            at += 1
            if "error" in got:
                if _quote(plan.spec) is not None and len(plan.chunks) > 1:
                    # a stray quote can hide a border inside a quoted field from the count
                    raise DriverRead("a chunk of a quoted CSV file failed to parse")
                kind, message = got["error"]
                overrides: dict[str, Any] = {"fields": None} if plan.spec.format in _JSONISH else {}
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
    return _selected(plan.spec, types)


def _selected(spec: TableSpec, schema: dict[str, pl.DataType]) -> dict[str, pl.DataType]:
    """The types of the raw columns a JSON table selects (absent ones are null text)."""
    return {name: schema.get(name, pl.String()) for name in spec.raw_columns()}


def _per_file(plans: list[FilePlan], results: list[Any]) -> Iterator[tuple[FilePlan, list[Any]]]:
    at = 0
    for plan in plans:
        yield plan, results[at : at + len(plan.chunks)]
        at += len(plan.chunks)


def settle(plans: list[FilePlan], surveys: list[dict[str, Any]]) -> None:
    """Raise the first read error, or fix each file's types and empty alternative columns from
    its chunks' first passes (:class:`DriverRead` when they cannot be fixed). Quotes come
    first: a chunk cut inside a quoted field fails for that reason alone."""
    for plan, mine in _per_file(plans, surveys):
        _check_quotes(plan, mine)
    _raise_first_error(plans, surveys)
    for plan, mine in _per_file(plans, surveys):
        if plan.spec.format in DELIMITED:
            plan.dtypes = _delimited_types(plan, [got["schema"] for got in mine])
        elif plan.spec.format in _JSONISH:
            plan.dtypes = _json_types(plan, mine)
        plan.all_null = frozenset.intersection(*(got["all_null"] for got in mine))


def _raw_schema(plan: FilePlan, survey: dict[str, Any]) -> dict[str, pl.DataType]:
    if plan.spec.format in DELIMITED:
        return {name: plan.dtypes[name] for name in plan.names or []}
    if plan.spec.format in _JSONISH:
        return dict(plan.dtypes)
    return dict(survey["schema"])


def target_schema(plans: list[FilePlan], surveys: list[dict[str, Any]]) -> dict[str, pl.DataType]:
    """The columns and types of the table: each file's mapping applied to an empty frame of its
    raw types, concatenated as the polars engine concatenates the files."""
    frames = []
    for plan, mine in _per_file(plans, surveys):
        raw = pl.DataFrame(schema=_raw_schema(plan, mine[0]))
        mapped, _ = map_table_report(raw, plan.spec, path=plan.path.name, all_null=plan.all_null)
        frames.append(mapped)
    whole = frames[0] if len(frames) == 1 else pl.concat(frames, how="diagonal_relaxed")
    return dict(interactions_frame(whole, plans[0].spec)[0].schema)


def _stale(plan: FilePlan, got: dict[str, Any], target: dict[str, pl.DataType]) -> bool:
    """Whether a chunk's first pass must be redone with the file's settled types."""
    if "map_error" in got or got["written"] != target or got["all_null"] != plan.all_null:
        return True
    if plan.spec.format in DELIMITED:
        return any(got["schema"][name] != dtype for name, dtype in plan.dtypes.items())
    if plan.spec.format in _JSONISH:
        return _selected(plan.spec, got["schema"]) != plan.dtypes
    return False


# --------------------------------------------------------------------------- the table


@dataclass
class ReadTable:
    """The interactions as part files in staging, with their row numbers, and the notes."""

    folder: Path
    """``part-<chunk>.parquet`` files: ``_row`` first, then the mapped columns (raw ids)."""
    schema: dict[str, pl.DataType]
    rows: int
    per_file: list[tuple[int, dict[str, Any]]]
    dropped: int
    how: str


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
    started = time.perf_counter()
    plans = plan_files(files, staging, chunk_bytes=chunk_bytes, chunk_rows=chunk_rows)
    work = [(plan, chunk) for plan in plans for chunk in plan.chunks]
    log.info("reading: %d chunk(s) planned in %.1f s", len(work), time.perf_counter() - started)
    folder = staging.folder()
    parts = run_tasks(spark, _task(work, first_pass, str(folder)), len(work))
    log.info("reading: first pass done at %.1f s", time.perf_counter() - started)
    try:
        settle(plans, parts)
    except DriverRead:  # the driver reads the original files: let go of the parts and copies
        staging.remove(folder)
        for plan in plans:
            for source in {Path(c.source) for c in plan.chunks}:
                if source.is_relative_to(staging.root):  # a decompressed copy, never a source
                    staging.remove(source.parent)
        raise
    target = target_schema(plans, parts)
    if ROW in target:
        raise ReadError(f"{where}: the interactions have a column named {ROW!r}")
    stale = [i for i, (plan, _) in enumerate(work) if _stale(plan, parts[i], target)]
    if stale:
        again = [work[i] for i in stale]
        redone = run_tasks(spark, _task(again, second_pass, str(folder), target), len(again))
        for i, got in zip(stale, redone, strict=True):
            parts[i] = got
        log.info("reading: %d chunk(s) redone by %.1f s", len(stale), time.perf_counter() - started)
    failed = next((got["map_error"] for got in parts if "map_error" in got), None)
    if failed is not None:
        raise failed[0](failed[1])
    if S.EVENT in target:
        counts = [got["events"] for got in parts if got["events"] is not None]
        summed = pl.concat(counts).group_by(S.EVENT).agg(pl.col("count").sum())
        check_event_values(summed, events, where=where)
    per_file = [
        (sum(got["bad"] for got in mine), _sum_cleaned(mine)) for _, mine in _per_file(plans, parts)
    ]
    return ReadTable(
        folder=folder,
        schema=target,
        rows=sum(got["rows"] for got in parts),
        per_file=per_file,
        dropped=sum(got["dropped"] for got in parts),
        how=f"read and mapped by {len(work)} Spark task(s)"
        + (f", {len(stale)} of them twice with the whole file's types" if stale else ""),
    )


def _sum_cleaned(parts: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The ``clean:`` counts of a file's chunks, summed (they are counts of values)."""
    total: dict[str, dict[str, Any]] = {}
    for got in parts:
        add_clean_counts(total, got["cleaned"])
    return total


TASK_CODES = 1 << 22
"""Distinct ids of a column up to which each task codes its part itself (it loads the whole
code table); above it a Spark join codes them."""


def code_ids(spark: Any, table: ReadTable, staging: Staging) -> tuple[Any, dict[str, pl.Series]]:
    """The table as a Spark frame with string ids replaced by int64 codes in the order of the
    sorted distinct ids (as :class:`~recdata.engines.spark._frames.IdCodes` codes them), and
    the sorted ids per column (code c is ``values[c]``). The distinct ids are found by polars
    over the part files' id columns, streaming."""
    names = [n for n in (S.USER_ID, S.ITEM_ID) if table.schema.get(n) == pl.String]
    parts = sorted(str(p) for p in table.folder.glob("part-*.parquet"))
    if not names:
        return spark.read.parquet(str(table.folder)), {}
    codes = {
        name: pl.scan_parquet(parts)
        .select(pl.col(name).unique())
        .collect(engine="streaming")[name]
        .sort()
        for name in names
    }
    tables = {}
    for name, values in codes.items():
        path = staging.folder() / f"{name}.parquet"
        pl.DataFrame({name: values, "_code": pl.int_range(len(values), eager=True)}).write_parquet(
            path, statistics=False
        )
        tables[name] = str(path)
    log.info("reading: %s distinct ids sorted", {n: len(v) for n, v in codes.items()})
    out = staging.folder()
    if max(len(v) for v in codes.values()) <= TASK_CODES:
        run_tasks(spark, partial(_code_one, parts, str(out), tables), len(parts))
        return spark.read.parquet(str(out)), codes
    frame = spark.read.parquet(str(table.folder))
    from pyspark.sql import functions as F

    for name, values in codes.items():
        lookup = small_side(spark.read.parquet(tables[name]), len(values))
        frame = frame.join(lookup, on=name, how="inner").drop(name)
        frame = frame.withColumn(name, F.col("_code")).drop("_code")
    frame.select(ROW, *table.schema).write.mode("overwrite").parquet(str(out))
    return spark.read.parquet(str(out)), codes


def _code_one(parts: list[str], out: str, tables: dict[str, str], i: int) -> int:
    return code_part(parts[i], out, tables)


__all__ = ["CHUNK_BYTES", "DriverRead", "ReadTable", "code_ids", "read_interactions"]
