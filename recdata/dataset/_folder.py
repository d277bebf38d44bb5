"""Write a dataset folder atomically and deterministically; open one lazily with ``load``."""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
from collections.abc import Callable, Mapping
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


def file_sha256(path: Path, chunk: int = 1 << 22) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


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


def write_parquet(table: pa.Table, path: Path) -> None:
    """One zstd Parquet file with fixed settings, so equal tables give equal bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(
        table,
        path,
        compression="zstd",
        compression_level=3,
        row_group_size=_ROW_GROUP,
        use_dictionary=True,
        write_statistics=True,
        store_schema=True,
    )


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


def _tables_to_files(tables: DatasetTables) -> dict[str, pa.Table]:
    """Relative path -> conformed Arrow table, for every table of the folder."""
    files: dict[str, pa.Table] = {
        "interactions.parquet": _conform(tables.interactions, S.INTERACTIONS, "interactions"),
        "items.parquet": _conform(tables.items, S.ITEMS, "items"),
        "users.parquet": _conform(tables.users, S.USERS, "users"),
    }
    for protocol, parts in tables.splits.items():
        unknown = set(parts) - set(SPLIT_PARTS)
        if unknown:
            raise UsageError(
                f"split {protocol!r}: unknown part(s) {sorted(unknown)}; use train/valid/test"
            )
        for part in SPLIT_PARTS:
            if part in parts:
                files[f"splits/{protocol}/{part}.parquet"] = _conform(
                    parts[part], S.INTERACTIONS, f"split {protocol}/{part}"
                )
    for key, frame in tables.features.items():
        files[f"features/{key}.parquet"] = _feature_table(key, frame)
    for key, frame in tables.graphs.items():
        files[f"graphs/{key}.parquet"] = _conform(frame, S.GRAPH, f"graph {key}").select(
            S.GRAPH.names
        )
    for protocol, parts in tables.candidates.items():
        for part, frame in parts.items():
            rel = f"splits/{protocol}/candidates-{part}"
            files[f"{rel}.parquet"] = _candidates_table(rel, frame)
    return files


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
        return _conform(frame, S.ITEM_TEXT, "features/item_text").select(S.ITEM_TEXT.names)
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


def _record(path: Path, rows: int | None) -> FileRecord:
    return FileRecord(sha256=file_sha256(path), bytes=path.stat().st_size, rows=rows)


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
        tables[rel] = _record(tmp / rel, None)
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

    Besides the tables it writes ``README.md`` (dataset card) and ``croissant.json``, both
    listed in the manifest with their checksums.
    """
    out = Path(out)
    check_target(out, overwrite=overwrite, protect=protect)
    files = _tables_to_files(tables)
    with atomic_folder(out, overwrite=overwrite, protect=protect) as tmp:
        records: dict[str, FileRecord] = {}
        for rel, table in sorted(files.items()):
            write_parquet(table, tmp / rel)
            records[rel] = _record(tmp / rel, table.num_rows)
        _finish(tmp, manifest.model_copy(update={"files": records}))
        if build_log is not None:
            (tmp / BUILD_LOG).write_text(build_log, encoding="utf-8")
    log.info("wrote %s (%d files)", out.name, len(files))
    return out


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
            write_parquet(table, target)
            records[rel] = _record(target, table.num_rows)
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

    def split(self, name: str | None = None) -> SplitFrames:
        """One split protocol by name; the manifest's default split when ``name`` is None."""
        name = name or self.manifest.default_split or next(iter(self.splits), None)
        if name is None or name not in self.splits:
            known = ", ".join(self.splits) or "none"
            raise UsageError(f"{self.path.name} has no split {name!r}; splits: {known}")
        return self.splits[name]


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
    check_files(folder, manifest, table_files(manifest))

    def scan(rel: str) -> pl.LazyFrame:
        return pl.scan_parquet(folder / rel)

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


def table_files(manifest: Manifest) -> list[str]:
    """Every Parquet file ``load`` scans: the three tables, each split part, features, graphs
    and candidate lists."""
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
    return rels + _listed(manifest, "features/") + _listed(manifest, "graphs/")
