"""Semantic IDs: wall time and peak memory of each method on synthetic catalogues.

Run by hand (not by pytest); each case runs in its own process so its peak RSS is its own::

    PYTHONPATH=. python benchmarks/bench_semantic_ids.py                 # the standard table
    PYTHONPATH=. python benchmarks/bench_semantic_ids.py --case rq-kmeans:1000000
    PYTHONPATH=. python benchmarks/bench_semantic_ids.py --case rq-vae:12000 --epochs 20
    PYTHONPATH=. python benchmarks/bench_semantic_ids.py --folder ml-100k \
        --case rq-kmeans --case rq-kmeans:sinkhorn --case rq-kmeans-balanced --case rq-vae

Embeddings: ``n`` items x 384 dims with clustered structure at three scales (see
:func:`synthetic`; unit-normalised like a sentence-transformers text embedding), seed 0. Each
case times ``quantize`` + collision handling + quality metrics (:func:`recdata.semantic_ids.compute_semantic_ids` without the category
check, which needs an items table) with the default 3 levels x 256 codes and ``suffix``.
Peak memory is the process's maximum RSS (``ru_maxrss``), the embedding matrix included; CPU time
(``time.process_time``) is reported beside wall time because the machine may be shared.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

DIM = 384
STANDARD = [
    "rq-kmeans:12000",
    "rq-kmeans:12000:sinkhorn",
    "rq-kmeans:100000",
    "rq-kmeans-balanced:12000",
    "rq-vae:12000",
]


def synthetic(n: int, dim: int = DIM, *, seed: int = 0):  # noqa: ANN201
    """``n`` unit vectors with structure at three scales (float32, generated in chunks): each item
    is ``A[i] + 0.5 B[j] + 0.25 C[k] + 0.1 noise`` with 256 random directions per scale and
    independent seeded picks ``i, j, k``, then normalised (like a sentence-transformers output)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    scales = [
        rng.standard_normal((256, dim)).astype(np.float32) / np.sqrt(dim) * w
        for w in (1.0, 0.5, 0.25)
    ]
    x = np.empty((n, dim), dtype=np.float32)
    for start in range(0, n, 1 << 16):
        stop = min(n, start + (1 << 16))
        block = 0.1 / np.sqrt(dim) * rng.standard_normal((stop - start, dim)).astype(np.float32)
        for centres in scales:
            block += centres[rng.integers(0, 256, size=stop - start)]
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        x[start:stop] = block
    return x


def run_case(case: str, epochs: int | None, folder: str | None = None) -> dict:
    """One case in this process: build (or read) the embeddings, then time the computation."""
    import numpy as np
    import polars as pl

    from recdata.semantic_ids import SemanticIdsSpec, compute_semantic_ids

    items = None
    if folder is None:
        method, n, *rest = case.split(":")
        x = synthetic(int(n))
        frame = pl.DataFrame(
            {
                "item_idx": pl.Series(np.arange(1, x.shape[0] + 1), dtype=pl.Int32),
                "embedding": pl.Series(x).cast(pl.Array(pl.Float32, DIM)),
            }
        )
        del x
    else:  # a dataset folder: its first text embedding, and its items for the category check
        from recdata.dataset import Manifest
        from recdata.semantic_ids import resolve_embedding

        method, *rest = case.split(":")
        root = Path(folder)
        rel = resolve_embedding(Manifest.read(root), None, folder=root.name)
        frame = pl.read_parquet(root / rel)
        items = pl.read_parquet(root / "items.parquet")
        n = frame.height
    collisions = rest[0] if rest else "suffix"
    options = {"epochs": epochs} if epochs else {}
    spec = SemanticIdsSpec(method=method, collisions=collisions, **options)
    cpu = time.process_time()
    start = time.perf_counter()
    result = compute_semantic_ids(frame, spec=spec, items=items)
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu
    metrics = result.details["metrics"]
    return {
        "case": case,
        "method": method,
        "items": int(n),
        "collisions": collisions,
        "epochs": spec.epochs if method == "rq-vae" else None,
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "collision_rate": metrics["collision_rate"],
        "max_group": metrics["max_group_size"],
        "suffix_size": metrics["after"]["suffix_size"],
        "perplexity": [lv["perplexity"] for lv in metrics["levels"]],
        "codebook": result.details["codebook"]["used"],
        "after_sinkhorn": metrics["after"].get("collision_rate_after_sinkhorn"),
        "category_ratio": metrics["category_check"].get("ratio"),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--case",
        action="append",
        help="METHOD:ITEMS[:COLLISIONS], or METHOD[:COLLISIONS] with --folder; repeatable",
    )
    parser.add_argument(
        "--folder", default=None, help="quantise this dataset folder's text embedding instead"
    )
    parser.add_argument("--epochs", type=int, default=None, help="rq-vae epochs (default 100)")
    parser.add_argument("--inline", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    cases = args.case or STANDARD
    if args.inline:
        print(json.dumps(run_case(cases[0], args.epochs, args.folder)))
        return
    if args.folder:
        _folder_table(cases, args)
        return
    print(
        "| method | items | collisions | wall (s) | CPU (s) | peak RSS (MB) | collision rate "
        "| max group | perplexity per level |"
    )
    print("|---|---:|---|---:|---:|---:|---:|---:|---|")
    for case in cases:
        r = _subprocess(case, args)
        label = r["method"] + (f" ({r['epochs']} epochs)" if r["epochs"] else "")
        print(
            f"| {label} | {r['items']:,} | {r['collisions']} | {r['seconds']} | {r['cpu_seconds']} "
            f"| {r['peak_rss_mb']:,} | {r['collision_rate']:.4f} | {r['max_group']} "
            f"| {', '.join(f'{p:.0f}' for p in r['perplexity'])} |",
            flush=True,
        )


def _subprocess(case: str, args: argparse.Namespace) -> dict:
    """Run one case in a fresh interpreter (its own peak RSS) and return its JSON result."""
    cmd = [sys.executable, __file__, "--inline", "--case", case]
    if args.epochs:
        cmd += ["--epochs", str(args.epochs)]
    if args.folder:
        cmd += ["--folder", args.folder]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def _folder_table(cases: list[str], args: argparse.Namespace) -> None:
    """Quality and time of each method on a real folder's text embedding."""
    print(
        "| method | collisions | codebook | wall (s) | CPU (s) | collision rate | after sinkhorn "
        "| max group | suffix size | perplexity per level | category ratio |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|")
    for case in cases:
        r = _subprocess(case, args)
        after = "" if r["after_sinkhorn"] is None else f"{r['after_sinkhorn']:.4f}"
        print(
            f"| {r['method']} | {r['collisions']} | {r['codebook']} | {r['seconds']} "
            f"| {r['cpu_seconds']} | {r['collision_rate']:.4f} | {after} | {r['max_group']} "
            f"| {r['suffix_size']} | {', '.join(f'{p:.0f}' for p in r['perplexity'])} "
            f"| {r['category_ratio']} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
