"""Byte-level helpers shared by the readers: transparent gzip, re-encoding, splitting into lines."""

from __future__ import annotations

import gzip
import io
import zlib
from pathlib import Path

import polars as pl

from recdata.errors import ReadError

_GZIP_MAGIC = b"\x1f\x8b"
_BOM = b"\xef\xbb\xbf"
LINE = "line"
LINENO = "lineno"


def read_text_bytes(path: str | Path, *, encoding: str = "utf8") -> bytes:
    """The file's bytes as UTF-8: gzip is detected by its magic number, other encodings re-encoded.

    The whole file is held in memory; decoding is one C-level call, never a loop over lines.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ReadError(f"{path}: cannot read file: {exc.strerror or exc}", path=path) from exc
    return decode_text(data, path, encoding=encoding)


def decode_text(data: bytes, path: str | Path, *, encoding: str = "utf8") -> bytes:
    """Raw bytes of ``path`` (the whole file, or a run of its lines) as UTF-8: gunzipped when
    they start with gzip's magic number, a leading byte-order mark dropped, re-encoded."""
    if data[:2] == _GZIP_MAGIC:
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise ReadError(
                f"{path}: corrupt gzip data ({exc}); delete the file and fetch it again",
                path=path,
            ) from exc
    enc = encoding.lower().replace("_", "-")
    if enc in ("utf8", "utf-8", "utf-8-sig"):
        if data[:3] == _BOM:
            data = data[3:]
        return data
    try:
        return data.decode(encoding).encode("utf8")
    except (UnicodeDecodeError, LookupError) as exc:
        raise ReadError(f"{path}: cannot decode as {encoding}: {exc}", path=path) from exc


def _absent_byte(data: bytes) -> str:
    """A control byte that does not occur in ``data`` (used as a never-matching separator)."""
    for code in (0x00, 0x1F, 0x1E, 0x1D, 0x1C, 0x07, 0x06, 0x05):
        if bytes([code]) not in data:
            return chr(code)
    raise ReadError("file contains every candidate control byte; cannot split it into lines")


def split_lines(
    data: bytes, *, path: str | Path | None = None, line_offset: int = 0
) -> pl.DataFrame:
    """One row per physical line: ``line`` (String, null for a blank line) and its 1-based
    ``lineno`` in the file (``data`` may start after ``line_offset`` lines of it).

    ``\\r\\n`` endings are stripped, a missing final newline is fine, and blank lines keep their
    number so error messages point at the right line. Invalid UTF-8 raises a ReadError.
    """
    if not data:
        return pl.DataFrame(
            {LINE: pl.Series([], dtype=pl.String), LINENO: pl.Series([], dtype=pl.Int64)}
        )
    try:
        frame = pl.read_csv(
            io.BytesIO(data),
            separator=_absent_byte(data),
            quote_char=None,
            has_header=False,
            new_columns=[LINE],
            schema={LINE: pl.String},
            comment_prefix=None,
        )
    except pl.exceptions.ComputeError as exc:
        raise ReadError(
            f"{path or 'input'}: not valid UTF-8 text ({exc}); pass the file's encoding",
            path=path,
        ) from exc
    lineno = pl.col(LINENO).cast(pl.Int64) + line_offset
    return frame.with_row_index(LINENO, offset=1).select(LINE, lineno)
