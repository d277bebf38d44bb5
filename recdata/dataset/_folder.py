"""Write a dataset folder atomically and deterministically; open one lazily with ``load``."""

from __future__ import annotations

import contextlib
import hashlib
import io
import itertools
import logging
import os
import re
import shutil
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from recdata import schema as S
from recdata._atomic import Protect, atomic_folder, check_target
from recdata._types import SPLIT_PARTS
from recdata.dataset._card import CARD_NAME, render_card
from recdata.dataset._check import check_files
from recdata.dataset._croissant import CROISSANT_NAME, render_croissant
from recdata.dataset.manifest import MANIFEST_NAME, CandidatesRecord, FileRecord, Manifest
from recdata.errors import SchemaError, UsageError

log = logging.getLogger("recdata.dataset")

BUILD_LOG = "build.log"
_ROW_GROUP = 1 << 20
PART_ROWS = 1 << 25
"""Rows per part (33,554,432) when no ``max_rows_per_file`` is given: a larger interactions or
split table is written as a folder of parts, every part but the last holding exactly this many."""
_PART = re.compile(r"^part-\d{5}\.parquet$")


def file_sha256(path: Path, chunk: int = 1 << 22) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def feature_sha256(key: str, frame: pl.DataFrame) -> str:
    """The sha256 that ``features/<key>.parquet`` will have once written (same bytes, in memory)."""
    buffer = io.BytesIO()
    write_parquet(_feature_table(key, frame), buffer)
    return hashlib.sha256(buffer.getvalue()).hexdigest()


def _conform(frame: pl.DataFrame, required: pa.Schema, what: str) -> pa.Table:
    """Cast the required columns to their canonical types and put them first; extras follow."""
    missing = [name for name in required.names if name not in frame.columns]
    if missing:
        raise SchemaError(f"{what}: missing required column(s) {missing}; has {frame.columns}")
    casts = S.polars_schema(required)
    ordered = list(required.names) + [c for c in frame.columns if c not in casts]
    try:
        frame = frame.select(ordered).with_columns(
            [pl.col(name).cast(dtype, strict=True) for name, dtype in casts.items()]
        )
    except pl.exceptions.PolarsError as exc:
        raise SchemaError(f"{what}: cannot cast required columns to {casts}: {exc}") from exc
    table = frame.to_arrow()
    # large_string/large_list from polars are written as-is; required fields get canonical types.
    fields = [
        required.field(name) if name in required.names else table.schema.field(name)
        for name in table.column_names
    ]
    return table.cast(pa.schema(fields))


def part_file(rel: str, index: int) -> str:
    """Relative path of part ``index`` of table ``rel``: ``interactions/part-00000.parquet``."""
    return f"{rel.removesuffix('.parquet')}/part-{index:05d}.parquet"


def table_files(files: Iterable[str], rel: str) -> list[str]:
    """The files holding table ``rel`` (``interactions.parquet``) among ``files``, in row order.

    ``[rel]`` when the table is one file (or absent), else its parts ``<stem>/part-NNNNN.parquet``
    sorted by number. ``files`` are paths relative to the folder (a manifest's ``files``).
    """
    files = list(files)
    if rel in files:
        return [rel]
    prefix = rel.removesuffix(".parquet") + "/"
    parts = sorted(f for f in files if f.startswith(prefix) and _PART.match(f.removeprefix(prefix)))
    return parts or [rel]


class _HashingWriter(io.RawIOBase):
    """A write-only file that hashes and counts the bytes on their way to ``handle``."""

    def __init__(self, handle: io.BufferedWriter) -> None:
        self.handle = handle
        self.digest = hashlib.sha256()
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        view = memoryview(data)
        self.handle.write(view)
        self.digest.update(view)
        self.size += view.nbytes
        return view.nbytes

    def tell(self) -> int:
        return self.size


