"""LightGCN-style graph files: ``train.txt``/``test.txt`` adjacency lines and a scipy ``.npz``.

LightGCN (and NGCF, whose loader it copies) indexes users and items from 0, so the files use
``user_idx - 1`` and ``item_idx - 1``; ``user_list.txt``/``item_list.txt`` map raw ids to them.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import polars as pl

from recdata import schema as S
from recdata.dataset import Dataset
from recdata.errors import MissingExtra
from recdata.exporters._common import (
    ExportResult,
    check_ids,
    resolve_split,
    sequence_sort,
    write_lines,
)

_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def _adjacency(lf: pl.LazyFrame) -> pl.Series:
    """``user item1 item2 ...`` lines (0-based, each item once, first-seen order); users with items only."""
    return (
        sequence_sort(lf.select(S.USER, S.ITEM, S.TIME, S.INTERACTION))
        .unique([S.USER, S.ITEM], keep="first", maintain_order=True)
        .group_by(S.USER, maintain_order=True)
        .agg((pl.col(S.ITEM) - 1).cast(pl.String))
        .sort(S.USER)
        .select(
            pl.concat_str(
                (pl.col(S.USER) - 1).cast(pl.String), pl.col(S.ITEM).list.join(" "), separator=" "
            ).alias("line")
        )
        .collect()["line"]
    )


def _save_npz(path: Path, matrix: object) -> None:
    """``scipy.sparse.save_npz`` layout with fixed zip timestamps, so equal matrices give equal bytes."""
    arrays = {
        "indices": matrix.indices,  # type: ignore[attr-defined]
        "indptr": matrix.indptr,  # type: ignore[attr-defined]
        "format": np.array(b"csr"),
        "shape": np.array(matrix.shape),  # type: ignore[attr-defined]
        "data": matrix.data,  # type: ignore[attr-defined]
    }
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for key, value in arrays.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.asanyarray(value), allow_pickle=False)
            info = zipfile.ZipInfo(f"{key}.npy", date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            archive.writestr(info, buffer.getvalue())


def export_graph(
    ds: Dataset,
    out: Path,
    *,
    split: str | None = None,
    matrix: bool = True,
) -> ExportResult:
    """Write ``train.txt``, ``valid.txt``, ``test.txt``, ``user_list.txt``, ``item_list.txt``, ``train.npz``.

    Parameters
    ----------
    matrix
        Also write ``train.npz``: the n_users x n_items binary CSR train matrix (float32, 0-based),
        readable with ``scipy.sparse.load_npz``; needs the ``graph`` extra (scipy).
    """
    split_name = resolve_split(ds, split)
    frames = ds.split(split_name)
    users = ds.users.select(S.USER, S.USER_ID).sort(S.USER).collect()
    items = ds.items.select(S.ITEM, S.ITEM_ID).sort(S.ITEM).collect()
    check_ids(users, S.USER_ID, what="users.parquet", forbidden=" \t\r\n")
    check_ids(items, S.ITEM_ID, what="items.parquet", forbidden=" \t\r\n")
    for part in ("train", "valid", "test"):
        write_lines(out / f"{part}.txt", _adjacency(frames[part]))
    for frame, idx, raw, file in (
        (users, S.USER, S.USER_ID, "user_list.txt"),
        (items, S.ITEM, S.ITEM_ID, "item_list.txt"),
    ):
        lines = frame.select(pl.format("{} {}", pl.col(raw), pl.col(idx) - 1).alias("line"))["line"]
        write_lines(out / file, pl.concat([pl.Series("line", ["org_id remap_id"]), lines]))
    if matrix:
        try:
            import scipy.sparse as sp
        except ImportError as exc:
            raise MissingExtra("scipy", "graph", "the graph export's train.npz") from exc
        edges = frames["train"].select(S.USER, S.ITEM).unique().sort(S.USER, S.ITEM).collect()
        rows = edges[S.USER].to_numpy().astype(np.int64) - 1
        cols = edges[S.ITEM].to_numpy().astype(np.int64) - 1
        shape = (users.height, items.height)
        csr = sp.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=shape)
        csr.sort_indices()
        _save_npz(out / "train.npz", csr)
    return ExportResult(
        ids="user_idx-1/item_idx-1",
        index_base=0,
        split=split_name,
        conversions=[
            "users and items are 0-based: remap_id = user_idx - 1 / item_idx - 1 (LightGCN's base)",
            "one line per user with items in that part: user then each item once, first-seen order",
            "user_list.txt / item_list.txt: 'org_id remap_id' header, then raw id and remap id",
            "train.npz: binary user x item CSR matrix of train (float32), shape (n_users, n_items)",
        ],
        options={"matrix": matrix},
    )
