"""``croissant.json``: MLCommons Croissant 1.0 metadata of a folder's Parquet files.

One ``cr:FileObject`` per Parquet file (relative ``contentUrl``, sha256) and one
``cr:RecordSet`` per table whose fields name the file's columns and types. Written from the
manifest and the files' Arrow schemas only: no date, no absolute path.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pyarrow as pa

from recdata.dataset.manifest import Manifest

CROISSANT_NAME = "croissant.json"
CONFORMS_TO = "http://mlcommons.org/croissant/1.0"
CONTEXT: dict[str, Any] = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "samplingRate": "cr:samplingRate",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}


def _data_type(dtype: pa.DataType) -> tuple[str, bool]:
    """The Croissant ``dataType`` of an Arrow type and whether it is repeated (a list)."""
    repeated = False
    while (
        pa.types.is_list(dtype)
        or pa.types.is_large_list(dtype)
        or pa.types.is_fixed_size_list(dtype)
    ):
        dtype, repeated = dtype.value_type, True
    if pa.types.is_boolean(dtype):
        return "sc:Boolean", repeated
    if pa.types.is_integer(dtype):
        return "sc:Integer", repeated
    if pa.types.is_floating(dtype):
        return "sc:Float", repeated
    if pa.types.is_timestamp(dtype) or pa.types.is_date(dtype):
        return "sc:Date", repeated
    return "sc:Text", repeated


def _record_id(rel: str) -> str:
    """A record set id from a file path (``splits/loo/train.parquet`` -> ``splits-loo-train``)."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", rel.removesuffix(".parquet"))


def croissant(manifest: Manifest, schemas: dict[str, pa.Schema]) -> dict[str, Any]:
    """The Croissant document for the Parquet files listed in ``manifest.files``.

    ``schemas`` maps each Parquet file's relative path to its Arrow schema.
    """
    recipe = manifest.recipe or {}
    files = sorted(rel for rel in manifest.files if rel.endswith(".parquet"))
    distribution = [
        {
            "@type": "cr:FileObject",
            "@id": rel,
            "name": rel,
            "contentUrl": rel,
            "encodingFormat": "application/x-parquet",
            "contentSize": f"{manifest.files[rel].bytes} B",
            "sha256": manifest.files[rel].sha256,
        }
        for rel in files
    ]
    record_sets = []
    for rel in files:
        rid = _record_id(rel)
        fields = []
        for column in schemas[rel]:
            data_type, repeated = _data_type(column.type)
            field: dict[str, Any] = {
                "@type": "cr:Field",
                "@id": f"{rid}/{column.name}",
                "name": column.name,
                "dataType": data_type,
                "source": {"fileObject": {"@id": rel}, "extract": {"column": column.name}},
            }
            if repeated:
                field["repeated"] = True
            fields.append(field)
        rows = manifest.files[rel].rows
        record_sets.append(
            {
                "@type": "cr:RecordSet",
                "@id": rid,
                "name": rid,
                "description": f"The rows of {rel}"
                + (f" ({rows:,} rows)." if rows is not None else "."),
                "field": fields,
            }
        )
    citations = [recipe.get("citation")] + [s.get("citation") for s in recipe.get("sources", [])]
    citations = list(dict.fromkeys(c for c in citations if c))
    licences = [recipe.get("licence")] + [s.get("licence") for s in recipe.get("sources", [])]
    licences = list(dict.fromkeys(x for x in licences if x))
    doc: dict[str, Any] = {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "name": manifest.name,
        "description": (recipe.get("description") or f"recdata dataset {manifest.name}").strip(),
        "conformsTo": CONFORMS_TO,
        "license": "; ".join(licences) if licences else "unknown",
        "url": recipe.get("homepage") or "https://github.com/recdata/recdata",
        "version": manifest.recdata_version or "0.0.0",
        "keywords": ["recommender systems", "recdata"],
    }
    if citations:
        doc["citeAs"] = "\n\n".join(citations)
    doc["distribution"] = distribution
    doc["recordSet"] = record_sets
    return doc


def render_croissant(manifest: Manifest, schemas: dict[str, pa.Schema]) -> str:
    """Canonical JSON text of :func:`croissant` (sorted keys, two-space indent)."""
    return (
        json.dumps(croissant(manifest, schemas), indent=2, sort_keys=True, ensure_ascii=False)
        + "\n"
    )


__all__ = ["CONFORMS_TO", "CROISSANT_NAME", "croissant", "render_croissant"]