def write_parquet(table: pa.Table | Iterable[pa.Table], path: Path | io.BytesIO) -> FileRecord:
    """One zstd Parquet file (or in-memory buffer) with fixed settings, so equal tables give
    equal bytes.

    ``table`` may also be row groups in order (every one but the last of ``2**20`` rows, one
    schema): the file is the same as for their concatenation, and only one is in memory.
    Returns its record (sha256 and size computed while writing, rows).
    """
    if isinstance(path, Path):
        path.parent.mkdir(parents=True, exist_ok=True)
    chunks = iter([table] if isinstance(table, pa.Table) else table)
    first = next(chunks)
    rows = 0
    opened = open(path, "wb") if isinstance(path, Path) else contextlib.nullcontext(path)
    with opened as handle:
        sink = _HashingWriter(handle)
        with pq.ParquetWriter(
            sink,
            first.schema,
            compression="zstd",
            compression_level=3,
            use_dictionary=True,
            write_statistics=True,
            store_schema=True,
        ) as writer:
            for chunk in itertools.chain([first], chunks):
                writer.write_table(chunk, row_group_size=_ROW_GROUP)
                rows += chunk.num_rows
    return FileRecord(sha256=sink.digest.hexdigest(), bytes=sink.size, rows=rows)


@dataclass
class DatasetTables:
    """In-memory tables of a dataset folder, keyed as they are written."""

    interactions: pl.DataFrame
    items: pl.DataFrame
    users: pl.DataFrame
    splits: Mapping[str, Mapping[str, pl.DataFrame]] = field(default_factory=dict)
    """``{protocol: {"train": df, "valid": df, "test": df}}``."""
    features: Mapping[str, pl.DataFrame] = field(default_factory=dict)
    """``{"text-all-minilm-l6-v2": df}``; written to ``features/<key>.parquet``."""
    graphs: Mapping[str, pl.DataFrame] = field(default_factory=dict)
    """``{"user_item": df}``; written to ``graphs/<key>.parquet``."""
    candidates: Mapping[str, Mapping[str, pl.DataFrame]] = field(default_factory=dict)
    """``{protocol: {"valid": df, "test": df}}``; written to ``splits/<p>/candidates-<part>.parquet``."""


_Producer = Callable[[], Iterable[pa.Table]]


def _interaction_tables(
    tables: DatasetTables, *, interactions: bool = True
) -> dict[str, tuple[pl.DataFrame, str]]:
    """``{relative path: (frame, label)}`` of the interaction-shaped tables (the interactions
    unless ``interactions=False``, and every split part), in path order."""
    out = {"interactions.parquet": (tables.interactions, "interactions")} if interactions else {}
    for protocol, parts in tables.splits.items():
        _check_parts(protocol, parts)
        for part in SPLIT_PARTS:
            if part in parts:
                out[f"splits/{protocol}/{part}.parquet"] = (parts[part], f"split {protocol}/{part}")
    return dict(sorted(out.items()))


def _check_parts(protocol: str, parts: Iterable[str]) -> None:
    unknown = set(parts) - set(SPLIT_PARTS)
    if unknown:
        raise UsageError(
            f"split {protocol!r}: unknown part(s) {sorted(unknown)}; use train/valid/test"
        )


def _table_jobs(tables: DatasetTables) -> Iterator[tuple[str, int, _Producer]]:
    """``(relative path, rows, producer)`` per file of the tables that are not
    interaction-shaped (items, users, features, graphs, candidates), conformed one file at a
    time (so only one file's Arrow copy is ever in memory)."""
    singles: dict[str, tuple[int, _Producer]] = {
        "items.parquet": (tables.items.height, lambda: [_conform(tables.items, S.ITEMS, "items")]),
        "users.parquet": (tables.users.height, lambda: [_conform(tables.users, S.USERS, "users")]),
    }
    for key, frame in tables.features.items():
        singles[f"features/{key}.parquet"] = (frame.height, _feature_producer(key, frame))
    for key, frame in tables.graphs.items():
        singles[f"graphs/{key}.parquet"] = (frame.height, _graph_producer(key, frame))
    for protocol, parts in tables.candidates.items():
        for part, frame in parts.items():
            rel = f"splits/{protocol}/candidates-{part}"
            singles[f"{rel}.parquet"] = (frame.height, _candidates_producer(rel, frame))
    for rel in sorted(singles):
        rows, produce = singles[rel]
        yield rel, rows, produce


