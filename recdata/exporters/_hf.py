"""The Hugging Face ``datasets`` bridge: a typed ``DatasetDict`` in memory or saved to disk.

Indices stay recdata's (from 1, 0 = padding); ints are plain ``Value`` features (never
``ClassLabel``), ``history`` a list of int32, timestamps int64 milliseconds, embeddings float32.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa

from recdata import schema as S
from recdata._types import SPLIT_PARTS
from recdata.dataset import Dataset, load, manifest_hash
from recdata.errors import MissingExtra
from recdata.exporters._common import (
    ExportResult,
    epoch_ms,
    resolve_split,
    split_with_history,
    with_raw_ids,
)

_BASE = [
    (S.INTERACTION, pa.int64()),
    (S.USER, pa.int32()),
    (S.ITEM, pa.int32()),
    (S.USER_ID, pa.string()),
    (S.ITEM_ID, pa.string()),
    (S.TIME, pa.int64()),
    (S.RATING, pa.float32()),
]


def _datasets() -> Any:
    try:
        import datasets
    except ImportError as exc:
        raise MissingExtra("datasets", "hf", "the Hugging Face export") from exc
    return datasets


def _table(frame: pl.DataFrame, fields: list[tuple[str, pa.DataType]]) -> pa.Table:
    """A pyarrow table with exactly these column types (plain strings, not large_string)."""
    table = frame.to_arrow()
    return table.select([n for n, _ in fields]).cast(pa.schema([pa.field(n, t) for n, t in fields]))


def _from_arrow(datasets: Any, table: pa.Table, fingerprint: str) -> Any:
    from datasets.table import InMemoryTable

    features = datasets.Features.from_arrow_schema(table.schema)
    info = datasets.DatasetInfo(features=features)
    return datasets.Dataset(InMemoryTable(table), info=info, fingerprint=fingerprint)


def _items_table(ds: Dataset) -> pa.Table:
    """Items with title (when present) and every embedding as a fixed-size float32 column."""
    names = ds.items.collect_schema().names()
    cols = [S.ITEM, S.ITEM_ID] + [c for c in ("title",) if c in names]
    frame = ds.items.select(cols).sort(S.ITEM).collect()
    fields: list[tuple[str, pa.DataType]] = [(S.ITEM, pa.int32()), (S.ITEM_ID, pa.string())]
    fields += [("title", pa.string())] if "title" in cols else []
    for key in sorted(ds.features):
        if key == "item_text":
            continue
        if key.startswith("semantic_ids-"):  # codes: a fixed-length int16 column
            codes = ds.features[key].select(S.ITEM, pl.col("codes").alias(key)).collect()
            length = int(codes[key].list.len().max() or 0)
            frame = frame.join(codes, on=S.ITEM, how="left", maintain_order="left")
            fields.append((key, pa.list_(pa.int16(), length)))
            continue
        emb = ds.features[key].select(S.ITEM, pl.col("embedding").alias(key)).collect()
        dim = (
            emb.schema[key].size
            if isinstance(emb.schema[key], pl.Array)
            else int(emb[key].list.len().max())
        )
        frame = frame.join(emb, on=S.ITEM, how="left", maintain_order="left")
        fields.append((key, pa.list_(pa.float32(), dim)))
    return _table(frame, fields)


def to_hf(
    path: str | Path | Dataset,
    *,
    split: str | None = None,
    history: bool = True,
    embeddings: bool = False,
    history_cap: int | None = None,
    negatives: bool = True,
) -> Any:
    """A ``datasets.DatasetDict`` (train/valid/test) of one split of a dataset folder, in memory.

    Each row holds interaction_idx (int64), user_idx/item_idx (int32, from 1), user_id/item_id
    (raw), timestamp (int64 ms since the epoch, UTC), rating (float32), then ``session_id``,
    ``event`` (strings), ``weight`` (float32) and ``impressions`` (list of int32 item_idx) when
    the folder has them and, with ``history``,
    the user's earlier item_idx as a list of int32. With ``embeddings`` an ``items`` entry is
    added: item_idx, item_id, title and one fixed-length float32 column per ``features/`` file
    (semantic IDs: a fixed-length int16 column).
    With ``negatives`` and candidate lists in the split, valid and test rows also carry
    ``negatives`` (list of int32 item_idx, the row's sampled negatives).
    """
    datasets = _datasets()
    ds = path if isinstance(path, Dataset) else load(path)
    split_name, parts = split_with_history(ds, split, cap=history_cap)
    fields = list(_BASE) + ([(S.HISTORY, pa.list_(pa.int32()))] if history else [])
    names = ds.interactions.collect_schema().names()
    after = fields.index((S.RATING, pa.float32())) + 1
    extra = [
        (S.SESSION, pa.string()),
        (S.EVENT, pa.string()),
        (S.WEIGHT, pa.float32()),
        (S.IMPRESSIONS, pa.list_(pa.int32())),
    ]
    fields[after:after] = [(name, dtype) for name, dtype in extra if name in names]
    source = manifest_hash(ds.path)
    lists = ds.split(split_name).candidate_frames if negatives else {}
    out = {}
    for part in SPLIT_PARTS:
        lf = with_raw_ids(ds, parts[part]).with_columns(epoch_ms().alias(S.TIME))
        part_fields = fields
        if part in lists:
            lf = lf.join(
                lists[part].select(S.INTERACTION, S.NEGATIVES),
                on=S.INTERACTION,
                how="left",
                maintain_order="left",
            )
            part_fields = [*fields, (S.NEGATIVES, pa.list_(pa.int32()))]
        frame = lf.collect()
        key = f"{source}:{split_name}:{part}:{history}:{history_cap}:{part in lists}"
        out[part] = _from_arrow(
            datasets, _table(frame, part_fields), hashlib.sha256(key.encode()).hexdigest()[:16]
        )
    if embeddings:
        key = f"{source}:items:{sorted(ds.features)}"
        out["items"] = _from_arrow(
            datasets, _items_table(ds), hashlib.sha256(key.encode()).hexdigest()[:16]
        )
    return datasets.DatasetDict(out)


def export_hf(
    ds: Dataset,
    out: Path,
    *,
    split: str | None = None,
    history: bool = True,
    embeddings: bool = False,
    history_cap: int | None = None,
    negatives: bool = True,
) -> ExportResult:
    """Save :func:`to_hf`'s ``DatasetDict`` into ``out`` with ``save_to_disk``."""
    dataset_dict = to_hf(
        ds,
        split=split,
        history=history,
        embeddings=embeddings,
        history_cap=history_cap,
        negatives=negatives,
    )
    datasets = _datasets()
    was_enabled = datasets.is_progress_bar_enabled()
    datasets.disable_progress_bars()
    try:
        dataset_dict.save_to_disk(str(out))
    finally:
        if was_enabled:
            datasets.enable_progress_bars()
    split_name = resolve_split(ds, split)
    return ExportResult(
        ids="user_idx/item_idx",
        index_base=1,
        split=split_name,
        conversions=[
            "user_idx/item_idx unchanged (int32, from 1; 0 is padding); raw ids in user_id/item_id",
            "timestamp: int64 milliseconds since the epoch (UTC); rating: float32",
            "history: list<int32> of the user's earlier item_idx (train rows: earlier train items)",
            "embeddings (items entry): fixed-length float32 lists, one column per features/ file",
            "negatives (valid/test, when the split has candidates): list<int32> of sampled item_idx",
        ],
        options={
            "history": history,
            "embeddings": embeddings,
            "history_cap": history_cap,
            "negatives": negatives,
        },
    )
