"""The dataset folder: manifest model, atomic deterministic writer and lazy ``load``."""

from recdata.dataset._card import CARD_NAME, render_card
from recdata.dataset._croissant import CROISSANT_NAME, croissant, render_croissant
from recdata.dataset._folder import (
    BUILD_LOG,
    Dataset,
    DatasetTables,
    SplitFrames,
    file_sha256,
    load,
    update_dataset,
    write_dataset,
    write_parquet,
)
from recdata.dataset.manifest import (
    MANIFEST_NAME,
    FeatureRecord,
    FileRecord,
    GraphRecord,
    IndexRecord,
    Manifest,
    SourceRecord,
    SplitRecord,
    StepRecord,
    canonical_hash,
    manifest_hash,
)

__all__ = [
    "BUILD_LOG",
    "CARD_NAME",
    "CROISSANT_NAME",
    "MANIFEST_NAME",
    "Dataset",
    "DatasetTables",
    "FeatureRecord",
    "FileRecord",
    "GraphRecord",
    "IndexRecord",
    "Manifest",
    "SourceRecord",
    "SplitFrames",
    "SplitRecord",
    "StepRecord",
    "canonical_hash",
    "croissant",
    "file_sha256",
    "load",
    "manifest_hash",
    "render_card",
    "render_croissant",
    "update_dataset",
    "write_dataset",
    "write_parquet",
]
