"""Check a dataset folder against the contract of DESIGN.md section 4.

Every check scans Parquet lazily with only the columns it needs, so a folder of 10^8
interactions is checked without loading a table into memory. Each violation names the file,
the column, how many rows break the rule and up to five example rows.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from recdata import schema as S
from recdata._types import SPLIT_PARTS
from recdata.dataset import MANIFEST_NAME, Manifest, file_sha256, part_file, table_files
from recdata.dataset._check import changed_file, required_schema, same_type
from recdata.errors import DatasetError

log = logging.getLogger("recdata.validation")

MAX_EXAMPLES = 5
_TABLES = ("interactions.parquet", "items.parquet", "users.parquet")


@dataclass
class Violation:
    """One broken rule: which check, where, how many rows, and a few examples."""

    check: str
    """Short id of the rule (``missing_file``, ``type``, ``checksum``, ``split_overlap``...)."""
    file: str
    """Path relative to the folder."""
    message: str
    """One line a user can act on."""
    column: str | None = None
    count: int = 1
    examples: list[dict[str, Any]] = field(default_factory=list)

    def __str__(self) -> str:
        where = f"{self.file}" + (f" [{self.column}]" if self.column else "")
        return f"{self.check}: {where}: {self.message}"


@dataclass
class ValidationReport:
    """The result of :func:`validate`: ``ok`` when no violation was found."""

    path: Path
    violations: list[Violation]

    @property
    def ok(self) -> bool:
        return not self.violations

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "ok": self.ok,
            "violations": [asdict(v) for v in self.violations],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, default=str)

    def checks(self) -> set[str]:
        """The ids of the rules that failed."""
        return {v.check for v in self.violations}


class _Context:
    """What the checks share: the folder, the manifest and which files are readable."""

    def __init__(self, folder: Path, manifest: Manifest) -> None:
        self.folder = folder
        self.manifest = manifest
        self.readable: dict[str, pa.Schema] = {}
        self.violations: list[Violation] = []

    def files_of(self, rel: str) -> list[str]:
        """The files of table ``rel``: itself, or its parts in order (as the manifest lists them)."""
        return table_files(self.manifest.files, rel)

    def scan(self, rel: str) -> pl.LazyFrame:
        return pl.scan_parquet([self.folder / f for f in self.files_of(rel)])

    def add(self, check: str, rel: str, message: str, **kwargs: Any) -> None:
        self.violations.append(Violation(check=check, file=rel, message=message, **kwargs))

    def add_rows(
        self, check: str, rel: str, rows: pl.LazyFrame, message: str, column: str | None = None
    ) -> None:
        """Count the offending rows of a lazy query; add a violation with examples if any."""
        count, examples = _count_and_examples(rows)
        if count:
            self.add(
                check,
                rel,
                f"{count:,} row(s) {message}",
                column=column,
                count=count,
                examples=examples,
            )

    def has(self, *rels: str) -> bool:
        return all(rel in self.readable for rel in rels)

    def split_files(self) -> Iterator[tuple[str, str, str]]:
        for protocol in self.manifest.splits:
            for part in SPLIT_PARTS:
                yield protocol, part, f"splits/{protocol}/{part}.parquet"


def _count_and_examples(rows: pl.LazyFrame) -> tuple[int, list[dict[str, Any]]]:
    counted = rows.select(pl.len()).collect(engine="streaming").item()
    if not counted:
        return 0, []
    examples = rows.head(MAX_EXAMPLES).collect().to_dicts()
    return int(counted), [{k: _jsonable(v) for k, v in row.items()} for row in examples]


def _jsonable(value: Any) -> Any:
    if isinstance(value, (int, float, str, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return str(value)


def validate(path: str | Path) -> ValidationReport:
    """Check a dataset folder; returns a report listing every violation found.

    The checks: files present and readable; column types (``session_id`` a string without
    nulls, each session within one user); indices contiguous from 1 and
    unique; interactions in sequence order; every interaction's user and item exist; splits
    disjoint and (for partitioning protocols) covering the interactions exactly; no valid/test
    row earlier than its user's train rows where the protocol promises it; graph edges only
    from train; embeddings one row per item and free of NaN; semantic IDs one row per item,
    of fixed length, within their levels' sizes and unique; candidate lists one per
    valid/test row with its positive, negatives in range, unique, outside the excluded set
    and n long unless counted short; manifest checksums match.
    """
    folder = Path(path)
    if not (folder / MANIFEST_NAME).is_file():
        what = "does not exist" if not folder.exists() else f"has no {MANIFEST_NAME}"
        return ValidationReport(
            folder, [Violation("missing_file", MANIFEST_NAME, f"{folder} {what}")]
        )
    try:
        manifest = Manifest.read(folder)
    except DatasetError as exc:
        return ValidationReport(folder, [Violation("manifest", MANIFEST_NAME, str(exc))])
    ctx = _Context(folder, manifest)
    for check in _CHECKS:
        log.debug("validate %s: %s", folder.name, check.__name__)
        try:
            check(ctx)
        except (pl.exceptions.PolarsError, pa.ArrowException, OSError) as exc:
            # bytes changed inside a file whose footer still reads: name it, keep checking
            rel = changed_file(folder, manifest) or "."
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            name = check.__name__.removeprefix("_check_")
            ctx.add("unreadable", rel, f"reading failed during the {name} check: {first}")
    return ValidationReport(folder, ctx.violations)


# -- files ----------------------------------------------------------------------------------


def _check_files(ctx: _Context) -> None:
    """Required tables (one file or parts) and every listed file exist and are readable Parquet,
    parts numbered without gaps and of one schema; nothing unlisted."""
    tables = set(_TABLES) | {rel for _, _, rel in ctx.split_files()}
    tables |= set(ctx.manifest.graphs) | set(ctx.manifest.features)
    expected = set(ctx.manifest.files)
    expected |= {
        p.file for r in ctx.manifest.candidates.values() for p in r.parts.values() if p.file
    }
    for rel in sorted(tables):
        files = ctx.files_of(rel)
        expected |= set(files)
        if files != [rel]:
            _check_part_numbers(ctx, rel, files)
    for rel in sorted(expected):
        file = ctx.folder / rel
        if not file.is_file():
            ctx.add("missing_file", rel, "file is missing")
            continue
        if not rel.endswith(".parquet"):
            continue  # the dataset card and croissant.json are checked by checksum only
        try:
            ctx.readable[rel] = pq.read_schema(file)
        except (pa.ArrowInvalid, OSError) as exc:
            ctx.add("unreadable", rel, f"not readable as Parquet: {exc}")
    for rel in sorted(tables):
        files = ctx.files_of(rel)
        if files == [rel] or not all(f in ctx.readable for f in files):
            continue
        first = ctx.readable[files[0]]
        odd = [f for f in files[1:] if not ctx.readable[f].equals(first, check_metadata=False)]
        for f in odd:
            ctx.add("type", f, f"part's schema differs from {files[0]}'s")
        if not odd:
            ctx.readable[rel] = first
    for file in sorted(ctx.folder.rglob("*.parquet")):
        rel = file.relative_to(ctx.folder).as_posix()
        if rel not in expected:
            ctx.add("unlisted_file", rel, "file is not listed in manifest.json (stale or foreign)")


def _check_part_numbers(ctx: _Context, rel: str, files: list[str]) -> None:
    """Parts of a table are numbered 0..n-1: a gap is a missing part."""
    for index in range(len(files)):
        want = part_file(rel, index)
        if want not in files:
            ctx.add("missing_file", want, f"part {index} of {rel} is not listed in manifest.json")
            return


def _check_checksums(ctx: _Context) -> None:
    """sha256, size and row count of every file match the manifest."""
    for rel, record in sorted(ctx.manifest.files.items()):
        file = ctx.folder / rel
        if not file.is_file():
            continue  # reported by _check_files
        size = file.stat().st_size
        if size != record.bytes:
            ctx.add("checksum", rel, f"size is {size} bytes, manifest says {record.bytes}")
            continue
        digest = file_sha256(file)
        if digest != record.sha256:
            ctx.add(
                "checksum",
                rel,
                f"sha256 mismatch: manifest {record.sha256[:16]}…, file {digest[:16]}…",
            )
            continue
        if record.rows is not None and rel in ctx.readable:
            rows = pq.ParquetFile(file).metadata.num_rows
            if rows != record.rows:
                ctx.add("checksum", rel, f"has {rows} rows, manifest says {record.rows}")


# -- types ----------------------------------------------------------------------------------


def _check_required(ctx: _Context, rel: str, required: pa.Schema) -> None:
    schema = ctx.readable[rel]
    for fld in required:
        if fld.name not in schema.names:
            ctx.add(
                "missing_column", rel, f"required column {fld.name!r} is missing", column=fld.name
            )
        elif not same_type(schema.field(fld.name).type, fld.type):
            got = schema.field(fld.name).type
            ctx.add(
                "type",
                rel,
                f"column {fld.name!r} has type {got}, expected {fld.type}",
                column=fld.name,
            )


def _check_types(ctx: _Context) -> None:
    """Required columns exist with their canonical types; known optional columns too."""
    interaction_files = ["interactions.parquet"] + [rel for *_, rel in ctx.split_files()]
    for rel in interaction_files:
        if rel in ctx.readable:
            _check_required(ctx, rel, S.INTERACTIONS)
            schema = ctx.readable[rel]
            for name, dtype in S.INTERACTION_OPTIONAL.items():
                if name in schema.names and not same_type(schema.field(name).type, dtype):
                    got = schema.field(name).type
                    ctx.add(
                        "type",
                        rel,
                        f"column {name!r} has type {got}, expected {dtype}",
                        column=name,
                    )
            if S.HISTORY in schema.names and not same_type(
                schema.field(S.HISTORY).type, S.HISTORY_TYPE
            ):
                got = schema.field(S.HISTORY).type
                ctx.add(
                    "type",
                    rel,
                    f"column 'history' has type {got}, expected {S.HISTORY_TYPE}",
                    column=S.HISTORY,
                )
    if "items.parquet" in ctx.readable:
        _check_required(ctx, "items.parquet", S.ITEMS)
        schema = ctx.readable["items.parquet"]
        for name, dtype in S.ITEM_OPTIONAL.items():
            if name in schema.names and not same_type(schema.field(name).type, dtype):
                got = schema.field(name).type
                ctx.add(
                    "type",
                    "items.parquet",
                    f"column {name!r} has type {got}, expected {dtype}",
                    column=name,
                )
    if "users.parquet" in ctx.readable:
        _check_required(ctx, "users.parquet", S.USERS)
    for rel in ctx.manifest.graphs:
        if rel in ctx.readable:
            _check_required(ctx, rel, S.GRAPH)
    for rel, record in ctx.manifest.features.items():
        if rel not in ctx.readable:
            continue
        if record.kind == "item_text":
            _check_required(ctx, rel, S.ITEM_TEXT)
            continue
        schema = ctx.readable[rel]
        if record.kind == "semantic_ids":
            if schema.names != S.SEMANTIC_IDS.names:
                ctx.add("type", rel, f"columns are {schema.names}, expected {S.SEMANTIC_IDS.names}")
                continue
            _check_required(ctx, rel, S.SEMANTIC_IDS)
            continue
        if schema.names != [S.ITEM, "embedding"]:
            ctx.add("type", rel, f"columns are {schema.names}, expected ['item_idx', 'embedding']")
            continue
        dtype = schema.field("embedding").type
        if not (pa.types.is_fixed_size_list(dtype) and dtype.value_type == pa.float32()):
            ctx.add(
                "type",
                rel,
                f"column 'embedding' has type {dtype}, expected fixed_size_list<float32>[d]",
                column="embedding",
            )
        _check_required(ctx, rel, pa.schema([pa.field(S.ITEM, pa.int32())]))


def _typed(ctx: _Context, rel: str, *columns: str) -> bool:
    """True when the file is readable and these columns exist with their canonical types (so
    lazy checks can run; a wrong type is reported once, by ``_check_types``)."""
    if rel not in ctx.readable:
        return False
    schema = ctx.readable[rel]
    required = required_schema(rel, ctx.manifest)
    for column in columns:
        if column not in schema.names:
            return False
        if required is not None and column in required.names:
            if not same_type(schema.field(column).type, required.field(column).type):
                return False
    return True


# -- indices and references -----------------------------------------------------------------


def _check_entity_index(ctx: _Context, rel: str, column: str, id_column: str) -> None:
    if not _typed(ctx, rel, column, id_column):
        return
    lf = ctx.scan(rel)
    ctx.add_rows(
        "null",
        rel,
        lf.filter(pl.col(column).is_null() | pl.col(id_column).is_null()),
        "have a null index or id",
        column=column,
    )
    dup = lf.group_by(column).agg(pl.len().alias("rows")).filter(pl.col("rows") > 1)
    ctx.add_rows("duplicate_index", rel, dup, f"duplicate {column} values", column=column)
    dup_id = lf.group_by(id_column).agg(pl.len().alias("rows")).filter(pl.col("rows") > 1)
    ctx.add_rows("duplicate_index", rel, dup_id, f"duplicate {id_column} values", column=id_column)
    summary = lf.select(
        pl.col(column).min().alias("min"),
        pl.col(column).max().alias("max"),
        pl.col(column).n_unique().alias("n"),
    ).collect()
    low, high, n = summary.row(0)
    if n and (low != 1 or high != n):
        ctx.add(
            "non_contiguous_index",
            rel,
            f"{column} must run 1..{n} without gaps (0 is padding), found min {low}, max {high}",
            column=column,
        )


def _entity_count(ctx: _Context, rel: str, column: str) -> int | None:
    if not _typed(ctx, rel, column):
        return None
    return int(ctx.scan(rel).select(pl.col(column).max()).collect().item() or 0)


def _check_indices(ctx: _Context) -> None:
    """Users and items indexed 1..n; interaction_idx is the row position; rows in sequence order."""
    _check_entity_index(ctx, "items.parquet", S.ITEM, S.ITEM_ID)
    _check_entity_index(ctx, "users.parquet", S.USER, S.USER_ID)
    rel = "interactions.parquet"
    if not _typed(ctx, rel, S.INTERACTION, S.USER, S.ITEM, S.TIME):
        return
    lf = ctx.scan(rel).select(S.INTERACTION, S.USER, S.ITEM, S.TIME).with_row_index("row")
    ctx.add_rows(
        "null",
        rel,
        lf.filter(pl.any_horizontal(pl.col(S.INTERACTION, S.USER, S.ITEM).is_null())),
        "have a null interaction_idx, user_idx or item_idx",
    )
    bad_idx = lf.filter(pl.col(S.INTERACTION) != pl.col("row").cast(pl.Int64))
    ctx.add_rows(
        "non_contiguous_index",
        rel,
        bad_idx,
        "have interaction_idx different from their row position (must be 0..n-1 in sequence order; duplicates or gaps)",
        column=S.INTERACTION,
    )
    prev_user = pl.col(S.USER).shift(1)
    prev_time = pl.col(S.TIME).shift(1)
    out_of_order = lf.filter(
        (pl.col(S.USER) < prev_user)
        | ((pl.col(S.USER) == prev_user) & (pl.col(S.TIME) < prev_time))
    )
    ctx.add_rows(
        "sequence_order",
        rel,
        out_of_order,
        "are out of sequence order (user_idx, timestamp)",
        column=S.TIME,
    )


def _check_references(ctx: _Context) -> None:
    """Every interaction's (and split row's) user and item exist in users/items."""
    n_users = _entity_count(ctx, "users.parquet", S.USER)
    n_items = _entity_count(ctx, "items.parquet", S.ITEM)
    files = ["interactions.parquet"] + [rel for *_, rel in ctx.split_files()]
    entities = (("item", "an", S.ITEM, n_items), ("user", "a", S.USER, n_users))
    for rel in files:
        for entity, article, column, n in entities:
            if n is None or not _typed(ctx, rel, column):
                continue
            rows = ctx.scan(rel).filter((pl.col(column) < 1) | (pl.col(column) > n))
            ctx.add_rows(
                f"dangling_{entity}",
                rel,
                rows.select(S.INTERACTION, S.USER, S.ITEM),
                f"reference {article} {column} not in {entity}s.parquet (1..{n})",
                column=column,
            )


def _check_sessions(ctx: _Context) -> None:
    """``session_id``: no nulls, and each session belongs to one user."""
    rel = "interactions.parquet"
    if not _typed(ctx, rel, S.SESSION, S.USER) or not same_type(
        ctx.readable[rel].field(S.SESSION).type, pa.string()
    ):
        return
    rows = ctx.scan(rel)
    ctx.add_rows(
        "session",
        rel,
        rows.filter(pl.col(S.SESSION).is_null()).select(S.INTERACTION, S.USER, S.SESSION),
        "have a null session_id",
        column=S.SESSION,
    )
    shared = (
        rows.group_by(S.SESSION)
        .agg(pl.col(S.USER).n_unique().alias("users"))
        .filter(pl.col(S.SESSION).is_not_null() & (pl.col("users") > 1))
        .sort(S.SESSION)
    )
    ctx.add_rows(
        "session", rel, shared, "session_id(s) shared by more than one user", column=S.SESSION
    )


def _check_events(ctx: _Context) -> None:
    """``event``: no nulls, every value in the vocabulary the manifest records."""
    stats = ctx.manifest.statistics.get("events") or {}
    vocabulary = list(stats.get("vocabulary") or [])
    for rel in ["interactions.parquet"] + [r for *_, r in ctx.split_files()]:
        if not _typed(ctx, rel, S.EVENT, S.USER) or not same_type(
            ctx.readable[rel].field(S.EVENT).type, pa.string()
        ):
            continue
        rows = ctx.scan(rel)
        if not vocabulary:
            ctx.add("event", rel, "has an 'event' column but the manifest records no vocabulary")
            continue
        ctx.add_rows(
            "event",
            rel,
            rows.filter(~pl.col(S.EVENT).is_in(vocabulary) | pl.col(S.EVENT).is_null()).select(
                S.INTERACTION, S.USER, S.EVENT
            ),
            f"have an event outside the vocabulary {vocabulary} (or null)",
            column=S.EVENT,
        )


def _check_impressions(ctx: _Context) -> None:
    """``impressions``: every shown item exists in items.parquet; the row's item is in its list."""
    if "items.parquet" not in ctx.readable or not _typed(ctx, "items.parquet", S.ITEM):
        return
    n_items = ctx.scan("items.parquet").select(pl.len()).collect().item()
    for rel in ["interactions.parquet"] + [r for *_, r in ctx.split_files()]:
        if not _typed(ctx, rel, S.IMPRESSIONS, S.ITEM, S.INTERACTION) or not same_type(
            ctx.readable[rel].field(S.IMPRESSIONS).type, S.INTERACTION_OPTIONAL[S.IMPRESSIONS]
        ):
            continue
        rows = ctx.scan(rel).filter(pl.col(S.IMPRESSIONS).is_not_null())
        shown = (
            rows.select(S.INTERACTION, S.USER, S.IMPRESSIONS)
            .explode(S.IMPRESSIONS)
            .filter(
                pl.col(S.IMPRESSIONS).is_null()
                | (pl.col(S.IMPRESSIONS) < 1)
                | (pl.col(S.IMPRESSIONS) > n_items)
            )
        )
        ctx.add_rows(
            "impressions",
            rel,
            shown,
            f"show an item not in items.parquet (1..{n_items})",
            column=S.IMPRESSIONS,
        )
        ctx.add_rows(
            "impressions",
            rel,
            rows.filter(~pl.col(S.IMPRESSIONS).list.contains(pl.col(S.ITEM))).select(
                S.INTERACTION, S.USER, S.ITEM
            ),
            "have an item that is not in their impressions list",
            column=S.IMPRESSIONS,
        )


