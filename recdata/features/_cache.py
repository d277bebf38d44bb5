"""A persistent embedding cache: (model identity, content sha256) -> vector, written in chunks.

Each model identity (name, revision, settings that change the vectors) gets its own folder
under ``$RECDATA_HOME/embeddings``; vectors are appended as small Parquet files written
atomically, so a killed run keeps every finished chunk and the next run resumes from there.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

log = logging.getLogger("recdata.features")

_COMPACT_AFTER = 32


def recdata_home() -> Path:
    """``$RECDATA_HOME`` or ``~/.cache/recdata``."""
    return Path(os.environ.get("RECDATA_HOME") or Path.home() / ".cache" / "recdata").expanduser()


def content_hashes(texts: Iterable[str | bytes]) -> list[str]:
    """Hex sha256 of each text (UTF-8) or byte string."""
    return [
        hashlib.sha256(t.encode("utf-8") if isinstance(t, str) else t).hexdigest() for t in texts
    ]


def _safe(name: str) -> str:
    return re.sub(r"[^a-z0-9.]+", "-", name.lower()).strip("-.") or "model"


class EmbeddingCache:
    """Vectors of one model identity, keyed by content hash.

    Parameters
    ----------
    root
        Cache root (``$RECDATA_HOME/embeddings`` by default).
    identity
        Everything that changes the vectors (model, revision, normalisation, dtype...).
    """

    def __init__(self, root: Path, identity: Mapping[str, Any]) -> None:
        text = json.dumps(dict(identity), sort_keys=True, default=str)
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
        self.folder = Path(root) / f"{_safe(str(identity.get('model', 'model')))}-{digest}"
        self.identity = dict(identity)

    def _chunks(self) -> list[Path]:
        return sorted(self.folder.glob("chunk-*.parquet")) if self.folder.is_dir() else []

    def get(self, hashes: list[str], dim: int | None = None) -> dict[str, np.ndarray]:
        """The cached vectors among ``hashes`` (absent keys are simply missing)."""
        chunks = self._chunks()
        if not chunks or not hashes:
            return {}
        wanted = pl.Series("hash", hashes, dtype=pl.String)
        for attempt in range(2):  # a concurrent compaction may remove a chunk between glob and read
            try:
                frame = (
                    pl.scan_parquet(chunks)
                    .filter(pl.col("hash").is_in(wanted.implode()))
                    .unique("hash", keep="first", maintain_order=True)
                    .collect()
                )
                break
            except (FileNotFoundError, pl.exceptions.ComputeError):
                if attempt:
                    raise
                chunks = self._chunks()
        if frame.is_empty():
            return {}
        size = frame.schema["embedding"].size  # type: ignore[union-attr]
        if dim is not None and size != dim:
            log.warning(
                "embedding cache %s holds %d-d vectors, expected %d; ignored",
                self.folder.name,
                size,
                dim,
            )
            return {}
        matrix = frame["embedding"].to_numpy().reshape(frame.height, size)
        return dict(zip(frame["hash"].to_list(), matrix, strict=True))

    def put(self, hashes: list[str], vectors: np.ndarray) -> None:
        """Append one chunk atomically (temporary file, then rename)."""
        if not hashes:
            return
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self.folder.mkdir(parents=True, exist_ok=True)
        identity = self.folder / "identity.json"
        if not identity.exists():
            identity.write_text(
                json.dumps(self.identity, sort_keys=True, indent=2, default=str), encoding="utf-8"
            )
        dim = vectors.shape[1]
        table = pa.table(
            {
                "hash": pa.array(hashes, pa.string()),
                "embedding": pa.FixedSizeListArray.from_arrays(
                    pa.array(vectors.ravel(), pa.float32()), dim
                ),
            }
        )
        name = f"chunk-{uuid.uuid4().hex}.parquet"
        tmp = self.folder / f".{name}.tmp"
        pq.write_table(table, tmp, compression="zstd")
        os.replace(tmp, self.folder / name)

    def compact(self) -> None:
        """Merge many small chunks into one (new file first, then the old ones go)."""
        chunks = self._chunks()
        if len(chunks) <= _COMPACT_AFTER:
            return
        frame = pl.scan_parquet(chunks).unique("hash", keep="first", maintain_order=True).collect()
        matrix = frame["embedding"].to_numpy().reshape(frame.height, -1)
        self.put(frame["hash"].to_list(), matrix)
        for path in chunks:
            path.unlink(missing_ok=True)
        log.debug("embedding cache %s: compacted %d chunks", self.folder.name, len(chunks))
