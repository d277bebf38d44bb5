"""The dataset folder: manifest model, atomic deterministic writer and lazy ``load``."""

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
    "file_sha256",
    "load",
    "manifest_hash",
    "update_dataset",
    "write_dataset",
    "write_parquet",
]