# -- splits ---------------------------------------------------------------------------------


def _check_splits(ctx: _Context) -> None:
    """Parts disjoint; rows match the interactions; partitions cover them; temporal promise kept."""
    inter = "interactions.parquet"
    if not _typed(ctx, inter, S.INTERACTION, S.USER, S.ITEM):
        return
    index_is_position = not any(
        v.file == inter and v.column == S.INTERACTION for v in ctx.violations
    )
    columns: tuple[np.ndarray, np.ndarray] | None = None
    for protocol, record in ctx.manifest.splits.items():
        rels = {part: f"splits/{protocol}/{part}.parquet" for part in SPLIT_PARTS}
        if not all(
            _typed(ctx, rel, S.INTERACTION, S.USER, S.ITEM, S.TIME) for rel in rels.values()
        ):
            continue
        where = f"splits/{protocol}"
        if index_is_position:
            if columns is None:
                columns = _read_index_columns([ctx.folder / f for f in ctx.files_of(inter)])
            _check_split_rows_by_position(ctx, where, record.partition, rels, *columns)
        else:
            _check_split_rows_by_join(ctx, where, record.partition, rels)
        if record.ordered:
            _check_temporal_order(ctx, where, rels)


def _read_index_columns(paths: list[Path]) -> tuple[np.ndarray, np.ndarray]:
    """user_idx and item_idx of Parquet files (a table's parts, in order) as two preallocated
    int32 arrays, batch by batch."""
    files = [pq.ParquetFile(path) for path in paths]
    n = sum(file.metadata.num_rows for file in files)
    users = np.empty(n, dtype=np.int32)
    items = np.empty(n, dtype=np.int32)
    start = 0
    for file in files:
        for batch in file.iter_batches(batch_size=1 << 20, columns=[S.USER, S.ITEM]):
            stop = start + batch.num_rows
            users[start:stop] = batch.column(0).to_numpy(zero_copy_only=False)
            items[start:stop] = batch.column(1).to_numpy(zero_copy_only=False)
            start = stop
    return users, items


