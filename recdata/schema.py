"""The canonical Arrow schemas of a dataset folder's tables (DESIGN.md section 4).

Interactions, items and users have required leading columns with fixed types; any further
column is allowed with its own type. Splits carry the interaction columns (with
``interaction_idx`` so they can be joined back exactly); embeddings and graphs have fixed columns.
"""

from __future__ import annotations

import polars as pl
import pyarrow as pa

SCHEMA_VERSION = "1.0"

USER = "user_idx"
ITEM = "item_idx"
TIME = "timestamp"
RATING = "rating"
INTERACTION = "interaction_idx"
USER_ID = "user_id"
ITEM_ID = "item_id"
HISTORY = "history"
SESSION = "session_id"
EVENT = "event"
IMPRESSIONS = "impressions"
WEIGHT = "weight"

TIMESTAMP_TYPE = pa.timestamp("ms", tz="UTC")
POLARS_TIMESTAMP = pl.Datetime("ms", "UTC")

INTERACTIONS = pa.schema(
    [
        pa.field(INTERACTION, pa.int64(), nullable=False),
        pa.field(USER, pa.int32(), nullable=False),
        pa.field(ITEM, pa.int32(), nullable=False),
        pa.field(TIME, TIMESTAMP_TYPE, nullable=True),
        pa.field(RATING, pa.float32(), nullable=True),
    ]
)
"""Required columns of ``interactions.parquet`` and of every split file, in this order."""

INTERACTION_OPTIONAL = {
    SESSION: pa.string(),
    EVENT: pa.string(),
    IMPRESSIONS: pa.list_(pa.int32()),
}
"""Typed optional interaction columns: when present they must have these types. ``session_id``
and ``event`` have no nulls; ``event`` values come from the vocabulary the manifest records;
``impressions`` lists the items shown with the row (its own item included), null where unknown."""

ITEMS = pa.schema(
    [
        pa.field(ITEM, pa.int32(), nullable=False),
        pa.field(ITEM_ID, pa.string(), nullable=False),
    ]
)
"""Required columns of ``items.parquet``."""

ITEM_OPTIONAL = {
    "title": pa.string(),
    "description": pa.string(),
    "categories": pa.list_(pa.string()),
    "brand": pa.string(),
    "price": pa.float64(),
    "image_urls": pa.list_(pa.string()),
}
"""Well-known optional item columns: when present they must have these types."""

USERS = pa.schema(
    [
        pa.field(USER, pa.int32(), nullable=False),
        pa.field(USER_ID, pa.string(), nullable=False),
    ]
)
"""Required columns of ``users.parquet``."""

GRAPH = pa.schema(
    [
        pa.field("src", pa.int32(), nullable=False),
        pa.field("dst", pa.int32(), nullable=False),
        pa.field("weight", pa.float32(), nullable=False),
    ]
)
"""Columns of every ``graphs/<name>.parquet`` edge list."""

HISTORY_TYPE = pa.list_(pa.int32())
"""Type of the optional ``history`` column of split files."""

NEGATIVES = "negatives"
CANDIDATES = pa.schema(
    [
        pa.field(INTERACTION, pa.int64(), nullable=False),
        pa.field(USER, pa.int32(), nullable=False),
        pa.field(ITEM, pa.int32(), nullable=False),
        pa.field(NEGATIVES, pa.list_(pa.int32()), nullable=False),
    ]
)
"""Columns of ``splits/<protocol>/candidates-{valid,test}.parquet`` (item_idx is the positive)."""

ITEM_TEXT = pa.schema([pa.field(ITEM, pa.int32(), nullable=False), pa.field("text", pa.string())])
"""Columns of ``features/item_text.parquet``."""


SEMANTIC_IDS = pa.schema(
    [
        pa.field(ITEM, pa.int32(), nullable=False),
        pa.field("codes", pa.list_(pa.int16())),
    ]
)
"""Columns of ``features/semantic_ids-<method>.parquet`` (codes of fixed length, unique tuples)."""


def embedding_schema(dim: int) -> pa.Schema:
    """Schema of ``features/<kind>-<model>.parquet``: item_idx and a fixed-size float32 vector."""
    return pa.schema(
        [
            pa.field(ITEM, pa.int32(), nullable=False),
            pa.field("embedding", pa.list_(pa.float32(), dim)),
        ]
    )


def polars_schema(schema: pa.Schema) -> dict[str, pl.DataType]:
    """The polars dtypes of an Arrow schema, for casting frames before writing."""
    empty = pl.from_arrow(schema.empty_table())
    assert isinstance(empty, pl.DataFrame)
    return dict(empty.schema)
