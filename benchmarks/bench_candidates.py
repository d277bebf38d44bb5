"""Time seeded candidate sampling: U test users x N negatives over I items; report peak RSS.

Run by hand:  python benchmarks/bench_candidates.py --users 1000000 --items 100000 -n 99
Each configuration runs in a fresh subprocess (so the peak RSS is its own): generate the
interactions with numpy (a mean of --per-user interactions per user, Zipf items, the last one
of each user is the test row), then time ``compute_candidates`` on the test part (valid empty):
the exclusion sets, the sampling and the Arrow list column, separately, and the process CPU
time (user + system) beside the wall time (on a shared machine the wall time includes waiting).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import numpy as np
import polars as pl

from recdata import schema as S


def generate(users: int, items: int, per_user: int, seed: int = 0) -> pl.DataFrame:
    """Interactions in sequence order: user-sorted, Zipf(1.2) items, no time needed."""
    rng = np.random.default_rng(seed)
    counts = rng.poisson(per_user - 3, users) + 3
    rows = int(counts.sum())
    return pl.DataFrame(
        {
            S.INTERACTION: np.arange(rows, dtype=np.int64),
            S.USER: np.repeat(np.arange(1, users + 1, dtype=np.int32), counts),
            S.ITEM: (rng.zipf(1.2, rows) % items + 1).astype(np.int32),
        }
    )


def child(args: argparse.Namespace) -> dict[str, object]:
    from recdata.candidates import CandidatesSpec, compute_candidates
    from recdata.candidates import _compute as compute_module

    inter = generate(args.users, args.items, args.per_user)
    last = pl.col(S.INTERACTION) == pl.col(S.INTERACTION).max().over(S.USER)
    test = inter.filter(last)
    train = inter.filter(~last)
    rss_data = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    timings: dict[str, float] = {}
    exclusion, sample_frame = compute_module.exclusion, compute_module._frame

    def cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    def timed(name, fn):  # noqa: ANN001, ANN202
        def wrapper(*a, **k):  # noqa: ANN002, ANN003, ANN202
            start, cpu_start = time.perf_counter(), cpu()
            out = fn(*a, **k)
            timings[name] = timings.get(name, 0.0) + time.perf_counter() - start
            timings[f"{name}_cpu"] = timings.get(f"{name}_cpu", 0.0) + cpu() - cpu_start
            return out

        return wrapper

    compute_module.exclusion = timed("exclusion", exclusion)
    compute_module._frame = timed("list_column", sample_frame)
    spec = CandidatesSpec(sampler=args.sampler, n=args.n, seed=0)
    start, cpu_start = time.perf_counter(), cpu()
    out = compute_candidates(
        inter.lazy(),
        {"train": train.lazy(), "valid": test.head(0).lazy(), "test": test.lazy()},
        protocol="loo",
        spec=spec,
        n_items=args.items,
        n_users=args.users,
        workers=args.workers,
    )
    total, cpu_total = time.perf_counter() - start, cpu() - cpu_start
    timings["sampling"] = total - timings["exclusion"] - timings["list_column"]
    timings["sampling_cpu"] = cpu_total - timings["exclusion_cpu"] - timings["list_column_cpu"]
    part = out.record.parts["test"]
    return {
        "sampler": args.sampler,
        "workers": args.workers,
        "interactions": inter.height,
        "test_rows": part.rows,
        "short_rows": part.short_rows,
        "negatives": part.negatives,
        "seconds": round(total, 2),
        "cpu_seconds": round(cpu_total, 2),
        **{k: round(v, 2) for k, v in timings.items()},
        "rss_data_mb": round(rss_data),
        "rss_peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--per-user", type=int, default=20)
    parser.add_argument("-n", type=int, default=99)
    parser.add_argument("--samplers", default="uniform,popularity")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--sampler", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        args.workers = int(args.workers)
        print(json.dumps(child(args)))
        return
    for sampler in args.samplers.split(","):
        for workers in args.workers.split(","):
            cmd = [
                sys.executable, __file__, "--child", "--sampler", sampler, "--workers", workers,
                "--users", str(args.users), "--items", str(args.items),
                "--per-user", str(args.per_user), "-n", str(args.n),
            ]  # fmt: skip
            done = subprocess.run(cmd, capture_output=True, text=True, check=True)
            print(done.stdout.strip().splitlines()[-1], flush=True)


if __name__ == "__main__":
    main()