def _check_split_rows_by_position(
    ctx: _Context,
    where: str,
    partition: bool,
    rels: dict[str, str],
    users: np.ndarray,
    items: np.ndarray,
) -> None:
    """Streaming check when interaction_idx is the row position: a counter per interaction.

    Memory is one byte per interaction plus the two int32 index columns, whatever the split size.
    """
    n = len(users)
    seen = np.zeros(n, dtype=np.uint8)
    bad_rows: list[dict[str, Any]] = []
    bad = 0
    batches = (
        (part, batch)
        for part, rel in rels.items()
        for file in ctx.files_of(rel)
        for batch in pq.ParquetFile(ctx.folder / file).iter_batches(
            batch_size=1 << 20, columns=[S.INTERACTION, S.USER, S.ITEM]
        )
    )
    for part, batch in batches:
        idx = batch.column(0).to_numpy(zero_copy_only=False)
        user = batch.column(1).to_numpy(zero_copy_only=False)
        item = batch.column(2).to_numpy(zero_copy_only=False)
        known = (idx >= 0) & (idx < n)
        safe = np.where(known, idx, 0)
        wrong = ~known | (users[safe] != user) | (items[safe] != item)
        if wrong.any():
            bad += int(wrong.sum())
            for pos in np.flatnonzero(wrong)[: MAX_EXAMPLES - len(bad_rows)]:
                bad_rows.append(
                    {
                        "part": part,
                        S.INTERACTION: int(idx[pos]),
                        S.USER: int(user[pos]),
                        S.ITEM: int(item[pos]),
                    }
                )
        np.add.at(seen, idx[known], 1)
    if bad:
        ctx.add(
            "split_mismatch",
            where,
            f"{bad:,} row(s) do not match interactions.parquet at their interaction_idx (unknown index, or other user/item)",
            column=S.INTERACTION,
            count=bad,
            examples=bad_rows,
        )
    repeated = np.flatnonzero(seen > 1)
    if len(repeated):
        ctx.add(
            "split_overlap",
            where,
            f"{len(repeated):,} interaction(s) appear more than once across train/valid/test: splits overlap",
            column=S.INTERACTION,
            count=len(repeated),
            examples=[
                {S.INTERACTION: int(i), "times": int(seen[i])} for i in repeated[:MAX_EXAMPLES]
            ],
        )
    if partition:
        missing = np.flatnonzero(seen == 0)
        if len(missing):
            ctx.add(
                "split_union",
                where,
                f"the protocol partitions the data, but train/valid/test hold {n - len(missing):,} distinct interactions of {n:,} ({len(missing):,} missing)",
                column=S.INTERACTION,
                count=len(missing),
                examples=[{S.INTERACTION: int(i)} for i in missing[:MAX_EXAMPLES]],
            )