def _part_row_groups(
    chunks: Iterable[pl.DataFrame], part_rows: int
) -> Iterator[tuple[int, pl.DataFrame]]:
    """``(part index, rows)``: the rows of ``chunks`` (ordered, of any sizes) cut into parts of
    ``part_rows`` and each part into row groups of :data:`_ROW_GROUP` from the part's start.

    A row group inside one chunk is a slice of it (as slicing the whole table gives); one
    spanning chunks is their concatenation in one piece of memory. No rows at all: one empty
    row group (of the first chunk's schema)."""
    pending: list[pl.DataFrame] = []
    held = in_part = part = 0
    first: pl.DataFrame | None = None
    for chunk in chunks:
        first = chunk if first is None else first
        start = 0
        while start < chunk.height:
            size = min(_ROW_GROUP - held, part_rows - in_part - held, chunk.height - start)
            pending.append(chunk.slice(start, size))
            start, held = start + size, held + size
            if held == _ROW_GROUP or in_part + held == part_rows:
                yield part, pending[0] if len(pending) == 1 else pl.concat(pending, rechunk=True)
                pending, in_part, held = [], in_part + held, 0
                if in_part == part_rows:
                    part, in_part = part + 1, 0
    if held:
        yield part, pending[0] if len(pending) == 1 else pl.concat(pending, rechunk=True)
    elif part == 0 and in_part == 0:
        if first is None:
            raise ValueError("no chunk to take the table's columns from")
        yield 0, first.clear()


def write_rows(
    folder: Path,
    rel: str,
    chunks: pl.DataFrame | Iterable[pl.DataFrame],
    *,
    what: str,
    rows: int | None = None,
    max_rows_per_file: int | None = None,
) -> dict[str, FileRecord]:
    """Write an interaction-shaped table (interactions, a split part) from its rows in order,
    one chunk in memory at a time: ``rel`` when it has at most ``max_rows_per_file`` rows
    (default :data:`PART_ROWS`), else the parts ``<stem>/part-NNNNN.parquet`` of exactly that
    many (the last one shorter). The bytes do not depend on how the rows are chunked.

    ``rows``, the table's row count, decides between the two before anything is written; it
    is needed with chunks (a frame gives its own) and checked against the rows written."""
    if isinstance(chunks, pl.DataFrame):
        rows, chunks = chunks.height, [chunks]
    elif rows is None:
        raise ValueError(f"{what}: write_rows needs the row count to write chunks")
    part_rows = max_rows_per_file or PART_ROWS
    many = rows > part_rows
    written: dict[str, FileRecord] = {}
    got = 0

    def counted(pieces: Iterable[pl.DataFrame]) -> Iterator[pl.DataFrame]:
        nonlocal got
        for piece in pieces:
            got += piece.height
            yield piece

    for index, group in itertools.groupby(
        _part_row_groups(counted(chunks), part_rows), key=lambda item: item[0]
    ):
        label, target = (f"{what} part {index}", part_file(rel, index)) if many else (what, rel)
        if target in written:  # a second file of a table announced as one
            continue
        written[target] = write_parquet(
            (_conform(piece, S.INTERACTIONS, label) for _, piece in group), folder / target
        )
    if got != rows:
        raise SchemaError(f"{what}: {rows:,} rows were announced, {got:,} arrived")
    return written


def _row_groups(
    frame: pl.DataFrame, convert: Callable[[pl.DataFrame], pa.Table]
) -> Iterator[pa.Table]:
    """``convert`` applied to each row group's slice of ``frame`` (one slice if it is empty)."""
    for start in range(0, max(frame.height, 1), _ROW_GROUP):
        yield convert(frame.slice(start, _ROW_GROUP))


def _feature_producer(key: str, frame: pl.DataFrame) -> _Producer:
    return lambda: [_feature_table(key, frame)]


def _candidates_producer(rel: str, frame: pl.DataFrame) -> _Producer:
    return lambda: [_candidates_table(rel, frame)]


def _graph_producer(key: str, frame: pl.DataFrame) -> _Producer:
    return lambda: _row_groups(
        frame, lambda piece: _conform(piece, S.GRAPH, f"graph {key}").select(S.GRAPH.names)
    )


def _candidates_table(rel: str, frame: pl.DataFrame) -> pa.Table:
    """Exactly the four candidate columns with their canonical types."""
    return _conform(frame, S.CANDIDATES, rel).select(S.CANDIDATES.names)


def _is_candidates_key(key: str) -> bool:
    parts = key.split("/")
    return (
        len(parts) == 3
        and parts[0] == "splits"
        and parts[2] in ("candidates-valid", "candidates-test")
    )


