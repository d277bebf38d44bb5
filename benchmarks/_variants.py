"""The pipelines the benchmark times: CSV -> dedup -> iterative 5-core -> leave-one-out -> Parquet.

Each variant takes the CSV path and an output folder and returns the rows written per part.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

K = 5


def io_floor(csv: Path, out: Path) -> dict[str, int]:
    """The I/O floor: read the CSV and write it as one Parquet file, nothing else."""
    df = pl.read_csv(csv)
    df.write_parquet(out / "all.parquet")
    return {"all": df.height}


def io_floor_streaming(csv: Path, out: Path) -> dict[str, int]:
    """The streaming I/O floor: ``scan_csv(...).sink_parquet(...)``."""
    pl.scan_csv(csv).sink_parquet(out / "all.parquet")
    return {"all": pl.scan_parquet(out / "all.parquet").select(pl.len()).collect().item()}


def recdata_pipeline(csv: Path, out: Path) -> dict[str, int]:
    """The pipeline with recdata's public functions: index raw ids once (int32, any order, no sort),
    dedup and k-core on int32 columns, re-index the survivors in sequence order, split, and
    sink the three lazy parts to Parquet."""
    from recdata import splits, transforms

    lf = pl.scan_csv(csv, schema_overrides={"rating": pl.Float32, "timestamp": pl.Int64})
    lf = transforms.to_timestamp(lf, unit="s")
    data = transforms.index_ids(lf, user="user_id", item="item_id", order="any", sort=False)
    lf = transforms.dedup(data.interactions.lazy(), keep="first")
    data = data.without_interactions()  # reindex needs only the maps: free the 10M rows
    lf = transforms.kcore(lf, user_k=K, item_k=K)
    data = transforms.reindex(data, lf)
    split = splits.leave_one_out(data.interactions.lazy())
    del data, lf
    # the parts are lazy filters of one frame: sink them together, each streamed to its file
    paths = {name: out / f"{name}.parquet" for name in split.parts()}
    pl.collect_all(
        [part.sink_parquet(paths[name], lazy=True) for name, part in split.parts().items()]
    )
    return {
        name: pl.scan_parquet(path).select(pl.len()).collect().item()
        for name, path in paths.items()
    }


def pandas_pipeline(csv: Path, out: Path) -> dict[str, int]:
    """The same pipeline in vectorised pandas (pyarrow CSV engine, categoricals, no row loops)."""
    import pandas as pd

    df = pd.read_csv(
        csv,
        engine="pyarrow",
        dtype={"user_id": "category", "item_id": "category", "rating": "float32"},
    )
    df["timestamp"] = pd.to_datetime(df["timestamp"], unit="s", utc=True)
    df = (
        df.sort_values("timestamp", kind="stable")
        .drop_duplicates(["user_id", "item_id"], keep="first")
        .sort_index()
    )
    while True:
        uc = df.groupby("user_id", observed=True)["user_id"].transform("size")
        ic = df.groupby("item_id", observed=True)["item_id"].transform("size")
        keep = (uc >= K) & (ic >= K)
        if keep.all():
            break
        df = df[keep]
    df["user_idx"] = pd.factorize(df["user_id"].astype(str), sort=True)[0].astype("int32") + 1
    df["item_idx"] = pd.factorize(df["item_id"].astype(str), sort=True)[0].astype("int32") + 1
    df = df.drop(columns=["user_id", "item_id"])
    df = df.sort_values(["user_idx", "timestamp"], kind="stable").reset_index(drop=True)
    df.insert(0, "interaction_idx", range(len(df)))
    g = df.groupby("user_idx", sort=False)
    from_end = g.cumcount(ascending=False)
    size = g["user_idx"].transform("size")
    short = size < 3
    parts = {
        "test": (from_end == 0) & ~short,
        "valid": (from_end == 1) & ~short,
    }
    parts["train"] = ~(parts["test"] | parts["valid"])
    counts = {}
    for name in ("train", "valid", "test"):
        part = df[parts[name]]
        part.to_parquet(out / f"{name}.parquet", index=False)
        counts[name] = len(part)
    return counts


def recbole_inter(csv: Path) -> Path:
    """Where RecBole's atomic ``.inter`` file for ``csv`` lives: ``<stem>-recbole/bench/bench.inter``
    beside the CSV (RecBole reads ``data_path/<dataset>/<dataset>.inter``)."""
    return csv.parent / f"{csv.stem}-recbole" / "bench" / "bench.inter"


def prepare_recbole(csv: Path) -> Path:
    """Write the CSV as RecBole's atomic ``.inter`` file (tab-separated, ``name:type`` header),
    once, outside every timed region: it is the same table in RecBole's input format."""
    inter = recbole_inter(csv)
    if inter.exists():
        return inter
    inter.parent.mkdir(parents=True, exist_ok=True)
    tmp = inter.with_suffix(".tmp")
    pl.read_csv(csv).rename(
        {
            "user_id": "user_id:token",
            "item_id": "item_id:token",
            "rating": "rating:float",
            "timestamp": "timestamp:float",
        }
    ).write_csv(tmp, separator="\t")
    tmp.rename(inter)
    return inter


