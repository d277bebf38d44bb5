"""Benchmark: session steps and protocols at Yoochoose scale, on a synthetic yoochoose-clicks.dat.

Run by hand (not by pytest)::

    PYTHONPATH=. /work/venv/bin/python benchmarks/bench_sessions.py --clicks 33M [--workdir DIR]

It writes a file in the publisher's format (no header; ``session,ISO time with ms + Z,item,
category``) with Yoochoose's shape: sessions of geometric length (mean 3.57, as 33,003,944
clicks / 9,249,729 sessions), items Zipf-distributed over 52,739 ids, six months of time,
clicks grouped by session. Then each variant runs in its own subprocess, which reports wall
time per stage (imports excluded) and its peak RSS (``ru_maxrss``):

- ``read``: read and map the file as the ``yoochoose`` recipe does (the I/O floor);
- ``srgnn``: read, the ``srgnn`` step (SR-GNN's preprocessing), indices in SR-GNN's order, the
  ``srgnn`` split with fraction 64 and with fraction 4, and the srgnn export's pair lines;
- ``steps``: read, ``sessionize`` (30 min), ``drop_short_sessions`` (2), ``drop_rare_items``
  (5, iterative), ``remove_repeats``, indices, ``temporal_sessions`` and ``last_session_out``;
- ``build``: ``recdata build yoochoose-1-64-srgnn --raw-dir`` end to end (folder written).

With ``--memory`` the ``srgnn`` and ``steps`` variants start from the same clicks generated in
their own process (untimed) instead of reading the file: the session stages alone.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VARIANTS = ["read", "srgnn", "steps", "build"]
N_ITEMS = 52_739
MEAN_LENGTH = 33_003_944 / 9_249_729


def _size(text: str) -> int:
    text = text.strip().upper()
    mult = {"K": 1_000, "M": 1_000_000}.get(text[-1], 1)
    return int(float(text[:-1] if text[-1] in "KM" else text) * mult)


def clicks_frame(clicks: int, seed: int = 0):  # noqa: ANN201
    """Yoochoose-shaped clicks as the yoochoose recipe maps them: ``user_id`` (= the session,
    int64), ``session_id`` (string), ``item_id`` (int64), ``timestamp``, ``category``; grouped by
    session, in time order within it (numpy + polars; no Python loop over rows)."""
    import numpy as np
    import polars as pl

    rng = np.random.default_rng(seed)
    lengths = rng.geometric(1 / MEAN_LENGTH, size=int(clicks / MEAN_LENGTH * 1.2) + 10)
    ends = np.cumsum(lengths)
    n_sessions = int(np.searchsorted(ends, clicks)) + 1
    lengths = lengths[:n_sessions]
    lengths[-1] -= int(ends[n_sessions - 1] - clicks)
    session = np.repeat(np.arange(1, n_sessions + 1, dtype=np.int64), lengths)
    start = np.int64(1396310400000)  # 2014-04-01T00:00:00Z, six months of sessions
    begin = np.sort(rng.integers(0, 183 * 86_400_000, n_sessions)) + start
    gaps = rng.exponential(60_000, clicks).astype(np.int64)
    first = np.zeros(clicks, dtype=bool)
    first[np.r_[0, np.cumsum(lengths)[:-1]]] = True
    gaps[first] = 0
    total = np.cumsum(gaps)
    offset = total - np.repeat(total[first], lengths)
    del gaps, total, first
    ts = np.repeat(begin, lengths) + offset
    items = 214_000_000 + np.minimum(rng.zipf(1.3, clicks), N_ITEMS)
    return pl.DataFrame(
        {
            "user_id": session,
            "session_id": pl.Series(session).cast(pl.String),
            "item_id": items,
            "timestamp": pl.Series(ts).cast(pl.Datetime("ms", "UTC")),
            "category": pl.repeat("0", clicks, eager=True),
        }
    )


def generate(path: Path, clicks: int, seed: int = 0) -> None:
    """A yoochoose-clicks.dat of ``clicks`` rows in the publisher's format."""
    import polars as pl

    frame = clicks_frame(clicks, seed)
    frame.select(
        "user_id",
        pl.col("timestamp").dt.strftime("%Y-%m-%dT%H:%M:%S%.3fZ"),
        "item_id",
        "category",
    ).write_csv(path, include_header=False)


def _read(path: Path):  # noqa: ANN202
    from recdata.normalize._mapping import canonical_interactions, map_table, read_table
    from recdata.recipe import resolve

    spec = resolve("yoochoose").interactions
    raw, _ = read_table(spec, path)
    return canonical_interactions(map_table(raw, spec, path=path.name))