def _feature_table(key: str, frame: pl.DataFrame) -> pa.Table:
    """item_text keeps (item_idx, text); embeddings become (item_idx, fixed_size_list<float32>[d])."""
    if key == "item_text":
        # one chunk: the text column's pages (dictionary fallback) must not follow how the
        # frame happens to be chunked, or equal texts could give different bytes
        frame = frame.rechunk()
        return _conform(frame, S.ITEM_TEXT, "features/item_text").select(S.ITEM_TEXT.names)
    if key.startswith("semantic_ids-"):
        return _conform(frame, S.SEMANTIC_IDS, f"features/{key}").select(S.SEMANTIC_IDS.names)
    if "embedding" not in frame.columns:
        raise SchemaError(
            f"features/{key}: needs columns item_idx and embedding; has {frame.columns}"
        )
    dtype = frame.schema["embedding"]
    if isinstance(dtype, pl.Array):
        dim = dtype.size
    else:
        lengths = frame.select(pl.col("embedding").list.len().unique().drop_nulls())["embedding"]
        if len(lengths) != 1:
            raise SchemaError(
                f"features/{key}: embeddings have differing lengths {lengths.to_list()}"
            )
        dim = int(lengths[0])
    frame = frame.select(S.ITEM, pl.col("embedding").cast(pl.Array(pl.Float32, dim)))
    return _conform(frame, S.embedding_schema(dim), f"features/{key}")


def _finish(tmp: Path, manifest: Manifest) -> None:
    """Write the dataset card and Croissant file for ``manifest``, then the manifest listing them.

    ``manifest.files`` lists the folder's Parquet files; the card and the Croissant file are
    derived from it (and the files' schemas) and added to it with their checksums.
    """
    if not manifest.recdata_version:
        from recdata import __version__

        manifest = manifest.model_copy(update={"recdata_version": __version__})
    tables = {
        rel: record
        for rel, record in manifest.files.items()
        if rel not in (CARD_NAME, CROISSANT_NAME)
    }
    manifest = manifest.model_copy(update={"files": dict(sorted(tables.items()))})
    schemas = {rel: pq.read_schema(tmp / rel) for rel in tables if rel.endswith(".parquet")}
    texts = {
        CARD_NAME: render_card(manifest),
        CROISSANT_NAME: render_croissant(manifest, schemas),
    }
    for rel, text in texts.items():
        (tmp / rel).unlink(missing_ok=True)  # never write through a hard link into the original
        (tmp / rel).write_text(text, encoding="utf-8")
        path = tmp / rel
        tables[rel] = FileRecord(sha256=file_sha256(path), bytes=path.stat().st_size, rows=None)
    final = manifest.model_copy(update={"files": dict(sorted(tables.items()))})
    (tmp / MANIFEST_NAME).unlink(missing_ok=True)
    (tmp / MANIFEST_NAME).write_text(final.to_json(), encoding="utf-8")


def write_dataset(
    out: str | Path,
    tables: DatasetTables,
    manifest: Manifest,
    *,
    overwrite: bool = False,
    build_log: str | None = None,
    protect: Protect | None = None,
    max_rows_per_file: int | None = None,
) -> Path:
    """Write a dataset folder: temporary sibling folder, then an atomic rename.

    Parameters
    ----------
    out
        The folder to create. It must not exist unless ``overwrite`` is set.
    tables
        The tables to write; required columns are cast to the canonical types.
    manifest
        Everything but ``files``, which is filled here with each file's sha256 and row count.
    overwrite
        Replace ``out`` if it exists, under the rule of :func:`recdata._atomic.check_target`.
    build_log
        Free text (timings, absolute paths) written to ``build.log``, outside the manifest.
    protect
        Paths ``out`` must not be, contain or lie in (label -> paths, e.g. ``--raw-dir``).
    max_rows_per_file
        Write the interactions and each split part with more rows than this as a folder of
        parts of exactly this many rows (the last one shorter); default :data:`PART_ROWS`.

    Besides the tables it writes ``README.md`` (dataset card) and ``croissant.json``, both
    listed in the manifest with their checksums.
    """
    with dataset_writer(
        out, overwrite=overwrite, protect=protect, max_rows_per_file=max_rows_per_file
    ) as writer:
        writer.write(tables, manifest, build_log=build_log)
    return out