def _check_split_rows_by_join(
    ctx: _Context, where: str, partition: bool, rels: dict[str, str]
) -> None:
    """The same rules by joins, for folders whose interaction_idx is not the row position."""
    inter = "interactions.parquet"
    total = ctx.scan(inter).select(pl.len()).collect().item()
    base = ctx.scan(inter).select(S.INTERACTION, S.USER, S.ITEM)
    parts = pl.concat(
        [
            ctx.scan(rel)
            .select(S.INTERACTION, S.USER, S.ITEM)
            .with_columns(pl.lit(part).alias("part"))
            for part, rel in rels.items()
        ]
    )
    overlap = (
        parts.group_by(S.INTERACTION)
        .agg(pl.col("part").unique().sort().alias("parts"), pl.len().alias("rows"))
        .filter(pl.col("rows") > 1)
    )
    ctx.add_rows(
        "split_overlap",
        where,
        overlap,
        "(interaction_idx) appear more than once across train/valid/test: splits overlap",
        column=S.INTERACTION,
    )
    joined = parts.join(base, on=S.INTERACTION, how="left", suffix="_interactions")
    mismatch = joined.filter(
        pl.col(f"{S.USER}_interactions").is_null()
        | (pl.col(S.USER) != pl.col(f"{S.USER}_interactions"))
        | (pl.col(S.ITEM) != pl.col(f"{S.ITEM}_interactions"))
    ).select("part", S.INTERACTION, S.USER, S.ITEM)
    ctx.add_rows(
        "split_mismatch",
        where,
        mismatch,
        "do not match interactions.parquet at their interaction_idx (unknown index, or other user/item)",
        column=S.INTERACTION,
    )
    if partition:
        in_splits = parts.select(pl.col(S.INTERACTION).n_unique()).collect().item()
        if in_splits != total:
            missing = base.join(parts.select(S.INTERACTION), on=S.INTERACTION, how="anti")
            count, examples = _count_and_examples(missing)
            ctx.add(
                "split_union",
                where,
                f"the protocol partitions the data, but train/valid/test hold {in_splits:,} distinct interactions of {total:,} ({count:,} missing)",
                column=S.INTERACTION,
                count=max(count, abs(total - in_splits)),
                examples=examples,
            )


