"""Elliot: ``train.tsv``/``val.tsv``/``test.tsv`` and fixed negatives ``{test,val}_negative.tsv``.

Elliot reads the data files as tab-separated ``user item rating timestamp`` rows without a
header and maps its own public (raw) ids, so raw ids are written. Its ``fixed`` negative
sampling reads lines ``(user_id, item_id)<TAB>neg1<TAB>neg2...``: the first field is parsed
with ``ast.literal_eval`` and only the user is used, so there is one line per user.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from recdata import schema as S
from recdata.dataset import Dataset
from recdata.errors import ExportError
from recdata.exporters._common import (
    ExportResult,
    check_ids,
    item_lookup,
    resolve_split,
    sequence_sort,
    split_candidates,
    with_raw_ids,
    write_lines,
)

_DATA = {"train": "train.tsv", "valid": "val.tsv", "test": "test.tsv"}
_NEGATIVES = {"valid": "val_negative.tsv", "test": "test_negative.tsv"}


def _py_str(column: str) -> pl.Expr:
    """A raw id as a Python string literal (quotes and backslashes escaped) for literal_eval."""
    escaped = (
        pl.col(column)
        .str.replace_all("\\", "\\\\", literal=True)
        .str.replace_all("'", "\\'", literal=True)
    )
    return pl.format("'{}'", escaped)


def export_elliot(ds: Dataset, out: Path, *, split: str | None = None) -> ExportResult:
    """Write Elliot's data files (raw ids) and its fixed negative files for valid and test."""
    name = resolve_split(ds, split)
    record, lists = split_candidates(ds, name, what="the Elliot export")
    if record.sampler == "all":
        raise ExportError(
            f"Elliot's fixed negatives need sampled lists; split {name!r} is evaluated by full "
            "ranking (sampler all); evaluate with Elliot's own full ranking instead"
        )
    check_ids(ds.users.collect(), S.USER_ID, what="users.parquet")
    check_ids(ds.items.collect(), S.ITEM_ID, what="items.parquet")
    frames = ds.split(name)
    for part, file_name in _DATA.items():
        lf = with_raw_ids(
            ds, sequence_sort(frames[part].select(S.INTERACTION, S.USER, S.ITEM, S.TIME, S.RATING))
        )
        lines = lf.select(
            pl.format(
                "{}\t{}\t{}\t{}",
                S.USER_ID,
                S.ITEM_ID,
                pl.col(S.RATING).fill_null(1.0).cast(pl.Float64).round(6),
                pl.col(S.TIME).dt.epoch("s").fill_null(0),
            ).alias("line")
        ).collect()["line"]
        write_lines(out / file_name, lines)
    idx, raw = item_lookup(ds)
    for part, file_name in _NEGATIVES.items():
        rows = with_raw_ids(ds, lists[part].sort(S.INTERACTION))
        repeated = rows.group_by(S.USER).len().filter(pl.col("len") > 1).collect()
        if repeated.height:
            raise ExportError(
                f"Elliot keys fixed negatives by user, but {repeated.height:,} user(s) have several "
                f"{part} rows in split {name!r}; export a split with one {part} row per user (leave-one-out)"
            )
        neg = pl.col(S.NEGATIVES).list.eval(
            pl.element().replace_strict(idx, raw, return_dtype=pl.String)
        )
        lines = rows.select(
            pl.concat_str(
                pl.format("({}, {})", _py_str(S.USER_ID), _py_str(S.ITEM_ID)),
                neg.list.join("\t"),
                separator="\t",
            )
            .str.strip_chars_end("\t")
            .alias("line")
        ).collect()["line"]
        write_lines(out / file_name, lines)
    return ExportResult(
        ids="raw",
        index_base=None,
        split=name,
        conversions=[
            "users and items by their raw ids (user_id, item_id); Elliot maps them itself",
            "train/valid/test parts -> train.tsv/val.tsv/test.tsv: user, item, rating (1 when missing), seconds since the epoch (0 when missing); no header",
            f"fixed negatives ({record.sampler}, n = {record.n}): test_negative.tsv and val_negative.tsv, "
            "one line per user: ('user_id', 'item_id') then the raw ids of the negatives, tab-separated",
            "Elliot config: negative_sampling: {strategy: fixed, files: [test_negative.tsv, val_negative.tsv]}",
        ],
        options={"split": name},
    )
