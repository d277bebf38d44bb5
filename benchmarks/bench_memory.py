"""Benchmark: wall time and peak RSS of whole polars-engine builds, synthetic or from a CSV file.

Run by hand (not by pytest)::

    python benchmarks/bench_memory.py --sizes 20M,50M [--csv] [--workdir DIR]

For each size it runs ``recdata build synthetic --set size=N`` (dedup, iterative 5-core,
leave-one-out, item texts, user–item and item–item graphs) in a child process and samples the
resident memory of that process every 0.2 s from /proc (no tracemalloc, which would slow it
and miss native memory); it prints wall time, peak RSS and the per-stage lines of the
folder's ``build.log`` (each with the process's RSS and its peak so far). With
``--csv`` it first writes the generated interactions as a CSV file (untimed, in its own
process) and builds the same steps from that file through a user recipe, so the reader is
measured too.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RECIPE = """\
name: synthetic-csv
family: custom
sources:
  - name: events
    manual: the benchmark's CSV
    filename: {name}
interactions:
  source: events
  format: csv
  options:
    has_header: true
    dtypes: {{user_id: str, item_id: str, rating: float32, timestamp: int64}}
  fields:
    user_id: user_id
    item_id: item_id
    rating: rating
    timestamp: {{column: timestamp, unit: s}}
steps:
  - dedup: {{keep: first}}
  - kcore: {{user_k: 5, item_k: 5, mode: iterative}}
splits:
  loo: {{protocol: leave_one_out, min_interactions: 3, short_users: train}}
features: null
graphs:
  user_item: true
  item_item: true
"""


def _size(text: str) -> int:
    text = text.strip().upper()
    mult = {"K": 1_000, "M": 1_000_000}.get(text[-1], 1)
    return int(float(text[:-1] if text[-1] in "KM" else text) * mult)


def _tree_rss(pid: int) -> int:
    """Resident bytes of a process and its descendants."""
    total, todo, seen = 0, [pid], set()
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
            todo += [int(c) for c in Path(f"/proc/{p}/task/{p}/children").read_text().split()]
        except OSError:
            pass
    return total


def _measure(cmd: list[str]) -> tuple[float, int, int]:
    """(wall seconds, peak RSS bytes, exit code) of a command."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, _tree_rss(proc.pid))
        time.sleep(0.2)
    return time.perf_counter() - start, peak, proc.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="20M", help="comma-separated row counts (20M,50M,100M)")
    parser.add_argument("--csv", action="store_true", help="build from a CSV file of the rows")
    parser.add_argument("--workdir", default=None, help="keep CSVs and outputs here")
    args = parser.parse_args()
    work = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="recdata-mem-"))
    work.mkdir(parents=True, exist_ok=True)
    recdata = [sys.executable, "-m", "recdata"]
    for label in args.sizes.split(","):
        n = _size(label)
        out = work / f"out-{n}"
        shutil.rmtree(out, ignore_errors=True)
        if args.csv:
            csv = work / f"synthetic-{n}.csv"
            if not csv.exists():
                code = (
                    "import sys; from recdata.synthetic import generate, write_csv; "
                    "write_csv(generate(int(sys.argv[1])), sys.argv[2])"
                )
                subprocess.run([sys.executable, "-c", code, str(n), str(csv)], check=True)
            recipe = work / f"synthetic-csv-{n}.yaml"
            recipe.write_text(RECIPE.format(name=csv.name), encoding="utf-8")
            cmd = [*recdata, "build", str(recipe), "--raw-dir", str(work), "-o", str(out)]
        else:
            cmd = [*recdata, "build", "synthetic", "--set", f"size={n}", "-o", str(out)]
        print(f"# {' '.join(cmd[1:])}", flush=True)
        wall, peak, code = _measure(cmd)
        print(f"{label}: exit {code}, wall {wall:.1f} s, peak RSS {peak / 1e9:.2f} GB", flush=True)
        log = out / "build.log"
        if log.is_file():
            print(log.read_text(encoding="utf-8"), flush=True)


if __name__ == "__main__":
    main()
