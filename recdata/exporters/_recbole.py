"""RecBole atomic files: ``.inter``, ``.item``, ``.user`` and the benchmark split files.

RecBole reads each file with a header row of ``name:type`` cells (``token``, ``token_seq``,
``float``, ``float_seq``), tab-separated fields and space-separated sequence values, and maps
raw tokens to its own indices (from 1; 0 is ``[PAD]``). So raw ids are written as tokens.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import yaml

from recdata import schema as S
from recdata.dataset import Dataset
from recdata.errors import UsageError
from recdata.exporters._common import (
    ExportResult,
    check_ids,
    clean_text,
    epoch_seconds,
    has_values,
    history_to_raw,
    resolve_split,
    sequence_sort,
    split_with_history,
    with_raw_ids,
)

TEXT_SEQ_FIELDS = ("title", "description")
"""String item/user columns written as ``token_seq`` (words); other strings are one ``token``."""
DEFAULT_SKIP = ("description", "image_urls")
"""Item columns left out unless asked for with ``item_fields``."""


def _field_type(name: str, dtype: pl.DataType) -> str | None:
    """RecBole's feature type for a polars column, or None when RecBole has no such type."""
    if dtype == pl.String:
        return "token_seq" if name in TEXT_SEQ_FIELDS else "token"
    if dtype.is_integer() or dtype == pl.Boolean:
        return "token"
    if dtype.is_float():
        return "float"
    if isinstance(dtype, (pl.List, pl.Array)):
        inner = dtype.inner
        if inner == pl.String or inner.is_integer():
            return "token_seq"
        if inner.is_float():
            return "float_seq"
    return None


def _cell(name: str, dtype: pl.DataType, ftype: str) -> pl.Expr:
    """The text of one column as RecBole will split it; empty text becomes an empty cell."""
    text = _text(name, dtype, ftype)
    if ftype == "float":
        return text
    return pl.when(text == "").then(None).otherwise(text)


def _text(name: str, dtype: pl.DataType, ftype: str) -> pl.Expr:
    """The text of one column as RecBole will split it (no tabs or newlines inside)."""
    col = pl.col(name)
    if ftype == "token_seq" and dtype == pl.String:
        return clean_text(col).str.replace_all(r" +", " ").str.strip_chars(" ")
    if ftype in ("token_seq", "float_seq"):
        # each element one token: whitespace inside an element becomes "_"
        elements = col.cast(pl.List(pl.String)).list.eval(
            pl.element().str.replace_all(r"\s+", "_").str.strip_chars("_")
        )
        return elements.list.eval(pl.element().filter(pl.element() != "")).list.join(" ")
    if ftype == "token":
        return clean_text(col.cast(pl.String))
    return col.cast(pl.Float64)


def _feature_frame(
    lf: pl.LazyFrame, id_column: str, id_field: str, fields: list[str] | None, skip: tuple[str, ...]
) -> tuple[pl.DataFrame, list[str]]:
    """A users/items table as header cells plus cleaned columns, the raw id first."""
    schema = lf.collect_schema()
    names = [n for n in schema.names() if n not in (S.USER, S.ITEM, id_column)]
    if fields is None:
        names = [n for n in names if n not in skip]
    else:
        missing = sorted(set(fields) - set(names))
        if missing:
            raise UsageError(f"unknown field(s) {missing}; available: {names}")
        names = [n for n in names if n in fields]
    exprs = [pl.col(id_column).alias(f"{id_field}:token")]
    header = [f"{id_field}:token"]
    for name in names:
        ftype = _field_type(name, schema[name])
        if ftype is None:
            continue
        cell = f"{name}:{ftype}"
        exprs.append(_cell(name, schema[name], ftype).alias(cell))
        header.append(cell)
    return lf.select(exprs).collect(), header


def _write_tsv(frame: pl.DataFrame, path: Path) -> None:
    """Tab-separated with a header; a field holding ``"`` is quoted as pandas' reader expects."""
    frame.write_csv(
        path, separator="\t", quote_style="necessary", line_terminator="\n", null_value=""
    )


def _session_mode(ds: Dataset) -> str | None:
    """``as_user`` when every session is its own user (RecBole's session datasets: the user
    field is ``session_id``), ``column`` when users have sessions, None without sessions."""
    if S.SESSION not in ds.interactions.collect_schema().names():
        return None
    stats = ds.manifest.statistics.get("sessions") or {}
    return "as_user" if stats.get("users_are_sessions") else "column"


def _inter_frame(
    ds: Dataset,
    lf: pl.LazyFrame,
    *,
    rating: bool,
    timestamp: bool,
    sequential: bool,
    session: str | None = None,
) -> pl.DataFrame:
    user = "session_id:token" if session == "as_user" else "user_id:token"
    exprs = [pl.col(S.USER_ID).alias(user), pl.col(S.ITEM_ID).alias("item_id:token")]
    if session == "column":
        exprs.append(pl.col(S.SESSION).alias("session_id:token"))
    names = lf.collect_schema().names()
    if S.EVENT in names:  # the behaviour type, a token RecBole can filter or embed
        exprs.append(pl.col(S.EVENT).alias("event:token"))
    if S.WEIGHT in names:
        exprs.append(pl.col(S.WEIGHT).cast(pl.Float64).alias("weight:float"))
    if rating:
        exprs.append(pl.col(S.RATING).cast(pl.Float64).alias("rating:float"))
    if timestamp:
        exprs.append(epoch_seconds().alias("timestamp:float"))
    if sequential:
        exprs.append(pl.col(S.HISTORY).alias("item_id_list:token_seq"))
    return with_raw_ids(ds, lf).select(exprs).collect()


