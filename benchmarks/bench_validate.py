"""Time `recdata validate` (and `stats`) on a generated folder of N interactions; report peak RSS.

Run by hand:  python benchmarks/bench_validate.py --rows 50000000 --workdir /tmp/bench-validate
The folder is generated with numpy (sorted users, increasing timestamps, Zipf items), split
leave-one-out and given a user–item graph, then validated in a fresh subprocess so that the
peak RSS measured is validate's own.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

from recdata import graphs
from recdata import schema as S
from recdata.dataset import DatasetTables, GraphRecord, Manifest, SplitRecord, write_dataset


def generate(rows: int, seed: int = 0) -> DatasetTables:
    rng = np.random.default_rng(seed)
    n_users = max(rows // 50, 3)
    n_items = max(rows // 200, 10)
    per_user = rng.multinomial(rows - 3 * n_users, np.full(n_users, 1 / n_users)) + 3
    users = np.repeat(np.arange(1, n_users + 1, dtype=np.int32), per_user)
    items = (rng.zipf(1.3, rows) % n_items + 1).astype(np.int32)
    ts = (1_500_000_000_000 + np.arange(rows, dtype=np.int64) * 7) % 2_000_000_000_000
    inter = pl.DataFrame(
        {
            S.INTERACTION: np.arange(rows, dtype=np.int64),
            S.USER: users,
            S.ITEM: items,
            S.TIME: pl.Series(ts).cast(pl.Datetime("ms", "UTC")),
            S.RATING: rng.integers(1, 6, rows).astype(np.float32),
        }
    )
    pos = pl.int_range(pl.len()).over(S.USER)
    n = pl.len().over(S.USER)
    part = (
        pl.when(pos == n - 1)
        .then(pl.lit("test"))
        .when(pos == n - 2)
        .then(pl.lit("valid"))
        .otherwise(pl.lit("train"))
    )
    labelled = inter.with_columns(part.alias("_p"))
    splits = {
        "loo": {
            p: labelled.filter(pl.col("_p") == p).drop("_p") for p in ("train", "valid", "test")
        }
    }
    del labelled
    train = splits["loo"]["train"]
    graph = graphs.user_item(train, weight="count")
    present = np.unique(items)
    # re-index items so they are contiguous 1..n
    remap = np.zeros(n_items + 1, dtype=np.int32)
    remap[present] = np.arange(1, len(present) + 1, dtype=np.int32)

    def fix(df: pl.DataFrame, col: str = S.ITEM) -> pl.DataFrame:
        return df.with_columns(pl.Series(col, remap[df[col].to_numpy()]))

    inter = fix(inter)
    splits = {"loo": {p: fix(f) for p, f in splits["loo"].items()}}
    graph = fix(graph, "dst").sort("src", "dst")
    item_frame = pl.DataFrame(
        {S.ITEM: np.arange(1, len(present) + 1, dtype=np.int32)}
    ).with_columns(pl.format("i{}", pl.col(S.ITEM)).alias(S.ITEM_ID))
    user_frame = pl.DataFrame({S.USER: np.arange(1, n_users + 1, dtype=np.int32)}).with_columns(
        pl.format("u{}", pl.col(S.USER)).alias(S.USER_ID)
    )
    return DatasetTables(inter, item_frame, user_frame, splits=splits, graphs={"user_item": graph})


def peak_of(cmd: list[str]) -> tuple[float, float, int]:
    """Run a command; wall seconds, peak RSS in MiB of that child, exit code."""
    probe = (
        "import resource, subprocess, sys; code = subprocess.run(sys.argv[1:], capture_output=True).returncode;"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, code)"
    )
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", probe, *cmd], capture_output=True, text=True, check=True
    )
    wall = time.perf_counter() - start
    peak_kib, code = proc.stdout.split()
    return wall, int(peak_kib) / 1024, int(code)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/bench-validate"))
    args = parser.parse_args()
    folder = args.workdir / f"folder-{args.rows}"
    if not folder.exists():
        start = time.perf_counter()
        tables = generate(args.rows)
        manifest = Manifest(
            name=f"bench-{args.rows}",
            default_split="loo",
            splits={"loo": SplitRecord(protocol="leave_one_out", partition=True, ordered=True)},
            graphs={"graphs/user_item.parquet": GraphRecord(kind="user_item", split="loo")},
        )
        write_dataset(folder, tables, manifest)
        del tables
        print(
            f"generated {args.rows:,} interactions in {time.perf_counter() - start:.1f} s",
            file=sys.stderr,
        )
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20
    results = {"rows": args.rows, "folder_mib": round(size, 1)}
    for name, cmd in {
        "validate": [sys.executable, "-m", "recdata", "validate", str(folder)],
        "stats": [sys.executable, "-m", "recdata", "stats", "--json", str(folder)],
    }.items():
        wall, peak, code = peak_of(cmd)
        results[name] = {"seconds": round(wall, 1), "peak_rss_mib": round(peak), "exit": code}
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