def _check_temporal_order(ctx: _Context, where: str, rels: dict[str, str]) -> None:
    """No valid row before its user's last train row; no test row before its user's last train/valid row."""
    train = ctx.scan(rels["train"]).select(S.USER, S.TIME)
    valid = ctx.scan(rels["valid"]).select(S.INTERACTION, S.USER, S.ITEM, S.TIME)
    test = ctx.scan(rels["test"]).select(S.INTERACTION, S.USER, S.ITEM, S.TIME)
    for part, later, earlier in (
        ("valid", valid, [train]),
        ("test", test, [train, valid.select(S.USER, S.TIME)]),
    ):
        latest = (
            pl.concat(earlier).group_by(S.USER).agg(pl.col(S.TIME).max().alias("latest_before"))
        )
        leaks = later.join(latest, on=S.USER, how="inner").filter(
            pl.col(S.TIME) < pl.col("latest_before")
        )
        ctx.add_rows(
            "test_before_train",
            f"{where}/{part}.parquet",
            leaks,
            f"of {part} are earlier than their user's latest {'train' if part == 'valid' else 'train/valid'} interaction (leakage from the future)",
            column=S.TIME,
        )


# -- graphs and features --------------------------------------------------------------------


def _check_graphs(ctx: _Context) -> None:
    """user_item and item_item edges come only from the train part of their split."""
    for rel, record in sorted(ctx.manifest.graphs.items()):
        if not _typed(ctx, rel, "src", "dst", "weight"):
            continue
        edges = ctx.scan(rel).select("src", "dst", "weight")
        if record.kind in ("item_knn", "social"):
            continue
        split = record.split or ctx.manifest.default_split
        train_rel = f"splits/{split}/train.parquet"
        if split not in ctx.manifest.splits or not _typed(ctx, train_rel, S.USER, S.ITEM):
            ctx.add(
                "graph_split",
                rel,
                f"graph of kind {record.kind!r} names split {split!r}, which the folder does not have",
            )
            continue
        train = ctx.scan(
            train_rel
        )  # full rows: the item-item check rebuilds windows from order columns
        if record.kind == "user_item":
            pairs = train.select(S.USER, S.ITEM)
            leaks = edges.join(pairs, left_on=["src", "dst"], right_on=[S.USER, S.ITEM], how="anti")
        else:
            leaks = _unsupported_item_edges(edges, train, record.params)
        ctx.add_rows(
            "graph_leak",
            rel,
            leaks,
            f"are edges not supported by splits/{split}/train (an edge from valid/test data)",
        )


