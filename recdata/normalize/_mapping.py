"""Map raw columns into the canonical schema: which raw field becomes ``user_id``, ``title``...

A recipe's ``interactions:``, ``items:``, ``users:`` and ``item_tags:`` sections are
:class:`TableSpec` objects: which source (and archive member) to read, with which reader and
options, and a :class:`FieldSpec` per output column. The mapping is a single polars ``select``
over the reader's frame: no Python loops over rows.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from recdata._types import OnBadLine, TimeUnit
from recdata.errors import ReadError, RecipeError
from recdata.normalize._clean import clean_html, clean_html_list
from recdata.schema import POLARS_TIMESTAMP

log = logging.getLogger("recdata.normalize")

DType = Literal["string", "int32", "int64", "float32", "float64", "bool"]
_DTYPES: dict[str, pl.DataType] = {
    "string": pl.String(),
    "int32": pl.Int32(),
    "int64": pl.Int64(),
    "float32": pl.Float32(),
    "float64": pl.Float64(),
    "bool": pl.Boolean(),
}
Clean = Literal["html"]
ReaderFormat = Literal[
    "delimited", "csv", "tsv", "jsonl", "json_lines", "python_literal", "parquet"
]

# canonical output columns and the type each is cast to (None: the timestamp rule applies)
CANONICAL_TYPES: dict[str, pl.DataType | None] = {
    "user_id": None,
    "item_id": None,
    "timestamp": None,
    "rating": pl.Float32(),
    "session_id": pl.String(),
    "event": pl.String(),
    "impressions": pl.List(pl.String()),
    "title": pl.String(),
    "description": pl.String(),
    "brand": pl.String(),
    "price": pl.Float64(),
    "categories": pl.List(pl.String()),
    "image_urls": pl.List(pl.String()),
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "interactions": ("user_id", "item_id"),
    "items": ("item_id",),
    "users": ("user_id",),
    "item_tags": ("item_id", "tag"),
    "social": ("user_id", "friend_id"),
}
"""Output columns each kind of table must map."""

_PRICE = r"(\d+(?:\.\d+)?)"


class FieldSpec(BaseModel):
    """How one output column is computed from the raw columns (applied in the order listed).

    A plain string in YAML is shorthand for ``{column: <string>}``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    column: str | list[str] | None = None
    """The raw column (after the reader; delimited files name them in ``options.columns``), or
    a list of alternatives: the first non-null, non-empty one of each row wins (columns absent
    from a file are skipped), so every published version of a file maps fully."""
    flags: list[str] | None = None
    """Instead of ``column``: raw 0/1 columns; the value is the list of those set to 1 (MovieLens genres)."""
    value: str | float | int | bool | None = None
    """Instead of ``column``: a constant (e.g. a domain name)."""
    regex: str | None = None
    """Keep the first capture group of this regex (null when it does not match)."""
    strip: bool = False
    """Strip surrounding whitespace of strings."""
    zfill: int | None = Field(default=None, ge=1)
    """Left-pad the value (as a string) with zeros to this width (Tmall ``time_stamp`` 511 -> 0511)."""
    prefix: str | None = None
    """Prepend this literal to the value (as a string), e.g. a year before a ``mmdd`` date."""
    split: str | None = None
    """Split a string into a list at this literal separator (elements stripped, empties dropped)."""
    element_regex: str | None = None
    """After ``split``: keep each element's first capture group; elements that do not match are
    dropped (MIND ``N123-1`` -> ``N123`` with ``^(N\\d+)-1$`` keeps clicked news only)."""
    as_list: bool = False
    """Wrap a scalar into a one-element list (null stays null)."""
    struct_field: str | None = None
    """Take this field of each struct of a list (Amazon 2023 ``images`` -> ``large``)."""
    flatten: bool = False
    """Flatten a list of lists into one list (Amazon 2014 ``categories``)."""
    unique: bool = False
    """Drop repeated list elements, keeping the first occurrence."""
    clean: Clean | None = None
    """``html``: strip tags, decode entities, collapse whitespace (each list element alike);
    a value left empty becomes null. Counts of values changed go into the manifest."""
    join: str | None = None
    """Join a list of strings into one string with this separator."""
    price: bool = False
    """Read a price such as ``"$1,299.00"`` or ``"$5 - $9"`` as its first number (else null)."""
    null_if: list[str] = Field(default_factory=list)
    """String values that mean missing (compared after ``strip``)."""
    values: dict[str, str] | None = None
    """Replace whole values (compared as strings; unlisted values are kept as they are), e.g.
    Tmall ``action_type`` 0-3 -> ``click``/``cart``/``order``/``favourite``."""
    dtype: DType | None = None
    """Cast the result to this type at the end."""
    unit: TimeUnit | None = None
    """``timestamp`` only: epoch unit (``s``, ``ms``...) or ``date``/``datetime`` for strings."""
    format: str | None = None
    """``timestamp`` only: strptime-style format for ``date``/``datetime`` strings."""

    @model_validator(mode="after")
    def _one_origin(self) -> FieldSpec:
        origins = [self.column is not None, self.flags is not None, self.value is not None]
        if sum(origins) != 1:
            raise ValueError("give exactly one of column, flags or value")
        return self

    @field_validator("column")
    @classmethod
    def _alternatives(cls, value: Any) -> Any:
        if isinstance(value, list) and not value:
            raise ValueError("column: give at least one column name")
        return value

    def raw_columns(self) -> list[str]:
        """Raw columns this field reads."""
        if self.column is not None:
            return [self.column] if isinstance(self.column, str) else list(self.column)
        return list(self.flags or [])


