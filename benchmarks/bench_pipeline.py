"""Benchmark: CSV -> dedup -> iterative 5-core -> leave-one-out -> Parquet, against baselines.

Run by hand (not by pytest)::

    /tmp/venv/bin/python benchmarks/bench_pipeline.py --sizes 1M,10M [--workdir DIR] \
        [--recbole-python /tmp/venv-recbole/bin/python]

For each size it generates power-law data (``recdata.synthetic``), writes the raw CSV, then
runs every variant in its own subprocess and reports wall time (after imports) and peak RSS
(``ru_maxrss`` of that subprocess): the I/O floor (read CSV + write Parquet), its streaming
form, recdata, vectorised pandas, and RecBole when installed.

RecBole runs under ``--recbole-python`` (a separate venv: RecBole 1.2.1 needs numpy < 2), from
its atomic ``.inter`` file, written once per size outside the timed region. Its time covers
``create_dataset`` (load, dedup, 5-core, id remap) and ``data_preparation`` (time sort,
leave-one-out split, samplers, dataloaders); it writes no Parquet. Its phases are printed
after the table.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

ORDER = ["io_floor", "io_floor_streaming", "recdata", "pandas", "recbole"]


def _size(text: str) -> int:
    text = text.strip().upper()
    mult = {"K": 1_000, "M": 1_000_000}.get(text[-1], 1)
    return int(float(text[:-1] if text[-1] in "KM" else text) * mult)


def _child(variant: str, csv: Path, out: Path) -> None:
    """Run one variant in this process and print a JSON line with its measurements."""
    from _variants import VARIANTS

    fn = VARIANTS[variant]
    if variant == "recbole":
        try:
            import recbole.config  # noqa: F401  (imports, torch included, stay untimed)
            import recbole.data  # noqa: F401
        except ImportError:
            print(json.dumps({"variant": variant, "status": "not installed (--recbole-python)"}))
            return
    if variant == "pandas":
        import pandas  # noqa: F401  (import outside the timed region, like polars)
    import polars  # noqa: F401

    import recdata.splits  # noqa: F401
    import recdata.transforms  # noqa: F401

    out.mkdir(parents=True, exist_ok=True)
    before = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    counts = fn(csv, out)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu_s = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    rss_mb = after.ru_maxrss / 1024
    res = {
        "variant": variant,
        "status": "ok",
        "seconds": seconds,
        "cpu_s": cpu_s,
        "rss_mb": rss_mb,
        "rows": counts,
    }
    if variant == "recbole":
        from _variants import RECBOLE_PHASES

        res["phases"] = dict(RECBOLE_PHASES)
        res["versions"] = _versions(
            "recbole", "torch", "numpy", "pandas", "scipy", "polars", "pyarrow"
        )
    print(json.dumps(res))


def _versions(*names: str) -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for name in names:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "-"
    return found


def _run(variant: str, csv: Path, out: Path, python: str) -> dict:
    proc = subprocess.run(
        [python, __file__, "--child", variant, "--csv", str(csv), "--out", str(out)],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        lines = proc.stderr.strip().splitlines() or ["(no stderr)"]
        return {"variant": variant, "status": f"failed (exit {proc.returncode}): {lines[-1]}"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _kept(res: dict) -> str:
    rows = res.get("rows") or {}
    if set(rows) != {"train", "valid", "test"}:
        return ""
    return f"{sum(rows.values()):,} ({rows['train']:,} / {rows['valid']:,} / {rows['test']:,})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1M,10M", help="comma-separated row counts (1M,10M,25M)")
    parser.add_argument("--variants", default=",".join(ORDER))
    parser.add_argument("--workdir", default=None, help="keep CSVs and outputs here")
    parser.add_argument("--repeat", type=int, default=1, help="runs per variant; the best is kept")
    parser.add_argument(
        "--recbole-repeat",
        type=int,
        default=None,
        help="runs of the recbole variant (default: --repeat); it takes minutes at 10M",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--recbole-python",
        default=sys.executable,
        help="interpreter for the recbole variant (a venv with recbole and recdata installed)",
    )
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--csv", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--out", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child, Path(args.csv), Path(args.out))
        return

    work = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="recdata-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    variants = [v for v in args.variants.split(",") if v]
    rows = []
    notes: list[str] = []
    for label in args.sizes.split(","):
        n = _size(label)
        csv = work / f"synthetic-{n}-seed{args.seed}.csv"
        if not csv.exists():
            # in a subprocess, so this process stays small: a child's ru_maxrss starts from
            # its parent's high-water mark at fork time
            t0 = time.perf_counter()
            code = (
                "import sys; from recdata.synthetic import generate, write_csv; "
                "write_csv(generate(int(sys.argv[1]), seed=int(sys.argv[2])), sys.argv[3])"
            )
            subprocess.run(
                [sys.executable, "-c", code, str(n), str(args.seed), str(csv)], check=True
            )
            print(
                f"# generated {csv.name} ({csv.stat().st_size / 1e6:.0f} MB) in "
                f"{time.perf_counter() - t0:.1f} s",
                flush=True,
            )
        if "recbole" in variants:
            t0 = time.perf_counter()
            code = (
                "import sys; sys.path.insert(0, sys.argv[1]); from pathlib import Path; "
                "from _variants import prepare_recbole; prepare_recbole(Path(sys.argv[2]))"
            )
            here = str(Path(__file__).resolve().parent)
            subprocess.run([sys.executable, "-c", code, here, str(csv)], check=True)
            print(
                f"# RecBole .inter ready in {time.perf_counter() - t0:.1f} s (untimed)", flush=True
            )
        results: dict[str, dict] = {}
        rb_repeat = args.repeat if args.recbole_repeat is None else args.recbole_repeat
        for i in range(args.repeat):  # interleaved, so every variant sees the same conditions
            for variant in variants:
                if results.get(variant, {}).get("status", "ok") != "ok":
                    continue
                if variant == "recbole" and i >= rb_repeat:
                    continue
                python = args.recbole_python if variant == "recbole" else sys.executable
                res = _run(variant, csv, work / f"out-{n}-{variant}", python)
                best = results.get(variant)
                if res.get("status") != "ok" or best is None or res["seconds"] < best["seconds"]:
                    results[variant] = res
                print(f"# {label} {variant}: {json.dumps(res)}", flush=True)
        floor = results.get("io_floor", {}).get("seconds")
        rb = results.get("recbole", {})
        rb = rb if rb.get("status") == "ok" else None
        for variant in variants:
            res = results[variant]
            if res.get("status") != "ok":
                rows.append((label, variant, res.get("status"), "", "", "", "", "", "", ""))
                continue
            ratio = f"{res['seconds'] / floor:.2f}x" if floor else ""
            floor_cpu = results.get("io_floor", {}).get("cpu_s")
            cpu_ratio = f"{res['cpu_s'] / floor_cpu:.2f}x" if floor_cpu and "cpu_s" in res else ""
            speedup = ""
            if variant == "recdata":
                for other in ("pandas", "recbole"):
                    o = results.get(other, {})
                    if o.get("status") == "ok":
                        speedup += f"{o['seconds'] / res['seconds']:.1f}x faster than {other}; "
            vs_rb = ""
            if rb is not None and variant != "recbole":
                vs_rb = (
                    f"{rb['seconds'] / res['seconds']:.1f}x faster, "
                    f"{rb['rss_mb'] / res['rss_mb']:.1f}x less RSS"
                )
            rows.append(
                (
                    label,
                    variant,
                    f"{res['seconds']:.2f}",
                    f"{res.get('cpu_s', float('nan')):.2f}",
                    f"{res['rss_mb']:.0f}",
                    ratio,
                    cpu_ratio,
                    speedup.strip(),
                    vs_rb,
                    _kept(res),
                )
            )
        if rb is not None:
            ph = rb["phases"]
            notes.append(
                f"{label} recbole phases: create_dataset (load .inter, dedup, 5-core, remap) "
                f"{ph['create_dataset_s']:.1f} s + split (time sort, leave-one-out) "
                f"{ph['split_s']:.1f} s = {ph['to_split_s']:.1f} s to the split "
                f"(peak RSS {ph['rss_mb_at_split']:.0f} MB), + samplers and dataloaders "
                f"{ph['dataloaders_s']:.1f} s; versions {json.dumps(rb['versions'])}"
            )
        kept = {v: _kept(results[v]) for v in variants if _kept(results[v])}
        if len(set(kept.values())) > 1:
            notes.append(f"{label} kept rows DIFFER between variants: {json.dumps(kept)}")
        elif len(kept) > 1:
            notes.append(f"{label} kept rows agree across {', '.join(kept)}")
    print()
    print(
        "| rows | variant | wall s | CPU s | peak RSS MB | wall / floor | CPU / floor "
        "| recdata (wall) | this vs RecBole | kept rows (train / valid / test) |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---|---|---|")
    for r in rows:
        print("| " + " | ".join(str(x) for x in r) + " |")
    for note in notes:
        print(f"\n{note}")


if __name__ == "__main__":
    main()
