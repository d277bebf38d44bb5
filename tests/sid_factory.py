"""Dataset folders with seeded clustered embeddings, for the semantic-ID tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from recdata import schema as S
from recdata.dataset import DatasetTables, FeatureRecord, Manifest, write_dataset

N_CLUSTERS = 6


def clustered(n: int, dim: int = 16, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(float32 vectors, cluster of each row): ``N_CLUSTERS`` well-separated Gaussian blobs."""
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((N_CLUSTERS, dim)) * 5
    cluster = rng.integers(0, N_CLUSTERS, size=n)
    x = centers[cluster] + rng.standard_normal((n, dim))
    return x.astype(np.float32), cluster


def embedding_frame(x: np.ndarray) -> pl.DataFrame:
    return pl.DataFrame(
        {
            S.ITEM: pl.Series(np.arange(1, x.shape[0] + 1), dtype=pl.Int32),
            "embedding": pl.Series(x).cast(pl.Array(pl.Float32, x.shape[1])),
        }
    )


def make_folder(folder: Path, n_items: int = 300, *, seed: int = 0, duplicates: int = 0) -> Path:
    """A valid folder of ``n_items`` items (categories = their cluster), one user per item and a
    seeded text embedding ``features/text-seeded.parquet``; the last ``duplicates`` items get
    the first item's vector (identical content)."""
    x, cluster = clustered(n_items, seed=seed)
    if duplicates:
        x[-duplicates:] = x[0]
        cluster[-duplicates:] = cluster[0]
    items = pl.DataFrame(
        {
            S.ITEM: pl.Series(np.arange(1, n_items + 1), dtype=pl.Int32),
            S.ITEM_ID: [f"i{i}" for i in range(1, n_items + 1)],
            "title": [f"Item {i}" for i in range(1, n_items + 1)],
            "categories": [[f"c{c}"] for c in cluster],
        }
    )
    inter = pl.DataFrame(
        {
            S.INTERACTION: pl.Series(np.arange(n_items), dtype=pl.Int64),
            S.USER: pl.Series(np.arange(1, n_items + 1), dtype=pl.Int32),
            S.ITEM: pl.Series(np.arange(1, n_items + 1), dtype=pl.Int32),
            S.TIME: pl.Series(np.arange(n_items) * 1000, dtype=pl.Int64),
            S.RATING: pl.Series([1.0] * n_items, dtype=pl.Float32),
        }
    ).with_columns(pl.col(S.TIME).cast(pl.Datetime("ms")).dt.replace_time_zone("UTC"))
    users = pl.DataFrame(
        {
            S.USER: pl.Series(np.arange(1, n_items + 1), dtype=pl.Int32),
            S.USER_ID: [f"u{i}" for i in range(1, n_items + 1)],
        }
    )
    manifest = Manifest(
        name="seeded",
        features={
            "features/text-seeded.parquet": FeatureRecord(
                kind="text", model="seeded", dim=x.shape[1], normalized=False
            )
        },
    )
    tables = DatasetTables(
        interactions=inter,
        items=items,
        users=users,
        features={"text-seeded": embedding_frame(x)},
    )
    return write_dataset(folder, tables, manifest)
