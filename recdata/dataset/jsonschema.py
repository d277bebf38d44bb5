"""JSON Schemas of ``manifest.json`` and of the dataset folder's tables, generated from the models.

``python -m recdata.dataset.jsonschema schemas/`` writes them; a test fails when the files in
``schemas/`` drift from what the models generate.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa

from recdata import schema as S
from recdata.dataset.manifest import Manifest

_ID = "https://recdata.dev/schemas"


def _json_type(dtype: pa.DataType) -> dict[str, Any]:
    if pa.types.is_integer(dtype):
        return {"type": "integer"}
    if pa.types.is_floating(dtype):
        return {"type": "number"}
    if pa.types.is_string(dtype) or pa.types.is_large_string(dtype):
        return {"type": "string"}
    if pa.types.is_timestamp(dtype):
        return {"type": "string", "format": "date-time"}
    if pa.types.is_list(dtype) or pa.types.is_fixed_size_list(dtype):
        out: dict[str, Any] = {"type": "array", "items": _json_type(dtype.value_type)}
        if pa.types.is_fixed_size_list(dtype):
            out["minItems"] = out["maxItems"] = dtype.list_size
        return out
    raise TypeError(f"no JSON type for {dtype}")


def _table(
    title: str,
    required: pa.Schema,
    optional: dict[str, pa.DataType] | None = None,
    *,
    extra: bool = True,
) -> dict[str, Any]:
    props: dict[str, Any] = {}
    for field in required:
        prop = _json_type(field.type) | {"x-arrow-type": str(field.type)}
        if field.nullable:
            prop = {"anyOf": [prop, {"type": "null"}], "x-arrow-type": str(field.type)}
        props[field.name] = prop
    for name, dtype in (optional or {}).items():
        props[name] = {"anyOf": [_json_type(dtype), {"type": "null"}], "x-arrow-type": str(dtype)}
    if S.SESSION in props:  # optional, but never null when present
        props[S.SESSION] = {
            "type": "string",
            "x-arrow-type": str(pa.string()),
            "description": "the session (each session within one user; where the source has "
            "no users, user_id = session id)",
        }
    if S.EVENT in props:  # optional, but never null when present
        props[S.EVENT] = {
            "type": "string",
            "x-arrow-type": str(pa.string()),
            "description": "the behaviour type, one of the vocabulary recorded in the manifest "
            "(statistics.events.vocabulary)",
        }
    if S.IMPRESSIONS in props:
        props[S.IMPRESSIONS]["description"] = (
            "item_idx of the items shown with this row, in the source's order, the row's own item "
            "included (null: not known); shown items filtering removed are dropped and counted "
            "(statistics.impressions)"
        )
        props[S.IMPRESSIONS]["anyOf"][0]["items"]["minimum"] = 1
    if S.USER in props and "anyOf" not in props[S.USER]:
        props[S.USER]["minimum"] = 1
    if S.ITEM in props and "anyOf" not in props[S.ITEM]:
        props[S.ITEM]["minimum"] = 1
    return {
        "title": title,
        "type": "object",
        "properties": props,
        "required": list(required.names),
        "additionalProperties": extra,
    }


def folder_schema() -> dict[str, Any]:
    """A JSON Schema for one row of each table, plus the folder layout under ``x-files``."""
    embedding = S.embedding_schema(1)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{_ID}/dataset-folder.schema.json",
        "title": "recdata dataset folder",
        "description": f"Rows of the Parquet tables of a recdata dataset folder (schema version {S.SCHEMA_VERSION}).",
        "x-schema-version": S.SCHEMA_VERSION,
        "x-files": {
            "manifest.json": "manifest.schema.json",
            "interactions.parquet": "#/$defs/interaction",
            "interactions/part-<NNNNN>.parquet": "#/$defs/interaction",
            "items.parquet": "#/$defs/item",
            "users.parquet": "#/$defs/user",
            "splits/<protocol>/{train,valid,test}.parquet": "#/$defs/split_row",
            "splits/<protocol>/{train,valid,test}/part-<NNNNN>.parquet": "#/$defs/split_row",
            "features/item_text.parquet": "#/$defs/item_text",
            "features/{text,image}-<model>.parquet": "#/$defs/embedding",
            "features/semantic_ids-<method>.parquet": "#/$defs/semantic_ids",
            "graphs/<name>.parquet": "#/$defs/edge",
            "splits/<protocol>/candidates-{valid,test}.parquet": "#/$defs/candidates",
        },
        "$defs": {
            "interaction": _table("interaction", S.INTERACTIONS, S.INTERACTION_OPTIONAL),
            "split_row": _table(
                "split row", S.INTERACTIONS, {**S.INTERACTION_OPTIONAL, S.HISTORY: S.HISTORY_TYPE}
            ),
            "item": _table("item", S.ITEMS, S.ITEM_OPTIONAL),
            "user": _table("user", S.USERS),
            "item_text": _table("item text", S.ITEM_TEXT, extra=False),
            "embedding": _table("embedding", embedding, extra=False)
            | {
                "description": "embedding is fixed_size_list<float32>[d]; d is the manifest's features[...].dim"
            },
            "edge": _table("edge", S.GRAPH, extra=False),
            "semantic_ids": _table("semantic ids", S.SEMANTIC_IDS, extra=False)
            | {
                "description": "codes is list<int16> of the manifest's features[...].details.code_length; tuples are unique"
            },
            "candidates": _table("candidate list", S.CANDIDATES, extra=False)
            | {"description": "item_idx is the positive; negatives are sorted item_idx"},
        },
    }


def manifest_schema() -> dict[str, Any]:
    """The JSON Schema pydantic generates for :class:`~recdata.dataset.manifest.Manifest`."""
    out = Manifest.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{_ID}/manifest.schema.json",
        **out,
    }


def rendered() -> dict[str, str]:
    """File name -> canonical JSON text of each schema."""
    return {
        name: json.dumps(doc, indent=2, sort_keys=True) + "\n"
        for name, doc in (
            ("manifest.schema.json", manifest_schema()),
            ("dataset-folder.schema.json", folder_schema()),
        )
    }


def write(folder: Path) -> list[Path]:
    """Write the schemas into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in rendered().items():
        (folder / name).write_text(text, encoding="utf-8")
        paths.append(folder / name)
    return paths


if __name__ == "__main__":
    for path in write(Path(sys.argv[1] if len(sys.argv) > 1 else "schemas")):
        print(path)