def export_recbole(
    ds: Dataset,
    out: Path,
    *,
    split: str | None = None,
    name: str | None = None,
    benchmark: bool = True,
    sequential: bool = False,
    history_cap: int | None = 50,
    item_fields: list[str] | None = None,
    user_fields: list[str] | None = None,
) -> ExportResult:
    """Write RecBole atomic files ``<name>.inter/.item/.user`` (+ benchmark files and config).

    Parameters
    ----------
    name
        RecBole's dataset name (file stem); defaults to the manifest's name. RecBole looks for
        ``<data_path>/<name>/<name>.inter``, so export into a folder called ``<name>``.
    benchmark
        Also write ``<name>.{train,valid,test}.inter`` for the split (default split when
        ``split`` is None) and ``benchmark_filename`` in ``<name>.yaml``.
    sequential
        Add ``item_id_list:token_seq`` (raw ids of earlier items, at most ``history_cap``) to the
        benchmark files, which RecBole's sequential models read when benchmark files are given.
    item_fields, user_fields
        Columns of items/users to write (default: all with a RecBole type but description and
        image_urls).
    """
    name = name or ds.manifest.name
    item_fields = [item_fields] if isinstance(item_fields, str) else item_fields
    user_fields = [user_fields] if isinstance(user_fields, str) else user_fields
    users = ds.users.collect()
    items = ds.items.collect()
    check_ids(users, S.USER_ID, what="users.parquet")
    check_ids(items, S.ITEM_ID, what="items.parquet")
    rating = has_values(ds.interactions, S.RATING)
    timestamp = has_values(ds.interactions, S.TIME)
    session = _session_mode(ds)
    inter = _inter_frame(
        ds, ds.interactions, rating=rating, timestamp=timestamp, sequential=False, session=session
    )
    _write_tsv(inter, out / f"{name}.inter")
    item_frame, item_header = _feature_frame(
        ds.items, S.ITEM_ID, "item_id", item_fields, DEFAULT_SKIP
    )
    _write_tsv(item_frame, out / f"{name}.item")
    config: dict[str, Any] = {
        "USER_ID_FIELD": "session_id" if session == "as_user" else "user_id",
        "ITEM_ID_FIELD": "item_id",
    }
    user_header: list[str] = []
    if session != "as_user":  # sessions that are users have no attributes to write
        user_frame, user_header = _feature_frame(ds.users, S.USER_ID, "user_id", user_fields, ())
        _write_tsv(user_frame, out / f"{name}.user")
    if rating:
        config["RATING_FIELD"] = "rating"
    if timestamp:
        config["TIME_FIELD"] = "timestamp"
    config["field_separator"] = "\t"
    config["seq_separator"] = " "
    inter_cols = [c.split(":")[0] for c in inter.columns]
    split_name = None
    if benchmark and ds.splits:
        split_name = resolve_split(ds, split)
        if sequential:
            _, parts = split_with_history(ds, split_name, cap=history_cap)
        else:
            frames = ds.split(split_name)
            parts = {p: sequence_sort(frames[p]) for p in ("train", "valid", "test")}
        for part, lf in parts.items():
            if sequential:
                lf = history_to_raw(ds, lf, sep=" ")
            frame = _inter_frame(
                ds, lf, rating=rating, timestamp=timestamp, sequential=sequential, session=session
            )
            _write_tsv(frame, out / f"{name}.{part}.inter")
        config["benchmark_filename"] = ["train", "valid", "test"]
        if sequential:
            inter_cols.append("item_id_list")
            config["LIST_SUFFIX"] = "_list"
            config["ITEM_LIST_LENGTH_FIELD"] = "item_length"
            if history_cap is not None:
                config["MAX_ITEM_LIST_LENGTH"] = history_cap
    config["load_col"] = {
        "inter": inter_cols,
        "item": [c.split(":")[0] for c in item_header],
    }
    if user_header:
        config["load_col"]["user"] = [c.split(":")[0] for c in user_header]
    header = (
        f"# RecBole config for {name}, written by recdata; put the files in <data_path>/{name}/\n"
    )
    (out / f"{name}.yaml").write_text(
        header + yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8"
    )
    conversions = [
        "user_id, item_id: raw ids as RecBole tokens (RecBole re-indexes them from 1; 0 is [PAD])",
        "timestamp: epoch seconds as float (from timestamp[ms, UTC])",
        "rating: float; a missing value is an empty cell",
        "title/description: token_seq of words (tabs and newlines become spaces)",
        "list columns (categories): token_seq, one token per element, inner whitespace as '_'",
        "integer columns: token; float columns: float",
    ]
    if sequential:
        conversions.append(
            "item_id_list: raw ids of the user's earlier items (train rows: earlier train items)"
        )
    if session == "as_user":
        conversions.append(
            "sessions are users: the user field is session_id:token (USER_ID_FIELD: session_id), "
            "as in RecBole's session datasets; no .user file"
        )
    elif session == "column":
        conversions.append("session_id: a token column beside user_id")
    if S.EVENT in ds.interactions.collect_schema().names():
        conversions.append("event: a token column (the behaviour type) in every .inter file")
    return ExportResult(
        ids="raw",
        index_base=None,
        split=split_name,
        conversions=conversions,
        options={
            "name": name,
            "benchmark": benchmark,
            "sequential": sequential,
            "history_cap": history_cap,
            "item_fields": item_fields,
            "user_fields": user_fields,
        },
    )