def _unsupported_item_edges(
    edges: pl.LazyFrame, train: pl.LazyFrame, params: dict[str, Any]
) -> pl.LazyFrame:
    """Item–item edges whose two items no train user has in common."""
    try:
        from recdata.graphs import verify_graph_from_train  # the exact check, window-aware
    except ImportError:
        verify_graph_from_train = None
    if verify_graph_from_train is not None:
        return verify_graph_from_train(edges, train, kind="item_item", params=params).lazy()
    pairs = edges.select("src", "dst").unique()
    train = train.select(S.USER, S.ITEM).unique()
    supported = (
        pairs.join(train.rename({S.ITEM: "src"}), on="src")
        .join(train.rename({S.ITEM: "dst"}), on=[S.USER, "dst"], how="semi")
        .select("src", "dst")
        .unique()
    )
    return edges.join(supported, on=["src", "dst"], how="anti")


def _check_features(ctx: _Context) -> None:
    """Embeddings: one row per item, item_idx valid, no NaN."""
    n_items = _entity_count(ctx, "items.parquet", S.ITEM)
    for rel, record in sorted(ctx.manifest.features.items()):
        column = {"item_text": "text", "semantic_ids": "codes"}.get(record.kind, "embedding")
        if not _typed(ctx, rel, S.ITEM, column):
            continue
        lf = ctx.scan(rel)
        dup = lf.group_by(S.ITEM).agg(pl.len().alias("rows")).filter(pl.col("rows") > 1)
        ctx.add_rows(
            "duplicate_index",
            rel,
            dup,
            "duplicate item_idx values (one row per item expected)",
            column=S.ITEM,
        )
        if n_items is not None:
            n = lf.select(pl.col(S.ITEM).n_unique()).collect().item()
            if n != n_items:
                ctx.add(
                    "embedding_rows",
                    rel,
                    f"has {n:,} distinct items, items.parquet has {n_items:,}: one row per item expected",
                    column=S.ITEM,
                    count=abs(n_items - n),
                )
            ctx.add_rows(
                "dangling_item",
                rel,
                lf.filter((pl.col(S.ITEM) < 1) | (pl.col(S.ITEM) > n_items)).select(S.ITEM),
                "reference an item_idx not in items.parquet",
                column=S.ITEM,
            )
        if record.kind == "semantic_ids":
            _check_semantic_ids(ctx, rel, lf, record.details)
        if column == "embedding" and isinstance(lf.collect_schema()["embedding"], pl.Array):
            nan_rows = lf.filter(
                pl.col("embedding").arr.eval(pl.element().is_nan()).arr.any()
            ).select(S.ITEM)
            ctx.add_rows(
                "embedding_nan", rel, nan_rows, "have NaN in their embedding", column="embedding"
            )


