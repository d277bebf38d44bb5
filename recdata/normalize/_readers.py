"""Readers for the raw formats of the catalog: delimited text, JSON lines and Python-literal lines.

Each reader returns a :class:`ReadResult` whose frame holds exactly the file's columns, rows in
file order, built by polars without Python loops over rows (the error paths, which locate the bad
lines, and the ``ast.literal_eval`` fallback of rare Python-literal lines are the exceptions).
Gzip is handled transparently; a malformed line raises :class:`~recdata.errors.ReadError` naming
file and line, or with ``on_bad_line="skip"`` is dropped and counted in ``bad_lines``.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import polars as pl

from recdata._types import OnBadLine
from recdata.errors import ReadError, UsageError
from recdata.normalize._pyliteral import literal_to_json, translate_lines
from recdata.normalize._text import LINE, LINENO, decode_text, read_text_bytes, split_lines

log = logging.getLogger("recdata.normalize")

_DTYPE_NAMES: dict[str, pl.DataType] = {
    "str": pl.String(),
    "string": pl.String(),
    "utf8": pl.String(),
    "int": pl.Int64(),
    "int32": pl.Int32(),
    "int64": pl.Int64(),
    "float": pl.Float64(),
    "float32": pl.Float32(),
    "float64": pl.Float64(),
    "bool": pl.Boolean(),
}
_AUTO = object()


@dataclass(frozen=True)
class ReadResult:
    """A parsed raw file: the frame (rows in file order), how many bad lines were skipped, the path."""

    frame: pl.LazyFrame
    bad_lines: int
    path: Path
    tolerant: bool = False
    """JSON only: some key's values had types polars could not unify, so the frame was built
    by merging the schemas of parts of the file (conflicting keys read as text)."""


def _dtype(spec: Any) -> pl.DataType:
    if isinstance(spec, str):
        try:
            return _DTYPE_NAMES[spec.lower()]
        except KeyError:
            raise UsageError(
                f"unknown dtype {spec!r}; use one of {sorted(_DTYPE_NAMES)} or a polars dtype"
            ) from None
    if isinstance(spec, pl.DataType) or (isinstance(spec, type) and issubclass(spec, pl.DataType)):
        return spec() if isinstance(spec, type) else spec
    raise UsageError(f"unknown dtype {spec!r}")


def _check_policy(on_bad_line: str) -> None:
    if on_bad_line not in ("error", "skip"):
        raise UsageError(f"on_bad_line must be 'error' or 'skip', got {on_bad_line!r}")


def _bad(path: Path, lineno: int, what: str) -> ReadError:
    return ReadError(
        f"{path}: line {lineno}: {what} (set on_bad_line: skip to drop such lines)",
        path=path,
    )


# --------------------------------------------------------------------------- delimited text


def _infer_column(s: pl.Series) -> pl.Series:
    """Int64 if every value is an integer written canonically, else Float64, else String.

    Values with leading zeros (ISBN-like ids such as ``0205616461``) keep their text: a cast
    that would lose characters is never inferred.
    """
    if s.dtype != pl.String:
        return s
    as_int = s.cast(pl.Int64, strict=False)
    if as_int.null_count() == s.null_count() and (as_int.cast(pl.String) == s).all():
        return as_int
    as_float = s.cast(pl.Float64, strict=False)
    if as_float.null_count() == s.null_count() and not s.str.contains(r"^[+-]?0\d").any():
        return as_float
    return s


def _cast_columns(
    frame: pl.DataFrame,
    dtypes: Mapping[str, Any] | None,
    linenos: pl.Series,
    path: Path,
    on_bad_line: str,
) -> tuple[pl.DataFrame, int]:
    """Cast String columns to ``dtypes`` (or inferred types); unparsable values are bad lines."""
    dtypes = dtypes or {}
    unknown = set(dtypes) - set(frame.columns)
    if unknown:
        raise UsageError(f"{path}: dtypes name columns the file lacks: {sorted(unknown)}")
    bad = pl.Series([False] * frame.height, dtype=pl.Boolean)
    cols = {}
    for name in frame.columns:
        s = frame[name]
        if name not in dtypes:
            cols[name] = _infer_column(s)
            continue
        target = _dtype(dtypes[name])
        cast = s.cast(target, strict=False) if s.dtype == pl.String else s.cast(target)
        failed = cast.is_null() & s.is_not_null()
        if failed.any():
            if on_bad_line == "error":
                idx = failed.arg_true()[0]
                raise _bad(
                    path,
                    int(linenos[idx]),
                    f"column {name!r}: cannot read {s[idx]!r} as {target}",
                )
            bad = bad | failed
        cols[name] = cast
    out = pl.DataFrame(cols)
    n_bad = int(bad.sum())
    if n_bad:
        out = out.filter(~bad)
    return out, n_bad


def _read_unquoted(
    data: bytes,
    path: Path,
    *,
    sep: str,
    columns: list[str] | None,
    has_header: bool,
    skip_rows: int,
    on_bad_line: str,
    null_values: list[str],
    line_offset: int = 0,
    record_offset: int = 0,
) -> tuple[pl.DataFrame, pl.Series, int]:
    lines = split_lines(data, path=path, line_offset=line_offset).slice(skip_rows).drop_nulls(LINE)
    names = columns
    if has_header:
        if lines.height == 0:
            raise ReadError(f"{path}: empty file, expected a header line", path=path)
        header = lines[LINE][0].split(sep)
        lines = lines.slice(1)
        if names is None:
            names = header
        elif len(names) != len(header):
            raise ReadError(
                f"{path}: header has {len(header)} fields {header}, "
                f"but {len(names)} column names were given",
                path=path,
            )
    if names is None:
        first = lines[LINE][0] if lines.height else ""
        names = [f"column_{i + 1}" for i in range(first.count(sep) + 1)]
    n = len(names)
    counts = lines[LINE].str.count_matches(sep, literal=True) + 1
    wrong = counts != n
    n_bad = int(wrong.sum())
    if n_bad:
        if on_bad_line == "error":
            idx = wrong.arg_true()[0]
            raise _bad(
                path,
                int(lines[LINENO][idx]),
                f"expected {n} fields separated by {sep!r}, got {counts[idx]}",
            )
        lines = lines.filter(~wrong)
    fields = lines[LINE].str.split_exact(sep, n - 1).struct.rename_fields(names)
    frame = fields.to_frame().unnest(fields.name)
    nulls = ["", *null_values]
    frame = frame.with_columns(
        pl.when(pl.col(c).is_in(nulls)).then(None).otherwise(pl.col(c)).alias(c) for c in names
    )
    return frame, lines[LINENO], n_bad


def _locate_quoted_bad_lines(
    data: bytes, path: Path, sep: str, quote_char: str, has_header: bool, n_fields: int | None
) -> list[tuple[int, str]]:
    """Error path of the quoted reader: (line number, reason) of records csv sees as malformed."""
    reader = csv.reader(io.StringIO(data.decode("utf8")), delimiter=sep, quotechar=quote_char)
    bad: list[tuple[int, str]] = []
    expected = n_fields
    try:
        for record in reader:
            if not record:
                continue
            if expected is None:
                expected = len(record)
            elif len(record) != expected:
                bad.append((reader.line_num, f"expected {expected} fields, got {len(record)}"))
    except csv.Error as exc:
        bad.append((reader.line_num, str(exc)))
    return bad


def _quoted_csv_options(
    *,
    sep: str,
    quote_char: str,
    has_header: bool,
    columns: list[str] | None,
    null_values: list[str],
) -> dict[str, Any]:
    """polars' CSV options of the quoted reader: the exact read and the streaming scan share
    them so that both parse a file alike."""
    return {
        "separator": sep,
        "quote_char": quote_char,
        "has_header": has_header,
        "new_columns": columns,
        "infer_schema": False,
        "null_values": null_values or None,
        "truncate_ragged_lines": False,
        "raise_if_empty": False,
    }


def _read_quoted(
    data: bytes,
    path: Path,
    *,
    sep: str,
    quote_char: str,
    columns: list[str] | None,
    has_header: bool,
    skip_rows: int,
    on_bad_line: str,
    null_values: list[str],
    line_offset: int = 0,
    record_offset: int = 0,
) -> tuple[pl.DataFrame, pl.Series, int]:
    if len(sep) != 1:
        raise UsageError(f"{path}: a quoted format needs a one-character separator, got {sep!r}")
    if skip_rows:
        data = b"\n".join(data.split(b"\n")[skip_rows:])
    try:
        frame = pl.read_csv(
            io.BytesIO(data),
            **_quoted_csv_options(
                sep=sep,
                quote_char=quote_char,
                has_header=has_header,
                columns=columns,
                null_values=null_values,
            ),
        )
    except pl.exceptions.PolarsError as exc:
        bad = _locate_quoted_bad_lines(
            data, path, sep, quote_char, has_header, len(columns) if columns else None
        )
        if not bad:
            raise ReadError(f"{path}: cannot parse: {exc}", path=path) from exc
        lineno, why = bad[0]
        raise _bad(path, lineno + skip_rows + line_offset, why) from exc
    if columns is not None and frame.width == 0 and not data.strip():  # an empty file: no rows
        frame = pl.DataFrame(schema=dict.fromkeys(columns, pl.String))
    if columns is not None and frame.width != len(columns):
        raise ReadError(
            f"{path}: {frame.width} fields per line, expected {len(columns)}", path=path
        )
    first = record_offset + 1  # the quoted reader numbers records, not lines
    linenos = pl.Series(LINENO, range(first, first + frame.height), dtype=pl.Int64)
    return frame, linenos, 0


SCAN_MIN_BYTES = 256 << 20
"""From this size on, a plain UTF-8 quoted file is first read by polars' streaming CSV scan
(the file is never held whole in memory; declared types are cast as it streams); on any
error the exact reader runs instead, so results and error messages do not change."""


def _plain_utf8(path: Path) -> bool:
    """True for an uncompressed file without a byte-order mark (what a scan reads as is)."""
    with open(path, "rb") as handle:
        head = handle.read(3)
    return not head.startswith(b"\x1f\x8b") and not head.startswith(b"\xef\xbb\xbf")


def _scan_quoted(
    path: Path,
    *,
    sep: str,
    quote_char: str,
    columns: list[str] | None,
    has_header: bool,
    null_values: list[str],
    dtypes: Mapping[str, Any] | None,
) -> pl.DataFrame | None:
    """The quoted reader's frame, typed, by a streaming scan; None when the exact reader must
    run (a parse or cast error, a field count or a dtype name it must report)."""
    dtypes = dtypes or {}
    try:
        lf = pl.scan_csv(
            path,
            **_quoted_csv_options(
                sep=sep,
                quote_char=quote_char,
                has_header=has_header,
                columns=columns,
                null_values=null_values,
            ),
        )
        names = lf.collect_schema().names()
        if (columns is not None and len(names) != len(columns)) or set(dtypes) - set(names):
            return None
        casts = [pl.col(name).cast(_dtype(dtype), strict=True) for name, dtype in dtypes.items()]
        frame = lf.with_columns(casts).collect(engine="streaming")
    except (pl.exceptions.PolarsError, OSError):
        return None
    inferred = [name for name in frame.columns if name not in dtypes]
    return frame.with_columns(_infer_column(frame.get_column(name)) for name in inferred)


def read_delimited(
    path: str | Path,
    *,
    sep: str,
    columns: list[str] | None = None,
    has_header: bool = False,
    encoding: str = "utf8",
    dtypes: Mapping[str, Any] | None = None,
    on_bad_line: OnBadLine = "error",
    skip_rows: int = 0,
    quote_char: str | None = _AUTO,  # type: ignore[assignment]
    null_values: list[str] | None = None,
    data: bytes | None = None,
    line_offset: int = 0,
    record_offset: int = 0,
) -> ReadResult:
    """Read separated text (``\\t``, ``,``, ``;``, ``|``, multi-character ``::``...).

    Parameters
    ----------
    sep
        Field separator, any length (MovieLens ``ratings.dat`` uses ``::``).
    columns
        Column names; with ``has_header`` they replace the header's names (same count).
    encoding
        Text encoding (``latin-1`` for MovieLens ``u.item``); gzip is detected automatically.
    dtypes
        Column -> dtype (polars dtype or ``"int64"``, ``"float64"``, ``"str"``...); other columns
        are inferred (Int64, then Float64, else String). Empty fields are null.
    quote_char
        ``'"'`` by default when ``sep == ","``, else ``None`` (no quoting, fields split verbatim,
        so a stray ``"`` in a title is kept). A line with the wrong number of fields is bad.
    skip_rows
        Lines to drop before the header / first row.
    data, line_offset, record_offset
        The raw bytes to read instead of the file (a run of its whole lines, read by the Spark
        engine's tasks), and how many lines and records of the file come before them (so
        that an error names the file's line).
    """
    _check_policy(on_bad_line)
    path = Path(path)
    if not sep:
        raise UsageError("sep must not be empty")
    if quote_char is _AUTO:
        quote_char = '"' if sep == "," else None
    if (
        data is None
        and quote_char is not None
        and len(sep) == 1
        and skip_rows == 0
        and encoding.lower().replace("_", "-") in ("utf8", "utf-8")
        and path.is_file()
        and path.stat().st_size >= SCAN_MIN_BYTES
        and _plain_utf8(path)
    ):
        scanned = _scan_quoted(
            path,
            sep=sep,
            quote_char=quote_char,
            columns=list(columns) if columns is not None else None,
            has_header=has_header,
            null_values=list(null_values or []),
            dtypes=dtypes,
        )
        if scanned is not None:
            return ReadResult(frame=scanned.lazy(), bad_lines=0, path=path)
    text = (
        read_text_bytes(path, encoding=encoding)
        if data is None
        else decode_text(data, path, encoding=encoding)
    )
    options = dict(
        sep=sep,
        columns=list(columns) if columns is not None else None,
        has_header=has_header,
        skip_rows=skip_rows,
        on_bad_line=on_bad_line,
        null_values=list(null_values or []),
        line_offset=line_offset,
        record_offset=record_offset,
    )
    if quote_char is None:
        frame, linenos, n_bad = _read_unquoted(text, path, **options)  # type: ignore[arg-type]
    else:
        frame, linenos, n_bad = _read_quoted(text, path, quote_char=quote_char, **options)  # type: ignore[arg-type]
    frame, n_cast_bad = _cast_columns(frame, dtypes, linenos, path, on_bad_line)
    n_bad += n_cast_bad
    if n_bad:
        log.warning("%s: skipped %d malformed line(s)", path, n_bad)
    return ReadResult(frame=frame.lazy(), bad_lines=n_bad, path=path)


# --------------------------------------------------------------------------- JSON lines


def _json_frame(text: str | bytes) -> pl.DataFrame:
    data = text.encode("utf8") if isinstance(text, str) else text
    if not data.strip():
        return pl.DataFrame()
    return pl.read_ndjson(io.BytesIO(data), infer_schema_length=None)


def _join_lines(lines: pl.Series) -> bytes:
    """Newline-joined UTF-8 bytes of a String series, written by polars (no Python strings)."""
    buffer = io.BytesIO()
    lines.to_frame().write_csv(buffer, include_header=False, quote_style="never")
    return buffer.getvalue()


def _json_check(line: str) -> str | None:
    """Why a JSON line is unusable, or None when it holds one object."""
    try:
        value = json.loads(line)
    except ValueError as exc:
        return f"invalid JSON ({exc})"
    if not isinstance(value, dict):
        return f"expected a JSON object, got {type(value).__name__}"
    return None


_CHUNK_LINES = 1 << 15


def _schemas(lines: pl.Series) -> list[pl.Schema]:
    """Schemas polars infers for ``lines``, bisecting where one parse meets conflicting types."""
    try:
        return [_json_frame(_join_lines(lines)).schema]
    except pl.exceptions.PolarsError:
        if len(lines) <= 1:
            raise
    half = len(lines) // 2
    return _schemas(lines.slice(0, half)) + _schemas(lines.slice(half))


def _tolerant_frame(lines: pl.Series, path: Path) -> tuple[pl.DataFrame, bool]:
    """Parse valid JSON lines; a key whose values polars cannot unify is read as JSON text
    (then the second value is True)."""
    try:
        return _json_frame(_join_lines(lines)), False
    except pl.exceptions.PolarsError as exc:
        log.debug("%s: JSON types conflict (%s); reading conflicting keys as text", path, exc)
    merged: dict[str, pl.DataType] = {}
    for schema in _schemas(lines):
        for key, dtype in schema.items():
            if merged.setdefault(key, dtype) != dtype:
                merged[key] = pl.String()
    try:
        return pl.read_ndjson(io.BytesIO(_join_lines(lines)), schema=merged), True
    except pl.exceptions.PolarsError as exc:
        raise ReadError(
            f"{path}: cannot build a frame from the JSON lines: {exc}", path=path
        ) from exc


def _parse_json_lines(
    lines: pl.DataFrame,
    path: Path,
    on_bad_line: str,
    repair: Callable[[int], str | None] | None = None,
) -> tuple[pl.DataFrame, int, bool]:
    """Parse a (``line`` JSON text, ``lineno``) frame; blank lines ignored, bad ones located.

    The fast path hands all lines to the polars parser at once. If that fails, blocks of lines
    are parsed separately and only the lines of failing blocks are checked with ``json.loads``;
    a failing line is given to ``repair`` (the Python-literal fallback) and, if still unusable,
    raised or skipped. The third value tells whether conflicting types were read as text.
    """
    lines = lines.drop_nulls(LINE).filter(pl.col(LINE).str.strip_chars() != "")
    try:
        return _json_frame(_join_lines(lines[LINE])), 0, False
    except pl.exceptions.PolarsError as first_error:
        log.debug("%s: fast JSON parse failed (%s); locating bad lines", path, first_error)
    good: list[pl.Series] = []
    n_bad = 0
    for start in range(0, lines.height, _CHUNK_LINES):
        block = lines.slice(start, _CHUNK_LINES)
        try:
            _json_frame(_join_lines(block[LINE]))
        except pl.exceptions.PolarsError:
            pass
        else:
            good.append(block[LINE])
            continue
        keep: list[str] = []
        for text, lineno in zip(block[LINE].to_list(), block[LINENO].to_list(), strict=True):
            why = _json_check(text)
            if why is not None and repair is not None:
                fixed = repair(lineno)
                if fixed is not None:
                    text, why = fixed, None
            if why is None:
                keep.append(text)
                continue
            if on_bad_line == "error":
                raise _bad(path, lineno, why)
            n_bad += 1
        good.append(pl.Series(LINE, keep, dtype=pl.String))
    joined = pl.concat(good) if good else pl.Series(LINE, [], dtype=pl.String)
    frame, tolerant = _tolerant_frame(joined, path)
    return frame, n_bad, tolerant


def _select_fields(frame: pl.DataFrame, fields: list[str] | None) -> pl.DataFrame:
    """Keep ``fields`` in the given order; a field absent from every line becomes a null column."""
    if fields is None:
        return frame
    nulls = pl.repeat(None, frame.height, dtype=pl.String, eager=True)  # as many rows, even none
    return pl.DataFrame(
        [frame[f] if f in frame.columns else nulls.alias(f) for f in fields], height=frame.height
    )


def read_jsonl(
    path: str | Path,
    *,
    fields: list[str] | None = None,
    on_bad_line: OnBadLine = "error",
    data: bytes | None = None,
    line_offset: int = 0,
) -> ReadResult:
    """Read one JSON object per line (plain or gzip); ``fields`` selects columns, missing -> null.

    Values of one key with mixed types across lines (number here, string there) are read as
    strings; nested objects become structs, arrays lists. ``data`` and ``line_offset``: as
    :func:`read_delimited`'s.
    """
    _check_policy(on_bad_line)
    path = Path(path)
    text = read_text_bytes(path) if data is None else decode_text(data, path)
    tolerant = False
    try:
        frame, n_bad = _json_frame(text), 0
    except pl.exceptions.PolarsError:
        lines = split_lines(text, path=path, line_offset=line_offset)
        frame, n_bad, tolerant = _parse_json_lines(lines, path, on_bad_line)
    if n_bad:
        log.warning("%s: skipped %d malformed line(s)", path, n_bad)
    return ReadResult(
        frame=_select_fields(frame, fields).lazy(), bad_lines=n_bad, path=path, tolerant=tolerant
    )


# --------------------------------------------------------------------------- Python literals


def read_python_literal(
    path: str | Path,
    *,
    fields: list[str] | None = None,
    on_bad_line: OnBadLine = "error",
    data: bytes | None = None,
    line_offset: int = 0,
) -> ReadResult:
    """Read one Python dict literal per line (Amazon 2014 metadata, Steam games), never ``eval``.

    Values are those ``ast.literal_eval`` gives, with tuples and sets read as lists. Most lines
    go through a vectorised Python-literal -> JSON translation; the rest through
    ``ast.literal_eval`` one by one (see :mod:`recdata.normalize._pyliteral`). ``data`` and
    ``line_offset``: as :func:`read_delimited`'s.
    """
    _check_policy(on_bad_line)
    path = Path(path)
    text = read_text_bytes(path) if data is None else decode_text(data, path)
    lines = split_lines(text, path=path, line_offset=line_offset)
    translated = translate_lines(lines[LINE])
    fallback = translated["fallback"].fill_null(False)
    json_text = translated["json"]
    originals = dict(
        zip(
            lines[LINENO].filter(fallback).to_list(),
            lines[LINE].filter(fallback).to_list(),
            strict=True,
        )
    )
    n_bad = 0
    fixed: dict[int, str | None] = {}
    for lineno, text in originals.items():
        try:
            fixed[lineno] = literal_to_json(text)
        except ValueError as exc:
            if on_bad_line == "error":
                raise _bad(path, lineno, str(exc)) from None
            fixed[lineno] = None
            n_bad += 1
    if originals:
        log.debug("%s: %d line(s) read with ast.literal_eval", path, len(originals))
        replacement = pl.Series([fixed[k] for k in originals], dtype=pl.String)
        json_text = json_text.scatter(fallback.arg_true(), replacement)
    frame_lines = pl.DataFrame({LINE: json_text, LINENO: lines[LINENO]})

    def repair(lineno: int) -> str | None:
        text = lines[LINE][lineno - 1 - line_offset]
        try:
            return literal_to_json(text)
        except ValueError:
            return None

    frame, n_bad_json, tolerant = _parse_json_lines(frame_lines, path, on_bad_line, repair=repair)
    n_bad += n_bad_json
    if n_bad:
        log.warning("%s: skipped %d malformed line(s)", path, n_bad)
    return ReadResult(
        frame=_select_fields(frame, fields).lazy(), bad_lines=n_bad, path=path, tolerant=tolerant
    )


# --------------------------------------------------------------------------- Parquet


def read_parquet(
    path: str | Path,
    *,
    fields: list[str] | None = None,
    on_bad_line: OnBadLine = "error",
    rows: tuple[int, int] | None = None,
) -> ReadResult:
    """Read a Parquet file (Yambda's flat files); ``fields`` selects columns, missing -> null.

    Categorical and enum columns become strings; rows keep the file's order. ``on_bad_line``
    is accepted for a uniform reader signature (a Parquet file has no bad lines). ``rows``:
    only the rows ``[start, stop)`` (the Spark engine's tasks read a file's row groups).
    """
    _check_policy(on_bad_line)
    path = Path(path)
    try:
        names = pl.read_parquet_schema(path)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise ReadError(f"{path}: not a readable Parquet file ({exc})", path=path) from exc
    wanted = [f for f in fields if f in names] if fields is not None else list(names)
    frame = pl.scan_parquet(path)
    if rows is not None:
        frame = frame.slice(rows[0], rows[1] - rows[0])
    frame = frame.select(wanted)
    cats = [c for c in wanted if isinstance(names[c], pl.Categorical | pl.Enum)]
    if cats:
        frame = frame.with_columns(pl.col(c).cast(pl.String) for c in cats)
    if fields is not None:
        missing = [f for f in fields if f not in names]
        frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(f) for f in missing)
        frame = frame.select(fields)
    return ReadResult(frame=frame, bad_lines=0, path=path)


READERS: dict[str, Callable[..., ReadResult]] = {
    "delimited": read_delimited,
    "csv": partial(read_delimited, sep=","),
    "tsv": partial(read_delimited, sep="\t"),
    "jsonl": read_jsonl,
    "json_lines": read_jsonl,
    "python_literal": read_python_literal,
    "parquet": read_parquet,
}
"""Format name (as written in recipes) -> reader; ``csv``/``tsv`` preset ``sep`` (overridable)."""
