"""Neural Collaborative Filtering (He et al. 2017): ``.train.rating``, ``.test.rating``, ``.test.negative``.

NCF's ``Dataset.py`` splits every line on tabs: ``.rating`` lines are ``user item rating
timestamp`` (a train rating > 0 is an interaction), ``.test.negative`` lines are
``(user,item)`` followed by the negatives, one line per ``.test.rating`` line, in the same
order. Its ids are 0-based integers, so recdata's indices are written minus one.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from recdata import schema as S
from recdata.dataset import Dataset
from recdata.errors import ExportError
from recdata.exporters._common import (
    ExportResult,
    resolve_split,
    sequence_sort,
    split_candidates,
    write_lines,
)


def _rating_lines(lf: pl.LazyFrame) -> pl.Series:
    """``user\\titem\\trating\\ttimestamp`` with 0-based ids; no rating -> 1, no time -> 0."""
    return (
        sequence_sort(lf)
        .select(
            pl.format(
                "{}\t{}\t{}\t{}",
                pl.col(S.USER) - 1,
                pl.col(S.ITEM) - 1,
                pl.col(S.RATING).fill_null(1.0).cast(pl.Float64).round(6),
                pl.col(S.TIME).dt.epoch("s").fill_null(0),
            ).alias("line")
        )
        .collect()["line"]
    )


def export_ncf(
    ds: Dataset,
    out: Path,
    *,
    split: str | None = None,
    name: str | None = None,
    valid: str = "train",
) -> ExportResult:
    """Write ``<name>.train.rating``, ``<name>.test.rating`` and ``<name>.test.negative``.

    Parameters
    ----------
    valid
        NCF has no validation set: ``train`` (default) adds the valid rows to
        ``.train.rating``; ``drop`` leaves them out.
    """
    if valid not in ("train", "drop"):
        raise ExportError(f"ncf: valid must be 'train' or 'drop', got {valid!r}")
    split_name = resolve_split(ds, split)
    record, lists = split_candidates(ds, split_name, what="the NCF export")
    if record.sampler == "all":
        raise ExportError(
            f"NCF's .test.negative needs sampled negatives; split {split_name!r} is evaluated by "
            "full ranking (sampler all); re-run `recdata candidates` with another sampler"
        )
    name = name or ds.manifest.name
    frames = ds.split(split_name)
    cols = [S.INTERACTION, S.USER, S.ITEM, S.TIME, S.RATING]
    train = frames.train.select(cols)
    if valid == "train":
        train = pl.concat([train, frames.valid.select(cols)])
    write_lines(out / f"{name}.train.rating", _rating_lines(train))
    test = sequence_sort(frames.test.select(cols))
    write_lines(out / f"{name}.test.rating", _rating_lines(test))
    negatives = (
        test.join(
            lists["test"].select(S.INTERACTION, S.NEGATIVES),
            on=S.INTERACTION,
            how="left",
            maintain_order="left",
        )
        .select(
            pl.concat_str(
                pl.format("({},{})", pl.col(S.USER) - 1, pl.col(S.ITEM) - 1),
                (pl.col(S.NEGATIVES).list.eval(pl.element() - 1))
                .cast(pl.List(pl.String))
                .list.join("\t"),
                separator="\t",
            )
            .str.strip_chars_end("\t")
            .alias("line")
        )
        .collect()["line"]
    )
    write_lines(out / f"{name}.test.negative", negatives)
    return ExportResult(
        ids="user_idx-1/item_idx-1",
        index_base=0,
        split=split_name,
        conversions=[
            "user and item ids are recdata's user_idx/item_idx minus 1 (0-based, as NCF reads them)",
            "timestamp: integer seconds since the epoch (0 when missing); a missing rating is written as 1",
            f"valid rows: {'added to .train.rating' if valid == 'train' else 'dropped'} (NCF has no validation set)",
            f".test.negative: the split's test candidates ({record.sampler}, n = {record.n}), one line per .test.rating line",
        ],
        options={"split": split_name, "name": name, "valid": valid},
    )
