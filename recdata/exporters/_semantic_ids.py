"""Semantic IDs for generative-recommender trainers: LC-Rec/MiniOneRec ``.index.json`` and ``.npy``.

``<name>.index.json`` maps each item's 0-based position (``item_idx - 1``, as a string) to its
tokens, one per level: ``{"0": ["<a_12>", "<b_7>", "<c_3>", "<d_0>"]}`` (LC-Rec's
``generate_indices.py`` layout, which MiniOneRec reads too). ``<name>.codes.npy`` holds the same
codes as an int16 array of shape ``(n_items, levels)``, row ``i`` = item_idx ``i + 1`` (the layout
TIGER/GRID-style loaders index), written without pickles.
"""

from __future__ import annotations

import json
import string
from pathlib import Path

import numpy as np
import polars as pl

from recdata import schema as S
from recdata.dataset import Dataset
from recdata.errors import ExportError
from recdata.exporters._common import ExportResult

MAX_LEVELS = len(string.ascii_lowercase)


def level_tokens(codes: pl.Expr, length: int) -> pl.Expr:
    """A list of ``<a_x>``, ``<b_y>``, ... tokens from a list<int16> column of ``length`` codes."""
    return pl.concat_list(
        [
            pl.format("<{}_{}>", pl.lit(string.ascii_lowercase[i]), codes.list.get(i))
            for i in range(length)
        ]
    )


def semantic_id_table(ds: Dataset, method: str | None) -> tuple[str, pl.DataFrame]:
    """(method, ``item_idx``/``codes`` sorted by item_idx) of the folder's semantic IDs."""
    frame = ds.semantic_ids(method).sort(S.ITEM).collect()  # raises naming the known methods
    if method is None:
        method = min(
            Path(rel).stem.removeprefix("semantic_ids-")
            for rel, rec in ds.manifest.features.items()
            if rec.kind == "semantic_ids"
        )
    n_items = ds.items.select(pl.len()).collect().item()
    expected = np.arange(1, n_items + 1)
    if frame.height != n_items or not np.array_equal(frame[S.ITEM].to_numpy(), expected):
        raise ExportError(
            f"{ds.path.name}: semantic IDs do not have one row per item_idx 1..{n_items}; "
            f"run `recdata validate {ds.path.name}`"
        )
    return method, frame


def export_semantic_ids(
    ds: Dataset, out: Path, *, method: str | None = None, name: str | None = None
) -> ExportResult:
    """Write ``<name>.index.json`` and ``<name>.codes.npy`` (``name``: the dataset's name).

    Parameters
    ----------
    method
        Which semantic IDs of the folder (``rq-kmeans`` ...); None: the only (or first) one.
    name
        File name stem (LC-Rec names them after the dataset, ``Instruments.index.json``).
    """
    method, frame = semantic_id_table(ds, method)
    length = int(frame["codes"].list.len().max())
    if length > MAX_LEVELS:
        raise ExportError(
            f"semantic IDs have {length} levels; token prefixes go up to {MAX_LEVELS}"
        )
    stem = name or ds.manifest.name
    tokens = frame.select(
        (pl.col(S.ITEM) - 1).cast(pl.String).alias("key"),
        level_tokens(pl.col("codes"), length).alias("tokens"),
    )
    index = dict(zip(tokens["key"].to_list(), tokens["tokens"].to_list(), strict=True))
    with open(out / f"{stem}.index.json", "w", encoding="utf-8") as handle:
        json.dump(index, handle, ensure_ascii=False)
    codes = (
        np.stack(frame["codes"].to_numpy()).astype(np.int16)
        if frame.height
        else np.zeros((0, length), np.int16)
    )
    np.save(out / f"{stem}.codes.npy", codes, allow_pickle=False)
    return ExportResult(
        ids="item_idx-1",
        index_base=0,
        conversions=[
            f"{stem}.index.json keys are 0-based item positions: key = item_idx - 1 (LC-Rec/MiniOneRec layout)",
            "level l is written as a token <x_code> with x the l-th lower-case letter (a, b, c, ...); "
            "the last level is the collision suffix",
            f"{stem}.codes.npy: int16 array (n_items, {length}), row i = item_idx i + 1 (np.save, no pickle)",
        ],
        options={"method": method, "name": stem},
    )