def _check_semantic_ids(ctx: _Context, rel: str, lf: pl.LazyFrame, details: dict[str, Any]) -> None:
    """Semantic IDs: codes of the recorded fixed length, no nulls, each level within its recorded
    size (0 <= code < size), and every item's tuple unique."""
    if not same_type(ctx.readable[rel].field("codes").type, S.SEMANTIC_IDS.field("codes").type):
        return  # reported by the type check
    length = details.get("code_length")
    sizes = details.get("level_sizes")
    codes = pl.col("codes")
    if length is None:
        lengths = lf.select(codes.list.len().n_unique()).collect().item()
        if lengths > 1:
            ctx.add(
                "semantic_ids_length",
                rel,
                f"codes have {lengths} different lengths",
                column="codes",
            )
        return
    ctx.add_rows(
        "semantic_ids_length",
        rel,
        lf.filter(codes.is_null() | (codes.list.len() != length)).select(S.ITEM, "codes"),
        f"have codes of a length other than the recorded {length} (or null codes)",
        column="codes",
    )
    fixed = lf.filter(codes.is_not_null() & (codes.list.len() == length))
    if sizes is not None and len(sizes) == length:
        bad = pl.any_horizontal(
            [
                (codes.list.get(i) < 0) | (codes.list.get(i) >= size) | codes.list.get(i).is_null()
                for i, size in enumerate(sizes)
            ]
        )
        ctx.add_rows(
            "semantic_ids_range",
            rel,
            fixed.filter(bad).select(S.ITEM, "codes"),
            f"have a code outside its level's recorded size {sizes}",
            column="codes",
        )
    dup = (
        fixed.group_by("codes")
        .agg(pl.col(S.ITEM).sort().alias("items"), pl.len().alias("rows"))
        .filter(pl.col("rows") > 1)
        .select("codes", "items")
    )
    ctx.add_rows(
        "semantic_ids_collision",
        rel,
        dup,
        "are code tuples shared by several items",
        column="codes",
    )


# -- candidates -----------------------------------------------------------------------------


def _check_candidates(ctx: _Context) -> None:
    """Candidate lists: one per evaluated row, positive as in the part, negatives allowed and unique."""
    n_items = _entity_count(ctx, "items.parquet", S.ITEM)
    for protocol, record in sorted(ctx.manifest.candidates.items()):
        if protocol not in ctx.manifest.splits:
            ctx.add(
                "candidates_split",
                "manifest.json",
                f"candidates are recorded for split {protocol!r}, which the folder does not have",
            )
            continue
        for part, part_record in sorted(record.parts.items()):
            if part_record.file is None:
                if record.sampler != "all":
                    ctx.add(
                        "candidates_file",
                        "manifest.json",
                        f"candidates of {protocol}/{part} (sampler {record.sampler}) name no file",
                    )
                continue
            rel = part_record.file
            if rel not in ctx.manifest.files:
                ctx.add("unlisted_file", rel, "candidate file is not listed in manifest files")
            if rel not in ctx.readable:
                continue
            _check_required(ctx, rel, S.CANDIDATES)
            split_rel = f"splits/{protocol}/{part}.parquet"
            if not _typed(ctx, rel, *S.CANDIDATES.names) or not _typed(
                ctx, split_rel, S.INTERACTION, S.USER, S.ITEM
            ):
                continue
            _check_candidate_file(ctx, rel, split_rel, protocol, record, part_record, n_items)


