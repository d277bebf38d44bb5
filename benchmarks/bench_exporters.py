"""Time every exporter on a synthetic folder (run by hand: python benchmarks/bench_exporters.py [N])."""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

from recdata import schema as S
from recdata.dataset import DatasetTables, Manifest, SplitRecord, write_dataset
from recdata.exporters import EXPORTERS, export


def synthetic(folder: Path, n: int, n_users: int, n_items: int, seed: int = 0) -> Path:
    """n interactions of n_users users over n_items items with a leave-one-out split."""
    rng = np.random.default_rng(seed)
    users = np.sort(rng.integers(1, n_users + 1, size=n)).astype(np.int32)
    inter = pl.DataFrame(
        {
            S.USER: users,
            S.ITEM: rng.integers(1, n_items + 1, size=n).astype(np.int32),
            S.TIME: rng.integers(1_500_000_000_000, 1_600_000_000_000, size=n),
            S.RATING: rng.integers(1, 6, size=n).astype(np.float32),
        }
    ).with_columns(pl.col(S.TIME).cast(pl.Datetime("ms")).dt.replace_time_zone("UTC"))
    inter = (
        inter.sort(S.USER, S.TIME)
        .with_row_index(S.INTERACTION)
        .with_columns(pl.col(S.INTERACTION).cast(pl.Int64))
    )
    present_users = inter[S.USER].unique().sort()
    inter = inter.with_columns(pl.col(S.USER).rank("dense").cast(pl.Int32))
    pos = pl.int_range(pl.len()).over(S.USER)
    size = pl.len().over(S.USER)
    part = (
        pl.when(size < 3)
        .then(pl.lit("train"))
        .when(pos == size - 1)
        .then(pl.lit("test"))
        .when(pos == size - 2)
        .then(pl.lit("valid"))
        .otherwise(pl.lit("train"))
    )
    labelled = inter.with_columns(part.alias("_p"))
    splits = {
        "loo": {
            p: labelled.filter(pl.col("_p") == p).drop("_p") for p in ("train", "valid", "test")
        }
    }
    items = pl.DataFrame(
        {
            S.ITEM: np.arange(1, n_items + 1, dtype=np.int32),
            S.ITEM_ID: [f"B{i:09d}" for i in range(1, n_items + 1)],
            "title": [f"Item number {i}" for i in range(1, n_items + 1)],
            "categories": [[f"c{i % 17}", f"d{i % 5}"] for i in range(1, n_items + 1)],
        }
    )
    users_t = pl.DataFrame(
        {
            S.USER: np.arange(1, len(present_users) + 1, dtype=np.int32),
            S.USER_ID: [f"U{u}" for u in present_users],
        }
    )
    manifest = Manifest(
        name="synth", default_split="loo", splits={"loo": SplitRecord(protocol="leave_one_out")}
    )
    return write_dataset(folder, DatasetTables(inter, items, users_t, splits), manifest)


def main(n: int = 1_000_000) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = synthetic(
            Path(tmp) / "synth", n, n_users=max(n // 20, 10), n_items=max(n // 50, 100)
        )
        print(f"{n:,} interactions")
        for to in EXPORTERS:
            options = {"template": "candidates", "parts": ["test"]} if to == "prompts" else {}
            start = time.perf_counter()
            out = export(folder, to=to, out=Path(tmp) / to, **options)
            took = time.perf_counter() - start
            size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
            print(f"{to:11s} {took:7.2f} s  {size / 1e6:8.1f} MB")
            shutil.rmtree(out)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
