"""Is a dataset folder fit to read? One cheap check per file, and one translation of read errors.

Every reader of a folder goes through :func:`check_files` (called by ``load``): each table it
will scan must exist, have a readable Parquet footer and the required columns with their
canonical types (a file rewritten with the right schema is read; ``validate`` reports that its
checksum changed). A failure is a :class:`DatasetError` that names the file and the problem
and points at ``recdata validate``. Damage the footer cannot show (bytes changed in the middle
of a file) surfaces only while reading; :func:`reads_folder` turns such a polars/Arrow error
into the same one-line error, naming the file whose checksum no longer matches the manifest.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import ParamSpec, TypeVar

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from recdata import schema as S
from recdata.dataset.manifest import Manifest
from recdata.errors import DatasetError

P = ParamSpec("P")
R = TypeVar("R")
_READ_ERRORS = (pl.exceptions.PolarsError, pa.ArrowException, OSError)


def same_type(actual: pa.DataType, expected: pa.DataType) -> bool:
    """Whether a column of type ``actual`` satisfies ``expected`` (string ~ large_string, lists too)."""
    if actual.equals(expected):
        return True
    if actual == pa.large_string() and expected == pa.string():
        return True
    if pa.types.is_list(expected) and (pa.types.is_list(actual) or pa.types.is_large_list(actual)):
        return same_type(actual.value_type, expected.value_type)
    return False


_PART = re.compile(r"^(?P<table>.+)/part-\d{5}\.parquet$")


def required_schema(rel: str, manifest: Manifest) -> pa.Schema | None:
    """The columns a file of the folder must have, by its place in the folder (None: any);
    a part (``interactions/part-00000.parquet``) must have its table's."""
    part = _PART.match(rel)
    if part is not None:
        rel = f"{part.group('table')}.parquet"
    if rel == "interactions.parquet" or rel.startswith("splits/"):
        parts = rel.split("/")
        if rel.startswith("splits/") and parts[-1] not in (
            "train.parquet",
            "valid.parquet",
            "test.parquet",
        ):
            if parts[-1] in ("candidates-valid.parquet", "candidates-test.parquet"):
                return S.CANDIDATES
            return None  # other per-split files have their own schemas
        return S.INTERACTIONS
    if rel == "items.parquet":
        return S.ITEMS
    if rel == "users.parquet":
        return S.USERS
    if rel in manifest.graphs:
        return S.GRAPH
    record = manifest.features.get(rel)
    if record is not None and record.kind == "item_text":
        return S.ITEM_TEXT
    if record is not None and record.kind == "semantic_ids":
        return S.SEMANTIC_IDS
    if record is not None:
        return pa.schema([pa.field(S.ITEM, pa.int32())])
    return None


def _hint(folder: Path) -> str:
    return f"run `recdata validate {folder}` for a full report"


def _schema_problem(schema: pa.Schema, required: pa.Schema) -> str | None:
    for fld in required:
        if fld.name not in schema.names:
            return f"lacks required column {fld.name!r} (has {', '.join(schema.names) or 'none'})"
        got = schema.field(fld.name).type
        if not same_type(got, fld.type):
            return f"column {fld.name!r} has type {got}, expected {fld.type}"
    return None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def check_files(folder: Path, manifest: Manifest, rels: Iterable[str]) -> None:
    """Raise :class:`DatasetError` for the first of ``rels`` that cannot be read as recorded."""
    for rel in rels:
        file = folder / rel
        where = f"{folder.name}/{rel}" if folder.name else rel
        if not file.is_file():
            raise DatasetError(
                f"{where} is missing (manifest.json lists it); {_hint(folder)}", path=file
            )
        try:
            schema = pq.read_schema(file)
        except _READ_ERRORS as exc:
            raise DatasetError(
                f"{where} is not readable as Parquet ({_first_line(exc)}); {_hint(folder)}",
                path=file,
            ) from exc
        required = required_schema(rel, manifest)
        problem = _schema_problem(schema, required) if required is not None else None
        if (
            problem is None
            and rel in manifest.features
            and manifest.features[rel].kind not in ("item_text", "semantic_ids")
        ):
            dtype = schema.field("embedding").type if "embedding" in schema.names else None
            if dtype is None or not (
                pa.types.is_fixed_size_list(dtype) and dtype.value_type == pa.float32()
            ):
                problem = (
                    f"column 'embedding' has type {dtype}, expected fixed_size_list<float32>[d]"
                )
        if problem is not None:
            raise DatasetError(f"{where}: {problem}; {_hint(folder)}", path=file)


def changed_file(folder: Path, manifest: Manifest) -> str | None:
    """The first listed Parquet file whose bytes no longer match the manifest's sha256."""
    from recdata.dataset._folder import file_sha256

    for rel, record in sorted(manifest.files.items()):
        file = folder / rel
        if rel.endswith(".parquet") and file.is_file() and file_sha256(file) != record.sha256:
            return rel
    return None


def reads_folder(fn: Callable[P, R]) -> Callable[P, R]:
    """Decorate a function whose first argument is a dataset folder (path or ``Dataset``).

    A polars/Arrow/OS error raised inside becomes a :class:`DatasetError` naming the file when
    a file's bytes no longer match the manifest (the folder is damaged); any other error is not
    the folder's fault and propagates unchanged.
    """

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except _READ_ERRORS as exc:
            if not args:
                raise
            source = args[0]
            folder = getattr(source, "path", source)
            if not isinstance(folder, (str, Path)) or not Path(folder).is_dir():
                raise
            folder = Path(folder)
            rel = changed_file(folder, Manifest.read(folder))
            if rel is None:
                raise
            raise DatasetError(
                f"{folder.name}/{rel} does not match its sha256 in manifest.json, and reading it "
                f"failed ({type(exc).__name__}: {_first_line(exc)}); {_hint(folder)}",
                path=folder / rel,
            ) from exc

    return wrapper