def _field(value: Any) -> Any:
    return {"column": value} if isinstance(value, str) else value


class ReaderOptions(BaseModel):
    """Options of the delimited reader (JSON and Python-literal readers take none)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sep: str | None = None
    """Field separator (any length, e.g. ``::``); csv/tsv preset it."""
    columns: list[str] | None = None
    """Column names, in file order (replace a header's names when ``has_header``)."""
    has_header: bool = False
    """The first line (after ``skip_rows``) names the columns."""
    encoding: str = "utf8"
    """Text encoding (``latin-1`` for MovieLens ``u.item``)."""
    dtypes: dict[str, str] | None = None
    """Raw column -> type (``str``, ``int64``, ``float64``...); others are inferred."""
    skip_rows: int = Field(default=0, ge=0)
    """Lines dropped before the header or first row."""
    quote_char: str | None = "auto"
    """``'"'`` for quoted CSV, null for none; ``auto``: quoted when ``sep`` is ``,``."""
    null_values: list[str] | None = None
    """Field values read as null besides the empty string."""


class FileRef(BaseModel):
    """Another file of a table: a source and, for archives, a member."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str
    """Name of the recipe source holding the file."""
    member: str | None = None
    """Path inside the source's archive (for zip/tar sources)."""


class TableSpec(BaseModel):
    """One raw table: where it comes from, how it is read, how its columns map."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str
    """Name of the recipe source holding the file."""
    member: str | None = None
    """Path inside the source's archive (for zip/tar sources)."""
    format: ReaderFormat
    """Reader: ``delimited``/``csv``/``tsv``, ``jsonl``, ``python_literal``."""
    options: ReaderOptions = Field(default_factory=ReaderOptions)
    """Reader options (delimited formats only)."""
    on_bad_line: OnBadLine = "error"
    """A malformed line: ``error`` (stop, naming file and line) or ``skip`` (count it)."""
    fields: dict[str, FieldSpec]
    """Output column -> how it is computed. Canonical names get canonical types; others are extras."""
    explode: list[str] = Field(default_factory=list)
    """Output list columns turned into one row per element, together (equal lengths per row):
    OTTO's ``events`` (``aid``, ``ts``, ``type``), MIND's clicked news."""
    also: list[FileRef] = Field(default_factory=list)
    """Further files in the same format and mapping, appended in order (MIND train + dev)."""

    @field_validator("fields", mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: _field(v) for k, v in value.items()}
        return value

    @model_validator(mode="after")
    def _check(self) -> TableSpec:
        delimited = self.format in ("delimited", "csv", "tsv")
        if not delimited and self.options != ReaderOptions():
            raise ValueError(f"options apply to delimited formats only, not {self.format}")
        unknown = [c for c in self.explode if c not in self.fields]
        if unknown:
            raise ValueError(f"explode names column(s) {unknown} that fields do not map")
        if self.format == "delimited" and self.options.sep is None:
            raise ValueError("format delimited needs options.sep")
        ts = self.fields.get("timestamp")
        if ts is not None and ts.unit is None and ts.value is None:
            raise ValueError("fields.timestamp needs a unit (s, ms, us, ns, date or datetime)")
        if self.options.columns is not None and not self.options.has_header:
            missing = sorted(
                {c for f in self.fields.values() for c in f.raw_columns()}
                - set(self.options.columns)
            )
            if missing:
                raise ValueError(
                    f"fields read column(s) {missing} that options.columns does not name"
                )
        return self

    lookup: LookupSpec | None = None
    """A second table of the same kind of source whose (``key``, ``value``) rows translate one
    output column (Last.fm tag ids -> tag names)."""

    def raw_columns(self) -> list[str]:
        """Every raw column the fields read, in first-use order."""
        seen: dict[str, None] = {}
        for spec in self.fields.values():
            for c in spec.raw_columns():
                seen.setdefault(c, None)
        return list(seen)

    def check_kind(self, kind: str) -> None:
        """Raise ValueError when a required output column of ``kind`` is not mapped
        (interactions may map ``session_id`` instead of ``user_id``: each session is a user)."""
        required = REQUIRED[kind]
        if kind == "interactions" and "session_id" in self.fields:
            required = tuple(c for c in required if c != "user_id")
        missing = [c for c in required if c not in self.fields]
        if missing:
            raise ValueError(f"{kind}: fields must map {missing}")


class LookupSpec(TableSpec):
    """A (``key``, ``value``) table: values of output column ``column`` equal to a key become its value."""

    column: str
    """The output column of the main table to translate (ids without a match are kept)."""

    @model_validator(mode="after")
    def _key_value(self) -> LookupSpec:
        missing = [c for c in ("key", "value") if c not in self.fields]
        if missing:
            raise ValueError(f"lookup: fields must map {missing}")
        return self


TableSpec.model_rebuild()


def apply_lookup(frame: pl.DataFrame, spec: LookupSpec, table: pl.DataFrame) -> pl.DataFrame:
    """Replace ``frame[spec.column]`` values by the lookup table's values (unmatched ones kept)."""
    if spec.column not in frame.columns:
        raise RecipeError(
            f"lookup.column {spec.column!r} is not an output column ({frame.columns})"
        )
    pairs = first_per_key(
        table.select(pl.col("key").cast(pl.String), pl.col("value").cast(pl.String)), "key"
    )
    column = pl.col(spec.column).cast(pl.String)
    return frame.with_columns(
        pl.coalesce(
            column.replace_strict(pairs["key"], pairs["value"], default=None), column
        ).alias(spec.column)
    )


# --------------------------------------------------------------------------- reading


def read_table(spec: TableSpec, path: Any) -> tuple[pl.DataFrame, int]:
    """Read the raw file of ``spec``; returns the raw frame and the number of bad lines skipped."""
    result = read_raw(spec, path)
    return result.frame.collect(), result.bad_lines


DELIMITED = ("delimited", "csv", "tsv")


def reader_options(spec: TableSpec) -> dict[str, Any]:
    """The delimited reader's keyword arguments for ``spec`` (``{}`` for other formats)."""
    if spec.format not in DELIMITED:
        return {}
    opts = spec.options.model_dump(exclude_none=True)
    if opts.get("quote_char") == "auto":
        opts.pop("quote_char")
    if spec.options.quote_char is None:
        opts["quote_char"] = None
    return opts


def read_raw(spec: TableSpec, path: Any, **overrides: Any) -> Any:
    """The reader's :class:`~recdata.normalize._readers.ReadResult` for ``spec``'s file;
    ``overrides`` replace reader options (the Spark engine's tasks pass a run of the file's
    lines as ``data`` with its ``line_offset``, the column names and types)."""
    from recdata.normalize._readers import READERS

    reader = READERS[spec.format]
    if spec.format in DELIMITED:
        return reader(
            path, **{"on_bad_line": spec.on_bad_line, **reader_options(spec), **overrides}
        )
    defaults = {"fields": spec.raw_columns(), "on_bad_line": spec.on_bad_line}
    return reader(path, **{**defaults, **overrides})


# --------------------------------------------------------------------------- mapping


def _is_list(dtype: pl.DataType) -> bool:
    return isinstance(dtype, pl.List | pl.Array)


def _strings(expr: pl.Expr, dtype: pl.DataType) -> tuple[pl.Expr, pl.DataType]:
    """Cast a non-string scalar to String (numbers parsed from JSON, ints from CSV)."""
    if dtype == pl.String or _is_list(dtype) or isinstance(dtype, pl.Struct):
        return expr, dtype
    return expr.cast(pl.String), pl.String()


def _present(expr: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """``expr`` with empty strings and empty lists as null (for choosing among alternatives)."""
    if dtype == pl.String:
        return pl.when(expr.str.len_chars() > 0).then(expr)
    if _is_list(dtype):
        return pl.when(expr.list.len() > 0).then(expr)
    return expr


def _column(
    name: str, spec: FieldSpec, schema: pl.Schema, all_null: frozenset[str]
) -> tuple[pl.Expr, pl.DataType]:
    """The raw column of a field, or the row-wise first present value among its alternatives."""
    assert spec.column is not None
    if isinstance(spec.column, str):
        if spec.column not in schema:
            raise RecipeError(
                f"field {name!r}: column {spec.column!r} is not in the file (has {list(schema)})"
            )
        return pl.col(spec.column), schema[spec.column]
    found = [c for c in spec.column if c in schema]
    if not found:
        raise RecipeError(
            f"field {name!r}: none of the columns {spec.column} is in the file (has {list(schema)})"
        )
    usable = [c for c in found if c not in all_null] or found[:1]
    dtype = schema[usable[0]]
    if len(usable) == 1:
        return _present(pl.col(usable[0]), dtype), dtype
    return pl.coalesce([_present(pl.col(c).cast(dtype), dtype) for c in usable]), dtype


def field_expr(
    name: str, spec: FieldSpec, schema: pl.Schema, *, all_null: frozenset[str] = frozenset()
) -> pl.Expr:
    """The polars expression computing output column ``name`` from a frame of ``schema``.

    ``all_null`` names raw columns without a single value (a field absent from the file);
    they are skipped among a field's alternatives.
    """
    if spec.value is not None:
        return pl.lit(spec.value).alias(name)
    if spec.flags is not None:
        missing = [c for c in spec.flags if c not in schema]
        if missing:
            raise RecipeError(f"field {name!r}: flag column(s) {missing} are not in the file")
        expr = pl.concat_list(
            [
                pl.when(pl.col(c).cast(pl.Int64) == 1).then(pl.lit(c)).otherwise(None)
                for c in spec.flags
            ]
        ).list.drop_nulls()
        dtype: pl.DataType = pl.List(pl.String())
    else:
        expr, dtype = _column(name, spec, schema, all_null)
    if dtype == pl.Null:
        expr, dtype = expr.cast(pl.String), pl.String()
    if spec.regex is not None:
        expr, dtype = _strings(expr, dtype)
        expr = expr.str.extract(spec.regex, 1)
    if spec.strip and dtype == pl.String:
        expr = expr.str.strip_chars()
    if spec.null_if and dtype == pl.String:
        expr = pl.when(expr.is_in(spec.null_if)).then(None).otherwise(expr)
    if spec.zfill is not None:
        expr, dtype = _strings(expr, dtype)
        expr = expr.str.zfill(spec.zfill)
    if spec.prefix is not None:
        expr, dtype = _strings(expr, dtype)
        expr = pl.lit(spec.prefix) + expr
    if spec.split is not None:
        expr, dtype = _strings(expr, dtype)
        if dtype == pl.String:
            expr = (
                expr.str.split(spec.split)
                .list.eval(pl.element().str.strip_chars())
                .list.eval(pl.element().filter(pl.element() != ""))
            )
            dtype = pl.List(pl.String())
    if spec.element_regex is not None and _is_list(dtype):
        expr = expr.list.eval(
            pl.element().cast(pl.String).str.extract(spec.element_regex, 1)
        ).list.drop_nulls()
        dtype = pl.List(pl.String())
    if spec.as_list and not _is_list(dtype):
        expr = pl.when(expr.is_null()).then(None).otherwise(pl.concat_list(expr))
        dtype = pl.List(dtype)
    if spec.struct_field is not None and _is_list(dtype) and isinstance(dtype.inner, pl.Struct):
        expr = expr.list.eval(pl.element().struct.field(spec.struct_field))
        dtype = pl.List(pl.String())
    if spec.flatten and _is_list(dtype) and _is_list(dtype.inner):
        expr = expr.list.eval(pl.element().explode())
        dtype = dtype.inner
    if spec.clean == "html":
        expr, dtype = _strings(expr, dtype)
        if dtype == pl.String:
            expr = clean_html(expr)
        elif _is_list(dtype) and dtype.inner in (pl.String, pl.Null):
            expr = clean_html_list(expr.cast(pl.List(pl.String)))
            dtype = pl.List(pl.String())
        else:
            raise RecipeError(f"field {name!r}: clean: html needs strings, got {dtype}")
    if spec.unique and _is_list(dtype):
        expr = expr.list.unique(maintain_order=True)
    if spec.join is not None and _is_list(dtype):
        expr = expr.list.eval(pl.element().cast(pl.String)).list.join(spec.join)
        expr = pl.when(expr == "").then(None).otherwise(expr)
        dtype = pl.String()
    if spec.price:
        if dtype == pl.String:
            expr = (
                expr.str.replace_all(",", "", literal=True).str.extract(_PRICE, 1).cast(pl.Float64)
            )
        else:
            expr = expr.cast(pl.Float64, strict=False)
        dtype = pl.Float64()
    if spec.values is not None:
        old, new = list(spec.values), list(spec.values.values())
        if _is_list(dtype):
            expr = expr.list.eval(pl.element().cast(pl.String).replace(old, new))
            dtype = pl.List(pl.String())
        else:
            expr, dtype = _strings(expr, dtype)
            expr = expr.replace(old, new)
    if spec.dtype is not None:
        expr = expr.cast(_DTYPES[spec.dtype], strict=False)
    return expr.alias(name)


def _conform_canonical(out: pl.DataFrame) -> pl.DataFrame:
    """Cast canonical columns to their types; a scalar where a list is expected becomes a 1-list."""
    fixes = []
    for name, target in CANONICAL_TYPES.items():
        if target is None or name not in out.columns:
            continue
        dtype = out.schema[name]
        col = pl.col(name)
        if isinstance(target, pl.List):
            if _is_list(dtype):
                fixes.append(col.cast(target, strict=False))
            elif out[name].null_count() == out.height:
                fixes.append(pl.lit(None, dtype=target).alias(name))
            else:
                fixes.append(
                    pl.when(col.is_null())
                    .then(None)
                    .otherwise(pl.concat_list(col.cast(pl.String)))
                    .alias(name)
                )
        elif dtype != target:
            if _is_list(dtype) or isinstance(dtype, pl.Struct):
                raise RecipeError(
                    f"field {name!r} is a {dtype}, expected {target}; add join: or struct_field:"
                )
            fixes.append(col.cast(target, strict=False))
    return out.with_columns(fixes) if fixes else out


def map_table(frame: pl.DataFrame, spec: TableSpec, *, path: Any = None) -> pl.DataFrame:
    """Apply the field mapping: one column per ``spec.fields`` entry, in the order declared.

    ``user_id``/``item_id`` keep integer ids as integers (so ``raw_id`` order is numeric) and
    are cast to strings otherwise; ``timestamp`` becomes ``Datetime("ms", "UTC")``.
    """
    return map_table_report(frame, spec, path=path)[0]


def alternative_columns(spec: TableSpec) -> set[str]:
    """Raw columns named among a field's alternatives (``column: [a, b]``)."""
    return {c for f in spec.fields.values() if isinstance(f.column, list) for c in f.column}


def empty_alternatives(spec: TableSpec, frame: pl.DataFrame) -> frozenset[str]:
    """Alternative columns of ``frame`` without a single value (the mapping skips them)."""
    return frozenset(
        c
        for c in alternative_columns(spec)
        if c in frame.columns and frame[c].null_count() == frame.height
    )


def map_table_report(
    frame: pl.DataFrame,
    spec: TableSpec,
    *,
    path: Any = None,
    all_null: frozenset[str] | None = None,
) -> tuple[pl.DataFrame, dict[str, dict[str, Any]]]:
    """:func:`map_table` plus, per field with ``clean:``, the values it changed and nulled.

    The counts are ``{field: {"clean": "html", "values": non-null before, "changed": n,
    "nulled": n}}``, for the manifest (``statistics.normalisations``). ``all_null``: the
    alternative columns without a value in the whole file, when ``frame`` is a part of it.
    """
    from recdata.transforms import to_timestamp

    schema = frame.schema
    if all_null is None:
        all_null = empty_alternatives(spec, frame)
    exprs = []
    raw_exprs = []
    for name, field in spec.fields.items():
        expr = field_expr(name, field, schema, all_null=all_null)
        if name in ("user_id", "item_id", "tag", "friend_id") and name not in spec.explode:
            first = field.raw_columns()[0] if field.column is not None else None
            dtype = schema.get(first) if first else None
            if field.dtype is None and (dtype is None or not dtype.is_integer()):
                expr = expr.cast(pl.String)
        elif name in ("session_id", "event") and name not in spec.explode:
            expr = expr.cast(pl.String)
        exprs.append(expr)
        if field.clean is not None:
            raw = field.model_copy(update={"clean": None})
            raw_exprs.append(field_expr(f"{name}::raw", raw, schema, all_null=all_null))
    try:
        out = frame.select(exprs + raw_exprs)
        if spec.explode:
            raws = [f"{c}::raw" for c in spec.explode if f"{c}::raw" in out.columns]
            out = out.explode([*spec.explode, *raws])
            ids = [c for c in ("user_id", "item_id") if c in spec.explode]
            strings = [c for c in ("session_id", "event") if c in spec.explode]
            out = out.with_columns(
                pl.col(c).cast(pl.String)
                for c in ids + strings
                if c in strings or (spec.fields[c].dtype is None and not out.schema[c].is_integer())
            )
    except pl.exceptions.PolarsError as exc:
        raise ReadError(
            f"{path or spec.source}: cannot map fields: {str(exc).splitlines()[0]}", path=path
        ) from exc
    report = _clean_counts(out, spec)
    out = _conform_canonical(out.select(list(spec.fields)))
    ts = spec.fields.get("timestamp")
    if ts is not None:
        if out.schema["timestamp"] == pl.Null:
            out = out.with_columns(pl.lit(None, dtype=POLARS_TIMESTAMP).alias("timestamp"))
        else:
            try:
                out = to_timestamp(
                    out.lazy(), column="timestamp", unit=ts.unit or "s", format=ts.format
                ).collect()
            except pl.exceptions.PolarsError as exc:
                raise ReadError(
                    f"{path or spec.source}: cannot read timestamps ({ts.column}, unit {ts.unit}): "
                    f"{str(exc).splitlines()[0]}",
                    path=path,
                ) from exc
    return out, report


def _clean_counts(out: pl.DataFrame, spec: TableSpec) -> dict[str, dict[str, Any]]:
    """Per cleaned field: non-null values before cleaning, values changed, values nulled."""
    names = [n for n, f in spec.fields.items() if f.clean is not None]
    if not names:
        return {}
    aggs = []
    for name in names:
        before, after = pl.col(f"{name}::raw"), pl.col(name)
        aggs += [
            before.is_not_null().sum().alias(f"{name}::values"),
            (before.is_not_null() & before.ne_missing(after)).sum().alias(f"{name}::changed"),
            (before.is_not_null() & after.is_null()).sum().alias(f"{name}::nulled"),
        ]
    row = out.select(aggs).row(0, named=True)
    return {
        name: {
            "clean": spec.fields[name].clean,
            "values": int(row[f"{name}::values"]),
            "changed": int(row[f"{name}::changed"]),
            "nulled": int(row[f"{name}::nulled"]),
        }
        for name in names
    }


def interactions_frame(mapped: pl.DataFrame, spec: TableSpec) -> tuple[pl.DataFrame, int]:
    """Mapped interactions in canonical column order, a session standing for its user where
    the source has no users, rows without a user or item id dropped (and counted)."""
    if "session_id" in spec.fields and "user_id" not in spec.fields:
        mapped = mapped.with_columns(pl.col("session_id").alias("user_id"))
    frame = canonical_interactions(mapped)
    keyed = frame.filter(pl.col("user_id").is_not_null() & pl.col("item_id").is_not_null())
    return keyed, frame.height - keyed.height


def add_clean_counts(total: dict[str, dict[str, Any]], cleaned: dict[str, dict[str, Any]]) -> None:
    """Add one part's ``clean:`` counts (:func:`map_table_report`) into ``total``: a table read
    from several files, or a file read in chunks, sums them."""
    for name, counts in cleaned.items():
        if name not in total:
            total[name] = dict(counts)
            continue
        for key in ("values", "changed", "nulled"):
            total[name][key] += counts[key]


def canonical_interactions(frame: pl.DataFrame) -> pl.DataFrame:
    """Interactions with ``user_id``, ``item_id``, ``timestamp``, ``rating`` first (missing -> null)."""
    add = []
    if "timestamp" not in frame.columns:
        add.append(pl.lit(None, dtype=POLARS_TIMESTAMP).alias("timestamp"))
    if "rating" not in frame.columns:
        add.append(pl.lit(None, dtype=pl.Float32).alias("rating"))
    if add:
        frame = frame.with_columns(add)
    head = ["user_id", "item_id", "timestamp", "rating"]
    return frame.select(head + [c for c in frame.columns if c not in head])


def first_per_key(frame: pl.DataFrame, key: str) -> pl.DataFrame:
    """One row per ``key`` (the first in file order), ids as strings, null keys dropped."""
    frame = frame.with_columns(pl.col(key).cast(pl.String)).filter(pl.col(key).is_not_null())
    return frame.unique(subset=[key], keep="first", maintain_order=True)


def aggregate_tags(frame: pl.DataFrame) -> pl.DataFrame:
    """``item_id`` -> ``tags`` list (distinct, in file order of first use)."""
    return (
        frame.with_columns(pl.col("item_id").cast(pl.String), pl.col("tag").cast(pl.String))
        .filter(pl.col("item_id").is_not_null() & pl.col("tag").is_not_null())
        .group_by("item_id", maintain_order=True)
        .agg(pl.col("tag").unique(maintain_order=True).alias("tags"))
    )


def social_edges(frame: pl.DataFrame, user_map: pl.DataFrame) -> pl.DataFrame:
    """(src, dst, weight=1) edges between kept users, by ``user_idx``; self-loops and repeats dropped."""
    ids = user_map.select(pl.col("user_id").cast(pl.String), pl.col("user_idx"))
    edges = frame.select(
        pl.col("user_id").cast(pl.String), pl.col("friend_id").cast(pl.String).alias("friend")
    )
    edges = edges.join(ids, on="user_id", how="inner").join(
        ids.rename({"user_id": "friend", "user_idx": "dst"}), on="friend", how="inner"
    )
    return (
        edges.select(pl.col("user_idx").alias("src"), "dst")
        .filter(pl.col("src") != pl.col("dst"))
        .unique()
        .sort("src", "dst")
        .with_columns(pl.lit(1.0, dtype=pl.Float32).alias("weight"))
    )


__all__ = [
    "CANONICAL_TYPES",
    "add_clean_counts",
    "REQUIRED",
    "FieldSpec",
    "FileRef",
    "ReaderOptions",
    "LookupSpec",
    "TableSpec",
    "aggregate_tags",
    "apply_lookup",
    "canonical_interactions",
    "field_expr",
    "first_per_key",
    "interactions_frame",
    "map_table",
    "map_table_report",
    "read_table",
    "social_edges",
]