def _check_candidate_file(
    ctx: _Context,
    rel: str,
    split_rel: str,
    protocol: str,
    record: Any,
    part_record: Any,
    n_items: int | None,
) -> None:
    keys = [S.INTERACTION, S.USER, S.ITEM]
    lists = ctx.scan(rel).select(*keys, S.NEGATIVES)
    part = ctx.scan(split_rel).select(keys)
    ctx.add_rows(
        "candidates_positive",
        rel,
        lists.select(keys).join(part, on=keys, how="anti"),
        f"have a positive (interaction_idx, user_idx, item_idx) that is not a row of {split_rel}",
        column=S.ITEM,
    )
    ctx.add_rows(
        "candidates_missing",
        rel,
        part.join(lists.select(keys), on=keys, how="anti"),
        f"of {split_rel} have no candidate list",
        column=S.INTERACTION,
    )
    dup = lists.select(S.INTERACTION).group_by(S.INTERACTION).len().filter(pl.col("len") > 1)
    ctx.add_rows(
        "candidates_duplicate_row", rel, dup, "repeat an interaction_idx", column=S.INTERACTION
    )
    length = pl.col(S.NEGATIVES).list.len()
    ctx.add_rows(
        "candidates_duplicate",
        rel,
        lists.filter(pl.col(S.NEGATIVES).list.n_unique() != length).select(keys),
        "repeat a negative within their list",
        column=S.NEGATIVES,
    )
    ctx.add_rows(
        "candidates_length",
        rel,
        lists.filter(length > record.n).select(*keys, length.alias("length")),
        f"have more than n = {record.n} negatives",
        column=S.NEGATIVES,
    )
    short = lists.filter(length < record.n).select(pl.len()).collect().item()
    if short != part_record.short_rows:
        ctx.add(
            "candidates_length",
            rel,
            f"{short:,} list(s) are shorter than n = {record.n}, the manifest records {part_record.short_rows:,}",
            column=S.NEGATIVES,
            count=abs(short - part_record.short_rows),
        )
    flat = (
        lists.select(S.INTERACTION, S.USER, S.ITEM, pl.col(S.NEGATIVES).alias("negative"))
        .explode("negative")
        .drop_nulls("negative")
    )
    if n_items is not None:
        ctx.add_rows(
            "candidates_range",
            rel,
            flat.filter((pl.col("negative") < 1) | (pl.col("negative") > n_items)),
            f"hold a negative item_idx outside items.parquet (1..{n_items})",
            column=S.NEGATIVES,
        )
    ctx.add_rows(
        "candidates_excluded",
        rel,
        flat.filter(pl.col("negative") == pl.col(S.ITEM)),
        "give the positive itself as a negative",
        column=S.NEGATIVES,
    )
    source = (
        "interactions.parquet" if record.exclude == "all" else f"splits/{protocol}/train.parquet"
    )
    if _typed(ctx, source, S.USER, S.ITEM):
        pairs = ctx.scan(source).select(S.USER, pl.col(S.ITEM).alias("negative")).unique()
        ctx.add_rows(
            "candidates_excluded",
            rel,
            flat.join(pairs, on=[S.USER, "negative"], how="semi"),
            f"give a negative the user has in {source} (exclude: {record.exclude})",
            column=S.NEGATIVES,
        )
    if record.sampler in ("uniform", "popularity") and n_items is not None and short:
        _check_short_lists(ctx, rel, protocol, record, lists, source, n_items)


def _check_short_lists(
    ctx: _Context,
    rel: str,
    protocol: str,
    record: Any,
    lists: pl.LazyFrame,
    source: str,
    n_items: int,
) -> None:
    """A list shorter than n must hold every eligible item: its length is the eligible count."""
    from recdata.candidates import Rows, Sampler, exclusion, popularity_weights

    short = lists.filter(pl.col(S.NEGATIVES).list.len() < record.n).collect()
    n_users = _entity_count(ctx, "users.parquet", S.USER) or int(short[S.USER].max() or 0)
    excluded = exclusion(ctx.scan(source).select(S.USER, S.ITEM), n_items=n_items, n_users=n_users)
    weights = None
    if record.sampler == "popularity":
        train = ctx.scan(f"splits/{protocol}/train.parquet")
        weights = popularity_weights(train, n_items=n_items, alpha=record.alpha or 0.0)
    sampler = Sampler(n=record.n, exclusion=excluded, weights=weights, key=np.uint64(0))
    rows = Rows(
        short[S.INTERACTION].to_numpy(),
        short[S.USER].to_numpy().astype(np.int64),
        short[S.ITEM].to_numpy().astype(np.int64),
    )
    eligible = sampler.eligible(rows)
    lengths = short[S.NEGATIVES].list.len().to_numpy()
    wrong = np.flatnonzero(lengths != np.minimum(eligible, record.n))
    if len(wrong):
        ctx.add(
            "candidates_length",
            rel,
            f"{len(wrong):,} short list(s) do not hold every eligible item (a list is shorter than n only when fewer items are eligible)",
            column=S.NEGATIVES,
            count=len(wrong),
            examples=[
                {
                    S.INTERACTION: int(rows.ids[i]),
                    "length": int(lengths[i]),
                    "eligible": int(eligible[i]),
                }
                for i in wrong[:MAX_EXAMPLES]
            ],
        )


_CHECKS: list[Callable[[_Context], None]] = [
    _check_files,
    _check_checksums,
    _check_types,
    _check_sessions,
    _check_events,
    _check_impressions,
    _check_indices,
    _check_references,
    _check_splits,
    _check_graphs,
    _check_features,
    _check_candidates,
]

__all__ = ["ValidationReport", "Violation", "validate"]