class DatasetWriter:
    """The temporary folder of :func:`dataset_writer`: the interactions may be written first
    (so a build can free them before its graphs), then everything else and the manifest."""

    def __init__(self, out: Path, tmp: Path, max_rows_per_file: int | None) -> None:
        self.out, self.tmp, self.max_rows_per_file = out, tmp, max_rows_per_file
        self.records: dict[str, FileRecord] = {}
        self._written: set[str] = set()

    def write_rows(
        self,
        rel: str,
        chunks: pl.DataFrame | Iterable[pl.DataFrame],
        what: str,
        *,
        rows: int | None = None,
    ) -> None:
        """Write one interaction-shaped table now, from a frame or its ordered chunks and row
        count (:func:`write_rows`); :meth:`write` then skips it."""
        self.records.update(
            write_rows(
                self.tmp,
                rel,
                chunks,
                what=what,
                rows=rows,
                max_rows_per_file=self.max_rows_per_file,
            )
        )
        self._written.add(rel)

    def write_interactions(
        self, frame: pl.DataFrame | Iterable[pl.DataFrame], *, rows: int | None = None
    ) -> None:
        """Write ``interactions.parquet`` (or its parts) now; :meth:`write` then skips it."""
        self.write_rows("interactions.parquet", frame, "interactions", rows=rows)

    def write_split_part(
        self,
        protocol: str,
        part: str,
        frame: pl.DataFrame | Iterable[pl.DataFrame],
        *,
        rows: int | None = None,
    ) -> None:
        """Write ``splits/<protocol>/<part>.parquet`` (or its parts) now; :meth:`write` then
        skips it."""
        _check_parts(protocol, [part])
        what = f"split {protocol}/{part}"
        self.write_rows(f"splits/{protocol}/{part}.parquet", frame, what, rows=rows)

    def write(self, tables: DatasetTables, manifest: Manifest, *, build_log: str | None) -> None:
        """Write the remaining tables, the card, the Croissant file, the manifest and the log."""
        interactions = "interactions.parquet" not in self._written
        for rel, (frame, what) in _interaction_tables(tables, interactions=interactions).items():
            if rel not in self._written:
                self.write_rows(rel, frame, what)
        for rel, _rows, produce in list(_table_jobs(tables)):
            self.records[rel] = write_parquet(produce(), self.tmp / rel)
        _finish(self.tmp, manifest.model_copy(update={"files": dict(self.records)}))
        if build_log is not None:
            (self.tmp / BUILD_LOG).write_text(build_log, encoding="utf-8")
        log.info("wrote %s (%d files)", self.out.name, len(self.records))


@contextlib.contextmanager
def dataset_writer(
    out: str | Path,
    *,
    overwrite: bool = False,
    protect: Protect | None = None,
    max_rows_per_file: int | None = None,
) -> Iterator[DatasetWriter]:
    """A :class:`DatasetWriter` over a temporary sibling of ``out`` that becomes ``out`` when
    the block succeeds (nothing is left behind when it fails); options as :func:`write_dataset`."""
    out = Path(out)
    if max_rows_per_file is not None and max_rows_per_file < 1:
        raise UsageError(f"max_rows_per_file must be >= 1, got {max_rows_per_file}")
    check_target(out, overwrite=overwrite, protect=protect)
    with atomic_folder(out, overwrite=overwrite, protect=protect) as tmp:
        yield DatasetWriter(out, tmp, max_rows_per_file)