# Filled by recbole_pipeline: seconds per phase and the peak RSS (MB) up to the split.
RECBOLE_PHASES: dict[str, float] = {}


def recbole_pipeline(csv: Path, out: Path) -> dict[str, int]:
    """RecBole's own data pipeline, timed up to its split and dataloaders (RecBole writes no
    Parquet): ``create_dataset`` loads the atomic ``.inter`` file (written beforehand by
    :func:`prepare_recbole`), drops duplicate (user, item) pairs keeping the earliest
    (``rm_dup_inter: first``), filters users and items to >= 5 interactions until nothing
    changes, and remaps ids; ``data_preparation`` sorts by time, splits leave-one-out per
    user (``LS: valid_and_test``) and builds the samplers and dataloaders."""
    import resource
    import time

    from recbole.config import Config
    from recbole.data import create_dataset, data_preparation

    inter = recbole_inter(csv)
    if not inter.exists():
        raise FileNotFoundError(f"{inter} is missing: run prepare_recbole first")
    config = Config(
        model="Pop",
        dataset="bench",
        config_dict={
            "data_path": str(inter.parent.parent),
            "checkpoint_dir": str(out / "saved"),  # never a stale saved dataset from cwd
            "save_dataset": False,
            "save_dataloaders": False,
            "USER_ID_FIELD": "user_id",
            "ITEM_ID_FIELD": "item_id",
            "RATING_FIELD": "rating",
            "TIME_FIELD": "timestamp",
            "load_col": {"inter": ["user_id", "item_id", "rating", "timestamp"]},
            "rm_dup_inter": "first",
            "user_inter_num_interval": f"[{K},inf)",
            "item_inter_num_interval": f"[{K},inf)",
            "eval_args": {
                "split": {"LS": "valid_and_test"},
                "order": "TO",
                "group_by": "user",
                "mode": "full",
            },
        },
    )
    phases = RECBOLE_PHASES
    phases.clear()
    t0 = time.perf_counter()
    dataset = create_dataset(config)
    t1 = time.perf_counter()
    phases["create_dataset_s"] = t1 - t0
    kept = len(dataset)  # interactions after dedup + 5-core

    build = dataset.build

    def timed_build():  # data_preparation calls dataset.build() first: time it on its own
        b0 = time.perf_counter()
        parts = build()
        phases["split_s"] = time.perf_counter() - b0
        phases["rss_mb_at_split"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return parts

    dataset.build = timed_build
    train, valid, test = data_preparation(config, dataset)
    phases["dataloaders_s"] = time.perf_counter() - t1 - phases["split_s"]
    phases["to_split_s"] = phases["create_dataset_s"] + phases["split_s"]
    counts = {"train": len(train.dataset), "valid": len(valid.dataset), "test": len(test.dataset)}
    if sum(counts.values()) != kept:
        raise AssertionError(f"split lost rows: {counts} vs {kept} kept")
    return counts


VARIANTS = {
    "io_floor": io_floor,
    "io_floor_streaming": io_floor_streaming,
    "recdata": recdata_pipeline,
    "pandas": pandas_pipeline,
    "recbole": recbole_pipeline,
}