def _cpu() -> float:
    """CPU seconds (user + system, all threads) of this process so far."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _child(variant: str, path: Path, out: Path) -> None:
    import polars as pl

    import recdata.exporters  # noqa: F401
    import recdata.sessions as SS
    import recdata.splits as SP
    import recdata.transforms as T

    stages: dict[str, float] = {}
    cpu: dict[str, float] = {}
    rows: dict[str, int] = {}
    t0, c0 = time.perf_counter(), _cpu()

    def lap(name: str) -> None:
        nonlocal t0, c0
        now, c = time.perf_counter(), _cpu()
        stages[name], cpu[name] = round(now - t0, 2), round(c - c0, 2)
        t0, c0 = now, c

    if variant == "build":
        from recdata.pipeline import build

        raw = out / f"raw-{path.stem}"
        raw.mkdir(parents=True, exist_ok=True)
        link = raw / "yoochoose-clicks.dat"
        if not link.exists():
            link.symlink_to(path)
        build(
            "yoochoose-1-64-srgnn",
            out=out / "ds",
            raw_dir=raw,
            home=out / f"home-{path.stem}",
            features=False,
            overwrite=True,
        )
        lap("build")
    elif path.suffix == ".memory":  # generated in this process: the steps without the reader
        frame = clicks_frame(int(path.stem))
        rows["clicks"] = frame.height
        lap("generate (untimed)")
        stages.pop("generate (untimed)")
        cpu.pop("generate (untimed)")
    else:
        frame = _read(path)
        rows["clicks"] = frame.height
        lap("read+map")
    if variant == "srgnn":
        kept, report = SS.srgnn_preprocess_report(frame.lazy(), dataset="yoochoose")
        del frame
        lap("srgnn step")
        indexed = T.index_ids(kept.lazy(), order="input")
        del kept
        lap("index (input order)")
        for fraction in (64, 4):
            split = SP.srgnn_split(indexed.interactions.lazy(), fraction=fraction)
            train, _, test = split.collect()
            rows[f"train_pairs_1_{fraction}"] = split.report.counts["train_pairs"]
            lap(f"split 1/{fraction}")
        rows["test_pairs"] = report.test_pairs
        rows["train_pairs_all"] = report.train_pairs
        pairs = SS.prefix_pairs(train.lazy(), session="user_idx").select(
            pl.concat_str(
                pl.col("prefix").list.eval(pl.element().cast(pl.String)).list.join(" "),
                pl.col("target").cast(pl.String),
                separator="\t",
            )
        )
        rows["lines_1_4"] = pairs.collect().height
        lap("pair lines 1/4")
    elif variant == "steps":
        lf = SS.sessionize(frame.drop("session_id").lazy(), gap=1800).collect()
        del frame
        lap("sessionize")
        lf = SS.drop_short_sessions(lf.lazy(), min_length=2).collect()
        lap("drop_short_sessions")
        lf, rep = SS.drop_rare_items_report(
            lf.lazy(), min_count=5, mode="iterative", min_session_length=2
        )
        rows["rare_rounds"] = rep.rounds
        lap("drop_rare_items (iterative)")
        lf = SS.remove_repeats(lf.lazy()).collect()
        rows["kept"] = lf.height
        lap("remove_repeats")
        indexed = T.index_ids(lf.lazy(), order="first_seen")
        del lf
        lap("index (first_seen)")
        SP.temporal_sessions(indexed.interactions.lazy(), quantiles=(0.8, 0.9)).collect()
        lap("temporal_sessions")
        SP.last_session_out(indexed.interactions.lazy()).collect()
        lap("last_session_out")
    seconds = sum(stages.values())
    cpu_s = sum(cpu.values())
    rss_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
    print(json.dumps({"variant": variant, "seconds": round(seconds, 2), "cpu_s": round(cpu_s, 2),
                      "rss_gb": round(rss_gb, 2), "stages": stages, "cpu": cpu, "rows": rows}))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clicks", default="1M", help="rows of the synthetic file (33M: full)")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--workdir", default=None, help="keep the file and outputs here")
    parser.add_argument(
        "--memory",
        action="store_true",
        help="srgnn/steps start from clicks generated in memory (no file, no reader): the "
        "session stages alone, in less memory than the CSV reader needs at 33M",
    )
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--file", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--out", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child, Path(args.file), Path(args.out))
        return
    clicks = _size(args.clicks)
    work = Path(args.workdir or tempfile.mkdtemp(prefix="bench-sessions-"))
    work.mkdir(parents=True, exist_ok=True)
    path = work / f"yoochoose-clicks-{args.clicks}.dat"
    if args.memory:
        path = work / f"{clicks}.memory"
    elif not path.exists():
        t = time.perf_counter()
        generate(path, clicks)
        print(
            f"generated {path} ({path.stat().st_size / 1e9:.2f} GB) in {time.perf_counter() - t:.0f} s"
        )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    print(f"{'variant':8} {'wall s':>8} {'CPU s':>8} {'peak RSS GB':>12}  stages: wall s (CPU s)")
    for variant in args.variants.split(","):
        proc = subprocess.run(
            [sys.executable, __file__, "--child", variant, "--file", str(path), "--out", str(work / variant)],
            capture_output=True, text=True, env=env,
        )  # fmt: skip
        if proc.returncode != 0:
            print(f"{variant:8} failed: {(proc.stderr.strip().splitlines() or ['?'])[-1]}")
            continue
        res = json.loads(proc.stdout.strip().splitlines()[-1])
        stages = ", ".join(f"{k} {v:.2f} ({res['cpu'][k]:.2f})" for k, v in res["stages"].items())
        print(
            f"{variant:8} {res['seconds']:8.2f} {res['cpu_s']:8.2f} {res['rss_gb']:12.2f}  {stages}"
        )
        print(f"{'':8} {res['rows']}")


if __name__ == "__main__":
    main()