def update_dataset(
    folder: str | Path,
    *,
    add: Mapping[str, pl.DataFrame],
    update_manifest: Callable[[Manifest], Manifest],
    remove: tuple[str, ...] = (),
) -> Path:
    """Add (or replace) feature/graph/candidate tables in an existing folder, atomically.

    ``add`` maps ``features/<key>``, ``graphs/<key>`` or ``splits/<protocol>/candidates-<part>``
    (no suffix) to frames; ``remove`` lists relative paths to delete. The folder is copied
    (hard links where possible), changed, re-checksummed and swapped into place; the dataset
    card (README.md) and croissant.json are rewritten in the same update.
    """
    folder = Path(folder)
    manifest = Manifest.read(folder)

    def copy_of_folder(tmp: Path) -> None:
        shutil.copytree(folder, tmp, copy_function=_link_or_copy, dirs_exist_ok=True)

    with atomic_folder(folder, overwrite=True, seed=copy_of_folder) as tmp:
        feature_tables = {
            k.removeprefix("features/"): v for k, v in add.items() if k.startswith("features/")
        }
        graph_tables = {
            k.removeprefix("graphs/"): v for k, v in add.items() if k.startswith("graphs/")
        }
        candidate_tables = {k: v for k, v in add.items() if _is_candidates_key(k)}
        bad = (
            set(add)
            - {f"features/{k}" for k in feature_tables}
            - {f"graphs/{k}" for k in graph_tables}
            - set(candidate_tables)
        )
        if bad:
            raise UsageError(
                "update_dataset can add features/..., graphs/... or "
                f"splits/<protocol>/candidates-<part> only, got {sorted(bad)}"
            )
        files = {f"features/{k}.parquet": _feature_table(k, v) for k, v in feature_tables.items()}
        files |= {
            f"graphs/{k}.parquet": _conform(v, S.GRAPH, f"graph {k}").select(S.GRAPH.names)
            for k, v in graph_tables.items()
        }
        files |= {f"{k}.parquet": _candidates_table(k, v) for k, v in candidate_tables.items()}
        records = dict(manifest.files)
        for rel in remove:
            (tmp / rel).unlink(missing_ok=True)
            records.pop(rel, None)
        for rel, table in sorted(files.items()):
            target = tmp / rel
            target.unlink(missing_ok=True)  # never write through a hard link into the original
            records[rel] = write_parquet(table, target)
        _finish(tmp, update_manifest(manifest).model_copy(update={"files": records}))
    return folder


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


@dataclass(frozen=True)
class SplitFrames:
    """The three parts of one split protocol, as lazy frames."""

    train: pl.LazyFrame
    valid: pl.LazyFrame
    test: pl.LazyFrame
    candidate_frames: Mapping[str, pl.LazyFrame] = field(default_factory=dict)
    """``{"valid": lf, "test": lf}`` when the folder has candidate lists for this split."""
    candidates_record: CandidatesRecord | None = None
    """How the candidates were drawn (None: the split has none)."""
    name: str = ""
    """The protocol's folder name."""

    def __getitem__(self, part: str) -> pl.LazyFrame:
        if part not in SPLIT_PARTS:
            raise UsageError(f"unknown split part {part!r}; use one of {list(SPLIT_PARTS)}")
        return getattr(self, part)

    def candidates(self, part: str = "test") -> pl.LazyFrame:
        """The candidate lists of ``valid`` or ``test``: interaction_idx, user_idx, item_idx, negatives."""
        if part not in ("valid", "test"):
            raise UsageError(f"candidates exist for valid and test only, not {part!r}")
        record = self.candidates_record
        if record is None:
            raise UsageError(
                f"split {self.name!r} has no candidates; add them with `recdata candidates DIR --protocol {self.name}`"
            )
        if record.sampler == "all":
            raise UsageError(
                f"split {self.name!r} is evaluated by full ranking (sampler all): there are no candidate lists"
            )
        return self.candidate_frames[part]


@dataclass(frozen=True)
class Dataset:
    """An opened dataset folder: the manifest plus a lazy frame per table, split, feature and graph."""

    path: Path
    manifest: Manifest
    interactions: pl.LazyFrame
    items: pl.LazyFrame
    users: pl.LazyFrame
    splits: dict[str, SplitFrames]
    features: dict[str, pl.LazyFrame]
    graphs: dict[str, pl.LazyFrame]

    def __repr__(self) -> str:
        """A few lines: name, path, counts, splits, features and graphs (never the manifest)."""
        m = self.manifest

        def rows(rel: str) -> str:  # a table's rows, summed over its parts when it has them
            records = [m.files.get(f) for f in table_files(m.files, rel)]
            if any(r is None or r.rows is None for r in records):
                return "?"
            return f"{sum(r.rows for r in records):,}"  # type: ignore[union-attr, misc]

        splits = [
            f"{name} ({' / '.join(rows(f'splits/{name}/{p}.parquet') for p in SPLIT_PARTS)}"
            + (", default)" if name == m.default_split else ")")
            for name in self.splits
        ]
        return "\n".join(
            [
                f"Dataset {m.name!r} at {str(self.path)!r}",
                f"  {rows('users.parquet')} users, {rows('items.parquet')} items, "
                f"{rows('interactions.parquet')} interactions",
                f"  splits: {', '.join(splits) or 'none'}",
                f"  features: {', '.join(sorted(self.features)) or 'none'}",
                f"  graphs: {', '.join(sorted(self.graphs)) or 'none'}",
            ]
        )

    __str__ = __repr__

    def semantic_ids(self, method: str | None = None) -> pl.LazyFrame:
        """The semantic IDs of ``method`` (``item_idx``, ``codes``); None: the only (or first) one."""
        known = sorted(
            rel for rel, rec in self.manifest.features.items() if rec.kind == "semantic_ids"
        )
        if method is not None:
            rel = f"features/semantic_ids-{method}.parquet"
            if rel not in known:
                have = ", ".join(Path(r).stem.removeprefix("semantic_ids-") for r in known)
                raise UsageError(
                    f"{self.path.name} has no semantic IDs of method {method!r}; it has: {have or 'none'} "
                    f"(add them with `recdata features {self.path.name} --semantic-ids {method}`)"
                )
        elif not known:
            raise UsageError(
                f"{self.path.name} has no semantic IDs; add them with "
                f"`recdata features {self.path.name} --semantic-ids rq-kmeans`"
            )
        else:
            rel = known[0]
        return self.features[Path(rel).stem]

    def split(self, name: str | None = None) -> SplitFrames:
        """One split protocol by name; the manifest's default split when ``name`` is None."""
        name = name or self.manifest.default_split or next(iter(self.splits), None)
        if name is None or name not in self.splits:
            known = ", ".join(self.splits) or "none"
            raise UsageError(f"{self.path.name} has no split {name!r}; splits: {known}")
        return self.splits[name]


def scan_table(folder: Path, manifest: Manifest, rel: str) -> pl.LazyFrame:
    """A lazy scan of table ``rel`` of a folder: its one file, or its parts in order."""
    return pl.scan_parquet([folder / f for f in table_files(manifest.files, rel)])


def load(path: str | Path) -> Dataset:
    """Open a dataset folder: read the manifest and scan every table lazily (nothing is loaded).

    Every table is checked first (present, a readable Parquet footer, the required columns and
    types), so a damaged or foreign folder fails here with a
    :class:`~recdata.errors.DatasetError` naming the file, not later inside a query.
    """
    folder = Path(path)
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        raise UsageError(f"{folder} {what}; pass a dataset folder written by recdata build")
    manifest = Manifest.read(folder)
    check_files(folder, manifest, _scanned_files(manifest))

    def scan(rel: str) -> pl.LazyFrame:
        return scan_table(folder, manifest, rel)

    splits: dict[str, SplitFrames] = {}
    for protocol in manifest.splits:
        record = manifest.candidates.get(protocol)
        candidate_frames = {}
        if record is not None:
            candidate_frames = {p: scan(r.file) for p, r in record.parts.items() if r.file}
        splits[protocol] = SplitFrames(
            *(scan(f"splits/{protocol}/{part}.parquet") for part in SPLIT_PARTS),
            candidate_frames=candidate_frames,
            candidates_record=record,
            name=protocol,
        )
    features = {Path(rel).stem: scan(rel) for rel in _listed(manifest, "features/")}
    graphs = {Path(rel).stem: scan(rel) for rel in _listed(manifest, "graphs/")}
    return Dataset(
        path=folder,
        manifest=manifest,
        interactions=scan("interactions.parquet"),
        items=scan("items.parquet"),
        users=scan("users.parquet"),
        splits=splits,
        features=features,
        graphs=graphs,
    )


def _listed(manifest: Manifest, prefix: str) -> list[str]:
    return [rel for rel in manifest.files if rel.startswith(prefix) and rel.endswith(".parquet")]


def _scanned_files(manifest: Manifest) -> list[str]:
    """Every Parquet file ``load`` scans: the three tables (or their parts), each split part,
    features, graphs and candidate lists."""
    rels = ["interactions.parquet", "items.parquet", "users.parquet"]
    rels += [
        f"splits/{protocol}/{part}.parquet" for protocol in manifest.splits for part in SPLIT_PARTS
    ]
    rels += [
        p.file
        for protocol, record in manifest.candidates.items()
        if protocol in manifest.splits
        for p in record.parts.values()
        if p.file
    ]
    rels += _listed(manifest, "features/") + _listed(manifest, "graphs/")
    return [file for rel in rels for file in table_files(manifest.files, rel)]
